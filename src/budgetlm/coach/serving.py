"""Serving the coach's advice on a real ledger: choose, phrase, log (issue 8, point 5).

``advise`` reads the workspace (``load_context``) and its advice log, builds the coach's view
(``ledger_view``), lets the coach choose (``advice.recommend``) and logs the recommendation
with the observation it was chosen on. The coach advises once a month, as it was trained to:
asking again in a month that already has advice returns that advice instead of new advice
(``again=True`` asks anyway), so repeated asks do not become over-nudging.

The coaches that ship with the package are in ``shipped/`` beside this module, with their card
(``CARD.md``: how they were trained and evaluated, and which one is served by default and why;
see ``shipping``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from budgetlm.coach.advice import Recommendation, recommend
from budgetlm.coach.ledger_view import LoggedTurn, coach_view
from budgetlm.coach.observation import observe
from budgetlm.coach.rollout import Policy
from budgetlm.coach.saved import META_FILE, load_coach
from budgetlm.coach.shipping import EVALUATION_FILE, SHIPPED
from budgetlm.ledger.advice_log import log_recommendation, recommendations
from budgetlm.ledger.models import CoachRecommendation
from budgetlm.ledger.repository import Ledger

LOG_LOOKBACK = 48
"""Most recent log rows the coach reads: far more than the months and answers it looks back on."""
SHIPPED_CHOICES = ("default", "learned", "rules")
"""Names of the shipped coaches ``load_served_coach`` accepts besides a directory."""


@dataclass(frozen=True)
class ServedCoach:
    """A loaded coach and the label its advice is logged under."""

    policy: Policy
    label: str
    """Method, training seed and versions, e.g. ``ppo seed 0 (coach-obs/1, coach-actions/1)``."""


def load_served_coach(choice: str = "default") -> ServedCoach:
    """Load a shipped coach (``default``, ``learned`` or ``rules``) or one saved by
    ``budgetlm coach train`` in the directory ``choice``."""
    if choice == "default":
        choice = json.loads((SHIPPED / EVALUATION_FILE).read_text())["default"]
    directory = SHIPPED / choice if choice in SHIPPED_CHOICES else Path(choice)
    policy = load_coach(directory)
    meta = json.loads((directory / META_FILE).read_text())
    seed = meta.get("training", {}).get("seed")
    label = meta["method"] + (f" seed {seed}" if seed is not None else "")
    label += f" ({meta['observation_version']}, {meta['actions_version']})"
    return ServedCoach(policy, label)


@dataclass(frozen=True)
class Advice:
    """This month's advice: the logged row and, when new, how it was chosen."""

    row: CoachRecommendation
    """The advice log's row (id, message, figures, response)."""
    repeated: bool
    """True when this month's earlier advice was returned instead of new advice."""
    recommendation: Recommendation | None = None
    """The new recommendation (None when repeated)."""


def advise(ledger: Ledger, today: date, coach: ServedCoach, *, again: bool = False) -> Advice:
    """This month's advice for the workspace, logged (see the module docstring).

    Raises:
        InputError: The ledger has no full month of history before ``today``'s month.
    """
    from budgetlm.analytics.budget_status import still_due
    from budgetlm.analytics.schedule import add_months
    from budgetlm.assistant.tools.context import load_context

    log = recommendations(ledger, limit=LOG_LOOKBACK)
    this_month = [
        r for r in log if (r.given_on.year, r.given_on.month) == (today.year, today.month)
    ]
    if this_month and not again:
        return Advice(this_month[0], repeated=True)
    context = load_context(ledger, today)
    turns = [LoggedTurn(r.given_on, r.action, r.followed) for r in log if r.given_on <= today]
    view = coach_view(context, turns)
    next_month = add_months(today.replace(day=1), 1)
    bills = -sum((p.amount for p in still_due(context.recurring, today, next_month)), Decimal(0))
    chosen = recommend(coach.policy, view, bills)
    row = log_recommendation(
        ledger,
        given_on=today,
        policy=coach.label,
        action=chosen.action.name,
        message=chosen.message,
        observation=observe(view.state).tolist(),
        amount=chosen.amount,
        category=chosen.category,
        goal=chosen.goal,
    )
    return Advice(row, repeated=False, recommendation=chosen)
