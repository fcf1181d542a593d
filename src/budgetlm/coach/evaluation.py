"""Paired statistics: does a learned coach beat the tuned rules on the same held-out people?

Pure numpy, no training. The inputs are per-person outcomes (``rollout.person_outcomes``) of
every coach on the *same* held-out people with the *same* episode seeds: for a learned method an
array ``(S, P)`` (training seed x person), for the rule coach ``(P,)``. The difference
``d[s, p] = learned[s, p] - rules[p]`` is paired: person ``p``'s luck is the same in both.

* **Effect**: the mean of ``d`` over seeds and people, in the outcome's own units.
* **95% interval, hierarchical bootstrap**: each replicate draws ``S`` training seeds and,
  independently, ``P`` people, both with replacement, and takes the mean of ``d`` over the
  drawn (seed, person) grid. Resampling seeds carries the spread between training runs (a lucky
  seed is not the method); resampling people carries the spread between people (a lucky sample
  of people is not the population). The interval is the 2.5th and 97.5th percentiles of the
  replicates (percentile bootstrap). The rule coach is tuned once, so it has no seed to resample.
* **P(improvement)**: the share of bootstrap replicates whose mean difference points the good
  way (above zero, or below for ``disengaged``), i.e. how often the learned coach comes out ahead
  when the experiment is redrawn. Beside it, ``p_person_better``: the share of (seed, person)
  pairs in which the learned coach did strictly better for that person, ties counting a half.
* **Verdict**: "beats the rules" only when the whole interval lies on the good side of zero;
  "does worse than the rules" when it lies on the bad side; otherwise it says plainly that it
  does not beat the rules and the interval includes zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

BETTER: Mapping[str, Literal["higher", "lower"]] = {
    "return": "higher",
    "saved_months": "higher",
    "savings_rate": "higher",
    "debt_paid_months": "higher",
    "goal_attained": "higher",
    "disengaged": "lower",
}
"""The outcomes compared, and which way is better for each."""

PRIMARY = "return"
"""The outcome the headline claim is about (the reward the coaches were trained for)."""


@dataclass(frozen=True)
class Comparison:
    """One learned method against the rule coach on one outcome."""

    method: str
    """The learned method (``dqn``, ``ppo``)."""
    outcome: str
    """The outcome compared (a key of ``BETTER``)."""
    better: Literal["higher", "lower"]
    """Which way is better."""
    learned_mean: float
    """The learned method's mean over seeds and people."""
    rules_mean: float
    """The rule coach's mean over people."""
    difference: float
    """Mean paired difference, learned minus rules."""
    ci_low: float
    """2.5th percentile of the bootstrap differences."""
    ci_high: float
    """97.5th percentile of the bootstrap differences."""
    p_improvement: float
    """Share of bootstrap replicates with the mean difference on the good side of zero."""
    p_person_better: float
    """Share of (seed, person) pairs where the learned coach did better (ties a half)."""
    seeds: int
    """Training seeds."""
    people: int
    """Held-out people."""

    @property
    def verdict(self) -> str:
        """One plain sentence; "beats the rules" only if the interval excludes zero the good way."""
        sign = 1.0 if self.better == "higher" else -1.0
        low, high = sorted((sign * self.ci_low, sign * self.ci_high))
        span = f"{self.difference:+.4g} (95% CI {self.ci_low:+.4g} to {self.ci_high:+.4g})"
        name = self.method.upper()
        if low > 0:
            return f"{name} beats the rules on {self.outcome}: {span}."
        if high < 0:
            return f"{name} does worse than the rules on {self.outcome}: {span}."
        return (
            f"{name} does not beat the rules on {self.outcome}: {span}; the interval includes "
            "zero, so no difference is shown."
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain fields and the verdict, for JSON."""
        return asdict(self) | {"verdict": self.verdict}


def bootstrap_means(diff: Array, replicates: int, rng: np.random.Generator) -> Array:
    """Hierarchical bootstrap of ``diff``'s mean: seeds and people resampled independently.

    Args:
        diff: (S, P) paired differences.
        replicates: Bootstrap replicates ``B``.
        rng: The generator.

    Returns:
        (B,) replicate means.
    """
    seeds, people = diff.shape
    # resampling with replacement is a multinomial count per seed and per person
    seed_counts = rng.multinomial(seeds, np.full(seeds, 1.0 / seeds), size=replicates)  # (B, S)
    person_counts = rng.multinomial(people, np.full(people, 1.0 / people), size=replicates)
    per_person = seed_counts.astype(np.float64) @ diff  # (B, P): sum over drawn seeds
    totals = np.einsum("bp,bp->b", per_person, person_counts.astype(np.float64))  # (B,)
    means: Array = totals / (seeds * people)
    return means


def compare(
    method: str,
    outcome: str,
    learned: Array,
    rules: Array,
    replicates: int = 2_000,
    seed: int = 0,
) -> Comparison:
    """Compare a learned method with the rule coach on one outcome.

    Args:
        method: The learned method's name.
        outcome: A key of ``BETTER``.
        learned: (S, P) per-person outcomes, one row per training seed.
        rules: (P,) the rule coach's outcomes for the same people and episode seeds.
        replicates: Bootstrap replicates.
        seed: Seeds the bootstrap.
    """
    learned, rules = np.atleast_2d(np.asarray(learned, float)), np.asarray(rules, float)
    if learned.shape[1:] != rules.shape:
        raise ValueError(f"learned {learned.shape} and rules {rules.shape} are not the same people")
    better = BETTER[outcome]
    sign = 1.0 if better == "higher" else -1.0
    diff = learned - rules[None, :]  # (S, P)
    means = bootstrap_means(diff, replicates, np.random.default_rng(seed))
    low, high = np.percentile(means, [2.5, 97.5])
    signed = sign * diff
    return Comparison(
        method=method,
        outcome=outcome,
        better=better,
        learned_mean=float(learned.mean()),
        rules_mean=float(rules.mean()),
        difference=float(diff.mean()),
        ci_low=float(low),
        ci_high=float(high),
        p_improvement=float(np.mean(sign * means > 0)),
        p_person_better=float(np.mean(signed > 0) + 0.5 * np.mean(signed == 0)),
        seeds=learned.shape[0],
        people=learned.shape[1],
    )


def compare_all(
    learned: Mapping[str, Mapping[str, Array]],
    rules: Mapping[str, Array],
    replicates: int = 2_000,
    seed: int = 0,
) -> list[Comparison]:
    """Every learned method against the rules on every outcome of ``BETTER``.

    Args:
        learned: Method -> outcome -> (S, P) array.
        rules: Outcome -> (P,) array.
        replicates: Bootstrap replicates.
        seed: Seeds every bootstrap (the same draws for each comparison).
    """
    return [
        compare(method, outcome, by_outcome[outcome], rules[outcome], replicates, seed)
        for method, by_outcome in learned.items()
        for outcome in BETTER
    ]
