"""``budgetlm categorize`` (apply, review, correct, predict) and ``budgetlm rules``."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from budgetlm.categorize.offline import label_file, read_labelled
from budgetlm.categorize.rules import Rule, RuleField, RuleMatch
from budgetlm.categorize.service import categorize_ledger, train_personal, workspace_categorizer
from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    ledger_session,
    open_context,
    parse_decimal,
    print_table,
    write_text_atomically,
)
from budgetlm.errors import InputError
from budgetlm.ledger import labels
from budgetlm.ledger.importers import read_bank_file
from budgetlm.ledger.store import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from budgetlm.categorize.model import CategoryModel
from budgetlm.money import format_money

categorize_app = typer.Typer(help="Categorize transactions, review the unsure ones, correct.")
rules_app = typer.Typer(help="Your categorization rules (they always win).", no_args_is_help=True)


def default_model() -> CategoryModel:
    """The shipped model (loaded on first use: most commands never need it)."""
    from budgetlm.categorize.model import CategoryModel

    return CategoryModel.default()


@categorize_app.callback(invoke_without_command=True)
def categorize(
    ctx: typer.Context,
    redo: Annotated[
        bool, typer.Option("--all", help="Redo everything not set by a person.")
    ] = False,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Confidence needed; default the model's.")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Categorize uncategorized transactions: your rules, your corrections, then the model."""
    if ctx.invoked_subcommand is not None:
        return
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        categorizer = workspace_categorizer(ledger, default_model(), threshold)
        report = categorize_ledger(ledger, categorizer, redo=redo)
    emit(
        as_json,
        asdict(report),
        lambda: console.print(
            f"{report.considered} considered: {report.by_rule} by your rules, "
            f"{report.by_correction} by your corrections, {report.by_model} by the model; "
            f"{report.to_review} left for review (budgetlm categorize review)."
        ),
    )


