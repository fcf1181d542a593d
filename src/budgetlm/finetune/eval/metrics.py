"""The scores of ``budgetlm eval model``: pure functions over predicted and expected values.

- :func:`token_f1`: SQuAD's answer F1. Both texts are normalized (lower case, punctuation and
  the articles *a*, *an*, *the* removed, whitespace collapsed), split on whitespace, and
  compared as bags of tokens: precision and recall of the overlap, then their harmonic mean.
- :func:`entity_scores`: micro-F1 of extracted entities per type (amounts, dates, merchants) and
  over all types, after normalization: amounts as :class:`~decimal.Decimal` to the cent, sign
  and currency dropped; dates as ISO ``YYYY-MM-DD`` from the usual spellings; merchants
  normalized as answers are. Each item's predicted and expected values are matched as bags.
- :func:`accuracy` and :func:`percentile`: the rest.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

ENTITY_TYPES = ("amounts", "dates", "merchants")
"""The entity types extraction scores, as the keys of the JSON the model writes."""

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_DATE_FORMATS = (
    "%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y",
    "%d %B %Y", "%d %b %Y", "%A, %B %d, %Y", "%Y/%m/%d",
)  # fmt: skip
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(predicted: str, expected: str) -> float:
    """SQuAD token-F1 of two answers (1.0 when both normalize to nothing, 0.0 when one does)."""
    pred, gold = normalize_answer(predicted).split(), normalize_answer(expected).split()
    if not pred or not gold:
        return float(pred == gold)
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def normalize_amount(text: str) -> str:
    """``"$1,234.5"`` -> ``"1234.50"``: digits to the cent, sign and currency dropped; text that
    holds no number comes back normalized as an answer (it can only match the same text)."""
    match = re.search(r"\d[\d,]*(?:\.\d+)?|\.\d+", text)
    if match is None:
        return normalize_answer(text)
    try:
        value = Decimal(match.group().replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        return normalize_answer(text)
    return str(value.quantize(Decimal("0.01")))


def normalize_date(text: str) -> str:
    """``"March 4th, 2026"``, ``"3/4/2026"``, ``"4 Mar 2026"`` -> ``"2026-03-04"`` (slashes are
    read month first); text in no known format comes back normalized as an answer."""
    cleaned = " ".join(_ORDINAL.sub(r"\1", text.strip().rstrip(".")).split())
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, layout).date().isoformat()
        except ValueError:
            continue
    return normalize_answer(text)


NORMALIZERS = {"amounts": normalize_amount, "dates": normalize_date, "merchants": normalize_answer}
"""How each entity type is normalized before matching."""


@dataclass(frozen=True)
class Counts:
    """Matches of one entity type, summed over items."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
        )

    @property
    def f1(self) -> float:
        """``2TP / (2TP + FP + FN)``; 1.0 when nothing was expected nor predicted."""
        wrong = self.false_positives + self.false_negatives
        return (
            1.0
            if self.true_positives + wrong == 0
            else (2 * self.true_positives / (2 * self.true_positives + wrong))
        )


def entity_counts(predicted: Iterable[str], expected: Iterable[str], kind: str) -> Counts:
    """Matches of one item's values of entity type ``kind``, normalized and compared as bags."""
    norm = NORMALIZERS[kind]
    pred, gold = Counter(norm(str(v)) for v in predicted), Counter(norm(str(v)) for v in expected)
    hits = sum((pred & gold).values())
    return Counts(hits, sum(pred.values()) - hits, sum(gold.values()) - hits)


def entity_scores(
    pairs: Iterable[tuple[Mapping[str, Sequence[str]], Mapping[str, Sequence[str]]]],
) -> dict[str, float]:
    """Micro-F1 per entity type (``f1_amounts`` ...) and over all types (``f1``).

    Args:
        pairs: (predicted, expected) per item, each a mapping of :data:`ENTITY_TYPES` to values;
            a missing type counts as no values.
    """
    totals = dict.fromkeys(ENTITY_TYPES, Counts())
    for predicted, expected in pairs:
        for kind in ENTITY_TYPES:
            totals[kind] += entity_counts(predicted.get(kind, ()), expected.get(kind, ()), kind)
    overall = sum(totals.values(), Counts())
    return {"f1": overall.f1, **{f"f1_{kind}": totals[kind].f1 for kind in ENTITY_TYPES}}


def accuracy(predicted: Sequence[str], expected: Sequence[str]) -> float | None:
    """Share of positions where the two agree exactly (None for none)."""
    if len(predicted) != len(expected):
        raise ValueError(f"{len(predicted)} predictions for {len(expected)} items")
    if not expected:
        return None
    return sum(p == e for p, e in zip(predicted, expected, strict=True)) / len(expected)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (nearest rank at or below, as ``assistant.evaluate`` has it)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
