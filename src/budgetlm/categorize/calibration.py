"""Calibrated confidence for the category model: a temperature fitted on out-of-fold scores and
the review threshold chosen from them.

Pure numpy/scipy functions; ``model.CategoryModel.train`` supplies the out-of-fold scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

_FloatArray = npt.NDArray[np.float64]

ABSENT = -1e6
"""Score of a class a fold's model never saw (probability ~0 after the softmax)."""

MIN_CALIBRATION_ROWS = 20
"""Fewer scored out-of-fold rows than this: keep ``T = 1`` and the minimum threshold."""


@dataclass(frozen=True)
class Calibration:
    """What calibration chose, from out-of-fold scores."""

    temperature: float
    """Divisor of the scores before the softmax."""
    threshold: float
    """Smallest confidence that sets a category."""
    oof_accuracy: float | None = None
    """Out-of-fold accuracy of the top guess (None when there were too few rows)."""
    oof_coverage: float | None = None
    """Share of out-of-fold rows at or above the threshold (None as above)."""


def calibrate(
    oof: _FloatArray,
    truth: npt.NDArray[np.int64],
    target: float,
    floor: float,
    temperature: bool = True,
) -> Calibration:
    """Temperature and threshold from out-of-fold scores.

    Rows never scored (NaN) and rows whose category was missing from their fold's training rows
    (score ``ABSENT``) are left out: no model could have named it, so they say nothing about
    confidence.

    Args:
        oof: Out-of-fold scores, shape (n, n_classes).
        truth: True class index per row.
        target: Accuracy the covered rows must reach (see ``choose_threshold``).
        floor: Lowest threshold.
        temperature: Fit ``T``; False keeps ``T = 1``.

    Returns:
        The calibration; with fewer than ``MIN_CALIBRATION_ROWS`` usable rows, ``T = 1`` and the
        threshold is ``floor``.
    """
    scored = ~np.isnan(oof).any(axis=1)
    scored &= oof[np.arange(len(truth)), truth] > ABSENT
    scores, truth = oof[scored], truth[scored]
    if len(truth) < MIN_CALIBRATION_ROWS:
        return Calibration(1.0, floor)
    t = fit_temperature(scores, truth) if temperature else 1.0
    probs = softmax(scores / t, axis=1)
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == truth
    threshold = choose_threshold(confidence, correct, target, floor)
    coverage = float(np.mean(confidence >= threshold))
    return Calibration(t, threshold, float(correct.mean()), coverage)


def fit_temperature(scores: _FloatArray, truth: npt.NDArray[np.int64]) -> float:
    """The ``T`` minimizing the log loss of ``softmax(scores / T)`` (searched in [e^-5, e^5])."""
    rows = np.arange(len(truth))

    def loss(log_t: float) -> float:
        return float(-log_softmax(scores / np.exp(log_t), axis=1)[rows, truth].mean())

    result = minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(result.x))


def choose_threshold(
    confidence: _FloatArray, correct: npt.NDArray[np.bool_], target: float, floor: float
) -> float:
    """Smallest confidence whose covered rows (confidence >= it) are right >= ``target``.

    Args:
        confidence: Top-class probability per validation row.
        correct: Whether each top class was right.
        target: Accuracy the covered rows must reach.
        floor: Lowest threshold returned.

    Returns:
        The threshold; ``1.0`` when not even the most confident rows reach ``target``.
    """
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], correct[order]
    accuracy = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    # Only cut between distinct confidences: rows tied at the threshold are all covered.
    last_of_tie = np.append(conf[1:] < conf[:-1], True)
    ok = np.flatnonzero((accuracy >= target) & last_of_tie)
    if len(ok) == 0:
        return 1.0
    return max(floor, float(conf[ok[-1]]))
