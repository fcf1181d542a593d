"""Experience replay for the DQN: a uniform ring buffer and a prioritized one.

Both are plain numpy arrays written in a ring: a transition is ``(obs, action, reward, next_obs,
terminated)``. Only *termination* is stored, never truncation: a coaching episode ends at a time
limit, not because the person's future stops, so the learner bootstraps from ``next_obs`` of the
last month like any other (``CoachEnv`` never terminates, but the buffer keeps the flag so the
same code is right for environments that do).

``PrioritizedReplayBuffer`` is proportional prioritized replay (Schaul et al. 2016): transition
``i`` is drawn with probability ``P(i) = p_i^alpha / sum_k p_k^alpha``, where ``p_i`` is its last
absolute TD error plus ``epsilon`` (new transitions get the largest priority seen, so each is
replayed at least once soon). The bias this brings is corrected by importance weights ``w_i =
(N P(i))^-beta``, divided by the largest possible weight (that of the least likely transition)
so that every weight lies in (0, 1]. The paper uses a sum-tree to sample in O(log N); here the
probabilities are normalised over the whole buffer with numpy at every draw, O(N), because it
reads in three lines and, for the buffer sizes the coach uses (tens of thousands), costs well
under a millisecond, less than the gradient step it feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Batch:
    """Transitions drawn for one gradient step (``B`` of them)."""

    obs: FloatArray
    """(B, obs_dim) observations."""
    actions: IntArray
    """(B,) actions taken."""
    rewards: FloatArray
    """(B,) rewards received."""
    next_obs: FloatArray
    """(B, obs_dim) observations after the step (before any reset)."""
    terminated: FloatArray
    """(B,) 1.0 where the episode truly ended (no bootstrap), else 0.0."""
    weights: FloatArray
    """(B,) importance weights (all 1 for uniform replay)."""
    indices: IntArray
    """(B,) positions in the buffer, to update priorities."""


class ReplayBuffer:
    """Uniform experience replay over the last ``capacity`` transitions."""

    def __init__(self, capacity: int, obs_dim: int) -> None:
        """Make an empty buffer.

        Args:
            capacity: Transitions kept; the oldest is overwritten first.
            obs_dim: Length of an observation.
        """
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.position = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self, obs: FloatArray, action: int, reward: float, next_obs: FloatArray, terminated: bool
    ) -> int:
        """Store one transition; returns its position."""
        i = self.position
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.actions[i], self.rewards[i], self.terminated[i] = action, reward, float(terminated)
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return i

    def sample(self, batch_size: int, rng: np.random.Generator, beta: float = 1.0) -> Batch:
        """Draw ``batch_size`` transitions uniformly, with replacement (``beta`` is unused)."""
        indices = rng.integers(self.size, size=batch_size)
        return self._batch(indices, np.ones(batch_size, dtype=np.float32))

    def update_priorities(self, indices: IntArray, td_errors: FloatArray) -> None:
        """Uniform replay has no priorities: nothing to do."""

    def _batch(self, indices: IntArray, weights: FloatArray) -> Batch:
        return Batch(
            obs=self.obs[indices],
            actions=self.actions[indices],
            rewards=self.rewards[indices],
            next_obs=self.next_obs[indices],
            terminated=self.terminated[indices],
            weights=weights,
            indices=indices,
        )


class PrioritizedReplayBuffer(ReplayBuffer):
    """Proportional prioritized replay (see the module docstring)."""

    def __init__(self, capacity: int, obs_dim: int, alpha: float, epsilon: float = 1e-3) -> None:
        """Make an empty buffer.

        Args:
            capacity: Transitions kept; the oldest is overwritten first.
            obs_dim: Length of an observation.
            alpha: How strongly priorities skew sampling (0: uniform).
            epsilon: Added to every absolute TD error so no transition is never drawn.
        """
        super().__init__(capacity, obs_dim)
        self.alpha, self.epsilon = alpha, epsilon
        self.priorities = np.zeros(capacity, dtype=np.float64)
        self.max_priority = 1.0

    def add(
        self, obs: FloatArray, action: int, reward: float, next_obs: FloatArray, terminated: bool
    ) -> int:
        """Store one transition with the largest priority seen so far."""
        i = super().add(obs, action, reward, next_obs, terminated)
        self.priorities[i] = self.max_priority
        return i

    def probabilities(self) -> npt.NDArray[np.float64]:
        """``P(i)`` for every stored transition."""
        scaled = self.priorities[: self.size] ** self.alpha
        return np.asarray(scaled / scaled.sum(), dtype=np.float64)

    def sample(self, batch_size: int, rng: np.random.Generator, beta: float = 0.4) -> Batch:
        """Draw ``batch_size`` transitions by priority, with importance weights ``^beta``."""
        p = self.probabilities()
        indices = rng.choice(self.size, size=batch_size, p=p)
        weights = (self.size * p[indices]) ** -beta
        largest = (self.size * p.min()) ** -beta  # the weight of the least likely transition
        return self._batch(indices, (weights / largest).astype(np.float32))

    def update_priorities(self, indices: IntArray, td_errors: FloatArray) -> None:
        """Set the priorities of drawn transitions from their new absolute TD errors."""
        priorities = np.abs(td_errors).astype(np.float64) + self.epsilon
        self.priorities[indices] = priorities
        self.max_priority = max(self.max_priority, float(priorities.max()))
