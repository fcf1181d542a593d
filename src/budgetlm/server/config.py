"""How the server runs: where it listens, which database and model, and its limits."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass
from datetime import date


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (``127.0.0.1``, ``::1``,
    ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one server process."""

    db_url: str
    """SQLAlchemy URL of the ledger database."""
    host: str = "127.0.0.1"
    """Interface to bind; anything but loopback makes API keys mandatory."""
    port: int = 8000
    """TCP port."""
    model: str = "micro"
    """The assistant's backend (``micro``, ``micro+int8``, ``hf:…``, ``openai:…``)."""
    today: date | None = None
    """Treat this date as today (tests, reproducible demos); None reads the clock per request."""
    require_keys: bool | None = None
    """Require an API key on every request; None means required unless bound to loopback."""
    default_workspace: str = "default"
    """The workspace of key-less requests on loopback."""
    max_body_bytes: int = 10 * 2**20
    """Largest request body (an uploaded bank file included)."""
    max_question_chars: int = 500
    """Longest question the assistant takes."""
    max_batch: int = 1_000
    """Most transactions one batch-categorize request may carry."""
    rate_limit_per_minute: int = 1_200
    """Requests one key (or the loopback user) may make per minute."""
    model_timeout_seconds: float = 10.0
    """A model call slower than this falls back to the deterministic answer."""
    model_concurrency: int | None = None
    """Model calls (questions, completions) each server process works on at once. A local
    model decodes them interleaved in one thread, their forward passes run as one batch
    (``lm.batching``); a remote model's calls run on threads of their own. None: see
    :attr:`resolved_model_concurrency`."""
    load_model_at_start: bool = False
    """Open the model when the server starts (``budgetlm serve`` does), instead of on the first
    question, whose load would otherwise count against ``model_timeout_seconds``."""
    cache_entries: int = 2_048
    """Most responses kept in the cache (keyed by request and ledger version)."""
    cache_bytes: int = 8 * 2**20
    """Most memory the cached responses may keep alive (a year's forecast is ~0.8 MB, an
    answer ~5 KB); the least recently used go first when either limit is reached."""
    context_entries: int = 8
    """Assistant contexts kept (one per workspace, ledger version and day; each holds the
    workspace's history, a few MB for a busy household)."""
    breaker_failures: int = 3
    """Consecutive model failures (errors or timeouts) that open the circuit breaker: the
    assistant then answers without the model until the cool-down ends."""
    breaker_cooldown_seconds: float = 30.0
    """How long an open breaker keeps the model out before one question probes it again."""

    @property
    def resolved_model_concurrency(self) -> int:
        """:attr:`model_concurrency`, with None decided for the model: 2 for the micro model,
        8 for the others.

        For micro+int8 with 16 clients asking new questions (2 workers, three alternating
        rounds, ``benchmarks/RESULTS.md``): one call at a time 80-84 questions/s at p95 263-271
        ms; two 90-94 at 240-254 ms; four 99-104 at 263-277 ms, with p99 322-355 ms against
        274-292 at two. Questions decoded together advance one pass each a step, so one with
        many passes (a date spelled digit by digit) waits through many steps of the others; two
        at once keeps most of the gain in throughput and the shortest tail. A pass of a larger
        local model reads hundreds of MB of weights, which a batch reads once (8 one-token
        passes of a Qwen2.5-0.5B-sized model cost 0.25x as one batch), and a remote model's
        calls wait on the network.
        """
        if self.model_concurrency is not None:
            return self.model_concurrency
        kind = self.model.partition(":")[0].partition("+")[0]  # micro[+int8][:DIR]
        return 2 if kind == "micro" else 8

    @property
    def remote_model(self) -> bool:
        """Whether the model is an ``openai:`` server (whose calls wait on the network)."""
        return self.model.startswith("openai:")

    @property
    def keys_required(self) -> bool:
        """Whether requests must carry an API key."""
        return self.require_keys if self.require_keys is not None else not is_loopback(self.host)

    def to_json(self) -> str:
        """The settings as JSON (how ``budgetlm serve --workers`` hands them to each worker)."""
        values = asdict(self)
        values["today"] = self.today.isoformat() if self.today is not None else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        """Settings written by :meth:`to_json`."""
        values = json.loads(text)
        if values.get("today") is not None:
            values["today"] = date.fromisoformat(values["today"])
        return cls(**values)
