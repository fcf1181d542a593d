"""Answers: templates filled from a tool result, checked, with a deterministic fallback.

The language model phrases an answer as a **template** with placeholders that code fills, so it
cannot invent a number: ``"You spent {total}{scope} {period}."`` becomes "You spent $412.37 on
Groceries from Oct 1 to Oct 31, 2026." Placeholders (``fill``):

- ``{period}`` the period label; ``{start}``/``{end}`` its first and last day;
- ``{scope}`` the filters as a phrase with a leading space (" on Groceries at Costco"), worded
  per tool in ``phrasings.yaml``, empty without filters;
- ``{category}``, ``{payee}``, ``{account}`` and any other filter by name;
- any figure of the result by name (``{total}``), then any argument (``{goal}``, ``{days}``);
- ``{rows}`` the rows as a short list ("Groceries $412.37, Dining Out $210.00 and 3 more");
- ``{message}`` the result's message;
- ``{name:noun}`` a count with its noun, pluralized with "s" ("1 bill", "3 bills").

Money is formatted with ``format_money``, percents as "12.5%", dates as "Nov 3, 2026". Figures
are floats in percent points (``change_percent`` 12.5 -> "12.5%") except the keys listed under
``fractions`` in the YAML (0.72 -> "72%"). Transaction text (payees, categories, accounts) is
data: it is cleaned of control characters, ``<``/``>`` become ``‹``/``›`` (so no chat token can
appear), and a name holding digits, ``$``, ``%``, quotes or braces is shown in double quotes.

``answer_text`` fills the model's template and keeps it only if every placeholder is known, the
text names the period and every filter, and ``guard`` (in ``budgetlm.assistant.guard``,
re-exported here) supports every number of it; otherwise it returns ``render``, the first
phrasing that fits the result (deterministic, and itself guarded).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from budgetlm.assistant.guard import GuardVerdict as GuardVerdict  # re-exported
from budgetlm.assistant.guard import amount_in_text
from budgetlm.assistant.guard import guard as guard  # re-exported
from budgetlm.assistant.periods import Period, format_date
from budgetlm.errors import BudgetlmError
from budgetlm.money import format_money

if TYPE_CHECKING:  # the tools package pulls in the analytics engines; answers need none of it
    from budgetlm.assistant.tools.base import ToolResult

MAX_ROWS_SHOWN = 10
"""Rows ``{rows}`` lists before it says "and N more"."""


class AnswerError(BudgetlmError):
    """A template that cannot be filled (unknown or valueless placeholder), or bad phrasings."""


@dataclass(frozen=True)
class CheckedAnswer:
    """The answer shown and why: the model's filled text, or the fallback."""

    text: str
    """What the user sees."""
    fallback: bool
    """True when ``render`` replaced the model's text."""
    problems: tuple[str, ...] = ()
    """Why the model's text was refused (empty when it was kept)."""


# --- Phrasings ------------------------------------------------------------------------------------

Templates = tuple[str, ...]


@dataclass(frozen=True)
class _ToolPhrasings:
    """One tool's entry of ``phrasings.yaml`` (see the comments at the top of that file)."""

    statuses: Mapping[str, Mapping[str | None, Templates]]
    """Templates by status, then by variant value (None: for every value)."""
    variant: str | None
    scope: Mapping[str, str]
    names_period: bool
    row: str | None


@dataclass(frozen=True)
class _Book:
    """``phrasings.yaml`` as read and checked."""

    tools: Mapping[str, _ToolPhrasings]
    defaults: Mapping[str, Templates]
    scope: Mapping[str, str]
    fractions: frozenset[str]
    ratios: frozenset[str]


@cache
def _book() -> _Book:
    """Load and check the packaged phrasings once."""
    text = resources.files("budgetlm.assistant").joinpath("phrasings.yaml").read_text("utf-8")
    data = _mapping(yaml.safe_load(text), "the file")
    scope = _strings(data.get("scope", {}), "scope")
    tools = {}
    for name, raw in _mapping(data.get("tools"), "tools").items():
        entry = _mapping(raw, f"tools.{name}")
        variant = entry.get("variant")
        statuses: dict[str, Mapping[str | None, Templates]] = {}
        for status in ("ok", "empty", "error"):
            if status in entry:
                where = f"tools.{name}.{status}"
                if variant is None or isinstance(entry[status], list):
                    statuses[status] = {None: _templates(entry[status], where)}
                else:
                    groups = _mapping(entry[status], where).items()
                    statuses[status] = {str(k): _templates(v, f"{where}.{k}") for k, v in groups}
        tools[str(name)] = _ToolPhrasings(
            statuses=statuses,
            variant=None if variant is None else str(variant),
            scope={**scope, **_strings(entry.get("scope", {}), f"tools.{name}.scope")},
            names_period=bool(entry.get("names_period", True)),
            row=None if entry.get("row") is None else str(entry["row"]),
        )
    defaults = {
        str(k): _templates(v, f"defaults.{k}")
        for k, v in _mapping(data.get("defaults", {}), "defaults").items()
    }
    return _Book(
        tools=tools,
        defaults=defaults,
        scope=scope,
        fractions=frozenset(_templates(data.get("fractions", []), "fractions")),
        ratios=frozenset(_templates(data.get("ratios", []), "ratios")),
    )


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise AnswerError(f"phrasings.yaml: {where} must be a mapping")
    return {str(k): v for k, v in value.items()}


