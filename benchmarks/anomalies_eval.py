"""Unusual-spending flags against the anomalies injected into synthetic households.

    python benchmarks/anomalies_eval.py [--seeds 5000-5039] [--months 18] [--warmup 3]
                                        [--recurring detected|truth] [--by-kind]

A household's transactions are scored once, past-only, with ``find_anomalies``; transactions in
the first ``--warmup`` months are history only (not scored), because no rule may flag a
purchase before there is history to compare it with. Precision and recall are against
``SynthTransaction.anomaly`` (unusually large purchases, duplicate charges, bill shocks, charges
at unknown shops far from home), pooled over households, with the per-household medians.
Personas: every 4th seed a preset from ``sorted(PERSONAS)``, the others ``random_persona(seed)``.

Tune on seeds 100-199 only; the held-out "new households" are seeds 5000-5039.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from budgetlm.analytics.anomalies import AnomalyConfig, find_anomalies
from budgetlm.analytics.history import from_household
from budgetlm.analytics.records import RecurringSeries, Txn
from budgetlm.ledger.synth import PERSONAS, Household, generate_household, random_persona


def household(seed: int, months: int) -> Household:
    """The evaluation household of ``seed`` (a preset persona every 4th seed)."""
    presets = sorted(PERSONAS)
    persona = (
        PERSONAS[presets[(seed // 4) % len(presets)]] if seed % 4 == 0 else random_persona(seed)
    )
    return generate_household(persona, months=months, seed=seed)


def true_series(h: Household, txns: Sequence[Txn]) -> list[RecurringSeries]:
    """The generator's recurring series as ``RecurringSeries`` (an oracle detector)."""
    cadence = {s.id: s.cadence for s in h.series}
    members: dict[str, list[Txn]] = defaultdict(list)
    for t in txns:
        series = h.transactions[int(t.id)].recurring_series
        if series is not None:
            members[series].append(t)
    out = []
    for sid, ts in members.items():
        usual = Decimal(statistics.median(t.amount for t in ts))
        out.append(
            RecurringSeries(
                id=sid, payee=ts[0].payee, category=ts[0].category, account=ts[0].account,
                cadence=cadence.get(sid, "monthly"), typical_amount=usual,
                last_date=ts[-1].date, last_amount=ts[-1].amount, next_date=ts[-1].date,
                next_amount=usual, confidence=1.0, transaction_ids=tuple(t.id for t in ts),
            )
        )  # fmt: skip
    return out


def detected_series(txns: Sequence[Txn], today: date) -> list[RecurringSeries]:
    """Series found by ``analytics.recurring`` (what the CLI uses)."""
    from budgetlm.analytics.recurring import find_recurring

    return list(find_recurring(txns, today))


@dataclass
class Tally:
    """Counts over the scored transactions."""

    flagged: int = 0
    correct: int = 0
    injected: int = 0
    per_household: list[tuple[float, float]] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)
    false: Counter[str] = field(default_factory=Counter)
    engine_seconds: list[float] = field(default_factory=list)
    """``find_anomalies`` time per household (no generation, no series detection)."""

    @property
    def precision(self) -> float:
        return self.correct / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.injected if self.injected else 1.0


def evaluate(
    seeds: Sequence[int],
    *,
    months: int = 18,
    warmup_months: int = 3,
    recurring: str = "detected",
    config: AnomalyConfig | None = None,
) -> Tally:
    """Pooled precision and recall of the flags on the households of ``seeds``."""
    tally = Tally()
    config = config or AnomalyConfig(isolation=False)  # the forest's score never changes a flag
    for seed in seeds:
        h = household(seed, months)
        txns = from_household(h).transactions
        series = true_series(h, txns) if recurring == "truth" else detected_series(txns, h.end)
        first = _add_months(h.start, warmup_months)
        started = time.perf_counter()
        flags = find_anomalies(txns, h.end, recurring=series, config=config, since=first)
        tally.engine_seconds.append(time.perf_counter() - started)
        flagged = {f.transaction_id: f.kind for f in flags}
        truth = {t.id for t in txns if t.date >= first and h.transactions[int(t.id)].anomaly}
        correct = len(truth & flagged.keys())
        tally.flagged += len(flagged)
        tally.correct += correct
        tally.injected += len(truth)
        tally.per_household.append(
            (correct / len(flagged) if flagged else 1.0, correct / len(truth) if truth else 1.0)
        )
        tally.false.update(k for i, k in flagged.items() if i not in truth)
        tally.missed.update(h.transactions[int(i)].category for i in truth - flagged.keys())
    return tally


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="5000-5039")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--recurring", choices=("detected", "truth"), default="detected")
    parser.add_argument("--by-kind", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tally = evaluate(
        _seeds(args.seeds), months=args.months, warmup_months=args.warmup, recurring=args.recurring
    )
    seconds = time.perf_counter() - started
    precisions, recalls = zip(*tally.per_household, strict=True)
    print(
        f"seeds {args.seeds}, {args.months} months, warm-up {args.warmup}, {args.recurring} series"
    )
    print(f"{'':24}{'pooled':>8}{'median/household':>18}")
    print(f"{'precision':24}{tally.precision:8.3f}{statistics.median(precisions):18.3f}")
    print(f"{'recall':24}{tally.recall:8.3f}{statistics.median(recalls):18.3f}")
    print(f"flags {tally.flagged}, correct {tally.correct}, injected {tally.injected}")
    print(
        f"{seconds / len(tally.per_household):.2f} s per household in all, engine median "
        f"{statistics.median(tally.engine_seconds):.3f} s (IsolationForest off)"
    )
    if args.by_kind:
        print("false flags by kind:", dict(tally.false))
        print("missed by category:", dict(tally.missed.most_common(8)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
