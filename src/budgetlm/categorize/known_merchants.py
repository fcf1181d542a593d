"""Well-known merchant brands and the category each usually belongs to.

A model trained on one set of merchants has no way to know that ``SAFEWAY STORE 6351`` is a
supermarket or ``UBER *TRIP`` a ride: the name carries no category word. Real categorizers keep
a merchant database for this. ``known_merchants.yaml`` beside this module is ours: a few
thousand chains (groceries, restaurants, fuel, pharmacies, telecoms, airlines…) written from
general knowledge for budgetlm, each under one default category.

The category model reads a match as one more feature (``features.FeatureConfig.
known_merchants``) rather than as a rule, so the model learns how far to trust it, the text
can outweigh it, and a personal model with the user's own label set learns what each hint means
in their labels.

Matching: text is case-folded, apostrophes dropped and other punctuation read as spaces; the
longest run of whole words naming a brand wins (``"Whole Foods Market"`` over ``"Whole
Foods"``), the earliest on a tie. A single glued word also matches a multi-word brand
(``CHICKFILA``, ``BURGERKING``) when it has at least ``_MIN_GLUED`` letters.

Why hand-written: it is one dict lookup per word of the line (only words that start some brand
go further), which costs less than building an Aho-Corasick automaton would add as a dependency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import yaml

from budgetlm.ledger.taxonomy import default_categories

_WORD = re.compile(r"[a-z0-9]+")
_MIN_GLUED = 6
_MAX_CHARS = 256


@dataclass(frozen=True)
class KnownMerchants:
    """Brand names (as word tuples) and the category each belongs to."""

    brands: dict[tuple[str, ...], str]
    """Folded words of a brand name or alias -> category name."""
    glued: dict[str, str]
    """A multi-word brand written as one word -> category name."""
    longest: dict[str, int]
    """First word of some brand -> the most words any brand starting with it has."""

    @classmethod
    def from_lists(cls, lists: dict[str, Iterable[str]]) -> KnownMerchants:
        """Build from ``{category: ["Display Name | alias | alias", ...]}``.

        Raises:
            ValueError: A category missing from the taxonomy, an empty name, or one name
                under two categories.
        """
        known = {c.name for c in default_categories()}
        brands: dict[tuple[str, ...], str] = {}
        for category, items in lists.items():
            if category not in known:
                raise ValueError(f"unknown category {category!r} in known merchants")
            for item in items:
                for name in str(item).split("|"):
                    words = fold(name)
                    if not words:
                        raise ValueError(f"empty merchant name in {item!r} ({category})")
                    if brands.get(words, category) != category:
                        raise ValueError(
                            f"{name.strip()!r} is under both {brands[words]!r} and {category!r}"
                        )
                    brands[words] = category
        glued = {"".join(w): c for w, c in brands.items() if len(w) > 1}
        glued = {g: c for g, c in glued.items() if len(g) >= _MIN_GLUED and (g,) not in brands}
        longest: dict[str, int] = {}
        for words in brands:
            longest[words[0]] = max(longest.get(words[0], 0), len(words))
        return cls(brands, glued, longest)

    def category(self, text: str) -> str | None:
        """The category of the brand named in ``text``, or None."""
        words = fold(text[:_MAX_CHARS])
        best: tuple[int, str] | None = None  # (words matched, category)
        for start, word in enumerate(words):
            span = self.longest.get(word, 0)
            for n in range(min(span, len(words) - start), 0, -1):
                if best is not None and n <= best[0]:
                    break
                found = self.brands.get(tuple(words[start : start + n]))
                if found is not None:
                    best = (n, found)
                    break
            if best is None and word in self.glued:
                best = (1, self.glued[word])
        return None if best is None else best[1]


def fold(text: str) -> tuple[str, ...]:
    """Words of ``text`` as matching sees them.

    >>> fold("McDonald's #1234, San-Jose")
    ('mcdonalds', '0', 'san', 'jose')
    """
    lowered = text.lower().replace("'", "").replace("\u2019", "")
    return tuple("0" if w.isdigit() and len(w) > 2 else w for w in _WORD.findall(lowered))


@cache
def known_merchants() -> KnownMerchants:
    """The shipped list (``known_merchants.yaml``), loaded once."""
    source = resources.files("budgetlm.categorize").joinpath("known_merchants.yaml")
    data = yaml.load(
        source.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    if not isinstance(data, dict):
        raise ValueError("known_merchants.yaml is not a mapping of category -> merchants")
    return KnownMerchants.from_lists(data)


@lru_cache(maxsize=32768)
def known_category(text: str) -> str | None:
    """Category of the well-known brand named in ``text`` (a payee or a bank line), or None."""
    return known_merchants().category(text)
