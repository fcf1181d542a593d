"""``budgetlm eval``: measure budgetlm's models on synthetic households, beside baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from budgetlm.cli.common import DbOption, JsonOption, TodayOption, console, emit, print_table

eval_app = typer.Typer(help="Measure budgetlm's models beside baselines.", no_args_is_help=True)

METRICS = (
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("coverage", "coverage at threshold"),
    ("covered_accuracy", "accuracy on covered"),
    ("ece", "calibration error (ECE)"),
    ("threshold", "threshold"),
)


@eval_app.command("categorize")
def eval_categorize(
    train_households: Annotated[int, typer.Option(min=4, help="Training households.")] = 60,
    test_households: Annotated[int, typer.Option(min=2, help="Households per test split.")] = 15,
    seed: Annotated[int, typer.Option(help="First household seed.")] = 0,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
) -> None:
    """Our categorizer vs beancount smart_importer's approach vs keyword rules, on later months,
    unseen merchants, unseen spellings and new households (``--db``/``--today`` are unused)."""
    from budgetlm.categorize.baselines import comparison_methods
    from budgetlm.categorize.evaluate import SplitConfig, build_splits, run_evaluation

    config = SplitConfig(
        train_households=train_households, test_households=test_households, seed=seed
    )
    with console.status("Generating households, training and scoring…"):
        report = run_evaluation(build_splits(config), comparison_methods(), config)

    def render() -> None:
        for split, methods in report.splits.items():
            n_train, n_test = report.sizes[split]
            rows = [
                (label, *(f"{getattr(metrics, key):.4f}" for metrics in methods.values()))
                for key, label in METRICS
            ]
            title = f"{split} (train {n_train} rows, test {n_test} rows)"
            print_table(title, ["metric", *methods], rows, right=list(methods))

    emit(as_json, report.to_dict(), render)


@eval_app.command("assistant")
def eval_assistant(
    model: Annotated[
        str, typer.Option(help="micro, micro:DIR, hf:PATH[+ADAPTER] or openai:BASE_URL.")
    ] = "micro",
    conversations: Annotated[
        int, typer.Option(min=10, help="Held-out test conversations to generate and score.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the test corpus.")] = 0,
    questions: Annotated[
        Path | None,
        typer.Option(help="A human-written question set (YAML with its ledger CSV beside it)."),
    ] = None,
    safety: Annotated[
        bool, typer.Option(help="Score refusals on held-out safety families.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Tool-call exact match on held-out households and phrasing families, answer checks,
    refusals, and the human-written question set."""
    from budgetlm.assistant.assistant import Assistant
    from budgetlm.assistant.backends import open_backend
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus
    from budgetlm.assistant.evaluate import (
        evaluate_corpus,
        evaluate_questions,
        evaluate_safety,
        load_question_set,
    )
    from budgetlm.assistant.tools import Vocabulary

    with console.status("Generating held-out conversations…"):
        corpus = build_corpus(CorpusConfig(seed=seed, size=conversations, shares=(0.0, 0.0, 1.0)))
    vocabularies = {
        h.key: Vocabulary(**{k: tuple(v) for k, v in h.vocabulary.items()})
        for h in corpus.households
    }
    test = corpus.splits["test"]
    backend = open_backend(model, test[0].today)
    report: dict[str, object] = {"model": backend.name}
    with console.status(f"Scoring {len(test)} conversations…"):
        scores = evaluate_corpus(backend, test, vocabularies)
    report["corpus"] = scores.summary() | {"mistakes": scores.mistakes()}
    if questions is not None or safety:
        context, items = load_question_set(questions) if questions else (None, [])
        if context is None:
            import random

            from budgetlm.assistant.corpus.households import household_context

            context = household_context(corpus.households[0].seed, random.Random(seed)).context
        assistant = Assistant(backend, context)
        if items:
            with console.status(f"Asking {len(items)} human-written questions…"):
                report["questions"] = evaluate_questions(assistant, items)
        if safety:
            with console.status("Scoring refusals…"):
                report["safety"] = evaluate_safety(assistant)
    emit(as_json, report, lambda: _show_assistant_report(report))


def _show_assistant_report(report: dict[str, object]) -> None:
    """Tables of the headline figures."""
    corpus = report["corpus"]
    assert isinstance(corpus, dict)
    rows = [
        (key.replace("_", " "), str(corpus[key]))
        for key in (
            "turns", "exact_match", "heldout_turns", "heldout_exact_match", "schema_valid",
            "numbers_right_when_call_right", "model_phrasing_kept", "latency_ms_p50",
            "latency_ms_p95",
        )
    ]  # fmt: skip
    print_table(f"held-out conversations ({report['model']})", ["metric", "value"], rows)
    tools = corpus["per_tool_exact_match"]
    assert isinstance(tools, dict)
    print_table(
        "exact match per tool",
        ["tool", "turns", "exact match"],
        [(t, v["turns"], v["exact_match"]) for t, v in tools.items()],
        right=["turns", "exact match"],
    )
    for key in ("questions", "safety"):
        part = report.get(key)
        if isinstance(part, dict):
            shown = [(k, str(v)) for k, v in part.items() if k != "failures"]
            print_table(key, ["metric", "value"], shown)


@eval_app.command("model")
def eval_model(
    model: Annotated[
        list[str],
        typer.Option(
            "--model",
            help="A model to score (repeat: base first, then tuned): micro[+int8][:DIR], "
            "hf:PATH[+ADAPTER] or openai:BASE_URL (optionally #MODEL).",
        ),
    ],
    conversations: Annotated[
        int, typer.Option(min=1, help="Held-out corpus conversations (budget questions).")
    ] = 40,
    categorize_items: Annotated[
        int, typer.Option(min=1, help="Held-out transactions to categorize.")
    ] = 60,
    entity_items: Annotated[
        int, typer.Option(min=1, help="Sentences to extract amounts, dates and merchants from.")
    ] = 40,
    qa: Annotated[
        Path | None,
        typer.Option(
            help="Finance QA file (system/user/assistant, as Finance-Instruct-500k); its test "
            "split is scored. Without it finance QA is reported as not run."
        ),
    ] = None,
    qa_items: Annotated[int, typer.Option(min=1, help="Most finance QA questions.")] = 40,
    households: Annotated[
        int, typer.Option(min=1, max=50, help="Test households the transactions come from.")
    ] = 6,
    seed: Annotated[int, typer.Option(help="Seed of every held-out draw.")] = 0,
    as_json: JsonOption = False,
    markdown_file: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the table as Markdown here.")
    ] = None,
) -> None:
    """Base vs tuned side by side on the same held-out items: tool-call exact match and answer
    accuracy on budget questions, categorization accuracy, finance QA token-F1, entity-F1 and
    latency (the Δ column is tuned − base)."""
    from budgetlm.finetune.eval import EvalConfig, compare_models, markdown, metric_rows

    config = EvalConfig(
        seed=seed, conversations=conversations, categorize_items=categorize_items,
        entity_items=entity_items, qa_items=qa_items, households=households,
    )  # fmt: skip
    with console.status("Drawing held-out items…") as status:
        report = compare_models(model, config, qa, progress=status.update)
    if markdown_file is not None:
        markdown_file.write_text(markdown(report), encoding="utf-8")

    def render() -> None:
        header, rows = metric_rows(report)
        print_table(f"base vs tuned on held-out items, seed {seed}", header, rows,
                    right=header[1:])  # fmt: skip

    emit(as_json, report, render)
