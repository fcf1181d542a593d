"""A rule-based coach with a few thresholds, and a small grid search that tunes them.

The rules are what a careful human coach might write down, read off the observation (each
feature mapped back to its raw unit, ``observation.FEATURES``), first match wins:

1. The person has left, or was contacted less than ``contact_gap`` months ago: say nothing
   (attention is not free, and the reward charges for over-nudging).
2. The goal is out of reach (saving pace under ``extend_pace`` of what it needs): extend it.
3. Little is saved automatically (standing transfer under ``max_transfer_rate``) and checking
   holds at least ``buffer_months`` of spending: suggest a transfer, 10% of income when the
   savings rate is at least ``big_transfer_rate``, 5% when it is positive, 2% otherwise.
4. Discretionary spending ran more than ``nudge_overspend`` over budget last month: nudge a cut,
   20% when it ran more than twice that over, 10% otherwise.
5. The goal is on pace (at least ``celebrate_pace``) and not yet reached: celebrate.
6. Otherwise say nothing.

Same effort as the learned coach (issue 8, point 3): ``tune_rules`` scores every configuration
of ``DEFAULT_GRID`` (36 configurations) by mean episode reward on the same training episodes
(common random numbers) and keeps the best. It consumes ``len(grid) x episodes_per_config``
training episodes; ``episodes_for_budget`` turns a budget of environment steps (the DQN's
``total_steps``) into episodes per configuration, so both coaches see the same number of
simulated months. Episode ``i`` coaches the pool's ``i``-th person, so the grid meets
``min(episodes_per_config, len(pool))`` people (persona seeds are i.i.d., so the first ones are
a random sample). It never sees held-out people (``pools.require_training``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from budgetlm.coach.actions import ACTION_NAMES
from budgetlm.coach.env import EnvConfig
from budgetlm.coach.observation import FEATURES
from budgetlm.coach.pools import PersonPool, require_training
from budgetlm.coach.rollout import Observation, evaluate

_ACTION = {name: i for i, name in enumerate(ACTION_NAMES)}


@dataclass(frozen=True)
class RuleConfig:
    """The rule-based coach's thresholds (raw feature units; see the module docstring)."""

    contact_gap: int = 3
    """Months since the last delivered intervention before the coach speaks again."""
    extend_pace: float = 0.5
    """Goal pace (saving over what the goal needs) under which the goal is extended."""
    buffer_months: float = 1.0
    """Checking balance, in months of spending, needed before suggesting a transfer."""
    max_transfer_rate: float = 0.15
    """Standing automatic transfer (share of income) at which transfers stop being suggested."""
    big_transfer_rate: float = 0.10
    """Savings rate at or above which the 10% transfer is suggested."""
    nudge_overspend: float = 0.10
    """Last month's discretionary overspend (share of budget) above which to nudge."""
    celebrate_pace: float = 1.0
    """Goal pace at or above which progress is celebrated."""


DEFAULT_GRID: Mapping[str, Sequence[Any]] = {
    "contact_gap": (2, 3, 6),
    "buffer_months": (0.5, 1.0, 2.0),
    "nudge_overspend": (0.05, 0.25),
    "extend_pace": (0.3, 0.6),
}
"""Thresholds ``tune_rules`` searches by default (3 x 3 x 2 x 2 = 36 configurations); the rest
keep their ``RuleConfig`` defaults."""


def raw_features(observation: Observation) -> dict[str, float]:
    """The observation's features in raw units (inverting ``observation.observe``'s scaling).

    Values that were clipped come back at their range's end.
    """
    out = {}
    for feature, value in zip(FEATURES, observation.tolist(), strict=True):
        unit = (value + 1.0) / 2.0 if feature.signed else value
        out[feature.name] = feature.low + unit * (feature.high - feature.low)
    return out


