"""Word lists and regular expressions the merchant normalizer reads, compiled once at import.

The lists (places, bank boilerplate, ACH descriptions, abbreviations, casing, well-known payers)
live in ``bank_words.yaml`` beside this module; this module loads them, derives lookup sets (city
prefixes for truncated cities) and compiles the patterns. Everything is upper case: the
normalizer matches against the upper-cased line.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load() -> dict[str, Any]:
    text = resources.files("budgetlm.categorize").joinpath("bank_words.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=_LOADER)
    if not isinstance(data, dict):
        raise ValueError("bank_words.yaml is not a mapping")
    return data


_DATA = _load()


def _words(name: str) -> frozenset[str]:
    return frozenset(str(w) for w in _DATA[name])


def _table(name: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _DATA[name].items()}


# --- places --------------------------------------------------------------------------------------
US_STATES = _words("us_states")
COUNTRY_CODES = _words("country_codes")
AMBIGUOUS_STATES = _words("ambiguous_states")
CITIES = _words("us_cities") | _words("gb_towns")
WORDLIKE_CITIES = _words("wordlike_cities")
CITY_LEAD_WORDS = _words("city_lead_words")
CITY_WORDS = frozenset(w for c in CITIES for w in c.split())
"""Every word of a city name (a quick test before looking for a city at a line's end)."""
CITY_ENDS = CITY_WORDS | frozenset(w[:i] for w in CITY_WORDS for i in range(1, len(w)))
"""City words and their prefixes (the last word of a city cut by a field width)."""
CITY_PREFIXES = frozenset(c[:i] for c in CITIES for i in range(5, len(c)))
"""Cities cut to five or more characters (``SAN LUIS OBIS``; card networks print 13)."""
WORD_PREFIXES = (
    frozenset(c.split()[0][:i] for c in CITIES for i in range(6, len(c.split()[0]))) - CITIES
)
"""First words of cities cut to six or more characters, where a line was cut (``ROCHEST``)."""
CITY_STUBS = frozenset(c.split()[0][:i] for c in CITIES for i in range(1, 5)) - CITIES
"""One to four letters a city starts with, where a cut line ends (``TAMP``)."""
NAME_ENDS = _words("name_ends")

# --- words around the payee ----------------------------------------------------------------------
PROCESSORS = _words("processors")
ACH_WORDS = _words("ach_words")
ACH_WORDS_AMBIGUOUS = _words("ach_words_ambiguous")
ACH_LAST = frozenset(p.split()[-1] for p in ACH_WORDS)
ACH_FIRST = frozenset(p.split()[0] for p in ACH_WORDS)
ACH_CUT_OFF = tuple(
    w for w in (*ACH_WORDS, "TYPE", "INDN", "TRACE", "ORIG", "DESC") if " " not in w and len(w) > 3
)
"""Long ACH words whose cut-off start may end a line (``AUTOP`` for ``AUTOPAY``)."""
TAIL_WORDS = _words("tail_words")
TAIL_WORDS_WEAK = _words("tail_words_weak")
SHOP_NOUNS = _words("shop_nouns")
STORE_WORDS = frozenset({"STORE", "STR", "STORE#", "NO", "NO.", "UNIT", "LOC"})
TRUNCATED_MARKERS = frozenset({"C", "CA", "CAR", "CR", "CRD", "R", "RE"})
"""What is left of ``CARD``/``REF`` where a line is cut after a date."""
DANGLING = frozenset(
    {"AND", "&", "N", "OF", "THE", "AT", "FOR", "TO", "A", "AN", "WITH", "BY", "+"}
)
"""Words that cannot end a name (what is left of ``… COFFEE AND TEA`` cut after ``AND``)."""
WEEKDAYS = frozenset({"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"})
MONTHS = frozenset("JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC".split())  # noqa: SIM905

# --- casing --------------------------------------------------------------------------------------
ABBREVIATIONS = _table("abbreviations")
KEY_ABBREVIATIONS = _table("key_abbreviations")
ACRONYMS = _table("acronyms")
TITLE_ABBREVIATIONS = _words("title_abbreviations")
SMALL_WORDS = _words("small_words")
PLACE_GUARDS = SMALL_WORDS - {"and"}
"""Small words that make the following place part of the name (``City of Boston``)."""
BRAND_CASE = _table("brand_case")
ALIASES: tuple[tuple[str, str], ...] = tuple((str(p), str(n)) for p, n in _DATA["aliases"])

# --- patterns over the upper-cased line ----------------------------------------------------------
ALIAS = re.compile("|".join(f"({pattern})" for pattern, _ in ALIASES))
"""One group per alias; ``lastindex`` tells which matched."""
ALIAS_HEADS = frozenset(
    alt.replace("\\", "")[:2] for p, _ in ALIASES for alt in re.split(r"\|(?![^()]*\))", p)
)
"""First two characters of every alias (a cheap test before the alias pattern)."""
PREFIX = re.compile(
    r"(?:" + "|".join(str(p) for p in _DATA["bank_prefixes"]) + r")(?:\s*[-:]\s*|\s+|$)|\|\s*"
)
ORIG = re.compile(r"ORIG CO NAME\s?:\s?")
CUT = re.compile(
    r"""\s(?:\||(?:DES|INDN|TYPE|CO\s?ID|ORIG\s?ID|TRACE|SEC|MEMO|CONF(?:IRMATION)?|TRANSACTION
    |TRN|IND\s?ID|IND\s?NAME|EED|ID|PPD|WEB|CCD|TEL)\s?(?:\#|:|NO\b)|(?:PPD|WEB|CCD|TEL)\sID\b
    |REF\b|(?:ON|DATE)\s\d\d?[/.-]\d\d?[/.-]\d{2,4}\b|(?:CARD|CD|C\s?\#|CRD)\s?\#?\s?[X*]*\d{4}\b
    |-(?=\s)|[SP]\d{10,}\b|(?:X{2,}|\*{2,}|\.{3})\d{2,4}\b)|,\s?\d[\d,]*\.\d\d\b""",
    re.X,
)
"""Markers after which nothing belongs to the payee: ACH field labels, references, card digits,
a padding gap (``|``), an amount."""
ACH_LINE = re.compile(
    r"\b(?:DES:|INDN:|PPD|CCD|ACH|CO ID|ORIG CO|TYPE:|DIRECT DEBIT|STANDING ORDER|GIRO|BILL PAY)"
    r"|\d{7}"
)
NUMBERISH = re.compile(r"#\S*|#?\d{3,}[A-Z]{0,12}|[X*]{2,}\d+|[A-Z]-?\d{3,}|\(?\d{3}\)?-\d{3}-\S*")
"""A store number or id: the payee ends before it."""
SHORT_NUMBER = re.compile(r"#?\d{1,5}[A-Z]*")
JUNK = re.compile(
    r"[\d\W_]+|[X*]{2,}\d*|[A-Z]?\d{5,}|\d\d?(?:" + "|".join(MONTHS) + r")\d\d(?:\d\d)?"
    r"|\d{1,2}(?::\d\d)?(?:AM|PM)|1?-?8[0-8]{2}-[A-Z0-9-]{4,}"
    r"|(?=.{6})[A-Z0-9]*(?:\d[A-Z]+\d|[A-Z]\d+[A-Z])[A-Z0-9]*"
)
"""Dates, ids, amounts, phone numbers, masked digits, order codes."""
URL = re.compile(
    r"WWW\..*|HTTPS?:.*|(?:[A-Z0-9-]+\.)+(?:COM|NET|ORG|CO|IO|US|UK|GOV|BIZ|INFO|APP|C)(?:/\S*)?"
)
HOST = re.compile(r"[A-Z0-9-]{5,}\.")
"""A web host cut after its dot, where a city would be (``OTTERCOMPASS.``)."""
DOMAIN = re.compile(r"(?:WWW\.)?([A-Z0-9][A-Z0-9-]*)\.(?:COM|NET|ORG|CO|IO|US|CO\.UK|APP)")
AMP = re.compile(r"(?<=[A-Za-z]{3})&(?=[A-Za-z]{3})")

# --- bank entries that are not a merchant --------------------------------------------------------
ENTRY_HINT = re.compile(
    r"TRANSFER|TFR|XFER|STO |PAY|PMT|ATM|CASH|W/D|LNK|FEE|CHARGE|INTEREST|DIVIDEND|CHECK|CHEQUE"
    r"|CHQ|DRAFT|ZELLE|VENMO|P2P|FASTER|OVERDRAFT|NSF|PYMT|INT "
)
"""A word any bank entry has; lines without one skip the entry patterns."""
FEE = re.compile(r"\b(?:FEES?|SURCHARGE|SERVICE\sCHARGE|INTEREST\sCHARGE|CHARGE\sON)\b")
FEE_NAMES = (
    (re.compile(r"\bATM\b"), "ATM Fee"),
    (re.compile(r"OVERDRAFT|\bOD\b|\bNSF\b|INSUFFICIENT|RETURNED\sITEM"), "Overdraft Fee"),
    (re.compile(r"\bLATE\b"), "Late Fee"),
    (re.compile(r"INTEREST\sCHARGE|CHARGE\sON\sPURCHASES"), "Interest Charge"),
    (re.compile(r"FOREIGN|\bINTL\b|INTERNATIONAL"), "Foreign Transaction Fee"),
    (re.compile(r"\bWIRE\b"), "Wire Transfer Fee"),
    (re.compile(r"\bANNUAL\b"), "Annual Fee"),
    (re.compile(r"MONTHLY|MAINTENANCE|SERVICE"), "Monthly Service Fee"),
)
INTEREST = re.compile(
    r"(?:INTEREST|DIVIDENDS?|INT)(?:\s(?:PAYMENT|EARNED|PAID|CREDIT|DEPOSIT|POSTED|THIS|PERIOD"
    r"|ON|SAVINGS|SHARES?|[\d/.-]+))*"
)
CARD_PAYMENT = re.compile(
    r".*\bPAYMENT\b[\s,-]*THANK\s?YOU|(?:\w+\s)?PAYMENT\sRECEIVED\b|.*PAYMENT\sTO\sCREDIT\sCARD"
    r"|(?:ONLINE\s|MOBILE\s|AUTOPAY\s|AUTOMATIC\s|INTERNET\s|ELECTRONIC\s)?(?:CREDIT\s)?CARD"
    r"\s(?:PAYMENT|PMT|PYMT)\b(?!\sTO\b)"
)
CARD_OF_BANK = re.compile(r"(?:ONLINE\s)?PAYMENT\sTO\s(.+?)\s(?:CREDIT\s)?CARD\sENDING")
ATM = re.compile(
    r"(?:NON-[\w\s&'-]+\s)?ATM\s(?:CASH\s)?(?:WITHDRAW\w*|W/D|WD|DISB\w*)|(?:ATM\s)?CASH\s"
    r"(?:WITHDRAWAL|WDL|DISB\w*)\b|W/D\sATM|ATM\s\w|LNK\s"
)
ATM_DEPOSIT = re.compile(r"ATM\sDEPOSIT|DEPOSIT\sATM")
TRANSFER = re.compile(
    r"(?:[A-Z]+\s){0,3}?(?:TRANSFER|TFR|XFER|STO)\s(?:[\d.X]+\s)?(TO|FROM)\b\s*(.*)"
)
SAVINGS = re.compile(r"\b(?:SAV\w*|SVG\w*|SHARES?|MMA|MONEY\sMARKET|ISA)\b")
CHECKING = re.compile(r"\b(?:CHE\w*|CHK\w*|CHQ|DDA|CURRENT)\b")
ACCOUNT = re.compile(r"\bACC(?:OUN)?T\b")
P2P = re.compile(
    r"(?:ZELLE|VENMO|CASH\sAPP|FASTER\sPAYMENTS?|BANK\sTRANSFER|P2P|APPLE\sCASH|POPMONEY)\b"
    r"(?:\s(?:PAYMENT|PMT|INSTANT|TRANSFER|SENT|RECEIVED|RECEIPT|DEBIT|CREDIT))*\s(?:TO|FROM)"
    r"\s(.+)"
)
P2P_END = re.compile(r"\s(?:ON|REF|CONF|MEMO|FOR|VIA|ID)\b|\s\S*\d")
FROM_COMPANY = re.compile(r"FASTER\sPAYMENTS?\sRECEIPT\b.*?\bFROM\s(.+)")
CHECK = re.compile(
    r"(CHECK|CHK|CHEQUE|CHQ|DRAFT|SHARE\sDRAFT)(?:\sPAID|\sCLEARED)?\s?(?:\#|NO\.?)?\s?(\d+)"
)
