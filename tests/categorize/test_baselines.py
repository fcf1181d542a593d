"""Baselines: the keyword table and smart_importer's approach."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from budgetlm.categorize.baselines import KEYWORDS, KeywordRules, SmartImporterBaseline
from budgetlm.categorize.records import TransactionText
from budgetlm.errors import InputError
from budgetlm.ledger.taxonomy import default_categories


def tx(description: str, day: int = 14) -> TransactionText:
    return TransactionText(description, Decimal("-10.00"), date(2026, 3, day), "checking")


def test_keyword_categories_are_default_categories() -> None:
    names = {c.name for c in default_categories()}
    assert {category for category, _ in KEYWORDS} <= names


@pytest.mark.parametrize(
    "description, expected",
    [
        ("STARBUCKS STORE 15471 SARASOTA FL", "Coffee Shops"),
        ("ACME CORP PAYROLL PPD ID: 123", "Paycheck"),
        ("ONLINE TRANSFER TO SAVINGS 1234", "Savings"),
        ("BARBER SHOP ON MAIN", "Personal Care"),  # "bar" needs a word boundary
        ("SAFEWAY FOODS #12", "Groceries"),
        ("NETFLIX.COM", "Subscriptions"),
    ],
)
def test_keyword_rules_match_words(description: str, expected: str) -> None:
    assert KeywordRules().predict([tx(description)]) == [(expected, 1.0)]


def test_unmatched_rows_stay_uncategorized() -> None:
    rules = KeywordRules()
    assert rules.predict([tx("GULL & MAGPIE"), tx("")]) == [(None, 0.0), (None, 0.0)]
    assert rules.threshold == 1.0


def test_custom_keyword_table() -> None:
    rules = KeywordRules([("Pets", ("kibble",))])
    assert rules.predict([tx("KIBBLE KING"), tx("COFFEE")]) == [("Pets", 1.0), (None, 0.0)]


def test_smart_importer_always_answers_with_full_confidence() -> None:
    rows = [
        ("BLUE BOTTLE COFFEE", "Coffee Shops"),
        ("PEETS COFFEE", "Coffee Shops"),
        ("SAFEWAY GROCERY", "Groceries"),
        ("TRADER JOES GROCERY", "Groceries"),
        ("OAK APARTMENTS RENT", "Rent"),
        ("ELM APARTMENTS RENT", "Rent"),
    ]
    texts = [tx(d, i + 1) for i, (d, _) in enumerate(rows)]
    model = SmartImporterBaseline.train(texts, [c for _, c in rows])
    guesses = model.predict([tx("CORNER COFFEE"), tx("PINE APARTMENTS RENT"), tx("")])
    assert [g for g, _ in guesses[:2]] == ["Coffee Shops", "Rent"]
    assert all(p == 1.0 and g is not None for g, p in guesses)
    assert model.predict([]) == []
    assert model.threshold == 0.0


def test_smart_importer_needs_two_categories() -> None:
    with pytest.raises(InputError):
        SmartImporterBaseline.train([tx("A"), tx("B")], ["Rent", "Rent"])


@pytest.mark.slow
def test_model_beats_both_baselines_on_every_split() -> None:
    from budgetlm.categorize.evaluate import SplitConfig, build_splits, run_evaluation
    from budgetlm.categorize.model import CategoryModel

    config = SplitConfig(train_households=12, test_households=4)
    report = run_evaluation(
        build_splits(config),
        {
            "ours": lambda x, y: CategoryModel.train(x, y),
            "smart_importer": SmartImporterBaseline.train,
            "keywords": lambda x, y: KeywordRules(),
        },
    )
    for split, methods in report.splits.items():
        ours = methods["ours"]
        for baseline in ("smart_importer", "keywords"):
            assert ours.accuracy > methods[baseline].accuracy, (split, baseline)
            assert ours.macro_f1 > methods[baseline].macro_f1, (split, baseline)
        assert ours.covered_accuracy > methods["smart_importer"].covered_accuracy, split
