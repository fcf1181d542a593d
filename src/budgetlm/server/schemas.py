"""Request and response bodies of the budget API.

Money and rates travel as strings of exact decimals (``"-42.10"``, an APR as ``"0.2199"``),
never as JSON numbers, so no amount passes through a float; dates are ISO text. Requests forbid
unknown fields and bound every string and list. Responses mirror the analytics engines'
dataclasses field for field and are filled from them with ``from_dataclass``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from budgetlm.server.limits import MAX_CONVERSATION_MESSAGES, MAX_TEXT_CHARS

_DECIMAL_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,6})?$"


def _exact_text(value: object) -> object:
    """Amounts must come as text (or whole JSON numbers): a float has already lost cents."""
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f'{value!r} is not a decimal like "-42.10"') from None
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    raise ValueError('give amounts as strings of exact decimals, e.g. "-42.10"')


def _plain(value: Decimal) -> str:
    return format(value, "f")


Exact = Annotated[
    Decimal,
    PlainSerializer(_plain, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _DECIMAL_PATTERN, "examples": ["-42.10"]}),
]
"""An exact decimal in a response (money, rates), written as a string."""

MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_exact_text),
    Field(max_digits=18, decimal_places=4, allow_inf_nan=False),
    WithJsonSchema({"type": "string", "pattern": _DECIMAL_PATTERN, "examples": ["-42.10"]}),
]
"""An amount in a request: a string of an exact decimal, at most 4 decimal places."""

RateIn = Annotated[
    Decimal,
    BeforeValidator(_exact_text),
    Field(ge=0, le=1, decimal_places=6, allow_inf_nan=False),
    WithJsonSchema({"type": "string", "pattern": _DECIMAL_PATTERN, "examples": ["0.2199"]}),
]
"""A rate as a fraction (21.99% is ``"0.2199"``)."""

Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Month = Annotated[str, Field(pattern=r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
"""``YYYY-MM`` of the years 1000-2999 (year 0 is no date; 9999-12 has no next month)."""

Response = TypeVar("Response", bound=BaseModel)
Item = TypeVar("Item")


class Request(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body, filled from ORM rows or dataclasses by attribute."""

    model_config = ConfigDict(from_attributes=True)


def from_dataclass(model: type[Response], value: object) -> Response:
    """``model`` filled from the attributes (and properties) of ``value``."""
    return model.model_validate(value, from_attributes=True)


class Page(BaseModel, Generic[Item]):
    """One page of a listing; ``next_offset`` is None on the last page."""

    items: list[Item]
    offset: int
    limit: int
    next_offset: int | None


# --- Ledger --------------------------------------------------------------------------------------

AccountType = Literal["checking", "savings", "credit_card", "cash", "loan", "investment", "other"]
Group = Literal["need", "want", "savings", "income", "transfer"]


class AccountIn(Request):
    name: Name
    account_type: AccountType = "checking"
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] = "USD"
    institution: Annotated[str | None, Field(max_length=200)] = None
    opening_balance: MoneyIn = Decimal(0)


class AccountOut(Out):
    id: int
    name: str
    account_type: str
    currency: str
    institution: str | None
    number_mask: str | None
    opening_balance: Exact
    balance: Exact


class TransactionOut(BaseModel):
    id: int
    date: date
    account: str
    amount: Exact
    currency: str
    description: str
    payee: str | None
    category: str | None
    category_source: str | None
    category_confidence: float | None
    suggested_category: str | None
    notes: str | None


class CategoryIn(Request):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    group: Group = "want"


class CategoryOut(Out):
    id: int
    name: str
    group: str
    plaid_code: str | None
    is_default: bool


class BudgetSet(Request):
    category: Annotated[str, Field(min_length=1, max_length=100)]
    amount: MoneyIn


class BudgetsIn(Request):
    lines: Annotated[list[BudgetSet], Field(min_length=1, max_length=200)]


class BudgetLineOut(Out):
    category: str
    month: date
    budgeted: Exact
    spent: Exact
    remaining: Exact


class GoalIn(Request):
    name: Name
    target: MoneyIn
    target_date: date
    current: MoneyIn = Decimal(0)


class GoalOut(Out):
    id: int
    name: str
    target: Exact
    target_date: date
    current: Exact


