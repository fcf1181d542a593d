"""``generate_household``: one synthetic household from a persona and a seed.

The order matters and is fixed: income, bills and obligations first (they set what is left to
spend), then trips and day-to-day spending calibrated to the persona's savings rate, cash,
savings transfers, the card cycle (which reads the card purchases), sweeps from savings, interest
and fees. Every part draws from its own seeded random stream; nothing reads the clock or disk.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from budgetlm.ledger.records import AccountType
from budgetlm.ledger.synth import banking, calendar
from budgetlm.ledger.synth.bank_strings import Pool, make_style
from budgetlm.ledger.synth.bills import BILLS, Loan
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.cards import CardTerms, card_terms, post_card_cycle
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.household import Household, SynthAccount, SynthTransaction
from budgetlm.ledger.synth.income import post_income
from budgetlm.ledger.synth.merchants import Institution, catalogue
from budgetlm.ledger.synth.obligations import OBLIGATIONS
from budgetlm.ledger.synth.personas import PERSONAS, Persona
from budgetlm.ledger.synth.plans import make_budgets, make_debts, make_goals
from budgetlm.ledger.synth.resources import load
from budgetlm.ledger.synth.series import post_series
from budgetlm.ledger.synth.spending import Plan, plan_spending, poisson, post_spending
from budgetlm.ledger.synth.trips import expected_monthly_cost, plan_trips, post_trips

DEFAULT_END = date(2026, 10, 31)
"""End date used when none is given (a fixed reference, never the clock)."""

_ACCOUNT_NAMES = {"checking": "Checking", "savings": "Savings", "card": "Credit Card"}
_TYPES: dict[str, AccountType] = {
    "checking": "checking",
    "savings": "savings",
    "card": "credit_card",
}


def _banks(rng: random.Random, country: str) -> tuple[Institution, Institution]:
    local = [i for i in catalogue().institutions if i.locale == country]
    bank = rng.choice(local)
    issuer = bank if rng.random() < 0.35 else rng.choice(local)
    return bank, issuer


def _roles(p: Persona) -> list[str]:
    roles = ["checking"]
    if p.opening_savings > 0 or p.savings_rate > 0:
        roles.append("savings")
    if p.card_share > 0 or p.card_debt > 0:
        roles.append("card")
    return roles


def _make_home(
    p: Persona, key: str, start: date, end: date, merchants: Pool, templates: Pool, hostile: bool
) -> Home:
    rng = random.Random(f"{key}|home")
    regions = load("regions")
    region = regions["regions"].get(p.region)
    if region is None or region["country"] != p.country:
        known = ", ".join(k for k, r in regions["regions"].items() if r["country"] == p.country)
        raise ValueError(f"persona {p.key}: unknown {p.country} region {p.region!r}; use {known}")
    bank, issuer = _banks(rng, p.country)
    locale = p.country
    styles, digits, accounts = {}, {}, {}
    for role in _roles(p):
        institution = issuer if role == "card" else bank
        styles[role] = make_style(rng, institution, locale, templates)
        digits[role] = f"{rng.randint(0, 9999):04d}"
        digits[f"{role}.card"] = digits[role] if role == "card" else f"{rng.randint(0, 9999):04d}"
        accounts[role] = SynthAccount(
            _ACCOUNT_NAMES[role], _TYPES[role], p.currency, Decimal(0), institution.name
        )
    if "savings" in styles:
        styles["savings"] = styles["checking"]
    words, given = load("words"), load("merchants")["given"]
    return Home(
        persona=p,
        key=key,
        start=start,
        end=end,
        city=rng.choice(region["cities"]),
        state=p.region,
        cities=tuple(region["cities"]),
        climate=region["climate"],
        cost=float(region["cost"]),
        holder=(rng.choice(given), rng.choice(words["surname"])),
        accounts=accounts,
        styles=styles,
        digits=digits,
        merchants=merchants,
        hostile=hostile,
        streets=tuple(regions["streets"]),
    )


def _committed(book: Book) -> float:
    home = book.home
    months = len(calendar.months_between(home.start, home.end))
    outflow = -sum(float(t.amount) for t in book.transactions if t.amount < 0)
    cash = 1.2 * home.persona.cash_share * 90 * home.fx
    return outflow / months + cash


def _babysitting(book: Book, rng: random.Random) -> None:
    home = book.home
    if not home.persona.kids or home.persona.childcare:
        return
    sitters = [home.pick(rng, ("babysitter",)) for _ in range(2)]
    for month in calendar.months_between(home.start, home.end):
        for _ in range(poisson(rng, 1.3)):
            day = month + timedelta(days=rng.randint(0, 27))
            if day <= home.end:
                value = book.money(-round(rng.uniform(40, 140) * home.fx / 5) * 5)
                by_check = home.persona.pays_by_check and rng.random() < 0.5
                book.person("checking", day, value, rng.choice(sitters), by_check=by_check)


def _fraud(book: Book, rng: random.Random) -> None:
    """Charges at a merchant the household never used, far from home: injected anomalies."""
    home = book.home
    if rng.random() > 0.35:
        return
    found, _ = home.pool(("electronics", "online_shop"), True)
    used = {t.merchant_id for t in book.transactions}
    strangers = [m for m in found if m.id not in used]
    role = "card" if "card" in home.accounts else "checking"
    for _ in range(rng.randint(1, 2)):
        day = home.start + timedelta(days=rng.randint(0, (home.end - home.start).days))
        away = ("LAS VEGAS", "NV") if home.country == "US" else ("AMSTERDAM", "NL")
        value = book.money(-rng.uniform(180, 950) * home.fx)
        book.purchase(role, day, value, rng.choice(strangers), anomaly=True, away=away)


def _openings(book: Book, rng: random.Random, checking: Decimal) -> dict[str, Decimal]:
    home, p = book.home, book.home.persona
    openings = {"checking": checking}
    if "savings" in home.accounts:
        openings["savings"] = book.money(float(p.opening_savings))
    if "card" in home.accounts:
        name = home.accounts["card"].name
        first = home.start + timedelta(days=30)
        spend = -sum(
            float(t.amount) for t in book.transactions if t.account == name and t.date < first
        )
        openings["card"] = book.money(-(float(p.card_debt) + spend * rng.uniform(0.8, 1.2)))
    return openings


def _run(book: Book) -> tuple[list[Plan], list[Loan], CardTerms | None, dict[str, Decimal]]:
    home = book.home
    paydays = post_income(book, home.rng("income"))
    loans: list[Loan] = []
    bills_rng = home.rng("bills")
    for builder in BILLS + OBLIGATIONS:
        for bill in builder(home, bills_rng, loans):
            post_series(book, bill, bills_rng)
    trips = plan_trips(home, home.rng("trips"))
    plans = plan_spending(home, _committed(book) + expected_monthly_cost(home, trips))
    away = post_trips(book, home.rng("trips"), trips)
    checking = book.money(
        float(home.persona.monthly_income) * home.rng("opening").uniform(0.4, 1.0)
    )
    post_spending(book, home.rng("spending"), plans, paydays, away, float(checking))
    _babysitting(book, home.rng("babysitting"))
    banking.post_cash(book, home.rng("cash"))
    _fraud(book, home.rng("fraud"))
    openings = _openings(book, home.rng("openings"), checking)
    banking.post_savings_plan(book, home.rng("savings"), paydays, openings["checking"])
    terms = None
    if "card" in home.accounts:
        terms = card_terms(home.rng("card"))
        post_card_cycle(book, home.rng("card"), terms, openings)
    banking.keep_afloat(book, home.rng("afloat"), openings)
    banking.post_interest(book, home.rng("interest"), openings)
    banking.post_service_fees(book, home.rng("fees"))
    return plans, loans, terms, openings


def generate_household(
    persona: str | Persona,
    *,
    months: int = 12,
    seed: int = 0,
    end: date | None = None,
    merchants: Pool = "all",
    templates: Pool = "all",
    hostile: bool = False,
) -> Household:
    """Generate one household's accounts, labelled transactions, budgets, goals and debts.

    Pure and deterministic for its arguments.

    Args:
        persona: A preset name from ``PERSONAS`` or a ``Persona``.
        months: Calendar months to generate, ending with ``end``'s month.
        seed: Seed of every random draw.
        end: Last generated day; defaults to ``DEFAULT_END`` (2026-10-31), never the clock.
        merchants: ``"train"`` never uses held-out merchants; ``"heldout"`` draws day-to-day
            purchases only from held-out merchants (bills and income may come from any).
        templates: Restrict bank strings to train or held-out template families.
        hostile: Rewrite about 0.1% of descriptions into hostile text (odd unicode, very long
            lines, prompt-injection memos) for robustness tests.
    """
    p = PERSONAS[persona] if isinstance(persona, str) else persona
    if months < 1:
        raise ValueError("months must be at least 1")
    end = end or DEFAULT_END
    start = calendar.add_months(calendar.month_start(end), -(months - 1))
    raw = f"{p!r}|{seed}|{months}|{end}|{merchants}|{templates}|{hostile}"
    key = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]
    book = Book(_make_home(p, key, start, end, merchants, templates, hostile))
    return _assemble(book, seed, *_run(book))


def _assemble(
    book: Book,
    seed: int,
    plans: list[Plan],
    loans: list[Loan],
    terms: CardTerms | None,
    openings: dict[str, Decimal],
) -> Household:
    home = book.home
    p, start, end = home.persona, home.start, home.end
    plan_rng = home.rng("plans")
    accounts = tuple(
        replace(a, opening_balance=openings[role]) for role, a in home.accounts.items()
    )
    transactions = sorted(book.transactions, key=_order)
    return Household(
        persona=p,
        seed=seed,
        start=start,
        end=end,
        accounts=accounts,
        transactions=tuple(transactions),
        budgets=tuple(make_budgets(book, plan_rng, plans)),
        goals=tuple(make_goals(book, plan_rng, openings)),
        debts=tuple(make_debts(book, loans, terms, openings)),
        series=tuple(sorted(book.series.values(), key=lambda s: s.id)),
        city=home.city,
        state=home.state,
    )


def _order(t: SynthTransaction) -> tuple[date, str]:
    return (t.date, t.account)
