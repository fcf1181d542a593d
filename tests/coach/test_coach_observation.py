"""The observation: named, versioned, bounded, and buildable without the simulator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from budgetlm.coach.observation import (
    FEATURE_NAMES,
    FEATURES,
    OBSERVATION_VERSION,
    RECENT_MONTHS,
    CoachingTurn,
    FinancialState,
    bounds,
    observe,
)

STATE = FinancialState(
    savings_rate=0.1,
    budget_adherence=0.75,
    debt_to_income=0.05,
    debt_to_annual_income=0.3,
    emergency_fund_months=2.0,
    income_stability=0.95,
    goal_progress=0.4,
    goal_pace=1.2,
    goal_months_left=18.0,
    discretionary_share=0.3,
    top_category_share=0.08,
    overspend=-0.1,
    auto_transfer_rate=0.05,
    checking_months=0.8,
    engaged=True,
    months_since_contact=2.0,
    acceptance_rate=0.5,
    recent=(CoachingTurn(None, False), CoachingTurn("nudge", True)),
)


def test_features_are_named_documented_and_versioned() -> None:
    assert OBSERVATION_VERSION == "coach-obs/1"
    assert len(set(FEATURE_NAMES)) == len(FEATURES) == len(STATE.raw())
    assert all(f.low < f.high and f.description for f in FEATURES)
    assert FEATURE_NAMES[:6] == (
        "savings_rate",
        "budget_adherence",
        "debt_to_income",
        "debt_to_annual_income",
        "emergency_fund_months",
        "income_stability",
    )  # the ``analytics.health`` definitions, for the ledger adapter


def test_a_hand_filled_state_scales_as_documented() -> None:
    obs = dict(zip(FEATURE_NAMES, observe(STATE).tolist(), strict=True))
    assert obs["savings_rate"] == np.float32(0.2)  # [-0.5, 0.5] onto [-1, 1]
    assert obs["emergency_fund_months"] == np.float32(2.0 / 12.0)
    assert obs["engaged"] == 1.0 and obs["contacts_recent"] == np.float32(1 / RECENT_MONTHS)
    assert obs["lag1_nudge"] == 0.0 and obs["lag2_nudge"] == 1.0 and obs["lag2_followed"] == 1.0
    assert obs["lag3_transfer"] == 0.0  # a missing month counts as no contact


def test_extreme_and_missing_values_are_clipped_into_bounds() -> None:
    wild = replace(
        STATE,
        savings_rate=-7.0,
        emergency_fund_months=float("inf"),
        debt_to_income=float("nan"),
        overspend=3.0,
    )
    obs = observe(wild)
    low, high = bounds()
    assert obs.dtype == np.float32 and np.all((low <= obs) & (obs <= high))
    named = dict(zip(FEATURE_NAMES, obs.tolist(), strict=True))
    assert named["savings_rate"] == -1.0 and named["emergency_fund_months"] == 1.0
    assert named["debt_to_income"] == 0.0 and named["overspend"] == 1.0
