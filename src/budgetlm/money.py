"""Money as ``decimal.Decimal``: currency facts and formatting for people.

Parsing of amounts as banks print them lives here too (``parse_amount``), so that every importer
reads ``(1,234.56)``, ``1 234,56 €`` or ``12.00-`` the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

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
"""Currency assumed when neither the file nor the user says."""


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (2 for most)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """Round ``amount`` to the currency's minor unit, half to even (banker's rounding)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)


def format_money(amount: Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """Format for people: ``-$1,234.50``, ``€12.00``, ``¥1,200``, ``12.00 SEK``."""
    places = minor_units(currency)
    text = f"{abs(quantize(amount, currency)):,.{places}f}"
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"
