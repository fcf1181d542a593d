"""Uncoached simulated people look like real households; advice moves them the right way."""

from __future__ import annotations

import pytest

from budgetlm.coach.plausibility import (
    EpisodeSummary,
    advice_checks,
    always_transfer,
    do_nothing,
    population_checks,
    simulate,
)
from budgetlm.coach.pools import train_pool

PEOPLE = 200


@pytest.fixture(scope="module")
def uncoached() -> list[EpisodeSummary]:
    return simulate(train_pool(PEOPLE), do_nothing)


@pytest.fixture(scope="module")
def transfers() -> list[EpisodeSummary]:
    return simulate(train_pool(PEOPLE), always_transfer)


def test_population_is_plausible(uncoached: list[EpisodeSummary]) -> None:
    failed = [str(c) for c in population_checks(uncoached) if not c.ok]
    assert not failed, "\n".join(failed)


def test_advice_moves_people_in_the_expected_direction(
    uncoached: list[EpisodeSummary], transfers: list[EpisodeSummary]
) -> None:
    failed = [str(c) for c in advice_checks(uncoached, transfers) if not c.ok]
    assert not failed, "\n".join(failed)
    assert sum(e.interventions for e in transfers) > sum(e.interventions for e in uncoached) == 0


def test_the_same_pool_and_seed_give_the_same_summaries() -> None:
    pool = train_pool(5)
    assert simulate(pool, do_nothing, months=6) == simulate(pool, do_nothing, months=6)
