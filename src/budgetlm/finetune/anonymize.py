"""Remove personal data from ledger text before it is exported for training.

What goes, and what it becomes:

- e-mail addresses -> ``[email]``; phone numbers -> ``[phone]``;
- card and account numbers (``ending in 1234``, ``x1234``, ``****1234``, ``ACCT #5678``, long
  digit runs such as a 16-digit card number or an ACH id) -> ``[number]``; a store number
  (``Kroger #552``) is part of the merchant and stays;
- street addresses (``1420 Oak Ridge Dr``) -> ``[address]``;
- people's names where bank text names a person: the other side of a person-to-person transfer
  (``Zelle to Maria Lopez``, ``Venmo from J Park``) and the ACH account-holder field
  (``INDN:DOE JOHN``) -> ``Person 1``, ``Person 2``... the same name always the same pseudonym
  within one :class:`Anonymizer`, so a conversation about "Person 1" still adds up.

Merchant names are kept: they carry the meaning the model learns, and they are not personal.
A transfer between the user's own accounts (``Transfer to Savings``) keeps its account kind.

Written here rather than taken from a PII library: the general ones (Presidio, scrubadub) find
names with NER models that cannot be downloaded here, and would also erase merchant names; bank
text puts people in a few fixed places, which patterns find exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\d)")
_NUMBER = re.compile(
    r"(?:(?:ending(?:\s+in)?|acct|account|card|x|\*{2,})[\s#:.*-]*\d{4,}(?:[ -]\d{4})*"
    r"|(?<![\d-])\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}(?![\d-])"
    r"|(?<![\d-])\d{8,}(?![\d-]))",
    re.IGNORECASE,
)
_STREET_TYPES = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct|way|place|pl"
    "|terrace|ter|circle|cir|parkway|pkwy|highway|hwy"
)
_ADDRESS = re.compile(
    rf"(?<![\d/])\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Za-z]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-Za-z][A-Za-z'.-]*(?!\w)"
_NAME_END = r"(?:on|for|ref|memo|conf|id|via|at|rent)\b"
"""Words that end a name rather than continue it (``Zelle to Ana Ruiz for rent``)."""
_TRANSFER_NAME = re.compile(
    rf"\b(?:zelle|venmo|cash\s*app|paypal|transfer)"
    rf"(?:\s+(?:payment|pmt))?\s+(?:to|from)\s+"
    rf"((?!{_NAME_END}){_NAME_WORD}(?:\s+(?!{_NAME_END}){_NAME_WORD}){{0,2}})",
    re.IGNORECASE,
)
_HOLDER_NAME = re.compile(r"\bINDN:\s*([A-Za-z][A-Za-z ,.'-]*?)(?=\s{2,}|\s+CO\s*ID|\s+\w+:|$)")
_OWN_ACCOUNTS = frozenset(
    ("savings", "checking", "credit", "card", "brokerage", "account", "loan", "mortgage", "ira",
     "roth", "401k", "hsa", "my", "own", "chase", "visa", "amex", "mastercard", "discover",
     "sav", "sv", "chk", "che", "chq", "ck", "dda", "acct", "inv")
)  # fmt: skip
"""First words after "transfer to" that mean the user's own account, not a person."""


@dataclass(frozen=True)
class Removal:
    """One piece of personal data taken out of a text."""

    kind: str
    """``email``, ``phone``, ``number``, ``address`` or ``name``."""
    original: str
    """What it was."""
    replacement: str
    """What it became."""


class Anonymizer:
    """Replaces personal data in texts, with stable pseudonyms for people across texts."""

    def __init__(self) -> None:
        self._people: dict[str, str] = {}

    def pseudonym(self, name: str) -> str:
        """``Person N`` for a name (case and spacing do not matter)."""
        key = " ".join(name.casefold().split())
        if key not in self._people:
            self._people[key] = f"Person {len(self._people) + 1}"
        return self._people[key]

    def anonymize(self, text: str) -> tuple[str, list[Removal]]:
        """``text`` without personal data, and what was removed."""
        removed: list[Removal] = []

        def replace_all(pattern: re.Pattern[str], kind: str, token: str, value: str) -> str:
            def swap(match: re.Match[str]) -> str:
                removed.append(Removal(kind, match.group(), token))
                return token

            return pattern.sub(swap, value)

        text = replace_all(_EMAIL, "email", "[email]", text)
        text = replace_all(_PHONE, "phone", "[phone]", text)
        text = replace_all(_ADDRESS, "address", "[address]", text)
        text = replace_all(_NUMBER, "number", "[number]", text)
        for pattern in (_TRANSFER_NAME, _HOLDER_NAME):
            text = self._names(pattern, text, removed)
        return text, removed

    def _names(self, pattern: re.Pattern[str], text: str, removed: list[Removal]) -> str:
        def swap(match: re.Match[str]) -> str:
            name = match.group(1).strip(" ,.")
            if not name or name.split()[0].casefold() in _OWN_ACCOUNTS or name.startswith("["):
                return match.group()
            alias = self.pseudonym(name)
            removed.append(Removal("name", name, alias))
            start, end = match.start(1) - match.start(), match.start(1) - match.start() + len(name)
            whole = match.group()
            return whole[:start] + alias + whole[end:]

        return pattern.sub(swap, text)


def removal_report(samples: Iterable[str], anonymizer: Anonymizer | None = None) -> list[str]:
    """``before -> after`` lines for the samples that had personal data (for the export's
    privacy note)."""
    anonymizer = anonymizer or Anonymizer()
    lines = []
    for text in samples:
        clean, removed = anonymizer.anonymize(text)
        if removed:
            kinds = ", ".join(sorted({r.kind for r in removed}))
            lines.append(f"{text!r} -> {clean!r} ({kinds})")
    return lines
