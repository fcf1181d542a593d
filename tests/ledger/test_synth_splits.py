"""Merchant catalogue, bank strings and the held-out splits."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache

import pytest

from budgetlm.ledger.synth import (
    MERCHANT_SPLIT,
    PERSONAS,
    Household,
    Pool,
    catalogue,
    generate_household,
    merchant_split,
    random_persona,
    template_split,
    templates,
)
from budgetlm.ledger.synth.bank_strings import ENTRY_KINDS
from budgetlm.ledger.synth.merchants import NEVER_HELD_OUT
from budgetlm.ledger.taxonomy import default_categories

BIG = ("Groceries", "Dining Out", "Coffee Shops", "Shopping", "Gas & Fuel", "Entertainment",
       "Personal Care", "Healthcare", "Home", "Clothing")  # fmt: skip
BILLS = ("Paycheck", "Other Income", "Rent", "Mortgage", "Utilities", "Internet & Phone",
         "Insurance", "Subscriptions", "Car Payment", "Loan Payments", "Taxes", "Childcare",
         "Education", "Fitness", "Credit Card Payment", "Savings", "Transfer", "Fees & Charges",
         "Cash & ATM")  # fmt: skip


@cache
def household(key: str, seed: int, merchants: Pool = "all", templates: Pool = "all") -> Household:
    return generate_household(key, months=6, seed=seed, merchants=merchants, templates=templates)


def test_hundreds_of_merchants_in_every_big_category() -> None:
    counts = catalogue().category_counts()
    for category in BIG:
        assert counts[category] >= 200, category
    assert counts["Dining Out"] >= 500
    assert counts["Internet & Phone"] < 60 and counts["Mortgage"] < 60
    assert set(counts) <= {c.name for c in default_categories()}


def test_merchant_ids_are_unique_and_stable() -> None:
    merchants = catalogue().merchants
    assert len({m.id for m in merchants}) == len(merchants)
    ids = {m.id for m in merchants}
    assert {"coffee.starbucks", "sys.atm", "sys.xfer.to_savings"} <= ids
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)*\.[a-z0-9_-]+", m.id) for m in merchants)


def test_some_names_are_ambiguous_on_text_alone() -> None:
    by_name: dict[str, set[str]] = defaultdict(set)
    for m in catalogue().merchants:
        by_name[m.name.lower()].add(m.category)
    assert sum(len(c) > 1 for c in by_name.values()) >= 3
    kinds = {m.name: m.category for m in catalogue().merchants if m.scope == "chain"}
    assert kinds["Target"] == "Shopping" and kinds["Costco Gas"] == "Gas & Fuel"
    cafes = [m for m in catalogue().merchants if "Cafe" in m.name]
    assert {m.category for m in cafes} >= {"Dining Out", "Coffee Shops"}


def test_merchant_split_holds_out_about_a_fifth() -> None:
    fixed = [m for m in catalogue().merchants if m.id.split(".")[0] in NEVER_HELD_OUT]
    assert all(merchant_split(m.id) == "train" for m in fixed)
    merchants = [m for m in catalogue().merchants if m not in fixed]
    held = sum(merchant_split(m.id) == "heldout" for m in merchants)
    assert 0.17 < held / len(merchants) < 0.23
    for category in BIG:
        pool = [m for m in merchants if m.category == category]
        assert sum(merchant_split(m.id) == "heldout" for m in pool) >= 25, category
    assert MERCHANT_SPLIT["coffee.starbucks"] == merchant_split("coffee.starbucks")
    assert len(MERCHANT_SPLIT) == len(catalogue().merchants)


def test_template_split_holds_out_whole_families() -> None:
    all_templates = templates()
    held = [t for t in all_templates if t.heldout]
    assert 0.18 <= len(held) / len(all_templates) <= 0.3
    families: dict[str, set[bool]] = defaultdict(set)
    for t in all_templates:
        families[t.family].add(t.heldout)
        assert template_split(t.id) == ("heldout" if t.heldout else "train")
    assert all(len(sides) == 1 for sides in families.values())
    with pytest.raises(KeyError):
        template_split("no.such.1")


@pytest.mark.parametrize("locale", ["US", "GB"])
def test_every_entry_kind_has_train_and_heldout_templates(locale: str) -> None:
    for kind in ENTRY_KINDS:
        sides = {t.heldout for t in templates() if kind in t.kinds and t.locale in (locale, "any")}
        assert sides == {True, False}, (locale, kind)


@pytest.mark.parametrize("key", ["young_renter", "family_mortgage", "uk_renter", "gig_worker"])
def test_train_households_never_see_heldout_merchants_or_templates(key: str) -> None:
    h = household(key, 3, "train", "train")
    assert {merchant_split(t.merchant_id) for t in h.transactions} == {"train"}
    assert {template_split(t.template_id) for t in h.transactions} == {"train"}


@pytest.mark.parametrize("key", ["young_renter", "retiree", "uk_renter"])
def test_heldout_households_buy_only_from_heldout_merchants(key: str) -> None:
    h = household(key, 4, "heldout", "heldout")
    day_to_day = [
        t for t in h.transactions
        if t.recurring_series is None and t.category not in BILLS
    ]  # fmt: skip
    assert len(day_to_day) > 100
    assert {merchant_split(t.merchant_id) for t in day_to_day} == {"heldout"}
    assert {template_split(t.template_id) for t in h.transactions} == {"heldout"}


def test_the_same_merchant_is_spelled_many_ways() -> None:
    shapes: dict[str, set[str]] = defaultdict(set)
    counts = Counter[str]()
    for seed in range(10):
        h = generate_household(random_persona(seed), months=4, seed=seed)
        for t in h.transactions:
            shapes[t.merchant_id].add(re.sub(r"\d", "#", t.description))
            counts[t.merchant_id] += 1
    frequent = [m for m, n in counts.items() if n >= 10 and not m.startswith("sys.")]
    assert len(frequent) >= 30
    spelled = sorted(len(shapes[m]) for m in frequent)
    assert spelled[len(spelled) // 2] >= 3
    assert max(spelled) >= 8


def test_within_one_household_a_merchant_still_has_several_spellings() -> None:
    h = generate_household("high_earner_debt", months=12, seed=2)
    shapes: dict[str, set[str]] = defaultdict(set)
    for t in h.transactions:
        shapes[t.merchant_id].add(re.sub(r"\d", "#", t.description))
    assert sum(len(s) >= 3 for m, s in shapes.items() if not m.startswith("sys.")) >= 5


def test_bank_styles_differ_between_households() -> None:
    families = {
        frozenset(t.template_id.rsplit(".", 1)[0] for t in household(k, s).transactions)
        for k in PERSONAS
        for s in (0, 1)
    }
    assert len(families) >= 12
    used = set().union(*families)
    assert len(used) >= 40


def test_descriptions_look_like_bank_strings() -> None:
    texts = [t.description for k in PERSONAS for t in household(k, 0).transactions]
    assert sum(t.isupper() for t in texts) > 0.6 * len(texts)
    assert any(t != t.upper() for t in texts)  # some banks print mixed case
    for marker in ("SQ *", "TST*", "PAYPAL *", "PPD", "PAYMENT THANK YOU", "AMZN MKTP US*"):
        assert any(marker in t.upper() for t in texts), marker
    assert any(re.search(r"\b[A-Z]{2}$", t) for t in texts)  # city and state
    assert any(re.search(r"(#|STORE )\d{3,}", t) for t in texts)  # store numbers
    assert any(len(t) == 32 for t in texts)  # truncated exports


def test_hostile_text_only_when_asked() -> None:
    for key in PERSONAS:
        assert not any("hostile" in t.template_id for t in household(key, 0).transactions)
    rewritten = []
    for seed in range(6):
        h = generate_household("high_earner_debt", months=18, seed=seed, hostile=True)
        rewritten += [t for t in h.transactions if "+hostile-" in t.template_id]
    assert rewritten
    assert all(template_split(t.template_id) in ("train", "heldout") for t in rewritten)
