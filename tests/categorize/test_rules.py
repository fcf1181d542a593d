"""User rules: what matches, what wins, what is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.rules import Rule, first_match, in_priority_order
from budgetlm.errors import InputError


def text(
    description: str, amount: str = "-10", account: str | None = "Checking"
) -> TransactionText:
    return TransactionText(description, Decimal(amount), date(2026, 3, 1), account)


def test_contains_and_equals_ignore_case_and_spacing() -> None:
    assert Rule("Coffee Shops", "lucy's  coffee").matches(text("SQ *LUCY'S COFFEE CO SAN LUIS"))
    assert not Rule("Coffee Shops", "lucy's coffee", match="equals").matches(
        text("LUCY'S COFFEE CO")
    )
    assert Rule("Coffee Shops", "LUCY'S COFFEE CO", match="equals").matches(
        text("lucy's coffee co")
    )


def test_regex_searches_and_bad_regex_is_refused() -> None:
    assert Rule("Rent", r"ACH .*(LANDLORD|PROPERTY)", match="regex").matches(
        text("ACH DEBIT GREEN PROPERTY MGMT")
    )
    with pytest.raises(InputError, match="regular expression"):
        Rule("Rent", "(unclosed", match="regex")
    with pytest.raises(InputError, match="pattern"):
        Rule("Rent", "   ")


def test_amount_bounds_use_the_magnitude_and_account_must_match() -> None:
    rule = Rule(
        "Utilities",
        "city power",
        amount_min=Decimal(50),
        amount_max=Decimal(200),
        account="checking",
    )
    assert rule.matches(text("CITY POWER", "-120.00"))
    assert rule.matches(text("CITY POWER REFUND", "60.00"))
    assert not rule.matches(text("CITY POWER", "-20.00"))
    assert not rule.matches(text("CITY POWER", "-120.00", account="Visa"))
    with pytest.raises(InputError, match="smallest amount"):
        Rule("Utilities", "x", amount_min=Decimal(5), amount_max=Decimal(1))


def test_priority_then_age_decides_between_matching_rules() -> None:
    older = Rule("Shopping", "amzn")
    newer = Rule("Groceries", "amzn fresh")
    urgent = Rule("Electronics", "amzn", priority=5)
    purchase = text("AMZN FRESH*2K4L81T3")
    assert first_match(in_priority_order([older, newer]), purchase) is older
    assert first_match(in_priority_order([older, newer, urgent]), purchase) is urgent
    assert first_match(in_priority_order([newer]), text("SHELL OIL")) is None
