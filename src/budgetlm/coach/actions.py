"""The coach's discrete interventions, and how likely a person is to follow each.

One action a month. ``ACTIONS[i]`` is action ``i`` of the environment's ``Discrete`` space; the
list is versioned (``ACTIONS_VERSION``) because a trained policy's outputs index it.

Effect model (applied by ``simulator.Simulator`` when a person is engaged and follows):

``none``
    Nothing is said; nothing changes and no fatigue builds.
``nudge`` (cut 10% or 20%)
    Suggest spending less on the person's largest discretionary category right now (by usual
    spend after earlier cuts; cash withdrawals are never targeted). Followed: that category's
    spending multiplier is scaled by ``1 - size`` (never below ``1 - SimConfig.max_cut``). The
    cut relapses: each month the person keeps ``stickiness`` of it (0.8-0.95), so one followed
    nudge fades over a year or so. Bigger asks are followed less (``x (1 - 1.5 size)``) and tire
    more; a nudge right after a month of overspending is more persuasive (salience, up to 1.5x).
``transfer`` (2%, 5% or 10% of income)
    Suggest an automatic monthly transfer to savings. Followed: the standing transfer grows by
    ``size x income`` (capped at ``SimConfig.max_auto_transfer``). It leaves checking first each
    month, before it can leak into spending (``Traits.leak_share``): the mechanism by which
    automatic saving works (Madrian & Shea 2001; Thaler & Benartzi 2004).
    People mostly refuse transfers they cannot afford (followed ``x min(1, free cash /
    transfer)``). A month the transfer cannot be covered draws on savings and, with chance
    ``transfer_cancel``, makes the person cancel every transfer and resent it (fatigue).
``goal_extend``
    Suggest moving the goal's date six months later. Followed mostly when the person is behind
    (pace under what the goal needs); it can turn an out-of-reach goal, which discourages, into a
    hard but attainable one, which motivates most (Locke & Latham 2002).
``goal_raise``
    Suggest raising the goal's target by 25% (a new target above what is saved once reached).
    Followed mostly when the person is well ahead; a goal that is too easy stops motivating.
``celebrate``
    Celebrate progress. Earned (last month's net worth grew more than usual, or the goal crossed
    a quarter mark): motivation rises by ``celebrate_boost`` and it tires little. Hollow (no
    progress to celebrate): it tires like any message and motivation drops a little.

Ignored advice changes nothing but fatigue. Motivation (transient, from celebrations, plus the
pull of the goal) raises following, saving discipline and lowers discretionary spending a little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from budgetlm.coach.traits import Traits

ActionKind = Literal["none", "nudge", "transfer", "goal_extend", "goal_raise", "celebrate"]
"""What an action does (see the module docstring)."""

Family = Literal["nudge", "transfer", "goal", "celebrate"]
"""Kinds of intervention as the observation records them (the two goal actions are one)."""

FAMILIES: tuple[Family, ...] = ("nudge", "transfer", "goal", "celebrate")
"""Intervention families in observation order."""

ACTIONS_VERSION = "coach-actions/1"
"""Version of ``ACTIONS``; saved beside every trained policy."""


@dataclass(frozen=True, slots=True)
class Action:
    """One intervention the coach can choose."""

    index: int
    """Its index in the environment's action space."""
    name: str
    """Stable short name (``nudge_cut_10``)."""
    kind: ActionKind
    """What it does."""
    size: float
    """The suggested cut or transfer as a share, the goal extension in months, the goal raise as
    a share; 0 when it has none."""
    description: str
    """One line a person could read."""

    @property
    def family(self) -> Family | None:
        """Family as the observation records it; None for ``none``."""
        return _FAMILY[self.kind]


_FAMILY: dict[ActionKind, Family | None] = {
    "none": None,
    "nudge": "nudge",
    "transfer": "transfer",
    "goal_extend": "goal",
    "goal_raise": "goal",
    "celebrate": "celebrate",
}


