"""Money as ``decimal.Decimal``: currency facts and formatting for people.

Parsing of amounts as banks print them lives here too (``parse_amount``, ``parse_money``), so
that every importer reads ``(1,234.56)``, ``1 234,56 €`` or ``12.00-`` the same way. It is
hand-written rather than taken from babel or price-parser because those guess a locale per
string and return a number even for ``1,234`` (1234 or 1.234?); here an ambiguous value is an
error unless the caller has fixed the decimal style, which importers decide once per file
(``decimal_mark_vote``/``detect_decimal_comma``) and then read with ``amount_reader``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Literal, NamedTuple

_MINOR_UNITS: dict[str, int] = {
    "BHD": 3, "CLP": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "LYD": 3,
    "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0, "CLF": 4, "UYW": 4,
}  # fmt: skip
"""ISO 4217 currencies whose minor unit is not 2 decimal places."""

_SYMBOLS: dict[str, str] = {
    "USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£", "JPY": "¥",
    "INR": "₹", "ZAR": "R", "CHF": "CHF ", "MXN": "MX$", "BRL": "R$",
}  # fmt: skip

DEFAULT_CURRENCY = "USD"
_CENT = Decimal("0.01")
"""Currency assumed when neither the file nor the user says."""


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (2 for most)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """Round ``amount`` to the currency's minor unit, half to even (banker's rounding)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)


def cents(value: Decimal | float) -> Decimal:
    """Round to cents, half up: the one rounding rule of every figure the analytics engines
    report. Floats go through their shortest repr, so ``0.1`` is 0.10, not 0.1000000000000000055.
    """
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    return exact.quantize(_CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """Format for people: ``-$1,234.50``, ``€12.00``, ``¥1,200``, ``12.00 SEK``."""
    places = minor_units(currency)
    text = f"{abs(quantize(amount, currency)):,.{places}f}"
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


# --- Parsing amounts as banks print them --------------------------------------------------------

_BLANKS = " \t\u00a0\u2007\u2009\u202f"
"""Spaces that appear around and inside amounts: normal, no-break, figure, thin, narrow no-break."""
_GROUPERS = frozenset(" '\u2019\u00a0\u2007\u2009\u202f")
"""Characters that only ever group thousands (never a decimal mark)."""
_MINUS_SIGNS = frozenset("-\u2212\u2012\u2013")
_MAX_DIGITS = 30
"""More digits than any real amount has; longer strings are refused rather than parsed."""

_SYMBOLS_IN: dict[str, str | None] = {
    "US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD",
    "HK$": "HKD", "S$": "SGD", "MX$": "MXN", "R$": "BRL", "$": None, "€": "EUR", "£": "GBP",
    "¥": None, "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB", "₪": "ILS", "₱": "PHP",
    "₫": "VND", "zł": "PLN", "Kč": "CZK", "kr.": None, "kr": None, "Fr.": "CHF",
}  # fmt: skip
"""Currency symbols as printed beside amounts -> ISO code (None where the symbol is shared)."""
_SYMBOL_ORDER = sorted(_SYMBOLS_IN, key=len, reverse=True)

ISO_CURRENCIES: frozenset[str] = frozenset({
    "AED", "ARS", "AUD", "BGN", "BHD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK",
    "EGP", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JOD", "JPY", "KES", "KRW",
    "KWD", "MAD", "MXN", "MYR", "NGN", "NOK", "NZD", "OMR", "PEN", "PHP", "PKR", "PLN", "QAR",
    "RON", "RSD", "RUB", "SAR", "SEK", "SGD", "THB", "TND", "TRY", "TWD", "UAH", "UGX", "USD",
    "UYU", "VND", "XAF", "XOF", "ZAR",
})  # fmt: skip
"""ISO 4217 codes recognised beside an amount or in a currency column."""


class ParsedAmount(NamedTuple):
    """An amount read from text, with what the text said besides the number."""

    amount: Decimal
    """The signed value; ``-0`` is returned as ``0``."""
    currency: str | None
    """ISO code named by a symbol or code in the text (``€`` -> ``EUR``); None if none or ``$``."""
    direction: Literal["debit", "credit"] | None
    """Set when the text carried an explicit ``DR``/``CR`` marker."""


def currency_code(text: str) -> str | None:
    """The ISO 4217 code for a currency column value or symbol (``eur``, ``€``), else None."""
    value = text.strip(_BLANKS)
    if value.upper() in ISO_CURRENCIES:
        return value.upper()
    return _SYMBOLS_IN.get(value)


def _take_currency(text: str, at_start: bool) -> tuple[str, str | None] | None:
    """Split a currency symbol or ISO code off one end of ``text``; None if there is none."""
    for symbol in _SYMBOL_ORDER:
        if text.startswith(symbol) if at_start else text.endswith(symbol):
            rest = text[len(symbol) :] if at_start else text[: -len(symbol)]
            return rest.strip(_BLANKS), _SYMBOLS_IN[symbol]
    code = text[:3] if at_start else text[-3:]
    neighbour = text[3:4] if at_start else text[-4:-3]
    if code.upper() in ISO_CURRENCIES and not neighbour.isalpha():
        rest = text[3:] if at_start else text[:-3]
        return rest.strip(_BLANKS), code.upper()
    return None


def _peel(text: str) -> tuple[str, list[str], list[str | None]]:
    """Strip sign markers and currency symbols from both ends of an amount.

    Returns:
        The bare number, the sign markers found (``-``, ``+``, ``()``, ``CR``, ``DR``) and the
        currencies found (ISO codes; None for shared symbols such as ``$``).
    """
    s = text.strip(_BLANKS)
    markers: list[str] = []
    currencies: list[str | None] = []
    while s:
        if s[0] == "(" and s[-1] == ")":
            markers.append("()")
            s = s[1:-1].strip(_BLANKS)
        elif s[0] in _MINUS_SIGNS or s[0] == "+":
            markers.append("+" if s[0] == "+" else "-")
            s = s[1:].lstrip(_BLANKS)
        elif s[-1] in _MINUS_SIGNS or s[-1] == "+":
            markers.append("+" if s[-1] == "+" else "-")
            s = s[:-1].rstrip(_BLANKS)
        elif s[-2:].upper() in ("CR", "DR") and not s[-3:-2].isalpha():
            markers.append(s[-2:].upper())
            s = s[:-2].rstrip(_BLANKS)
        elif (found := _take_currency(s, True) or _take_currency(s, False)) is not None:
            s, code = found
            currencies.append(code)
        else:
            break
    return s, markers, currencies


def _split_number(core: str) -> tuple[list[str], list[str]]:
    """Split ``1,234.56`` into digit groups ``['1', '234', '56']`` and separators ``[',', '.']``."""
    groups: list[str] = []
    seps: list[str] = []
    start = 0
    for i, char in enumerate(core):
        if "0" <= char <= "9":
            continue
        if char not in _GROUPERS and char not in ".,":
            raise ValueError(f"unexpected character {char!r}")
        groups.append(core[start:i])
        seps.append(" " if char in _GROUPERS else char)
        start = i + 1
    groups.append(core[start:])
    return groups, seps


def _decimal_mark(groups: list[str], seps: list[str], decimal_comma: bool | None) -> str | None:
    """Which separator (``.`` or ``,``) is the decimal mark, or None for a whole number.

    Raises:
        ValueError: ``decimal_comma`` is None and the number reads two ways (``1,234``).
    """
    if decimal_comma is not None:
        mark = "," if decimal_comma else "."
        return mark if mark in seps else None
    last = next((s for s in reversed(seps) if s in ".,"), None)
    if last is None:
        return None
    if ("," if last == "." else ".") in seps:
        return last  # both marks present: the later one is the decimal mark
    if seps.count(last) > 1:
        return None  # repeated (1,234,567), so it groups thousands
    if " " in seps or len(groups[-1]) != 3 or seps[-1] != last or groups[0] in ("", "0"):
        return last
    raise ValueError("ambiguous: the separator may be a decimal mark or group thousands")


def _valid_grouping(groups: list[str]) -> bool:
    """Whether digit groups are 1,234,567 style or Indian 12,34,567 style."""
    head, rest = groups[0], groups[1:]
    if not rest:
        return bool(head)
    if not 1 <= len(head) <= 3 or (head[0] == "0"):
        return False
    if all(len(g) == 3 for g in rest):
        return True
    return len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1]) and len(head) <= 2


