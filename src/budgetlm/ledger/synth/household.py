"""The records a synthetic household is made of: accounts, labelled transactions and plans.

Every transaction carries its ground truth (clean merchant, category, which template printed the
bank string, recurring series, anomaly, transfer pairing, refund), so models trained on the data
can be scored honestly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from budgetlm.ledger.records import AccountType

if TYPE_CHECKING:
    from budgetlm.ledger.synth.personas import Persona

Cadence = Literal[
    "weekly",
    "biweekly",
    "semimonthly",
    "monthly",
    "bimonthly",
    "quarterly",
    "semiannual",
    "annual",
    "irregular",
]
"""How often a recurring series pays."""

ShiftRule = Literal["none", "next", "previous"]
"""What happens when a due date falls on a weekend or bank holiday: nothing (card charges post
any day), move to the next business day (ACH bills), or to the previous one (paychecks)."""


@dataclass(frozen=True, slots=True)
class SynthAccount:
    """One account of the household."""

    name: str
    """Account name, unique in the household (e.g. ``Checking``)."""
    account_type: AccountType
    """Kind of account."""
    currency: str
    """ISO 4217 currency code."""
    opening_balance: Decimal
    """Balance just before the first generated day (negative for money owed on a card)."""
    institution: str
    """Bank or card issuer."""


@dataclass(frozen=True, slots=True)
class SynthTransaction:
    """One generated transaction with its ground truth."""

    account: str
    """``SynthAccount.name`` of the account it posted to."""
    date: date
    """Posting date."""
    amount: Decimal
    """Signed amount, outflow negative, quantized to the currency's minor unit."""
    description: str
    """The raw bank string, as the account's bank prints it."""
    merchant: str
    """Ground-truth clean payee (the normalizer's target)."""
    merchant_id: str
    """Stable id of the merchant in the catalogue."""
    category: str
    """Ground-truth category name of the default taxonomy."""
    template_id: str
    """Bank-string template that produced ``description`` (``<family>.<n>``)."""
    recurring_series: str | None
    """Id shared by all payments of one recurring series, else None."""
    anomaly: bool
    """True for an injected unusual transaction."""
    transfer_id: str | None
    """Shared by both legs of a transfer between the household's own accounts."""
    is_refund: bool
    """True for a refund of an earlier purchase (positive amount, same merchant and category)."""


@dataclass(frozen=True, slots=True)
class SynthSeries:
    """Ground truth about one recurring series (bill, subscription, paycheck, transfer)."""

    id: str
    """The ``recurring_series`` value its transactions carry."""
    merchant_id: str
    """Merchant paid (or paying)."""
    category: str
    """Category of its transactions."""
    account: str
    """Account it posts to (the checking leg for transfers)."""
    cadence: Cadence
    """Nominal frequency."""
    shift: ShiftRule
    """Weekend and holiday rule applied to due dates."""
    rule: str
    """The due-date rule in words, e.g. ``day 31`` or ``every 14 days from 2025-11-07``."""
    jitter_days: int
    """Largest deviation from the rule (0 for exact schedules; manual payments drift)."""
    variable_amount: bool
    """True when amounts vary between payments (utilities, card payments, gig payouts)."""


@dataclass(frozen=True, slots=True)
class SynthBudget:
    """A monthly budget for one spending category."""

    category: str
    """Category name."""
    month: date
    """First day of the month budgeted."""
    amount: Decimal
    """Budgeted spend (positive)."""


@dataclass(frozen=True, slots=True)
class SynthGoal:
    """A savings goal."""

    name: str
    """What the money is for."""
    target: Decimal
    """Amount to reach."""
    target_date: date
    """When the household wants to reach it."""
    current: Decimal
    """Saved so far at the household's end date."""


@dataclass(frozen=True, slots=True)
class SynthDebt:
    """A debt with its terms; ``balance`` agrees with the payments in the ledger.

    Minimum payment rule: ``max(min_payment_floor, min_payment_percent * balance)``, or the whole
    balance when that is smaller. Installment loans have ``min_payment_percent`` 0 and their
    fixed payment as the floor.
    """

    name: str
    """Debt name, e.g. ``Credit Card`` or ``Car Loan``."""
    balance: Decimal
    """Amount owed at the household's end date (positive)."""
    apr: Decimal
    """Annual percentage rate as a fraction, e.g. ``Decimal("0.2199")``."""
    min_payment_percent: Decimal
    """Share of the statement balance due each month."""
    min_payment_floor: Decimal
    """Smallest minimum payment."""
    account: str | None
    """The ledger account holding it (credit cards), or None when only payments are visible."""


@dataclass(frozen=True, slots=True)
class Household:
    """A generated household: who they are, their accounts, transactions and plans."""

    persona: Persona
    """The persona it was generated from."""
    seed: int
    """Seed it was generated with."""
    start: date
    """First generated day (the first of a month)."""
    end: date
    """Last generated day."""
    accounts: tuple[SynthAccount, ...]
    """Accounts, checking first."""
    transactions: tuple[SynthTransaction, ...]
    """All transactions, sorted by date then account."""
    budgets: tuple[SynthBudget, ...]
    """Monthly budgets for the last months."""
    goals: tuple[SynthGoal, ...]
    """Savings goals."""
    debts: tuple[SynthDebt, ...]
    """Debts with balances at ``end``."""
    series: tuple[SynthSeries, ...] = ()
    """Recurring series present in ``transactions``."""
    city: str = ""
    """Home city printed in card strings."""
    state: str = ""
    """Home state (or ``ENG``) code."""