def rule_action(observation: Observation, config: RuleConfig) -> int:
    """The rule-based coach's action (an index into ``actions.ACTIONS``)."""
    f = raw_features(observation)
    if f["engaged"] < 0.5 or f["months_since_contact"] < config.contact_gap:
        return _ACTION["none"]
    goal_open = f["goal_progress"] < 1.0
    if goal_open and f["goal_pace"] < config.extend_pace:
        return _ACTION["goal_extend"]
    if f["auto_transfer_rate"] < config.max_transfer_rate and (
        f["checking_months"] >= config.buffer_months
    ):
        if f["savings_rate"] >= config.big_transfer_rate:
            return _ACTION["transfer_10"]
        return _ACTION["transfer_5"] if f["savings_rate"] > 0.0 else _ACTION["transfer_2"]
    if f["overspend"] > config.nudge_overspend:
        big = f["overspend"] > 2.0 * config.nudge_overspend
        return _ACTION["nudge_cut_20" if big else "nudge_cut_10"]
    if goal_open and f["goal_pace"] >= config.celebrate_pace:
        return _ACTION["celebrate"]
    return _ACTION["none"]


@dataclass(frozen=True)
class RulePolicy:
    """The rule-based coach as a ``rollout.Policy``."""

    config: RuleConfig = RuleConfig()
    """Its thresholds."""

    def act(self, observation: Observation) -> int:
        """The rules' action for ``observation``."""
        return rule_action(np.asarray(observation), self.config)


@dataclass(frozen=True)
class Tuning:
    """What ``tune_rules`` found."""

    best: RuleConfig
    """The configuration with the highest mean training reward."""
    scores: tuple[tuple[RuleConfig, float], ...]
    """Every configuration tried with its mean training reward, in grid order."""
    episodes: int
    """Training episodes consumed (grid size x episodes per configuration)."""
    steps: int
    """Environment steps consumed."""

    def as_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON."""
        return {
            "best": asdict(self.best),
            "scores": [{"config": asdict(c), "mean_return": s} for c, s in self.scores],
            "episodes": self.episodes,
            "steps": self.steps,
        }


def grid_configs(
    grid: Mapping[str, Sequence[Any]], base: RuleConfig = RuleConfig()
) -> list[RuleConfig]:
    """Every combination of ``grid``'s values, on top of ``base``."""
    names = list(grid)
    return [
        replace(base, **dict(zip(names, values, strict=True)))
        for values in itertools.product(*(grid[n] for n in names))
    ]


def grid_size(grid: Mapping[str, Sequence[Any]]) -> int:
    """Configurations ``grid`` combines."""
    return math.prod(len(values) for values in grid.values())


def episodes_for_budget(steps: int, grid_size: int, months: int) -> int:
    """Episodes per configuration that spend about ``steps`` environment steps on the grid."""
    return max(1, steps // (grid_size * months))


def tune_rules(
    pool: PersonPool,
    episodes_per_config: int,
    seed: int = 0,
    grid: Mapping[str, Sequence[Any]] = DEFAULT_GRID,
    env_config: EnvConfig | None = None,
) -> Tuning:
    """Grid-search the rules' thresholds by mean episode reward on training people.

    Every configuration meets the same people with the same luck (episode ``i``: person
    ``pool.seeds[i % len(pool)]``, seed ``seed + i``), so the comparison is paired.

    Args:
        pool: Training people (``ValueError`` if any is not a training persona seed).
        episodes_per_config: Episodes each configuration is scored on.
        seed: Seed of the first episode.
        grid: Threshold values to combine (see ``DEFAULT_GRID``).
        env_config: The environment's settings.
    """
    require_training(pool)
    months = (env_config or EnvConfig()).months
    scores = []
    for config in grid_configs(grid):
        result = evaluate(RulePolicy(config), pool, episodes_per_config, seed, env_config)
        scores.append((config, result.mean_return))
    best = max(scores, key=lambda item: item[1])[0]  # first of equals: grid order breaks ties
    episodes = len(scores) * episodes_per_config
    return Tuning(best, tuple(scores), episodes, episodes * months)
