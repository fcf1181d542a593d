"""A simulated person's money: balances, debts, standing cuts and transfers, and recent months.

``Finances`` is the bookkeeping half of the simulator: told a month's income, needs and planned
discretionary spending, it moves the money (``live``: debts, the transfer, what leaks from
checking, the habitual sweep, shortfalls) and computes the windowed figures the observation
needs, with the definitions of ``analytics.health`` (see ``observation``). What people *decide*
(how much to spend, whether to follow advice) is in ``simulator``.

Money is ``float`` in the household's currency (see ``profile``).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from budgetlm.coach.profile import UNNUDGEABLE, PersonProfile, want_categories


@dataclass(frozen=True, slots=True)
class MonthRecord:
    """The figures of one lived month."""

    income: float
    """Income received."""
    needs: float
    """Housing, essentials and unexpected expenses."""
    wants: float
    """Discretionary spending, impulses included."""
    interest: float
    """Debt interest less savings interest."""
    within: int
    """Budgeted discretionary categories spent within budget."""
    budgeted: int
    """Budgeted discretionary categories."""
    worth_change: float
    """Change of net worth over the month."""
    funded: float
    """Amount put towards the goal at the month's end."""


@dataclass(frozen=True, slots=True)
class Habits:
    """How a person handles money left in checking (from ``Traits``)."""

    leakage: float
    """Share of checking above the comfort buffer spent on extra discretionary purchases each
    month (at most ``MAX_LEAK`` of usual discretionary spending)."""
    discipline: float
    """Share of checking above the buffer swept to savings or the card each month
    (``leakage + discipline <= 1``)."""
    debt_focus: float
    """Share of the sweep paid to the card while it carries debt."""
    comfort_months: float
    """The comfort buffer, in months of usual spending."""


MAX_LEAK = 0.5
"""Most a month's leakage adds to discretionary spending, as a share of its usual level."""


