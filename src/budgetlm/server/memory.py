"""Giving freed memory back to the operating system while the server runs.

Why this exists: with glibc's allocator, a long-running server's resident memory grew in steps
(about 10-17 MB a minute for a few minutes under load, then level) although the memory Python and
torch had in use stayed flat. glibc raises its mmap threshold each time a large mmapped block is
freed, so later blocks of that size come from the heap instead, and free heap pages stay mapped.
``malloc_trim(0)`` returns free pages anywhere in the heap (``madvise``), so calling it every
``ServerConfig.trim_memory_seconds`` keeps resident memory level; fixing the threshold instead
(``M_MMAP_THRESHOLD``) costs 15-20% CPU per question (every large tensor is then mmapped
afresh). No library offers this; it is a few lines of ``ctypes`` on glibc and does nothing
elsewhere (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def glibc_trim() -> Callable[[], object] | None:
    """``malloc_trim(0)`` of the C library, or None where there is none (not glibc)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


class MemoryTrimmer:
    """A daemon thread that calls ``trim`` every ``seconds`` until ``stop``."""

    def __init__(self, seconds: float, trim: Callable[[], object] | None = None) -> None:
        self._trim = trim if trim is not None else glibc_trim()
        self._seconds = seconds
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.trims = 0
        """How many times it trimmed."""

    @property
    def active(self) -> bool:
        """Whether it trims (a positive period and a C library that can)."""
        return self._seconds > 0 and self._trim is not None

    def start(self) -> None:
        """Start trimming (nothing when not ``active``)."""
        if self.active and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="memory-trim", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop trimming and wait for the thread."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._seconds):
            try:
                self._trim()  # type: ignore[misc]
                self.trims += 1
            except Exception:  # never take the server down over housekeeping
                log.exception("memory trim failed")
                return
