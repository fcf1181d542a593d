"""Evaluation of categorizers: metrics, calibration, and honest splits from synthetic households.

Metrics (``score``): accuracy of the top guess over all rows (an uncategorized answer counts as
wrong), macro-F1 over the categories present in the truth, coverage (rows whose confidence
reaches the threshold), accuracy on the covered rows, a reliability curve (equal-width
confidence bins: mean confidence, accuracy, count) and the expected calibration error.

Splits (``build_splits``), all trained on the same rows, the first ``train_months`` months of
``train_households`` households drawn with ``merchants="train"`` and ``templates="train"``:

``later_months``
    The remaining months of those same households (a known household, later on).
``unseen_merchants``
    Fresh households with ``merchants="heldout"``; only rows of held-out merchants are kept
    (their bills and income may come from any merchant), which no training household has.
``unseen_unknown_brands``
    The rows of ``unseen_merchants`` whose payee ``known_merchants`` does not name: invented
    names with no hint, the hardest case (and a check that the brand list is not all that
    carries ``unseen_merchants``).
``unseen_spellings``
    Fresh households with ``templates="heldout"``: known merchants printed by bank-string
    layouts never seen in training.
``new_households``
    Fresh households (different persona seeds), everything drawn from the full catalogue.

One household in ``preset_every`` uses a named persona preset (including the UK renter, in
pounds, with UK bank strings), the others ``random_persona``. Only generation touches the synth
package; metrics are pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from budgetlm.categorize.records import TransactionText

if TYPE_CHECKING:
    from budgetlm.ledger.synth import Pool

Guess = tuple[str | None, float]
"""A categorizer's answer for one row: category (None = uncategorized) and confidence."""


class Scorer(Protocol):
    """What evaluation needs from a categorizer."""

    @property
    def threshold(self) -> float:
        """Confidence at or above which a guess is given as the category."""
        ...

    def predict(self, texts: Sequence[TransactionText]) -> Sequence[Guess]:
        """A guess per row."""
        ...


Trainer = Callable[[Sequence[TransactionText], Sequence[str]], Scorer]
"""Builds a scorer from labelled rows."""


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin of a reliability curve."""

    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True)
class Metrics:
    """How one categorizer did on one test set."""

    n: int
    accuracy: float
    macro_f1: float
    threshold: float
    coverage: float
    covered_accuracy: float
    ece: float
    reliability: tuple[ReliabilityBin, ...]


def score(
    guesses: Sequence[Guess], truth: Sequence[str], threshold: float, bins: int = 10
) -> Metrics:
    """Metrics of ``guesses`` against ``truth`` (see the module docstring).

    Args:
        guesses: (category or None, confidence) per row.
        truth: True category per row.
        threshold: Confidence at or above which a guess counts as covered.
        bins: Number of equal-width reliability bins over [0, 1].

    Returns:
        The metrics; on zero rows every rate is NaN.
    """
    from sklearn.metrics import f1_score

    if len(guesses) != len(truth):
        raise ValueError(f"{len(guesses)} guesses for {len(truth)} rows")
    predicted = np.array(["\0none" if g is None else g for g, _ in guesses], dtype=object)
    confidence = np.array([c for _, c in guesses], dtype=np.float64)
    actual = np.array(truth, dtype=object)
    if len(actual) == 0:
        nan = float("nan")
        return Metrics(0, nan, nan, threshold, nan, nan, nan, ())
    correct = predicted == actual
    covered = (confidence >= threshold) & (predicted != "\0none")
    labels = sorted(set(truth))
    f1 = f1_score(actual, predicted, labels=labels, average="macro", zero_division=0)
    curve = reliability(confidence, correct, bins)
    return Metrics(
        n=len(actual),
        accuracy=float(correct.mean()),
        macro_f1=float(f1),
        threshold=threshold,
        coverage=float(covered.mean()),
        covered_accuracy=float(correct[covered].mean()) if covered.any() else float("nan"),
        ece=expected_calibration_error(curve),
        reliability=curve,
    )


def reliability(
    confidence: np.ndarray[Any, np.dtype[np.float64]],
    correct: np.ndarray[Any, np.dtype[np.bool_]],
    bins: int = 10,
) -> tuple[ReliabilityBin, ...]:
    """Equal-width confidence bins (the last one closed at 1.0) with their accuracy; empty bins
    are left out."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        members = which == b
        if members.any():
            out.append(
                ReliabilityBin(
                    float(edges[b]),
                    float(edges[b + 1]),
                    int(members.sum()),
                    float(confidence[members].mean()),
                    float(correct[members].mean()),
                )
            )
    return tuple(out)


