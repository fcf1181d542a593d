"""The tiny template language question families are written in.

A template is text with three constructs::

    {slot}        filled from the household (a category, a period...) by the grammar
    [ ... ]       optional: kept or dropped at random; dropped slots take their defaults
    (a|b|c)       pick one of the alternatives (each may hold slots and brackets)

``parse`` turns a template into a small tree once; ``expand`` walks it with a random generator
and returns the pieces (literal text and slot names) of one phrasing. Alternatives and optional
parts whose slots cannot be filled for a household are skipped, so a template never asks for a
goal the household does not have.

Hand-written: the language is four symbols and no general-purpose template engine (Jinja,
string.Template) offers "pick one" or "maybe" with slot-aware pruning.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection
from dataclasses import dataclass

_TOKEN = re.compile(r"\{(\w+)\}|[\[\]()|]|[^{}\[\]()|]+")


class TemplateError(ValueError):
    """A template that does not parse (unbalanced brackets or braces)."""


@dataclass(frozen=True)
class Slot:
    """A ``{name}`` to fill."""

    name: str
    """Slot name, e.g. ``category``."""


@dataclass(frozen=True)
class Optional:
    """``[ ... ]``: its body is kept or dropped."""

    body: Sequence_
    """What is inside the brackets."""


@dataclass(frozen=True)
class Choice:
    """``(a|b)``: one alternative is taken."""

    options: tuple[Sequence_, ...]
    """The alternatives."""


Node = str | Slot | Optional | Choice
"""One element of a parsed template: literal text, a slot, an optional part or a choice."""
Sequence_ = tuple[Node, ...]
"""Elements one after another."""
Piece = str | Slot
"""One element of an expanded phrasing: literal text or a slot to fill."""


def parse(template: str) -> Sequence_:
    """Parse a template into its tree.

    Raises:
        TemplateError: Unbalanced ``[]``/``()``, a ``|`` outside parentheses or a stray brace.
    """
    tokens = [m.group(0) for m in _TOKEN.finditer(template)]
    if "".join(tokens) != template:
        raise TemplateError(f"template {template!r}: unbalanced braces")
    body, rest = _parse_seq(tokens, 0, template)
    if rest != len(tokens):
        raise TemplateError(f"template {template!r}: unexpected {tokens[rest]!r}")
    return body


def _parse_seq(tokens: list[str], at: int, template: str) -> tuple[Sequence_, int]:
    nodes: list[Node] = []
    while at < len(tokens):
        token = tokens[at]
        if token in ("]", ")", "|"):
            break
        if token == "[":
            body, at = _parse_seq(tokens, at + 1, template)
            _expect(tokens, at, "]", template)
            nodes.append(Optional(body))
        elif token == "(":
            options = []
            while True:
                option, at = _parse_seq(tokens, at + 1, template)
                options.append(option)
                if at < len(tokens) and tokens[at] == "|":
                    continue
                break
            _expect(tokens, at, ")", template)
            nodes.append(Choice(tuple(options)))
        elif token.startswith("{"):
            nodes.append(Slot(token[1:-1]))
        else:
            nodes.append(token)
        at += 1
    return tuple(nodes), at


def _expect(tokens: list[str], at: int, closing: str, template: str) -> None:
    if at >= len(tokens) or tokens[at] != closing:
        raise TemplateError(f"template {template!r}: missing {closing!r}")


def slots(tree: Sequence_) -> frozenset[str]:
    """Every slot name anywhere in the tree."""
    found: set[str] = set()
    for node in tree:
        if isinstance(node, Slot):
            found.add(node.name)
        elif isinstance(node, Optional):
            found |= slots(node.body)
        elif isinstance(node, Choice):
            for option in node.options:
                found |= slots(option)
    return frozenset(found)


def required_slots(tree: Sequence_) -> frozenset[str]:
    """Slots every expansion contains (outside optional parts and in every alternative)."""
    found: set[str] = set()
    for node in tree:
        if isinstance(node, Slot):
            found.add(node.name)
        elif isinstance(node, Choice):
            found |= frozenset.intersection(*(required_slots(o) for o in node.options))
    return frozenset(found)


def can_expand(tree: Sequence_, available: Collection[str]) -> bool:
    """Whether some expansion uses only ``available`` slots."""
    for node in tree:
        if isinstance(node, Slot) and node.name not in available:
            return False
        if isinstance(node, Choice) and not any(can_expand(o, available) for o in node.options):
            return False
    return True


def expand(
    tree: Sequence_, rng: random.Random, available: Collection[str], *, keep: float = 0.5
) -> list[Piece]:
    """One phrasing: choices taken and optional parts kept (with probability ``keep``) at random,
    using only ``available`` slots.

    Raises:
        TemplateError: No expansion uses only available slots (check ``can_expand`` first).
    """
    pieces: list[Piece] = []
    for node in tree:
        if isinstance(node, str | Slot):
            if isinstance(node, Slot) and node.name not in available:
                raise TemplateError(f"slot {{{node.name}}} cannot be filled")
            pieces.append(node)
        elif isinstance(node, Optional):
            if can_expand(node.body, available) and rng.random() < keep:
                pieces += expand(node.body, rng, available, keep=keep)
        else:
            options = [o for o in node.options if can_expand(o, available)]
            if not options:
                raise TemplateError("no alternative can be filled")
            pieces += expand(rng.choice(options), rng, available, keep=keep)
    return pieces
