"""The DQN: TD targets by hand, bootstrapping at truncation, and smoke training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from budgetlm.coach.dqn import DQNConfig, QPolicy, td_targets, train_dqn
from budgetlm.coach.env import CoachEnv
from budgetlm.coach.pools import PersonPool, heldout_pool
from budgetlm.coach.replay import ReplayBuffer
from budgetlm.coach.saved import load_coach, save_coach

SMOKE = DQNConfig(total_steps=300, learning_starts=100, batch_size=16, hidden=(32, 32),
                  buffer_size=1_000, target_update_period=50, seed=3)  # fmt: skip


class Fixed(nn.Module):
    """A 'network' whose Q-values for the batch are given."""

    def __init__(self, values: list[list[float]]) -> None:
        super().__init__()
        self.values = torch.tensor(values)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.values


def test_double_dqn_targets_follow_the_formula() -> None:
    online = Fixed([[1.0, 5.0], [3.0, 0.0]])  # picks actions 1 and 0
    target = Fixed([[10.0, 2.0], [1.0, 7.0]])
    rewards, terminated = torch.tensor([0.5, 1.0]), torch.tensor([0.0, 1.0])
    next_obs = torch.zeros(2, 4)
    double = td_targets(online, target, rewards, next_obs, terminated, 0.9, double=True)
    vanilla = td_targets(online, target, rewards, next_obs, terminated, 0.9, double=False)
    # double: r + gamma * Q_target(s', argmax Q_online(s')); a terminated row is just r
    assert torch.allclose(double, torch.tensor([0.5 + 0.9 * 2.0, 1.0]))
    # vanilla: r + gamma * max Q_target(s')
    assert torch.allclose(vanilla, torch.tensor([0.5 + 0.9 * 10.0, 1.0]))


def test_a_truncated_month_bootstraps(pool: PersonPool) -> None:
    env = CoachEnv(pool)
    obs, _ = env.reset(seed=0)
    buffer = ReplayBuffer(capacity=64, obs_dim=obs.size)
    truncated = False
    while not truncated:  # stored exactly as the training loop stores it
        next_obs, reward, terminated, truncated, _ = env.step(0)
        buffer.add(obs, 0, reward, next_obs, terminated)
        obs = next_obs
    last = buffer.position - 1
    assert buffer.terminated[last] == 0.0, "truncation is not termination"
    torch.manual_seed(0)
    q_net = nn.Linear(obs.size, 9)
    row = slice(last, last + 1)
    rewards, next_obs = (
        torch.from_numpy(buffer.rewards[row]),
        torch.from_numpy(buffer.next_obs[row]),
    )
    terminated = torch.from_numpy(buffer.terminated[row])
    target = td_targets(q_net, q_net, rewards, next_obs, terminated, 0.95, double=True)
    with torch.no_grad():
        next_q = q_net(next_obs)
    expected = float(buffer.rewards[last]) + 0.95 * float(next_q.max())
    assert float(target[0]) == pytest.approx(expected, rel=1e-6)
    assert float(next_q.max()) != 0.0


def test_smoke_training_is_deterministic_and_reloads(pool: PersonPool, tmp_path: Path) -> None:
    first, history = train_dqn(SMOKE, pool=pool)
    second, again = train_dqn(SMOKE, pool=pool)
    assert len(history.episode_returns) == SMOKE.total_steps // 24
    assert history.episode_returns == again.episode_returns and history.losses
    for name, tensor in first.q_net.state_dict().items():
        assert torch.equal(tensor, second.q_net.state_dict()[name]), name
    save_coach(first, tmp_path)
    loaded = load_coach(tmp_path)
    assert isinstance(loaded, QPolicy) and loaded.config == SMOKE
    observations = np.random.default_rng(0).uniform(-1, 1, (50, 33)).astype(np.float32)
    assert [loaded.act(o) for o in observations] == [first.act(o) for o in observations]


def test_prioritized_smoke_training_runs(pool: PersonPool) -> None:
    config = replace(SMOKE, prioritized=True)
    _, history = train_dqn(config, pool=pool)
    assert history.steps == config.total_steps and history.losses


def test_training_refuses_held_out_people() -> None:
    with pytest.raises(ValueError, match="training"):
        train_dqn(SMOKE, pool=heldout_pool(3))
