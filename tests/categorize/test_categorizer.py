"""The layered categorizer: rules, then corrections, then the model, else review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from budgetlm.categorize.categorizer import Categorizer
from budgetlm.categorize.normalize import payee_key
from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.rules import Rule


class KeywordScorer:
    """A stand-in model: a category and confidence per keyword."""

    def __init__(self, table: dict[str, tuple[str, float]]) -> None:
        self.table = table
        self.seen: list[str] = []

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str, float]]:
        self.seen += [t.description for t in texts]
        return [
            next((v for k, v in self.table.items() if k in t.description), ("Shopping", 0.2))
            for t in texts
        ]


def text(description: str) -> TransactionText:
    return TransactionText(description, Decimal("-12.00"), date(2026, 3, 1), "Checking")


def test_layers_apply_in_order_and_unsure_guesses_become_suggestions() -> None:
    model = KeywordScorer({"MARKET": ("Groceries", 0.97), "LUCY": ("Dining Out", 0.95)})
    corrected = "SQ *LUCY'S COFFEE CO SAN LUIS OBIS CA"
    categorizer = Categorizer(
        models=[(model, 0.6)],
        rules=[Rule("Groceries", "green leaf", field="description")],
        corrections={payee_key(corrected): "Coffee Shops"},
    )
    texts = [
        text("POS GREEN LEAF MARKET #12"),
        text(corrected),
        text("CORNER MARKET"),
        text("ODD THING 1234"),
    ]
    rule, correction, model_made, unsure = categorizer.categorize(texts)
    assert (rule.category, rule.source, rule.confidence) == ("Groceries", "rule", 1.0)
    assert (correction.category, correction.source) == ("Coffee Shops", "correction")
    assert (model_made.category, model_made.source) == ("Groceries", "model")
    assert (unsure.category, unsure.best_guess, unsure.source) == (None, "Shopping", "none")
    assert model.seen == ["CORNER MARKET", "ODD THING 1234"], "the model only sees what is left"


def test_a_correction_covers_other_spellings_of_the_merchant() -> None:
    first = "SQ *LUCY'S COFFEE CO SAN LUIS OBIS CA"
    again = "SQ *LUCY'S COFFEE CO SAN LUIS OBIS CA 07 OCT"
    categorizer = Categorizer(corrections={payee_key(first): "Coffee Shops"})
    [prediction] = categorizer.categorize([text(again)])
    assert prediction.category == "Coffee Shops"


def test_without_a_model_only_user_layers_decide() -> None:
    [prediction] = Categorizer().categorize([text("ANYTHING")])
    assert (prediction.category, prediction.best_guess, prediction.source) == (None, None, "none")


def test_later_models_decide_what_earlier_ones_are_unsure_of() -> None:
    personal = KeywordScorer({"CLUB": ("Kids Soccer", 0.95), "MARKET": ("Groceries", 0.4)})
    shipped = KeywordScorer({"MARKET": ("Groceries", 0.99), "ODD": ("Travel", 0.3)})
    categorizer = Categorizer(models=[(personal, 0.8), (shipped, 0.7)])
    club, market, odd = categorizer.categorize([text("YOUTH CLUB"), text("MARKET"), text("ODD")])
    assert (club.category, market.category, odd.category) == ("Kids Soccer", "Groceries", None)
    assert shipped.seen == ["MARKET", "ODD"], "the shipped model only sees what is left"
    assert (odd.best_guess, odd.confidence) == ("Shopping", 0.2), "the first model suggests"
