"""Recommended budgets against the budgets synthetic households were generated with.

    python benchmarks/budget_eval.py [--seeds 5000-5039] [--months 12] [--trim 1]
                                     [--one-off-ratio 3]

Each household is generated with ``--months`` of history ending 2026-10-31; budgets are
recommended on 2026-11-01 from the last 6 full months; each line's history level rounded to its
budget step is compared (before any cut to fit goals or income). The
truth is the household's ``SynthBudget`` of its last month: the expected monthly spend of the
category times a random 0.90-1.15 slack, rounded up to 10 or 25, so even a perfect estimate of
the spending level sits within about -10%/+15% of it. Reported: the per-category ratio
recommended / true (median, and the share within 0.75-1.33), pooled over households, and how
many truly budgeted categories got no recommendation. Personas: every 4th seed a preset from
``sorted(PERSONAS)``, the others ``random_persona(seed)``.

Tune on seeds 100-199 only; the held-out "new households" are seeds 5000-5039.
"""

from __future__ import annotations

import argparse
import math
import statistics
from dataclasses import replace
from datetime import date
from decimal import Decimal

from budgetlm.analytics.budget import BudgetConfig, recommend_budget, round_budget
from budgetlm.analytics.history import from_household
from budgetlm.ledger.synth import PERSONAS, Household, generate_household, random_persona

TODAY = date(2026, 11, 1)


def household(seed: int, months: int) -> Household:
    """The evaluation household of ``seed`` (a preset persona every 4th seed)."""
    presets = sorted(PERSONAS)
    persona = (
        PERSONAS[presets[(seed // 4) % len(presets)]] if seed % 4 == 0 else random_persona(seed)
    )
    return generate_household(persona, months=months, seed=seed, end=date(2026, 10, 31))


def ratios(h: Household, config: BudgetConfig) -> tuple[list[float], int, float]:
    """Recommended / true budget per truly budgeted category, how many had no line, and the
    ratio of the totals over the truly budgeted categories."""
    last = max(b.month for b in h.budgets)
    truth = {b.category: b.amount for b in h.budgets if b.month == last}
    lines = {
        b.category: round_budget(b.level)
        for b in recommend_budget(from_household(h), TODAY, (), config).lines
    }
    found = [float(lines[c] / truth[c]) for c in truth if c in lines]
    total = sum((lines.get(c, Decimal(0)) for c in truth), Decimal(0)) / sum(truth.values())
    return found, sum(1 for c in truth if c not in lines), float(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="100-139", help="first-last seed, inclusive")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--trim", type=int, default=BudgetConfig.trim_months)
    parser.add_argument("--one-off-ratio", type=Decimal, default=BudgetConfig.one_off_ratio)
    args = parser.parse_args()
    first, last = (int(s) for s in args.seeds.split("-"))
    config = replace(BudgetConfig(), trim_months=args.trim, one_off_ratio=args.one_off_ratio)
    pooled: list[float] = []
    missing = total = 0
    per_household: list[float] = []
    totals: list[float] = []
    for seed in range(first, last + 1):
        found, miss, total_ratio = ratios(household(seed, args.months), config)
        totals.append(total_ratio)
        pooled += found
        missing += miss
        total += len(found) + miss
        if found:
            per_household.append(statistics.median(abs(math.log(r)) for r in found))
    within = sum(1 for r in pooled if 0.75 <= r <= 1.0 / 0.75) / len(pooled)
    print(
        f"seeds {args.seeds}  months {args.months}  trim {args.trim}  one-off x{args.one_off_ratio}"
    )
    print("| measure | value |\n|---|---|")
    print(f"| categories compared | {len(pooled)} of {total} budgeted ({missing} without a line) |")
    print(f"| median ratio recommended / true | {statistics.median(pooled):.3f} |")
    print(f"| share within 0.75-1.33 | {within:.3f} |")
    print(
        f"| household total recommended / true: median {statistics.median(totals):.3f} | "
        f"range {min(totals):.3f}-{max(totals):.3f} |"
    )
    typical = statistics.median(per_household)
    print(f"| median over households of median abs log ratio | {typical:.3f} |")


if __name__ == "__main__":
    main()
