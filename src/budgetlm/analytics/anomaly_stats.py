"""Hierarchical (empirical-Bayes) model of one household's purchase amounts, fitted past-only.

Purchases of a category are modelled on the log scale as

    log amount = category level + payee effect + noise,

payee effects spread ``tau`` around the category level and noise spread ``sigma`` within a
payee. Every spread is robust and pooled, because one shop gives few tickets. A spread is read
from the 90th percentile of absolute deviations from the median (divided by 1.645, its normal
value) rather than the MAD: it still ignores 10% of outliers, and it tracks the tail that a
threshold is about (on training households the MAD understated it by about a fifth):

* ``sigma`` of a category comes from its *residuals*: each purchase's log amount minus its
  payee's centre before it (payees paid at least twice before), divided by ``sqrt(1 + c(n))``
  since that centre is itself uncertain. A payee's centre is the mean of its past log amounts,
  the largest left out from five on (a past splurge), so ``c(n)`` is ``1/n``, or ``1/(n-1)``.
  A purchase at exactly an earlier price of its payee (the usual latte) adds no residual:
  repeats form a point mass that would drive the spread to 0, and a repeat price is never
  the question.
* the category's total spread (all its log amounts) is ``sqrt(sigma^2 + tau^2)``, which gives
  ``tau`` by moments (0 when its payees do not differ).
* a category with few purchases borrows from the household: its variances are *moderated*,
  ``(prior_weight * household + n * own) / (prior_weight + n)``, the household's being the same
  estimates pooled over all categories (refreshed once a day). This keeps a category of six
  gifts from calling the seventh a ten-sigma event.

A payee's centre is shrunk toward the category level (median log amount) with weight ``tau^2 /
(tau^2 + sigma^2 c(n))``, that is ``n / (n + k)`` with ``k = sigma^2 / tau^2``; a payee
never seen is predicted by the category level with variance ``tau^2``. The score is ``z = (log
amount - prediction) / sqrt(sigma^2 + var(prediction))``.

MAD = 0 (identical prices): repeats are left out and spreads are moderated, so a zero spread is
rare; ``sigma`` is still floored at ``min_scale``, so a doubled price scores at most ``log 2 /
min_scale``, never infinity.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np

MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to a normal standard deviation."""
_SPREAD_QUANTILE = 0.9
"""Quantile of absolute deviations a spread is read from (robust to 10% of outliers)."""
_SPREAD_TO_SIGMA = NormalDist().inv_cdf((1 + _SPREAD_QUANTILE) / 2)
"""The same quantile of a normal's absolute deviations, in standard deviations (1.645)."""
_TRIM_FROM = 5
"""From this many amounts on, a payee's centre leaves out its largest (a past splurge)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """Where a purchase was expected to land on the log scale, and how far it did not."""

    centre: float
    """Predicted log amount (payee centre shrunk toward the category level)."""
    z: float
    """``(log amount - centre) / sqrt(sigma^2 + var(centre))``."""
    payee_count: int
    """Earlier purchases at the payee in this category (0: a payee never paid before)."""
    level: float
    """The category's median log amount."""


@dataclass(frozen=True, slots=True)
class _Spreads:
    """Variances of log amounts: within a payee, and in total (within plus between payees)."""

    within: float
    total: float
    within_count: int
    total_count: int


def _centre_variance_factor(count: int) -> float:
    """Variance of a payee's centre from ``count`` amounts, in units of one amount's variance
    (a mean of ``count``, or of ``count - 1`` once the largest is trimmed)."""
    return 1.0 / count if count < _TRIM_FROM else 1.0 / (count - 1)


def _robust_variance(values: list[float]) -> float:
    """Variance matched to the 90th percentile of absolute deviations from the median."""
    if not values:
        return 0.0
    array = np.asarray(values)
    spread = _quantile(np.abs(array - _quantile(array, 0.5)), _SPREAD_QUANTILE)
    return (spread / _SPREAD_TO_SIGMA) ** 2


def _quantile(array: np.ndarray, q: float) -> float:
    """``np.quantile`` (linear interpolation) by one partial sort: numpy's general quantile
    costs ten times more on the few hundred values a category holds."""
    position = q * (len(array) - 1)
    low = math.floor(position)
    high = min(low + 1, len(array) - 1)
    parted = np.partition(array, (low, high))
    return float(parted[low] + (parted[high] - parted[low]) * (position - low))


