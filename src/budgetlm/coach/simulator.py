"""One simulated person living month by month, with a coach that may speak once a month.

A month, in order:

1. **The coach speaks** (only while the person is engaged and the action is not ``none``): the
   person follows with ``actions.follow_probability`` (against the month's ``follow`` draw), the
   effect is applied (``actions`` module docstring), and fatigue grows by ``fatigue_cost``.
2. **Income** arrives: the usual income with lognormal noise (the history's variation), cut by
   ``income_shock_size`` while an income shock lasts.
3. **Money goes out** (``Finances.live``): the standing automatic transfer to savings first;
   then housing, essentials (with noise and now and then an unexpected expense), discretionary
   spending per category (planned spend x accepted cuts x noise x mood, plus now and then an
   impulse splurge; a person who is nearly out of cash spends only what income leaves, down to
   half) and the debts' minimum payments after a month's interest.
4. **What is left in checking**: above the comfort buffer, ``leak_share`` of it tends to get
   spent and the rest is swept by ``discipline`` to the card (``debt_focus``) and savings; this
   is why a transfer that leaves checking first raises saving. Below zero, savings cover the
   shortfall, then the card; a shortfall while a transfer runs may get every transfer cancelled
   (``transfer_cancel``) and adds fatigue.
5. **Disengagement**: an engaged person leaves with chance ``disengage_base + disengage_fatigue x
   fatigue^2``. Leaving is for good: later actions are not delivered and change nothing, but the
   person's money keeps moving, so outcomes of different coaches compare over the same months.
6. Cuts relapse (``stickiness``), fatigue wears off (``fatigue_decay``), motivation fades.

Calibration (``calibrate``): the history's spending already contains leakage, impulses and the
odd surprise bill, so the planned levels are set so that an uncoached month reproduces the
history on average; the population checks are in ``plausibility``.

Every number comes from ``Draws`` row by row, so a person, a seed and a sequence of actions give
exactly one history. Money is ``float`` (see ``profile``). The episode starts after
``SimConfig.window`` uncoached warm-up months, so windowed features rest on simulated months.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from budgetlm.coach.actions import ACTIONS, Situation, fatigue_cost, follow_probability, goal_pull
from budgetlm.coach.draws import Draws
from budgetlm.coach.finances import Finances, Habits
from budgetlm.coach.observation import (
    NO_CONTACT_MONTHS,
    RECENT_MONTHS,
    CoachingTurn,
    FinancialState,
)
from budgetlm.coach.outcome import MonthOutcome
from budgetlm.coach.profile import PersonProfile
from budgetlm.coach.traits import Traits


@dataclass(frozen=True)
class SimConfig:
    """Behaviour shared by every simulated person (per-person behaviour is in ``Traits``)."""

    history_months: int = 6
    """Months of synthetic history each person's profile is averaged over."""
    window: int = 3
    """Months the windowed features average over; also the uncoached warm-up."""
    essentials_cv: float = 0.05
    """Month-to-month variation of essential spending."""
    wants_cv: float = 0.15
    """Month-to-month variation of each discretionary category."""
    budget_slack: float = 0.1
    """A category's budget is its usual spend times ``1 + budget_slack``."""
    min_budget: float = 20.0
    """Categories usually below this a month get no budget."""
    max_cut: float = 0.5
    """Largest share of a category's usual spend that cuts can remove."""
    max_auto_transfer: float = 0.3
    """Largest standing automatic transfer, as a share of income."""
    motivation_decay: float = 0.6
    """Share of transient motivation left a month later."""
    savings_apr: float = 0.01
    """Interest on savings."""
    pace_smoothing: float = 0.3
    """Weight of the latest month in the goal's saving pace (exponential average)."""
    acceptance_memory: int = 6
    """Interventions the acceptance rate looks back over."""


def calibrate(profile: PersonProfile, traits: Traits) -> tuple[Habits, float, float]:
    """Habits, planned-wants scale and planned essentials that reproduce the history on average.

    The history's discretionary spending already contains what leaked from checking and the
    impulse splurges, and its essentials the occasional surprise; the simulator adds those
    itself, so the planned levels are what remains. With leak share ``s`` (``leak_share``), a
    steady month leaks ``s / (1 - s)`` times the history's surplus (what it did save). The
    monthly leak and sweep rates keep that share: ``leakage / (leakage + discipline) = s``.
    """
    share = traits.leak_share
    discipline = min(traits.discipline, 1.0 - share)
    habits = Habits(
        leakage=discipline * share / (1.0 - share),
        discipline=discipline,
        debt_focus=traits.debt_focus,
        comfort_months=traits.comfort_months,
    )
    leak = share * max(0.0, profile.surplus) / (1.0 - share)
    impulses = traits.impulse_rate * traits.impulse_size * profile.total_wants
    wants_scale = max(0.5, 1.0 - (leak + impulses) / max(profile.total_wants, 1.0))
    surprises = traits.expense_shock_rate * traits.expense_shock_size * profile.income
    essentials = max(0.7 * profile.essentials, profile.essentials - surprises)
    return habits, wants_scale, essentials


