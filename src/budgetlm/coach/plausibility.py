"""Do simulated people look like real households, and does advice move them the right way?

``simulate(pool, policy)`` runs one episode per person of ``pool`` and summarises each
(savings rate, spending shares, disengagement, goal, interventions). Episode ``i`` uses seed
``seed + i``, so two policies run on the same pool meet the same people and the same luck and
can be compared person by person.

``population_checks`` compares the uncoached population with public figures:

* **Savings rate** (net-worth change / take-home income over the episode): median in
  [0, 0.12]. The US personal saving rate (BEA, personal saving / disposable personal income)
  averaged 6.1% in the 2010s and 4.6% in 2024. Individual households spread widely and many
  dissave; we ask for 5-45% of people with a negative rate and the middle 90% within
  [-0.4, 0.45] (an assumption: no public per-household series matches our definition).
* **Housing** (rent or mortgage payment / spending): median in [0.2, 0.4]. BLS Consumer
  Expenditure Survey 2023: housing is 32.9% of expenditures, 37.6% once "personal insurance and
  pensions" (12.4%, already out of take-home pay) is removed; that housing includes utilities
  and furnishings, which are in our essentials and discretionary spending, while rent or
  mortgage payments are most of it. Rent near 30% of income is the HUD cost-burden line.
* **Essentials** other than housing / spending: median in [0.2, 0.45] (CE 2023: transportation
  17.0%, food 12.9% of which about 60% at home, healthcare 8.0%).
* **Discretionary** (``want`` categories) / spending: median in [0.2, 0.45]; the common
  50/30/20 budgeting guideline puts wants at 30% of take-home pay.
* **Disengagement** without any coaching: 2-25% of people over the episode (the base hazard).

``advice_checks`` compares a coach with the uncoached run, person by person: a coach that
suggests an automatic 5% transfer every month must raise the savings rate of cooperative people
(receptiveness > 0.5) and the disengagement of nudge-averse people (receptiveness < -0.5).

``python -m budgetlm.coach.plausibility`` prints every check.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from budgetlm.coach.actions import ACTION_NAMES
from budgetlm.coach.env import CoachEnv, EnvConfig
from budgetlm.coach.pools import PersonPool, train_pool

Policy = Callable[[int, npt.NDArray[np.float32]], int]
"""A coach for checks: (month, observation) -> action index."""

COOPERATIVE = 0.5
"""Receptiveness above which a person counts as cooperative."""
NUDGE_AVERSE = -0.5
"""Receptiveness below which a person counts as nudge-averse."""


def do_nothing(month: int, observation: npt.NDArray[np.float32]) -> int:
    """The uncoached baseline: never intervene."""
    return 0


def always_transfer(month: int, observation: npt.NDArray[np.float32]) -> int:
    """Suggest an automatic 5% transfer every month."""
    return ACTION_NAMES.index("transfer_5")


@dataclass(frozen=True, slots=True)
class EpisodeSummary:
    """One person's episode in figures."""

    persona_seed: int
    receptiveness: float
    savings_rate: float
    """Net-worth change / income over the episode."""
    housing_share: float
    """Rent or mortgage payments / spending."""
    essentials_share: float
    """Other needs / spending."""
    discretionary_share: float
    """Discretionary spending / spending."""
    disengaged: bool
    goal_attained: bool
    interventions: int
    reward: float
    """The episode's total reward."""


@dataclass(frozen=True, slots=True)
class Check:
    """One plausibility check: a measured value against its range."""

    name: str
    value: float
    low: float
    high: float

    @property
    def ok(self) -> bool:
        """The value lies in [low, high]."""
        return self.low <= self.value <= self.high

    def __str__(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.name:<52} {self.value:8.3f}  in [{self.low:g}, {self.high:g}]"


def simulate(
    pool: PersonPool, policy: Policy, *, months: int = 24, seed: int = 0
) -> list[EpisodeSummary]:
    """One episode per person of ``pool`` under ``policy`` (episode ``i`` seeded ``seed + i``)."""
    env = CoachEnv(pool, EnvConfig(months=months))
    out = []
    for i, persona_seed in enumerate(pool.seeds):
        observation, info = env.reset(seed=seed + i, options={"persona_seed": persona_seed})
        sim = env.simulator
        income = needs = wants = reward = 0.0
        truncated = False
        while not truncated:
            observation, r, _, truncated, info = env.step(policy(sim.month, observation))
            income, reward = income + info["income"], reward + r
            needs, wants = needs + info["spending"] - info["wants"], wants + info["wants"]
        spending = max(needs + wants, 1.0)
        housing = sim.profile.housing * months
        out.append(
            EpisodeSummary(
                persona_seed=persona_seed,
                receptiveness=sim.traits.receptiveness,
                savings_rate=info["saved"] / income,
                housing_share=housing / spending,
                essentials_share=(needs - housing) / spending,
                discretionary_share=wants / spending,
                disengaged=info["disengaged"],
                goal_attained=info["goal_attained"],
                interventions=info["nudges"],
                reward=reward,
            )
        )
    return out


def population_checks(uncoached: Sequence[EpisodeSummary]) -> list[Check]:
    """Checks of an uncoached population against public figures (module docstring)."""
    rates = sorted(e.savings_rate for e in uncoached)
    n = len(rates)

    def median(name: str) -> float:
        return statistics.median(float(getattr(e, name)) for e in uncoached)

    return [
        Check("median savings rate", statistics.median(rates), 0.0, 0.12),
        Check("share of people dissaving", sum(r < 0 for r in rates) / n, 0.05, 0.45),
        Check("5th percentile savings rate", rates[int(0.05 * (n - 1))], -0.4, 0.45),
        Check("95th percentile savings rate", rates[int(0.95 * (n - 1))], -0.4, 0.45),
        Check("median housing share of spending", median("housing_share"), 0.2, 0.4),
        Check("median essentials share of spending", median("essentials_share"), 0.2, 0.45),
        Check("median discretionary share of spending", median("discretionary_share"), 0.2, 0.45),
        Check("share disengaged without coaching", _share(uncoached, "disengaged"), 0.02, 0.25),
    ]


def advice_checks(
    uncoached: Sequence[EpisodeSummary], transfers: Sequence[EpisodeSummary]
) -> list[Check]:
    """Paired checks that an always-transfer coach moves people the expected way."""
    if [e.persona_seed for e in uncoached] != [e.persona_seed for e in transfers]:
        raise ValueError("advice checks need the same people in the same order")
    pairs = list(zip(uncoached, transfers, strict=True))
    cooperative = [(a, b) for a, b in pairs if a.receptiveness > COOPERATIVE]
    averse = [(a, b) for a, b in pairs if a.receptiveness < NUDGE_AVERSE]
    saved = statistics.fmean(b.savings_rate - a.savings_rate for a, b in cooperative)
    left = statistics.fmean(float(b.disengaged) - float(a.disengaged) for a, b in averse)
    return [
        Check("cooperative: savings rate gain from transfers", saved, 0.002, 0.1),
        Check("nudge-averse: disengagement added by transfers", left, 0.1, 1.0),
    ]


def _share(episodes: Sequence[EpisodeSummary], name: str) -> float:
    return sum(bool(getattr(e, name)) for e in episodes) / len(episodes)


def plausibility(people: int = 200, months: int = 24) -> list[Check]:
    """Every check on the first ``people`` training people."""
    pool = train_pool(people)
    uncoached = simulate(pool, do_nothing, months=months)
    transfers = simulate(pool, always_transfer, months=months)
    return population_checks(uncoached) + advice_checks(uncoached, transfers)


if __name__ == "__main__":
    for check in plausibility():
        print(check)
