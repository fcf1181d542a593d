"""Follow-up turns: what a user says after an answer, and the call it means.

A follow-up changes the previous call (``followups.yaml`` names the effect of each group):

- ``before``: "and the month before?" -> same tool, ``period = before:<previous period>``
  (``last_month`` after ``this_month``: one spec per period, see ``period_pairs.step_back``);
- ``period`` / ``category`` / ``payee`` / ``account`` / ``limit`` / ``amount`` / ``days`` /
  ``goal`` / ``strategy``: "what about dining out?" -> that argument swapped (a new category
  drops a payee filter and the other way round, as the user moved to another subject);
- ``overall``: "and overall?" -> category, payee and account filters dropped;
- ``compare``: after a spending answer, "how does that compare to last year?" ->
  ``compare_spending`` of the previous period against the new one, same filters;
- ``budget``: "am I over budget on that?" -> ``budget_status`` of that category and month;
- ``normal``: "is that normal?" -> ``average_per_month`` of the same category or payee.

A clarification answer ("about $300", "the vacation one") completes the pending call of a
``clarify`` turn with the missing argument.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from budgetlm.assistant.corpus.families import (
    Family,
    Group,
    Template,
    followup_groups,
    tool_group,
)
from budgetlm.assistant.corpus.grammar import Question, realize
from budgetlm.assistant.corpus.period_pairs import step_back
from budgetlm.assistant.corpus.period_phrases import PeriodKind
from budgetlm.assistant.corpus.slots import Setting
from budgetlm.assistant.tools import TOOLS, ToolCall, ToolError, validate_call

_MONTHLY = ("this_month", "last_month", "month:")
"""Period specs that are one calendar month (what a budget is kept for)."""
_FILTERS = ("category", "payee", "account")
_PERIOD_KINDS: Mapping[str, PeriodKind] = {"budget_status": "month", "average_per_month": "average"}
"""Periods a follow-up may move these tools to (others: their question group's kind)."""


def _params(tool: str) -> set[str]:
    return {p.name for p in TOOLS[tool].params}


def _swap(name: str, drops: tuple[str, ...] = ()) -> Effect:
    def apply(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
        if name not in _params(prev.name) or name not in args:
            return None
        kept = {k: v for k, v in prev.arguments.items() if k not in drops}
        return ToolCall(prev.name, {**kept, name: args[name]})

    return apply


def _before(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
    period = prev.arguments.get("period")
    if prev.name in ("compare_spending", "affordability") or not isinstance(period, str):
        return None
    stepped = step_back(period, setting.today, setting.earliest)
    return None if stepped is None else ToolCall(prev.name, {**prev.arguments, "period": stepped})


def _period(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
    if prev.name in ("compare_spending", "affordability") or "period" not in _params(prev.name):
        return None
    new = args.get("period")
    if prev.name == "budget_status" and not str(new).startswith(_MONTHLY):
        return None
    return ToolCall(prev.name, {**prev.arguments, "period": new})


def _overall(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
    if prev.name not in ("spending", "average_per_month", "compare_spending", "top_payees"):
        return None
    if not any(k in prev.arguments for k in _FILTERS):
        return None
    return ToolCall(prev.name, {k: v for k, v in prev.arguments.items() if k not in _FILTERS})


def _compare(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
    if prev.name != "spending" or "account" in prev.arguments or "other_period" not in args:
        return None
    return ToolCall("compare_spending", {**prev.arguments, "other_period": args["other_period"]})


def _budget(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
    period = str(prev.arguments.get("period", ""))
    if prev.name != "spending" or set(prev.arguments) != {"period", "category"}:
        return None
    if not period.startswith(_MONTHLY):
        return None
    return ToolCall("budget_status", dict(prev.arguments))


def _normal(prev: ToolCall, args: Mapping[str, object], setting: Setting) -> ToolCall | None:
    if prev.name != "spending" or "account" in prev.arguments:
        return None
    filters = {k: v for k, v in prev.arguments.items() if k in ("category", "payee")}
    if not filters:
        return None
    return ToolCall("average_per_month", {"period": "last_n_months:12", **filters})


Effect = Callable[[ToolCall, Mapping[str, object], Setting], "ToolCall | None"]
"""(previous call, the follow-up's slot arguments, household) -> the new call, or None when
the follow-up does not apply to that call."""

EFFECTS: Mapping[str, Effect] = {
    "before": _before,
    "period": _period,
    "category": _swap("category", drops=("payee",)),
    "payee": _swap("payee", drops=("category",)),
    "account": _swap("account"),
    "limit": _swap("limit"),
    "amount": _swap("amount"),
    "days": _swap("days"),
    "goal": _swap("goal"),
    "strategy": _swap("strategy"),
    "overall": _overall,
    "compare": _compare,
    "budget": _budget,
    "normal": _normal,
}
"""Every follow-up effect by name."""


def _valid(call: ToolCall, setting: Setting) -> bool:
    try:
        validate_call(call, setting.mentions.vocabulary)
    except ToolError:
        return False
    return True


def follow_up(
    family: Family, template: Template, prev: ToolCall, setting: Setting, rng: random.Random
) -> Question | None:
    """The follow-up turn of ``template`` after ``prev``, or None when it does not apply."""
    group = followup_groups()[family.group]
    if group.effect is None:
        return None
    kind = _PERIOD_KINDS.get(prev.name) or tool_group(prev.name).period_kind
    made = realize(family, template, setting, rng, previous=prev.arguments, period_kind=kind)
    if made is None:
        return None
    chunks, args = made
    call = EFFECTS[group.effect](prev, args, setting)
    if call is None or call == prev or not _valid(call, setting):
        return None
    return Question(chunks, call, family, template)


def clarification_answer(
    family: Family, template: Template, pending: ToolCall, setting: Setting, rng: random.Random
) -> Question | None:
    """The user's answer to a clarifying question: ``pending`` completed, or None if invalid."""
    group = followup_groups()[family.group]
    made = realize(family, template, setting, rng)
    if made is None or group.answer is None:
        return None
    chunks, args = made
    missing = ("period", "other_period") if group.answer == "period" else (group.answer,)
    if any(m not in args for m in missing):
        return None
    call = ToolCall(pending.name, {**pending.arguments, **{m: args[m] for m in missing}})
    return Question(chunks, call, family, template) if _valid(call, setting) else None


def answer_group(missing: str) -> Group:
    """The group of answers that supply ``missing``."""
    for group in followup_groups().values():
        if group.answer == missing:
            return group
    raise KeyError(f"no answers supply {missing!r}")


def effect_groups() -> tuple[Group, ...]:
    """The follow-up groups that change a previous call."""
    return tuple(g for g in followup_groups().values() if g.effect)
