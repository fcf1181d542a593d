"""Evaluation metrics, calibration curves and split construction."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from budgetlm.categorize.evaluate import (
    ReliabilityBin,
    SplitConfig,
    build_splits,
    expected_calibration_error,
    reliability,
    run_evaluation,
    score,
)
from budgetlm.categorize.known_merchants import known_category
from budgetlm.categorize.normalize import normalize_payee
from budgetlm.categorize.records import TransactionText
from budgetlm.ledger.synth import merchant_split


def test_score_counts_uncategorized_as_wrong_and_not_covered() -> None:
    guesses = [("A", 0.9), ("B", 0.8), (None, 0.0), ("A", 0.4)]
    truth = ["A", "A", "B", "A"]
    m = score(guesses, truth, threshold=0.5)
    assert m.n == 4
    assert m.accuracy == 0.5
    assert m.coverage == 0.5
    assert m.covered_accuracy == 0.5
    # F1 of A: precision 2/2, recall 2/3 -> 0.8; of B: 0 -> macro 0.4
    assert m.macro_f1 == pytest.approx(0.4)


def test_score_with_nothing_covered_and_with_no_rows() -> None:
    m = score([("A", 0.1)], ["A"], threshold=0.5)
    assert m.coverage == 0.0 and np.isnan(m.covered_accuracy)
    empty = score([], [], threshold=0.5)
    assert empty.n == 0 and np.isnan(empty.accuracy)
    with pytest.raises(ValueError):
        score([("A", 1.0)], [], threshold=0.5)


def test_reliability_bins_and_ece() -> None:
    confidence = np.array([0.05, 0.15, 0.95, 1.0, 1.0])
    correct = np.array([False, True, True, True, False])
    curve = reliability(confidence, correct, bins=10)
    assert [b.count for b in curve] == [1, 1, 3]
    assert curve[-1].lower == pytest.approx(0.9) and curve[-1].upper == 1.0
    assert curve[-1].accuracy == pytest.approx(2 / 3)
    expected = (1 * 0.05 + 1 * 0.85 + 3 * abs(np.mean([0.95, 1, 1]) - 2 / 3)) / 5
    assert expected_calibration_error(curve) == pytest.approx(expected)
    assert np.isnan(expected_calibration_error(()))


def test_a_perfectly_calibrated_scorer_has_small_ece() -> None:
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.3, 1.0, 20000)
    correct = rng.uniform(size=confidence.size) < confidence
    curve = reliability(confidence, correct)
    assert expected_calibration_error(curve) < 0.02
    assert isinstance(curve[0], ReliabilityBin)


@pytest.fixture(scope="module")
def small_splits() -> dict[str, object]:
    config = SplitConfig(train_households=3, test_households=1, months=4, train_months=3)
    return {"config": config, "splits": build_splits(config)}


def test_build_splits_structure(small_splits: dict[str, object]) -> None:
    splits = small_splits["splits"]
    assert isinstance(splits, dict)
    assert list(splits) == [
        "later_months",
        "unseen_merchants",
        "unseen_unknown_brands",
        "unseen_spellings",
        "new_households",
    ]
    train = splits["later_months"].train
    assert all(s.train is train for s in splits.values())  # one training set, trained once
    for split in splits.values():
        assert len(split.test.texts) == len(split.test.labels) > 0
    later = splits["later_months"].test
    assert set(later.groups) == set(train.groups)
    for group in set(train.groups):
        trained = [t.date for t, g in zip(train.texts, train.groups, strict=True) if g == group]
        tested = [t.date for t, g in zip(later.texts, later.groups, strict=True) if g == group]
        assert max(trained) < min(tested)
        assert min(tested).day == 1 or min(tested).month != max(trained).month
    assert not set(splits["new_households"].test.groups) & set(train.groups)
    unseen, unknown = splits["unseen_merchants"].test, splits["unseen_unknown_brands"].test
    assert set(unknown.texts) < set(unseen.texts)  # a strict subset: some brands are known
    assert all(known_category(normalize_payee(t.description)) is None for t in unknown.texts)


def test_unseen_merchant_rows_are_held_out_merchants() -> None:
    from budgetlm.categorize.evaluate import household_rows

    _, _, ids, _ = household_rows(1_002_000, 4, 2, "heldout", "train", None)
    assert any(merchant_split(i) == "heldout" for i in ids)
    _, _, train_ids, _ = household_rows(1_000_001, 4, 2, "train", "train", None)
    assert all(merchant_split(i) == "train" for i in train_ids)


def test_build_splits_is_deterministic(small_splits: dict[str, object]) -> None:
    config = small_splits["config"]
    assert isinstance(config, SplitConfig)
    again = build_splits(config)
    first = small_splits["splits"]
    assert isinstance(first, dict)
    assert again["new_households"].test == first["new_households"].test


class _Constant:
    threshold = 0.5

    def __init__(self, label: str) -> None:
        self.label = label

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str | None, float]]:
        return [(self.label, 0.7)] * len(texts)


def test_run_evaluation_trains_once_per_training_set_and_is_json_able(
    small_splits: dict[str, object],
) -> None:
    splits = small_splits["splits"]
    assert isinstance(splits, dict)
    calls: list[int] = []

    def trainer(texts: Sequence[TransactionText], labels: Sequence[str]) -> _Constant:
        calls.append(len(texts))
        return _Constant(max(set(labels), key=list(labels).count))

    report = run_evaluation(splits, {"majority": trainer}, small_splits["config"])  # type: ignore[arg-type]
    assert len(calls) == 1
    assert set(report.splits) == set(splits)
    metrics = report.splits["later_months"]["majority"]
    assert metrics.coverage == 1.0 and 0.0 < metrics.accuracy < 0.5
    data = json.loads(json.dumps(report.to_dict()))
    assert data["splits"]["new_households"]["majority"]["n"] > 0
    assert data["config"]["train_households"] == 3
