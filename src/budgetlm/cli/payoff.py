"""``budgetlm debt plan`` (payoff schedules) and ``budgetlm goal check`` (savings goal odds)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from budgetlm.analytics.debt import (
    STRATEGIES,
    DebtTerms,
    PayoffPlan,
    Strategy,
    compare_strategies,
    ledger_debts,
    plan_payoff,
)
from budgetlm.analytics.history import from_ledger
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
)
from budgetlm.errors import InputError, NotFoundError
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.money import format_money

if TYPE_CHECKING:
    from budgetlm.analytics.goals import GoalCheck, SavingsGoal


def _strategy(value: str) -> Strategy:
    for strategy in STRATEGIES:
        if strategy == value.strip().lower():
            return strategy
    raise InputError(f"choose one of {', '.join(STRATEGIES)}", source="--strategy")


def _plan_data(plan: PayoffPlan, debts: Sequence[DebtTerms], schedule: bool) -> dict[str, Any]:
    terms = {d.name: d for d in debts}
    data: dict[str, Any] = {
        "strategy": plan.strategy,
        "start": plan.start,
        "extra": plan.extra,
        "monthly_budget": plan.monthly_budget,
        "paid_off": plan.paid_off,
        "months_to_debt_free": plan.months_to_debt_free,
        "debt_free_date": plan.debt_free_date,
        "total_interest": plan.total_interest,
        "total_paid": plan.total_paid,
        "message": plan.message,
        "debts": [
            {
                "name": p.name,
                "balance": terms[p.name].balance,
                "apr": terms[p.name].apr,
                "months": p.months,
                "payoff_date": p.payoff_date,
                "total_interest": p.total_interest,
                "total_paid": p.total_paid,
            }
            for p in plan.payoffs
        ],
    }
    if schedule:
        data["schedule"] = [
            {
                "month": m.month,
                "date": m.date,
                "debts": [
                    {
                        "name": d.name,
                        "payment": d.payment,
                        "interest": d.interest,
                        "principal": d.principal,
                        "balance": d.balance,
                    }
                    for d in m.debts
                ],
            }
            for m in plan.months
        ]
    return data


def _render_plan(plan: PayoffPlan, data: dict[str, Any]) -> None:
    print_table(
        f"Debt payoff, {plan.strategy}: {format_money(plan.monthly_budget)} a month "
        f"({format_money(plan.extra)} extra)",
        ["Debt", "Balance", "APR", "Paid off", "Months", "Interest"],
        [
            (
                d["name"],
                format_money(d["balance"]),
                f"{d['apr'] * 100:.2f}%",
                d["payoff_date"] or "never",
                d["months"] if d["months"] is not None else "—",
                format_money(d["total_interest"]),
            )
            for d in data["debts"]
        ],
        right=["Balance", "APR", "Months", "Interest"],
    )
    if plan.paid_off:
        console.print(
            f"Debt-free in {plan.months_to_debt_free} months ({plan.debt_free_date}); "
            f"interest {format_money(plan.total_interest)}."
        )
    else:
        console.print(f"[red]{escape(plan.message or '')}[/]")
    if "schedule" in data:
        print_table(
            "Schedule",
            ["Month", "Date", "Debt", "Payment", "Interest", "Principal", "Balance"],
            [
                (m["month"], m["date"], d["name"], *(format_money(d[k]) for k in _AMOUNTS))
                for m in data["schedule"]
                for d in m["debts"]
            ],
            right=["Month", "Payment", "Interest", "Principal", "Balance"],
        )


_AMOUNTS = ("payment", "interest", "principal", "balance")


def _render_comparison(rows: list[dict[str, Any]], best: str | None) -> None:
    print_table(
        "Strategies compared",
        ["Strategy", "Debt-free", "Months", "Interest"],
        [
            (
                r["strategy"] + (" (least interest)" if r["strategy"] == best else ""),
                r["debt_free_date"] or "never",
                r["months_to_debt_free"] if r["months_to_debt_free"] is not None else "—",
                format_money(r["total_interest"]),
            )
            for r in rows
        ],
        right=["Months", "Interest"],
    )


def debt_plan(
    strategy: Annotated[
        str, typer.Option(help="avalanche (highest rate first), snowball or hybrid.")
    ] = "avalanche",
    extra: Annotated[str, typer.Option(help="Paid each month beyond the minimums.")] = "0",
    compare: Annotated[bool, typer.Option("--compare", help="Compare every strategy.")] = False,
    schedule: Annotated[bool, typer.Option("--schedule", help="Show every month.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Plan paying off the debts: payoff dates, interest, and strategies compared."""
    chosen = _strategy(strategy)
    amount = parse_decimal(extra, "--extra")
    if amount < 0:
        raise InputError("the extra payment cannot be negative", source="--extra")
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        debts = ledger_debts(ledger)
    if not debts:
        raise InputError("no debts recorded; add one with: budgetlm debt add")
    plan = plan_payoff(debts, chosen, amount, context.today)
    data = _plan_data(plan, debts, schedule)
    rows: list[dict[str, Any]] = []
    best = None
    if compare:
        comparison = compare_strategies(debts, amount, context.today)
        keys = ("strategy", "months_to_debt_free", "debt_free_date", "total_interest")
        rows = [{k: _plan_data(p, debts, False)[k] for k in keys} for p in comparison.plans]
        best = comparison.best
        data["comparison"], data["best"] = rows, best

    def render() -> None:
        _render_plan(plan, data)
        if compare:
            _render_comparison(rows, best)

    emit(as_json, data, render)


