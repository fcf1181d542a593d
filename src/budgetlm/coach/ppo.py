"""Proximal policy optimisation for the coach, from stable-baselines3: the actor-critic comparison.

Issue 8 asks for one actor-critic method beside the hand-written DQN; a well-kept library is
the honest choice here (its PPO is tested against published results, ours would not be). This
module is the thin seam around it: ``PPOConfig`` (the settings, documented), ``train_ppo``
(single environment, seeded, returning the greedy policy and a learning curve) and
``PPOPolicy``, the greedy actor as a plain torch module, so a saved PPO coach loads and acts
without stable-baselines3 (imported only inside ``build_model`` and ``train_ppo``).

* **Learning curve**: stable-baselines3 wraps the environment in its ``Monitor``, which puts
  ``{"r": return, "l": length}`` under ``info["episode"]`` at an episode's last step; a
  callback (``_curve``) records it with the step count, as ``dqn.TrainingHistory`` does.
* **Bootstrapping at truncation**: ``CoachEnv`` only truncates. stable-baselines3's
  ``DummyVecEnv`` marks such a step ``info["TimeLimit.truncated"] = truncated and not
  terminated`` and keeps the last observation as ``info["terminal_observation"]``; PPO's rollout
  collection then adds ``gamma * V(terminal_observation)`` to that step's reward before GAE
  (``OnPolicyAlgorithm.collect_rollouts``), so a time limit is not treated as the end of the
  person's finances. ``tests/coach/test_coach_ppo.py`` checks the two infos are set.
* **Determinism**: ``PPO(seed=...)`` seeds Python, numpy, torch, the action space and the
  environment's first reset (later resets continue the environment's generator); with one
  environment and one torch thread, a configuration trains to the same weights on a machine.
* **Budget**: PPO collects whole rollouts of ``n_steps``, so it may run up to ``n_steps - 1``
  steps past ``total_steps``; ``PPOConfig.with_budget`` shrinks ``n_steps`` for tiny budgets.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from budgetlm.coach.dqn import TrainingHistory
from budgetlm.coach.env import DEFAULT_POOL_SIZE, CoachEnv, EnvConfig
from budgetlm.coach.pools import PersonPool, require_training, train_pool
from budgetlm.coach.rollout import Observation

if TYPE_CHECKING:
    from stable_baselines3 import PPO


@dataclass(frozen=True)
class PPOConfig:
    """Settings of ``train_ppo`` (stable-baselines3's defaults unless said otherwise)."""

    total_steps: int = 300_000
    """Environment steps (simulated months) to train for; the DQN's budget."""
    hidden: tuple[int, ...] = (64, 64)
    """Widths of the actor's and the critic's hidden layers (separate networks, tanh)."""
    lr: float = 3e-4
    """Adam's learning rate."""
    n_steps: int = 2_048
    """Environment steps per rollout (about 85 episodes) before each round of updates."""
    batch_size: int = 64
    """Transitions per minibatch; divides ``n_steps``."""
    n_epochs: int = 10
    """Passes over each rollout."""
    gamma: float = 0.95
    """Discount per month, as the DQN's (an effective horizon of about 20 months)."""
    gae_lambda: float = 0.95
    """GAE's bias-variance trade-off."""
    clip_range: float = 0.2
    """PPO's clipping of the probability ratio."""
    ent_coef: float = 0.01
    """Entropy bonus (stable-baselines3 uses 0): keeps nine actions explored early on."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Gradients are clipped to this norm."""
    seed: int = 0
    """Seeds the initial weights, the sampled actions and the episodes."""

    def with_budget(self, steps: int) -> PPOConfig:
        """This configuration for ``steps`` steps, rollouts shrunk to fit a small budget."""
        fitted = max(self.batch_size, min(self.n_steps, steps) // self.batch_size * self.batch_size)
        return replace(self, total_steps=steps, n_steps=fitted)


class PPOPolicy:
    """The trained coach: the actor's most probable action."""

    def __init__(self, actor: nn.Sequential, config: PPOConfig) -> None:
        """Wrap an actor (observation -> action logits) and its training configuration."""
        self.actor = actor.eval()
        self.config = config

    def act(self, observation: Observation) -> int:
        """The action with the highest logit."""
        with torch.no_grad():
            logits: torch.Tensor = self.actor(torch.as_tensor(observation).unsqueeze(0))[0]
        return int(logits.argmax())


def actor_network(obs_dim: int, n_actions: int, hidden: tuple[int, ...]) -> nn.Sequential:
    """An empty actor shaped like stable-baselines3's (Linear, Tanh, ..., Linear to logits)."""
    layers: list[nn.Module] = []
    width = obs_dim
    for size in hidden:
        layers += [nn.Linear(width, size), nn.Tanh()]
        width = size
    layers.append(nn.Linear(width, n_actions))
    return nn.Sequential(*layers)


def build_model(config: PPOConfig, env: CoachEnv) -> PPO:
    """stable-baselines3's PPO for ``config`` on ``env``, untrained (CPU, silent)."""
    from stable_baselines3 import PPO

    policy_kwargs: dict[str, Any] = {
        "net_arch": {"pi": list(config.hidden), "vf": list(config.hidden)},
        "activation_fn": nn.Tanh,
    }
    return PPO(
        "MlpPolicy",
        env,
        learning_rate=config.lr,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        clip_range=config.clip_range,
        ent_coef=config.ent_coef,
        vf_coef=config.vf_coef,
        max_grad_norm=config.max_grad_norm,
        policy_kwargs=policy_kwargs,
        seed=config.seed,
        device="cpu",
        verbose=0,
    )


def actor_of(model: PPO) -> nn.Sequential:
    """The greedy path of stable-baselines3's policy, copied out of it."""
    policy = model.policy
    layers = [*copy.deepcopy(policy.mlp_extractor.policy_net), copy.deepcopy(policy.action_net)]
    return nn.Sequential(*layers)


def _curve(history: TrainingHistory) -> Any:
    """A callback recording each finished episode's return and end step from ``Monitor``."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Curve(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                episode = info.get("episode")
                if episode is not None:
                    history.episode_returns.append(float(episode["r"]))
                    history.episode_end_steps.append(int(self.num_timesteps))
            return True

    return Curve()


def train_ppo(
    config: PPOConfig, env_config: EnvConfig | None = None, pool: PersonPool | None = None
) -> tuple[PPOPolicy, TrainingHistory]:
    """Train a coach with PPO on training people.

    Args:
        config: The method's settings.
        env_config: The environment's settings.
        pool: Training people (``ValueError`` if any is held out); ``DEFAULT_POOL_SIZE`` of
            them when None.

    Returns:
        The greedy policy and the training history (``losses`` stays empty).
    """
    pool = pool if pool is not None else train_pool(DEFAULT_POOL_SIZE)
    require_training(pool)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = build_model(config, CoachEnv(pool, env_config))
        history = TrainingHistory()
        started = time.perf_counter()
        model.learn(total_timesteps=config.total_steps, callback=_curve(history))
        history.steps, history.seconds = int(model.num_timesteps), time.perf_counter() - started
        return PPOPolicy(actor_of(model), config), history
    finally:
        torch.set_num_threads(threads)
