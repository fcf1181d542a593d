"""Debt payoff: amortization formulas against worked values, and multi-debt plans by hand."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal as D

import pytest

from budgetlm.analytics.debt import (
    DebtTerms,
    PlanConfig,
    compare_strategies,
    months_to_payoff,
    payment_for,
    plan_payoff,
)
from budgetlm.ledger.synth import generate_household

START = date(2026, 1, 15)


def loan(balance: str, apr: str, payment: str, name: str = "Loan") -> DebtTerms:
    """A fixed-payment loan: no percentage minimum, the payment as the floor."""
    return DebtTerms(name, D(balance), D(apr), min_payment_floor=D(payment))


def nper(balance: float, apr: float, payment: float) -> float:
    """The closed formula, independently of the module."""
    r = apr / 12
    return balance / payment if r == 0 else -math.log(1 - r * balance / payment) / math.log(1 + r)


def pmt(balance: float, apr: float, months: int) -> float:
    r = apr / 12
    return balance / months if r == 0 else balance * r / (1 - (1 + r) ** -months)


def test_worked_amortization_values() -> None:
    assert months_to_payoff(D(8000), D("0.07"), D(150)) == D("64.07")
    assert payment_for(D(200000), D("0.075"), 180) == D("1854.02")
    assert payment_for(D(25000), D("0.045"), 60) == D("466.08")  # a typical 5-year car loan


@pytest.mark.parametrize(
    ("balance", "apr", "payment"),
    [(5000, 0.1899, 200), (12000, 0.035, 250), (950, 0.2999, 40), (30000, 0.0, 700)],
)
def test_months_agree_with_the_closed_formula(balance: int, apr: float, payment: int) -> None:
    months = months_to_payoff(D(balance), D(str(apr)), D(payment))
    assert months is not None
    assert float(months) == pytest.approx(nper(balance, apr, payment), abs=0.005)
    plan = plan_payoff([loan(str(balance), str(apr), str(payment))], "avalanche", D(0), START)
    assert plan.months_to_debt_free == math.ceil(months)


@pytest.mark.parametrize(("balance", "apr", "months"), [(18000, 0.0649, 72), (3000, 0.0, 24)])
def test_payment_agrees_with_the_closed_formula(balance: int, apr: float, months: int) -> None:
    expected = D(str(pmt(balance, apr, months))).quantize(D("0.01"))
    assert payment_for(D(balance), D(str(apr)), months) == expected


def test_eight_thousand_at_seven_percent_takes_65_payments_the_last_one_small() -> None:
    plan = plan_payoff([loan("8000", "0.07", "150")], "avalanche", D(0), START)
    assert plan.months_to_debt_free == 65 == math.ceil(D("64.07"))
    assert plan.debt_free_date == date(2031, 6, 15)
    first, last = plan.months[0].debts[0], plan.months[-1].debts[0]
    assert (first.interest, first.principal, first.balance) == (
        D("46.67"),
        D("103.33"),
        D("7896.67"),
    )
    assert last.payment < D(150) and last.balance == 0
    assert plan.total_paid == D(8000) + plan.total_interest


def test_a_mortgage_at_its_pmt_payment_clears_in_its_term() -> None:
    payment = payment_for(D(200000), D("0.075"), 180)
    plan = plan_payoff([loan("200000", "0.075", str(payment))], "avalanche", D(0), START)
    # 1,854.02 is 0.47 cents short of the exact payment; the last payment takes up the rest.
    assert plan.months_to_debt_free == 180
    assert plan.months[-1].payment == D("1855.50")
    assert months_to_payoff(D(200000), D("0.075"), payment) == D("180.00")


def test_zero_apr_is_plain_division() -> None:
    assert months_to_payoff(D(1200), D(0), D(100)) == D(12)
    assert payment_for(D(1200), D(0), 12) == D(100)
    plan = plan_payoff([loan("1200", "0", "100")], "avalanche", D(0), START)
    assert (plan.months_to_debt_free, plan.total_interest) == (12, D(0))


def test_a_payment_below_the_interest_never_pays_off() -> None:
    assert months_to_payoff(D(10000), D("0.24"), D(200)) is None  # exactly the interest
    assert months_to_payoff(D(10000), D("0.24"), D(150)) is None
    plan = plan_payoff([loan("10000", "0.24", "150", "Store Card")], "avalanche", D(0), START)
    assert not plan.paid_off and plan.months_to_debt_free is None
    assert plan.payoffs[0].payoff_date is None
    assert plan.message is not None and "Store Card never pays off" in plan.message
    assert len(plan.months) == PlanConfig().max_months


def test_percentage_minimums_below_the_interest_never_pay_off_but_extra_helps() -> None:
    card = DebtTerms("Card", D(5000), D("0.2999"), D("0.01"), D(25))
    assert not plan_payoff([card], "avalanche", D(0), START).paid_off
    helped = plan_payoff([card], "avalanche", D(150), START)
    assert helped.paid_off and helped.monthly_budget == D(200)  # 1% of 5,000 + 150


def test_a_payment_larger_than_the_balance_clears_it_in_one_month() -> None:
    months = months_to_payoff(D(100), D("0.12"), D(500))
    assert months is not None and 0 < months < 1
    plan = plan_payoff([loan("100", "0.12", "500")], "avalanche", D(0), START)
    assert plan.months_to_debt_free == 1
    assert plan.months[0].debts[0].payment == D("101.00")  # the balance plus a month at 1%


def three_debts() -> list[DebtTerms]:
    return [
        loan("500", "0.10", "50", "A"),
        loan("2000", "0.20", "50", "B"),
        loan("1000", "0.05", "50", "C"),
    ]


def test_avalanche_aims_extra_at_the_highest_rate() -> None:
    plan = plan_payoff(three_debts(), "avalanche", D(100), START)
    month = {d.name: d for d in plan.months[0].debts}
    assert {n: d.payment for n, d in month.items()} == {"A": D(50), "B": D(150), "C": D(50)}
    assert {n: d.interest for n, d in month.items()} == {
        "A": D("4.17"),
        "B": D("33.33"),
        "C": D("4.17"),
    }
    assert [p.months for p in plan.payoffs] == [11, 14, 16]


def test_snowball_clears_the_smallest_first_and_rolls_freed_payments_over() -> None:
    plan = plan_payoff(three_debts(), "snowball", D(100), START)
    assert plan.monthly_budget == D(250)
    assert [p.months for p in plan.payoffs] == [4, 16, 8]  # A, then C, then B
    fourth = {d.name: d for d in plan.months[3].debts}
    # A's last payment is what it owes (58.85 + 0.49); the rest of its 150 goes to C.
    assert fourth["A"].payment == D("59.34") and fourth["C"].payment == D("140.66")
    fifth = {d.name: d for d in plan.months[4].debts}
    assert set(fifth) == {"B", "C"} and fifth["C"].payment == D(200)  # 50 + A's 50 + 100 extra
    assert fifth["C"].balance == D("724.86") + D("3.02") - D(200)
    assert all(m.payment == D(250) for m in plan.months[:-1])


def test_avalanche_costs_least_and_hybrid_takes_the_quick_win() -> None:
    comparison = compare_strategies(three_debts(), D(100), START)
    interest = {p.strategy: p.total_interest for p in comparison.plans}
    assert comparison.best == "avalanche"
    assert interest["avalanche"] < interest["hybrid"] < interest["snowball"]
    hybrid = comparison.plans[2]
    # A (about 412 left after two months) fits in three months of its 50 plus the free 100.
    assert [d.payment for d in hybrid.months[1].debts] == [D(50), D(150), D(50)]
    assert [d.payment for d in hybrid.months[2].debts] == [D(150), D(50), D(50)]


def test_a_promotional_rate_charges_nothing_until_it_ends() -> None:
    promo = DebtTerms(
        "Card",
        D(3000),
        D("0.24"),
        min_payment_floor=D(300),
        promo_apr=D(0),
        promo_until=date(2026, 7, 15),
    )
    plan = plan_payoff([promo], "avalanche", D(0), START)
    assert [m.interest for m in plan.months[:6]] == [D(0)] * 6
    assert plan.months[6].interest == D("24.00")  # 2% of the 1,200 left after six payments
    plain = plan_payoff(
        [DebtTerms("Card", D(3000), D("0.24"), min_payment_floor=D(300))], "avalanche", D(0), START
    )
    assert plan.total_interest < plain.total_interest


def test_avalanche_leaves_a_debt_alone_while_its_promo_lasts() -> None:
    debts = [
        DebtTerms(
            "Promo",
            D(2000),
            D("0.25"),
            min_payment_floor=D(40),
            promo_apr=D(0),
            promo_until=date(2026, 12, 31),
        ),
        DebtTerms("Card", D(2000), D("0.20"), min_payment_floor=D(40)),
    ]
    plan = plan_payoff(debts, "avalanche", D(200), START)
    assert [d.payment for d in plan.months[0].debts] == [D(40), D(240)]


def test_nothing_owed_and_bad_input() -> None:
    plan = plan_payoff([loan("0", "0.1", "50")], "avalanche", D(0), START)
    assert plan.paid_off and plan.months == () and plan.payoffs[0].months == 0
    with pytest.raises(ValueError, match="negative"):
        plan_payoff(three_debts(), "avalanche", D(-1), START)
    with pytest.raises(ValueError, match="unknown strategy"):
        plan_payoff(three_debts(), "fastest", D(0), START)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique"):
        plan_payoff([loan("1", "0", "1"), loan("2", "0", "1")], "avalanche", D(0), START)


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_synthetic_households_debts_balance_to_the_cent(seed: int) -> None:
    household = generate_household("high_earner_debt", months=3, seed=seed)
    debts = [
        DebtTerms(d.name, d.balance, d.apr, d.min_payment_percent, d.min_payment_floor)
        for d in household.debts
    ]
    plan = plan_payoff(debts, "hybrid", D(200), household.end)
    assert plan.paid_off
    for debt, payoff in zip(debts, plan.payoffs, strict=True):
        assert payoff.total_paid == debt.balance + payoff.total_interest
    assert sum((m.payment for m in plan.months), D(0)) == plan.total_paid
