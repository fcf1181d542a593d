"""Simulated futures of a household's monthly saving, and what they say about a goal.

``bootstrap_paths`` draws the futures (block bootstrap of past months, optionally Bayesian);
``balances`` and ``final_balances`` run the goal balance along them (never below zero, in
closed form); ``extra_needed`` bisects the monthly saving that reaches a probability. The goals
engine (``analytics.goals``) builds on them.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from budgetlm.analytics.goals import GoalConfig

Floats = npt.NDArray[np.float64]


def bootstrap_paths(
    savings: Sequence[float], months: int, config: GoalConfig, rng: np.random.Generator
) -> Floats:
    """Simulated future monthly savings, shape ``(simulations, months)``, by block bootstrap.

    With ``config.bayesian`` each path first draws Dirichlet(1, ..., 1) weights over the past
    months (the Bayesian bootstrap) and picks its block starts with them, so paths also differ in
    their long-run average as a short history leaves it uncertain.
    """
    history = np.asarray(savings, dtype=np.float64)
    n = len(history)
    block = max(1, min(config.block_months, n))
    blocks = -(-months // block)
    if config.bayesian:
        weights = rng.dirichlet(np.ones(n), size=config.simulations)  # (N, n)
        cumulative = np.cumsum(weights, axis=1)
        # Drawn month by month, so a path's first months are the same whatever the horizon.
        draws = rng.random((blocks, config.simulations)).T[:, :, None]  # (N, blocks, 1)
        starts = (draws > cumulative[:, None, :]).sum(axis=2)  # (N, blocks)
        starts = np.minimum(starts, n - 1)
    else:
        starts = rng.integers(0, n, size=(blocks, config.simulations)).T
    index = (starts[:, :, None] + np.arange(block)) % n  # (N, blocks, block)
    paths: Floats = history[index.reshape(config.simulations, -1)[:, :months]]
    return paths


def balances(current: float, flows: Floats) -> Floats:
    """Goal balance after each month, never below zero; shape like ``flows``.

    The balance follows ``b[t] = max(0, b[t-1] + flows[t])`` from ``b[0] = current``, whose
    solution is ``S[t] - min(-current, min(S[1..t]))`` with ``S`` the running sum of the flows:
    two vectorized passes instead of a loop over months.
    """
    totals = np.cumsum(flows, axis=1)
    lowest = np.minimum.accumulate(totals, axis=1)
    balances: Floats = totals - np.minimum(-current, lowest)
    return balances


def final_balances(current: float, totals: Floats, extra: float = 0.0) -> Floats:
    """The last column of ``balances`` with ``extra`` more saved every month, from the running
    sums ``totals = cumsum(flows)`` (adding ``extra`` a month adds ``extra * k`` to the k-th)."""
    if extra:
        totals = totals + extra * np.arange(1, totals.shape[1] + 1)
    final: Floats = totals[:, -1] - np.minimum(-current, totals.min(axis=1))
    return final


def succeeds(current: float, totals: Floats, target: float, extra: float) -> npt.NDArray[np.bool_]:
    """Whether each path holds ``target`` at its end with ``extra`` a month (``totals`` as in
    ``final_balances``)."""
    return final_balances(current, totals, extra) >= target - 0.005


def extra_needed(current: float, flows: Floats, target: float, probability: float) -> Decimal:
    """Smallest extra monthly saving in whole cents reaching ``probability``, by bisection.

    The same paths are tried for every amount (common random numbers), so the share of paths
    that succeed never falls as the amount grows and the bisection finds the exact cent.
    """
    totals = np.cumsum(flows, axis=1)
    if succeeds(current, totals, target, 0.0).mean() >= probability:
        return Decimal(0)
    months = flows.shape[1]
    # Enough for the worst path even if every month were its worst: this amount succeeds.
    bound = (target - current) / months + max(0.0, -float(flows.min())) + 0.01
    low, high = 0, math.ceil(bound * 100)  # cents: low fails, high succeeds
    while high - low > 1:
        middle = (low + high) // 2
        if succeeds(current, totals, target, middle / 100).mean() >= probability:
            high = middle
        else:
            low = middle
    return Decimal(high) / 100