ACTIONS: tuple[Action, ...] = (
    Action(0, "none", "none", 0.0, "Say nothing this month."),
    Action(
        1, "nudge_cut_10", "nudge", 0.10, "Spend 10% less on your largest discretionary category."
    ),
    Action(
        2, "nudge_cut_20", "nudge", 0.20, "Spend 20% less on your largest discretionary category."
    ),
    Action(3, "transfer_2", "transfer", 0.02, "Move 2% of your income to savings automatically."),
    Action(4, "transfer_5", "transfer", 0.05, "Move 5% of your income to savings automatically."),
    Action(5, "transfer_10", "transfer", 0.10, "Move 10% of your income to savings automatically."),
    Action(6, "goal_extend", "goal_extend", 6.0, "Give your savings goal six more months."),
    Action(7, "goal_raise", "goal_raise", 0.25, "Raise your savings goal's target by a quarter."),
    Action(8, "celebrate", "celebrate", 0.0, "Celebrate your progress."),
)
"""Every action, indexed by its position."""

ACTION_NAMES: tuple[str, ...] = tuple(a.name for a in ACTIONS)
"""Action names in index order."""


@dataclass(frozen=True, slots=True)
class Situation:
    """What a person's response to advice depends on, besides their traits."""

    fatigue: float
    """Accumulated fatigue from earlier interventions."""
    motivation: float
    """Transient motivation plus the goal's pull, in [-1, 1]."""
    overspend: float
    """Last month's discretionary spending over its budget, as a share (0 when within)."""
    free_cash: float
    """Usual monthly income left after needs, cut wants, minimum payments and transfers."""
    income: float
    """Usual monthly income."""
    goal_pace: float
    """Saving pace over the pace the goal needs (2 or more: well ahead; under 1: behind)."""


def follow_probability(action: Action, situation: Situation, traits: Traits) -> float:
    """Chance that a person follows ``action`` (0 for ``none`` and ``celebrate``)."""
    if action.kind in ("none", "celebrate"):
        return 0.0
    s = situation
    p = traits.compliance * math.exp(-traits.fatigue_sensitivity * s.fatigue)
    p *= min(1.5, max(0.5, 1.0 + 0.5 * s.motivation))
    if action.kind == "nudge":
        p *= (1.0 - 1.5 * action.size) * (1.0 + 0.5 * min(1.0, 2.0 * s.overspend))
    elif action.kind == "transfer":
        p *= min(1.0, max(0.1, s.free_cash / (action.size * s.income)))
    elif action.kind == "goal_extend":
        p *= 1.0 if s.goal_pace < 1.0 else 0.3
    else:  # goal_raise
        p *= 1.0 if s.goal_pace >= 1.5 else 0.3
    return min(0.95, max(0.0, p))


def fatigue_cost(action: Action, followed: bool) -> float:
    """Fatigue an intervention adds, in units of ``Traits.fatigue_gain`` (0 for ``none``)."""
    if action.kind == "none":
        return 0.0
    if action.kind == "celebrate":
        return 0.3 if followed else 1.0
    if action.kind in ("goal_extend", "goal_raise"):
        return 0.6
    return 1.0 + 2.0 * action.size


def goal_pull(pace_ratio: float, progress: float) -> float:
    """Motivation a goal adds: hard-but-attainable goals pull most, hopeless ones discourage.

    Args:
        pace_ratio: Saving pace over the pace the goal needs.
        progress: Share of the goal funded; at 1 the goal is reached and pulls no more.
    """
    if progress >= 1.0:
        return 0.0
    gradient = 0.1 if progress >= 0.8 else 0.0  # the goal-gradient effect (Kivetz et al. 2006)
    if pace_ratio >= 2.0:
        return gradient
    if pace_ratio >= 1.0:
        return 0.15 + gradient
    if pace_ratio >= 0.6:
        return 0.25 + gradient
    return -0.2 + gradient
