"""Paired statistics on synthetic outcomes whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from budgetlm.coach.evaluation import BETTER, bootstrap_means, compare, compare_all

SEEDS, PEOPLE = 10, 200


def people_and_rules(seed: int = 0) -> tuple[np.random.Generator, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng, rng.normal(1.0, 1.0, PEOPLE)


def test_a_clear_improvement_has_an_interval_above_zero() -> None:
    rng, rules = people_and_rules()
    # every person gains 0.5 on average; seeds and people add noise around it
    learned = rules + 0.5 + rng.normal(0, 0.1, (SEEDS, 1)) + rng.normal(0, 0.3, (SEEDS, PEOPLE))
    result = compare("dqn", "return", learned, rules)
    assert result.difference == pytest.approx(0.5, abs=0.1)
    assert 0 < result.ci_low < result.difference < result.ci_high
    assert result.p_improvement == 1.0 and result.p_person_better > 0.9
    assert result.verdict.startswith("DQN beats the rules on return")


def test_a_null_effect_has_an_interval_around_zero() -> None:
    rng, rules = people_and_rules(1)
    learned = rules + rng.normal(0, 0.1, (SEEDS, 1)) + rng.normal(0, 0.3, (SEEDS, PEOPLE))
    result = compare("ppo", "return", learned - learned.mean() + rules.mean(), rules)
    assert result.ci_low < 0 < result.ci_high
    assert 0.2 < result.p_improvement < 0.8
    assert "does not beat the rules" in result.verdict and "beats" not in result.verdict


def test_lower_is_better_for_disengagement() -> None:
    rng, _ = people_and_rules(2)
    rules = (rng.random(PEOPLE) < 0.5).astype(float)
    fewer = np.tile(np.where(rng.random(PEOPLE) < 0.5, 0.0, rules), (SEEDS, 1))  # half stay
    assert compare("ppo", "disengaged", fewer, rules).verdict.startswith("PPO beats")
    everyone_left = np.ones((SEEDS, PEOPLE))
    assert compare("ppo", "disengaged", everyone_left, rules).verdict.startswith("PPO does worse")


def test_the_seed_spread_widens_the_interval() -> None:
    rng, rules = people_and_rules(3)
    noise = rng.normal(0, 0.3, (SEEDS, PEOPLE))
    steady = compare("dqn", "return", rules + 0.2 + noise, rules)
    seed_luck = np.linspace(-1.0, 1.0, SEEDS)[:, None]  # same mean, very different seeds
    erratic = compare("dqn", "return", rules + 0.2 + noise + seed_luck, rules)
    assert erratic.difference == pytest.approx(steady.difference)
    assert erratic.ci_high - erratic.ci_low > 3 * (steady.ci_high - steady.ci_low)
    assert steady.verdict.startswith("DQN beats") and "does not beat" in erratic.verdict


def test_bootstrap_means_are_means_of_resampled_grids() -> None:
    diff = np.arange(6, dtype=float).reshape(2, 3)
    means = bootstrap_means(diff, 500, np.random.default_rng(0))
    assert means.shape == (500,) and means.min() >= 0 and means.max() <= 5
    assert np.mean(means) == pytest.approx(diff.mean(), abs=0.2)
    assert bootstrap_means(np.ones((3, 4)), 10, np.random.default_rng(1)) == pytest.approx(1.0)


def test_compare_all_covers_every_method_and_outcome() -> None:
    rng, _ = people_and_rules(4)
    rules = {name: rng.random(20) for name in BETTER}
    learned = {m: {name: rng.random((2, 20)) for name in BETTER} for m in ("dqn", "ppo")}
    results = compare_all(learned, rules, replicates=50)
    assert [(c.method, c.outcome) for c in results] == [
        (m, o) for m in ("dqn", "ppo") for o in BETTER
    ]
    with pytest.raises(ValueError, match="same people"):
        compare("dqn", "return", rng.random((2, 20)), rng.random(19))