class Finances:
    """Balances and recent months of one person (see the module docstring).

    Attributes:
        checking: Checking balance (never below 0: shortfalls go to savings, then the card).
        savings: Savings balance.
        balances: Owed on each of ``profile.debts``, in order.
        multipliers: Accepted cuts per discretionary category (1: none; relapses to 1).
        auto_transfer: Standing automatic monthly transfer to savings.
        pace: Recent monthly change of savings (exponential average), the goal's pace.
        months: The last ``window`` months' figures, oldest first.
    """

    def __init__(
        self,
        profile: PersonProfile,
        habits: Habits,
        window: int,
        *,
        wants_scale: float = 1.0,
        budget_slack: float = 0.1,
        min_budget: float = 20.0,
    ) -> None:
        """Open the person's books at the profile's balances.

        Args:
            profile: The person's money facts. Cash in checking above the comfort buffer starts
                in savings (people park spare cash there), so the simulation has no spree.
            habits: How the person handles money left in checking.
            window: Months the windowed figures look back over.
            wants_scale: Planned discretionary spending over the history's (the rest of what
                the history spent came from leakage and impulses, which the simulator adds).
            budget_slack: A category's budget is its usual spend in the history times
                ``1 + budget_slack``.
            min_budget: Categories usually below this get no budget.
        """
        self.profile, self.habits = profile, habits
        self.checking = min(profile.checking, habits.comfort_months * self.usual_spending)
        self.savings = profile.savings + profile.checking - self.checking
        self._savings_at_open = self.savings
        self.balances = [d.balance for d in profile.debts]
        self._card = next(i for i, d in enumerate(profile.debts) if d.revolving)
        history = np.array(profile.wants, dtype=np.float64)
        self.base_wants = history * wants_scale
        self._spread = history / max(float(history.sum()), 1e-9)
        self.multipliers = np.ones_like(self.base_wants)
        self.nudgeable = np.array([c not in UNNUDGEABLE for c in want_categories()])
        self._budgeted = history >= min_budget
        self._budgets = history * (1.0 + budget_slack)
        self.auto_transfer = 0.0
        self.pace = max(0.0, profile.surplus) * 0.5
        self.months: deque[MonthRecord] = deque(maxlen=window)
        self._savings_at_start = self.savings

    # ------------------------------------------------------------------------------ figures

    @property
    def debt(self) -> float:
        """Non-mortgage debt owed."""
        return sum(self.balances)

    @property
    def net_worth(self) -> float:
        """Checking + savings - non-mortgage debt."""
        return self.checking + self.savings - self.debt

    @property
    def goal_funded(self) -> float:
        """Amount put towards the goal: what was funded at the start plus savings since."""
        return max(0.0, self.profile.goal_funded + self.savings - self._savings_at_open)

    @property
    def usual_wants(self) -> npt.NDArray[np.float64]:
        """Usual monthly spend per discretionary category after accepted cuts."""
        return self.base_wants * self.multipliers

    @property
    def usual_spending(self) -> float:
        """Usual monthly needs plus discretionary spending before any cut (the comfort unit)."""
        return self.profile.needs + self.profile.total_wants

    @property
    def minimum_payments(self) -> float:
        """This month's minimum payments on the current balances."""
        debts = self.profile.debts
        return sum(d.minimum(b) for d, b in zip(debts, self.balances, strict=True))

    @property
    def free_cash(self) -> float:
        """Usual income left after needs, cut wants, minimum payments and transfers."""
        spent = self.profile.needs + float(self.usual_wants.sum()) + self.minimum_payments
        return self.profile.income - spent - self.auto_transfer

    @property
    def overspend(self) -> float:
        """Last month's discretionary spending over the total budget, as a share (0 at first)."""
        if not self.months:
            return 0.0
        return self.months[-1].wants / max(float(self._budgets.sum()), 1.0) - 1.0

    def goal_pace(self, target: float, months_left: int) -> float:
        """Recent saving pace over the pace ``target`` still needs, in [0, 2] (2 when reached)."""
        gap = target - self.goal_funded
        if gap <= 0:
            return 2.0
        return min(2.0, max(0.0, self.pace / (gap / max(1, months_left))))

    def progress_earned(self, target: float) -> bool:
        """Last month's net worth grew more than in the window's other months, or the goal
        crossed a quarter mark: a celebration would be earned."""
        if len(self.months) < 2:
            return False
        *earlier, last = self.months
        before = earlier[-1].funded / target
        crossed = int(min(last.funded / target, 1.0) * 4) > int(min(before, 1.0) * 4)
        usual = sum(m.worth_change for m in earlier) / len(earlier)
        return last.worth_change > 0 and (last.worth_change > usual or crossed)

    def windowed(self) -> dict[str, float]:
        """The window's health figures (``FinancialState`` fields, health definitions)."""
        months, profile = self.months, self.profile
        incomes = [m.income for m in months]
        income = sum(incomes)
        spent = sum(m.needs + m.wants + m.interest for m in months)
        budgeted = sum(m.budgeted for m in months)
        mean_income = max(income / len(months), 1.0)
        spread = math.sqrt(sum((x - mean_income) ** 2 for x in incomes) / len(incomes))
        needs = statistics.median(m.needs for m in months)
        top = float(np.max(self.usual_wants, where=self.nudgeable, initial=0.0))
        return {
            "savings_rate": (income - spent) / income if income > 0 else -0.5,
            "budget_adherence": sum(m.within for m in months) / budgeted if budgeted else 1.0,
            "debt_to_income": self.minimum_payments / mean_income,
            "debt_to_annual_income": self.debt / (12 * mean_income),
            "emergency_fund_months": (self.checking + self.savings) / max(needs, 1.0),
            "income_stability": min(1.0, max(0.0, 1.0 - spread / mean_income)),
            "discretionary_share": sum(m.wants for m in months) / max(income, 1.0),
            "top_category_share": top / profile.income,
            "overspend": self.overspend,
            "auto_transfer_rate": self.auto_transfer / profile.income,
            "checking_months": self.checking / max(self.usual_spending, 1.0),
        }

    # ------------------------------------------------------------------------------ changes

    def cut(self, category: int, size: float, max_cut: float) -> None:
        """Scale one category's usual spend by ``1 - size`` (never below ``1 - max_cut``)."""
        self.multipliers[category] = max(1.0 - max_cut, self.multipliers[category] * (1 - size))

    def relapse(self, stickiness: float) -> None:
        """Keep ``stickiness`` of every cut; the rest of the spending comes back."""
        self.multipliers = 1.0 - (1.0 - self.multipliers) * stickiness

    def update_pace(self, smoothing: float) -> None:
        """Fold the last month's change of savings into the saving pace."""
        change = self.savings - self._savings_at_start
        self.pace = (1.0 - smoothing) * self.pace + smoothing * change

    def live(
        self,
        income: float,
        needs: float,
        wants: npt.NDArray[np.float64],
        savings_apr: float,
    ) -> bool:
        """Move one month's money; True when a shortfall hit while a transfer was running.

        Interest accrues and minimum payments are made; the transfer leaves first, then needs
        and ``wants``. Of checking above the comfort buffer, ``habits.leakage`` is spent on more
        discretionary purchases (spread like usual spending) and ``habits.discipline`` is swept
        to the card (``debt_focus``) and savings. A shortfall is covered from savings, then
        borrowed on the card.
        """
        worth = self.net_worth
        self._savings_at_start = self.savings
        debt_interest = minimums = 0.0
        for i, debt in enumerate(self.profile.debts):
            if self.balances[i] > 0:
                charge = self.balances[i] * debt.apr / 12
                payment = debt.minimum(self.balances[i] + charge)
                self.balances[i] += charge - payment
                debt_interest, minimums = debt_interest + charge, minimums + payment
        earned = self.savings * savings_apr / 12
        self.savings += earned + self.auto_transfer
        self.checking += income - needs - float(wants.sum()) - minimums - self.auto_transfer
        squeezed = self.checking < 0 and self.auto_transfer > 0
        habits = self.habits
        over = self.checking - habits.comfort_months * self.usual_spending
        if over > 0:
            leaked = min(habits.leakage * over, MAX_LEAK * self.profile.total_wants)
            wants = wants + leaked * self._spread
            swept = habits.discipline * over
            to_card = min(self.balances[self._card], habits.debt_focus * swept)
            self.balances[self._card] -= to_card
            self.savings += swept - to_card
            self.checking -= leaked + swept
        elif self.checking < 0:
            taken = min(self.savings, -self.checking)
            self.savings -= taken
            self.checking += taken
            self.balances[self._card] -= self.checking
            self.checking = 0.0
        self.months.append(
            MonthRecord(
                income=income,
                needs=needs,
                wants=float(wants.sum()),
                interest=debt_interest - earned,
                within=int(np.sum((wants <= self._budgets) & self._budgeted)),
                budgeted=int(self._budgeted.sum()),
                worth_change=self.net_worth - worth,
                funded=self.goal_funded,
            )
        )
        return squeezed
