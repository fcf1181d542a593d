"""Synthetic households: determinism, labels, signs, transfers, refunds, plans' consistency."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cache

import pytest

from budgetlm.ledger import synth
from budgetlm.ledger.synth import (
    DEFAULT_END,
    PERSONAS,
    Household,
    generate_household,
    random_persona,
)
from budgetlm.ledger.taxonomy import default_categories

GROUPS = {c.name: c.group for c in default_categories()}
SPENDING = {"need", "want"}


@cache
def household(key: str, seed: int = 0, months: int = 12) -> Household:
    return generate_household(key, months=months, seed=seed)


def all_households() -> list[Household]:
    return [household(key, seed) for key in PERSONAS for seed in (0, 1)]


def test_public_api_is_complete() -> None:
    for name in synth.__all__:
        assert hasattr(synth, name), name
    assert len(PERSONAS) >= 6


def test_same_arguments_give_identical_households() -> None:
    first = generate_household("young_renter", months=4, seed=11)
    again = generate_household("young_renter", months=4, seed=11)
    assert first == again


def test_a_different_seed_gives_a_different_household() -> None:
    first = generate_household("young_renter", months=4, seed=11)
    other = generate_household("young_renter", months=4, seed=12)
    assert first.transactions != other.transactions


def test_a_persona_object_and_its_name_give_the_same_household() -> None:
    by_name = generate_household("retiree", months=2, seed=3)
    by_object = generate_household(PERSONAS["retiree"], months=2, seed=3)
    assert by_name == by_object


def test_random_personas_are_deterministic_and_distinct() -> None:
    assert random_persona(5) == random_persona(5)
    assert len({random_persona(i) for i in range(20)}) == 20


def test_period_ends_at_the_fixed_reference_and_covers_whole_months() -> None:
    h = household("student")
    assert h.end == DEFAULT_END == date(2026, 10, 31)
    assert h.start == date(2025, 11, 1)
    assert h.start <= min(t.date for t in h.transactions)
    assert max(t.date for t in h.transactions) <= h.end
    partial = generate_household("student", months=2, end=date(2026, 3, 15))
    assert partial.start == date(2026, 2, 1)
    assert max(t.date for t in partial.transactions) <= date(2026, 3, 15)


def test_months_must_be_positive() -> None:
    with pytest.raises(ValueError):
        generate_household("student", months=0)


def test_transactions_are_sorted_and_name_real_accounts() -> None:
    for h in all_households():
        names = {a.name for a in h.accounts}
        assert [(t.date, t.account) for t in h.transactions] == sorted(
            (t.date, t.account) for t in h.transactions
        )
        assert {t.account for t in h.transactions} <= names
        assert h.accounts[0].account_type == "checking"
        assert {a.currency for a in h.accounts} == {h.persona.currency}


def test_every_category_is_a_default_taxonomy_name() -> None:
    for h in all_households():
        assert {t.category for t in h.transactions} <= set(GROUPS)
        assert {b.category for b in h.budgets} <= set(GROUPS)


def test_amounts_are_quantized_and_never_zero() -> None:
    for h in all_households():
        for t in h.transactions:
            assert t.amount == t.amount.quantize(Decimal("0.01")), t
            assert t.amount != 0, t
            assert t.description.strip() == t.description and t.description, t


def test_sign_conventions() -> None:
    for h in all_households():
        for t in h.transactions:
            group = GROUPS[t.category]
            if t.is_refund:
                assert t.amount > 0 and group in SPENDING, t
            elif group in SPENDING:
                assert t.amount < 0, t
            elif group == "income":
                assert t.amount > 0, t


def test_refunds_follow_a_purchase_at_the_same_merchant_and_category() -> None:
    refunds = 0
    for h in all_households():
        bought: dict[tuple[str, str], list[date]] = defaultdict(list)
        for t in h.transactions:
            if t.amount < 0:
                bought[(t.merchant_id, t.account)].append(t.date)
        for t in h.transactions:
            if t.is_refund:
                refunds += 1
                earlier = [d for d in bought[(t.merchant_id, t.account)] if d <= t.date]
                assert earlier, t
        by_merchant = {t.merchant_id: t.category for t in h.transactions}
        assert all(by_merchant[t.merchant_id] == t.category for t in h.transactions)
    assert refunds > 20


def test_transfers_have_two_legs_that_cancel_across_two_accounts() -> None:
    seen_kinds = set()
    for h in all_households():
        legs = defaultdict(list)
        for t in h.transactions:
            if t.transfer_id:
                legs[t.transfer_id].append(t)
        assert legs
        for pair in legs.values():
            assert len(pair) == 2
            a, b = pair
            assert a.amount + b.amount == 0
            assert a.account != b.account and a.date == b.date
            cats = {a.category, b.category}
            assert cats in ({"Savings", "Transfer"}, {"Transfer"}, {"Credit Card Payment"})
            seen_kinds.add(frozenset(cats))
    assert len(seen_kinds) == 3


def test_checking_to_savings_is_savings_on_the_checking_leg() -> None:
    h = household("young_renter")
    for t in h.transactions:
        if t.merchant_id == "sys.xfer.to_savings":
            assert t.account == "Checking" and t.amount < 0 and t.category == "Savings"
        if t.merchant_id == "sys.xfer.from_checking":
            assert t.account == "Savings" and t.amount > 0 and t.category == "Transfer"


def test_card_balance_debt_matches_the_ledger() -> None:
    for h in all_households():
        cards = [a for a in h.accounts if a.account_type == "credit_card"]
        debts = {d.account: d for d in h.debts if d.account}
        for card in cards:
            owed = -(
                card.opening_balance
                + sum(t.amount for t in h.transactions if t.account == card.name)
            )
            assert debts[card.name].balance == max(Decimal(0), owed)


def test_card_payments_meet_the_minimum_rule() -> None:
    for h in all_households():
        card = next((d for d in h.debts if d.account), None)
        if card is None:
            continue
        opening = next(a.opening_balance for a in h.accounts if a.name == card.account)
        owed, payments = -opening, 0
        for t in h.transactions:
            if t.account != card.account:
                continue
            if t.category == "Credit Card Payment":
                assert t.amount >= min(card.min_payment_floor, owed), t
                payments += 1
            owed -= t.amount
        assert payments >= 10


def test_installment_loan_balances_follow_their_payments() -> None:
    from budgetlm.ledger.synth.plans import remaining

    h = household("young_renter")
    loans = {d.name: d for d in h.debts if d.account is None}
    assert {"Car Loan", "Student Loan"} <= set(loans)
    persona = h.persona
    for name, opening in (("Car Loan", persona.car_loan), ("Student Loan", persona.student_loan)):
        debt = loans[name]
        paid = [
            t for t in h.transactions
            if t.category == ("Car Payment" if name == "Car Loan" else "Loan Payments")
        ]  # fmt: skip
        assert paid and all(-t.amount == debt.min_payment_floor for t in paid)
        expected = remaining(
            float(opening), float(debt.apr), float(debt.min_payment_floor), len(paid)
        )
        assert abs(float(debt.balance) - expected) < 0.01
        assert debt.balance < opening


def test_revolvers_carry_debt_and_pay_interest() -> None:
    h = household("high_earner_debt")
    card = next(d for d in h.debts if d.account)
    assert card.balance > Decimal(10000) and Decimal("0.1") < card.apr < Decimal("0.35")
    assert any(t.merchant_id == "sys.fee.interest" for t in h.transactions)
    payer = household("family_mortgage")
    assert sum(t.merchant_id == "sys.fee.interest" for t in payer.transactions) <= 2


def test_budgets_cover_the_last_months_of_main_categories() -> None:
    h = household("family_mortgage")
    months = sorted({b.month for b in h.budgets})
    assert months == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    categories = {b.category for b in h.budgets}
    assert {"Groceries", "Dining Out", "Mortgage", "Utilities", "Childcare"} <= categories
    assert all(b.amount > 0 for b in h.budgets)
    groceries = next(b.amount for b in h.budgets if b.category == "Groceries")
    spent = -sum((t.amount for t in h.transactions if t.category == "Groceries"), Decimal(0)) / 12
    assert Decimal("0.6") * spent < groceries < Decimal("1.6") * spent


def test_goals_share_the_savings_balance() -> None:
    for h in all_households():
        savings = next((a for a in h.accounts if a.account_type == "savings"), None)
        assert h.goals and h.goals[0].name == "Emergency Fund"
        if savings is None:
            continue
        balance = savings.opening_balance + sum(
            t.amount for t in h.transactions if t.account == savings.name
        )
        assert sum(g.current for g in h.goals) <= max(balance, Decimal(0)) + Decimal("0.05")
        assert all(g.target > 0 and g.target_date > h.end for g in h.goals)


def test_anomalies_are_labelled_and_rare() -> None:
    for h in all_households():
        purchases = [t for t in h.transactions if GROUPS[t.category] in SPENDING and t.amount < 0]
        flagged = [t for t in purchases if t.anomaly]
        assert 0 < len(flagged) <= 0.05 * len(purchases)


def test_unusually_large_anomalies_stand_out_from_their_merchant() -> None:
    h = household("high_earner_debt", 1, 18)
    amounts: dict[str, list[Decimal]] = defaultdict(list)
    for t in h.transactions:
        if t.amount < 0 and not t.anomaly and t.recurring_series is None:
            amounts[t.merchant_id].append(-t.amount)
    checked = 0
    for t in h.transactions:
        usual = sorted(amounts.get(t.merchant_id, []))
        if t.anomaly and len(usual) >= 5 and t.recurring_series is None:
            median = usual[len(usual) // 2]
            duplicate = any(
                u.date == t.date and u.amount == t.amount and not u.anomaly
                for u in h.transactions
                if u.merchant_id == t.merchant_id
            )
            assert duplicate or -t.amount >= 3 * median, t
            checked += 1
    assert checked > 0


def test_households_do_not_depend_on_the_process_hash_seed() -> None:
    import hashlib
    import os
    import subprocess
    import sys

    script = (
        "import hashlib; from budgetlm.ledger.synth import generate_household, random_persona;"
        "h = generate_household(random_persona(3), months=3, seed=9, hostile=True);"
        "print(hashlib.sha256(repr(h).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    here = generate_household(random_persona(3), months=3, seed=9, hostile=True)
    assert digests == {hashlib.sha256(repr(here).encode()).hexdigest()}


def test_unknown_regions_and_personas_are_refused() -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="unknown US region"):
        generate_household(replace(PERSONAS["student"], region="XX"), months=1)
    with pytest.raises(KeyError):
        generate_household("nobody", months=1)
