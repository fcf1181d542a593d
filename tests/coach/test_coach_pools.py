"""Training and held-out people never mix."""

from __future__ import annotations

import pytest

from budgetlm.coach.env import CoachEnv, EnvConfig
from budgetlm.coach.pools import (
    HELDOUT_SEEDS,
    TRAIN_SEEDS,
    PersonPool,
    check_disjoint,
    heldout_pool,
    train_pool,
)


@pytest.mark.parametrize(("train", "heldout"), [(10, 10), (5000, 300), (1, 2000)])
def test_training_and_heldout_pools_share_no_person(train: int, heldout: int) -> None:
    a, b = train_pool(train), heldout_pool(heldout)
    assert not set(a.seeds) & set(b.seeds)
    check_disjoint([a, b, train_pool(7, offset=3)])
    assert set(a.seeds) <= set(TRAIN_SEEDS) and set(b.seeds) <= set(HELDOUT_SEEDS)


def test_overlapping_pools_are_refused() -> None:
    with pytest.raises(ValueError, match="persona seed 3"):
        check_disjoint([train_pool(5), PersonPool("heldout", (3, 1_000_000))])
    with pytest.raises(ValueError):
        PersonPool("train", (1, 1))
    with pytest.raises(ValueError):
        PersonPool("train", ())
    with pytest.raises(ValueError):
        heldout_pool(10, offset=len(HELDOUT_SEEDS) - 5)


def test_an_environment_draws_only_from_its_pool() -> None:
    pool = train_pool(6)
    env = CoachEnv(pool, EnvConfig(months=1))
    drawn = {env.reset(seed=seed)[1]["persona_seed"] for seed in range(40)}
    assert drawn == set(pool.seeds)
    with pytest.raises(ValueError, match="not in pool"):
        env.reset(options={"persona_seed": heldout_pool(1).seeds[0]})
    _, info = env.reset(options={"persona_seed": pool.seeds[2]})
    assert info["persona_seed"] == pool.seeds[2]


def test_naming_the_person_keeps_the_seeds_luck() -> None:
    """Picking a person by option still makes the same draws as picking at random."""
    pool = train_pool(6)
    env = CoachEnv(pool, EnvConfig(months=3))
    _, info = env.reset(seed=11)
    chosen = info["persona_seed"]
    drawn = [env.step(0)[-1]["income"] for _ in range(3)]
    env.reset(seed=11, options={"persona_seed": chosen})
    assert [env.step(0)[-1]["income"] for _ in range(3)] == drawn
