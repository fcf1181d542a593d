"""Every analytics engine on an 18-month household, timed one by one against the 1 s budget.

    python benchmarks/analytics_bench.py [--persona family_mortgage] [--seed 3] [--repeats 5]

Generates the household, builds its ``History`` once (as ``from_ledger`` would hand it over),
then times each engine as the CLI calls it: recurring bills, anomalies (with and without the
secondary IsolationForest score), the 60-day forecast, budget recommendation, budget status,
every goal check, the debt plan under all three strategies, health features, and the insights
list (which runs the engines it composes a second time). Prints the median of ``--repeats`` runs
per engine, their sum, and the ratio of that sum to the 1 s target.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from budgetlm.analytics.anomalies import AnomalyConfig, find_anomalies
from budgetlm.analytics.budget import recommend_budget
from budgetlm.analytics.budget_status import budget_status
from budgetlm.analytics.debt import DebtTerms, compare_strategies
from budgetlm.analytics.forecast import forecast_history
from budgetlm.analytics.goals import SavingsGoal, check_goals
from budgetlm.analytics.health import health_features
from budgetlm.analytics.history import from_household
from budgetlm.analytics.insights import household_insights
from budgetlm.analytics.recurring import find_recurring
from budgetlm.ledger.synth import generate_household

TARGET_S = 1.0
"""All engines together must finish within this on the 2-core machine (issue 4.9)."""


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``run``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Time the engines and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persona", default="family_mortgage")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    household = generate_household(args.persona, months=args.months, seed=args.seed)
    history = from_household(household)
    today = household.end
    past = history.transactions
    series = find_recurring(past, today)
    goals = [SavingsGoal(g.name, g.target, g.target_date, g.current) for g in household.goals]
    debts = [
        DebtTerms(d.name, d.balance, d.apr, d.min_payment_percent, d.min_payment_floor)
        for d in household.debts
    ]
    since = today - timedelta(days=90)
    plain = replace(AnomalyConfig(), isolation=False)
    engines: dict[str, Callable[[], object]] = {
        "recurring bills": lambda: find_recurring(past, today),
        "anomalies (90 days)": lambda: find_anomalies(past, today, recurring=series, since=since,
                                                      config=plain),
        "forecast (60 days, given the series)": lambda: forecast_history(
            past, history.accounts, today, 60, series=series
        ),
        "budget recommendation": lambda: recommend_budget(history, today, goals),
        "budget status": lambda: budget_status(past, household.budgets, today, recurring=series),
        f"goal checks ({len(goals)})": lambda: check_goals(goals, past, today),
        f"debt plans ({len(debts)} debts, 3 strategies)": lambda: compare_strategies(
            debts, Decimal(100), today
        ),
        "health features": lambda: health_features(
            history, today, debts=household.debts, budgets=household.budgets
        ),
    }  # fmt: skip
    print(
        f"household: {args.persona} seed {args.seed}, {args.months} months, "
        f"{len(past)} transactions, {len(series)} recurring series; medians of {args.repeats}"
    )
    print(f"{'engine':<40}{'ms':>10}")
    total = 0.0
    for name, run in engines.items():
        seconds = median_seconds(run, args.repeats)
        total += seconds
        print(f"{name:<40}{seconds * 1e3:>10.1f}")
    print(f"{'all engines':<40}{total * 1e3:>10.1f}   target {TARGET_S * 1e3:.0f} ms, "
          f"ratio {total / TARGET_S:.2f}")  # fmt: skip
    extras: dict[str, Callable[[], object]] = {
        "anomalies with IsolationForest score": lambda: find_anomalies(
            past, today, recurring=series, since=since
        ),
        "insights (runs its engines again)": lambda: household_insights(
            history, today, budgets=household.budgets, goals=goals
        ),
    }
    for name, run in extras.items():
        print(f"{name:<40}{median_seconds(run, args.repeats) * 1e3:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
