"""What the analytics engines read and the recurring-payment types they share.

The engines are pure: they take plain records, never the database, and "today" is always an
argument. ``analytics.history`` builds these records from a ledger workspace (the CLI) or from a
synthetic household (tests and evaluations, with ground truth beside them).

Sign convention as everywhere in budgetlm: outflows negative, inflows positive, money is
``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from budgetlm.ledger.taxonomy import CategoryGroup as CategoryGroup  # re-exported for engines

Cadence = Literal["weekly", "biweekly", "monthly", "bimonthly", "quarterly", "semiannual", "yearly"]
"""How often a recurring series repeats."""

Shift = Literal["none", "next", "previous"]
"""Where a payment due on a weekend posts: that day, the next business day, or the one before."""

CADENCE_DAYS: dict[Cadence, float] = {
    "weekly": 7.0,
    "biweekly": 14.0,
    "monthly": 365.25 / 12,
    "bimonthly": 365.25 / 6,
    "quarterly": 365.25 / 4,
    "semiannual": 365.25 / 2,
    "yearly": 365.25,
}
"""Nominal period of each cadence in days."""


@dataclass(frozen=True, slots=True)
class Txn:
    """One transaction as the engines see it."""

    id: str
    """Stable id (the ledger's row id as text, or a synthetic index)."""
    date: date
    """Posting date."""
    amount: Decimal
    """Signed amount, outflow negative."""
    payee: str
    """Normalized payee (the description when no payee is known)."""
    account: str
    """Account name."""
    category: str | None = None
    """Category name, None when uncategorized."""
    group: CategoryGroup | None = None
    """The category's group, None when uncategorized."""
    description: str = ""
    """Raw bank description."""

    @property
    def is_transfer(self) -> bool:
        """Money moving between the household's own accounts (or to savings/debt principal):
        neither income nor spending."""
        return self.group in ("transfer", "savings")

    @property
    def is_spending(self) -> bool:
        """An outflow of a need or want category, or an uncategorized outflow."""
        return self.amount < 0 and self.group in ("need", "want", None)


@dataclass(frozen=True, slots=True)
class Account:
    """An account with its balance."""

    name: str
    """Account name."""
    account_type: str
    """``checking``, ``savings``, ``credit_card``, ``loan``…"""
    balance: Decimal
    """Balance at the end of the history (opening balance plus every transaction)."""


@dataclass(frozen=True, slots=True)
class RecurringSeries:
    """A recurring payment or deposit found in the history (``analytics.recurring``)."""

    id: str
    """Stable id within one detection run (payee, account and cadence)."""
    payee: str
    """Who is paid (or pays)."""
    category: str | None
    """Most common category of its transactions."""
    account: str
    """Account it posts to."""
    cadence: Cadence
    """How often it repeats."""
    typical_amount: Decimal
    """Current typical amount (signed; after a price change, the new price)."""
    last_date: date
    """Date of its latest payment."""
    last_amount: Decimal
    """Amount of its latest payment."""
    next_date: date
    """Next expected date (after ``last_date``; weekend shift and month-end clamping applied)."""
    next_amount: Decimal
    """Expected amount of the next payment."""
    confidence: float
    """How sure the detector is that this is a real series, in [0, 1]."""
    transaction_ids: tuple[str, ...]
    """The ``Txn.id`` of each member payment, oldest first."""
    previous_amount: Decimal | None = None
    """Typical amount before the latest price change, None when the price never changed."""
    price_changed_on: date | None = None
    """Date of the first payment at the current price, when it changed."""
    anchor: int | None = None
    """The due-date rule: day of the month (1-31; 31 means the last day, so it clamps) for
    monthly, quarterly and yearly series; for weekly and biweekly ones the phase, i.e. a due
    date's ``toordinal()`` modulo 7 or 14 (0 is a valid phase). None when unknown (then
    ``next_date`` alone anchors)."""
    shift: Shift = "none"
    """Where a due date on a weekend posts (see ``Shift``)."""


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    """One future payment of a recurring series."""

    date: date
    """Expected posting date."""
    amount: Decimal
    """Expected amount (signed)."""
    series_id: str
    """``RecurringSeries.id`` it belongs to."""
    payee: str
    """Payee, for display."""
    category: str | None
    """Category, for display."""