def _check_data(check: GoalCheck) -> dict[str, Any]:
    chance = check.probability
    return {
        "name": check.goal.name,
        "target": check.goal.target,
        "target_date": check.goal.target_date,
        "current": check.goal.current,
        "status": check.status,
        "message": check.message,
        "months_left": check.months_left,
        "history_months": check.history_months,
        "mean_monthly_saving": check.mean_monthly_saving,
        "probability": None if chance is None else round(chance.estimate, 4),
        "probability_low": None if chance is None else round(chance.low, 4),
        "probability_high": None if chance is None else round(chance.high, 4),
        "extra_monthly_needed": check.extra_monthly_needed,
        "median_at_target": check.median_at_target,
        "milestones": [
            {"share": m.share, "amount": m.amount, "date": m.date} for m in check.milestones
        ],
        "notes": list(check.notes),
    }


def _chance_text(check: dict[str, Any]) -> str:
    if check["probability"] is None:
        return "—"
    low, high = check["probability_low"], check["probability_high"]
    return f"{check['probability']:.0%} ({low:.0%}–{high:.0%})"


def _render_checks(checks: list[dict[str, Any]], target_probability: float) -> None:
    print_table(
        "Savings goals",
        [
            "Goal",
            "Target",
            "By",
            "Saved",
            "Chance (95% CI)",
            f"Extra/month for {target_probability:.0%}",
            "Halfway",
            "Reached",
        ],
        [
            (
                c["name"],
                format_money(c["target"]),
                c["target_date"],
                format_money(c["current"]),
                _chance_text(c),
                "—"
                if c["extra_monthly_needed"] is None
                else format_money(c["extra_monthly_needed"]),
                c["milestones"][1]["date"] or "—",
                c["milestones"][3]["date"] or "—",
            )
            for c in checks
        ],
        right=["Target", "Saved", "Chance (95% CI)", f"Extra/month for {target_probability:.0%}"],
    )
    for c in checks:
        console.print(f"[bold]{escape(c['name'])}[/]: {escape(c['message'])}")
        for note in c["notes"]:
            console.print(f"  [yellow]{escape(note)}[/]")


def _named(goals: list[SavingsGoal], name: str) -> list[SavingsGoal]:
    """The goal called ``name`` (any case), or an error naming the close ones."""
    chosen = [g for g in goals if g.name.casefold() == name.strip().casefold()]
    if not chosen:
        close = difflib.get_close_matches(name, [g.name for g in goals], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise NotFoundError(f"no goal named {name!r}{hint}")
    return chosen


def goal_check(
    name: Annotated[str | None, typer.Argument(help="Goal to check; all goals if omitted.")] = None,
    probability: Annotated[
        float, typer.Option(help="Chance of success the suggested saving aims for.")
    ] = 0.9,
    simulations: Annotated[int, typer.Option(help="Simulated futures.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same answer).")] = 0,
    share: Annotated[
        float, typer.Option(help="Percent of the household's net saving that goes to the goal.")
    ] = 100.0,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Chance of reaching savings goals in time, simulated from the household's past months."""
    if not 0 < probability < 1:
        raise InputError("give a probability between 0 and 1, e.g. 0.9", source="--probability")
    if not 100 <= simulations <= 1_000_000:
        raise InputError("give between 100 and 1,000,000 simulations", source="--simulations")
    if not 0 < share <= 100:
        raise InputError("give a percent above 0 and at most 100", source="--share")
    from budgetlm.analytics.goals import GoalConfig, check_goals, ledger_goals

    config = GoalConfig(
        probability=probability, simulations=simulations, seed=seed, share=share / 100
    )
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        goals = ledger_goals(ledger)
        history = from_ledger(ledger)
    if not goals:
        raise InputError("no goals recorded; add one with: budgetlm goal add")
    if name is not None:
        goals = _named(goals, name)
    checks = [
        _check_data(c) for c in check_goals(goals, history.transactions, context.today, config)
    ]
    emit(as_json, checks, lambda: _render_checks(checks, probability))
