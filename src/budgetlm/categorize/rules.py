"""User categorization rules: "when the payee contains X (and the amount is in a range, on this
account), the category is Y". Rules are the first layer of the categorizer and always win.

Matching is case-insensitive and ignores repeated spaces. ``contains`` and ``equals`` compare
plain text; ``regex`` searches with Python's ``re``. Amount bounds apply to the magnitude of the
amount (a $40 purchase and a $40 refund both have magnitude 40), inclusive. When several rules
match, the highest ``priority`` wins, then the rule made first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Literal

from budgetlm.categorize.normalize import normalize_payee
from budgetlm.categorize.records import TransactionText
from budgetlm.errors import InputError

RuleField = Literal["payee", "description"]
"""What a rule looks at: the normalized payee or the raw description."""
RuleMatch = Literal["contains", "equals", "regex"]
"""How the pattern is compared."""

MAX_PATTERN_LENGTH = 500
"""Longer patterns are refused (they are almost certainly pasted by mistake)."""


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Rule:
    """One categorization rule, validated when it is made."""

    category: str
    """Category to set when the rule matches."""
    pattern: str
    """Text (or regular expression) to look for."""
    field: RuleField = "description"
    """Look in the normalized payee or the raw description."""
    match: RuleMatch = "contains"
    """contains | equals | regex."""
    amount_min: Decimal | None = None
    """Smallest amount magnitude that matches, inclusive."""
    amount_max: Decimal | None = None
    """Largest amount magnitude that matches, inclusive."""
    account: str | None = None
    """Only transactions of this account (name, case-insensitive)."""
    priority: int = 0
    """Higher wins when several rules match."""

    def __post_init__(self) -> None:
        if not self.pattern.strip() or len(self.pattern) > MAX_PATTERN_LENGTH:
            raise InputError(
                f"a rule needs a pattern of 1 to {MAX_PATTERN_LENGTH} characters", source="pattern"
            )
        low, high = self.amount_min, self.amount_max
        if low is not None and high is not None and low > high:
            raise InputError("the smallest amount is above the largest", source="amount")
        if self.match == "regex":
            try:
                self._regex  # noqa: B018 (compiles once, so a bad pattern fails here)
            except re.error as exc:
                raise InputError(
                    f"not a valid regular expression: {exc}", source="pattern"
                ) from None

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        return re.compile(self.pattern, re.IGNORECASE) if self.match == "regex" else None

    def matches(self, text: TransactionText) -> bool:
        """Whether this rule applies to ``text``."""
        magnitude = abs(text.amount)
        if self.amount_min is not None and magnitude < self.amount_min:
            return False
        if self.amount_max is not None and magnitude > self.amount_max:
            return False
        if self.account is not None and _fold(text.account or "") != _fold(self.account):
            return False
        if self.field == "payee":
            subject = text.payee if text.payee is not None else normalize_payee(text.description)
        else:
            subject = text.description
        if self._regex is not None:
            return self._regex.search(subject) is not None
        if self.match == "equals":
            return _fold(subject) == _fold(self.pattern)
        return _fold(self.pattern) in _fold(subject)


def in_priority_order(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """``rules`` in the order they are tried: highest priority first, then the earliest made."""
    return tuple(rule for _, rule in sorted(enumerate(rules), key=lambda p: (-p[1].priority, p[0])))


def first_match(ordered_rules: Sequence[Rule], text: TransactionText) -> Rule | None:
    """The first rule (of rules already ``in_priority_order``) that applies to ``text``."""
    return next((rule for rule in ordered_rules if rule.matches(text)), None)
