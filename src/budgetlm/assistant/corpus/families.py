"""Question and follow-up families, loaded from YAML, and how they are split for evaluation.

A **group** gathers the families of one intent (``spending``, ``clarify_amount``, the follow-up
``fu_before``...). A **family** is one sentence construction with a few templates. Families are
split whole between train, validation and test, so evaluation measures phrasings the model never
saw, not just new fillers:

- per group, about 15% of the families go to validation and 15% to test (at least one each),
  chosen by a hash of the family id (stable across runs and machines); families listed under
  ``core`` always stay in train (the plainest phrasing of each intent);
- inside about a third of the train families with three or more templates, one template (again
  by hash) is held out for validation or test, to measure generalization within a family too.

A family never crosses splits; ``Template.split`` says where each template may be used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from budgetlm.assistant.corpus.period_phrases import PeriodKind
from budgetlm.assistant.corpus.template import Sequence_, parse

Split = Literal["train", "validation", "test"]
"""Where a family or template may be used."""
SPLITS: tuple[Split, ...] = ("train", "validation", "test")
"""Splits in output order."""
HELD_OUT_SHARE = 0.15
"""Share of each group's families held out for validation, and again for test."""


@dataclass(frozen=True)
class Template:
    """One template of a family."""

    id: str
    """``<group>.<family>.<n>``."""
    text: str
    """The template as written."""
    tree: Sequence_
    """Parsed form."""
    split: Split
    """Where it may be used."""


@dataclass(frozen=True)
class Family:
    """One sentence construction of a group."""

    id: str
    """``<group>.<family>``."""
    group: str
    """Its group's name."""
    templates: tuple[Template, ...]
    """Its templates."""
    split: Split
    """Where the family is used (its templates may be held out further)."""
    defaults: Mapping[str, object]
    """Arguments filled when the question leaves them out (over the group's)."""
    other_is_before: bool = False
    """Comparisons: the other period is the one before ``period``."""
    pending: str | None = None
    """Clarifications: the tool the question is about (overrides the group's)."""


@dataclass(frozen=True)
class Group:
    """The families of one intent."""

    name: str
    """Group name (a key of the YAML file)."""
    tool: str | None
    """Tool its questions call (None for follow-ups, which derive it from the previous call)."""
    weight: float
    """How often questions come from this group."""
    defaults: Mapping[str, object]
    """Arguments filled when a question leaves them out."""
    period_kind: PeriodKind
    """Which periods its ``{period}`` slot takes."""
    families: tuple[Family, ...]
    """Its families."""
    effect: str | None = None
    """Follow-ups: how the turn changes the previous call."""
    answer: str | None = None
    """Clarification answers: the missing argument the turn supplies."""
    pending: str | None = None
    """Clarifications: the tool the question is about."""


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16)


def split_families(group: str, names: list[str], core: set[str]) -> dict[str, Split]:
    """Split a group's families: ~15% validation, ~15% test (at least one each), core in train.

    Raises:
        ValueError: Fewer than two families outside ``core`` (nothing could be held out).
    """
    free = sorted((n for n in names if n not in core), key=lambda n: _hash(f"{group}.{n}"))
    held = max(1, round(HELD_OUT_SHARE * len(names)))
    if len(free) < 2 * held:
        raise ValueError(f"group {group}: too few non-core families to hold out ({len(free)})")
    out: dict[str, Split] = dict.fromkeys(names, "train")
    out.update(dict.fromkeys(free[:held], "validation"))
    out.update(dict.fromkeys(free[held : 2 * held], "test"))
    return out


def _templates(family_id: str, texts: list[str], split: Split) -> tuple[Template, ...]:
    held_out: dict[int, Split] = {}
    if split == "train" and len(texts) >= 3 and _hash(family_id) % 3 == 0:
        index = min(range(len(texts)), key=lambda i: _hash(f"{family_id}.{i}"))
        held_out[index] = "validation" if _hash(family_id) % 2 else "test"
    return tuple(
        Template(f"{family_id}.{i}", text, parse(text), held_out.get(i, split))
        for i, text in enumerate(texts)
    )


def _family(group: str, name: str, spec: Any, split: Split) -> Family:
    options: dict[str, Any] = spec if isinstance(spec, dict) else {"templates": spec}
    unknown = set(options) - {"templates", "defaults", "other_is_before", "pending"}
    if unknown:
        raise ValueError(f"family {group}.{name}: unknown keys {sorted(unknown)}")
    family_id = f"{group}.{name}"
    return Family(
        id=family_id,
        group=group,
        templates=_templates(family_id, [str(t) for t in options["templates"]], split),
        split=split,
        defaults=dict(options.get("defaults", {})),
        other_is_before=bool(options.get("other_is_before", False)),
        pending=options.get("pending"),
    )


def _group(name: str, spec: dict[str, Any]) -> Group:
    families = spec["families"]
    splits = split_families(name, list(families), set(spec.get("core", ())))
    return Group(
        name=name,
        tool=spec.get("tool"),
        weight=float(spec.get("weight", 1)),
        defaults=dict(spec.get("defaults", {})),
        period_kind=spec.get("period_kind", "any"),
        families=tuple(_family(name, f, families[f], splits[f]) for f in families),
        effect=spec.get("effect"),
        answer=spec.get("answer"),
        pending=spec.get("pending"),
    )


@cache
def load_groups(resource: str) -> Mapping[str, Group]:
    """The groups of a YAML file shipped in this package (``families.yaml``, ``followups.yaml``)."""
    text = resources.files(__package__).joinpath(resource).read_text("utf-8")
    return {name: _group(name, spec) for name, spec in yaml.safe_load(text).items()}


def question_groups() -> Mapping[str, Group]:
    """Groups of first questions (``families.yaml``)."""
    return load_groups("families.yaml")


def followup_groups() -> Mapping[str, Group]:
    """Groups of follow-ups and clarification answers (``followups.yaml``)."""
    return load_groups("followups.yaml")


def tool_group(tool: str) -> Group:
    """The question group of a tool (its defaults apply to calls of that tool)."""
    for group in question_groups().values():
        if group.tool == tool and group.pending is None:
            return group
    raise KeyError(f"no question group calls tool {tool!r}")
