"""Categorizing a stored workspace: rules, corrections and model guesses land in the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest

from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.rules import Rule
from budgetlm.categorize.service import categorize_ledger, train_personal, workspace_categorizer
from budgetlm.errors import InputError
from budgetlm.ledger import labels
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement
from budgetlm.ledger.repository import Ledger, TransactionFilter


class TableModel:
    """A stand-in model with a threshold, like the real one carries."""

    threshold = 0.7

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str, float]]:
        table = {"MARKET": ("Groceries", 0.96), "DINER": ("Dining Out", 0.9)}
        return [
            next((v for k, v in table.items() if k in t.description), ("Travel", 0.3))
            for t in texts
        ]


def load(ledger: Ledger, *rows: tuple[int, str, str], category: str | None = None) -> None:
    statement = ParsedStatement(
        "s.csv",
        "csv",
        tuple(
            ImportedTransaction(date(2026, 3, day), Decimal(amount), text, day, category=category)
            for day, amount, text in rows
        ),
    )
    import_statement(ledger, statement, file_sha256="x", account="Checking")


def by_description(ledger: Ledger) -> dict[str, tuple[str | None, str | None, str | None]]:
    names = {c.id: c.name for c in ledger.categories()}
    return {
        t.description: (names.get(t.category_id or -1), t.category_source, t.payee)
        for t in ledger.transactions(TransactionFilter())
    }


def test_each_layer_writes_its_category_and_the_rest_waits_for_review(ledger: Ledger) -> None:
    load(
        ledger,
        (1, "-40.00", "POS CORNER MARKET #12"),
        (2, "-18.50", "JOE'S DINER"),
        (3, "-300.00", "MYSTERY CHARGE 88"),
        (4, "-9.99", "STREAMCO*MEMBERSHIP"),
    )
    labels.add_rule(ledger, Rule("Subscriptions", "streamco"))
    report = categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()))
    assert (report.considered, report.by_rule, report.by_model, report.to_review) == (4, 1, 2, 1)
    stored = by_description(ledger)
    assert stored["STREAMCO*MEMBERSHIP"][:2] == ("Subscriptions", "rule")
    assert stored["POS CORNER MARKET #12"][:2] == ("Groceries", "model")
    assert stored["POS CORNER MARKET #12"][2], "the normalized payee is stored beside the raw text"
    [item] = labels.review_list(ledger)
    assert item.transaction.description == "MYSTERY CHARGE 88"
    assert (item.suggestion, item.confidence) == ("Travel", 0.3)


def test_a_correction_sticks_for_the_merchant_from_then_on(ledger: Ledger) -> None:
    load(ledger, (1, "-18.50", "JOE'S DINER"))
    categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()))
    [diner] = ledger.transactions(TransactionFilter())
    labels.correct(ledger, diner.id, "Coffee Shops")
    load(ledger, (9, "-7.25", "JOE'S DINER"))
    categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()))
    sources = {t.date.day: (t.category_source, t.category_id) for t in ledger.transactions()}
    coffee = ledger.category("Coffee Shops").id
    assert sources == {1: ("user", coffee), 9: ("correction", coffee)}


def test_redo_never_overwrites_what_a_person_set(ledger: Ledger) -> None:
    load(ledger, (1, "-40.00", "CORNER MARKET"), category="Gifts & Donations")
    load(ledger, (2, "-40.00", "OTHER MARKET"))
    categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()))
    report = categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()), redo=True)
    assert report.considered == 1
    assert by_description(ledger)["CORNER MARKET"][:2] == ("Gifts & Donations", "import")


def test_renamed_default_categories_still_receive_model_labels(ledger: Ledger) -> None:
    ledger.rename_category("Groceries", "Food at Home")
    load(ledger, (1, "-40.00", "CORNER MARKET"))
    categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()))
    assert by_description(ledger)["CORNER MARKET"][0] == "Food at Home"


def test_rules_are_stored_listed_and_removed(ledger: Ledger) -> None:
    rule_id = labels.add_rule(ledger, Rule("Rent", "landlord", amount_min=Decimal(500)))
    assert labels.rules(ledger) == [(rule_id, Rule("Rent", "landlord", amount_min=Decimal(500)))]
    labels.remove_rule(ledger, rule_id)
    assert labels.rules(ledger) == []


def test_a_personal_model_learns_the_users_own_categories(ledger: Ledger) -> None:
    ledger.add_category("Kids Soccer", "want")
    history = [(d, "-45.00", f"CITY YOUTH SOCCER CLUB {d:02d}") for d in range(1, 29)]
    history += [(d, "-60.00", f"CORNER MARKET #{d}") for d in range(1, 29)]
    load(ledger, *history[:28], category="Kids Soccer")
    load(ledger, *history[28:], category="Groceries")
    report = train_personal(ledger)
    assert (report.rows, report.categories) == (56, 2)
    assert labels.personal_model(ledger) is not None
    statement = ParsedStatement(
        "april.csv",
        "csv",
        (ImportedTransaction(date(2026, 4, 2), Decimal("-45.00"), "CITY YOUTH SOCCER CLUB 99", 1),),
    )
    import_statement(ledger, statement, file_sha256="y", account="Checking")
    categorize_ledger(ledger, workspace_categorizer(ledger, TableModel()))
    assert by_description(ledger)["CITY YOUTH SOCCER CLUB 99"][:2] == ("Kids Soccer", "model")


def test_a_personal_model_needs_enough_history(ledger: Ledger) -> None:
    load(ledger, (1, "-45.00", "CITY YOUTH SOCCER CLUB"), category="Kids Soccer")
    with pytest.raises(InputError, match="at least 50"):
        train_personal(ledger)
