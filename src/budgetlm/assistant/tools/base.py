"""The shapes every assistant tool shares: vocabulary, context, calls, results, parameters.

A tool is a name, a description, typed parameters and a pure function ``(ToolContext,
arguments) -> ToolResult``. The model writes a ``ToolCall`` (canonical JSON text); code
validates and executes it (``registry.execute``) and hands the model the result's compact
``to_prompt`` text. Figures in a result are computed by code: ``Decimal`` money, ``int``
counts, ``date``, ``str`` and ``float`` ratios.

``ToolContext`` memoizes what several tools derive from the same history (the transactions up
to today, the recurring series, the unusual-spending flags) in ``cached_property`` attributes:
computed once on first use, never changed after, so calls stay pure functions of the context.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from budgetlm.errors import BudgetlmError

if TYPE_CHECKING:
    from budgetlm.analytics.anomalies import Anomaly
    from budgetlm.analytics.debt import DebtTerms
    from budgetlm.analytics.goals import SavingsGoal
    from budgetlm.analytics.history import History
    from budgetlm.analytics.months import MonthlyBudget
    from budgetlm.analytics.records import CategoryGroup, RecurringSeries, Txn
    from budgetlm.assistant.periods import Period

Status = Literal["ok", "empty", "error"]
"""``ok``: figures answer the question; ``empty``: nothing matched (figures are zeros or None
and the message says why); ``error``: the call could not run (the message says what to fix)."""

ParamKind = Literal[
    "period", "category", "payee", "account", "goal", "amount", "limit", "days", "strategy",
    "missing", "reason",
]  # fmt: skip
"""What a parameter holds; ``schema.param_schema`` turns each kind into a JSON schema."""

PROMPT_CHARS = 400
"""Target length of ``ToolResult.to_prompt`` (figures always fit; rows are added while they do)."""
_PROMPT_TEXT_CHARS = 40
"""Longest string value (payee, category) copied into ``to_prompt``; longer ones are cut."""


class ToolError(BudgetlmError):
    """A tool call that cannot run: unknown tool, bad or missing argument.

    Args:
        message: What is wrong, in plain words.
        argument: The argument at fault, when one is.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        self.message = message
        self.argument = argument
        super().__init__(f"argument '{argument}': {message}" if argument else message)


@dataclass(frozen=True)
class Vocabulary:
    """The user's own names: the values the tools' enum parameters accept."""

    categories: tuple[str, ...] = ()
    """Category names of the workspace, in the ledger's order."""
    accounts: tuple[str, ...] = ()
    """Account names."""
    payees: tuple[str, ...] = ()
    """Distinct normalized payees, most frequent first (capped, see ``context.PAYEE_LIMIT``)."""
    goals: tuple[str, ...] = ()
    """Savings goal names."""
    debts: tuple[str, ...] = ()
    """Debt names."""


@dataclass(frozen=True)
class ToolContext:
    """Everything the tools read: one household's history and plans, as of ``today``.

    Build it with ``context.load_context`` (a ledger), ``context.context_from_household`` (a
    synthetic household) or ``context.make_context`` (a hand-built history).
    """

    history: History
    """Transactions (oldest first) and accounts."""
    today: date
    """The day questions are asked; transactions after it are ignored."""
    budgets: tuple[MonthlyBudget, ...]
    """Monthly budgets of every month known."""
    goals: tuple[SavingsGoal, ...]
    """Savings goals."""
    debts: tuple[DebtTerms, ...]
    """Debts with their terms."""
    vocabulary: Vocabulary
    """The names enum parameters accept."""
    earliest: date
    """First day of the history (today when there is none): where ``all`` starts."""

    @cached_property
    def past(self) -> tuple[Txn, ...]:
        """Transactions dated on or before ``today``, oldest first."""
        return tuple(t for t in self.history.transactions if t.date <= self.today)

    @cached_property
    def _ordinals(self) -> list[int]:
        return [t.date.toordinal() for t in self.past]

    def between(self, start: date, end: date) -> Sequence[Txn]:
        """Transactions dated ``start..end`` (inclusive, at most today), oldest first."""
        low = bisect_left(self._ordinals, start.toordinal())
        high = bisect_right(self._ordinals, end.toordinal())
        return self.past[low:high]

    @cached_property
    def category_groups(self) -> dict[str, CategoryGroup]:
        """The group of each category seen in the history."""
        return {t.category: t.group for t in self.past if t.category and t.group}

    @cached_property
    def recurring(self) -> tuple[RecurringSeries, ...]:
        """Recurring series found in the history up to today (``analytics.recurring``)."""
        from budgetlm.analytics.recurring import find_recurring

        return tuple(find_recurring(self.past, self.today))

    @cached_property
    def anomalies(self) -> tuple[Anomaly, ...]:
        """Unusual-spending flags over the whole history, most severe first.

        The rules judge each transaction only against earlier ones, so the flags of any period
        are these flags filtered by date. The IsolationForest tie-break score is skipped (it is
        most of the cost and never raises or drops a flag; see ``analytics.anomalies``).
        """
        from budgetlm.analytics.anomalies import AnomalyConfig, find_anomalies

        config = AnomalyConfig(isolation=False)
        found = find_anomalies(self.past, self.today, recurring=self.recurring, config=config)
        return tuple(found)


