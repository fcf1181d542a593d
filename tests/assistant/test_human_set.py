"""The hand-written human evaluation set (``tests/data/assistant/human_questions.yaml``).

The set is for *reporting* only (never training or tuning). These tests keep it honest:

- it is well-formed and has the promised mix of kinds (tool calls for every tool, follow-ups,
  clarifications, refusals, educational and unrelated questions);
- every expected call uses the contract's tool names, argument names in canonical order, its
  enums and ranges, and only names that exist in the ledger CSV or the set's setup;
- once ``budgetlm.assistant.periods`` exists, every period spec resolves against the set's
  ``today``, and the hand-computed spending totals match the CSV rows inside those periods;
- once ``budgetlm.assistant.tools`` exists, every expected call validates against
  ``call_schema`` of the imported ledger's vocabulary, and ``execute`` gives the hand-computed
  totals end to end (CSV -> importer -> ledger -> ``load_context`` -> spending tool).
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

DATA = Path(__file__).parents[1] / "data" / "assistant"
SET_PATH = DATA / "human_questions.yaml"

ARGUMENTS: dict[str, tuple[str, ...]] = {
    "spending": ("period", "category", "payee", "account"),
    "income": ("period", "payee", "account"),
    "net_cash_flow": ("period", "account"),
    "compare_spending": ("period", "other_period", "category", "payee"),
    "top_categories": ("period", "limit"),
    "top_payees": ("period", "category", "limit"),
    "average_per_month": ("period", "category", "payee"),
    "search_transactions": ("period", "category", "payee", "min_amount", "max_amount", "limit"),
    "budget_status": ("period", "category"),
    "affordability": ("amount", "category", "period"),
    "upcoming_bills": ("days",),
    "forecast_balance": ("days", "account"),
    "goal_odds": ("goal",),
    "debt_plan": ("strategy", "extra"),
    "savings_rate": ("period",),
    "unusual_spending": ("period",),
    "budget_recommendation": ("category",),
    "help": (),
    "clarify": ("missing",),
    "out_of_scope": ("reason",),
}
"""Tool -> argument names in canonical order, as the issue-5 contract's table has them."""

REQUIRED: dict[str, frozenset[str]] = {
    "spending": frozenset({"period"}),
    "income": frozenset({"period"}),
    "net_cash_flow": frozenset({"period"}),
    "compare_spending": frozenset({"period", "other_period"}),
    "top_categories": frozenset({"period"}),
    "top_payees": frozenset({"period"}),
    "average_per_month": frozenset({"period"}),
    "budget_status": frozenset({"period"}),
    "affordability": frozenset({"amount"}),
    "goal_odds": frozenset({"goal"}),
    "savings_rate": frozenset({"period"}),
    "unusual_spending": frozenset({"period"}),
    "clarify": frozenset({"missing"}),
    "out_of_scope": frozenset({"reason"}),
}
"""Arguments the contract makes required (no ``?`` in its table)."""

DEFAULTS: dict[tuple[str, str], object] = {
    ("top_categories", "limit"): 5,
    ("top_payees", "limit"): 5,
    ("upcoming_bills", "days"): 30,
    ("forecast_balance", "days"): 30,
}
"""Optional arguments whose default value must be omitted, never written out."""

ENUMS: dict[str, frozenset[str]] = {
    "missing": frozenset({"amount", "category", "period", "goal", "account", "topic"}),
    "reason": frozenset({"regulated_advice", "harmful", "unrelated"}),
    "strategy": frozenset({"avalanche", "snowball", "hybrid"}),
}
MINIMUM_PER_KIND = {
    "tool": 140,
    "followup": 15,
    "clarify": 20,
    "refuse": 40,
    "educational": 20,
    "unrelated": 10,
}
PERIOD_ARGUMENTS = ("period", "other_period")
AMOUNT_ARGUMENTS = ("amount", "extra", "min_amount", "max_amount")


@dataclass(frozen=True)
class Case:
    """One question of the set with what counts as a right call."""

    id: str
    kind: str
    question: str
    calls: tuple[dict[str, Any], ...]
    """Every acceptable call (one for ``expect``)."""
    expected_total: Decimal | None


def _load_set() -> dict[str, Any]:
    with SET_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


SET = _load_set()
TODAY = date.fromisoformat(SET["today"])


def _case(item: dict[str, Any], item_id: str, kind: str) -> Case:
    has_expect, has_acceptable = "expect" in item, "acceptable" in item
    assert has_expect != has_acceptable, f"{item_id}: give exactly one of expect / acceptable"
    calls = (item["expect"],) if has_expect else tuple(item["acceptable"])
    assert calls, f"{item_id}: no acceptable call"
    total = item.get("expected_total")
    return Case(item_id, kind, item["question"], calls, Decimal(total) if total else None)