def _strings(value: object, where: str) -> dict[str, str]:
    return {k: str(v) for k, v in _mapping(value, where).items()}


def _templates(value: object, where: str) -> Templates:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise AnswerError(f"phrasings.yaml: {where} must be a list of strings")
    return tuple(value)


def _entry(tool: str) -> _ToolPhrasings:
    """A tool's phrasings; an unknown tool (a call the registry refused) gets the defaults."""
    book = _book()
    return book.tools.get(tool) or _ToolPhrasings({}, None, book.scope, True, None)


def phrasings(tool: str, status: str, variant: str | None = None) -> tuple[str, ...]:
    """The answer templates of a tool for a result status, preferred first.

    Args:
        tool: Tool name.
        status: ``ok``, ``empty`` or ``error``.
        variant: For a tool whose wording depends on one value (``affordability``'s verdict),
            that value; None gives the templates of every variant.

    Raises:
        AnswerError: No phrasings for ``tool``.
    """
    if tool not in _book().tools:
        raise AnswerError(f"no phrasings for tool '{tool}'")
    groups = _entry(tool).statuses.get(status)
    if groups is not None and variant is None:
        return tuple(t for group in groups.values() for t in group)
    return _select(tool, status, variant)


def _select(tool: str, status: str, variant: str | None) -> Templates:
    """The templates for one variant value (None: a tool without variants, or no value)."""
    groups = _entry(tool).statuses.get(status)
    if groups is None:
        return _book().defaults.get(status, ())
    return groups.get(variant, groups.get(None, ()))


def result_phrasings(result: ToolResult) -> tuple[str, ...]:
    """The templates that fit ``result``: fillable, naming its period and filters, guarded.

    The corpus can use these as answer targets; ``render`` uses the first.
    """
    templates = _select(result.tool, result.status, _variant(result))
    return tuple(template for template in templates if not _check(template, result)[1])


def _variant(result: ToolResult) -> str | None:
    key = _entry(result.tool).variant
    if key is None:
        return None
    value = result.figures.get(key, result.arguments.get(key))
    return None if value is None else str(value)


# --- Filling --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z][A-Za-z ]*))?")


def fill(template: str, result: ToolResult) -> str:
    """Replace each ``{placeholder}`` of ``template`` with the result's value, formatted.

    Values are inserted in one pass, so braces inside data are never read as placeholders.

    Raises:
        AnswerError: A placeholder is unknown, has no value in this result (a figure that is
            None, ``{period}`` without a period) or has a noun on a value that is not a count.
    """
    return _fill(template, _values(result), result.tool)


