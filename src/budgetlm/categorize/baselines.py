"""Baselines the category model is compared against, on the same splits.

``SmartImporterBaseline``
    beancount smart_importer's approach, re-implemented from its published description: word
    n-grams 1-3 of the description (``CountVectorizer(ngram_range=(1, 3))``, default word
    tokens) next to the day of month as one numeric column, and a linear SVM. No calibration:
    it always answers, with confidence 1.0. Two deviations, both for speed at 10k+ rows:
    ``LinearSVC`` (liblinear) instead of ``SVC(kernel="linear")`` (libsvm, the same model
    family but quadratic in the rows), and the day scaled to (0, 1] (day / 31): liblinear does
    not converge in 20k iterations (about 4 minutes on 44k rows) with the raw 1-31 value.

``KeywordRules``
    A small keyword table written by hand from general knowledge of bank statements (not from
    the synthetic data): the first category whose keyword occurs as a word in the description
    wins, with confidence 1.0. Unmatched rows stay uncategorized (``None``, confidence 0.0),
    which is what a rules-only categorizer does; they count as wrong in accuracy and are not
    covered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from budgetlm.categorize.evaluate import Trainer
from budgetlm.categorize.records import TransactionText
from budgetlm.errors import InputError

KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Paycheck", ("payroll", "salary", "direct dep", "dir dep", "wages")),
    ("Credit Card Payment", ("payment thank you", "payment - thank you", "card payment",
                             "crcardpmt", "card pmt", "autopay payment")),
    ("Savings", ("to savings", "to sav")),
    ("Transfer", ("transfer", "xfer", "zelle", "venmo")),
    ("Cash & ATM", ("atm", "cash withdrawal", "cash wd")),
    ("Fees & Charges", ("fee", "overdraft", "service charge", "finance charge")),
    ("Other Income", ("interest paid", "interest earned", "dividend", "cashback")),
    ("Mortgage", ("mortgage", "mtg", "home loan")),
    ("Rent", ("rent", "apartments", "property management", "leasing")),
    ("Utilities", ("electric", "power", "water", "energy", "utility", "utilities", "sewer",
                   "gas company")),
    ("Internet & Phone", ("wireless", "mobile", "telecom", "internet", "broadband", "cable",
                          "verizon", "comcast", "xfinity", "t-mobile", "vodafone")),
    ("Insurance", ("insurance", "insur", "assurance", "geico", "state farm", "allstate",
                   "progressive")),
    ("Car Payment", ("auto loan", "auto finance", "car loan", "motor finance")),
    ("Loan Payments", ("student loan", "loan payment", "loan pmt", "navient", "nelnet")),
    ("Taxes", ("irs", "tax", "hmrc", "treasury")),
    ("Childcare", ("daycare", "child care", "childcare", "preschool", "nanny", "babysitter")),
    ("Education", ("tuition", "university", "college", "school", "academy")),
    ("Healthcare", ("pharmacy", "cvs", "walgreens", "clinic", "medical", "dental", "dentist",
                    "hospital", "doctor", "optometry", "health")),
    ("Coffee Shops", ("coffee", "espresso", "starbucks", "roasters", "dunkin")),
    ("Alcohol & Bars", ("bar", "pub", "tavern", "brewery", "liquor", "wine", "taproom")),
    ("Dining Out", ("restaurant", "grill", "kitchen", "pizza", "pizzeria", "diner", "bistro",
                    "taqueria", "burger", "sushi", "bbq", "cafe", "mcdonald's", "mcdonalds",
                    "chipotle", "subway", "doordash", "grubhub", "deli")),
    ("Groceries", ("grocery", "groceries", "market", "supermarket", "foods", "kroger",
                   "safeway", "trader joe", "aldi", "tesco", "sainsbury")),
    ("Gas & Fuel", ("fuel", "gas station", "shell", "chevron", "exxon", "petrol", "gasoline")),
    ("Transportation", ("uber", "lyft", "taxi", "metro", "transit", "parking", "toll",
                        "railway", "bus")),
    ("Auto Maintenance", ("auto repair", "tire", "tires", "oil change", "autozone",
                          "jiffy lube", "car wash", "auto parts")),
    ("Subscriptions", ("netflix", "spotify", "hulu", "disney", "youtube", "subscription",
                       "prime video", "patreon")),
    ("Entertainment", ("cinema", "cinemas", "theater", "theatre", "movie", "tickets",
                       "bowling", "museum", "concert")),
    ("Fitness", ("gym", "fitness", "yoga", "athletic club", "crossfit", "pilates")),
    ("Personal Care", ("salon", "barber", "spa", "nails", "cleaners", "laundry", "massage")),
    ("Clothing", ("apparel", "clothing", "boutique", "shoes", "footwear", "outfitters")),
    ("Electronics", ("electronics", "best buy", "computer")),
    ("Home", ("home depot", "lowe's", "hardware", "furniture", "ikea", "garden")),
    ("Pets", ("pet", "vet", "veterinary", "petco", "petsmart")),
    ("Travel", ("airline", "airlines", "hotel", "motel", "airbnb", "expedia", "resort")),
    ("Gifts & Donations", ("donation", "charity", "church", "foundation", "gift")),
    ("Services", ("usps", "fedex", "ups store", "legal", "attorney", "postage")),
    ("Shopping", ("amazon", "amzn", "target", "walmart", "store", "shop", "books", "etsy",
                  "ebay")),
)  # fmt: skip
"""(category, keywords) in priority order: the first category with a matching keyword wins."""


class KeywordRules:
    """A keyword-table categorizer (no training); see the module docstring."""

    threshold: float = 1.0
    """Matched rows carry confidence 1.0, so they are exactly the covered ones."""

    def __init__(self, table: Sequence[tuple[str, Sequence[str]]] = KEYWORDS) -> None:
        """Compile ``table`` (category, keywords) into one regular expression per category."""
        self._rules = [
            (category, re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b"))
            for category, words in table
        ]

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str | None, float]]:
        """First matching category (confidence 1.0) or ``(None, 0.0)`` for each of ``texts``."""
        return [self._match(text.description.lower()) for text in texts]

    def _match(self, description: str) -> tuple[str | None, float]:
        for category, pattern in self._rules:
            if pattern.search(description):
                return category, 1.0
        return None, 0.0


@dataclass(frozen=True)
class SmartImporterBaseline:
    """smart_importer's model: word 1-3-grams + day of month, linear SVM, always answers."""

    vectorizer: Any
    """The fitted ``CountVectorizer``."""
    svm: Any
    """The fitted ``LinearSVC``."""

    threshold: float = 0.0
    """It has no notion of confidence: every answer is given (confidence 1.0)."""

    @classmethod
    def train(
        cls, texts: Sequence[TransactionText], labels: Sequence[str]
    ) -> SmartImporterBaseline:
        """Fit on labelled transactions (needs two or more categories)."""
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.svm import LinearSVC

        if len(set(labels)) < 2 or len(texts) != len(labels):
            raise InputError("smart_importer baseline needs matching rows and >= 2 categories")
        vectorizer = CountVectorizer(ngram_range=(1, 3))
        words = vectorizer.fit_transform([t.description for t in texts])
        svm = LinearSVC(C=1.0, max_iter=20000, random_state=0)
        svm.fit(_with_day(words, texts), list(labels))
        return cls(vectorizer, svm)

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str | None, float]]:
        """The SVM's class for each of ``texts``, always with confidence 1.0."""
        if not texts:
            return []
        words = self.vectorizer.transform([t.description for t in texts])
        return [(str(label), 1.0) for label in self.svm.predict(_with_day(words, texts))]


def _with_day(words: Any, texts: Sequence[TransactionText]) -> sp.csr_matrix:
    """Append the day of month as one numeric column (scaled to (0, 1], see the module doc)."""
    day = sp.csr_matrix(np.array([[t.date.day / 31.0] for t in texts], dtype=np.float64))
    return sp.hstack([words, day], format="csr")


def comparison_methods() -> dict[str, Trainer]:
    """The methods every categorization evaluation compares, by name: our model trained on the
    split, beancount smart_importer's approach, the keyword rules, and the shipped model (which
    ignores the split's training rows: it was trained on other households)."""
    from budgetlm.categorize.model import CategoryModel

    return {
        "ours": lambda texts, labels: CategoryModel.train(texts, labels),
        "smart_importer": SmartImporterBaseline.train,
        "keywords": lambda texts, labels: KeywordRules(),
        "shipped": lambda texts, labels: CategoryModel.default(),
    }
