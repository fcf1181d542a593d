"""Simulated people: profiles from the synthetic ledger, traits, and responses to advice."""

from __future__ import annotations

import statistics
from dataclasses import replace

from budgetlm.coach.actions import ACTION_NAMES, ACTIONS, Situation, follow_probability, goal_pull
from budgetlm.coach.pools import PersonPool
from budgetlm.coach.profile import person_profile, want_categories
from budgetlm.coach.traits import sample_traits

RESTED = Situation(fatigue=0.0, motivation=0.0, overspend=0.0, free_cash=800.0, income=4000.0,
                   goal_pace=1.0)  # fmt: skip


def test_profiles_come_from_the_generated_history(pool: PersonPool) -> None:
    for seed in pool.seeds:
        p = person_profile(seed)
        assert p is person_profile(seed)  # cached
        assert p.persona.key == f"random_{seed}" and p.income > 0
        assert len(p.wants) == len(want_categories()) and all(w >= 0 for w in p.wants)
        assert sum(d.revolving for d in p.debts) == 1
        assert all(d.name != "Mortgage" and d.balance >= 0 for d in p.debts)
        assert p.goal_target > p.goal_funded >= 0 and p.goal_months >= 1
        assert 0.3 < (p.needs + p.total_wants) / p.income < 2.0


def test_traits_are_fixed_by_the_persona_seed_and_receptiveness_correlates(
    pool: PersonPool,
) -> None:
    persona = person_profile(pool.seeds[0]).persona
    assert sample_traits(5, persona) == sample_traits(5, persona)
    assert sample_traits(5, persona) != sample_traits(6, persona)
    traits = [sample_traits(seed, persona) for seed in range(300)]
    r = [t.receptiveness for t in traits]
    assert statistics.correlation(r, [t.compliance for t in traits]) > 0.5
    assert statistics.correlation(r, [t.fatigue_gain for t in traits]) < -0.3
    assert statistics.correlation(r, [t.disengage_fatigue for t in traits]) < -0.3


def test_following_falls_with_fatigue_size_and_unaffordability(pool: PersonPool) -> None:
    traits = sample_traits(pool.seeds[0], person_profile(pool.seeds[0]).persona)
    p = {a.name: follow_probability(a, RESTED, traits) for a in ACTIONS}
    assert p["none"] == p["celebrate"] == 0.0 and all(0 <= v <= 0.95 for v in p.values())
    assert p["nudge_cut_20"] < p["nudge_cut_10"]
    tired = replace(RESTED, fatigue=2.0)
    nudge = ACTIONS[ACTION_NAMES.index("nudge_cut_10")]
    assert follow_probability(nudge, tired, traits) < p["nudge_cut_10"]
    assert follow_probability(nudge, replace(RESTED, overspend=0.3), traits) > p["nudge_cut_10"]
    big = ACTIONS[ACTION_NAMES.index("transfer_10")]
    assert follow_probability(big, replace(RESTED, free_cash=40.0), traits) < p["transfer_10"]


def test_goals_pull_hardest_when_hard_but_attainable() -> None:
    assert goal_pull(0.8, 0.3) > goal_pull(1.5, 0.3) > goal_pull(3.0, 0.3) > goal_pull(0.2, 0.3)
    assert goal_pull(0.2, 0.3) < 0 and goal_pull(1.0, 1.0) == 0.0
    assert goal_pull(1.5, 0.9) > goal_pull(1.5, 0.3)  # the goal gradient
