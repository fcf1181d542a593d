"""Deep Q-learning for the coach, written to read top to bottom like the papers.

Hand-written rather than taken from an RL library on purpose (issue 8 asks for a DQN one can
read and audit): the whole method is the configuration, the Q-network, the TD target and one
loop, with the replay buffers in ``replay``. The pieces, in the order the loop uses them:

* **Q-network** (Mnih et al. 2015): an MLP from the 33 observation features to one value per
  action; the coach acts greedily on it, epsilon-greedily while learning.
* **Experience replay**: transitions go to a ring buffer and minibatches are drawn from it, so
  consecutive, correlated months do not dominate a gradient step (``replay.ReplayBuffer``;
  ``replay.PrioritizedReplayBuffer`` with ``prioritized=True``, Schaul et al. 2016).
* **Target network**: TD targets use a lagged copy of the Q-network, updated every
  ``target_update_period`` steps (hard copy with ``tau=1``, Polyak averaging below 1).
* **Double DQN** (van Hasselt et al. 2016, on by default): the online network picks the next
  action and the target network values it, which removes max-operator overestimation.
* **Bootstrapping at truncation**: episodes end at a time limit, so only a true termination
  (never in ``CoachEnv``) zeroes the next state's value; see ``td_targets``.

Determinism: ``torch.manual_seed(seed)`` fixes the initial weights and a numpy ``Generator``
seeded with ``seed`` makes every other draw (exploration, episode seeds, minibatches), so a
configuration trains to the same weights on the same machine. Training runs single-threaded:
the network is small, and a busy 2-core machine is better off without thread contention.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from budgetlm.coach.actions import ACTIONS
from budgetlm.coach.env import DEFAULT_POOL_SIZE, CoachEnv, EnvConfig
from budgetlm.coach.observation import FEATURES
from budgetlm.coach.pools import PersonPool, require_training, train_pool
from budgetlm.coach.replay import PrioritizedReplayBuffer, ReplayBuffer
from budgetlm.coach.rollout import Observation


@dataclass(frozen=True)
class DQNConfig:
    """Settings of ``train_dqn``.

    The defaults train in about 5 minutes on the project's busy 2-core machine (measured about
    1,000 steps/s single-threaded once the 500 training profiles exist, which take ~18 s to
    build), and within 11 minutes at the slowest rate seen under contention (475 steps/s).
    """

    total_steps: int = 300_000
    """Environment steps (simulated months) to train for (12,500 episodes of 24 months)."""
    hidden: tuple[int, ...] = (128, 128)
    """Widths of the Q-network's hidden layers."""
    lr: float = 5e-4
    """Adam's learning rate."""
    gamma: float = 0.95
    """Discount per month (an effective horizon of about 20 months)."""
    batch_size: int = 64
    """Transitions per gradient step."""
    buffer_size: int = 50_000
    """Transitions the replay buffer keeps (about 2,000 episodes)."""
    learning_starts: int = 2_000
    """Steps of pure exploration before the first gradient step."""
    train_frequency: int = 2
    """Environment steps per gradient step."""
    target_update_period: int = 1_000
    """Steps between target-network updates."""
    tau: float = 1.0
    """Target update ``target <- tau * online + (1 - tau) * target``; 1 is a hard copy."""
    epsilon_start: float = 1.0
    """Exploration rate at the start."""
    epsilon_end: float = 0.05
    """Exploration rate after the schedule."""
    exploration_fraction: float = 0.3
    """Share of ``total_steps`` over which epsilon falls linearly to ``epsilon_end``."""
    double: bool = True
    """Double-DQN targets (online network picks, target network values)."""
    prioritized: bool = False
    """Proportional prioritized replay instead of uniform replay."""
    alpha: float = 0.6
    """Prioritized replay: how strongly priorities skew sampling."""
    beta_start: float = 0.4
    """Prioritized replay: importance-weight exponent at the start (annealed to 1)."""
    max_grad_norm: float = 10.0
    """Gradients are clipped to this norm."""
    seed: int = 0
    """Seeds the initial weights and every draw of training."""

    def epsilon(self, step: int) -> float:
        """Exploration rate at ``step`` (linear decay, then constant)."""
        span = max(1.0, self.exploration_fraction * self.total_steps)
        share = min(1.0, step / span)
        return self.epsilon_start + share * (self.epsilon_end - self.epsilon_start)

    def beta(self, step: int) -> float:
        """Importance-weight exponent at ``step`` (linear from ``beta_start`` to 1)."""
        return self.beta_start + min(1.0, step / max(1, self.total_steps)) * (1.0 - self.beta_start)


