"""The credit-card cycle: statements, interest on carried balances, and payments from checking.

Each month the card closes on a fixed day; the statement balance is everything owed then.
Households that pay in full have autopay take the statement balance on a fixed due day (next
business day when it falls on a weekend or holiday). Revolvers pay by hand a few days before the
due day: at least the minimum, aiming to move their carried balance by the persona's
``card_paydown`` each month, and never so much that checking runs dry. A household that cannot
cover its statement pays what it can spare and starts carrying a balance. Interest on a carried
balance posts on the card at the closing date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.household import SynthSeries
from budgetlm.ledger.synth.merchants import catalogue


@dataclass(frozen=True, slots=True)
class CardTerms:
    """Terms of the household's credit card."""

    apr: float
    """Purchase APR."""
    min_percent: float
    """Share of the statement balance due at minimum."""
    floor: float
    """Smallest minimum payment."""
    close_day: int
    """Statement closing day of month."""
    due_day: int
    """Payment due day of the following month (1-21, a week before the next close)."""

    def minimum(self, statement: float) -> float:
        """Minimum payment due on ``statement``."""
        return min(statement, max(self.floor, self.min_percent * statement))


def card_terms(rng: random.Random) -> CardTerms:
    """Draw card terms."""
    # due 23-24 days after the close, and a week before the next close, on the same day each month
    due = rng.randint(1, 21)
    return CardTerms(
        apr=rng.choice((0.1999, 0.2199, 0.2424, 0.2674, 0.2899)),
        min_percent=rng.choice((0.02, 0.03)),
        floor=rng.choice((25.0, 35.0, 40.0)),
        close_day=due + rng.choice((6, 7)),
        due_day=due,
    )


@dataclass
class _Cycle:
    book: Book
    rng: random.Random
    terms: CardTerms
    openings: dict[str, Decimal]
    carry: float
    revolver: bool

    def balance(self, role: str, upto: date) -> float:
        """Balance of the account in ``role`` at the end of ``upto``."""
        name = self.book.home.accounts[role].name
        total = sum(
            float(t.amount) for t in self.book.transactions if t.account == name and t.date <= upto
        )
        return float(self.openings[role]) + total

    def payment(self, statement: float, due: date) -> float:
        """What the household pays on ``statement``: in full when it can, else what it can spare."""
        minimum = self.terms.minimum(statement)
        spare = self.balance("checking", due) - 150.0
        if "savings" in self.book.home.accounts:
            spare += 0.8 * max(0.0, self.balance("savings", due))
        if not self.revolver:
            return statement if spare >= statement else min(statement, max(minimum, spare))
        self.carry = max(0.0, self.carry * (1 + self.book.home.persona.card_paydown))
        wanted = max(minimum, statement - self.carry)
        return min(statement, max(minimum, min(wanted, spare)))


def _due(cycle: _Cycle, month: date) -> date:
    """When the statement closing in ``month`` is paid."""
    home, terms = cycle.book.home, cycle.terms
    after = calendar.add_months(month, 1)
    due = calendar.clamp(after.year, after.month, terms.due_day)
    if cycle.revolver:  # paid by hand, a few days early
        due -= timedelta(days=cycle.rng.randint(0, 5))
    return calendar.shift(due, "next", home.country)


def _close(cycle: _Cycle, close: date, statement: float, paid: float) -> float:
    """Post interest on what was carried and return the new statement balance."""
    carried = statement - paid
    if carried > 0.005:
        interest = cycle.book.money(-carried * cycle.terms.apr / 12)
        cycle.book.bank_entry("card", close, interest, catalogue().by_id["sys.fee.interest"], "fee")
    return -cycle.balance("card", close)


def post_card_cycle(
    book: Book, rng: random.Random, terms: CardTerms, openings: dict[str, Decimal]
) -> None:
    """Post the card's interest and payments (``openings["card"]`` is its opening balance)."""
    home = book.home
    payee = catalogue().by_id[home.styles["card"].institution.card_payee]
    revolver = home.persona.card_debt > 0
    cycle = _Cycle(book, rng, terms, openings, float(home.persona.card_debt), revolver)
    series_id = f"card-payment:{payee.id}"
    statement, paid = -float(openings["card"]), 0.0
    months = calendar.months_between(calendar.add_months(home.start, -1), home.end)
    for i, month in enumerate(months):
        close = calendar.clamp(month.year, month.month, terms.close_day)
        if i and close > home.end:
            break
        if i:
            statement = _close(cycle, close, statement, paid)
        due = _due(cycle, month)
        paid = cycle.payment(statement, due) if statement > 0 else 0.0
        if paid > 0 and home.start <= due <= home.end:
            book.transfer(due, book.money(paid), "checking", "card", payee, payee,
                          series=series_id, card_payment=True)  # fmt: skip
    book.add_series(
        SynthSeries(
            id=series_id, merchant_id=payee.id, category=payee.category,
            account=home.accounts["checking"].name, cadence="monthly", shift="next",
            rule=f"day {terms.due_day}", jitter_days=5 if revolver else 0, variable_amount=True,
        )
    )  # fmt: skip
