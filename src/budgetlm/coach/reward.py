"""The coach's reward: one pure function of a simulated month's outcome.

Money terms are in months of the person's usual income, so a rich and a poor person weigh the
same and the terms are comparable with each other. Per month::

    reward = savings * net_worth_change / income                   (saving, paying debt)
           + debt * debt_repaid / income                           (debt progress on top)
           + goal * [the original goal target first reached]       (goal attainment)
           - disengagement * [the person disengaged this month]    (losing the person)
           - contact * [an intervention was delivered]             (attention is not free)
           - over_nudging * max(0, interventions in the last 3 months - allowance)

Why these terms and weights:

``savings`` (1.0)
    The outcome that matters: money kept. Net worth (checking + savings - non-mortgage debt)
    counts a dollar saved and a dollar of debt repaid alike and charges interest, so paying a
    24% card before saving at 1% is rewarded without a special case. Moving money between the
    person's own accounts is worth nothing, so an automatic transfer earns reward only through
    the spending it prevents.
``debt`` (0.25)
    Debt repaid (negative when the person borrows more) adds a little on top: people value
    getting out of debt beyond its arithmetic, and borrowing to cover shortfalls is worse than
    an equal fall in savings. Kept small so that it cannot outweigh the savings term.
``goal`` (0.5)
    Reaching the goal the person came with. It is paid once, for the *original* target: a coach
    that talks a person into a smaller goal gains nothing from it (``goal_extend`` and
    ``goal_raise`` change motivation, not the reward's yardstick). Half a month's income is
    roughly the goal's worth beyond the money already counted by the savings term.
``disengagement`` (1.0)
    A person who stops listening can no longer be helped, and in a real product they are gone.
    A month's income is more than a coach typically gains a person over a year, so pushing
    someone out is never worth it. Disengagement does not end the episode: the person's money
    keeps moving, so there is no reward to gain by ending an episode early.
``contact`` (0.01)
    A small cost of every delivered message: when advice would change nothing, silence wins.
``over_nudging`` (0.05 per intervention beyond ``allowance`` = 1 in any 3 months)
    "Not too often" as a rule of the product, not only a consequence in the simulator: the
    simulated fatigue might understate real annoyance, and this term keeps a learned policy from
    exploiting that. Three messages in three months cost 0.1 a month, more than a followed 10%
    nudge on one category usually brings.

A disengaged person receives nothing, so after disengagement only the money terms remain.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetlm.coach.outcome import MonthOutcome


@dataclass(frozen=True)
class RewardWeights:
    """Weights of the reward's terms (see the module docstring for why these values)."""

    savings: float = 1.0
    """Per month of income of net-worth change."""
    debt: float = 0.25
    """Per month of income of debt repaid, on top of the savings term."""
    goal: float = 0.5
    """Once, when the original goal target is first reached."""
    disengagement: float = 1.0
    """Once, when the person disengages."""
    contact: float = 0.01
    """Per delivered intervention."""
    over_nudging: float = 0.05
    """Per intervention beyond ``allowance`` in the last ``SimConfig.window`` months."""
    allowance: int = 1
    """Interventions in the window that carry no over-nudging penalty."""


@dataclass(frozen=True, slots=True)
class RewardTerms:
    """The reward's terms for one month (signed: penalties are negative)."""

    savings: float
    debt: float
    goal: float
    disengagement: float
    contact: float
    over_nudging: float

    @property
    def total(self) -> float:
        """The reward: the sum of the terms."""
        return (
            self.savings
            + self.debt
            + self.goal
            + self.disengagement
            + self.contact
            + self.over_nudging
        )

    def as_dict(self) -> dict[str, float]:
        """The terms by name, for ``info`` and logs."""
        return {
            "savings": self.savings,
            "debt": self.debt,
            "goal": self.goal,
            "disengagement": self.disengagement,
            "contact": self.contact,
            "over_nudging": self.over_nudging,
        }


def reward_terms(outcome: MonthOutcome, income: float, weights: RewardWeights) -> RewardTerms:
    """The reward's terms for one month.

    Args:
        outcome: What happened in the month.
        income: The person's usual monthly income (the unit of the money terms).
        weights: The terms' weights.
    """
    unit = max(income, 1.0)
    excess = max(0, outcome.contacts_recent - weights.allowance) if outcome.delivered else 0
    return RewardTerms(
        savings=weights.savings * outcome.net_worth_change / unit,
        debt=weights.debt * outcome.debt_change / unit,
        goal=weights.goal if outcome.goal_reached else 0.0,
        disengagement=-weights.disengagement if outcome.disengaged else 0.0,
        contact=-weights.contact if outcome.delivered else 0.0,
        over_nudging=-weights.over_nudging * excess,
    )
