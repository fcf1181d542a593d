"""The question grammar: intent families -> question text and the canonical tool call.

``realize(family, template, setting, rng)`` expands one template (``template.py``), fills its
slots for the household (``slots.py``) and builds the ``ToolCall`` the question means. It is a
pure layer over a ``Vocabulary``, a ``today`` and a random generator: no tool runs here.

What a question leaves unsaid takes the group's (or family's) default (``families.yaml``):

- spending, income, net cash flow, top lists and budget status -> ``this_month``;
- averages -> ``last_n_months:12``; savings rate -> ``last_n_months:3``; unusual spending ->
  ``last_n_days:30``;
- optional arguments (``limit``, ``days``, affordability's period, debt ``strategy``) are left
  out of the call, and the tool applies its own default (5 items, 30 days, this month,
  avalanche);
- "compare X with the one before" -> ``other_period = before:X`` (or the named period it is:
  ``this_month`` -> ``last_month``, see ``period_pairs.step_back``).

Clarifications: a question that lacks something the tool needs (``clarify_*`` groups: "can I
afford it?") calls ``clarify`` with the missing field and keeps the call it is about as
``pending``; the answer turn completes it. When the household has exactly one goal (or one
account) there is nothing to ask: "how's my goal going?" calls ``goal_odds`` of that goal; with
no goal at all it calls ``goal_odds`` without one, and the tool says there is none.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from budgetlm.assistant.corpus.families import (
    Family,
    Group,
    Split,
    Template,
    question_groups,
    tool_group,
)
from budgetlm.assistant.corpus.period_pairs import step_back
from budgetlm.assistant.corpus.period_phrases import PeriodKind
from budgetlm.assistant.corpus.slots import Filled, Setting, fill_slots
from budgetlm.assistant.corpus.template import Slot, can_expand, expand
from budgetlm.assistant.tools import ToolCall, ToolError, validate_call

_ALWAYS = frozenset(
    {"period", "period_np", "month", "month_np", "avg_period", "afford_period", "other_period",
     "other_period_np", "amount", "min_amount", "max_amount", "extra", "limit", "days",
     "strategy", "thing", "unit"}
)  # fmt: skip
"""Slots every household can fill (the enum ones depend on its vocabulary)."""


@dataclass(frozen=True)
class Chunk:
    """A piece of question text: template words (``slot`` None) or a filled slot."""

    text: str
    """The words."""
    slot: str | None = None
    """Slot it fills, e.g. ``payee``; noise never garbles payees or digits."""


@dataclass(frozen=True)
class Question:
    """A user turn and the call it means."""

    chunks: tuple[Chunk, ...]
    """The clean text, piece by piece."""
    call: ToolCall
    """The canonical call."""
    family: Family
    """Family it came from."""
    template: Template
    """Template it came from."""
    pending: ToolCall | None = None
    """For a clarification: the call it is about, with the missing argument still absent."""

    @property
    def text(self) -> str:
        """The clean question."""
        return "".join(c.text for c in self.chunks)

    @property
    def split(self) -> Split:
        """Where the phrasing may be used."""
        return self.template.split


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([?,.!:;])", r"\1", text)


_DETERMINED = re.compile(r"(?i)\b(my|the|our|your|a|an) $")
_DETERMINER = re.compile(r"(?i)^(my|the|our|a|an) (?=\w)")


def _agree(before: str, slot_text: str) -> tuple[str, str]:
    """Fix the words where template text meets a filler: "my my rent" -> "my rent", "a
    insurance budget" -> "an insurance budget"."""
    if _DETERMINED.search(before):
        slot_text = _DETERMINER.sub("", slot_text)
        if re.search(r"(?i)\ba $", before) and slot_text[:1].lower() in "aeiou":
            before = before[:-2] + "an "
    return before, slot_text


def merge_chunks(chunks: list[Chunk]) -> tuple[Chunk, ...]:
    """Merge neighbouring template chunks and tidy spacing (no space before punctuation, no
    double spaces, none at either end); the first letter goes up."""
    merged: list[Chunk] = []
    for chunk in chunks:
        if chunk.slot is None and merged and merged[-1].slot is None:
            merged[-1] = Chunk(merged[-1].text + chunk.text)
        else:
            merged.append(chunk)
    tidy = [Chunk(_tidy(c.text), None) if c.slot is None else c for c in merged]
    tidy = [c for c in tidy if c.text]
    if tidy and tidy[0].slot is None:
        tidy[0] = Chunk(tidy[0].text.lstrip())
    if tidy and tidy[-1].slot is None:
        tidy[-1] = Chunk(tidy[-1].text.rstrip())
    if tidy:
        first = tidy[0]
        tidy[0] = Chunk(first.text[:1].upper() + first.text[1:], first.slot)
    return tuple(tidy)


