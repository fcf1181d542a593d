"""Values derived from a workspace's ledger, built once per ledger version and reused.

Some things the server builds on every request read much of the ledger: the assistant's
``ToolContext`` (the whole history, every month's budgets, goals and debts: ~35 ms and ~36
queries for a 14-month household) and a workspace's categorizer (rules, corrections and the
personal model's weights). Between two writes they do not change, and every write bumps the
workspace's ``ledger_version``, so :class:`DerivedCache` keys them by (workspace, ledger version,
whatever else they depend on) and a stale entry simply stops being asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from budgetlm.ledger.repository import Ledger

T = TypeVar("T")


class DerivedCache(Generic[T]):
    """A thread-safe LRU of values derived from ledgers, by workspace, ledger version and key.

    A missing value is built under the cache's lock, so concurrent requests at a new ledger
    version build it once (the others wait for it instead of building their own copy).

    Args:
        max_entries: Most values kept (least recently used dropped first).
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, int, Hashable], T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ledger: Ledger, key: Hashable, build: Callable[[], T]) -> T:
        """The value for ``ledger``'s workspace at its current version and ``key``, built by
        ``build()`` if it is not kept."""
        full = (ledger.workspace_id, ledger.version(), key)
        with self._lock:
            found = self._entries.pop(full, None)
            if found is None:
                found = build()
            self._entries[full] = found  # most recently used last
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return found

    def __len__(self) -> int:
        """Values held now."""
        return len(self._entries)
