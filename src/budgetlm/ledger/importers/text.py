"""Bank-file bytes to text, and CSV text to records: encoding, delimiter, quoting.

Own code rather than ``csv.Sniffer``: the sniffer guesses from character frequencies and is
fooled by decimal commas, unquoted ``1,234.56`` and preamble lines, while banks' files need the
delimiter that makes a header (or dates and amounts) line up. ``charset-normalizer`` is only the
last resort for the encoding, after byte-order marks, UTF-16's NUL pattern, UTF-8 and
Windows-1252.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from itertools import islice

import charset_normalizer

from budgetlm.errors import InputError
from budgetlm.ledger.importers.columns import Record, looks_like_data, match_header

_DELIMITERS = (",", ";", "\t", "|")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode_as(data: bytes, encoding: str, source: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown text encoding {encoding!r}", source="--encoding") from None
    try:
        return data.decode("utf-8-sig" if name == "utf-8" else name).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the file is not valid {encoding} (byte {exc.start})", source=source
        ) from None


def _utf16_guess(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NULs fill every other byte, as in BOM-less UTF-16 text."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode(data: bytes, encoding: str | None, source: str) -> tuple[str, str | None]:
    """Decode a bank file, detecting its encoding unless ``encoding`` is given.

    Returns:
        The text and a note naming the encoding when it is not plain UTF-8.

    Raises:
        InputError: ``encoding`` is unknown or wrong, or no encoding fits the bytes.
    """
    if encoding:
        return _decode_as(data, encoding, source), None
    for bom, name in _BOMS:
        if data.startswith(bom):
            note = None if name == "utf-8" else f"text encoding {name.upper()} (byte-order mark)"
            return _decode_as(data[len(bom) :], name, source), note
    for name in [n for n in (_utf16_guess(data), "utf-8", "cp1252") if n is not None]:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        note = {"utf-8": None, "cp1252": "the file is not UTF-8; read as Windows-1252"}.get(
            name, f"text encoding {name.upper()} (no byte-order mark)"
        )
        return text, note
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), f"text encoding guessed as {best.encoding}; use --encoding if wrong"
    raise InputError("cannot tell the file's text encoding; use --encoding", source=source)


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among ``,`` ``;`` tab ``|`` from the first 200 lines of ``text``.

    A known header row decides; without one, the delimiter whose rows hold a date and an amount
    in separate cells, then the one giving most rows of one width (then the widest) wins.
    """
    lines = list(islice(io.StringIO(text, newline=""), 200))
    scores: dict[str, tuple[int, int, int, int]] = {}
    for delimiter in _DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter, skipinitialspace=True))
        header = max((len(m) for r in rows[:100] if (m := match_header(r))), default=0)
        widths = Counter(len(r) for r in rows if len(r) >= 2)
        width, count = max(widths.items(), key=lambda wc: (wc[1], wc[0]), default=(0, 0))
        scores[delimiter] = (header, 0, count, width)
    if not any(score[0] for score in scores.values()):
        for delimiter, (_, _, count, width) in scores.items():
            rows = list(csv.reader(lines[:50], delimiter=delimiter, skipinitialspace=True))
            content = sum(1 for r in rows if len(r) >= 2 and looks_like_data(r))
            scores[delimiter] = (0, content, count, width)
    best = max(_DELIMITERS, key=lambda d: scores[d])  # ties keep the earlier delimiter
    return best if scores[best] > (0, 0, 0, 0) else ","


def choose_delimiter(option: str | None, text: str) -> tuple[str, str | None]:
    """The delimiter to use and a note when it came from Excel's ``sep=;`` first line."""
    if option is None:
        head = text[:6]
        if head[:4].lower() == "sep=" and head[4:5] not in ("", "\r", "\n", '"'):
            return head[4], f"delimiter {head[4]!r} from the 'sep=' line 1"
        return sniff_delimiter(text), None
    value = {"tab": "\t", "\\t": "\t"}.get(option.lower(), option)
    if len(value) != 1 or value in '"\r\n':
        raise InputError(f"a delimiter is one character, got {option!r}", source="--delimiter")
    return value, None


def split_records(text: str, delimiter: str, source: str) -> list[Record]:
    """Split ``text`` into records, each with the 1-based line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    records: list[Record] = []
    line = 1
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(
            f"cannot split the file into fields: {exc}", source=source, line=line
        ) from None
    return records


def decode_leniently(data: bytes, codec: str, source: str, kind: str) -> tuple[str, list[str]]:
    """Decode a file whose encoding is declared or assumed (OFX, QIF), never failing on bytes.

    A UTF-16 or UTF-8 byte-order mark overrides ``codec``. Bytes that are not valid in it are
    read as Windows-1252 when ``codec`` is UTF-8 (what such files really are), else replaced,
    and a note names the first bad line.

    Raises:
        InputError: ``codec`` is unknown, or the text holds NULs (a binary file, not ``kind``).
    """
    notes: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    try:
        text = data.decode(codec)
    except LookupError as exc:
        raise InputError(f"unknown text encoding {codec!r}", source=source) from exc
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        fallback = "cp1252" if codecs.lookup(codec).name == "utf-8" else codec
        notes.append(f"line {line} is not valid {codec}; the file was read as {fallback}")
        text = data.decode(fallback, errors="replace")
    if "\x00" in text:
        raise InputError(f"this is a binary file, not {kind}", source=source)
    return text, notes
