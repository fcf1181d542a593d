"""Worker processes stop when the process that started them is gone.

``budgetlm serve --workers N`` runs a supervisor (``server.handoff``), which starts the
workers and stops them on Ctrl-C or SIGTERM. If the supervisor itself is killed (SIGKILL, an OOM
kill, a crashed terminal), nothing tells the workers: they would keep the port and the ledger
open with nobody to stop them. Each worker therefore watches its parent and, once it has been
re-parented, sends itself SIGTERM, which uvicorn handles as a normal shutdown (requests in
flight finish, the audit log is flushed).

A polling thread rather than Linux's ``PR_SET_PDEATHSIG``: it needs no ctypes, works on macOS
as well, and one ``getppid`` a second costs nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

log = logging.getLogger(__name__)


def stop_when_orphaned(interval_seconds: float = 1.0) -> None:
    """Start a daemon thread that sends this process SIGTERM once its parent has died.

    Args:
        interval_seconds: How often the parent is checked.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_seconds)
        log.warning("the server's supervisor (pid %d) is gone; this worker stops", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="budgetlm-orphan-watch", daemon=True).start()
