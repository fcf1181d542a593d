"""The bank's side of the household: savings transfers, cash machines, keeping checking above
water (sweeps from savings, overdraft fees), savings interest and monthly service fees.

Savings transfers: the checking leg is categorized ``Savings``, the savings leg ``Transfer``
(Plaid's TRANSFER_OUT_SAVINGS / TRANSFER_IN_SAVINGS); sweeps back to checking are ``Transfer`` on
both legs. Card payments (``cards.py``) are ``Credit Card Payment`` on both legs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.household import Cadence, SynthSeries
from budgetlm.ledger.synth.merchants import catalogue
from budgetlm.ledger.synth.schedule import Schedule, due_dates

OVERDRAFT_FEE = 35.0
"""Fee per overdraft day (at most three a month)."""


def _savings_schedule(
    book: Book, rng: random.Random, paydays: list[date]
) -> tuple[Schedule, float]:
    home = book.home
    months = len(calendar.months_between(home.start, home.end))
    monthly = (
        float(home.persona.monthly_income) * home.persona.savings_rate * rng.uniform(0.6, 0.95)
    )
    if len(paydays) / months > 1.8 and rng.random() < 0.5:  # a slice of every paycheck
        weekly = len(paydays) / months > 3
        cadence: Cadence = "weekly" if weekly else "biweekly"
        schedule = Schedule(cadence, "next", anchor=paydays[0] + timedelta(days=1))
        amount = monthly * 12 / (52 if weekly else 26)
    else:
        schedule = Schedule("monthly", "next", day=min(25, paydays[0].day + rng.randint(1, 3)))
        amount = monthly
    return schedule, max(25.0, round(amount / 25) * 25)


def post_savings_plan(
    book: Book, rng: random.Random, paydays: list[date], opening: Decimal
) -> None:
    """Scheduled transfers from checking to savings, monthly or every payday.

    A transfer is skipped when checking (from ``opening``) would drop below a small cushion.
    """
    home = book.home
    if "savings" not in home.accounts or home.persona.savings_rate <= 0 or not paydays:
        return
    schedule, amount = _savings_schedule(book, rng, paydays)
    cat = catalogue().by_id
    series_id = "savings-transfer:sys.xfer.to_savings"
    checking = home.accounts["checking"].name
    for _nominal, posted in due_dates(schedule, home.start, home.end, home.country):
        moved = sum(
            t.amount for t in book.transactions if t.account == checking and t.date <= posted
        )
        if float(opening + moved) < amount + 500 * home.fx:
            continue  # skipped: not enough in checking this time
        out, back = cat["sys.xfer.to_savings"], cat["sys.xfer.from_checking"]
        book.transfer(
            posted, book.money(amount), "checking", "savings", out, back, series=series_id
        )
    book.add_series(
        SynthSeries(
            id=series_id, merchant_id="sys.xfer.to_savings", category="Savings",
            account=home.accounts["checking"].name, cadence=schedule.cadence, shift="next",
            rule=schedule.describe(), jitter_days=0, variable_amount=False,
        )
    )  # fmt: skip


def post_cash(book: Book, rng: random.Random) -> None:
    """Cash-machine withdrawals; out-of-network ones add a surcharge and a bank fee (US)."""
    home = book.home
    streets, cat = home.streets, catalogue().by_id
    for month in calendar.months_between(home.start, home.end):
        for _ in range(_count(rng, 1.2 * home.persona.cash_share)):
            day = month + timedelta(days=rng.randint(0, 27))
            if day > home.end:
                continue
            cash = (
                rng.choices((20, 40, 60, 80, 100, 120, 200, 300), (2, 4, 4, 3, 4, 2, 2, 0.5))[0]
                * home.fx
            )
            foreign = home.country == "US" and rng.random() < 0.3
            surcharge = rng.choice((2.5, 2.95, 3.0, 3.5)) if foreign else 0.0
            addr = f"{rng.randint(10, 4999)} {rng.choice(streets)}"
            posted = calendar.next_business_day(day, home.country)
            book.bank_entry(
                "checking",
                posted,
                book.money(-(cash + surcharge)),
                cat["sys.atm"],
                "atm",
                atm=(home.city, addr),
            )
            if foreign:
                book.bank_entry(
                    "checking",
                    posted,
                    book.money(-rng.choice((2.5, 3.0))),
                    cat["sys.fee.atm"],
                    "fee",
                )


def _count(rng: random.Random, mean: float) -> int:
    from budgetlm.ledger.synth.spending import poisson

    return poisson(rng, mean)


def _balance_walk(book: Book, role: str, opening: Decimal) -> list[tuple[date, Decimal]]:
    """End-of-day balances of one account on days it moved."""
    name = book.home.accounts[role].name
    moves: dict[date, Decimal] = {}
    for t in book.transactions:
        if t.account == name:
            moves[t.date] = moves.get(t.date, Decimal(0)) + t.amount
    out, balance = [], opening
    for day in sorted(moves):
        balance += moves[day]
        out.append((day, balance))
    return out


def keep_afloat(book: Book, rng: random.Random, openings: dict[str, Decimal]) -> None:
    """Sweep money from savings when checking goes below zero; charge overdraft fees otherwise."""
    home, cat = book.home, catalogue().by_id
    has_savings = "savings" in home.accounts
    savings = _balance_walk(book, "savings", openings["savings"]) if has_savings else []
    swept, fees = Decimal(0), dict[date, int]()
    shift = Decimal(0)
    for day, balance in _balance_walk(book, "checking", openings["checking"]):
        balance += shift
        if balance >= 0:
            continue
        available = _at(savings, day, openings.get("savings", Decimal(0))) - swept
        need = book.money(((-float(balance)) // 100 + 2) * 100)
        if has_savings and available >= need:
            book.transfer(
                day,
                need,
                "savings",
                "checking",
                cat["sys.xfer.to_checking"],
                cat["sys.xfer.from_savings"],
            )
            swept += need
            shift += need
        elif fees.get(calendar.month_start(day), 0) < 3:
            fees[calendar.month_start(day)] = fees.get(calendar.month_start(day), 0) + 1
            book.bank_entry(
                "checking", day, book.money(-OVERDRAFT_FEE), cat["sys.fee.overdraft"], "fee"
            )
            shift -= Decimal(str(OVERDRAFT_FEE))


def _at(walk: list[tuple[date, Decimal]], day: date, opening: Decimal) -> Decimal:
    value = opening
    for when, balance in walk:
        if when > day:
            break
        value = balance
    return value


def post_interest(book: Book, rng: random.Random, openings: dict[str, Decimal]) -> None:
    """Monthly savings interest at the bank's rate, credited on the last day of the month."""
    home = book.home
    if "savings" not in home.accounts:
        return
    apy = rng.choice((0.0001, 0.0001, 0.0005, 0.001, 0.01, 0.035, 0.042))
    walk = _balance_walk(book, "savings", openings["savings"])
    series_id = "interest:sys.interest"
    posted = 0
    for month in calendar.months_between(home.start, home.end):
        day = calendar.month_end(month)
        if day > home.end:
            break
        interest = book.money(float(_at(walk, day, openings["savings"])) * apy / 12)
        if interest >= Decimal("0.01"):
            book.bank_entry(
                "savings",
                day,
                interest,
                catalogue().by_id["sys.interest"],
                "interest",
                series=series_id,
            )
            posted += 1
    if posted:
        book.add_series(
            SynthSeries(
                id=series_id,
                merchant_id="sys.interest",
                category="Other Income",
                account=home.accounts["savings"].name,
                cadence="monthly",
                shift="none",
                rule="last day",
                jitter_days=0,
                variable_amount=True,
            )
        )


def post_service_fees(book: Book, rng: random.Random) -> None:
    """A monthly service fee at banks that charge one, waived with $500 of direct deposits."""
    home = book.home
    if rng.random() > 0.25:
        return
    name = home.accounts["checking"].name
    for month in calendar.months_between(home.start, home.end):
        day = calendar.shift(calendar.month_end(month), "previous", home.country)
        deposits = sum(
            t.amount
            for t in book.transactions
            if t.account == name
            and t.amount > 0
            and t.category in ("Paycheck", "Other Income")
            and calendar.month_start(t.date) == month
        )
        if day <= home.end and deposits < 500 * home.fx:
            book.bank_entry(
                "checking",
                day,
                book.money(-12.0 * home.fx),
                catalogue().by_id["sys.fee.monthly"],
                "fee",
            )
