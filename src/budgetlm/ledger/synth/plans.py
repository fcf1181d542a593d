"""Budgets, savings goals and debts of a generated household, consistent with its ledger."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.bills import Loan
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.cards import CardTerms
from budgetlm.ledger.synth.household import SynthBudget, SynthDebt, SynthGoal
from budgetlm.ledger.synth.spending import Plan
from budgetlm.ledger.taxonomy import default_categories

BUDGET_MONTHS = 3
"""Budgets cover the last this many months of the period."""

_SPENDING_GROUPS = ("need", "want")
_NOT_BUDGETED = ("Fees & Charges", "Cash & ATM", "Taxes")


def _round_up(value: float, step: int) -> Decimal:
    return Decimal(int(-(-value // step)) * step)


def make_budgets(book: Book, rng: random.Random, plans: list[Plan]) -> list[SynthBudget]:
    """A monthly budget per main spending category for the last ``BUDGET_MONTHS`` months.

    Day-to-day categories are budgeted from the household's expected spend, bill categories from
    their average in the ledger; both with some slack or tightness as people set them.
    """
    home = book.home
    months = calendar.months_between(home.start, home.end)
    groups = {c.name: c.group for c in default_categories()}
    spent: dict[str, float] = defaultdict(float)
    for t in book.transactions:
        if t.amount < 0 and t.recurring_series and groups.get(t.category) in _SPENDING_GROUPS:
            spent[t.category] -= float(t.amount) / len(months)
    for plan in plans:
        spent[plan.profile.category] += plan.monthly
    out = []
    for category in sorted(spent):
        monthly = spent[category]
        if monthly < 20 * home.fx or category in _NOT_BUDGETED:
            continue
        amount = _round_up(monthly * rng.uniform(0.9, 1.15), 25 if monthly > 300 else 10)
        out += [SynthBudget(category, month, amount) for month in months[-BUDGET_MONTHS:]]
    return out


def _balance(book: Book, role: str, opening: Decimal) -> Decimal:
    name = book.home.accounts[role].name
    return opening + sum((t.amount for t in book.transactions if t.account == name), Decimal(0))


def make_goals(book: Book, rng: random.Random, openings: dict[str, Decimal]) -> list[SynthGoal]:
    """Savings goals; their ``current`` amounts share the savings balance at the end."""
    home, p = book.home, book.home.persona
    saved = (
        max(Decimal(0), _balance(book, "savings", openings["savings"]))
        if "savings" in home.accounts
        else Decimal(0)
    )
    essentials = float(p.monthly_income) * 0.6
    wanted: list[tuple[str, float, int]] = [
        ("Emergency Fund", essentials * rng.uniform(3, 6), rng.randint(12, 36))
    ]
    if p.travel >= 0.8:
        wanted.append(("Vacation", rng.uniform(1500, 5000) * home.fx, rng.randint(4, 12)))
    if p.housing == "rent" and p.savings_rate > 0.05:
        wanted.append(
            ("Home Down Payment", rng.uniform(20000, 60000) * home.fx, rng.randint(36, 72))
        )
    if p.kids:
        wanted.append(("College Fund", rng.uniform(20000, 80000) * home.fx, rng.randint(60, 180)))
    if p.cars and not p.car_loan:
        wanted.append(("Next Car", rng.uniform(6000, 15000) * home.fx, rng.randint(24, 60)))
    shares = (
        [0.7] + [0.3 / max(1, len(wanted) - 1)] * (len(wanted) - 1) if len(wanted) > 1 else [1.0]
    )
    goals = []
    for (name, target, months), share in zip(wanted, shares, strict=True):
        due = calendar.month_end(calendar.add_months(home.end, months))
        current = min(book.money(target), book.money(float(saved) * share))
        goals.append(SynthGoal(name, _round_up(target, 500), due, current))
    return goals


def remaining(opening: float, apr: float, payment: float, payments: int) -> float:
    """Balance of an amortizing loan after ``payments`` level payments."""
    balance = opening
    for _ in range(payments):
        balance = max(0.0, balance * (1 + apr / 12) - payment)
    return balance


def make_debts(
    book: Book, loans: list[Loan], terms: CardTerms | None, openings: dict[str, Decimal]
) -> list[SynthDebt]:
    """Debts at the end date: card balance from the ledger, loans amortized over their payments."""
    home = book.home
    debts = []
    if terms is not None and "card" in home.accounts:
        owed = -_balance(book, "card", openings["card"])
        debts.append(
            SynthDebt(
                name="Credit Card",
                balance=max(Decimal(0), owed),
                apr=Decimal(str(terms.apr)),
                min_payment_percent=Decimal(str(terms.min_percent)),
                min_payment_floor=book.money(terms.floor),
                account=home.accounts["card"].name,
            )
        )
    for loan in loans:
        count = sum(1 for t in book.transactions if t.recurring_series == loan.series_id)
        balance = remaining(loan.opening, loan.apr, loan.payment, count)
        debts.append(
            SynthDebt(
                name=loan.name,
                balance=book.money(balance),
                apr=Decimal(str(round(loan.apr, 4))),
                min_payment_percent=Decimal(0),
                min_payment_floor=book.money(loan.payment),
                account=None,
            )
        )
    return debts
