"""Plausibility of generated households (shares of income, volumes, balances) and speed."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cache

from budgetlm.ledger.synth import PERSONAS, Household, generate_household, random_persona
from budgetlm.ledger.taxonomy import default_categories

GROUPS = {c.name: c.group for c in default_categories()}


@cache
def household(key: str, seed: int) -> Household:
    return generate_household(key, months=12, seed=seed)


@cache
def sampled(seed: int) -> Household:
    return generate_household(random_persona(seed), months=12, seed=seed)


def income(h: Household) -> Decimal:
    return sum((t.amount for t in h.transactions if GROUPS[t.category] == "income"), Decimal(0))


def savings_rate(h: Household) -> float:
    """(income - spending - loan payments) / income; transfers are neither."""
    spent = -sum(
        t.amount for t in h.transactions if GROUPS[t.category] in ("need", "want", "savings")
        and t.category != "Savings"
    )  # fmt: skip
    return float((income(h) - spent) / income(h))


def share(h: Household, *categories: str) -> float:
    return float(-sum(t.amount for t in h.transactions if t.category in categories) / income(h))


def end_of_day_checking(h: Household) -> list[Decimal]:
    checking = h.accounts[0]
    moves: dict[date, Decimal] = defaultdict(Decimal)
    for t in h.transactions:
        if t.account == checking.name:
            moves[t.date] += t.amount
    balance, out = checking.opening_balance, []
    for day in sorted(moves):
        balance += moves[day]
        out.append(balance)
    return out


def test_preset_savings_rates_are_realistic() -> None:
    for key in PERSONAS:
        for seed in (0, 1):
            rate = savings_rate(household(key, seed))
            assert -0.15 <= rate <= 0.3, (key, seed, rate)


def test_sampled_savings_rates_are_mostly_realistic() -> None:
    rates = sorted(savings_rate(sampled(seed)) for seed in range(24))
    inside = sum(-0.15 <= r <= 0.35 for r in rates)
    assert inside >= 0.85 * len(rates), rates
    assert 0.0 <= rates[len(rates) // 2] <= 0.2


def test_housing_takes_a_realistic_share_for_renters_and_owners() -> None:
    for key, persona in PERSONAS.items():
        if persona.housing in ("rent", "mortgage"):
            assert 0.2 <= share(household(key, 0), "Rent", "Mortgage") <= 0.45, key
    for seed in range(24):
        h = sampled(seed)
        if h.persona.housing == "rent":
            assert 0.18 <= share(h, "Rent") <= 0.45, seed


def test_groceries_take_a_realistic_share() -> None:
    shares = [share(household(key, 0), "Groceries") for key in PERSONAS]
    shares += [share(sampled(seed), "Groceries") for seed in range(24)]
    assert all(0.03 <= s <= 0.25 for s in shares), shares
    assert 0.07 <= sorted(shares)[len(shares) // 2] <= 0.15


def test_transactions_per_month_depend_on_the_persona() -> None:
    volumes = {key: len(household(key, 0).transactions) / 12 for key in PERSONAS}
    assert all(45 <= v <= 200 for v in volumes.values()), volumes
    assert volumes["high_earner_debt"] > volumes["student"] + 20


def test_checking_rarely_goes_deeply_negative() -> None:
    deep = total = 0
    for key in PERSONAS:
        for seed in (0, 1):
            balances = end_of_day_checking(household(key, seed))
            deep += sum(b < -500 for b in balances)
            total += len(balances)
    assert deep <= 0.03 * total


def test_savings_never_go_below_zero() -> None:
    for key in PERSONAS:
        h = household(key, 1)
        savings = next((a for a in h.accounts if a.account_type == "savings"), None)
        if savings is None:
            continue
        balance = savings.opening_balance
        for t in h.transactions:
            if t.account == savings.name:
                balance += t.amount
                assert balance >= 0, (key, t)


def test_weekends_and_seasons_show_in_spending() -> None:
    weekend = weekday = december = spring = Decimal(0)
    for key in ("young_renter", "high_earner_debt", "family_mortgage"):
        for seed in (0, 1):
            for t in household(key, seed).transactions:
                if t.account == "Credit Card" and t.category in ("Dining Out", "Alcohol & Bars"):
                    if t.date.weekday() in (4, 5):
                        weekend += 1
                    elif t.date.weekday() in (0, 1):
                        weekday += 1
                if t.category in ("Shopping", "Gifts & Donations") and not t.is_refund:
                    if t.date.month == 12:
                        december -= t.amount
                    elif t.date.month in (3, 4):
                        spring -= t.amount / 2
    assert weekend > Decimal("1.5") * weekday
    assert december > Decimal("1.4") * spring


def test_utilities_follow_the_climate() -> None:
    h = household("family_mortgage", 0)  # Ohio: cold winters
    by_month: dict[int, Decimal] = defaultdict(Decimal)
    for t in h.transactions:
        if t.recurring_series and t.recurring_series.startswith("gas-utility"):
            by_month[t.date.month] -= t.amount
    assert by_month[2] > 2 * by_month[8]


def test_eighteen_months_generate_quickly() -> None:
    generate_household("young_renter", months=1, seed=99)  # build the catalogue once
    started = time.perf_counter()
    h = generate_household("high_earner_debt", months=18, seed=5)
    elapsed = time.perf_counter() - started
    assert len(h.transactions) > 1000
    assert elapsed < 1.0
