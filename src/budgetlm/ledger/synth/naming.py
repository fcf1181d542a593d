"""Compositional merchant names, and how card terminals and ACH originators spell them.

A clean name such as ``Lucy's Coffee Co`` becomes terminal descriptors like ``LUCYS COFFEE CO``
or ``SQ *LUCY'S COFFEE``: upper case, apostrophes dropped or split, words abbreviated, a leading
"The" lost, sometimes vowels squeezed out, the way merchants set up their card terminals.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

_SLOT = re.compile(r"\{(\w+)\}")

_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "COMPANY": ("CO",), "MARKET": ("MKT", "MRKT"), "RESTAURANT": ("REST", "RESTAURAN"),
    "KITCHEN": ("KITCHN", "KTCHN"), "SUPERMARKET": ("SUPERMKT", "SPRMKT"),
    "PHARMACY": ("PHARM", "PHCY"), "CENTER": ("CTR", "CNTR"), "BROTHERS": ("BROS",),
    "INTERNATIONAL": ("INTL",), "SERVICES": ("SVCS", "SVC"), "SERVICE": ("SVC",),
    "HARDWARE": ("HDWR", "HDW"), "WAREHOUSE": ("WHSE",), "NORTH": ("N",), "SOUTH": ("S",),
    "STREET": ("ST",), "SAINT": ("ST",), "MOUNTAIN": ("MTN",), "AVENUE": ("AVE",),
    "ASSOCIATION": ("ASSN",), "MEDICAL": ("MED",), "DENTAL": ("DENT",), "FAMILY": ("FAM",),
    "AUTOMOTIVE": ("AUTO",), "INSURANCE": ("INS",), "MANAGEMENT": ("MGMT", "MGT"),
    "PROPERTY": ("PROP",), "PROPERTIES": ("PROP", "PROPS"), "APARTMENTS": ("APTS",),
    "DEPARTMENT": ("DEPT",), "UNIVERSITY": ("UNIV",), "COLLEGE": ("COLL",), "ELECTRIC": ("ELEC",),
    "COOPERATIVE": ("COOP", "CO-OP"), "UTILITIES": ("UTIL", "UTILS"),
    "COMMUNICATIONS": ("COMM", "COMMUNICATI"), "ESPRESSO": ("ESPRSSO",),
    "ROASTERS": ("ROASTERS", "RSTRS"), "BOUTIQUE": ("BTQ",), "FURNITURE": ("FURN",),
    "SUPPLY": ("SUP", "SPLY"), "GROCERY": ("GROC",), "BAKERY": ("BAKRY",), "FOODS": ("FDS",),
    "CLEANERS": ("CLNRS",), "FITNESS": ("FITNES", "FIT"), "VETERINARY": ("VET",),
    "HOSPITAL": ("HOSP",), "SOLUTIONS": ("SOLUTNS",), "GROUP": ("GRP",), "DISTRICT": ("DIST",),
    "COUNTY": ("CNTY",), "TREASURER": ("TREAS",), "REVENUE": ("REV",), "FINANCE": ("FIN",),
    "FINANCIAL": ("FIN",), "LENDING": ("LENDNG",), "MORTGAGE": ("MTG", "MORTG"),
    "SERVICING": ("SVCNG", "SVC"), "RETIREMENT": ("RETIRE", "RET"), "SYSTEM": ("SYS",),
}  # fmt: skip
_VOWELS = re.compile(r"(?<=[B-DF-HJ-NP-TV-Z])[AEIOU](?=[B-DF-HJ-NP-TV-Z])")


def compose(rng: random.Random, pattern: str, lists: Mapping[str, Sequence[str]]) -> str:
    """Fill a name pattern such as ``"{surname}'s {noun}"`` from word lists."""
    return _SLOT.sub(lambda m: rng.choice(lists[m.group(1)]), pattern)


def slug(text: str) -> str:
    """Lower-case ASCII slug for ids: ``Lucy's Coffee Co`` → ``lucys-coffee-co``."""
    folded = text.lower().replace("&", " and ").replace("'", "").replace("+", " plus ")
    return "-".join(re.findall(r"[a-z0-9]+", folded))


def terminal_name(name: str, rng: random.Random) -> str:
    """One way a merchant's card terminal might spell its clean ``name``."""
    text = name.upper().replace("É", "E")
    roll = rng.random()
    text = text.replace("'", "" if roll < 0.7 else (" " if roll < 0.8 else "'"))
    if text.startswith("THE ") and rng.random() < 0.5:
        text = text[4:]
    if "&" in text and rng.random() < 0.4:
        text = text.replace(" & ", rng.choice((" AND ", "&", " N ")))
    words = []
    for word in text.split():
        options = _ABBREVIATIONS.get(word.strip(".,"))
        words.append(rng.choice(options) if options and rng.random() < 0.45 else word)
    text = " ".join(words).replace("+", " PLUS" if rng.random() < 0.5 else "+")
    if len(text) > 14 and rng.random() < 0.06:
        text = _VOWELS.sub("", text)
    if rng.random() < 0.04:
        text = text.replace(" ", "")
    return text.replace(".", "" if rng.random() < 0.7 else ".")


def ach_company(name: str, rng: random.Random) -> str:
    """The 16-character NACHA company name an originator would register for ``name``."""
    text = terminal_name(name, rng)
    return text[:16].rstrip()


def store_suffix(rng: random.Random) -> str:
    """How a chain's terminals print their store number (``#0452``, ``STORE 452`` …)."""
    return rng.choice(
        (" #{store4}", " {store4}", " #{store3}", " STORE {store3}", " {store5}", "#{store4}")
    )


def online_locator(name: str, rng: random.Random) -> str:
    """Phone number or web address an online merchant prints instead of a city."""
    if rng.random() < 0.55:
        area = rng.choice(("800", "833", "844", "855", "866", "877", "888"))
        return f"{area}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    host = re.sub(r"[^A-Z0-9]", "", name.upper())[:14]
    return rng.choice((f"{host}.COM", f"WWW.{host}.COM", f"{host}.CO"))


def descriptors(name: str, scope: str, processor: str, rng: random.Random) -> tuple[str, ...]:
    """Terminal spellings of one merchant, most used first (1 to 3 of them)."""
    base = terminal_name(name, rng)
    alternate = terminal_name(name, rng)
    if scope == "chain":
        suffix = store_suffix(rng)
        out = [base + suffix, alternate + suffix, base]
    elif scope == "online":
        host = re.sub(r"[^A-Z0-9]", "", base) + ".COM"
        out = [f"{processor}{base}", host, base] if processor else [base, host]
    elif processor:
        out = [f"{processor}{base}", f"{processor}{alternate}", base]
    else:
        out = [base, alternate]
    return tuple(dict.fromkeys(out))
