"""What the categorizer reads and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

PredictionSource = Literal["rule", "correction", "model", "none"]
"""Which layer decided: a user rule, a user correction of the merchant, the model, or nobody."""


@dataclass(frozen=True, slots=True)
class TransactionText:
    """The parts of a transaction the categorizer may look at."""

    description: str
    """Raw description as the bank printed it."""
    amount: Decimal
    """Signed amount, outflow negative."""
    date: date
    """Posting date."""
    account: str | None = None
    """Account name (or type), when known."""
    payee: str | None = None
    """Normalized payee, when already known; computed from the description otherwise."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """The categorizer's answer for one transaction."""

    category: str | None
    """Category name, or None when no layer is confident enough (the row goes to review)."""
    confidence: float
    """Calibrated probability that ``best_guess`` is right (1.0 for rules and corrections)."""
    source: PredictionSource
    """Which layer decided."""
    best_guess: str | None
    """The most likely category even when below the threshold (shown in the review list)."""
