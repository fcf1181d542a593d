"""A fixed mmap threshold for glibc's malloc in server processes.

Why: glibc serves an allocation of 128 KB or more with its own ``mmap`` (returned to the
system when freed) but, each time such a block is freed, raises that threshold to the block's
size, up to 32 MB. A server that runs the model and the categorizer soon has it raised, and then
its large short-lived buffers (activations, feature matrices, response bodies) come from the
heap, where freed space is left in pieces and the heap grows in steps. Measured with
``benchmarks/server_bench.py`` (2 workers, 120-s soak after a 180-s warm-up) and glibc's own
counts per worker: the bytes in use stayed at ~222 MB from the first half-minute on while the
heap grew to ~279 MB, ~56 MB of it free but in pieces, and RSS rose in ~8 MB steps (soak
slopes +1.9 and +2.1 MB/min). Fixing the threshold (which also turns the raising off) stopped
that.

Why 4 MB and not glibc's initial 128 KB. At 128 KB every activation of a forward pass over more
than ~20 tokens (a prompt, or the batch of several questions, ``lm.batching``) was a fresh
``mmap``: its pages faulted in and were zeroed on first touch and unmapped when freed, and a
fifth of each worker's CPU went to the kernel (0.18-0.22 cores of ~0.95). With 4 MB they come
from the heap: kernel time 0.06-0.07 cores, and asking new questions with 16 clients went from
69-75 to 85-91 questions/s (2 workers, 4 questions at once each, alternating runs). The soak
stayed flat: -0.51 MB/min at 4 questions at once, +0.71 MB/min at 2 (the default), RSS
~1,530 MB for both workers against ~1,505 MB at 128 KB
(``benchmarks/RESULTS.md``, "Seventh round").

This is ``mallopt(M_MMAP_THRESHOLD, ...)``, the same as ``MALLOC_MMAP_THRESHOLD_=4194304`` in the
environment. There is no library for it; ctypes is enough. Elsewhere than glibc (macOS, musl) it
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter number for the mmap threshold (``malloc.h``)."""
DEFAULT_THRESHOLD = 4 * 2**20
"""Allocations from this size on get an ``mmap`` of their own; smaller ones come from the heap."""


def fix_mmap_threshold(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Fix this process's mmap threshold at ``threshold`` bytes.

    Returns:
        Whether it was set (False where malloc is not glibc's).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018  (present in glibc only; musl's mallopt is a stub)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