def expected_calibration_error(curve: Sequence[ReliabilityBin]) -> float:
    """Count-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(b.count for b in curve)
    if total == 0:
        return float("nan")
    return sum(b.count * abs(b.mean_confidence - b.accuracy) for b in curve) / total


# -- splits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitConfig:
    """Which synthetic households the splits are made of."""

    train_households: int = 60
    """Households whose first months are the training rows."""
    test_households: int = 15
    """Fresh households per test split."""
    months: int = 12
    """Months generated per household."""
    train_months: int = 9
    """Leading months of each training household used for training."""
    seed: int = 0
    """Base of all persona and generation seeds (splits never share a seed)."""
    preset_every: int = 4
    """Every n-th household uses a named persona preset instead of a sampled one."""
    end: date | None = None
    """Last generated day (default: the generator's fixed ``DEFAULT_END``)."""


@dataclass(frozen=True)
class Labelled:
    """Rows with their categories."""

    texts: tuple[TransactionText, ...]
    labels: tuple[str, ...]
    groups: tuple[str, ...] = ()
    """Household of each row (used to keep households together in folds)."""


@dataclass(frozen=True)
class Split:
    """A named train/test pair."""

    name: str
    description: str
    train: Labelled
    test: Labelled


def build_splits(config: SplitConfig | None = None) -> dict[str, Split]:
    """The evaluation splits described in the module docstring."""
    from budgetlm.ledger.synth import merchant_split

    cfg = config or SplitConfig()
    base = 1_000_000 + cfg.seed * 10_000
    pool = _households(cfg, base, cfg.train_households, "train", "train")
    train, later = _by_month(pool, cfg.train_months)
    merchants = _households(cfg, base + 2000, cfg.test_households, "heldout", "train")
    unseen = _only(merchants, lambda merchant: merchant_split(merchant) == "heldout")
    spellings = _households(cfg, base + 4000, cfg.test_households, "train", "heldout")
    fresh = _households(cfg, base + 6000, cfg.test_households, "all", "all")
    return {
        "later_months": Split("later_months", "later months, known households", train, later),
        "unseen_merchants": Split(
            "unseen_merchants", "merchants never seen in training", train, unseen
        ),
        "unseen_unknown_brands": Split(
            "unseen_unknown_brands", "unseen merchants the known-brand list does not name",
            train, _without_known_brands(unseen),
        ),
        "unseen_spellings": Split(
            "unseen_spellings", "bank-string layouts never seen in training", train,
            _only(spellings, lambda _: True),
        ),
        "new_households": Split(
            "new_households", "households never seen in training", train,
            _only(fresh, lambda _: True),
        ),
    }  # fmt: skip


_Household = tuple[list[TransactionText], list[str], list[str], date, str]
"""texts, categories, merchant ids, first day, group name."""


def household_rows(
    seed: int, preset_every: int, months: int, merchants: Pool, templates: Pool, end: date | None
) -> tuple[list[TransactionText], list[str], list[str], date]:
    """One generated household as (texts, categories, merchant ids, start date).

    Texts carry the account *type* (``checking``, ``credit_card``…) as ``account``, which is
    what an importer knows about any bank's account.
    """
    from budgetlm.ledger.synth import PERSONAS, generate_household, random_persona

    presets = sorted(PERSONAS)
    persona = (
        PERSONAS[presets[(seed // preset_every) % len(presets)]]
        if preset_every and seed % preset_every == 0
        else random_persona(seed)
    )
    household = generate_household(
        persona, months=months, seed=seed, end=end, merchants=merchants, templates=templates
    )
    kinds = {a.name: a.account_type for a in household.accounts}
    txs = household.transactions
    texts = [TransactionText(t.description, t.amount, t.date, kinds[t.account]) for t in txs]
    return texts, [t.category for t in txs], [t.merchant_id for t in txs], household.start


def _households(
    cfg: SplitConfig, first_seed: int, count: int, merchants: Pool, templates: Pool
) -> list[_Household]:
    out = []
    for seed in range(first_seed, first_seed + count):
        texts, labels, ids, start = household_rows(
            seed, cfg.preset_every, cfg.months, merchants, templates, cfg.end
        )
        out.append((texts, labels, ids, start, f"household-{seed}"))
    return out


def _by_month(pool: Sequence[_Household], months: int) -> tuple[Labelled, Labelled]:
    """Rows before / from ``months`` after each household's start."""
    train: list[tuple[TransactionText, str, str]] = []
    later: list[tuple[TransactionText, str, str]] = []
    for texts, labels, _, start, group in pool:
        cut = _add_months(start, months)
        for text, label in zip(texts, labels, strict=True):
            (train if text.date < cut else later).append((text, label, group))
    return _labelled(train), _labelled(later)


def _only(
    households: Sequence[_Household],
    keep: Callable[[str], bool],
) -> Labelled:
    rows = [
        (text, label, group)
        for texts, labels, ids, _, group in households
        for text, label, merchant in zip(texts, labels, ids, strict=True)
        if keep(merchant)
    ]
    return _labelled(rows)


def _without_known_brands(data: Labelled) -> Labelled:
    from budgetlm.categorize.known_merchants import known_category
    from budgetlm.categorize.normalize import normalize_payee

    def unknown(text: TransactionText) -> bool:  # as the featurizer looks it up
        return known_category(normalize_payee(text.description) or text.description) is None

    rows = zip(data.texts, data.labels, data.groups, strict=True)
    return _labelled([row for row in rows if unknown(row[0])])


def _labelled(rows: Sequence[tuple[TransactionText, str, str]]) -> Labelled:
    return Labelled(tuple(r[0] for r in rows), tuple(r[1] for r in rows), tuple(r[2] for r in rows))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# -- running --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics per split and method; ``to_dict`` gives plain JSON."""

    splits: Mapping[str, Mapping[str, Metrics]]
    """split name -> method name -> metrics."""
    sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """split name -> (training rows, test rows)."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """The split config used."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "config": dict(self.config),
            "sizes": {k: list(v) for k, v in self.sizes.items()},
            "splits": {
                s: {m: asdict(metrics) for m, metrics in methods.items()}
                for s, methods in self.splits.items()
            },
        }


def run_evaluation(
    splits: Mapping[str, Split],
    methods: Mapping[str, Trainer],
    config: SplitConfig | None = None,
) -> EvaluationReport:
    """Train every method once per distinct training set and score it on every split.

    Args:
        splits: From ``build_splits``.
        methods: Method name -> trainer (e.g. ``lambda x, y: CategoryModel.train(x, y)``).
        config: The split config, recorded in the report.

    Returns:
        The report.
    """
    trained: dict[tuple[str, int], Scorer] = {}
    results: dict[str, dict[str, Metrics]] = {}
    for name, split in splits.items():
        results[name] = {}
        for method, trainer in methods.items():
            key = (method, id(split.train))
            if key not in trained:
                trained[key] = trainer(split.train.texts, split.train.labels)
            scorer = trained[key]
            guesses = scorer.predict(split.test.texts)
            results[name][method] = score(guesses, split.test.labels, scorer.threshold)
    sizes = {n: (len(s.train.texts), len(s.test.texts)) for n, s in splits.items()}
    return EvaluationReport(results, sizes, asdict(config) if config else {})