class QNetwork(nn.Module):
    """An MLP from an observation to one Q-value per action."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: tuple[int, ...]) -> None:
        """Make the network.

        Args:
            obs_dim: Observation length.
            n_actions: Number of actions.
            hidden: Hidden layer widths.
        """
        super().__init__()
        layers: list[nn.Module] = []
        width = obs_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, n_actions))
        self.layers = nn.Sequential(*layers)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """(B, obs_dim) observations -> (B, n_actions) Q-values."""
        out: torch.Tensor = self.layers(obs)
        return out


@torch.no_grad()
def td_targets(
    q_net: nn.Module,
    target_net: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    terminated: torch.Tensor,
    gamma: float,
    double: bool,
) -> torch.Tensor:
    """One-step TD targets ``r + gamma * (1 - terminated) * Q_target(s', a*)``.

    ``a*`` is ``argmax_a Q_online(s', a)`` for double DQN and ``argmax_a Q_target(s', a)``
    (the plain max) otherwise. A truncated transition has ``terminated = 0``: it bootstraps.

    Args:
        q_net: The online network.
        target_net: The target network.
        rewards: (B,) rewards.
        next_obs: (B, obs_dim) next observations.
        terminated: (B,) 1.0 where the episode truly ended.
        gamma: Discount.
        double: Use double-DQN action selection.
    """
    next_q: torch.Tensor = target_net(next_obs)  # (B, A)
    chooser: torch.Tensor = q_net(next_obs) if double else next_q  # (B, A)
    best = chooser.argmax(dim=1, keepdim=True)  # (B, 1)
    next_value = next_q.gather(1, best).squeeze(1)  # (B,)
    target: torch.Tensor = rewards + gamma * (1.0 - terminated) * next_value
    return target


class QPolicy:
    """The trained coach: acts greedily on a Q-network."""

    def __init__(self, q_net: QNetwork, config: DQNConfig) -> None:
        """Wrap a trained network and the configuration it was trained with."""
        self.q_net = q_net.eval()
        self.config = config

    def q_values(self, observation: Observation) -> torch.Tensor:
        """(n_actions,) Q-values of one observation."""
        with torch.no_grad():
            q: torch.Tensor = self.q_net(torch.as_tensor(observation).unsqueeze(0))[0]
        return q

    def act(self, observation: Observation) -> int:
        """The action with the highest Q-value."""
        return int(self.q_values(observation).argmax())


@dataclass
class TrainingHistory:
    """What happened during training, for learning curves."""

    episode_returns: list[float] = field(default_factory=list)
    """Undiscounted reward of every finished training episode (exploration included)."""
    episode_end_steps: list[int] = field(default_factory=list)
    """Environment step at which each episode finished."""
    losses: list[float] = field(default_factory=list)
    """Mean TD loss over each block of ``LOSS_BLOCK`` gradient steps (the last may be shorter)."""
    seconds: float = 0.0
    """Wall-clock training time."""
    steps: int = 0
    """Environment steps taken."""

    @property
    def steps_per_second(self) -> float:
        """Training throughput (environment steps, gradient steps included)."""
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    def recent_return(self, episodes: int = 100) -> float:
        """Mean return of the last ``episodes`` training episodes (NaN before any)."""
        recent = self.episode_returns[-episodes:]
        return float(np.mean(recent)) if recent else float("nan")


LOSS_BLOCK = 500
"""Gradient steps averaged into one entry of ``TrainingHistory.losses``."""


def _learn(
    q_net: QNetwork,
    target_net: QNetwork,
    optimizer: torch.optim.Optimizer,
    buffer: ReplayBuffer,
    config: DQNConfig,
    rng: np.random.Generator,
    step: int,
) -> float:
    """One gradient step on a replayed minibatch; returns its loss."""
    batch = buffer.sample(config.batch_size, rng, config.beta(step))
    obs, next_obs = torch.from_numpy(batch.obs), torch.from_numpy(batch.next_obs)
    rewards, terminated = torch.from_numpy(batch.rewards), torch.from_numpy(batch.terminated)
    target = td_targets(
        q_net, target_net, rewards, next_obs, terminated, config.gamma, config.double
    )
    actions = torch.from_numpy(batch.actions).unsqueeze(1)  # (B, 1)
    q_taken = q_net(obs).gather(1, actions).squeeze(1)  # (B,)
    td_error = target - q_taken
    # Huber loss, weighted by importance weights (all 1 under uniform replay)
    per_item = nn.functional.smooth_l1_loss(q_taken, target, reduction="none")
    loss = (torch.from_numpy(batch.weights) * per_item).mean()
    optimizer.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    nn.utils.clip_grad_norm_(q_net.parameters(), config.max_grad_norm)
    optimizer.step()
    buffer.update_priorities(batch.indices, td_error.detach().numpy())
    return loss.item()


def _update_target(q_net: QNetwork, target_net: QNetwork, tau: float) -> None:
    with torch.no_grad():
        for online, lagged in zip(q_net.parameters(), target_net.parameters(), strict=True):
            lagged.mul_(1.0 - tau).add_(tau * online)


def train_dqn(
    config: DQNConfig,
    env_config: EnvConfig | None = None,
    pool: PersonPool | None = None,
    progress: Callable[[int, TrainingHistory], None] | None = None,
) -> tuple[QPolicy, TrainingHistory]:
    """Train a coach with DQN on training people.

    Args:
        config: The method's settings.
        env_config: The environment's settings.
        pool: Training people (``ValueError`` if any is held out); ``DEFAULT_POOL_SIZE``
            of them when None.
        progress: Called every 10,000 steps with the step and the history so far.

    Returns:
        The greedy policy and the training history.
    """
    pool = pool if pool is not None else train_pool(DEFAULT_POOL_SIZE)
    require_training(pool)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(config, CoachEnv(pool, env_config), progress)
    finally:
        torch.set_num_threads(threads)


def _train(
    config: DQNConfig, env: CoachEnv, progress: Callable[[int, TrainingHistory], None] | None
) -> tuple[QPolicy, TrainingHistory]:
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    obs_dim, n_actions = len(FEATURES), len(ACTIONS)
    q_net = QNetwork(obs_dim, n_actions, config.hidden)
    target_net = copy.deepcopy(q_net)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=config.lr)
    buffer = (
        PrioritizedReplayBuffer(config.buffer_size, obs_dim, config.alpha)
        if config.prioritized
        else ReplayBuffer(config.buffer_size, obs_dim)
    )
    history = TrainingHistory()
    losses: list[float] = []
    started = time.perf_counter()
    obs, _ = env.reset(seed=int(rng.integers(2**31)))
    episode_return = 0.0
    for step in range(config.total_steps):
        # ALGO LOGIC: act epsilon-greedily and remember the transition
        if rng.random() < config.epsilon(step):
            action = int(rng.integers(n_actions))
        else:
            with torch.no_grad():
                action = int(q_net(torch.from_numpy(obs).unsqueeze(0)).argmax())
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)  # truncation is not stored
        episode_return += float(reward)
        if terminated or truncated:
            history.episode_returns.append(episode_return)
            history.episode_end_steps.append(step + 1)
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
            episode_return = 0.0
        else:
            obs = next_obs

        # ALGO LOGIC: learn from replay, and let the target network follow
        if step >= config.learning_starts and step % config.train_frequency == 0:
            losses.append(_learn(q_net, target_net, optimizer, buffer, config, rng, step))
        if step % config.target_update_period == 0:
            _update_target(q_net, target_net, config.tau)

        # LOGGING
        if len(losses) == LOSS_BLOCK:
            history.losses.append(float(np.mean(losses)))
            losses = []
        if progress is not None and (step + 1) % 10_000 == 0:
            history.steps, history.seconds = step + 1, time.perf_counter() - started
            progress(step + 1, history)
    if losses:
        history.losses.append(float(np.mean(losses)))
    history.steps, history.seconds = config.total_steps, time.perf_counter() - started
    return QPolicy(q_net, config), history