def _fill(template: str, values: Mapping[str, object], tool: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = _NAME.fullmatch(match[1])
        if name is None or name[1] not in values:
            raise AnswerError(f"unknown placeholder {match[0]} for a {tool} result")
        value = values[name[1]]
        if value is None:
            raise AnswerError(f"placeholder {match[0]} has no value in this {tool} result")
        if name[2] is None:
            return _format(name[1], value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(f"placeholder {match[0]}: only a count takes a noun")
        return f"{value:,} {name[2]}{'' if value == 1 else 's'}"

    return _PLACEHOLDER.sub(replace, template)


class _Text(str):
    """Text already formatted for people (inserted as is, never shown as data)."""


def _values(result: ToolResult) -> dict[str, object]:
    """Every placeholder value of ``result``: formatted ``_Text``, or a raw value to format."""
    values: dict[str, object] = dict(result.arguments)
    for key, value in result.figures.items():
        values[key] = _Text(_one_line(value)) if isinstance(value, str) else value
    for key, value in result.filters.items():
        values[key] = _Text(_filter_text(key, value))
    values["scope"] = _Text(_scope(result))
    values["rows"] = _Text(_rows_text(result)) if result.rows else None
    values["message"] = _Text(result.message) if result.message else None
    if result.period is not None:
        values["period"] = _Text(result.period.label())
        values["start"], values["end"] = result.period.start, result.period.end
    else:
        values["period"] = values["start"] = values["end"] = None
    return values


def _format(key: str, value: object) -> str:
    """A value for people: money, percent, ratio, count, date, period label or text."""
    book = _book()
    if isinstance(value, _Text):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if key in book.ratios:
            return f"{value:g} times"
        points = value * 100 if key in book.fractions else value
        return _percent(Decimal(repr(points)))
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Period):
        return value.label()
    return show_data(str(value))


def _percent(points: Decimal) -> str:
    rounded = points.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".removesuffix(".0")
    return f"{'0' if text == '-0' else text}%"


def show_data(text: str) -> str:
    """Text from the ledger as shown in an answer: ``_one_line``, and in double quotes when it
    holds digits, ``$``, ``%``, quotes or braces (so it reads as a name, not a claim)."""
    clean = _one_line(text)
    if re.search(r'[0-9$%"{}]', clean):
        return json.dumps(clean, ensure_ascii=False)
    return clean


def _one_line(text: str) -> str:
    """One printable line with ``<``/``>`` as ``‹``/``›``, so no chat token can appear."""
    clean = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return clean.replace("<", "‹").replace(">", "›")


def _filter_text(key: str, value: str) -> str:
    amount = amount_in_text(key, value)
    return format_money(amount) if amount is not None else show_data(value)


def _scope(result: ToolResult) -> str:
    """The filters as a phrase (" on Groceries at Costco"), worded per tool."""
    words = _entry(result.tool).scope
    phrase = ""
    for key, value in result.filters.items():
        pattern = words.get(key, f"with {key} {{{key}}}")
        phrase += " " + pattern.replace(f"{{{key}}}", _filter_text(key, value))
    return phrase


def _rows_text(result: ToolResult) -> str:
    """Rows as a short list: "Groceries $412.37 (35.2%), Dining Out $210.00 (18%) and 3 more"."""
    template = _entry(result.tool).row
    items = []
    for row in result.rows[:MAX_ROWS_SHOWN]:
        try:
            items.append(_fill(template, row, result.tool) if template else _row_text(row))
        except AnswerError:
            items.append(_row_text(row))
    more = len(result.rows) - len(items)
    return ", ".join(items) + (f" and {more} more" if more else "")


def _row_text(row: Mapping[str, object]) -> str:
    """A row without a template: its first name, amount, date and percent, as present."""
    book = _book()
    label = next((v for v in row.values() if isinstance(v, str) and v), None)
    amount = next((v for v in row.values() if isinstance(v, Decimal)), None)
    day = next((v for v in row.values() if isinstance(v, date)), None)
    share = next(
        ((k, v) for k, v in row.items() if isinstance(v, float) and k not in book.ratios), None
    )
    parts = [show_data(label) if label else "(unnamed)"]
    if amount is not None:
        parts.append(format_money(amount))
    if day is not None:
        parts.append(f"on {format_date(day)}")
    if share is not None:
        parts.append(f"({_format(*share)})")
    return " ".join(parts)


# --- Rendering and checking -----------------------------------------------------------------------


def render(result: ToolResult) -> str:
    """The plain deterministic answer: the first phrasing that fits ``result``.

    When none fits (a result shape the phrasings do not cover) it is the result's message, or
    else its figures listed by name: there is always an answer, and its numbers are the result's.
    """
    for template in _select(result.tool, result.status, _variant(result)):
        text, problems = _check(template, result)
        if not problems:
            return text
    if result.message:
        return result.message
    parts = [
        f"{key.replace('_', ' ')} {_format(key, value)}"
        for key, value in result.figures.items()
        if value is not None
    ]
    period = f" {result.period.label()}" if result.period else ""
    return f"Here is what I found{period}{_scope(result)}: {'; '.join(parts) or 'nothing'}."


def checked_answer(model_text: str, result: ToolResult) -> CheckedAnswer:
    """Fill and check the model's answer template; fall back to ``render`` when it fails.

    The model's text is refused when it is empty, has an unknown or valueless placeholder, holds
    a number the guard does not support, or leaves out the period or a filter of the result.
    """
    if not model_text.strip():
        return CheckedAnswer(render(result), True, ("the answer is empty",))
    text, problems = _check(model_text.strip(), result)
    if problems:
        return CheckedAnswer(render(result), True, problems)
    return CheckedAnswer(text, False)


def answer_text(model_text: str, result: ToolResult) -> str:
    """The model's answer filled and guarded, else ``render(result)`` (see ``checked_answer``)."""
    return checked_answer(model_text, result).text


def _check(template: str, result: ToolResult) -> tuple[str, tuple[str, ...]]:
    """``template`` filled from ``result``, and why it may not be shown (empty when it may)."""
    try:
        text = fill(template, result)
    except AnswerError as exc:
        return "", (str(exc),)
    return text, guard(text, result).problems + _missing_scope(text, result)


def _missing_scope(text: str, result: ToolResult) -> tuple[str, ...]:
    """What of the period and filters an answer fails to name (errors need not name them)."""
    if result.status == "error":
        return ()
    lowered = text.casefold()
    missing = []
    period = result.period if _entry(result.tool).names_period else None
    if period is not None and period.label().casefold() not in lowered:
        missing.append(f"the answer does not name the period ({period.label()})")
    for key, value in result.filters.items():
        shown = _filter_text(key, value)
        if shown.casefold() not in lowered and value.casefold() not in lowered:
            missing.append(f"the answer does not name the {key} ({value})")
    return tuple(missing)
