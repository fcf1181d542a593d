"""Running a coach through episodes and summarising what happened to the people it coached.

A coach is anything with ``act(observation) -> action index`` (``Policy``): the DQN's greedy
policy, the rule-based coach, or ``DoNothing``, the baseline every coach must beat.
``person_outcomes`` meets each person of a pool once, with episode seeds fixed by ``seed``, so
two coaches evaluated with the same pool and seed meet the same people with the same luck
(common random numbers) and their differences are paired, person by person (``evaluation``
compares them); ``evaluate`` reports their means.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from budgetlm.coach.env import CoachEnv, EnvConfig
from budgetlm.coach.pools import PersonPool

Observation = npt.NDArray[np.float32]


class Policy(Protocol):
    """A coach: picks one action (an index into ``actions.ACTIONS``) from an observation."""

    def act(self, observation: Observation) -> int:
        """The action for ``observation``."""
        ...


class DoNothing:
    """The baseline coach: never says anything."""

    def act(self, observation: Observation) -> int:
        """Always ``none`` (action 0)."""
        return 0


@dataclass(frozen=True)
class Evaluation:
    """Mean outcomes of a coach over a pool's people (one episode each)."""

    episodes: int
    """Episodes run."""
    mean_return: float
    """Mean undiscounted episode reward."""
    return_stderr: float
    """Standard error of ``mean_return``."""
    savings_rate: float
    """Mean share of income saved over the episode (net-worth change / income)."""
    saved_months: float
    """Mean net-worth change in months of the person's income."""
    debt_paid_months: float
    """Mean debt repaid in months of the person's income."""
    goal_attained: float
    """Share of people who reached their goal during the episode."""
    disengaged: float
    """Share of people who stopped reading the coach."""
    interventions: float
    """Mean interventions delivered per episode."""

    def as_dict(self) -> dict[str, Any]:
        """Plain fields, for JSON."""
        return asdict(self)


def run_episode(
    env: CoachEnv, policy: Policy, seed: int, persona_seed: int | None = None
) -> tuple[float, dict[str, Any], float]:
    """One whole episode; returns its reward, the last ``info`` and the person's income.

    Args:
        env: The environment (its pool must hold ``persona_seed``).
        policy: The coach.
        seed: The episode's seed (person, unless given, and luck).
        persona_seed: The person to coach; drawn from the pool when None.
    """
    options = None if persona_seed is None else {"persona_seed": persona_seed}
    obs, info = env.reset(seed=seed, options=options)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs))
        total += reward
        done = terminated or truncated
    return total, info, env.simulator.profile.income


OUTCOMES = (
    "return", "saved_months", "savings_rate", "debt_paid_months", "goal_attained", "disengaged",
    "interventions",
)  # fmt: skip
"""What ``person_outcomes`` reports for each person (see ``Evaluation`` for their meaning)."""


def person_outcomes(
    policy: Policy,
    pool: PersonPool,
    episodes: int | None = None,
    seed: int = 0,
    env_config: EnvConfig | None = None,
) -> dict[str, npt.NDArray[np.float64]]:
    """Each person's outcomes, one array of length ``episodes`` per name in ``OUTCOMES``.

    Episode ``i`` coaches ``pool.seeds[i % len(pool)]`` with seed ``seed + i``, so two coaches
    given the same pool and seed meet the same people with the same luck, person by person.
    Arguments as for ``evaluate``.
    """
    env = CoachEnv(pool, env_config)
    count = len(pool) if episodes is None else episodes
    rows: dict[str, list[float]] = {name: [] for name in OUTCOMES}
    for i in range(count):
        total, info, income = run_episode(env, policy, seed + i, pool.seeds[i % len(pool)])
        unit = max(income, 1.0)
        rows["return"].append(total)
        rows["saved_months"].append(info["saved"] / unit)
        rows["savings_rate"].append(info["savings_rate"])
        rows["debt_paid_months"].append(info["debt_paid"] / unit)
        rows["goal_attained"].append(float(info["goal_attained"]))
        rows["disengaged"].append(float(info["disengaged"]))
        rows["interventions"].append(float(info["nudges"]))
    return {name: np.asarray(values, dtype=np.float64) for name, values in rows.items()}


def summarise(outcomes: dict[str, npt.NDArray[np.float64]]) -> Evaluation:
    """The ``Evaluation`` (means) of ``person_outcomes``' arrays."""
    returns = outcomes["return"]
    count = len(returns)
    spread = float(np.std(returns, ddof=1)) if count > 1 else 0.0
    return Evaluation(
        episodes=count,
        mean_return=float(np.mean(returns)),
        return_stderr=spread / math.sqrt(count),
        savings_rate=float(np.mean(outcomes["savings_rate"])),
        saved_months=float(np.mean(outcomes["saved_months"])),
        debt_paid_months=float(np.mean(outcomes["debt_paid_months"])),
        goal_attained=float(np.mean(outcomes["goal_attained"])),
        disengaged=float(np.mean(outcomes["disengaged"])),
        interventions=float(np.mean(outcomes["interventions"])),
    )


def evaluate(
    policy: Policy,
    pool: PersonPool,
    episodes: int | None = None,
    seed: int = 0,
    env_config: EnvConfig | None = None,
) -> Evaluation:
    """Coach the pool's people in order, episode ``i`` with seed ``seed + i``.

    Args:
        policy: The coach.
        pool: The people (cycled through when ``episodes`` exceeds its size).
        episodes: Episodes to run; one per person when None.
        seed: Seed of the first episode.
        env_config: The environment's settings.
    """
    return summarise(person_outcomes(policy, pool, episodes, seed, env_config))