def _cases() -> list[Case]:
    """Every question of the set; a follow-up gives one case per turn (``id#turn``)."""
    cases = []
    for item in SET["items"]:
        if item["kind"] == "followup":
            for number, turn in enumerate(item["turns"], start=1):
                cases.append(_case(turn, f"{item['id']}#{number}", "followup"))
        else:
            cases.append(_case(item, item["id"], item["kind"]))
    return cases


CASES = _cases()
ALL_CALLS = [(case, call) for case in CASES for call in case.calls]


def _ledger_names() -> dict[str, set[str]]:
    """Category, payee and account names of the CSV as an import stores them."""
    names: dict[str, set[str]] = {"category": set(), "payee": set(), "account": set()}
    with (DATA / SET["ledger"]).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names["category"].add(row["category"])
            names["payee"].add(row["merchant"])  # the importer's payee column
            names["account"].add(row["account"])
    names["goal"] = {goal["name"] for goal in SET["setup"]["goals"]}
    return names


def _optional_module(name: str) -> ModuleType:
    """Import a part of the assistant that other work may not have landed yet, else skip."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("budgetlm.assistant"):
            pytest.skip(f"{exc.name} is not written yet; this check runs once it exists")
        raise


# ---------------------------------------------------------------- the set itself


def test_the_set_says_it_is_for_reporting_only() -> None:
    header = SET_PATH.read_text(encoding="utf-8").split("\nversion:", 1)[0]
    assert "NEVER use this file for training" in header
    assert "did NOT read the training grammar" in header


def test_the_set_has_the_promised_mix_of_questions() -> None:
    ids = [item["id"] for item in SET["items"]]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    kinds = Counter(item["kind"] for item in SET["items"])
    assert set(kinds) == set(MINIMUM_PER_KIND), kinds
    for kind, least in MINIMUM_PER_KIND.items():
        assert kinds[kind] >= least, f"only {kinds[kind]} {kind} questions"
    for item in SET["items"]:
        if item["kind"] == "followup":
            assert len(item["turns"]) == 2, item["id"]
    tools_asked = {call["name"] for case in CASES if case.kind == "tool" for call in case.calls}
    assert tools_asked >= set(ARGUMENTS) - {"clarify", "out_of_scope"}
    assert len({case.question.strip().lower() for case in CASES}) >= len(CASES) - 5


@pytest.mark.parametrize(("case", "call"), ALL_CALLS, ids=lambda value: getattr(value, "id", ""))
def test_every_call_follows_the_contract(case: Case, call: dict[str, Any]) -> None:
    assert set(call) == {"name", "arguments"}, case.id
    name, arguments = call["name"], call["arguments"]
    assert name in ARGUMENTS, f"{case.id}: unknown tool {name!r}"
    order = ARGUMENTS[name]
    keys = list(arguments)
    assert set(keys) <= set(order), f"{case.id}: {set(keys) - set(order)} not arguments of {name}"
    assert keys == sorted(keys, key=order.index), f"{case.id}: arguments out of canonical order"
    assert REQUIRED.get(name, frozenset()) <= set(keys), (
        f"{case.id}: a required argument is missing"
    )
    for key, value in arguments.items():
        assert DEFAULTS.get((name, key)) != value, f"{case.id}: default {key}={value} written out"
        if key in ENUMS:
            assert value in ENUMS[key], f"{case.id}: {key}={value!r}"
        if key in AMOUNT_ARGUMENTS:
            assert isinstance(value, int | float) and not isinstance(value, bool), case.id
            assert 0 < value <= 10_000_000, case.id
            exponent = Decimal(str(value)).as_tuple().exponent
            assert isinstance(exponent, int) and exponent >= -2, f"{case.id}: {value} has cents?"
        if key == "limit":
            assert isinstance(value, int) and 1 <= value <= 20, case.id
        if key == "days":
            assert isinstance(value, int) and 1 <= value <= 365, case.id
        if key in PERIOD_ARGUMENTS:
            assert isinstance(value, str) and value == value.strip(), case.id


def test_names_in_calls_exist_in_the_ledger_or_the_setup() -> None:
    known = _ledger_names()
    unknown = [
        (case.id, key, value)
        for case, call in ALL_CALLS
        for key, value in call["arguments"].items()
        if key in known and value not in known[key]
    ]
    assert not unknown


def test_each_kind_expects_the_right_sort_of_answer() -> None:
    for case in CASES:
        names = {call["name"] for call in case.calls}
        reasons = {call["arguments"].get("reason") for call in case.calls}
        if case.kind == "refuse":
            assert names == {"out_of_scope"}, case.id
            assert reasons <= {"regulated_advice", "harmful"}, case.id
        elif case.kind == "unrelated":
            assert names == {"out_of_scope"} and reasons == {"unrelated"}, case.id
        elif case.kind == "educational":
            assert "out_of_scope" not in names and "help" in names, case.id
        elif case.kind == "clarify":
            assert "clarify" in names, case.id
        elif case.kind == "tool":
            assert not names & {"clarify", "out_of_scope"}, case.id
    totals = [case for case in CASES if case.expected_total is not None]
    assert len(totals) >= 10
    for case in totals:
        assert {call["name"] for call in case.calls} == {"spending"}, case.id


# ---------------------------------------------------------------- against the periods grammar


def test_every_period_spec_resolves_on_the_sets_today() -> None:
    periods = _optional_module("budgetlm.assistant.periods")
    problems = []
    for case, call in ALL_CALLS:
        for key in PERIOD_ARGUMENTS:
            spec = call["arguments"].get(key)
            if spec is None:
                continue
            if not re.fullmatch(periods.PERIOD_PATTERN, spec):
                problems.append(f"{case.id}: {spec!r} does not match PERIOD_PATTERN")
                continue
            try:
                periods.resolve_period(spec, TODAY)
            except ValueError as exc:
                problems.append(f"{case.id}: {spec!r}: {exc}")
    assert not problems, "\n".join(problems)


def _csv_total(periods: ModuleType, arguments: dict[str, Any]) -> Decimal:
    """Net outflow of the CSV rows a spending call selects, summed by hand (not by the tools)."""
    span = periods.resolve_period(arguments["period"], TODAY)
    columns = {"category": "category", "payee": "merchant", "account": "account"}
    total = Decimal(0)
    with (DATA / SET["ledger"]).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not span.contains(date.fromisoformat(row["date"])):
                continue
            if all(row[columns[k]] == arguments[k] for k in columns if k in arguments):
                total -= Decimal(row["amount"])
    return total


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.expected_total is not None], ids=lambda case: case.id
)
def test_hand_computed_totals_match_the_csv(case: Case) -> None:
    periods = _optional_module("budgetlm.assistant.periods")
    for call in case.calls:
        assert _csv_total(periods, call["arguments"]) == case.expected_total, call


# ---------------------------------------------------------------- against the tools


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The tools' context of the CSV imported the way ``budgetlm import`` does, plus the
    set's goals, debts and budgets."""
    tools = _optional_module("budgetlm.assistant.tools")
    from budgetlm.ledger.importers import parse_statement, read_bank_file
    from budgetlm.ledger.importers.options import ImportOptions
    from budgetlm.ledger.importing import import_statement
    from budgetlm.ledger.repository import Ledger
    from budgetlm.ledger.store import Store

    path = DATA / SET["ledger"]
    data = read_bank_file(path)
    statement = parse_statement(data, path.name, ImportOptions())
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('human-set') / 'ledger.db'}")
    workspace = store.workspace_id()
    setup = SET["setup"]
    with store.session() as session:
        ledger = Ledger(session, workspace)
        import_statement(ledger, statement, file_sha256=hashlib.sha256(data).hexdigest())
        for goal in setup["goals"]:
            ledger.add_goal(
                goal["name"],
                Decimal(goal["target"]),
                date.fromisoformat(goal["target_date"]),
                Decimal(goal["current"]),
            )
        for debt in setup["debts"]:
            ledger.add_debt(
                debt["name"],
                Decimal(debt["balance"]),
                Decimal(debt["apr"]),
                min_payment_floor=Decimal(debt["min_payment_floor"]),
            )
        for budget in setup["budgets"]:
            ledger.set_budget(
                budget["category"], date.fromisoformat(budget["month"]), Decimal(budget["amount"])
            )
    with store.session() as session:
        loaded = tools.load_context(Ledger(session, workspace), TODAY)
    yield loaded
    store.close()


