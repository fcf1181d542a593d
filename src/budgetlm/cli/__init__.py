"""The ``budgetlm`` command: one Typer app whose subcommands are thin calls into the package."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from budgetlm.cli.anomalies import anomalies
from budgetlm.cli.assistant import ask, chat, lm_app
from budgetlm.cli.bills import bills
from budgetlm.cli.budgeting import budget_recommend, budget_status, health
from budgetlm.cli.categorize import categorize_app, rules_app
from budgetlm.cli.coach import coach_app
from budgetlm.cli.common import close_stores, err_console
from budgetlm.cli.dataset import dataset_app
from budgetlm.cli.evaluate import eval_app
from budgetlm.cli.export import export_app
from budgetlm.cli.finetune import finetune
from budgetlm.cli.forecast import forecast
from budgetlm.cli.importing import import_files
from budgetlm.cli.insights import insights
from budgetlm.cli.ledger import accounts_app, categories_app, init, transactions
from budgetlm.cli.payoff import debt_plan, goal_check
from budgetlm.cli.plans import budget_app, debt_app, goal_app
from budgetlm.cli.server import keys_app, serve
from budgetlm.cli.synth import demo, synth
from budgetlm.errors import BudgetlmError

app = typer.Typer(
    name="budgetlm",
    help="Private budgeting intelligence that runs on your own machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(init)
app.command("import")(import_files)
app.add_typer(accounts_app, name="accounts")
app.command()(transactions)
app.add_typer(categories_app, name="categories")
app.add_typer(budget_app, name="budget")
app.add_typer(goal_app, name="goal")
app.add_typer(debt_app, name="debt")
app.add_typer(categorize_app, name="categorize")
app.add_typer(rules_app, name="rules")
app.add_typer(eval_app, name="eval")
app.command()(synth)
app.command()(demo)
app.command()(insights)
app.command("bills")(bills)
budget_app.command("recommend")(budget_recommend)
budget_app.command("status")(budget_status)
app.command("health")(health)
debt_app.command("plan")(debt_plan)
goal_app.command("check")(goal_check)
app.command("forecast")(forecast)
app.command("anomalies")(anomalies)
app.command()(ask)
app.command()(chat)
app.add_typer(lm_app, name="lm")
app.add_typer(dataset_app, name="dataset")
app.command()(finetune)
app.add_typer(export_app, name="export")
app.command()(serve)
app.add_typer(keys_app, name="keys")
app.add_typer(coach_app, name="coach")


def main() -> None:
    """Run the CLI; budgetlm's own errors print as one clear line instead of a traceback."""
    try:
        app()
    except BudgetlmError as exc:
        err_console.print("[red]error:[/]", escape(str(exc)), highlight=False)
        sys.exit(1)
    finally:
        close_stores()
