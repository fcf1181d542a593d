"""Are goal probabilities calibrated? Backtest of the savings simulation on synthetic households.

Each household is generated for ``--history + --ahead`` months. Standing at the end of the first
``--history`` months, ``analytics.goals`` simulates the next ``--ahead`` months from the past
ones; the household's realized net saving over those months is then placed in the simulated
distribution (its PIT: the share of paths that saved less). For calibrated probabilities the PIT
is uniform: 10% of households fall below the simulated 10th percentile, 50% below the median,
90% below the 90th percentile, and a goal set at the simulated p-quantile is reached by a share
1-p of households.

Personas: every 4th seed a preset from ``sorted(PERSONAS)``, the rest ``random_persona(seed)``.
Tune on seeds 100-199, report on 5000-5039:

    python benchmarks/goal_calibration_bench.py --seeds 100 200 --block 1 3 6
    python benchmarks/goal_calibration_bench.py --seeds 5000 5040 --block 3
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from datetime import date

import numpy as np

from budgetlm.analytics.goals import GoalConfig, monthly_net_saving
from budgetlm.analytics.history import from_household
from budgetlm.analytics.saving_paths import bootstrap_paths
from budgetlm.ledger.synth import PERSONAS, Persona, generate_household, random_persona


def pit(seed: int, history: int, ahead: int, config: GoalConfig) -> float:
    """Share of simulated paths saving less than the household really did."""
    persona = persona_for(seed)
    household = generate_household(persona, months=history + ahead, seed=seed)
    txns = from_household(household).transactions
    months = monthly_net_saving(txns, household.end)
    past, future = months[:history], months[history : history + ahead]
    cut: date = past[-1].month
    assert all(m.month > cut for m in future)
    rng = np.random.default_rng(config.seed + seed)
    paths = bootstrap_paths([float(m.amount) for m in past], ahead, config, rng).sum(axis=1)
    realized = float(sum(m.amount for m in future))
    return float((paths < realized).mean() + 0.5 * (paths == realized).mean())


def persona_for(seed: int) -> Persona:
    """Every 4th seed a preset, the others a random persona."""
    presets = sorted(PERSONAS)
    return PERSONAS[presets[(seed // 4) % len(presets)]] if seed % 4 == 0 else random_persona(seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs=2, type=int, default=[100, 200])
    parser.add_argument("--history", type=int, default=12)
    parser.add_argument("--ahead", type=int, default=12)
    parser.add_argument("--block", nargs="+", type=int, default=[3])
    parser.add_argument("--simulations", type=int, default=4000)
    parser.add_argument("--plain", action="store_true", help="no Bayesian bootstrap weights")
    args = parser.parse_args()
    seeds = range(*args.seeds)
    print(f"seeds {args.seeds[0]}-{args.seeds[1] - 1}, {args.history} months -> {args.ahead} ahead")
    print("block | below p10 | below p50 | below p90 | in 80% band | mean |PIT-0.5|")
    for block in args.block:
        config = replace(
            GoalConfig(), block_months=block, simulations=args.simulations, bayesian=not args.plain
        )
        pits = np.array([pit(s, args.history, args.ahead, config) for s in seeds])
        band = float(((pits >= 0.1) & (pits <= 0.9)).mean())
        print(
            f"{block:5d} | {(pits < 0.1).mean():9.2f} | {(pits < 0.5).mean():9.2f} | "
            f"{(pits < 0.9).mean():9.2f} | {band:11.2f} | "
            f"{statistics.fmean(abs(p - 0.5) for p in pits):.3f}"
        )


if __name__ == "__main__":
    main()
