"""The fixed mmap threshold of server processes (``server/allocator.py``), on glibc."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from budgetlm.server.allocator import fix_mmap_threshold

SECOND_BLOCK_MAPPED = """
import ctypes, sys
from budgetlm.server.allocator import fix_mmap_threshold

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
if sys.argv[1] == "fixed":
    assert fix_mmap_threshold()
block = bytearray(8 << 20)  # mapped by mmap; freeing it raises a dynamic threshold to 8 MB
del block
block = bytearray(8 << 20)  # mapped again only while the threshold stays fixed
mapped = libc.mallinfo2().hblkhd
activation = bytearray(1 << 20)  # a forward pass's buffer: from the heap when fixed
print(mapped >= 8 << 20, libc.mallinfo2().hblkhd == mapped)
"""


def _glibc_with_mallinfo2() -> bool:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="needs glibc 2.33 or later")
def test_blocks_of_4_mb_and_more_stay_out_of_the_heap_once_the_threshold_is_fixed() -> None:
    def mapped(mode: str) -> tuple[str, str]:
        """Whether the second 8-MB block was mapped, and the 1-MB one was not."""
        run = subprocess.run([sys.executable, "-c", SECOND_BLOCK_MAPPED, mode],
                             capture_output=True, text=True, check=True)  # fmt: skip
        big, small = run.stdout.split()
        return big, small

    assert mapped("fixed") == ("True", "True")
    assert mapped("glibc's default")[0] == "False"  # what the fix is for


def test_elsewhere_than_linux_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert fix_mmap_threshold() is False
