"""Bank-file importers: read CSV, OFX/QFX and QIF into a ``ParsedStatement``.

Each reader is a pure function ``parse_<format>(data, source, options)`` over the file's bytes;
this module only reads the file and picks the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from budgetlm.errors import InputError
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.records import FileFormat, ParsedStatement

Reader = Callable[[bytes, str, ImportOptions], ParsedStatement]

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Refuse files larger than this rather than exhausting memory."""


def detect_format(data: bytes, source: str) -> FileFormat:
    """Decide the file format from content first, then the file extension."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t").upper().replace(b"\x00", b"")
    if b"OFXHEADER" in head[:64] or b"<OFX" in head:
        return "qfx" if source.lower().endswith(".qfx") else "ofx"
    if head.startswith(b"!TYPE") or head.startswith(b"!ACCOUNT") or head.startswith(b"!OPTION"):
        return "qif"
    suffix = Path(source).suffix.lower().lstrip(".")
    if suffix in ("ofx", "qfx", "qif"):
        return suffix  # type: ignore[return-value]
    return "csv"


def _reader(file_format: FileFormat) -> Reader:
    if file_format == "csv":
        from budgetlm.ledger.importers.csv import parse_csv

        return parse_csv
    if file_format in ("ofx", "qfx"):
        from budgetlm.ledger.importers.ofx import parse_ofx

        return parse_ofx
    from budgetlm.ledger.importers.qif import parse_qif

    return parse_qif


def parse_statement(
    data: bytes, source: str, options: ImportOptions | None = None
) -> ParsedStatement:
    """Parse a bank file's bytes with the right reader.

    Args:
        data: The whole file.
        source: Its name, used in error messages.
        options: Overrides for detection.

    Raises:
        InputError: The file cannot be read at all (as opposed to single bad rows, which come
            back in ``ParsedStatement.errors``).
    """
    options = options or ImportOptions()
    if not data.strip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t"):
        raise InputError("the file is empty", source=source)
    file_format = options.file_format or detect_format(data, source)
    return _reader(file_format)(data, source, options)


def read_bank_file(path: Path) -> bytes:
    """The bytes of a bank file, refusing unreadable or oversized files with a clear error."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"the file is {size} bytes; the limit is {MAX_FILE_BYTES}", source=str(path)
            )
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=str(path)) from exc


def read_statement(path: Path, options: ImportOptions | None = None) -> ParsedStatement:
    """Read and parse the bank file at ``path``."""
    return parse_statement(read_bank_file(path), path.name, options)
