"""What the coach sees: a versioned list of named, bounded features and the one function that
builds them.

``observe(state)`` turns a ``FinancialState`` into a ``float32`` vector in ``FEATURES`` order. Each
feature has a raw range; the raw value is clipped to it and scaled linearly onto [0, 1], or onto
[-1, 1] for signed features (``bounds()`` gives the vectors of lows and highs). Nothing else
builds observations, so a policy sees the same thing in training and in use.

``FinancialState`` is deliberately small and plain so that two sources can fill it:

* the simulator (``Simulator.financial_state``), from its monthly aggregates;
* a real ledger (issue 8, point 5): the first six fields have the definitions of
  ``analytics.health.HealthFeatures`` computed over the last ``SimConfig.window`` full months
  (``health_features(..., months=3)``), with three differences the adapter must apply: debts
  leave out the mortgage (it is housing), spending counts debt interest but not loan principal
  (``Car Payment`` is debt service here), and budget adherence looks at discretionary budgets.
  Goal fields come from the user's first unfunded goal (``analytics.goals``), the discretionary
  figures from ``want``-group categories and budgets, the automatic transfer from the recurring
  checking-to-savings series, and the coaching fields from a log of the advice shown and whether
  the user took it.

Version ``OBSERVATION_VERSION`` changes whenever a feature, its order or its range changes; save
it beside every trained policy and refuse a policy trained on another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from budgetlm.coach.actions import FAMILIES, Family

OBSERVATION_VERSION = "coach-obs/1"
"""Version of ``FEATURES``."""

RECENT_MONTHS = 3
"""Months of coaching history in the observation (most recent first)."""
NO_CONTACT_MONTHS = 12.0
"""``months_since_contact`` when the coach has never reached the person (and its cap)."""


@dataclass(frozen=True, slots=True)
class Feature:
    """One observation feature: its raw range and meaning."""

    name: str
    """Stable name."""
    low: float
    """Raw values at or below this map to the bottom of the scaled range."""
    high: float
    """Raw values at or above this map to the top."""
    signed: bool
    """Scaled onto [-1, 1] instead of [0, 1]."""
    description: str
    """What the raw value is, with its unit."""


_FINANCE: tuple[Feature, ...] = (
    Feature("savings_rate", -0.5, 0.5, True,
            "(income - spending - interest) / income over the window; share of income"),
    Feature("budget_adherence", 0.0, 1.0, False,
            "share of budgeted discretionary category-months within budget"),
    Feature("debt_to_income", 0.0, 0.5, False,
            "monthly minimum payments of non-mortgage debts / monthly income"),
    Feature("debt_to_annual_income", 0.0, 2.0, False,
            "non-mortgage debt owed / annual income; years of income"),
    Feature("emergency_fund_months", 0.0, 12.0, False,
            "checking + savings / monthly essential spending (housing included); months"),
    Feature("income_stability", 0.0, 1.0, False,
            "1 - coefficient of variation of monthly income over the window"),
    Feature("goal_progress", 0.0, 1.0, False, "share of the savings goal funded"),
    Feature("goal_pace", 0.0, 2.0, False,
            "recent monthly saving / monthly saving the goal still needs (2 when reached)"),
    Feature("goal_months_left", 0.0, 36.0, False, "months until the goal's date"),
    Feature("discretionary_share", 0.0, 0.6, False,
            "discretionary spending / income over the window"),
    Feature("top_category_share", 0.0, 0.2, False,
            "usual spend of the largest nudgeable discretionary category / income"),
    Feature("overspend", -0.5, 0.5, True,
            "last month's budgeted discretionary spending / its budget - 1"),
    Feature("auto_transfer_rate", 0.0, 0.3, False,
            "standing automatic transfer to savings / income"),
    Feature("checking_months", 0.0, 3.0, False,
            "checking balance / usual monthly spending; months"),
)  # fmt: skip

_COACHING: tuple[Feature, ...] = (
    Feature("engaged", 0.0, 1.0, False, "1 while the person still reads the coach's advice"),
    Feature("months_since_contact", 0.0, NO_CONTACT_MONTHS, False,
            "months since the last intervention delivered (capped)"),
    Feature("contacts_recent", 0.0, float(RECENT_MONTHS), False,
            f"interventions delivered in the last {RECENT_MONTHS} months"),
    Feature("acceptance_rate", 0.0, 1.0, False,
            "share of the last interventions that were followed (0.5 before any)"),
)  # fmt: skip


def _recent_features() -> tuple[Feature, ...]:
    out = []
    for lag in range(1, RECENT_MONTHS + 1):
        for family in FAMILIES:
            out.append(
                Feature(f"lag{lag}_{family}", 0.0, 1.0, False, f"{lag} month(s) ago: a {family}")
            )
        out.append(
            Feature(f"lag{lag}_followed", 0.0, 1.0, False, f"{lag} month(s) ago: it was followed")
        )
    return tuple(out)


FEATURES: tuple[Feature, ...] = _FINANCE + _COACHING + _recent_features()
"""Every feature, in vector order."""

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
"""Feature names in vector order."""


@dataclass(frozen=True, slots=True)
class CoachingTurn:
    """One month of the coaching relationship."""

    family: Family | None
    """What was delivered that month; None when nothing was (or the person had left)."""
    followed: bool
    """The person followed it (for a celebration: it was earned)."""


@dataclass(frozen=True, slots=True)
class FinancialState:
    """A person's finances and coaching history as raw numbers (see ``FEATURES`` for units)."""

    savings_rate: float
    budget_adherence: float
    debt_to_income: float
    debt_to_annual_income: float
    emergency_fund_months: float
    income_stability: float
    goal_progress: float
    goal_pace: float
    goal_months_left: float
    discretionary_share: float
    top_category_share: float
    overspend: float
    auto_transfer_rate: float
    checking_months: float
    engaged: bool
    months_since_contact: float
    acceptance_rate: float
    recent: tuple[CoachingTurn, ...]
    """The last months' turns, most recent first; missing months count as no contact."""

    def raw(self) -> list[float]:
        """The raw values in ``FEATURES`` order (before clipping and scaling)."""
        values = [float(getattr(self, f.name)) for f in _FINANCE]
        recent = self.recent[:RECENT_MONTHS]
        values += [
            float(self.engaged),
            self.months_since_contact,
            float(sum(turn.family is not None for turn in recent)),
            self.acceptance_rate,
        ]
        for lag in range(RECENT_MONTHS):
            turn = recent[lag] if lag < len(recent) else CoachingTurn(None, False)
            values += [float(turn.family == family) for family in FAMILIES]
            values.append(float(turn.followed and turn.family is not None))
        return values


_LOW = np.array([f.low for f in FEATURES], dtype=np.float64)
_HIGH = np.array([f.high for f in FEATURES], dtype=np.float64)
_SIGNED = np.array([f.signed for f in FEATURES], dtype=bool)


def bounds() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Lowest and highest value of each scaled feature (-1 or 0, and 1)."""
    low = np.where(_SIGNED, -1.0, 0.0).astype(np.float32)
    return low, np.ones(len(FEATURES), dtype=np.float32)


def observe(state: FinancialState) -> npt.NDArray[np.float32]:
    """The observation vector of ``state``: each raw value clipped to its range and scaled."""
    raw = np.array(state.raw(), dtype=np.float64)
    raw[np.isnan(raw)] = 0.0
    unit = (np.clip(raw, _LOW, _HIGH) - _LOW) / (_HIGH - _LOW)
    return np.where(_SIGNED, 2.0 * unit - 1.0, unit).astype(np.float32)
