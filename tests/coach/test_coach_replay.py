"""Experience replay: the ring buffer, and prioritized sampling with importance weights."""

from __future__ import annotations

import numpy as np

from budgetlm.coach.replay import PrioritizedReplayBuffer, ReplayBuffer


def fill(buffer: ReplayBuffer, count: int) -> None:
    for i in range(count):
        obs = np.full(3, i, dtype=np.float32)
        buffer.add(obs, i % 9, float(i), obs + 1, terminated=False)


def test_the_ring_overwrites_the_oldest_transition() -> None:
    buffer = ReplayBuffer(capacity=5, obs_dim=3)
    fill(buffer, 7)
    assert len(buffer) == 5
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0, 6.0]
    batch = buffer.sample(32, np.random.default_rng(0))
    assert batch.obs.shape == (32, 3) and np.all(batch.weights == 1.0)
    assert np.array_equal(batch.next_obs, batch.obs + 1)


def test_prioritized_sampling_favours_high_priorities() -> None:
    buffer = PrioritizedReplayBuffer(capacity=100, obs_dim=3, alpha=0.6)
    fill(buffer, 100)
    errors = np.full(100, 0.1, dtype=np.float32)
    errors[7] = 10.0
    buffer.update_priorities(np.arange(100), errors)
    rng = np.random.default_rng(0)
    drawn = np.concatenate([buffer.sample(64, rng, beta=0.4).indices for _ in range(50)])
    counts = np.bincount(drawn, minlength=100)
    assert counts[7] > 10 * np.median(counts)
    # P(7) = 10.001^0.6 / (10.001^0.6 + 99 * 0.101^0.6)
    expected = 10.001**0.6 / (10.001**0.6 + 99 * 0.101**0.6)
    assert abs(counts[7] / len(drawn) - expected) < 0.02


def test_importance_weights_lie_in_zero_one_and_shrink_with_priority() -> None:
    buffer = PrioritizedReplayBuffer(capacity=50, obs_dim=3, alpha=0.6)
    fill(buffer, 50)
    rng = np.random.default_rng(1)
    buffer.update_priorities(np.arange(50), rng.exponential(size=50).astype(np.float32))
    for beta in (0.0, 0.4, 1.0):
        batch = buffer.sample(256, rng, beta=beta)
        assert np.all(batch.weights > 0.0) and np.all(batch.weights <= 1.0 + 1e-6)
    p = buffer.probabilities()
    batch = buffer.sample(256, rng, beta=1.0)
    order = np.argsort(p[batch.indices])
    assert np.all(np.diff(batch.weights[order]) <= 1e-6), "likelier transitions weigh less"


def test_new_transitions_get_the_largest_priority() -> None:
    buffer = PrioritizedReplayBuffer(capacity=10, obs_dim=3, alpha=1.0)
    fill(buffer, 3)
    buffer.update_priorities(np.array([0]), np.array([5.0], dtype=np.float32))
    fill(buffer, 1)
    assert buffer.priorities[3] == buffer.priorities.max()
