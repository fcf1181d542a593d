"""Pools of simulated people, named by persona seed, kept apart for honest evaluation.

A simulated person *is* a persona seed: it fixes the persona (``random_persona(seed)``), the
generated history behind the profile and the hidden traits. Training draws people from
``train_pool`` and evaluation from ``heldout_pool``; the two live in disjoint seed ranges, so a
held-out person never appeared in training, whatever the pool sizes. ``check_disjoint`` says so
or raises, and the environment refuses a ``persona_seed`` outside its pool.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

TRAIN_SEEDS = range(0, 1_000_000)
"""Persona seeds reserved for training (and tuning)."""
HELDOUT_SEEDS = range(1_000_000, 2_000_000)
"""Persona seeds reserved for held-out evaluation."""


@dataclass(frozen=True)
class PersonPool:
    """A named set of persona seeds an environment draws people from."""

    name: str
    """What the pool is for (``train``, ``heldout``, ``smoke``)."""
    seeds: tuple[int, ...]
    """Persona seeds, each once."""
    _members: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError(f"pool {self.name!r} has no persona seeds")
        members = frozenset(self.seeds)
        if len(members) != len(self.seeds):
            raise ValueError(f"pool {self.name!r} repeats a persona seed")
        object.__setattr__(self, "_members", members)

    def __len__(self) -> int:
        return len(self.seeds)

    def __contains__(self, seed: object) -> bool:
        return seed in self._members


def _pool(name: str, reserved: range, size: int, offset: int) -> PersonPool:
    if size < 1 or offset < 0 or offset + size > len(reserved):
        raise ValueError(f"{name} pool of {size} from {offset} leaves {reserved}")
    return PersonPool(name, tuple(reserved[offset : offset + size]))


def train_pool(size: int, offset: int = 0) -> PersonPool:
    """``size`` training people: persona seeds ``offset`` .. ``offset + size - 1``."""
    return _pool("train", TRAIN_SEEDS, size, offset)


def heldout_pool(size: int, offset: int = 0) -> PersonPool:
    """``size`` held-out people, from the held-out seed range (never in any training pool)."""
    return _pool("heldout", HELDOUT_SEEDS, size, offset)


def check_disjoint(pools: Iterable[PersonPool]) -> None:
    """Raise ``ValueError`` when any two pools share a persona seed."""
    seen: dict[int, str] = {}
    for pool in pools:
        for seed in pool.seeds:
            if seed in seen and seen[seed] != pool.name:
                raise ValueError(
                    f"persona seed {seed} is in pools {seen[seed]!r} and {pool.name!r}"
                )
            seen[seed] = pool.name


def require_training(pool: PersonPool) -> None:
    """Raise ``ValueError`` unless every person in ``pool`` has a training persona seed.

    Everything that learns or tunes from simulated people (``dqn.train_dqn``,
    ``rules.tune_rules``) calls this first, so held-out people cannot leak into training.
    """
    leaked = [seed for seed in pool.seeds if seed not in TRAIN_SEEDS]
    if leaked:
        raise ValueError(
            f"pool {pool.name!r} has {len(leaked)} persona seed(s) outside the training range "
            f"(first: {leaked[0]}); train and tune on training people only"
        )
