"""Shared people for the coach tests: small pools, so that profiles are generated once."""

from __future__ import annotations

import pytest

from budgetlm.coach.env import CoachEnv
from budgetlm.coach.pools import PersonPool, train_pool


@pytest.fixture(scope="session")
def pool() -> PersonPool:
    """A dozen training people (their profiles are cached for the session)."""
    return train_pool(12)


@pytest.fixture
def env(pool: PersonPool) -> CoachEnv:
    """An environment over ``pool`` with the default configuration."""
    return CoachEnv(pool)
