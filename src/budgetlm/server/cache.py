"""The response cache: answers of read-only endpoints, keyed by the request and the ledger version.

A key is the workspace, method, path, query parameters (sorted), the request's JSON input and
the workspace's ``ledger_version``. Every write bumps that version, so a write makes the old
entries unreachable without anyone invalidating them; they age out of the LRU order. The cache
holds at most ``ServerConfig.cache_entries`` responses, and responses that keep at most
``DEFAULT_MAX_BYTES`` (8 MiB) alive, as ``retained_bytes`` counts them. A count alone did not
bound the memory, for responses differ a hundredfold: an ``/ask`` answer counts about 8 KB, a
366-day forecast 0.66 MB, so 2,048 forecasts (one per ``days``/``threshold`` asked) would have
held over 1.3 GB.

A router caches a read-only endpoint (analytics, ``/ask``) through ``CacheDep``::

    @router.get("/analytics/spending")
    def spending(ledger: LedgerDep, cache: CacheDep, today: TodayDep, period: str) -> Spending:
        return cache.fetch(ledger, lambda: compute_spending(ledger, today, period))

    @router.post("/ask")
    def ask(body: AskIn, ledger: LedgerDep, cache: CacheDep, service: AssistantDep,
            today: TodayDep) -> AskOut:
        def answer() -> tuple[AskOut, bool]:
            conversation = Conversation(list(body.conversation or []))
            reply = service.ask(ledger, today, body.question, conversation)
            shown = {**reply.to_json(), "conversation": conversation.messages}
            return AskOut.model_validate(shown), isinstance(reply, FallbackReply)

        out, _ = cache.fetch(ledger, answer, body=body.model_dump(mode="json"),
                             keep=lambda made: not made[1])
        return out

Cache the whole response (for ``/ask`` the extended conversation too: a hit does not run
``ask``, so nothing else would extend it), and never an answer made without the model
(``service.FallbackReply``): it would outlive the outage. A hit is not a new prediction, so it
adds no audit row.

Cached values are shared between requests: return immutable values or values nobody mutates
(Pydantic models and dicts that FastAPI only serializes). The server's ``today`` is part of
every key too, so a cached answer never outlives its day.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from budgetlm.ledger.repository import Ledger
from budgetlm.server.audit import canonical_json
from budgetlm.server.deps import Caller, CallerDep, today, workspace_ledger
from budgetlm.server.metrics import ServerMetrics

T = TypeVar("T")

DEFAULT_MAX_BYTES = 8 * 2**20
"""The cache's memory budget: about 1,000 ``/ask`` answers, 70 two-month forecasts or 12
year-long ones; about 1% of a server's memory with the micro model."""
_NOT_FOLLOWED = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)
"""Shared by every response, never held by one."""
_LEAVES = (str, bytes, int, float, complex, bool, Decimal, date)
"""Objects that reference nothing worth counting."""


def retained_bytes(value: object, limit: int | None = None) -> int:
    """Roughly the memory ``value`` keeps alive: ``sys.getsizeof`` of it and of every object it
    reaches through containers, instance dictionaries and slots, each counted once; the walk
    stops as soon as the count passes ``limit``.

    Objects shared with other values (field names, small numbers) are counted here too, so the
    figure errs high for small values: an ``/ask`` answer counts about 8 KB where
    ``tracemalloc`` sees 4-6 KB kept; a 366-day forecast counts 0.66 MB (0.9 MB seen).
    """
    seen: set[int] = set()
    pending = [value]
    total = 0
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, _NOT_FOLLOWED):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if limit is not None and total > limit:
            break
        if isinstance(item, _LEAVES):
            continue
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        else:
            pending.extend(_attributes(item))
    return total


def _attributes(item: object) -> list[object]:
    """What an object refers to through its ``__dict__`` and ``__slots__``."""
    found: list[object] = []
    for kind in type(item).__mro__:
        slots = kind.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name != "__weakref__" and hasattr(item, name):
                found.append(getattr(item, name))  # __dict__ itself when it is a slot
    instance_dict = getattr(item, "__dict__", None)
    if isinstance(instance_dict, dict):
        found.append(instance_dict)
    return found