class DebtIn(Request):
    name: Name
    balance: MoneyIn
    apr: RateIn
    min_payment_percent: RateIn = Decimal("0.02")
    min_payment_floor: MoneyIn = Decimal(25)
    promo_apr: RateIn | None = None
    promo_until: date | None = None

    @model_validator(mode="after")
    def _promo_together(self) -> DebtIn:
        if (self.promo_apr is None) != (self.promo_until is None):
            raise ValueError("promo_apr and promo_until go together")
        return self


class DebtOut(Out):
    id: int
    name: str
    balance: Exact
    apr: Exact
    min_payment_percent: Exact
    min_payment_floor: Exact
    promo_apr: Exact | None
    promo_until: date | None


class RowErrorOut(Out):
    line: int | None
    field: str | None
    message: str


class ImportOut(Out):
    source: str
    file_format: str
    accounts: list[str]
    rows_read: int
    added: int
    duplicates: int
    skipped: list[RowErrorOut]
    created_accounts: list[str]
    created_categories: list[str]
    notes: list[str]
    dry_run: bool


# --- Categorization ------------------------------------------------------------------------------


class TransactionTextIn(Request):
    description: Text
    amount: MoneyIn
    date: date
    account: Annotated[str | None, Field(max_length=200)] = None
    payee: Annotated[str | None, Field(max_length=200)] = None


class CategorizeIn(Request):
    transactions: Annotated[list[TransactionTextIn], Field(min_length=1)]
    """One or more; at most the server's ``max_batch``."""
    threshold: Annotated[float | None, Field(ge=0, le=1)] = None


class PredictionOut(Out):
    category: str | None
    """None when no layer was sure enough (the transaction would go to review)."""
    confidence: float
    source: Literal["rule", "correction", "model", "none"]
    best_guess: str | None


class CategorizeOut(BaseModel):
    predictions: list[PredictionOut]
    model: str


class ApplyIn(Request):
    redo: bool = False
    """Redo every transaction not categorized by a person, not only uncategorized ones."""
    threshold: Annotated[float | None, Field(ge=0, le=1)] = None


class ApplyOut(Out):
    considered: int
    by_rule: int
    by_correction: int
    by_model: int
    to_review: int


class CorrectionIn(Request):
    transaction_id: Annotated[int, Field(ge=1, le=2**63 - 1)]  # SQLite INTEGER is 64-bit
    category: Annotated[str, Field(min_length=1, max_length=100)]


class ReviewItemOut(BaseModel):
    transaction: TransactionOut
    suggestion: str | None
    confidence: float | None


# --- Assistant -----------------------------------------------------------------------------------


class AskIn(Request):
    question: Annotated[str, Field(min_length=1, max_length=10_000)]
    """Also limited by the server's ``max_question_chars`` (422 beyond it)."""
    conversation: Annotated[
        list[dict[str, Any]] | None, Field(max_length=MAX_CONVERSATION_MESSAGES)
    ] = None
    """Earlier messages in OpenAI form, as a previous reply's ``conversation`` returned them."""


class CoachIn(Request):
    again: bool = False
    """New advice even if this month already has some (by default it is returned again)."""


class CoachResponseIn(Request):
    followed: bool
    """Whether the user followed the advice."""


class CoachAdviceOut(Out):
    id: int
    given_on: date
    policy: str
    action: str
    message: str
    amount: Exact | None
    category: str | None
    goal: str | None
    followed: bool | None
    """The user's answer; null until given."""


class CoachOut(CoachAdviceOut):
    repeated: bool
    """True when this month's earlier advice is returned instead of new advice."""
    decision_ms: float | None
    """Time the coach took to choose (null when repeated)."""


class ToolCallOut(BaseModel):
    name: str
    arguments: dict[str, Any]


class AskOut(BaseModel):
    question: str
    answer: str
    kind: str
    tool_calls: list[ToolCallOut]
    results: list[dict[str, Any]]
    confidence: float
    latency_ms: float
    model: str
    fallback: bool
    model_unavailable: bool = False
    """True when the model failed or was too slow and the answer was computed without it."""
    fallback_reason: str | None = None
    """Why the model was not used: ``error``, ``timeout``, ``busy`` or ``circuit_open``."""
    conversation: list[dict[str, Any]]
    """The conversation with this exchange added; send it back to continue."""


class Problem(BaseModel):
    """An error: what went wrong, in plain words."""

    detail: Any


# --- Analytics -----------------------------------------------------------------------------------


Figure = Exact | float | int | str | date
"""A number behind an insight: money, a ratio, a count, a name or a day."""


