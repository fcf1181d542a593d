"""The default category taxonomy and how outside labels map onto it.

The categories themselves are data (``taxonomy.yaml``); this module loads them once and answers
"which of our categories is this label?" for category names, other apps' synonyms and Plaid
personal-finance-category detailed codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml

CategoryGroup = Literal["need", "want", "savings", "income", "transfer"]
"""Where a category sits in the 50/30/20 frame; transfers move money without spending it."""

_GROUPS: frozenset[str] = frozenset({"need", "want", "savings", "income", "transfer"})


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """One category of the default taxonomy."""

    name: str
    """Display name, unique in a workspace (e.g. ``Dining Out``)."""
    group: CategoryGroup
    """50/30/20 group."""
    plaid_codes: tuple[str, ...]
    """Plaid PFC detailed codes mapped to this category; the first is its own code."""
    synonyms: tuple[str, ...]
    """Other names for it, used when importing other apps' exports."""

    @property
    def plaid_code(self) -> str:
        """The category's own Plaid PFC detailed code."""
        return self.plaid_codes[0]


def label_key(label: str) -> str:
    """Fold a category label for comparison: case, punctuation, '&'/'and' and spacing ignored.

    >>> label_key("Food & Dining") == label_key("food and dining")
    True
    """
    folded = label.casefold().replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", folded))


@cache
def default_categories() -> tuple[CategorySpec, ...]:
    """The default taxonomy, in display order."""
    text = resources.files("budgetlm.ledger").joinpath("taxonomy.yaml").read_text("utf-8")
    specs = []
    for entry in yaml.safe_load(text)["categories"]:
        if entry["group"] not in _GROUPS:
            raise ValueError(f"taxonomy.yaml: {entry['name']}: unknown group {entry['group']!r}")
        specs.append(
            CategorySpec(
                name=entry["name"],
                group=entry["group"],
                plaid_codes=tuple(entry["plaid"]),
                synonyms=tuple(entry.get("synonyms", ())),
            )
        )
    return tuple(specs)


@cache
def _label_index() -> dict[str, CategorySpec]:
    index: dict[str, CategorySpec] = {}
    for spec in default_categories():
        for label in (spec.name, *spec.synonyms, *spec.plaid_codes):
            index.setdefault(label_key(label), spec)
    return index


def match_default_category(label: str) -> CategorySpec | None:
    """The default category a foreign label means, or None when we cannot tell.

    Matches our names, common synonyms from other budgeting apps, and Plaid PFC detailed codes.
    A Mint/Monarch-style ``Parent: Child`` or ``Parent > Child`` label is tried child first.

    Args:
        label: Category text from a file, e.g. ``"Restaurants"`` or ``"FOOD_AND_DRINK_COFFEE"``.
    """
    index = _label_index()
    parts = [p for p in re.split(r"\s*(?::|>|/|\u2022)\s*", label) if p.strip()]
    for candidate in (label, *reversed(parts)):
        spec = index.get(label_key(candidate))
        if spec is not None:
            return spec
    return None


def category_for_plaid_code(code: str) -> CategorySpec | None:
    """The default category a Plaid PFC detailed code maps to."""
    code = code.strip().upper()
    for spec in default_categories():
        if code in spec.plaid_codes:
            return spec
    return None
