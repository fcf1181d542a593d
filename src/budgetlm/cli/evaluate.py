"""``budgetlm eval``: measure budgetlm's models on synthetic households, beside baselines."""

from __future__ import annotations

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
