"""What happened in one simulated month: the simulator's report, the reward's input.

Kept apart from the simulator so that the reward (``reward``) and the evaluation read plain
records and never depend on how the person is simulated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MonthOutcome:
    """What happened in one simulated month (money in the household's currency)."""

    month: int
    """Month of the episode, from 0."""
    action: int
    """Index of the coach's action."""
    delivered: bool
    """The action was an intervention and the person was still engaged to receive it."""
    followed: bool
    """Delivered and followed (a celebration: delivered and earned)."""
    income: float
    """Income received."""
    needs: float
    """Housing, essentials and unexpected expenses."""
    wants: float
    """Discretionary spending, impulses included."""
    interest: float
    """Debt interest less savings interest."""
    net_worth_change: float
    """Change of checking + savings - non-mortgage debt."""
    debt_change: float
    """Debt repaid (negative when the person borrowed more)."""
    goal_reached: bool
    """The goal's original target was reached for the first time this month."""
    disengaged: bool
    """The person disengaged this month."""
    contacts_recent: int
    """Interventions delivered in the last ``SimConfig.window`` months, this one included."""
    transfer_cancelled: bool
    """The person cancelled their automatic transfers this month."""