def _moderated(own: float, count: int, prior: float, weight: float) -> float:
    return (weight * prior + count * own) / (weight + count)


@dataclass
class _Category:
    logs: list[float] = field(default_factory=list)
    payees: dict[str, list[float]] = field(default_factory=dict)
    """Each payee's log amounts, sorted (the largest is last, for trimming)."""
    residuals: list[float] = field(default_factory=list)
    cache: tuple[float, _Spreads] | None = None
    """The level and spreads, until the next purchase is remembered."""

    def payee_centre(self, payee: str) -> float | None:
        logs = self.payees.get(payee)
        if not logs:
            return None
        kept = logs[:-1] if len(logs) >= _TRIM_FROM else logs
        return math.fsum(kept) / len(kept)

    def fitted(self) -> tuple[float, _Spreads]:
        if self.cache is None:
            total = _robust_variance(self.logs)
            within = _robust_variance(self.residuals)
            spreads = _Spreads(within, total, len(self.residuals), len(self.logs))
            self.cache = (_quantile(np.asarray(self.logs), 0.5), spreads)
        return self.cache


@dataclass
class PurchaseModel:
    """Past purchases of one household by category and payee, scored then remembered."""

    min_scale: float
    """Floor of ``sigma`` (log units), used when the residuals' MAD is 0 or tiny."""
    prior_weight: float
    """Pseudo-count of the household-wide spreads in each category's moderated spreads."""
    categories: dict[str, _Category] = field(default_factory=dict)
    residuals: list[float] = field(default_factory=list)
    """Within-payee residuals of every category (the household's ``sigma``)."""
    deviations: list[float] = field(default_factory=list)
    """Log amounts minus their category's median before them (the household's total spread)."""
    prior: tuple[date, _Spreads] | None = None

    def count(self, category: str) -> int:
        """Purchases remembered in ``category``."""
        known = self.categories.get(category)
        return len(known.logs) if known else 0

    def payee_centre(self, category: str, payee: str) -> float | None:
        """Centre of past log amounts at ``payee`` in ``category``, None when never paid there."""
        known = self.categories.get(category)
        return known.payee_centre(payee) if known else None

    def predict(self, category: str, payee: str, value: float, day: date) -> Prediction:
        """Score log amount ``value`` at ``payee`` (``category`` needs a remembered purchase)."""
        known = self.categories[category]
        level, own = known.fitted()
        prior = self._prior(day)
        within = _moderated(own.within, own.within_count, prior.within, self.prior_weight)
        within = max(within, self.min_scale**2)
        total = _moderated(own.total, own.total_count, prior.total, self.prior_weight)
        between = max(total - within, 0.0)
        own_centre = known.payee_centre(payee)
        count = len(known.payees.get(payee, ()))
        if own_centre is None:
            centre, centre_var = level, between
        else:
            own_var = within * _centre_variance_factor(count)
            weight = between / (between + own_var) if between > 0 else 0.0
            centre = weight * own_centre + (1 - weight) * level
            centre_var = weight * own_var
        z = (value - centre) / math.sqrt(within + centre_var)
        return Prediction(centre=centre, z=z, payee_count=count, level=level)

    def remember(self, category: str, payee: str, value: float) -> None:
        """Add a purchase (after it was scored)."""
        known = self.categories.setdefault(category, _Category())
        own = known.payees.setdefault(payee, [])
        if len(own) >= 2 and not _contains(own, value):
            centre = known.payee_centre(payee)
            assert centre is not None
            residual = (value - centre) / math.sqrt(1 + _centre_variance_factor(len(own)))
            known.residuals.append(residual)
            self.residuals.append(residual)
        if len(known.logs) >= 2:
            self.deviations.append(value - known.fitted()[0])
        insort(own, value)
        known.logs.append(value)
        known.cache = None

    def _prior(self, day: date) -> _Spreads:
        """The household-wide spreads, from purchases before ``day`` (refreshed daily)."""
        if self.prior is None or self.prior[0] != day:
            within = _robust_variance(self.residuals)
            total = max(_robust_variance(self.deviations), within)
            self.prior = (day, _Spreads(within, total, len(self.residuals), len(self.deviations)))
        return self.prior[1]


def _contains(ordered: list[float], value: float) -> bool:
    at = bisect_left(ordered, value)
    return at < len(ordered) and ordered[at] == value
