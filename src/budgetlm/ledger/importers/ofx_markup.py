"""A tolerant reader of OFX markup (SGML 1.x and XML 2.x) into an element tree.

Why our own: ``ofxtools``' parser rejects or misreads what real banks send (see
``budgetlm.ledger.importers.ofx``) and keeps no positions. We take its catalogue of the OFX
schema (which tags are aggregates, which are data elements) and build the tree ourselves:

* Tags (any case, self-closing, CDATA, comments) are tokenized with their offsets.
* A tag followed by text is a data element whose end tag is optional (SGML). A tag without text
  is an aggregate when the schema says so (or, for an unknown tag such as ``<INTU.XXX>``, when
  its end tag occurs later), else an empty element. End tags close all opened since.
* Everything is linear in the file size and iterative, so hostile files cannot blow the stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from budgetlm.errors import InputError

__all__ = ["Node", "build_tree", "unescape"]

_MARKUP = re.compile(
    r"<[?!][^<>]*>|<(?P<close>/?)\s*(?P<tag>[A-Za-z][\w.:-]*)[^<>]*?(?P<empty>/?)>"
)
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " "}
_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(slots=True)
class Node:
    """One OFX element: an aggregate with children or a data element with text."""

    tag: str
    offset: int
    text: str | None = None
    children: list[Node] = field(default_factory=list)

    def find(self, tag: str) -> Node | None:
        """First child called ``tag``."""
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, *path: str) -> str | None:
        """Unescaped, stripped text of the element at ``path`` below this one, if not empty."""
        node: Node | None = self
        for tag in path:
            node = node.find(tag) if node else None
        return unescape(node.text) if node and node.text else None

    def iter(self, tags: frozenset[str]) -> Iterator[Node]:
        """Descendants whose tag is in ``tags``, in document order."""
        pending = self.children[::-1]
        while pending:  # a loop, not recursion: hostile files may nest deeply
            node = pending.pop()
            if node.tag in tags:
                yield node
            pending.extend(node.children[::-1])


@cache
def _schema() -> tuple[frozenset[str], frozenset[str]]:
    """OFX aggregate tags and data-element tags, from ofxtools' models."""
    import ofxtools.models
    from ofxtools.models.base import Aggregate

    classes = [getattr(ofxtools.models, name) for name in dir(ofxtools.models) if name.isupper()]
    aggregates = {c.__name__ for c in classes if isinstance(c, type) and issubclass(c, Aggregate)}
    names = {name.upper() for c in classes if isinstance(c, type) and issubclass(c, Aggregate)
             for name in c.spec}  # fmt: skip
    return frozenset(aggregates), frozenset(names - aggregates)


def build_tree(text: str, source: str) -> Node:
    """Element tree of the OFX body, closing the end tags SGML lets banks omit."""
    tokens = list(_tokens(text))
    _check_envelope(tokens, text, source)
    aggregates, elements = _schema()
    closed = {tag[1:] for _, tag, _ in tokens if tag.startswith("/")}
    root = Node("", 0)
    stack = [root]
    i = 0
    while i < len(tokens):
        offset, tag, value = tokens[i]
        i += 1
        if tag.startswith("/"):
            _close(stack, tag[1:])
            continue
        if not tag:  # text after an end tag or between aggregates: not data
            continue
        node = Node(tag, offset)
        following = tokens[i][1:] if i < len(tokens) and value is None else ("/", None)
        if following[0] == "" or following == ("/" + tag, None):  # <TAG>text or <TAG></TAG>
            node.text = following[1]
            i += 1
        elif value is None and (tag in aggregates or (tag not in elements and tag in closed)):
            _close(stack, tag)  # an aggregate never holds itself: its end tag was left out
            stack[-1].children.append(node)
            stack.append(node)
            continue
        stack[-1].children.append(node)
    return root


def _close(stack: list[Node], tag: str) -> None:
    """Close the innermost open ``tag`` and everything opened inside it, if it is open."""
    for depth in range(len(stack) - 1, 0, -1):
        if stack[depth].tag == tag:
            del stack[depth:]
            return


def _check_envelope(tokens: list[tuple[int, str, str | None]], text: str, source: str) -> None:
    """Refuse text without an ``<OFX>`` element, or cut off before ``</OFX>``."""
    tags = {tag for _, tag, _ in tokens}
    if "OFX" not in tags:
        raise InputError("not an OFX file: there is no <OFX> element", source=source)
    if "/OFX" not in tags:
        last_line = len(_BREAK.findall(text.rstrip())) + 1
        raise InputError(
            "the file ends before </OFX>: it looks truncated", source=source, line=last_line
        )


def _tokens(text: str) -> Iterator[tuple[int, str, str | None]]:
    """``(offset, tag, None)`` for tags (``/TAG`` for end tags), ``(offset, "", text)`` for text.

    A self-closing ``<TAG/>`` comes back as ``(offset, TAG, "")``: an element known to be empty.
    A ``<`` that starts no markup is text. An unterminated comment or CDATA ends the tokens.
    """
    position = cursor = 0  # start of pending text; where to look for the next "<"
    while (start := text.find("<", cursor)) >= 0:
        if text.startswith(("<!--", "<![CDATA["), start):  # str.find, not regex: stays linear
            cdata = text.startswith("<![", start)
            end = text.find("]]>" if cdata else "-->", start)
            if end < 0:
                return
            inner = text[start + 9 : end].strip() if cdata else ""
            markup: tuple[int, str, str | None] | None = (start, "", inner) if inner else None
            cursor = end + 3
        elif match := _MARKUP.match(text, start):
            cursor, markup = match.end(), None
            if tag := (match.group("tag") or "").upper():  # not <?...?> or <!...>
                if match.group("close"):
                    markup = (start, "/" + tag, None)
                else:
                    markup = (start, tag, "" if match.group("empty") else None)
        else:
            cursor = start + 1
            continue
        if between := text[position:start].strip():
            yield position, "", between
        if markup:
            yield markup
        position = cursor
    if rest := text[position:].strip():
        yield position, "", rest


def unescape(text: str) -> str:
    """Text with OFX's character entities replaced, stripped of surrounding whitespace."""
    return _ENTITY.sub(_entity, text).strip()


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if not name.startswith("#"):
        return _ENTITIES[name]
    code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else match.group(0)
