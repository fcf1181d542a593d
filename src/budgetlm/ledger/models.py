"""SQLAlchemy 2 table models of the ledger; the schema itself is owned by Alembic migrations.

Every row belongs to one workspace, and every table carries ``workspace_id`` so that each query
can be scoped by it (see ``budgetlm.ledger.repository``).

Money is stored exactly as a scaled integer (``ScaledDecimal``) instead of SQL ``NUMERIC``:
SQLite has no exact decimal type (SQLAlchemy would store floats), and one integer representation
keeps SQLite and PostgreSQL identical, sums exact and sorting cheap.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact ``Decimal`` stored as an integer count of ``10**-places`` units.

    Writing a value with more decimal places than ``places`` raises instead of rounding, so
    nothing is silently changed on the way into the ledger.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.places)
        units = int(scaled)
        if units != scaled:
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return units

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        units, places = int(value), self.places
        while places > 2 and units % 10 == 0:  # keep cents, drop zeros beyond them
            units //= 10
            places -= 1
        return Decimal(units).scaleb(-places)


Money = ScaledDecimal(4)
"""Amounts: four decimal places cover every ISO 4217 currency's minor unit."""
Rate = ScaledDecimal(6)
"""Rates as fractions, e.g. an APR of 21.99% is ``Decimal("0.2199")``."""


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _workspace_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)


class Workspace(Base):
    """A household's (or app user's) separate ledger."""

    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    ledger_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped by every write, so caches can key on it."""
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Account(Base):
    """A bank, card, cash or loan account."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    account_type: Mapped[str] = mapped_column(String(20), default="checking")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    institution: Mapped[str | None] = mapped_column(String(200))
    number_mask: Mapped[str | None] = mapped_column(String(8))
    """Last four characters of the account number, never the whole number."""
    opening_balance: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Category(Base):
    """A spending or income category; defaults map to Plaid PFC detailed codes."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(20))
    """need | want | savings | income | transfer."""
    plaid_code: Mapped[str | None] = mapped_column(String(80))
    is_default: Mapped[bool] = mapped_column(default=False)


class ImportBatch(Base):
    """One file import: what was read and what it changed."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    source_file: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(8))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_added: Mapped[int] = mapped_column(Integer)
    rows_duplicate: Mapped[int] = mapped_column(Integer)
    rows_skipped: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Transaction(Base):
    """A posted transaction. Outflows are negative."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "account_id", "fingerprint"),
        Index(None, "workspace_id", "date"),
        Index(None, "account_id", "fitid"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    """Raw description as the bank printed it."""
    payee: Mapped[str | None] = mapped_column(String(200))
    """Normalized payee (clean merchant name)."""
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    category_source: Mapped[str | None] = mapped_column(String(10))
    """import | rule | model | user — who set the category."""
    category_confidence: Mapped[float | None] = mapped_column(Float)
    """Probability of the model's best guess (1.0 for rules, corrections and imports)."""
    suggested_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    """The model's best guess when it was not confident enough to set ``category_id``."""
    notes: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(500))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    fingerprint: Mapped[str] = mapped_column(String(32))
    """Content hash with an occurrence index; makes re-imports idempotent."""
    fitid: Mapped[str | None] = mapped_column(String(255))
    """OFX/QFX transaction id, unique per account when present."""
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Budget(Base):
    """A monthly spending limit for one category."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("workspace_id", "category_id", "month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    """First day of the month."""
    amount: Mapped[Decimal] = mapped_column(Money)


class Goal(Base):
    """A savings goal."""

    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[Decimal] = mapped_column(Money)
    target_date: Mapped[date] = mapped_column(Date)
    current: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))


class Debt(Base):
    """A debt with its interest and minimum-payment rule."""

    __tablename__ = "debts"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    balance: Mapped[Decimal] = mapped_column(Money)
    apr: Mapped[Decimal] = mapped_column(Rate)
    min_payment_percent: Mapped[Decimal] = mapped_column(Rate)
    """Minimum payment as a fraction of the balance each month."""
    min_payment_floor: Mapped[Decimal] = mapped_column(Money)
    """The minimum payment is never less than this (or the balance, if smaller)."""
    promo_apr: Mapped[Decimal | None] = mapped_column(Rate)
    promo_until: Mapped[date | None] = mapped_column(Date)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))


class Rule(Base):
    """A user's categorization rule: when it matches, the category is set."""

    __tablename__ = "rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(12))
    """payee | description."""
    match: Mapped[str] = mapped_column(String(10))
    """contains | equals | regex."""
    pattern: Mapped[str] = mapped_column(String(500))
    amount_min: Mapped[Decimal | None] = mapped_column(Money)
    amount_max: Mapped[Decimal | None] = mapped_column(Money)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Correction(Base):
    """A category the user set by hand; the categorizer learns from these."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"))
    payee: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    old_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    new_category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class PersonalModel(Base):
    """A categorization model trained on one workspace's own labelled history."""

    __tablename__ = "personal_models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    trained_rows: Mapped[int] = mapped_column(Integer)
    meta: Mapped[str] = mapped_column(Text)
    """The model's JSON metadata (classes, config, calibration)."""
    weights: Mapped[bytes] = mapped_column(LargeBinary)
    """Compressed ``.npz`` weights (never a pickle)."""
    trained_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class ApiKey(Base):
    """A key that lets a server client act in one workspace (issue 7).

    Only a SHA-256 hash of the secret is stored: keys are 256-bit random tokens, so a slow
    password hash would add nothing but latency to every request.
    """

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    """The secret's first characters, shown to tell keys apart."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRecord(Base):
    """One prediction the server made: who asked, which model, a hash of the input, the output."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_workspace_id_created_at", "workspace_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    endpoint: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100))
    input_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the request's input (never the input itself)."""
    output: Mapped[str] = mapped_column(Text)
    """The prediction as JSON."""
    confidence: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)


class CoachRecommendation(Base):
    """One piece of advice the coach gave, and whether the user followed it (issue 8).

    Kept so that later work can learn from real responses: ``observation`` is the policy's input
    (the scaled feature vector as JSON), ``action`` its output, ``followed`` the user's answer.
    """

    __tablename__ = "coach_recommendations"
    __table_args__ = (
        Index("ix_coach_recommendations_workspace_id_given_on", "workspace_id", "given_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = _workspace_fk()
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    given_on: Mapped[date] = mapped_column(Date)
    """The day the advice is for (the ledger's "today")."""
    policy: Mapped[str] = mapped_column(String(200))
    """Which coach chose it: method, training seed and versions."""
    action: Mapped[str] = mapped_column(String(40))
    """The action's name (``coach.actions.ACTION_NAMES``)."""
    message: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    """The transfer, the monthly cut or the goal's new target, when the advice has one."""
    category: Mapped[str | None] = mapped_column(String(200))
    goal: Mapped[str | None] = mapped_column(String(200))
    observation: Mapped[str] = mapped_column(Text)
    """The policy's input: the scaled features as a JSON list (``coach.observation``)."""
    followed: Mapped[bool | None] = mapped_column(Boolean)
    """The user's answer: True followed, False did not, None not answered yet."""
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
