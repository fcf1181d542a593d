"""Hidden traits of a simulated person: how they respond to coaching and what life throws at them.

The coach never sees these; it sees only their consequences (``observation``). Each person's
traits are drawn once from their persona seed (``sample_traits``), so a person is the same in
every episode and every experiment; what differs between episodes is the month-by-month luck
(``draws``).

One latent *receptiveness* (standard normal) correlates the coaching traits the way people differ:
receptive people follow more advice, tire of it more slowly and rarely walk away; nudge-averse
people (low receptiveness) follow little, tire fast and disengage when pushed. Everything else is
drawn independently, except that persona habits shift it (a persona's ``impulse`` habit scales
impulse spending, gig workers have more income shocks, retirees almost none).

Where the ranges come from: the income and expense shock rates are set against public figures
(quoted in ``sample_traits``); disengagement, responsiveness, fatigue and habit parameters are
modelling assumptions, chosen so that the uncoached population's savings rates and spending
shares are realistic (``plausibility``) and so that the effects of advice stay modest (a
followed 10% cut on one category moves the savings rate by well under one point). Change them
here, in one place.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetlm.ledger.synth import Persona


@dataclass(frozen=True, slots=True)
class Traits:
    """One person's hidden traits (all per month where a rate)."""

    receptiveness: float
    """Latent openness to coaching, standard normal; raises ``compliance`` and
    ``celebrate_boost`` and lowers ``fatigue_gain`` and ``disengage_fatigue``. Kept so that
    analyses can split people into cooperative (> 0.5) and nudge-averse (< -0.5)."""
    compliance: float
    """Chance of following a suitable, affordable piece of advice when rested and neutral."""
    fatigue_gain: float
    """Fatigue added by one standard intervention (a 10% nudge adds 1.2 times this)."""
    fatigue_decay: float
    """Share of fatigue that wears off each month."""
    fatigue_sensitivity: float
    """Following falls as ``exp(-fatigue_sensitivity * fatigue)``."""
    disengage_base: float
    """Monthly chance of leaving the coach regardless of it (life, lost interest)."""
    disengage_fatigue: float
    """Extra monthly chance of leaving per unit of fatigue squared."""
    impulse_rate: float
    """Monthly chance of an impulse splurge."""
    impulse_size: float
    """Size of a splurge as a share of usual monthly discretionary spending."""
    income_shock_rate: float
    """Monthly chance that an income shock (job loss, cut hours, lost gigs) starts."""
    income_shock_size: float
    """Share of income lost while a shock lasts."""
    income_shock_months: float
    """Mean length of a shock in months."""
    expense_shock_rate: float
    """Monthly chance of an unexpected essential expense (car repair, medical bill)."""
    expense_shock_size: float
    """Its size as a share of monthly income."""
    stickiness: float
    """Share of an accepted spending cut still kept a month later (the rest relapses)."""
    discipline: float
    """Share of checking above the comfort buffer moved to savings or debt each month."""
    leak_share: float
    """Share of money left in checking that ends up spent rather than saved (the rest of the
    month's surplus is swept by ``discipline``): why automatic transfers, which leave checking
    before it can leak, raise saving."""
    comfort_months: float
    """Checking buffer the person likes to keep, in months of usual spending."""
    debt_focus: float
    """Share of the monthly sweep that goes to extra card payments while the card carries debt."""
    transfer_cancel: float
    """Chance of cancelling every automatic transfer after a month they could not cover."""
    celebrate_boost: float
    """Motivation an earned celebration adds (0: praise leaves them cold)."""


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _clip(x: float, low: float, high: float) -> float:
    return min(high, max(low, x))


def sample_traits(persona_seed: int, persona: Persona) -> Traits:
    """Draw a person's traits; the same seed and persona give the same traits.

    Args:
        persona_seed: The person's seed (the one ``random_persona`` was drawn with).
        persona: The person's persona, whose habits shift impulse spending and income shocks.
    """
    rng = random.Random(f"coach-traits:{persona_seed}")
    r = rng.gauss(0.0, 1.0)
    kinds = {s.kind for s in persona.incomes}
    retired = kinds <= {"pension", "social_security"}
    # BLS JOLTS layoffs and discharges run at about 1% of employment a month, and not every one
    # costs months of income: we take 0.8% a month for earners, more for gig work (demand and
    # deactivations), almost none for pensions and Social Security.
    shock_rate = 0.03 if "gig" in kinds else (0.001 if retired else 0.008)
    return Traits(
        receptiveness=r,
        compliance=_sigmoid(-0.4 + 0.9 * r + rng.gauss(0.0, 0.4)),
        fatigue_gain=0.3 * math.exp(-0.35 * r + rng.gauss(0.0, 0.25)),
        fatigue_decay=rng.uniform(0.25, 0.6),
        fatigue_sensitivity=rng.uniform(0.3, 1.0),
        # Personal-finance apps lose most users within months; among people who took up a coach
        # we assume 0.2-1.5% a month leave for reasons unrelated to it (~5-15% over two years).
        disengage_base=_clip(0.005 * math.exp(rng.gauss(0.0, 0.5)), 0.001, 0.02),
        disengage_fatigue=0.04 * math.exp(-0.5 * r + rng.gauss(0.0, 0.3)),
        impulse_rate=_clip(0.1 * persona.impulse * math.exp(rng.gauss(0.0, 0.4)), 0.01, 0.5),
        impulse_size=rng.uniform(0.1, 0.5),
        income_shock_rate=shock_rate * math.exp(rng.gauss(0.0, 0.3)),
        income_shock_size=rng.uniform(0.3, 0.7),
        income_shock_months=rng.uniform(1.5, 5.0),
        # Fed SHED 2022: 23% of adults had a major unexpected medical expense in the prior year,
        # median $1,000-1,999; with car and home repairs we assume 20-45% a year.
        expense_shock_rate=rng.uniform(0.02, 0.05),
        expense_shock_size=rng.uniform(0.15, 0.6),
        stickiness=rng.uniform(0.8, 0.95),
        discipline=rng.uniform(0.2, 0.6),
        leak_share=_clip(0.3 * persona.impulse * math.exp(rng.gauss(0.0, 0.35)), 0.05, 0.6),
        comfort_months=rng.uniform(0.3, 1.0),
        debt_focus=rng.uniform(0.2, 0.8),
        transfer_cancel=rng.uniform(0.3, 0.9),
        celebrate_boost=max(0.0, rng.gauss(0.15 + 0.1 * r, 0.1)),
    )