def _number(core: str, decimal_comma: bool | None) -> str:
    """Turn the bare number into canonical ``1234.56`` text, checking its grouping."""
    if not core:
        raise ValueError("no digits")
    groups, seps = _split_number(core)
    mark = _decimal_mark(groups, seps, decimal_comma)
    fraction = ""
    if mark is not None:
        if seps.count(mark) > 1 or seps[-1] != mark:
            raise ValueError(f"misplaced decimal mark {mark!r}")
        fraction = groups.pop()
        seps.pop()
        if not fraction:
            raise ValueError("no digits after the decimal mark")
    if len(set(seps)) > 1:
        raise ValueError("mixed digit-group separators")
    if seps and not _valid_grouping(groups):
        style = "a decimal comma" if mark == "," or decimal_comma else "a decimal point"
        raise ValueError(f"digit groups do not fit an amount with {style}")
    whole = "".join(groups)
    if len(whole) + len(fraction) > _MAX_DIGITS:
        raise ValueError("too many digits")
    if not whole and not fraction:
        raise ValueError("no digits")
    return f"{whole or '0'}.{fraction}" if fraction else whole


def parse_money(text: str, *, decimal_comma: bool | None = None) -> ParsedAmount:
    """Read an amount as a bank prints it, keeping the currency and CR/DR marker it carries.

    Accepts signs before or after (``-12.50``, ``12.50-``, ``+12``, ``(12.50)``), ``CR``/``DR``
    suffixes, currency symbols or ISO codes on either side (``$``, ``€12``, ``12,00 €``,
    ``USD 12.00``), and digit groups with ``,`` ``.`` spaces (also no-break and narrow) or
    apostrophes. At most one sign marker is allowed.

    Args:
        text: The cell as printed.
        decimal_comma: True when ``,`` is the decimal mark, False when ``.`` is; None decides per
            value and refuses values that read two ways, such as ``1,234`` or ``1.234``.

    Returns:
        The amount, currency and direction marker.

    Raises:
        ValueError: The text is not an amount (including NaN, infinity, exponents, conflicting
            signs or grouping that does not fit ``decimal_comma``).
    """
    core, markers, currencies = _peel(text)
    if len(markers) > 1:
        raise ValueError(f"not an amount: {text!r} (conflicting signs {' '.join(markers)})")
    codes = {c for c in currencies if c is not None}
    if len(codes) > 1:
        raise ValueError(f"not an amount: {text!r} (two currencies)")
    try:
        number = _number(core, decimal_comma)
    except ValueError as exc:
        raise ValueError(f"not an amount: {text!r} ({exc})") from None
    marker = markers[0] if markers else ""
    value = Decimal(number)
    if marker in ("-", "()", "DR") and value:
        value = -value
    direction: Literal["debit", "credit"] | None = None
    if marker in ("CR", "DR"):
        direction = "credit" if marker == "CR" else "debit"
    return ParsedAmount(value, codes.pop() if codes else None, direction)