@categorize_app.command("train")
def train(
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Learn your own categories from what you (or your imports and rules) categorized; from
    then on `categorize` asks this personal model first, then the shipped one."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        report = train_personal(ledger)
    emit(as_json, asdict(report), lambda: console.print(
        f"Personal model trained on {report.rows} transactions ({report.categories} categories) "
        f"in {report.seconds:.1f} s; it decides when at least {report.threshold:.0%} sure."
    ))  # fmt: skip


@categorize_app.command("review")
def review(
    limit: Annotated[int, typer.Option(min=1, help="At most this many, least certain first.")] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Transactions the categorizer was unsure about, with its suggestion."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        items = labels.review_list(ledger, limit)
        data: list[dict[str, Any]] = [
            {
                "id": i.transaction.id,
                "date": i.transaction.date,
                "description": i.transaction.description,
                "amount": i.transaction.amount,
                "currency": i.transaction.currency,
                "suggestion": i.suggestion,
                "confidence": i.confidence,
            }
            for i in items
        ]
    emit(
        as_json,
        data,
        lambda: print_table(
            f"To review ({len(data)})",
            ["Id", "Date", "Description", "Amount", "Suggestion", "Confidence"],
            [
                (
                    d["id"],
                    d["date"],
                    d["description"],
                    format_money(d["amount"], d["currency"]),
                    d["suggestion"] or "—",
                    f"{d['confidence']:.0%}" if d["confidence"] is not None else "—",
                )
                for d in data
            ],
            right=["Id", "Amount", "Confidence"],
        ),
    )


@categorize_app.command("correct")
def correct(
    transaction_id: Annotated[int, typer.Argument(help="Id from `budgetlm transactions`.")],
    category: Annotated[str, typer.Argument(help="The right category.")],
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Set a transaction's category; the merchant is categorized this way from now on."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        transaction = labels.correct(ledger, transaction_id, category)
        name = ledger.category(category).name
    console.print(
        f"{escape(transaction.description)} → [bold]{escape(name)}[/] "
        "(and every future transaction from this merchant)."
    )


@rules_app.command("add")
def rules_add(
    pattern: Annotated[str, typer.Argument(help="Text (or regular expression) to look for.")],
    category: Annotated[str, typer.Argument(help="Category to set.")],
    field: Annotated[str, typer.Option(help="description or payee.")] = "description",
    match: Annotated[str, typer.Option(help="contains, equals or regex.")] = "contains",
    min_amount: Annotated[str | None, typer.Option(help="Smallest amount (magnitude).")] = None,
    max_amount: Annotated[str | None, typer.Option(help="Largest amount (magnitude).")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    priority: Annotated[int, typer.Option(help="Higher wins when rules overlap.")] = 0,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add a rule: matching transactions get CATEGORY, before any model guess."""
    if field not in ("description", "payee") or match not in ("contains", "equals", "regex"):
        raise InputError(f"unknown field {field!r} or match {match!r}", source="--field/--match")
    chosen_field: RuleField = field  # type: ignore[assignment]
    chosen_match: RuleMatch = match  # type: ignore[assignment]
    low = parse_decimal(min_amount, "--min-amount") if min_amount else None
    high = parse_decimal(max_amount, "--max-amount") if max_amount else None
    with ledger_session(open_context(db, today, workspace)) as ledger:
        rule = Rule(
            ledger.category(category).name,
            pattern,
            chosen_field,
            chosen_match,
            low,
            high,
            account,
            priority,
        )
        rule_id = labels.add_rule(ledger, rule)
    console.print(f"Added rule {rule_id}: {escape(pattern)} → [bold]{escape(rule.category)}[/].")


@rules_app.command("list")
def rules_list(
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List your rules."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        data = [{"id": rule_id, **asdict(rule)} for rule_id, rule in labels.rules(ledger)]
    emit(
        as_json,
        data,
        lambda: print_table(
            "Rules",
            ["Id", "Field", "Match", "Pattern", "Amount", "Account", "Priority", "Category"],
            [
                (
                    r["id"],
                    r["field"],
                    r["match"],
                    r["pattern"],
                    _range(r["amount_min"], r["amount_max"]),
                    r["account"] or "any",
                    r["priority"],
                    r["category"],
                )
                for r in data
            ],
        ),
    )


def _range(low: Decimal | None, high: Decimal | None) -> str:
    if low is None and high is None:
        return "any"
    lowest = format_money(low) if low is not None else "…"
    highest = format_money(high) if high is not None else "…"
    return f"{lowest} to {highest}"


@rules_app.command("remove")
def rules_remove(
    rule_id: Annotated[int, typer.Argument(help="Id from `budgetlm rules list`.")],
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Remove a rule."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        labels.remove_rule(ledger, rule_id)
    console.print(f"Removed rule {rule_id}.")


@categorize_app.command("predict")
def predict(
    train: Annotated[
        Path, typer.Option(help="Labelled history (CSV with a category/label column).")
    ],
    input_file: Annotated[Path, typer.Option("--input", help="CSV of transactions to label.")],
    output: Annotated[Path, typer.Option(help="Where to write the labelled CSV.")],
    label_column: Annotated[
        str | None, typer.Option(help="Label column, if not found by name.")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Confidence needed; default chosen in training."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
) -> None:
    """Learn your own categories from a labelled history and label another file with them.

    Offline: no ledger is opened (``--db`` and ``--today`` are accepted like everywhere).
    """
    from budgetlm.categorize.model import CategoryModel

    history = read_labelled(read_bank_file(train), train.name, label_column)
    model = CategoryModel.train(history.texts, history.labels)
    chosen = threshold if threshold is not None else model.threshold
    labelled = label_file(read_bank_file(input_file), input_file.name, model, chosen)
    write_text_atomically(output, labelled.csv_text)
    summary = {
        "trained_on": len(history.texts),
        "labels": len(set(history.labels)),
        "unlabelled_skipped": history.unlabelled,
        "threshold": chosen,
        "rows": labelled.rows,
        "categorized": labelled.categorized,
        "unsure": labelled.unsure,
        "output": str(output),
    }
    emit(
        as_json,
        summary,
        lambda: console.print(
            f"Learned {summary['labels']} categories from {summary['trained_on']} rows "
            f"({history.unlabelled} without a label skipped). Wrote {labelled.rows} rows to "
            f"{escape(str(output))}: {labelled.categorized} categorized, {labelled.unsure} left "
            f"for you (confidence below {chosen:.2f})."
        ),
    )
