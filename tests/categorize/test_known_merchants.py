"""The known-brand list: what it matches, what it must not, and that it loads cleanly."""

from __future__ import annotations

import pytest

from budgetlm.categorize.known_merchants import KnownMerchants, fold, known_category
from budgetlm.ledger.taxonomy import default_categories


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Safeway", "Groceries"),
        ("UBER *TRIP HELP.UBER.COM", "Transportation"),
        ("Uber Eats", "Dining Out"),
        ("Amazon Prime", "Subscriptions"),
        ("Chick-fil-A", "Dining Out"),
        ("CHICKFILA", "Dining Out"),  # a multi-word brand glued into one word
        ("Costco Gas", "Gas & Fuel"),  # the longest name wins over "Costco"
        ("Costco", "Groceries"),
        ("Engen", "Gas & Fuel"),
        ("MCDONALD'S #1234 SAN JOSE CA", "Dining Out"),
    ],
)
def test_well_known_brands_are_recognized(text: str, category: str) -> None:
    assert known_category(text) == category


@pytest.mark.parametrize(
    "text",
    ["Lucy's Coffee Co", "Transfer to Savings", "", "ROSS GELLER", "Gull & Magpie", "\x00\x01"],
)
def test_unknown_names_and_bare_common_words_are_not(text: str) -> None:
    assert known_category(text) is None


def test_every_category_is_in_the_taxonomy_and_each_name_has_one() -> None:
    from budgetlm.categorize.known_merchants import known_merchants

    names = {c.name for c in default_categories()}
    merchants = known_merchants()
    assert set(merchants.brands.values()) <= names
    assert len(merchants.brands) > 3000


def test_lists_with_mistakes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        KnownMerchants.from_lists({"Snacks": ["Frito"]})
    with pytest.raises(ValueError, match="under both"):
        KnownMerchants.from_lists({"Groceries": ["Acme Foods"], "Shopping": ["ACME FOODS"]})
    with pytest.raises(ValueError, match="empty"):
        KnownMerchants.from_lists({"Groceries": ["Acme | --"]})


def test_folding_ignores_case_apostrophes_and_store_numbers() -> None:
    assert fold("McDonald's #1234") == fold("MCDONALDS 5678") == ("mcdonalds", "0")
    assert fold("7-Eleven") == ("7", "eleven")