def test_every_expected_call_validates_against_the_ledgers_call_schema(context: Any) -> None:
    tools = _optional_module("budgetlm.assistant.tools")
    schema = tools.call_schema(context.vocabulary)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    problems = []
    for case, call in ALL_CALLS:
        errors = list(validator.iter_errors(call))
        if errors:
            problems.append(f"{case.id}: {call} -> {errors[0].message[:160]}")
            continue
        tool_call = tools.ToolCall(call["name"], call["arguments"])
        try:
            tools.validate_call(tool_call, context.vocabulary)
        except tools.ToolError as exc:
            problems.append(f"{case.id}: {call} -> validate_call: {exc}")
            continue
        again = tools.ToolCall.parse(tool_call.to_json())
        if again.name != call["name"] or dict(again.arguments) != call["arguments"]:
            problems.append(f"{case.id}: {tool_call.to_json()} does not round-trip")
    assert not problems, f"{len(problems)} invalid:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.expected_total is not None], ids=lambda case: case.id
)
def test_spending_tool_gives_the_hand_computed_totals(context: Any, case: Case) -> None:
    tools = _optional_module("budgetlm.assistant.tools")
    assert case.expected_total is not None
    for call in case.calls:
        result = tools.execute(tools.ToolCall(call["name"], call["arguments"]), context)
        if case.expected_total == 0 and result.status == "empty":
            assert result.figures.get("total", Decimal(0)) == 0
            continue
        assert result.status == "ok", f"{call}: {result.status} {result.message}"
        assert result.figures["total"] == case.expected_total, call