def parse_amount(text: str, *, decimal_comma: bool | None = None) -> Decimal:
    """Read a signed amount as a bank prints it; see ``parse_money`` for the accepted forms.

    Args:
        text: The amount as printed, e.g. ``(1,234.56)``, ``1.234,56 €`` or ``12.00 CR``.
        decimal_comma: True for ``1.234,56`` style, False for ``1,234.56``; None decides from the
            value itself and refuses values that read two ways.

    Raises:
        ValueError: The text is not an amount, or is ambiguous when ``decimal_comma`` is None.
    """
    return parse_money(text, decimal_comma=decimal_comma).amount


def decimal_mark_vote(text: str) -> Literal[",", "."] | None:
    """The decimal mark a single printed amount proves, or None if it could be either.

    ``1,234.56`` proves ``.``; ``12,50`` proves ``,``; ``1,234`` and ``12`` prove nothing.
    """
    end = len(text)
    while end and not "0" <= text[end - 1] <= "9":
        end -= 1  # ignore what follows the last digit ("12,50 kr.")
    text = text[:end]
    i = max(text.rfind("."), text.rfind(","))
    if i < 0:
        return None
    comma = text[i] == ","
    if ("." if comma else ",") in text[:i]:
        return "," if comma else "."  # both present: the later one is the decimal mark
    if text.count(text[i]) > 1:
        groups = text[text.index(text[i]) + 1 :].split(text[i])
        if all(len(g) == 3 and g.isdigit() for g in groups):
            return "." if comma else ","  # 1,234,567: repeated, so it groups thousands
        return None
    whole = text[:i].lstrip(_BLANKS + "-+($€£¥").lstrip("0")
    if len(text) - i - 1 != 3 or not whole:
        return "," if comma else "."
    return None


def detect_decimal_comma(values: Iterable[str]) -> bool | None:
    """Decide whether a column of amounts uses a decimal comma, by majority of decisive values.

    Returns:
        True for ``1.234,56`` style, False for ``1,234.56`` style, None when no value decides (all
        whole numbers, or only forms like ``1,234``) or the votes tie.
    """
    votes = Counter(v for v in map(decimal_mark_vote, values) if v is not None)
    if votes[","] == votes["."]:
        return None
    return votes[","] > votes["."]


def amount_reader(decimal_comma: bool) -> Callable[[str], ParsedAmount]:
    """A fast reader for one column whose decimal style is known.

    Plain numbers (``-12.50``) and the common ``-$1,234.56`` shape take a regex-and-``Decimal``
    path; anything else goes through ``parse_money``. All paths give identical results (a
    property test checks this).
    """
    mark, group = (",", ".") if decimal_comma else (".", ",")
    plain = re.compile(rf"-?[0-9]{{1,20}}(?:{re.escape(mark)}[0-9]{{1,9}})?").fullmatch
    common = re.compile(
        rf"(-?)([$€£]?)(-?)([1-9][0-9]{{0,2}}(?:{re.escape(group)}[0-9]{{3}}){{1,6}}|[0-9]{{1,20}})"
        rf"(?:{re.escape(mark)}([0-9]{{1,9}}))?"
    ).fullmatch
    make = tuple.__new__  # NamedTuple's own __new__ is a Python function; this is 10x cheaper

    def read(text: str) -> ParsedAmount:
        if plain(text):
            value = Decimal(text.replace(",", ".") if decimal_comma else text)
            return make(ParsedAmount, (value if value else abs(value), None, None))
        match = common(text)
        if match is None or (match[1] and match[3]):
            return parse_money(text, decimal_comma=decimal_comma)
        digits = match[4].replace(group, "")
        value = Decimal(f"{digits}.{match[5]}" if match[5] else digits)
        if (match[1] or match[3]) and value:
            value = -value
        return make(ParsedAmount, (value, _SYMBOLS_IN[match[2]] if match[2] else None, None))

    return read
