"""Recurring-series detection against the generator's ground truth, on new households.

Each household is generated for ``--months`` months ending on the generator's default end date;
its persona is the preset ``sorted(PERSONAS)[(seed // 4) % n]`` when ``seed % 4 == 0`` and
``random_persona(seed)`` otherwise (as ``categorize.evaluate.household_rows``). Detection runs
on the whole history with ``today`` = the household's last day and ``include_ended=True`` (the
ground truth labels cancelled subscriptions too); ``active`` rows use the default config.

    python benchmarks/recurring_eval.py --seeds 5000-5039 --months 18

Series level
    A detected series matches the true series that holds most (over half) of its payments.
    precision = matched detected / detected; recall = true series matched by at least one
    detected series / true series with at least two payments in the history (one payment is not
    a series to anyone); ``recall (all)`` counts every true series.
Transaction level
    A payment is predicted recurring when it belongs to a detected series; scored against
    ``SynthTransaction.recurring_series is not None`` over every transaction.

Tuning used seeds 100-199 only; the evaluation seeds were never used for tuning.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from budgetlm.analytics.history import from_household
from budgetlm.analytics.recurring import RecurringConfig, find_recurring
from budgetlm.ledger.synth import PERSONAS, Household, generate_household, random_persona


@dataclass
class Counts:
    """Tallies over households."""

    detected: int = 0
    detected_matched: int = 0
    true_series: int = 0
    true_matched: int = 0
    true_all: int = 0
    txn_tp: int = 0
    txn_fp: int = 0
    txn_fn: int = 0

    def add(self, other: Counts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def household(seed: int, months: int) -> Household:
    """The evaluation household for ``seed`` (preset persona every fourth seed)."""
    presets = sorted(PERSONAS)
    persona = (
        PERSONAS[presets[(seed // 4) % len(presets)]] if seed % 4 == 0 else random_persona(seed)
    )
    return generate_household(persona, months=months, seed=seed)


def score_household(h: Household, config: RecurringConfig) -> tuple[Counts, Counter[str]]:
    """Counts for one household and the true cadences that were missed."""
    truth = [t.recurring_series for t in h.transactions]
    found = find_recurring(from_household(h).transactions, h.end, config)
    counts = Counts(detected=len(found))
    sizes = Counter(s for s in truth if s)
    matched: set[str] = set()
    predicted: set[int] = set()
    for series in found:
        ids = [int(i) for i in series.transaction_ids]
        predicted.update(ids)
        top, votes = Counter(truth[i] for i in ids).most_common(1)[0]
        if top is not None and votes * 2 > len(ids):
            counts.detected_matched += 1
            matched.add(top)
    counts.true_all = len(sizes)
    counts.true_series = sum(1 for n in sizes.values() if n >= 2)
    counts.true_matched = sum(1 for s in matched if sizes[s] >= 2)
    counts.txn_tp = sum(1 for i in predicted if truth[i])
    counts.txn_fp = len(predicted) - counts.txn_tp
    counts.txn_fn = sum(1 for i, s in enumerate(truth) if s and i not in predicted)
    cadences = {s.id: s.cadence for s in h.series}
    missed = Counter[str](cadences[s] for s, n in sizes.items() if n >= 2 and s not in matched)
    return counts, missed


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def metrics(counts: Counts) -> dict[str, float]:
    """Series- and transaction-level precision, recall and F1."""
    sp = counts.detected_matched / max(counts.detected, 1)
    sr = counts.true_matched / max(counts.true_series, 1)
    tp = counts.txn_tp / max(counts.txn_tp + counts.txn_fp, 1)
    tr = counts.txn_tp / max(counts.txn_tp + counts.txn_fn, 1)
    return {
        "series precision": sp,
        "series recall": sr,
        "series F1": _f1(sp, sr),
        "series recall (all)": counts.true_matched / max(counts.true_all, 1),
        "txn precision": tp,
        "txn recall": tr,
        "txn F1": _f1(tp, tr),
    }


def evaluate_recurring(
    households: Iterable[Household], config: RecurringConfig | None = None
) -> tuple[dict[str, float], list[float], Counter[str]]:
    """Pooled metrics, per-household series F1 and missed true cadences."""
    cfg = config or RecurringConfig(include_ended=True)
    total, missed, per_household = Counts(), Counter[str](), []
    for h in households:
        counts, gone = score_household(h, cfg)
        total.add(counts)
        missed.update(gone)
        m = metrics(counts)
        per_household.append(m["series F1"])
    return metrics(total), per_household, missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="5000-5039", help="first-last, inclusive")
    parser.add_argument("--months", type=int, default=18)
    args = parser.parse_args()
    first, last = (int(x) for x in args.seeds.split("-"))
    started = time.perf_counter()
    households = [household(s, args.months) for s in range(first, last + 1)]
    generated = time.perf_counter()
    history_cfg = RecurringConfig(include_ended=True)
    rows = {"history": evaluate_recurring(households, history_cfg)}
    detected = time.perf_counter()
    rows["active"] = evaluate_recurring(households, replace(history_cfg, include_ended=False))
    print(f"seeds {args.seeds}, {args.months} months, {len(households)} households")
    print(f"{'metric':<22}" + "".join(f"{name:>10}" for name in rows))
    for metric in rows["history"][0]:
        print(f"{metric:<22}" + "".join(f"{rows[n][0][metric]:>10.4f}" for n in rows))
    print(
        f"{'median household F1':<22}"
        + "".join(f"{statistics.median(rows[n][1]):>10.4f}" for n in rows)
    )
    print("missed true series by cadence (history):", dict(rows["history"][2]))
    per = (detected - generated) / len(households)
    print(f"generation {generated - started:.1f} s; detection {per:.3f} s per household")


if __name__ == "__main__":
    main()
