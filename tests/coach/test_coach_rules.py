"""The rule-based coach: reading raw features, its rules, and tuning on training people only."""

from __future__ import annotations

import numpy as np
import pytest

from budgetlm.coach.actions import ACTION_NAMES
from budgetlm.coach.env import CoachEnv
from budgetlm.coach.observation import FEATURES
from budgetlm.coach.pools import PersonPool, heldout_pool, train_pool
from budgetlm.coach.rules import RuleConfig, RulePolicy, raw_features, rule_action, tune_rules


def test_raw_features_invert_the_observation(env: CoachEnv) -> None:
    obs, _ = env.reset(seed=5)
    raw = env.simulator.financial_state().raw()
    back = raw_features(obs)
    for feature, value in zip(FEATURES, raw, strict=True):
        clipped = min(max(value, feature.low), feature.high)
        assert back[feature.name] == pytest.approx(clipped, abs=1e-5 * (feature.high - feature.low))


def test_the_rules_respect_the_contact_gap_and_disengagement(env: CoachEnv) -> None:
    obs, _ = env.reset(seed=1)
    index = {f.name: i for i, f in enumerate(FEATURES)}
    gone = obs.copy()
    gone[index["engaged"]] = 0.0
    assert rule_action(gone, RuleConfig()) == ACTION_NAMES.index("none")
    recent = obs.copy()
    recent[index["months_since_contact"]] = 1.0 / 12.0  # one month ago
    assert rule_action(recent, RuleConfig(contact_gap=3)) == ACTION_NAMES.index("none")
    actions = {RulePolicy().act(env.reset(seed=s)[0]) for s in range(12)}
    assert actions - {0}, "the untuned rules say something to someone"


def test_tuning_returns_the_best_of_its_grid(pool: PersonPool) -> None:
    grid = {"contact_gap": (1, 6), "buffer_months": (0.5, 3.0)}
    tuning = tune_rules(pool, episodes_per_config=4, seed=2, grid=grid)
    assert len(tuning.scores) == 4 and tuning.episodes == 16 and tuning.steps == 16 * 24
    best_score = max(score for _, score in tuning.scores)
    assert dict(tuning.scores)[tuning.best] == best_score
    assert len({score for _, score in tuning.scores}) > 1
    assert tune_rules(pool, 4, 2, grid).best == tuning.best


def test_tuning_refuses_held_out_people() -> None:
    mixed = PersonPool("mixed", train_pool(2).seeds + heldout_pool(1).seeds)
    with pytest.raises(ValueError, match="training"):
        tune_rules(mixed, episodes_per_config=1, grid={"contact_gap": (3,)})
    assert np.isfinite(tune_rules(train_pool(2), 1, grid={"contact_gap": (3,)}).scores[0][1])
