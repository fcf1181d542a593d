"""The unit score cache gives what computing gives, stays bounded, and is safe across threads."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from budgetlm.categorize.unit_scores import UnitScoreCache


class Counting:
    """Scores a unit by its name (deterministic) and remembers how many it computed."""

    def __init__(self) -> None:
        self.computed = 0

    def __call__(self, names: Sequence[str]) -> npt.NDArray[np.float32]:
        self.computed += len(names)
        return expected(names)


def expected(names: Sequence[str]) -> npt.NDArray[np.float32]:
    return np.array([[len(n), sum(map(ord, n)) % 97] for n in names], dtype=np.float32)


def test_repeated_units_are_computed_once() -> None:
    cache, compute = UnitScoreCache(2), Counting()
    np.testing.assert_array_equal(cache.scores(["a", "bb"], compute), expected(["a", "bb"]))
    np.testing.assert_array_equal(
        cache.scores(["bb", "ccc", "a"], compute), expected(["bb", "ccc", "a"])
    )
    assert compute.computed == 3
    assert len(cache) == 3


def test_a_full_table_starts_again_and_stays_bounded() -> None:
    cache, compute = UnitScoreCache(2, capacity=8, first=2), Counting()
    for start in range(0, 40, 3):
        names = [f"u{i}" for i in range(start, start + 5)]
        np.testing.assert_array_equal(cache.scores(names, compute), expected(names))
        assert len(cache) <= 8


def test_a_batch_larger_than_the_table_bypasses_it() -> None:
    cache, compute = UnitScoreCache(2, capacity=4), Counting()
    names = [f"u{i}" for i in range(10)]
    np.testing.assert_array_equal(cache.scores(names, compute), expected(names))
    assert len(cache) == 0


def test_threads_sharing_a_small_table_get_their_own_scores() -> None:
    cache = UnitScoreCache(2, capacity=64, first=4)
    wrong: list[int] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(300):
            names = list(dict.fromkeys(f"u{i}" for i in rng.integers(0, 200, 12)))
            if not np.array_equal(cache.scores(names, expected), expected(names)):
                wrong.append(seed)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
