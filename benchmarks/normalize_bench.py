"""Merchant normalization quality and speed on synthetic households, train and held-out.

Each split generates households with ``merchants=split, templates=split`` (held-out merchant
names and held-out bank-string families never reach the train side); seeds 0..N-1, with
``random_persona(seed)`` except every tenth household, which is the UK preset (random personas
are all US). For every transaction the target is ``SynthTransaction.merchant``.

    python benchmarks/normalize_bench.py [--households 20] [--months 12] [--families]
        [--splits train heldout]

Columns
    exact       ``normalize_payee(description) == merchant``
    relaxed     equal after casefolding and dropping everything but letters and digits
    raw         the same relaxed match for the description as printed (the baseline)
    key purity  of merchants printed in more than one way, the share whose lines all share one
                ``payee_key``
    key coll.   share of keys that more than one merchant maps to (bank-entry names such as
                "Credit Card Payment" and "Transfer to Account" are excluded: the line does not
                say which card or account, so they collide by design; see ``sys coll.``)
    distinct lines/s  ``normalize_payee`` over the split's distinct lines, one core, cache emptied
                first (every line is new: the floor)
    ledger lines/s    the same over every line in ledger order (households repeat lines; the
                      function keeps the last 32k answers)

Targets (issue): >= 50k strings/s (goal 100k); report both splits.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable

from budgetlm.categorize.normalize import _normalize, normalize_payee, payee_key
from budgetlm.ledger.synth import SynthTransaction, generate_household, random_persona
from budgetlm.ledger.synth.bank_strings import Pool

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def relaxed(text: str) -> str:
    """Casefolded letters and digits only."""
    return _NON_ALNUM.sub("", text.casefold())


def transactions(split: Pool, households: int, months: int) -> list[SynthTransaction]:
    """Every transaction of ``households`` households drawn from ``split``."""
    out: list[SynthTransaction] = []
    for seed in range(households):
        persona = "uk_renter" if seed % 10 == 9 else random_persona(seed)
        household = generate_household(
            persona, months=months, seed=seed, merchants=split, templates=split
        )
        out.extend(household.transactions)
    return out


def key_quality(rows: Iterable[tuple[str, str, str]]) -> tuple[float, float, float, int]:
    """Purity, collision rate (merchants, then system payees) and merchants measured.

    Args:
        rows: ``(merchant_id, description, key)`` triples.
    """
    keys_of: dict[str, set[str]] = defaultdict(set)
    lines_of: dict[str, set[str]] = defaultdict(set)
    owners: dict[str, set[str]] = defaultdict(set)
    for merchant_id, description, key in rows:
        keys_of[merchant_id].add(key)
        lines_of[merchant_id].add(description)
        owners[key].add(merchant_id)
    varied = [m for m in keys_of if len(lines_of[m]) > 1]
    purity = sum(len(keys_of[m]) == 1 for m in varied) / max(1, len(varied))
    merchant_keys = [k for k, ms in owners.items() if not any(m.startswith("sys.") for m in ms)]
    system_keys = [k for k, ms in owners.items() if any(m.startswith("sys.") for m in ms)]
    collide = sum(len(owners[k]) > 1 for k in merchant_keys) / max(1, len(merchant_keys))
    sys_collide = sum(len(owners[k]) > 1 for k in system_keys) / max(1, len(system_keys))
    return purity, collide, sys_collide, len(varied)


def throughput(lines: list[str], repeats: int) -> float:
    """Median strings per second of ``normalize_payee`` over ``lines``, from an empty cache."""
    rates = []
    for _ in range(repeats):
        _normalize.cache_clear()
        start = time.perf_counter()
        for line in lines:
            normalize_payee(line)
        rates.append(len(lines) / (time.perf_counter() - start))
    return statistics.median(rates)


def measure(split: Pool, households: int, months: int, repeats: int, families: bool) -> str:
    """One table row for ``split`` (plus per-family rows when asked)."""
    txns = transactions(split, households, months)
    by_family: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    key_rows = []
    for txn in txns:
        payee = normalize_payee(txn.description)
        family = txn.template_id.rsplit(".", 1)[0]
        counts = by_family[family]
        counts[0] += 1
        counts[1] += payee == txn.merchant
        counts[2] += relaxed(payee) == relaxed(txn.merchant)
        counts[3] += relaxed(txn.description) == relaxed(txn.merchant)
        key_rows.append((txn.merchant_id, txn.description, payee_key(txn.description)))
    n, exact, rel, raw = (sum(c[i] for c in by_family.values()) for i in range(4))
    purity, collide, sys_collide, varied = key_quality(key_rows)
    distinct = throughput(sorted({t.description for t in txns}), repeats)
    ledger = throughput([t.description for t in txns], repeats)
    lines = [
        f"| {split} | {n:,} | {exact / n:.3f} | {rel / n:.3f} | {raw / n:.3f} | "
        f"{purity:.3f} ({varied:,}) | {collide:.4f} | {sys_collide:.2f} | {distinct:,.0f} | "
        f"{ledger:,.0f} |"
    ]
    if families:
        for family, c in sorted(by_family.items(), key=lambda kv: kv[1][2] / kv[1][0]):
            lines.append(
                f"| {split} · {family} | {c[0]:,} | {c[1] / c[0]:.3f} | {c[2] / c[0]:.3f} | "
                f"{c[3] / c[0]:.3f} | | | | | |"
            )
    return "\n".join(lines)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--households", type=int, default=20)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--families", action="store_true", help="add a row per template family")
    parser.add_argument(
        "--splits", nargs="+", default=["train", "heldout"], choices=["train", "heldout"]
    )
    args = parser.parse_args()
    print(
        "| split | n | exact | relaxed | raw (relaxed) | key purity (merchants) | key coll. "
        "| sys coll. | distinct lines/s | ledger lines/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for split in args.splits:
        print(measure(split, args.households, args.months, args.repeats, args.families))


if __name__ == "__main__":
    main()