class InsightOut(Out):
    kind: str
    title: str
    detail: str
    severity: float
    key: str
    date: date | None
    figures: dict[str, Figure]


class SeriesOut(Out):
    id: str
    payee: str
    category: str | None
    account: str
    cadence: str
    typical_amount: Exact
    last_date: date
    last_amount: Exact
    next_date: date
    next_amount: Exact
    confidence: float
    previous_amount: Exact | None
    price_changed_on: date | None


class CategorySpendingOut(BaseModel):
    category: str
    spent: Exact


class SpendingOut(BaseModel):
    start: date
    end: date
    categories: list[CategorySpendingOut]
    """Categories with money spent, most first."""


class PaymentOut(Out):
    date: date
    amount: Exact
    series_id: str
    payee: str
    category: str | None


class BillsOut(BaseModel):
    series: list[SeriesOut]
    """Every recurring bill, subscription and paycheck found."""
    start: date
    end: date
    upcoming: list[PaymentOut]
    """Payments expected from ``start`` to ``end`` (a transfer listed by the side it leaves)."""
    upcoming_total: Exact


class ForecastDayOut(Out):
    date: date
    expected_balance: Exact
    lower: Exact
    upper: Exact
    day_to_day: Exact
    scheduled: list[PaymentOut]


class WarningOut(Out):
    kind: str
    date: date
    balance: Exact
    line: Exact
    payments: list[PaymentOut]
    message: str


class ForecastOut(Out):
    accounts: list[str] = []
    """The cash accounts projected together."""
    today: date
    opening_balance: Exact
    interval: float
    minimum_balance: Exact
    minimum_date: date
    warnings: list[WarningOut]
    method: str
    history_days: int
    notes: list[str]
    days: list[ForecastDayOut]


class OneOffOut(Out):
    date: date
    amount: Exact
    payee: str


class RecommendedLineOut(Out):
    category: str
    group: str
    recommended: Exact
    level: Exact
    low: Exact
    high: Exact
    months_used: int
    one_offs: list[OneOffOut]
    cut: Exact
    explanation: str


class FrameCheckOut(Out):
    group: str
    amount: Exact
    share: Exact | None
    target_share: Exact
    target_amount: Exact


class RecommendationOut(Out):
    month: date
    window: list[date]
    lines: list[RecommendedLineOut]
    totals: dict[str, Exact]
    income: Exact
    savings: Exact
    goal_need: Exact
    shortfall: Exact
    frame: list[FrameCheckOut]
    notes: list[str]


class DebtPayoffOut(Out):
    name: str
    months: int | None
    payoff_date: date | None
    total_interest: Exact
    total_paid: Exact


class DebtMonthOut(Out):
    name: str
    payment: Exact
    interest: Exact
    principal: Exact
    balance: Exact


class PlanMonthOut(Out):
    month: int
    date: date
    debts: list[DebtMonthOut]


class PayoffPlanOut(Out):
    strategy: str
    start: date
    extra: Exact
    monthly_budget: Exact
    paid_off: bool
    months_to_debt_free: int | None
    debt_free_date: date | None
    total_interest: Exact
    total_paid: Exact
    message: str | None
    payoffs: list[DebtPayoffOut]
    months: list[PlanMonthOut] | None = None
    """The month-by-month schedule, when asked for."""


class DebtPlanOut(BaseModel):
    plan: PayoffPlanOut
    comparison: list[PayoffPlanOut]
    """Every strategy with the same money (schedules left out)."""
    best: str | None
    """The strategy with the least interest; None when none clears the debts."""


class IntervalOut(Out):
    estimate: float
    low: float
    high: float


class MilestoneOut(Out):
    share: float
    amount: Exact
    date: date | None


class SavingsGoalOut(Out):
    name: str
    target: Exact
    target_date: date
    current: Exact


class GoalCheckOut(Out):
    goal: SavingsGoalOut
    status: str
    message: str
    months_left: int
    history_months: int
    mean_monthly_saving: Exact | None
    probability: IntervalOut | None
    extra_monthly_needed: Exact | None
    median_at_target: Exact | None
    milestones: list[MilestoneOut]
    notes: list[str]


class AnomalyOut(Out):
    transaction_id: str
    date: date
    payee: str
    category: str | None
    amount: Exact
    kind: str
    score: float
    typical_amount: Exact
    ratio: float
    explanation: str


class AnomaliesOut(BaseModel):
    start: date
    end: date
    anomalies: list[AnomalyOut]
