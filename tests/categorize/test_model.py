"""The category model: training, prediction, calibration, persistence and bad input."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from budgetlm.categorize.calibration import choose_threshold, fit_temperature
from budgetlm.categorize.evaluate import household_rows
from budgetlm.categorize.features import FeatureConfig, Featurizer, amount_codes, tokens
from budgetlm.categorize.model import CategoryModel, ModelConfig
from budgetlm.categorize.records import TransactionText
from budgetlm.errors import InputError

DAY = date(2026, 3, 14)

TINY: list[tuple[str, str, str]] = [
    ("SQ *LUCY'S COFFEE CO SAN LUIS OBIS CA", "-4.50", "Coffee Shops"),
    ("BLUE BOTTLE COFFEE #12 OAKLAND CA", "-5.25", "Coffee Shops"),
    ("DAILY GRIND ESPRESSO BAR", "-3.75", "Coffee Shops"),
    ("PEET'S COFFEE 0443", "-6.10", "Coffee Shops"),
    ("SAFEWAY #1234 OAKLAND CA", "-84.12", "Groceries"),
    ("TRADER JOE'S #552", "-61.40", "Groceries"),
    ("WHOLE FOODS MARKET 10233", "-102.77", "Groceries"),
    ("GREEN VALLEY GROCERY", "-45.00", "Groceries"),
    ("ACME CORP PAYROLL PPD ID: 9987", "2450.00", "Paycheck"),
    ("ACME CORP PAYROLL DIR DEP", "2450.00", "Paycheck"),
    ("GLOBEX INC DIRECT DEPOSIT SALARY", "3100.00", "Paycheck"),
    ("INITECH PAYROLL 0315", "1980.55", "Paycheck"),
    ("OAK PARK APARTMENTS RENT WEB PMT", "-1650.00", "Rent"),
    ("ZELLE TO LANDLORD RENT MARCH", "-1400.00", "Rent"),
    ("RIVERSIDE PROPERTY MGMT RENT", "-1500.00", "Rent"),
    ("MAPLE COURT RENT PAYMENT", "-1725.00", "Rent"),
]


def tx(
    description: str, amount: str = "-10.00", account: str | None = "checking"
) -> TransactionText:
    return TransactionText(description, Decimal(amount), DAY, account)


def tiny_data(copies: int = 2) -> tuple[list[TransactionText], list[str]]:
    texts = [tx(d, a) for d, a, _ in TINY] * copies
    return texts, [c for _, _, c in TINY] * copies


@cache
def tiny_model() -> CategoryModel:
    return CategoryModel.train(*tiny_data())


@cache
def households(first_seed: int, count: int) -> tuple[list[TransactionText], list[str]]:
    texts: list[TransactionText] = []
    labels: list[str] = []
    for seed in range(first_seed, first_seed + count):
        rows, categories, _, _ = household_rows(seed, 4, 6, "train", "train", None)
        texts += rows
        labels += categories
    return texts, labels


# -- training and prediction ----------------------------------------------------------------


def test_tiny_round_trip() -> None:
    model = tiny_model()
    texts, labels = tiny_data(1)
    assert set(model.classes) == set(labels)
    guesses = model.predict(texts)
    assert all(0.0 <= p <= 1.0 for _, p in guesses)
    assert sum(g == y for (g, _), y in zip(guesses, labels, strict=True)) >= 15
    assert model.predict([tx("BEAN THERE COFFEE ROASTERS", "-4.00")])[0][0] == "Coffee Shops"


def test_predict_proba_rows_sum_to_one_and_predict_agrees() -> None:
    model = tiny_model()
    texts, _ = tiny_data(1)
    probs = model.predict_proba(texts)
    assert probs.shape == (len(texts), len(model.classes))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    best = [model.classes[i] for i in probs.argmax(axis=1)]
    assert [c for c, _ in model.predict(texts)] == best
    assert model.predict([]) == []


def test_factored_scores_match_the_materialized_features() -> None:
    texts, labels = tiny_data()
    model = CategoryModel.train(texts, labels)
    x = Featurizer(model.config.features).transform(texts)
    coef = model._coef.astype(np.float64)
    direct = x @ coef + model._intercept
    np.testing.assert_allclose(model.decision_function(texts), direct, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("char_ngrams", [(3, 5), (1, 2), (4, 4)])
def test_counted_activations_are_what_hashing_makes(char_ngrams: tuple[int, int]) -> None:
    """Block scaling counts each unit's n-grams without hashing them (cached units are never
    hashed again); the count must agree with the vectors ``unit_vectors`` builds."""
    features = Featurizer(FeatureConfig(char_ngrams=char_ngrams))
    names = ["da", "dab", "dcoffee", "pstarbucks", "dw", "Dblue bottle", "msign=-", "kGroceries"]
    hashed = np.asarray(features.unit_vectors(names).sum(axis=1)).ravel()
    np.testing.assert_array_equal(features._activations(names), hashed)


def test_one_row_at_a_time_gives_the_batch_answer() -> None:
    """The server scores one transaction per request: featurizing a single row (and reusing
    unit scores kept from earlier calls) must give each row exactly its batch vector and
    its batch probabilities."""
    texts, _ = households(40, 2)
    texts = texts[:300] + [replace(t, payee="Lucy Coffee", account=None) for t in texts[:20]]
    features = Featurizer(FeatureConfig())
    batch = features.transform(texts)
    for i, text in enumerate(texts):
        assert (features.transform([text]) != batch[i]).nnz == 0
    model = CategoryModel.default()
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(alone, together, rtol=1e-6, atol=1e-7)
    assert model.predict(texts) == [model.predict([t])[0] for t in texts]


@pytest.mark.parametrize("family", ["linear_svm", "logreg", "sgd", "complement_nb"])
def test_every_family_trains_without_warnings(family: str) -> None:
    small = FeatureConfig(n_features=2**14)  # lbfgs works on every column: keep it quick
    config = ModelConfig(family=family, C=1.0, alpha=1e-3, features=small)  # type: ignore[arg-type]
    model = CategoryModel.train(*tiny_data(), config)
    texts, labels = tiny_data(1)
    right = sum(g == y for (g, _), y in zip(model.predict(texts), labels, strict=True))
    assert right >= 12


def test_two_categories_use_the_binary_path() -> None:
    texts, labels = tiny_data()
    pairs = [(t, y) for t, y in zip(texts, labels, strict=True) if y in ("Coffee Shops", "Rent")]
    model = CategoryModel.train([t for t, _ in pairs], [y for _, y in pairs])
    assert model.classes == ("Coffee Shops", "Rent")
    assert model.predict([tx("CORNER COFFEE", "-3.00")])[0][0] == "Coffee Shops"
    assert model.predict([tx("ELM APARTMENTS RENT", "-1500.00")])[0][0] == "Rent"


def test_labels_with_one_example_are_trainable() -> None:
    texts, labels = tiny_data()
    texts.append(tx("FURRY FRIENDS VETERINARY CLINIC", "-120.00"))
    labels.append("Pets")
    model = CategoryModel.train(texts, labels)
    assert "Pets" in model.classes
    assert model.predict_proba([texts[-1]]).shape == (1, 5)


def test_training_is_deterministic_with_one_worker_and_close_with_two() -> None:
    texts, labels = tiny_data()
    a = CategoryModel.train(texts, labels, workers=1).predict_proba(texts)
    b = CategoryModel.train(texts, labels, workers=1).predict_proba(texts)
    np.testing.assert_array_equal(a, b)
    # Threads share liblinear's random state, so only the solver's tolerance is guaranteed.
    c = CategoryModel.train(texts, labels, workers=2).predict_proba(texts)
    np.testing.assert_allclose(a, c, atol=1e-3)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "texts, labels, message",
    [
        ([], [], "at least two categories"),
        ([tx("A"), tx("B")], ["Rent", "Rent"], "only 'Rent'"),
        ([tx("A")], ["Rent", "Groceries"], "1 transactions but 2 labels"),
        ([tx("A"), tx("B")], ["Rent", ""], "non-empty"),
    ],
)
def test_bad_training_data_is_a_clear_error(
    texts: list[TransactionText], labels: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        CategoryModel.train(texts, labels)


def test_hostile_descriptions_and_amounts_do_not_crash() -> None:
    model = tiny_model()
    hostile = [
        tx(""),
        tx("   "),
        tx("COFFEE " * 1500),  # ~10 kB
        tx(bytes(range(256)).decode("latin-1")),
        tx("\x00\x01\ufffd\U0001f600 ☕ café"),
        TransactionText("COFFEE", Decimal("NaN"), DAY),
        TransactionText("COFFEE", Decimal("-1E+20"), DAY, None),
        TransactionText("COFFEE", Decimal("-1500000"), DAY, "Konto ¥ JPY"),
    ]
    guesses = model.predict(hostile)
    assert len(guesses) == len(hostile)
    assert all(c in model.classes and 0.0 <= p <= 1.0 for c, p in guesses)


def test_no_rows_give_an_empty_matrix() -> None:
    features = Featurizer(FeatureConfig(n_features=1024))
    assert features.transform([]).shape == (0, 1024)


def test_long_descriptions_cost_no_more_than_their_first_characters() -> None:
    features = Featurizer(FeatureConfig(), payee_fn=lambda s: s)
    long = features.transform([tx("COFFEE SHOP " * 1000)])
    cut = features.transform([tx(("COFFEE SHOP " * 1000)[:256])])
    assert (long != cut).nnz == 0


# -- calibration ----------------------------------------------------------------------------


def test_choose_threshold_takes_the_smallest_confidence_reaching_the_target() -> None:
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, True, False, True, False])
    assert choose_threshold(confidence, correct, 1.0, 0.5) == 0.9
    assert choose_threshold(confidence, correct, 0.75, 0.5) == 0.7  # top 5 are 4/5 right
    assert choose_threshold(confidence, correct, 0.5, 0.65) == 0.65
    assert choose_threshold(confidence, ~correct, 0.9, 0.5) == 1.0


def test_choose_threshold_keeps_ties_together() -> None:
    confidence = np.array([0.9, 0.9, 0.8])
    correct = np.array([True, False, True])
    assert choose_threshold(confidence, correct, 0.9, 0.0) == 1.0


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 5))
    probs = np.exp(logits / 2.0)
    probs /= probs.sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(5, p=p) for p in probs])
    assert fit_temperature(logits, truth) == pytest.approx(2.0, rel=0.15)


def test_confidence_tracks_accuracy_on_unseen_households() -> None:
    texts, labels = households(424_200, 4)
    model = CategoryModel.train(texts, labels)
    test_texts, test_labels = households(424_300, 2)
    guesses = model.predict(test_texts)
    confidence = np.array([p for _, p in guesses])
    correct = np.array([g == y for (g, _), y in zip(guesses, test_labels, strict=True)])
    low, high = confidence < 0.6, confidence >= 0.9
    assert correct[high].mean() > correct[low].mean() + 0.2
    assert correct[high].mean() >= 0.9
    assert 0.5 <= model.threshold < 1.0
    covered = confidence >= model.threshold
    assert correct[covered].mean() >= correct.mean()


# -- persistence and the shipped model ---------------------------------------------------------


def test_save_load_gives_identical_probabilities(tmp_path: Path) -> None:
    model = tiny_model()
    model.save(tmp_path / "m", notes={"why": "test"})
    loaded = CategoryModel.load(tmp_path / "m")
    texts, _ = tiny_data(1)
    np.testing.assert_array_equal(model.predict_proba(texts), loaded.predict_proba(texts))
    assert loaded.classes == model.classes
    assert loaded.config == model.config
    assert loaded.threshold == model.threshold
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.json", "model.npz"]


def test_model_config_round_trips_through_a_dict() -> None:
    config = ModelConfig(family="logreg", features=FeatureConfig(char_ngrams=(2, 4)))
    assert ModelConfig.from_dict(config.to_dict()) == config
    saved_before_brand_hints = {"features": {"char_ngrams": [3, 5]}}  # a stored personal model
    assert not ModelConfig.from_dict(saved_before_brand_hints).features.known_merchants


def test_with_threshold_changes_only_the_threshold() -> None:
    model = tiny_model()
    other = model.with_threshold(0.75)
    assert other.threshold == 0.75
    texts, _ = tiny_data(1)
    np.testing.assert_array_equal(other.predict_proba(texts), model.predict_proba(texts))


def test_shipped_model_loads_and_categorizes_a_fresh_household() -> None:
    model = CategoryModel.default()
    assert model is CategoryModel.default()
    texts, labels = households(777_000, 1)
    guesses = model.predict(texts)
    accuracy = np.mean([g == y for (g, _), y in zip(guesses, labels, strict=True)])
    assert accuracy >= 0.9
    assert 0.5 <= model.threshold < 1.0


def test_batch_prediction_is_fast_enough_to_smoke() -> None:
    model = CategoryModel.default()
    texts, _ = households(777_000, 1)
    batch = (texts * (5000 // len(texts) + 1))[:5000]
    batch = [replace(t, payee=t.description[:20]) for t in batch]
    start = time.perf_counter()
    model.predict(batch)
    assert time.perf_counter() - start < 5.0  # ~0.05 s on 2 cores; only catches disasters


# -- features -------------------------------------------------------------------------------


def test_tokens_fold_case_and_digits() -> None:
    assert tokens("SQ *LUCY'S COFFEE #0423 San Luis") == [
        "sq",
        "lucy",
        "s",
        "coffee",
        "san",
        "luis",
    ]
    assert tokens("") == []


def test_amount_codes() -> None:
    sign, level, roundness = amount_codes(np.array([-4.25, 1200.0, 0.0, np.nan, -30.0]))
    assert sign.tolist() == [0, 2, 1, 1, 0]
    assert level.tolist() == [2, 10, 0, 0, 4]
    assert roundness.tolist() == [0, 3, 3, 3, 2]


def test_known_brands_carry_to_merchants_never_seen_in_the_users_own_labels() -> None:
    """A user's label set ("Food", "Getting Around") learns what the brand hints mean, so a
    well-known chain absent from their history lands in the right label of theirs."""
    history = [
        ("KROGER #0412 COLUMBUS OH", "-63.20", "Food"),
        ("SAFEWAY STORE 1234 OAKLAND CA", "-84.12", "Food"),
        ("ALDI 77012 DENVER CO", "-41.07", "Food"),
        ("GREEN VALLEY GROCERY", "-45.00", "Food"),
        ("UBER *TRIP HELP.UBER.COM", "-18.40", "Getting Around"),
        ("LYFT *RIDE SAT 4PM", "-12.95", "Getting Around"),
        ("METRO TRANSIT FARE", "-2.50", "Getting Around"),
        ("CITY PARKING GARAGE 4", "-9.00", "Getting Around"),
    ]
    texts = [tx(d, a) for d, a, _ in history] * 3
    labels = [c for _, _, c in history] * 3
    unseen = [tx("PUBLIX #1234 MIAMI FL", "-12.00"), tx("BOLT.EU/O/2401 TALLINN", "-60.00")]
    hinted = CategoryModel.train(texts, labels)
    assert [c for c, _ in hinted.predict(unseen)] == ["Food", "Getting Around"]
    blind = CategoryModel.train(
        texts, labels, ModelConfig(features=FeatureConfig(known_merchants=False))
    )
    assert [c for c, _ in blind.predict(unseen)] != ["Food", "Getting Around"]
