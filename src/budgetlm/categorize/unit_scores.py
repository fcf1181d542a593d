"""Class scores of featurizer units, kept between calls.

A linear model scores a row as the sum of its units' scores (``features.Factored``), and a
unit's score never changes: hashing its n-grams and multiplying by the weights can be done once
and kept. Units repeat across requests far more than rows do (the same merchants' tokens, the
same amount bins, days and accounts), so a server categorizing one transaction per request
mostly looks scores up instead of hashing.

Written here rather than with ``functools.lru_cache``: the scores live in one preallocated
array (memory is bounded and does not fragment), lookups and fills are vectorized per batch,
and a full table is simply reset rather than kept in LRU order, which costs nothing per hit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

ScoreFn = Callable[[Sequence[str]], npt.NDArray[np.float32]]
"""Scores of the named units, shape (len(names), n_classes)."""


class UnitScoreCache:
    """Bounded, thread-safe store of unit name -> class scores.

    The table starts small and doubles up to ``capacity`` rows; when a batch does not fit a full
    table, the table is emptied and refilled (the units that recur come back at once).
    """

    def __init__(self, n_classes: int, capacity: int = 1 << 15, first: int = 1 << 10) -> None:
        """An empty cache.

        Args:
            n_classes: Scores per unit.
            capacity: Most units kept (32k units of 30 classes is 4 MB).
            first: Rows allocated at first use.
        """
        self.capacity = capacity
        self._first = min(first, capacity)
        self._n_classes = n_classes
        self._table = np.zeros((0, n_classes), dtype=np.float32)
        self._row: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._row)

    def scores(self, names: Sequence[str], compute: ScoreFn) -> npt.NDArray[np.float32]:
        """Scores of ``names`` (distinct), from the table or from ``compute`` for the rest.

        Batches larger than the whole capacity bypass the table.
        """
        if len(names) > self.capacity:
            return compute(names)
        with self._lock:
            row = self._row
            missing = [name for name in names if name not in row]
            if missing:
                if len(row) + len(missing) > self.capacity:  # full: start again
                    row.clear()
                    missing = list(names)
                fresh = compute(missing)
                start = len(row)
                self._reserve(start + len(missing))
                self._table[start : start + len(missing)] = fresh
                row.update(zip(missing, range(start, start + len(missing)), strict=True))
            at = np.fromiter(map(row.__getitem__, names), np.int64, len(names))
            return self._table[at]

    def _reserve(self, rows: int) -> None:
        size = len(self._table)
        if rows <= size:
            return
        grown = max(self._first, size)
        while grown < rows:
            grown *= 2
        table = np.zeros((min(grown, self.capacity), self._n_classes), dtype=np.float32)
        table[:size] = self._table
        self._table = table
