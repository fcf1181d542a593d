"""``budgetlm dataset export``: training files for fine-tuning other models."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape

from budgetlm.cli.common import (
    DbOption,
    TodayOption,
    WorkspaceOption,
    console,
    ledger_session,
    open_context,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.finetune.formats import FORMATS
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.settings import data_dir

if TYPE_CHECKING:
    from budgetlm.finetune.formats import Format

dataset_app = typer.Typer(help="Export training data.", no_args_is_help=True)


@dataset_app.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Directory to write the split files to (required for synthetic exports). A "
            "personal export needs a new or empty directory, or an earlier personal export.",
            show_default="with --personal: exports/personal in the data directory",
        ),
    ] = None,
    format: Annotated[
        str, typer.Option(help="chat (OpenAI messages + tools), alpaca, sharegpt or full.")
    ] = "chat",
    size: Annotated[int, typer.Option(min=10, help="Conversations over all splits.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed writes the same files.")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Processes building households.")] = 1,
    personal: Annotated[
        bool,
        typer.Option(
            "--personal",
            help="Conversations about your own ledger instead of synthetic households, "
            "anonymized (people, card and account numbers, phones, e-mails, addresses).",
        ),
    ] = False,
    public: Annotated[
        list[Path] | None,
        typer.Option(
            help="A local public finance instruction file or folder (Finance-Instruct-500k "
            "layout: system/user/assistant; JSONL, JSON or Parquet) to mix in; repeatable.",
        ),
    ] = None,
    public_ratio: Annotated[
        float, typer.Option(min=0.0, max=0.95, help="Fraction of each split that is public.")
    ] = 0.2,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Write synthetic conversations (questions, tool calls, results, answers) as train /
    validation / test files, held out by phrasing family and household; with --personal,
    conversations about your own ledger, anonymized, held out by phrasing family."""
    if format not in FORMATS:
        raise InputError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if personal:
        _export_personal(out, format, size, seed, db, today, workspace)
        return
    from budgetlm.finetune.export import ExportConfig, export_synthetic

    if out is None:
        raise InputError("say where to write the files with --out DIR", source="--out")
    files = tuple(str(p) for p in public or ())
    config = ExportConfig(format=format, seed=seed, size=size, workers=workers, public=files,
                          public_ratio=public_ratio)  # fmt: skip
    manifest = export_synthetic(config, out)
    public_lines = manifest.get("public", {})
    for line in [*public_lines.get("report", []), *public_lines.get("mixed", [])]:
        console.print(escape(line))
    _print_splits(manifest, out)


def _print_splits(manifest: Mapping[str, Any], out: Path) -> None:
    for split, counts in manifest["splits"].items():
        console.print(
            f"{split}: {counts['conversations']:,} conversations, {counts['records']:,} records"
            f" -> {escape(str(out / counts['file']))}"
        )


_KINDS = {
    "name": ("person's name", "people's names"),
    "number": ("card or account number", "card or account numbers"),
    "phone": ("phone number", "phone numbers"),
    "email": ("e-mail address", "e-mail addresses"),
    "address": ("street address", "street addresses"),
}
"""What each kind of removal is called, one and many."""


def _export_personal(
    out: Path | None,
    format: str,
    size: int,
    seed: int,
    db: str | None,
    today: str | None,
    workspace: str,
) -> None:
    """Export the ledger's conversations, then show the warning and what was removed."""
    from budgetlm.assistant.tools import load_context
    from budgetlm.finetune.export import check_directory
    from budgetlm.finetune.personal import (
        PRIVACY_WARNING,
        PersonalExportConfig,
        export_personal,
    )

    directory = out if out is not None else data_dir() / "exports" / "personal"
    check_directory(directory, "personal")  # before reading the ledger
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        tool_context = load_context(ledger, context.today)
    config = PersonalExportConfig(format=cast("Format", format), seed=seed, size=size)
    done = export_personal(tool_context, config, directory)
    _print_splits(done.manifest, directory)
    report = done.report
    kinds = ", ".join(
        f"{n:,} {_KINDS.get(kind, (kind, kind))[n != 1]}" for kind, n in report.kinds.items()
    )
    console.print(
        f"\nAnonymized {report.changed:,} of {report.texts:,} distinct texts (descriptions, "
        f"payees, names of accounts, categories, goals, debts); removed {kinds or 'nothing'}."
    )
    if report.samples:
        print_table(
            "What was removed (a sample; shown here only, never written to the files)",
            ["original", "in the export"],
            report.samples,
        )
    console.print(f"\n[bold yellow]Privacy:[/] {escape(PRIVACY_WARNING)}")
