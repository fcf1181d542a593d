"""Saving and loading trained coaches: weights in safetensors, everything else in JSON.

A saved coach is a directory with ``coach.json`` (the method, its resolved configuration, the
environment configuration it was trained in, and the observation and action versions) and, for
a DQN, ``q_network.safetensors``; for PPO, ``actor.safetensors`` (the greedy actor only, so it
loads with torch alone, without stable-baselines3). A coach reads observations of one
``OBSERVATION_VERSION`` and outputs indices into one ``ACTIONS_VERSION``; loading one saved
under other versions is refused (``CoachVersionError``), because it would silently read the
wrong features or pick the wrong actions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from budgetlm.coach.actions import ACTIONS_VERSION
from budgetlm.coach.observation import OBSERVATION_VERSION
from budgetlm.coach.rollout import Policy
from budgetlm.coach.rules import RuleConfig, RulePolicy
from budgetlm.errors import BudgetlmError

META_FILE = "coach.json"
WEIGHTS_FILE = "q_network.safetensors"
ACTOR_FILE = "actor.safetensors"
FORMAT = "budgetlm-coach/1"


class CoachVersionError(BudgetlmError):
    """A saved coach was made for other observations or actions than this code's."""


def save_coach(
    policy: Policy, directory: Path, *, env_config: Any = None, extra: dict[str, Any] | None = None
) -> Path:
    """Write ``policy`` (a ``RulePolicy``, ``dqn.QPolicy`` or ``ppo.PPOPolicy``) to ``directory``.

    Args:
        policy: The coach.
        directory: Where to write (created if missing).
        env_config: The ``EnvConfig`` it was trained in, recorded for reference.
        extra: More JSON fields to record (training summary).

    Returns:
        The metadata file's path.
    """
    directory.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "observation_version": OBSERVATION_VERSION,
        "actions_version": ACTIONS_VERSION,
        "env_config": asdict(env_config) if env_config is not None else None,
        **(extra or {}),
    }
    if isinstance(policy, RulePolicy):
        meta |= {"method": "rules", "config": asdict(policy.config)}
    else:
        from safetensors.torch import save_file

        from budgetlm.coach.dqn import QPolicy
        from budgetlm.coach.ppo import PPOPolicy

        if isinstance(policy, QPolicy):
            meta |= {"method": "dqn", "config": asdict(policy.config)}
            save_file(policy.q_net.state_dict(), str(directory / WEIGHTS_FILE))
        elif isinstance(policy, PPOPolicy):
            meta |= {"method": "ppo", "config": asdict(policy.config)}
            save_file(policy.actor.state_dict(), str(directory / ACTOR_FILE))
        else:
            raise TypeError(f"cannot save a {type(policy).__name__}")
    path = directory / META_FILE
    path.write_text(json.dumps(meta, indent=2) + "\n")
    return path


def load_coach(directory: Path) -> Policy:
    """Read a coach written by ``save_coach``.

    Raises:
        CoachVersionError: It was saved for other observation or action versions.
        BudgetlmError: The directory holds no saved coach.
    """
    path = directory / META_FILE
    if not path.is_file():
        raise BudgetlmError(f"{directory}: no saved coach ({META_FILE} is missing)")
    meta = json.loads(path.read_text())
    for key, ours in (("observation_version", OBSERVATION_VERSION),
                      ("actions_version", ACTIONS_VERSION)):  # fmt: skip
        if meta.get(key) != ours:
            raise CoachVersionError(
                f"{path}: coach saved for {key.replace('_', ' ')} {meta.get(key)!r}, but this "
                f"budgetlm uses {ours!r}; retrain it (budgetlm coach train)"
            )
    if meta["method"] == "rules":
        return RulePolicy(RuleConfig(**meta["config"]))
    from safetensors.torch import load_file

    from budgetlm.coach.actions import ACTIONS
    from budgetlm.coach.dqn import DQNConfig, QNetwork, QPolicy
    from budgetlm.coach.observation import FEATURES

    if meta["method"] == "ppo":
        return _load_ppo(meta, directory)

    known = {f.name for f in fields(DQNConfig)}
    settings = {k: v for k, v in meta["config"].items() if k in known}
    config = DQNConfig(**{**settings, "hidden": tuple(settings["hidden"])})
    q_net = QNetwork(len(FEATURES), len(ACTIONS), config.hidden)
    q_net.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    return QPolicy(q_net, config)


def _load_ppo(meta: dict[str, Any], directory: Path) -> Policy:
    """The greedy PPO actor, rebuilt as a torch module (no stable-baselines3 needed)."""
    from safetensors.torch import load_file

    from budgetlm.coach.actions import ACTIONS
    from budgetlm.coach.observation import FEATURES
    from budgetlm.coach.ppo import PPOConfig, PPOPolicy, actor_network

    known = {f.name for f in fields(PPOConfig)}
    settings = {k: v for k, v in meta["config"].items() if k in known}
    config = PPOConfig(**{**settings, "hidden": tuple(settings["hidden"])})
    actor = actor_network(len(FEATURES), len(ACTIONS), config.hidden)
    actor.load_state_dict(load_file(str(directory / ACTOR_FILE)))
    return PPOPolicy(actor, config)