class Simulator:
    """One person, stepped a month at a time (``step``); see the module docstring.

    Attributes:
        finances: The person's money.
        month: Month of the episode about to be lived (negative during the warm-up).
        engaged: The person still reads the coach (False for good once they leave).
        fatigue: Accumulated fatigue from interventions.
        motivation: Transient motivation from celebrations (``total_motivation`` adds the goal).
        goal_target: The goal's current target (``goal_raise`` moves it; the reward does not).
        goal_deadline: The goal's month (``goal_extend`` moves it).
        goal_reached_month: Month the original target was first reached (-1: in the warm-up).
    """

    def __init__(
        self, profile: PersonProfile, traits: Traits, draws: Draws, config: SimConfig
    ) -> None:
        """Start the person's simulation and live the uncoached warm-up months.

        Args:
            profile: The person's money facts.
            traits: The person's hidden traits.
            draws: Randomness for ``config.window`` warm-up months plus the episode.
            config: Shared behaviour.
        """
        if draws.months <= config.window:
            raise ValueError("draws must cover the warm-up and at least one month")
        self.profile, self.traits, self.config = profile, traits, config
        self._draws = draws
        habits, wants_scale, self._essentials = calibrate(profile, traits)
        self.finances = Finances(
            profile,
            habits,
            config.window,
            wants_scale=wants_scale,
            budget_slack=config.budget_slack,
            min_budget=config.min_budget,
        )
        self.month = -config.window
        self.engaged = True
        self.fatigue = self.motivation = 0.0
        self.goal_target = profile.goal_target
        self.goal_deadline = profile.goal_months
        self.goal_reached_month: int | None = None
        self._shock_left = 0
        self._last_contact: int | None = None
        self._turns: deque[CoachingTurn] = deque(maxlen=RECENT_MONTHS)
        self._responses: deque[bool] = deque(maxlen=config.acceptance_memory)
        self._contacts: deque[bool] = deque(maxlen=config.window)
        weights = np.where(self.finances.nudgeable, self.finances.base_wants, 0.0)
        self._impulse_cum = np.cumsum(weights) / max(float(weights.sum()), 1e-9)
        for _ in range(config.window):
            self._live(0, coached=False)

    @property
    def months_left(self) -> int:
        """Months the draws still cover."""
        return self._draws.months - self.config.window - self.month

    def step(self, action: int) -> MonthOutcome:
        """Live one month with the coach's ``action`` (an index of ``ACTIONS``)."""
        if not 0 <= action < len(ACTIONS):
            raise ValueError(f"action must be in [0, {len(ACTIONS)}), not {action}")
        if self.months_left <= 0:
            raise RuntimeError("the episode's draws are used up")
        return self._live(action, coached=True)

    def situation(self) -> Situation:
        """What a response to advice depends on right now (besides traits)."""
        money = self.finances
        pace = money.goal_pace(self.goal_target, self.goal_deadline - self.month)
        return Situation(
            fatigue=self.fatigue,
            motivation=self.total_motivation(),
            overspend=max(0.0, money.overspend),
            free_cash=money.free_cash,
            income=self.profile.income,
            goal_pace=pace,
        )

    def total_motivation(self) -> float:
        """Transient motivation plus the goal's pull, in [-1, 1]."""
        money = self.finances
        pace = money.goal_pace(self.goal_target, self.goal_deadline - self.month)
        pull = goal_pull(pace, money.goal_funded / self.goal_target)
        return max(-1.0, min(1.0, self.motivation + pull))

    def financial_state(self) -> FinancialState:
        """The person's state as the observation sees it, before the next month."""
        money, month = self.finances, self.month
        w = money.windowed()
        since = NO_CONTACT_MONTHS if self._last_contact is None else month - self._last_contact
        responses = self._responses
        return FinancialState(
            savings_rate=w["savings_rate"],
            budget_adherence=w["budget_adherence"],
            debt_to_income=w["debt_to_income"],
            debt_to_annual_income=w["debt_to_annual_income"],
            emergency_fund_months=w["emergency_fund_months"],
            income_stability=w["income_stability"],
            goal_progress=money.goal_funded / self.goal_target,
            goal_pace=money.goal_pace(self.goal_target, self.goal_deadline - month),
            goal_months_left=max(0.0, float(self.goal_deadline - month)),
            discretionary_share=w["discretionary_share"],
            top_category_share=w["top_category_share"],
            overspend=w["overspend"],
            auto_transfer_rate=w["auto_transfer_rate"],
            checking_months=w["checking_months"],
            engaged=self.engaged,
            months_since_contact=min(NO_CONTACT_MONTHS, float(since)),
            acceptance_rate=sum(responses) / len(responses) if responses else 0.5,
            recent=tuple(self._turns),
        )

    # ------------------------------------------------------------------------------ a month

    def _live(self, index: int, *, coached: bool) -> MonthOutcome:
        row = self.month + self.config.window
        money, action = self.finances, ACTIONS[index]
        before_worth, before_debt = money.net_worth, money.debt
        delivered = coached and self.engaged and action.kind != "none"
        followed = self._coach(index, row) if delivered else False
        cancelled = self._money(row)
        disengaged = False
        if coached and self.engaged:
            traits = self.traits
            hazard = traits.disengage_base + traits.disengage_fatigue * self.fatigue**2
            disengaged = bool(self._draws.leave[row] < min(0.5, hazard))
            self.engaged = not disengaged
        self._settle(CoachingTurn(action.family if delivered else None, followed))
        reached = False
        if self.goal_reached_month is None and money.goal_funded >= self.profile.goal_target:
            reached = coached
            self.goal_reached_month = self.month if coached else -1
        last = money.months[-1]
        outcome = MonthOutcome(
            month=self.month,
            action=index,
            delivered=delivered,
            followed=followed,
            income=last.income,
            needs=last.needs,
            wants=last.wants,
            interest=last.interest,
            net_worth_change=money.net_worth - before_worth,
            debt_change=before_debt - money.debt,
            goal_reached=reached,
            disengaged=disengaged,
            contacts_recent=sum(self._contacts),
            transfer_cancelled=cancelled,
        )
        self.month += 1
        return outcome

    def _coach(self, index: int, row: int) -> bool:
        """Deliver action ``index``; apply its effect when followed; True when followed."""
        action, traits, money = ACTIONS[index], self.traits, self.finances
        if action.kind == "celebrate":
            followed = money.progress_earned(self.goal_target)
            self.motivation += traits.celebrate_boost if followed else -0.1
        else:
            p = follow_probability(action, self.situation(), traits)
            followed = bool(self._draws.follow[row] < p)
        if followed and action.kind == "nudge":
            usual = np.where(money.nudgeable, money.usual_wants, -1.0)
            money.cut(int(np.argmax(usual)), action.size, self.config.max_cut)
        elif followed and action.kind == "transfer":
            cap = self.config.max_auto_transfer * self.profile.income
            money.auto_transfer = min(cap, money.auto_transfer + action.size * self.profile.income)
        elif followed and action.kind == "goal_extend":
            self.goal_deadline += int(action.size)
        elif followed and action.kind == "goal_raise":
            self.goal_target = max(self.goal_target, money.goal_funded) * (1.0 + action.size)
        self.fatigue += traits.fatigue_gain * fatigue_cost(action, followed)
        return followed

    def _money(self, row: int) -> bool:
        """Income, spending, debts, shortfalls and the sweep; True when transfers got cancelled."""
        d, traits, config, profile = self._draws, self.traits, self.config, self.profile
        money = self.finances
        if self._shock_left == 0 and d.shock[row] < traits.income_shock_rate:
            length = -math.log(1.0 - d.shock_length[row]) * traits.income_shock_months
            self._shock_left = max(1, round(length))
        cv, ecv, wcv = profile.income_cv, config.essentials_cv, config.wants_cv
        income = profile.income * math.exp(cv * d.income[row] - cv * cv / 2)
        if self._shock_left > 0:
            income *= 1.0 - traits.income_shock_size
            self._shock_left -= 1
        needs = profile.housing + self._essentials * math.exp(ecv * d.essentials[row] - ecv**2 / 2)
        if d.expense[row] < traits.expense_shock_rate:
            needs += traits.expense_shock_size * (0.5 + d.expense_size[row]) * profile.income
        wants = money.usual_wants * np.exp(wcv * d.wants[row] - wcv * wcv / 2)
        wants *= 1.0 - 0.05 * self.total_motivation()
        if money.checking + money.savings < profile.total_wants:
            # broke: discretionary spending shrinks to what income leaves, to half at most
            room = income - needs - money.minimum_payments - money.auto_transfer
            wants *= min(1.0, max(0.5, room / max(float(wants.sum()), 1.0)))
        if d.impulse[row] < traits.impulse_rate:
            where = np.searchsorted(self._impulse_cum, d.impulse_category[row])
            size = traits.impulse_size * (0.5 + d.impulse_size[row]) * profile.total_wants
            wants[min(int(where), len(wants) - 1)] += size
        squeezed = money.live(income, needs, wants, config.savings_apr)
        cancelled = squeezed and bool(d.cancel[row] < traits.transfer_cancel)
        if cancelled:
            money.auto_transfer = 0.0
            self.fatigue += traits.fatigue_gain
        return cancelled

    def _settle(self, turn: CoachingTurn) -> None:
        """Record the coaching turn; cuts relapse, fatigue wears off, motivation fades."""
        self._turns.appendleft(turn)
        self._contacts.append(turn.family is not None)
        if turn.family is not None:
            self._responses.append(turn.followed)
            self._last_contact = self.month
        self.finances.relapse(self.traits.stickiness)
        self.finances.update_pace(self.config.pace_smoothing)
        self.fatigue *= 1.0 - self.traits.fatigue_decay
        self.motivation *= self.config.motivation_decay