def assemble(pieces: list[str | Slot], filled: Mapping[str, Filled]) -> tuple[Chunk, ...]:
    """Join expanded pieces and slot fillers into chunks with tidy spacing, first letter up."""
    chunks: list[Chunk] = []
    for piece in pieces:
        if isinstance(piece, Slot):
            text = filled[piece.name].text
            if chunks and chunks[-1].slot is None:
                before, text = _agree(_tidy(chunks[-1].text), text)
                chunks[-1] = Chunk(before)
            chunks.append(Chunk(text, piece.name))
        else:
            chunks.append(Chunk(piece))
    return merge_chunks(chunks)


def _arguments(filled: Mapping[str, Filled]) -> dict[str, object]:
    args: dict[str, object] = {}
    for slot in filled.values():
        args.update(slot.arguments)
    return args


def _with_defaults(args: dict[str, object], *defaults: Mapping[str, object]) -> dict[str, object]:
    out = dict(args)
    for table in defaults:
        for key, value in table.items():
            out.setdefault(key, value)
    return out


def _build_call(
    family: Family, group: Group, args: dict[str, object], setting: Setting
) -> tuple[ToolCall, ToolCall | None] | None:
    """The call (and pending call) of a question with these slot arguments; None if invalid."""
    if group.tool != "clarify":
        args = _with_defaults(args, family.defaults, group.defaults)
        if family.other_is_before and "other_period" not in args:
            other = step_back(str(args["period"]), setting.today, setting.earliest)
            if other is None:
                return None
            args["other_period"] = other
        return ToolCall(str(group.tool), args), None
    pending_tool = family.pending or group.pending
    missing = str(group.defaults["missing"])
    if pending_tool is None:
        return ToolCall("clarify", {"missing": missing}), None
    pending_args = _with_defaults(args, tool_group(pending_tool).defaults)
    vocab = setting.mentions.vocabulary
    choices = {"goal": vocab.goals, "account": vocab.accounts}.get(missing)
    if choices is not None and len(choices) <= 1:
        if choices:
            pending_args[missing] = choices[0]
        return ToolCall(pending_tool, pending_args), None
    return ToolCall("clarify", {"missing": missing}), ToolCall(pending_tool, pending_args)


def realize(
    family: Family,
    template: Template,
    setting: Setting,
    rng: random.Random,
    *,
    previous: Mapping[str, object] | None = None,
    period_kind: PeriodKind | None = None,
) -> tuple[tuple[Chunk, ...], dict[str, object]] | None:
    """Expand ``template`` and fill its slots: the chunks and the arguments they say.

    Args:
        family: The template's family.
        template: The template.
        setting: The household and day.
        rng: Random generator.
        previous: Arguments of the call a follow-up changes.
        period_kind: Periods a plain ``{period}`` takes (default: the group's).

    Returns None when the household cannot fill it (no goals, no second account...).
    """
    available = _ALWAYS | setting.mentions.available()
    if not can_expand(template.tree, available):
        return None
    pieces = expand(template.tree, rng, available)
    names = list(dict.fromkeys(p.name for p in pieces if isinstance(p, Slot)))
    group = _group_of(family)
    kind = period_kind or group.period_kind
    filled = fill_slots(names, setting, rng, period_kind=kind, previous=previous)
    if filled is None:
        return None
    return assemble(pieces, filled), _arguments(filled)


def _group_of(family: Family) -> Group:
    from budgetlm.assistant.corpus.families import followup_groups

    groups = question_groups()
    return groups[family.group] if family.group in groups else followup_groups()[family.group]


def question(
    family: Family, template: Template, setting: Setting, rng: random.Random
) -> Question | None:
    """A first question from ``template``, or None when this household cannot fill it."""
    made = realize(family, template, setting, rng)
    if made is None:
        return None
    chunks, args = made
    built = _build_call(family, _group_of(family), args, setting)
    if built is None:
        return None
    call, pending = built
    try:
        validate_call(call, setting.mentions.vocabulary)
    except ToolError:
        return None
    return Question(chunks, call, family, template, pending)


def sample_question(
    setting: Setting,
    rng: random.Random,
    allowed: Callable[[Template], bool],
    *,
    groups: Mapping[str, Group] | None = None,
) -> Question:
    """A question from a group drawn by weight, a family and template that ``allowed`` admits.

    Raises:
        RuntimeError: No allowed template can be filled for this household (after many tries).
    """
    groups = groups or question_groups()
    names = [g for g in groups if any(allowed(t) for f in groups[g].families for t in f.templates)]
    weights = [groups[g].weight for g in names]
    for _ in range(200):
        group = groups[rng.choices(names, weights)[0]]
        templates = [(f, t) for f in group.families for t in f.templates if allowed(t)]
        family, template = rng.choice(templates)
        made = question(family, template, setting, rng)
        if made is not None:
            return made
    raise RuntimeError("no question could be realized for this household")
