"""PPO through stable-baselines3: truncation infos, parity of the greedy actor, smoke training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from budgetlm.coach.env import CoachEnv
from budgetlm.coach.pools import PersonPool, heldout_pool
from budgetlm.coach.ppo import PPOConfig, PPOPolicy, actor_of, build_model, train_ppo
from budgetlm.coach.saved import load_coach, save_coach

SMOKE = PPOConfig(hidden=(16, 16), n_epochs=2, batch_size=32, seed=5).with_budget(192)
OBSERVATIONS = np.random.default_rng(0).uniform(-1, 1, (50, 33)).astype(np.float32)


def test_with_budget_fits_rollouts_to_small_budgets() -> None:
    assert SMOKE.total_steps == 192 and SMOKE.n_steps == 192
    assert PPOConfig().with_budget(100).n_steps == 64
    assert PPOConfig().with_budget(10).n_steps == 64
    assert PPOConfig().with_budget(300_000).n_steps == 2_048


def test_a_truncated_month_is_marked_for_bootstrapping(pool: PersonPool) -> None:
    # what PPO's rollout collection reads to add gamma * V(last observation) at a time limit
    venv = DummyVecEnv([lambda: Monitor(CoachEnv(pool))])
    venv.seed(0)
    venv.reset()
    for _ in range(24):
        _, _, dones, infos = venv.step(np.array([0]))
    assert dones[0] and infos[0]["TimeLimit.truncated"] is True
    assert infos[0]["terminal_observation"].shape == (33,) and "episode" in infos[0]


def test_the_greedy_actor_matches_stable_baselines(pool: PersonPool) -> None:
    model = build_model(SMOKE, CoachEnv(pool))
    policy = PPOPolicy(actor_of(model), SMOKE)
    expected, _ = model.predict(OBSERVATIONS, deterministic=True)
    assert [policy.act(o) for o in OBSERVATIONS] == [int(a) for a in expected]


def test_smoke_training_is_deterministic_and_reloads(pool: PersonPool, tmp_path: Path) -> None:
    first, history = train_ppo(SMOKE, pool=pool)
    second, again = train_ppo(SMOKE, pool=pool)
    assert history.steps == 192 and len(history.episode_returns) == 192 // 24
    assert history.episode_end_steps == list(range(24, 193, 24))
    assert history.episode_returns == again.episode_returns
    assert [first.act(o) for o in OBSERVATIONS] == [second.act(o) for o in OBSERVATIONS]
    save_coach(first, tmp_path)
    loaded = load_coach(tmp_path)
    assert isinstance(loaded, PPOPolicy) and loaded.config == SMOKE
    assert [loaded.act(o) for o in OBSERVATIONS] == [first.act(o) for o in OBSERVATIONS]


def test_training_refuses_held_out_people() -> None:
    with pytest.raises(ValueError, match="training"):
        train_ppo(SMOKE, pool=heldout_pool(3))
