"""The gymnasium environment: the checker, seeding, bounds and what an episode reports."""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from budgetlm.coach.actions import ACTION_NAMES, ACTIONS
from budgetlm.coach.env import ENV_ID, CoachEnv, EnvConfig
from budgetlm.coach.pools import PersonPool, train_pool

Step = tuple[np.ndarray, float, bool, bool, dict[str, Any]]


def rollout(env: CoachEnv, seed: int, actions: list[int] | None = None) -> list[Step]:
    """One whole episode; random actions from a generator seeded by ``seed`` unless given."""
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    steps: list[Step] = [(obs, 0.0, False, False, info)]
    month = 0
    while not (steps[-1][2] or steps[-1][3]):
        action = actions[month] if actions else int(rng.integers(len(ACTIONS)))
        steps.append(env.step(action))
        month += 1
    return steps


def test_passes_gymnasiums_env_checker(pool: PersonPool) -> None:
    check_env(gym.make(ENV_ID, pool=pool).unwrapped)


def test_the_same_seed_gives_the_same_episode(env: CoachEnv) -> None:
    first, second = rollout(env, 7), rollout(env, 7)
    assert len(first) == len(second) == env.config.months + 1
    for (o1, r1, *_, i1), (o2, r2, *_, i2) in zip(first, second, strict=True):
        assert np.array_equal(o1, o2) and r1 == r2 and i1 == i2


def test_different_seeds_give_different_episodes(env: CoachEnv) -> None:
    episodes = [rollout(env, seed) for seed in range(4)]
    observations = {np.concatenate([s[0] for s in e]).tobytes() for e in episodes}
    assert len(observations) == 4
    # without a seed the generator carries on, so consecutive episodes differ too
    env.reset(seed=3)
    a, _ = env.reset()
    b, _ = env.reset()
    assert not np.array_equal(a, b)


def test_observations_stay_within_the_declared_bounds(pool: PersonPool) -> None:
    env = CoachEnv(pool, EnvConfig(months=36))
    space = env.observation_space
    for seed in range(30):
        for obs, *_ in rollout(env, seed):
            assert obs.dtype == np.float32 and np.all(np.isfinite(obs))
            assert space.contains(obs), (seed, obs)


def test_episodes_are_truncated_not_terminated(env: CoachEnv) -> None:
    steps = rollout(env, 1, [ACTION_NAMES.index("nudge_cut_20")] * env.config.months)
    assert not any(s[2] for s in steps)
    assert steps[-1][3] and not any(s[3] for s in steps[:-1])
    with pytest.raises(RuntimeError):
        env.step(0)


def test_info_reports_the_episodes_outcomes(env: CoachEnv) -> None:
    steps = rollout(env, 2)
    keys = set(steps[0][4])
    assert all(set(s[4]) == keys for s in steps)
    last = steps[-1][4]
    assert last["month"] == env.config.months
    assert last["nudges"] == sum(s[4]["delivered"] for s in steps)
    assert last["followed_total"] == sum(s[4]["followed"] for s in steps)
    assert last["saved"] == pytest.approx(sum(s[4]["reward_terms"]["savings"] for s in steps)
                                          * env.simulator.profile.income)  # fmt: skip
    assert last["episode_reward"] == pytest.approx(sum(s[1] for s in steps))
    assert isinstance(last["goal_attained"], bool) and isinstance(last["disengaged"], bool)


def test_same_person_and_seed_meet_the_same_luck_whatever_the_coach(pool: PersonPool) -> None:
    """Common random numbers: income does not depend on the coach, so pairs compare coaches."""
    env = CoachEnv(pool)
    quiet = rollout(env, 5, [0] * env.config.months)
    busy = rollout(env, 5, [ACTION_NAMES.index("transfer_10")] * env.config.months)
    assert quiet[0][4]["persona_seed"] == busy[0][4]["persona_seed"]
    assert [s[4]["income"] for s in quiet] == [s[4]["income"] for s in busy]
    assert [s[0].tobytes() for s in quiet] != [s[0].tobytes() for s in busy]


def test_a_month_takes_well_under_a_millisecond(env: CoachEnv, pool: PersonPool) -> None:
    for persona_seed in pool.seeds:  # profiles are built once, on a person's first episode
        env.reset(options={"persona_seed": persona_seed})
    steps = 0
    started = time.perf_counter()
    for seed in range(40):
        steps += len(rollout(env, seed))
    assert (time.perf_counter() - started) / steps < 1e-3


def test_the_episode_length_is_configurable(pool: PersonPool) -> None:
    env = CoachEnv(pool, EnvConfig(months=5))
    assert len(rollout(env, 0)) == 6
    with pytest.raises(ValueError):
        EnvConfig(months=0)


def test_default_pool_is_for_training() -> None:
    env = CoachEnv()
    assert env.pool.name == "train" and env.pool == train_pool(len(env.pool))
