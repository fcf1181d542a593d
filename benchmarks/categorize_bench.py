"""Category model vs beancount smart_importer's approach vs keyword rules, on the same splits.

    python benchmarks/categorize_bench.py [--train-households 60] [--test-households 15]

Prints, per split (later months of known households, merchants never seen in training and
those of them that no known brand names, bank-string layouts never seen, new households):
accuracy, macro-F1, coverage at the threshold, accuracy on covered rows and ECE for our model
trained on the split's training rows, smart_importer's approach, keyword rules and the shipped
default model, with our difference to smart_importer. Then speed: batch throughput on the same
50k rows (the model alone and the whole layered categorizer), single-transaction latency
(in-process, 1000 calls), training time on 10k labelled rows, and the shipped model's size.
Timings are medians of ``--repeats`` runs. Default sizes take a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from budgetlm.categorize.baselines import SmartImporterBaseline, comparison_methods
from budgetlm.categorize.categorizer import Categorizer
from budgetlm.categorize.evaluate import (
    EvaluationReport,
    SplitConfig,
    build_splits,
    household_rows,
    run_evaluation,
)
from budgetlm.categorize.known_merchants import known_category
from budgetlm.categorize.model import CategoryModel
from budgetlm.categorize.normalize import clear_caches, normalize_payee
from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.train_default import DEFAULT_DIR

METHODS = ("ours", "smart_importer", "keywords", "shipped")
METRICS = (
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("coverage", "coverage@thr"),
    ("covered_accuracy", "acc. on covered"),
    ("ece", "ECE"),
)


def machine() -> str:
    """One line about where this ran."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, sklearn {sklearn.__version__}"
    )


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_quality(report: EvaluationReport) -> None:
    """One table per split, methods side by side."""
    for split, methods in report.splits.items():
        n_train, n_test = report.sizes[split]
        print(f"\n## {split}  (train {n_train} rows, test {n_test} rows)")
        header = f"{'metric':<16}" + "".join(f"{m:>15}" for m in METHODS)
        print(header + f"{'ours-SI':>10}{'ours/SI':>9}")
        for key, label in METRICS:
            values = [getattr(methods[m], key) for m in METHODS]
            ours, si = values[0], values[1]
            ratio = ours / si if si else float("nan")
            cells = "".join(f"{v:>15.4f}" for v in values)
            print(f"{label:<16}{cells}{ours - si:>+10.4f}{ratio:>9.3f}")
        thresholds = "  ".join(f"{m}={methods[m].threshold:.3f}" for m in METHODS)
        print(f"thresholds: {thresholds}")


def speed_rows(n: int, seed: int) -> tuple[list[TransactionText], list[str]]:
    """At least ``n`` rows from fresh households (full catalogue), cut to ``n``."""
    texts: list[TransactionText] = []
    labels: list[str] = []
    while len(texts) < n:
        rows, categories, _, _ = household_rows(seed, 4, 12, "all", "all", None)
        texts += rows
        labels += categories
        seed += 1
    return texts[:n], labels[:n]


def timed_batches(
    predict: Callable[[list[TransactionText]], object], batches: Sequence[list[TransactionText]]
) -> float:
    """Median rows/s of ``predict`` over ``batches``, every cache emptied before each."""
    times = []
    for batch in batches:
        clear_caches()
        known_category.cache_clear()
        start = time.perf_counter()
        predict(batch)
        times.append(time.perf_counter() - start)
    return len(batches[0]) / statistics.median(times)


def speed(repeats: int, batch_size: int, train_size: int) -> dict[str, float]:
    """Throughput, latency and training time figures.

    Every timed batch is a different set of fresh households and starts with empty caches, as
    a new import does.
    """
    train_x, train_y = speed_rows(train_size, 9_000_000)
    batches = [speed_rows(batch_size, 9_100_000 + 1000 * r)[0] for r in range(5 * repeats + 1)]
    out: dict[str, float] = {}
    out["train_ours_s"] = median_time(lambda: CategoryModel.train(train_x, train_y), repeats)
    out["train_si_s"] = median_time(lambda: SmartImporterBaseline.train(train_x, train_y), repeats)
    ours = CategoryModel.train(train_x, train_y)
    si = SmartImporterBaseline.train(train_x, train_y)
    fresh = iter(batches)
    out["batch_ours"] = timed_batches(ours.predict, [next(fresh) for _ in range(repeats)])
    out["batch_si"] = timed_batches(si.predict, [next(fresh) for _ in range(repeats)])
    layered = Categorizer.with_model(ours, ours.threshold)
    out["batch_categorizer"] = timed_batches(
        layered.categorize, [next(fresh) for _ in range(repeats)]
    )
    out["normalize_only"] = timed_batches(
        lambda b: [normalize_payee(t.description) for t in b], [next(fresh) for _ in range(repeats)]
    )
    given = [[replace(t, payee=normalize_payee(t.description)) for t in next(fresh)]
             for _ in range(repeats)]  # fmt: skip
    out["batch_ours_payee_given"] = timed_batches(ours.predict, given)
    latencies = []
    for text in next(fresh)[:1000]:
        start = time.perf_counter()
        ours.predict([text])
        latencies.append(time.perf_counter() - start)
    out["latency_p50_ms"] = float(np.percentile(latencies, 50) * 1e3)
    out["latency_p99_ms"] = float(np.percentile(latencies, 99) * 1e3)
    out["shipped_size_mb"] = sum(p.stat().st_size for p in DEFAULT_DIR.iterdir()) / 1e6
    return out


def print_speed(figures: dict[str, float], batch_size: int, train_size: int) -> None:
    """The speed table."""
    rows: Sequence[tuple[str, str, str]] = [
        (f"batch of {batch_size}, payee normalized inside (tx/s)", "batch_ours", "batch_si"),
        ("batch, payees already normalized (tx/s)", "batch_ours_payee_given", "batch_si"),
        ("batch, whole Categorizer from raw lines (tx/s)", "batch_categorizer", "batch_si"),
        ("normalize_payee alone, cold (rows/s)", "normalize_only", ""),
        (f"training, {train_size} rows (s)", "train_ours_s", "train_si_s"),
        ("single row p50 (ms)", "latency_p50_ms", ""),
        ("single row p99 (ms)", "latency_p99_ms", ""),
        ("shipped model size (MB)", "shipped_size_mb", ""),
    ]
    print(f"\n## speed\n{'measure':<48}{'ours':>12}{'smart_imp.':>12}{'ratio':>8}")
    for label, ours_key, si_key in rows:
        ours = figures[ours_key]
        if si_key:
            si = figures[si_key]
            print(f"{label:<48}{ours:>12,.2f}{si:>12,.2f}{ours / si:>8.2f}")
        else:
            print(f"{label:<48}{ours:>12,.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-households", type=int, default=60)
    parser.add_argument("--test-households", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--train-rows", type=int, default=10_000)
    parser.add_argument("--speed-only", action="store_true", help="skip the quality tables")
    parser.add_argument("--json", type=Path, help="also write all results here")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    result: dict[str, Any] = {"machine": machine()}
    if not args.speed_only:
        config = SplitConfig(
            train_households=args.train_households, test_households=args.test_households
        )
        start = time.perf_counter()
        report = run_evaluation(build_splits(config), comparison_methods(), config)
        print(f"splits: {config}; built, trained and scored in {time.perf_counter() - start:.0f} s")
        print("shipped = the default model (trained on other households; every split is new)")
        print_quality(report)
        result["quality"] = report.to_dict()
    result["speed"] = speed(args.repeats, args.batch, args.train_rows)
    print_speed(result["speed"], args.batch, args.train_rows)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
