"""``CoachEnv``: the gymnasium environment in which a coach helps simulated people save.

An episode is one person (a persona seed from the environment's ``PersonPool``) over
``EnvConfig.months`` coached months, after ``SimConfig.window`` uncoached warm-up months. Each
step is a month: the coach picks one of ``actions.ACTIONS``, the person lives the month
(``simulator``), and the coach is paid ``reward`` and sees ``observation`` (``FEATURES``, each
in [0, 1] or [-1, 1]).

Seeding: ``reset(seed=s)`` seeds the environment's generator, which picks the person (one
integer draw, made even when ``options["persona_seed"]`` names the person) and then draws all of
the episode's luck up front (``draws``). The same seed gives the same episode: the same person,
observations, rewards and infos for the same actions. ``reset()`` without a seed continues the
generator, so consecutive episodes differ. With ``options={"persona_seed": p}`` and one seed,
two coaches meet the same person and the same luck: the paired comparison of issue 8, point 4.

``gymnasium.make(ENV_ID, pool=..., config=...)`` builds it through gymnasium's registry.

Episodes never *terminate*: disengagement degrades the episode instead (nothing the coach does
reaches the person any more; see ``simulator``). They are *truncated* after ``months``; treat
truncation as a time limit and bootstrap (the observation carries no clock, because a deployed
coach has no horizon).

``info`` after every ``reset`` and ``step`` has the same keys: the person and month, the action
and whether it was delivered and followed, the reward's terms, and outcome figures since the
episode started (net saved, savings balance, debt and debt repaid, goal attained and when,
disengaged, interventions delivered and followed, the standing automatic transfer). A goal
reached during the warm-up reports month -1 and earns no reward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from budgetlm.coach.actions import ACTIONS
from budgetlm.coach.draws import Draws
from budgetlm.coach.observation import bounds, observe
from budgetlm.coach.outcome import MonthOutcome
from budgetlm.coach.pools import PersonPool, train_pool
from budgetlm.coach.profile import person_profile
from budgetlm.coach.reward import RewardTerms, RewardWeights, reward_terms
from budgetlm.coach.simulator import SimConfig, Simulator
from budgetlm.coach.traits import sample_traits

Observation = npt.NDArray[np.float32]

ENV_ID = "budgetlm/Coach-v0"
"""Id under which ``CoachEnv`` is registered with gymnasium (``gymnasium.make(ENV_ID)``)."""

DEFAULT_POOL_SIZE = 500
"""People in the training pool an environment uses when given none."""


@dataclass(frozen=True)
class EnvConfig:
    """Settings of ``CoachEnv``."""

    months: int = 24
    """Coached months in an episode (monthly steps)."""
    sim: SimConfig = field(default_factory=SimConfig)
    """Behaviour shared by every simulated person."""
    reward: RewardWeights = field(default_factory=RewardWeights)
    """Weights of the reward's terms."""

    def __post_init__(self) -> None:
        if self.months < 1:
            raise ValueError("an episode needs at least one month")


@dataclass
class _Totals:
    start_worth: float
    start_debt: float
    saved: float = 0.0
    income: float = 0.0
    delivered: int = 0
    followed: int = 0
    reward: float = 0.0


class CoachEnv(gym.Env[Observation, np.int64]):
    """Monthly coaching of one simulated person per episode (see the module docstring)."""

    # gymnasium declares ``metadata`` an instance variable; no rendering to offer
    metadata = {"render_modes": []}  # noqa: RUF012

    def __init__(self, pool: PersonPool | None = None, config: EnvConfig | None = None) -> None:
        """Make the environment.

        Args:
            pool: People to draw from; a ``DEFAULT_POOL_SIZE`` training pool when None. Profiles
                are built the first time a person is drawn (about 35 ms each, then cached).
            config: Episode length, shared behaviour and reward weights.
        """
        self.pool = pool if pool is not None else train_pool(DEFAULT_POOL_SIZE)
        self.config = config or EnvConfig()
        low, high = bounds()
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._sim: Simulator | None = None
        self._totals = _Totals(0.0, 0.0)

    @property
    def simulator(self) -> Simulator:
        """The current episode's simulator (after ``reset``)."""
        if self._sim is None:
            raise RuntimeError("call reset() before using the environment")
        return self._sim

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        """Start an episode with a person from the pool.

        Args:
            seed: Seeds the environment's generator (see the module docstring).
            options: ``{"persona_seed": p}`` picks person ``p``, who must be in the pool.
        """
        super().reset(seed=seed)
        drawn = self.pool.seeds[int(self.np_random.integers(len(self.pool)))]
        chosen = (options or {}).get("persona_seed")
        if chosen is not None and chosen not in self.pool:
            raise ValueError(f"persona seed {chosen} is not in pool {self.pool.name!r}")
        persona_seed = drawn if chosen is None else int(chosen)
        sim_config = self.config.sim
        profile = person_profile(persona_seed, sim_config.history_months)
        traits = sample_traits(persona_seed, profile.persona)
        months = sim_config.window + self.config.months
        draws = Draws.sample(self.np_random, months, len(profile.wants))
        self._sim = sim = Simulator(profile, traits, draws, sim_config)
        self._totals = _Totals(sim.finances.net_worth, sim.finances.debt)
        return observe(sim.financial_state()), self._info(None, None)

    def step(self, action: np.int64 | int) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """Live one month with the coach's action."""
        sim = self.simulator
        outcome = sim.step(int(action))
        terms = reward_terms(outcome, sim.profile.income, self.config.reward)
        totals = self._totals
        totals.saved += outcome.net_worth_change
        totals.income += outcome.income
        totals.delivered += outcome.delivered
        totals.followed += outcome.followed
        totals.reward += terms.total
        truncated = sim.months_left == 0
        return (
            observe(sim.financial_state()),
            terms.total,
            False,
            truncated,
            self._info(outcome, terms),
        )

    def _info(self, outcome: MonthOutcome | None, terms: RewardTerms | None) -> dict[str, Any]:
        sim, totals = self.simulator, self._totals
        money = sim.finances
        reached = sim.goal_reached_month
        return {
            "persona_seed": sim.profile.persona_seed,
            "month": sim.month,
            "action": ACTIONS[outcome.action].name if outcome else "none",
            "delivered": outcome.delivered if outcome else False,
            "followed": outcome.followed if outcome else False,
            "reward_terms": terms.as_dict() if terms else RewardTerms(0, 0, 0, 0, 0, 0).as_dict(),
            "income": outcome.income if outcome else 0.0,
            "spending": outcome.needs + outcome.wants if outcome else 0.0,
            "wants": outcome.wants if outcome else 0.0,
            "saved": totals.saved,
            "savings_rate": totals.saved / totals.income if totals.income > 0 else 0.0,
            "savings_balance": money.savings,
            "debt": money.debt,
            "debt_paid": totals.start_debt - money.debt,
            "goal_attained": reached is not None,
            "goal_attained_month": reached,
            "goal_on_time": reached is not None and reached <= sim.profile.goal_months,
            "disengaged": not sim.engaged,
            "nudges": totals.delivered,
            "followed_total": totals.followed,
            "auto_transfer": money.auto_transfer,
            "episode_reward": totals.reward,
        }


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="budgetlm.coach.env:CoachEnv")