@dataclass(frozen=True)
class ToolCall:
    """A tool call as the model writes it: ``{"name": ..., "arguments": {...}}``."""

    name: str
    """Tool name (a key of ``registry.TOOLS``)."""
    arguments: Mapping[str, object]
    """Arguments as JSON values."""

    def to_json(self) -> str:
        """The canonical text: arguments in the tool's parameter order (unknown ones after, as
        given), ``json.dumps`` default separators, non-ASCII kept, whole floats written as
        integers (``50``, not ``50.0``)."""
        ordered = {key: _canonical_number(self.arguments[key]) for key in self._order()}
        return json.dumps({"name": self.name, "arguments": ordered}, ensure_ascii=False)

    def _order(self) -> list[str]:
        from budgetlm.assistant.tools.registry import TOOLS

        tool = TOOLS.get(self.name)
        known = [p.name for p in tool.params if p.name in self.arguments] if tool else []
        return known + [key for key in self.arguments if key not in known]

    @classmethod
    def parse(cls, text: str) -> ToolCall:
        """Read a call from JSON text (missing ``arguments`` means none).

        Raises:
            ToolError: Not JSON, not an object, no string ``name``, non-object ``arguments``
                or other keys.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ToolError(
                f"the tool call is not JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(data, dict):
            raise ToolError("the tool call must be a JSON object")
        extra = sorted(set(data) - {"name", "arguments"})
        if extra:
            raise ToolError(f"the tool call has unexpected keys: {', '.join(extra)}")
        name, arguments = data.get("name"), data.get("arguments", {})
        if not isinstance(name, str):
            raise ToolError("the tool call needs a string 'name'")
        if not isinstance(arguments, dict):
            raise ToolError("the tool call's 'arguments' must be a JSON object")
        return cls(name, arguments)


def _canonical_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


@dataclass(frozen=True)
class ToolResult:
    """What a tool found, with the period and filters it applied."""

    tool: str
    """The tool that ran."""
    arguments: dict[str, object]
    """The arguments used, defaults filled in, in canonical order."""
    period: Period | None
    """The resolved period (None for tools without one)."""
    filters: dict[str, str]
    """Filters applied, by argument name (``category``, ``payee``, ``account``...)."""
    figures: dict[str, object]
    """The numbers and words the answer needs; each tool documents its keys."""
    rows: tuple[dict[str, object], ...] = ()
    """Line items (top categories, bills, transactions...), each tool documents their keys."""
    status: Status = "ok"
    """See ``Status``."""
    message: str = ""
    """Plain words about the result: why it is empty, what failed, the reasons of a verdict."""

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (Decimal as text such as ``"412.37"``, dates as ISO text)."""
        return {
            "tool": self.tool,
            "arguments": jsonable(self.arguments),
            "status": self.status,
            "message": self.message,
            "period": None if self.period is None else self.period.to_json(),
            "filters": dict(self.filters),
            "figures": jsonable(self.figures),
            "rows": jsonable(list(self.rows)),
        }

    def to_prompt(self) -> str:
        """Compact JSON for the model's ``<tool_response>``: status, period label, filters,
        figures, then the message and as many rows as fit in about ``PROMPT_CHARS``.

        Transaction text (payees, categories) only ever appears here as JSON string values,
        cut to ``_PROMPT_TEXT_CHARS`` characters.
        """
        data: dict[str, object] = {"status": self.status}
        if self.period is not None:
            data["period"] = self.period.label()
        if self.filters:
            data["filters"] = _prompt_values(self.filters)
        data["figures"] = _prompt_values(self.figures)
        if self.message:
            room = PROMPT_CHARS - len(_compact(data)) - len(',"message":""')
            data["message"] = _cut(self.message, max(room, 60))
        rows: list[dict[str, object]] = []
        data["rows"] = rows
        for row in self.rows:
            rows.append(_prompt_values(row))
            if len(_compact(data)) > PROMPT_CHARS:
                rows.pop()
                break
        if not rows:
            del data["rows"]
        return _compact(data)


def jsonable(value: object) -> object:
    """``value`` with Decimal as text, dates as ISO text, tuples as lists (recursively)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _prompt_values(values: Mapping[str, object]) -> dict[str, object]:
    """One flat mapping made JSON-ready, long strings cut."""
    out: dict[str, object] = {}
    for key, value in values.items():
        value = jsonable(value)
        out[key] = _cut(value, _PROMPT_TEXT_CHARS) if isinstance(value, str) else value
    return out


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compact(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# --- Tools and their parameters -----------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One argument of a tool."""

    name: str
    """Argument name."""
    kind: ParamKind
    """What it holds (its JSON schema follows from this)."""
    description: str
    """What it means, for the model and the docs."""
    required: bool = False
    """Whether every call must give it (an enum over an empty vocabulary is never required)."""
    default: str | int | None = None
    """Used when an optional argument is omitted; for a required one, what to write when the
    question says nothing (the corpus uses it)."""


ToolFunction = Callable[["ToolContext", Mapping[str, object]], ToolResult]
"""A tool's pure function: the context and validated arguments (defaults filled in)."""


@dataclass(frozen=True)
class Tool:
    """A typed tool the assistant can call."""

    name: str
    """Name the model writes."""
    description: str
    """One sentence on what it answers."""
    params: tuple[Param, ...]
    """Arguments in canonical order."""
    run: ToolFunction
    """The function behind it."""

    def with_defaults(self, arguments: Mapping[str, object]) -> dict[str, object]:
        """The arguments in canonical order, omitted optional ones set to their defaults."""
        filled: dict[str, object] = {}
        for param in self.params:
            if param.name in arguments:
                filled[param.name] = arguments[param.name]
            elif param.default is not None and not param.required:
                filled[param.name] = param.default
        return filled
