"""The layered categorizer: user rules, then the user's corrections, then the model.

1. A matching rule sets the category (confidence 1.0).
2. A merchant the user corrected before is categorized as they said (confidence 1.0); merchants
   are recognized by ``payee_key`` of the normalized payee, so other spellings count too.
3. The models, in order (the user's personal model, then the shipped one): the first whose
   calibrated probability reaches its own threshold decides.
4. Otherwise the transaction stays uncategorized and goes to the review list, keeping the first
   model's best guess as a suggestion. Never a wild guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from budgetlm.categorize.normalize import payee_key
from budgetlm.categorize.paused_gc import paused_gc
from budgetlm.categorize.records import Prediction, TransactionText
from budgetlm.categorize.rules import Rule, first_match, in_priority_order

DEFAULT_THRESHOLD = 0.6
"""Confidence below which a model guess is only a suggestion (the model may carry its own)."""


class Scorer(Protocol):
    """Anything that scores transactions: a category and its calibrated probability each."""

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str, float]]:
        """Best category and its probability for each of ``texts``."""
        ...


@dataclass(frozen=True)
class Categorizer:
    """Rules, corrections and models, applied in that order."""

    models: Sequence[tuple[Scorer, float]] = ()
    """Models with the confidence each needs to decide, tried in order."""
    rules: Sequence[Rule] = ()
    """The user's rules (any order; priorities decide)."""
    corrections: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """``payee_key`` -> category the user chose for that merchant."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", in_priority_order(self.rules))

    @classmethod
    def with_model(cls, model: Scorer, threshold: float = DEFAULT_THRESHOLD) -> Categorizer:
        """A categorizer that only asks ``model``."""
        return cls(models=[(model, threshold)])

    def categorize(self, texts: Sequence[TransactionText]) -> list[Prediction]:
        """A prediction for each of ``texts``, in order.

        Rows without a payee are normalized where a layer needs it; ``normalize_payee`` caches
        recent lines, so the layers share the work.
        """
        with paused_gc():
            return self._categorize(texts)

    def _categorize(self, texts: Sequence[TransactionText]) -> list[Prediction]:
        decided: list[Prediction | None] = (
            [self._by_user(t) for t in texts]
            if self.rules or self.corrections
            else [None] * len(texts)
        )
        suggestions: dict[int, Prediction] = {}
        for model, threshold in self.models:
            undecided = [i for i, p in enumerate(decided) if p is None]
            if not undecided:
                break
            rows = texts if len(undecided) == len(texts) else [texts[i] for i in undecided]
            guesses = model.predict(rows)
            for i, (category, confidence) in zip(undecided, guesses, strict=True):
                if confidence >= threshold:
                    decided[i] = Prediction(category, confidence, "model", category)
                else:
                    suggestions.setdefault(i, Prediction(None, confidence, "none", category))
        empty = Prediction(None, 0.0, "none", None)
        return [p or suggestions.get(i, empty) for i, p in enumerate(decided)]

    def _by_user(self, text: TransactionText) -> Prediction | None:
        rule = first_match(self.rules, text)
        if rule is not None:
            return Prediction(rule.category, 1.0, "rule", rule.category)
        if not self.corrections:  # the key costs a second normalization: skip it when unused
            return None
        corrected = self.corrections.get(payee_key(text.description))
        if corrected is not None:
            return Prediction(corrected, 1.0, "correction", corrected)
        return None