class ResponseCache:
    """A thread-safe LRU map from request keys to responses, counting hits and misses.

    Args:
        max_entries: Most responses kept (0 disables the cache).
        metrics: Where hits and misses are counted for ``/metrics`` (optional).
        max_bytes: Most memory the responses may keep alive, by ``retained_bytes``; a response
            larger than this is not kept at all.
    """

    def __init__(
        self,
        max_entries: int,
        metrics: ServerMetrics | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._metrics = metrics
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a cached key (now the most recently used), else
        ``(False, None)``; counts the hit or miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
        if self._metrics is not None:
            (self._metrics.cache_hits if entry is not None else self._metrics.cache_misses).inc()
        return (True, entry[0]) if entry is not None else (False, None)

    def put(self, key: str, value: object) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used beyond the bounds."""
        if self.max_entries <= 0:
            return
        size = retained_bytes(value, self.max_bytes)  # outside the lock: it walks the value
        if size > self.max_bytes:
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._bytes += size - (replaced[1] if replaced is not None else 0)
            self._entries[key] = (value, size)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
            entries, held = len(self._entries), self._bytes
        if self._metrics is not None:
            self._metrics.cache_entries.set(entries)
            self._metrics.cache_bytes.set(held)

    @property
    def total_bytes(self) -> int:
        """Memory the responses held now keep alive (``retained_bytes`` of each, summed)."""
        return self._bytes

    def __len__(self) -> int:
        """Responses held now."""
        return len(self._entries)


def cache_key(
    workspace_id: int,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: object,
    ledger_version: int,
    today: date,
) -> str:
    """The SHA-256 of everything a cached response depends on (query parameters sorted, the
    body as canonical JSON)."""
    parts = [workspace_id, method.upper(), path, sorted(query), body, ledger_version, today]
    return hashlib.sha256(canonical_json(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RequestCache:
    """The cache as one request sees it: ``fetch`` keys on that request."""

    cache: ResponseCache
    request: Request
    today: date

    def fetch(
        self,
        ledger: Ledger,
        compute: Callable[[], T],
        *,
        body: object = None,
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """The cached response to this request at the ledger's current version, or
        ``compute()`` (then cached unless ``keep`` says no).

        Args:
            ledger: The caller's ledger (its workspace and version are part of the key).
            compute: Makes the response on a miss.
            body: The request's input as JSON values (a POST body); the query string is
                always part of the key.
            keep: Whether a computed response may be cached (say no to degraded answers,
                such as the assistant's answers without its model).
        """
        key = cache_key(
            ledger.workspace_id,
            self.request.method,
            self.request.url.path,
            list(self.request.query_params.multi_items()),
            body,
            ledger.version(),
            self.today,
        )
        found, value = self.cache.get(key)
        if found:
            cached: T = value
            return cached
        fresh = compute()
        if keep is None or keep(fresh):
            self.cache.put(key, fresh)
        return fresh


async def request_cache(request: Request, day: Annotated[date, Depends(today)]) -> RequestCache:
    """The app's response cache, bound to ``request``."""
    return RequestCache(request.app.state.cache, request, day)


CacheDep = Annotated[RequestCache, Depends(request_cache)]
"""The response cache for a read-only route: ``cache.fetch(ledger, compute)``."""


def cached(
    keep: Callable[[Any], bool] | None = None,
) -> Callable[[Callable[..., T]], Callable[..., Any]]:
    """Serve a read-only route from the cache: ``@router.get(...)`` then ``@cached()``.

    The route must take ``ledger: LedgerDep``; its query string (and, with ``body``, its JSON
    body) keys the entry. The wrapper FastAPI sees is a coroutine that takes the caller and the
    request's cache instead of the ledger, and opens the ledger, looks up the cache and runs the
    route on a miss in one thread-pool call: a ``LedgerDep`` would take two more hand-offs
    (its set-up and its tear-down), each costing more than a cache hit.

    Args:
        keep: Whether a computed response may be cached (see ``RequestCache.fetch``).
    """

    def decorate(route: Callable[..., T]) -> Callable[..., Any]:
        signature = inspect.signature(route, eval_str=True)
        if "ledger" not in signature.parameters:
            raise TypeError(f"{route.__name__} must take ledger: LedgerDep to be cached")
        body_name = next((n for n in signature.parameters if n == "body"), None)

        def run(who: Caller, cache: RequestCache, kwargs: dict[str, Any]) -> T:
            body = kwargs[body_name].model_dump(mode="json") if body_name else None
            with workspace_ledger(cache.request, who) as ledger:
                compute = functools.partial(route, ledger=ledger, **kwargs)
                found: T = cache.fetch(ledger, compute, body=body, keep=keep)
                return found

        async def wrapper(*, _who: Caller, _cache: RequestCache, **kwargs: Any) -> T:
            result: T = await run_in_threadpool(run, _who, _cache, kwargs)
            return result

        wrapper.__name__, wrapper.__doc__ = route.__name__, route.__doc__
        wrapper.__qualname__, wrapper.__module__ = route.__qualname__, route.__module__
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [p for p in signature.parameters.values() if p.name != "ledger"]
        parameters += [
            inspect.Parameter("_who", keyword, annotation=CallerDep),
            inspect.Parameter("_cache", keyword, annotation=CacheDep),
        ]
        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        return wrapper

    return decorate
