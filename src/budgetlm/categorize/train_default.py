"""Train the shipped default category model from synthetic households.

Reproduce (about 4 minutes on 2 cores; bit-for-bit deterministic for the same package
versions, since it trains with one worker)::

    python -m budgetlm.categorize.train_default

It generates ``DEFAULT_HOUSEHOLDS`` households (seeds ``0..n-1``; every 4th a named persona
preset, the rest ``random_persona``), 12 months each, with ``merchants="train"`` and
``templates="train"`` so the held-out merchants and bank-string layouts stay unseen for
evaluation, trains ``ModelConfig()`` and writes ``budgetlm/categorize/default_model/``
(``model.json`` + ``model.npz``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from budgetlm.categorize.evaluate import Labelled, household_rows
from budgetlm.categorize.model import CategoryModel, ModelConfig

DEFAULT_HOUSEHOLDS = 300
"""Households the shipped model is trained on."""

DEFAULT_MONTHS = 12
"""Months per household."""

PRESET_EVERY = 4
"""Every n-th household is a named persona preset (US and UK), the rest sampled."""

DEFAULT_DIR = Path(__file__).with_name("default_model")
"""Where the shipped model lives (package data)."""


def training_rows(households: int = DEFAULT_HOUSEHOLDS, first_seed: int = 0) -> Labelled:
    """Labelled rows of the default training households (train merchants and templates only).

    Args:
        households: How many households.
        first_seed: Seed of the first; the others follow.

    Returns:
        Texts and categories.
    """
    texts, labels = [], []
    for seed in range(first_seed, first_seed + households):
        rows, categories, _, _ = household_rows(
            seed, PRESET_EVERY, DEFAULT_MONTHS, "train", "train", None
        )
        texts += rows
        labels += categories
    return Labelled(tuple(texts), tuple(labels))


def train_default(
    households: int = DEFAULT_HOUSEHOLDS, config: ModelConfig | None = None
) -> CategoryModel:
    """Train the default model (pure apart from the synthetic generation it runs)."""
    data = training_rows(households)
    return CategoryModel.train(data.texts, data.labels, config or ModelConfig(), workers=1)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: train and write the default model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS)
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = training_rows(args.households)
    generated = time.perf_counter()
    model = CategoryModel.train(data.texts, data.labels, ModelConfig(), workers=1)
    trained = time.perf_counter()
    notes = {
        "trained_on": f"{args.households} synthetic households, seeds 0..{args.households - 1}, "
        f"{DEFAULT_MONTHS} months, merchants=train, templates=train",
        "rows": len(data.texts),
        "command": "python -m budgetlm.categorize.train_default",
    }
    model.save(args.out, notes=notes)
    size = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    print(
        f"{len(data.texts)} rows from {args.households} households "
        f"(generated in {generated - start:.1f} s), trained in {trained - generated:.1f} s; "
        f"T={model.calibration.temperature:.3f}, threshold={model.threshold:.3f}, "
        f"out-of-fold accuracy={model.calibration.oof_accuracy:.3f}; "
        f"wrote {args.out} ({size / 1e6:.2f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
