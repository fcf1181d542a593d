"""Cash-flow forecast vs a weekly seasonal-naive baseline, rolling origins on synthetic households.

    python benchmarks/forecast_backtest.py [--seeds 5000-5039] [--schedule oracle|detected]
                                           [--horizons 30 60] [--step 14]

Each household has 18 months of history; origins every ``--step`` days over its last six
months. Forecast and baseline share the recurring schedule (``oracle``: the ground truth;
``detected``: ``analytics.recurring`` on the history up to the origin) and differ in the
day-to-day remainder. See ``budgetlm.analytics.forecast_backtest`` for the definitions.

Printed per horizon: households and origins scored, origins excluded from MASE (degenerate
scale), relative MASE on the daily cash flow (median over households and pooled; below 1 beats
the baseline), the share of households that beat it, our balance-path MAE and end-of-horizon
error as ratios to the baseline's (medians over households), our median absolute end-of-horizon
error, and how often the real balance lay inside the 80% interval. Tune on seeds 100-199 only;
report on 5000-5039.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

from budgetlm.analytics.forecast import ForecastConfig
from budgetlm.analytics.forecast_backtest import BacktestConfig, ScheduleSource, run_backtest


def _seeds(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="5000-5039", help="first-last (inclusive)")
    parser.add_argument("--schedule", choices=["oracle", "detected"], default="oracle")
    parser.add_argument("--horizons", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--step", type=int, default=14)
    args = parser.parse_args()
    seeds = _seeds(args.seeds)
    schedule: ScheduleSource = args.schedule
    forecast_config = ForecastConfig()
    print(f"seeds {seeds.start}-{seeds.stop - 1}, schedule {schedule}, step {args.step} days")
    print("forecast config:", json.dumps(asdict(forecast_config)))
    header = (
        "| horizon | households | origins | excluded | rel. MASE median | rel. MASE pooled "
        "| beat naive | balance MAE ratio | end error ratio | median end error | 80% coverage "
        "| seconds |"
    )
    print(header)
    print("|---:" * 12 + "|")
    for horizon in args.horizons:
        config = BacktestConfig(horizon=horizon, step_days=args.step, schedule=schedule)
        started = time.perf_counter()
        s = run_backtest(seeds, config, forecast_config)
        seconds = time.perf_counter() - started
        print(
            f"| {horizon} | {s.households} | {s.origins} | {s.excluded} "
            f"| {s.relative_mase_median:.3f} | {s.relative_mase_pooled:.3f} "
            f"| {s.households_beating_naive:.0%} | {s.balance_mae_ratio:.3f} "
            f"| {s.end_error_ratio:.3f} | {s.median_end_error:,.0f} | {s.coverage:.1%} "
            f"| {seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
