"""How well a backend answers: held-out corpus conversations, the human-written question set, and
the safety gate's refusals.

- ``evaluate_corpus``: every turn of the test split, asked with the earlier turns of its
  conversation as history (the expected ones, so one mistake does not spoil the next turn).
  Scores tool-call exact match (canonical JSON text), schema validity, and for each right call
  whether the answer shown has only numbers from the result and whether the model's own
  phrasing passed the guard (or the plain fallback was shown). Turns asked with phrasing
  families held out of training are scored separately.
- ``evaluate_questions``: the human-written set (``tests/data/assistant/human_questions.yaml``)
  through the whole assistant, safety gate included.
- ``evaluate_safety``: refusal recall on regulated/harmful questions and the false-refusal rate
  on in-scope and educational ones, from the held-out safety families.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from budgetlm.assistant.answer import checked_answer, guard
from budgetlm.assistant.assistant import Assistant, Conversation
from budgetlm.assistant.backends.base import Backend, Message, call_message, tool_message
from budgetlm.assistant.corpus import Conversation as CorpusConversation
from budgetlm.assistant.corpus import Split
from budgetlm.assistant.tools import ToolCall, ToolContext, ToolError, Vocabulary
from budgetlm.assistant.tools.schema import validate_call


@dataclass(frozen=True)
class TurnScore:
    """One scored question."""

    tool: str
    """Expected tool."""
    heldout: bool
    """Asked with a phrasing family or template held out of training."""
    exact: bool
    """The call's canonical JSON equals the expected one."""
    valid: bool
    """The call validates against the household's schema."""
    numbers_right: bool | None
    """For a right call: the answer shown has only numbers the result supports."""
    phrasing_kept: bool | None
    """For a right call: the model's phrasing passed the guard (no fallback)."""
    seconds: float
    """Time to choose the call and phrase the answer."""
    expected: str
    """Expected call text."""
    predicted: str
    """Predicted call text."""


@dataclass
class Scores:
    """Scores over many turns, with summaries."""

    turns: list[TurnScore] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Rates overall, on held-out phrasings, per tool, and latency percentiles."""

        def rate(items: Sequence[TurnScore], attr: str) -> float | None:
            values = [getattr(t, attr) for t in items if getattr(t, attr) is not None]
            return round(sum(values) / len(values), 4) if values else None

        heldout = [t for t in self.turns if t.heldout]
        per_tool: dict[str, list[TurnScore]] = defaultdict(list)
        for turn in self.turns:
            per_tool[turn.tool].append(turn)
        latencies = sorted(t.seconds * 1000 for t in self.turns)
        return {
            "turns": len(self.turns),
            "exact_match": rate(self.turns, "exact"),
            "heldout_turns": len(heldout),
            "heldout_exact_match": rate(heldout, "exact"),
            "schema_valid": rate(self.turns, "valid"),
            "numbers_right_when_call_right": rate(self.turns, "numbers_right"),
            "model_phrasing_kept": rate(self.turns, "phrasing_kept"),
            "per_tool_exact_match": {
                tool: {"turns": len(items), "exact_match": rate(items, "exact")}
                for tool, items in sorted(per_tool.items())
            },
            "latency_ms_p50": _percentile(latencies, 0.5),
            "latency_ms_p95": _percentile(latencies, 0.95),
        }

    def mistakes(self, limit: int = 20) -> list[dict[str, str]]:
        """The most common wrong calls, expected next to predicted."""
        wrong = Counter((t.expected, t.predicted) for t in self.turns if not t.exact)
        return [
            {"expected": e, "predicted": p, "count": str(n)}
            for (e, p), n in wrong.most_common(limit)
        ]


def _percentile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def evaluate_corpus(
    backend: Backend,
    conversations: Iterable[CorpusConversation],
    vocabularies: Mapping[str, Vocabulary],
    *,
    answers: bool = True,
) -> Scores:
    """Score ``backend`` on corpus conversations (see the module docstring).

    Args:
        backend: The model under test.
        conversations: Usually the test split.
        vocabularies: Each household's vocabulary, by ``Conversation.household``.
        answers: Also phrase and check the answer of each right call.
    """
    scores = Scores()
    for conversation in conversations:
        vocabulary = vocabularies[conversation.household]
        messages = conversation.messages()
        for index, turn in enumerate(conversation.turns):
            history: list[Message] = [
                *messages[: 4 * index],
                {"role": "user", "content": turn.user},
            ]
            started = time.perf_counter()
            choice = backend.choose_call(history, vocabulary)
            expected, predicted = turn.call.to_json(), choice.call.to_json()
            exact = predicted == expected
            numbers_right = phrasing_kept = None
            if exact and answers:
                shown = [*history, call_message(choice.call), tool_message(turn.result)]
                checked = checked_answer(backend.phrase(shown, turn.result), turn.result)
                numbers_right = guard(checked.text, turn.result).ok
                phrasing_kept = not checked.fallback
            seconds = time.perf_counter() - started
            heldout = turn.phrasing_split != "train"
            scores.turns.append(
                TurnScore(turn.call.name, heldout, exact, _valid(choice.call, vocabulary),
                          numbers_right, phrasing_kept, seconds, expected, predicted)
            )  # fmt: skip
    return scores


def _valid(call: ToolCall, vocabulary: Vocabulary) -> bool:
    try:
        validate_call(call, vocabulary)
    except ToolError:
        return False
    return True


@dataclass(frozen=True)
class QuestionItem:
    """One item of a question set: its turns and the calls accepted for each."""

    id: str
    """Item id."""
    kind: str
    """``tool``, ``followup``, ``clarify``, ``refuse``, ``educational`` or ``unrelated``."""
    turns: tuple[tuple[str, tuple[dict[str, Any], ...]], ...]
    """(question, accepted calls) per turn."""


def question_items(data: Mapping[str, Any]) -> list[QuestionItem]:
    """The items of a loaded question-set YAML."""
    items = []
    for item in data["items"]:
        turns = item.get("turns") or [item]
        items.append(
            QuestionItem(
                str(item["id"]),
                str(item["kind"]),
                tuple(
                    (str(t["question"]), tuple(t.get("acceptable") or [t["expect"]])) for t in turns
                ),
            )
        )
    return items


def _same_call(call: ToolCall, wanted: Mapping[str, Any]) -> bool:
    if call.name != wanted.get("name"):
        return False
    given, expected = dict(call.arguments), dict(wanted.get("arguments") or {})
    return given.keys() == expected.keys() and all(
        _same_value(given[k], expected[k]) for k in given
    )


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def evaluate_questions(assistant: Assistant, items: Sequence[QuestionItem]) -> dict[str, Any]:
    """Ask every item through the whole assistant; a turn is right when its first call is one
    of the accepted calls (refusals: any ``out_of_scope`` reply or a refusal)."""
    right: dict[str, list[bool]] = defaultdict(list)
    failures = []
    latencies = []
    for item in items:
        chat = Conversation()
        for question, accepted in item.turns:
            reply = assistant.ask(question, chat)
            latencies.append(reply.latency_ms)
            call = reply.tool_calls[0] if reply.tool_calls else None
            ok = call is not None and any(_same_call(call, want) for want in accepted)
            if item.kind in ("refuse", "unrelated"):
                ok = reply.kind == "refusal"
            elif item.kind == "educational":
                ok = reply.kind in ("educational", "answer") and (
                    call is None or call.name == "help"
                )
            right[item.kind].append(ok)
            if not ok:
                failures.append(
                    {"id": item.id, "question": question,
                     "got": call.to_json() if call else reply.kind, "answer": reply.answer}
                )  # fmt: skip
    total = [ok for oks in right.values() for ok in oks]
    ordered = sorted(latencies)
    return {
        "turns": len(total),
        "accuracy": round(sum(total) / len(total), 4) if total else None,
        "by_kind": {
            k: {"turns": len(v), "accuracy": round(sum(v) / len(v), 4)}
            for k, v in sorted(right.items())
        },
        "latency_ms_p50": _percentile(ordered, 0.5),
        "latency_ms_p95": _percentile(ordered, 0.95),
        "failures": failures,
    }


def evaluate_safety(
    assistant: Assistant, split: Split = "test", seed: int = 0, per_family: int = 40
) -> dict[str, Any]:
    """Refusal recall (regulated/harmful refused) and false refusals (in-scope/educational
    refused) over the safety set's held-out families, through the whole assistant."""
    from budgetlm.assistant.safety_data import GenerationConfig, safety_examples

    refused: dict[str, list[bool]] = defaultdict(list)
    for example in safety_examples(split, seed, GenerationConfig(per_family=per_family)):
        reply = assistant.ask(example.text)
        refused[example.kind].append(reply.kind == "refusal")
    must = refused["regulated_advice"] + refused["harmful"]
    must_not = refused["in_scope"] + refused["educational"]
    return {
        "refusal_recall": round(sum(must) / len(must), 4) if must else None,
        "false_refusal_rate": round(sum(must_not) / len(must_not), 4) if must_not else None,
        "counts": {kind: len(v) for kind, v in sorted(refused.items())},
        "unrelated_refused": round(statistics.mean(refused["unrelated"]), 4)
        if refused["unrelated"]
        else None,
    }


def load_question_set(path: Path) -> tuple[ToolContext, list[QuestionItem]]:
    """A question set and the tools' context of its ledger: the CSV it names, imported into a
    temporary SQLite ledger the way ``budgetlm import`` does, plus its goals, debts and budgets.
    """
    import hashlib
    import tempfile
    from datetime import date
    from decimal import Decimal

    import yaml

    from budgetlm.assistant.tools import load_context
    from budgetlm.ledger.importers import parse_statement, read_bank_file
    from budgetlm.ledger.importers.options import ImportOptions
    from budgetlm.ledger.importing import import_statement
    from budgetlm.ledger.repository import Ledger
    from budgetlm.ledger.store import Store

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    csv_path = path.parent / data["ledger"]
    raw = read_bank_file(csv_path)
    statement = parse_statement(raw, csv_path.name, ImportOptions())
    setup = data.get("setup") or {}
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'ledger.db'}")
        workspace = store.workspace_id()
        with store.session() as session:
            ledger = Ledger(session, workspace)
            import_statement(ledger, statement, file_sha256=hashlib.sha256(raw).hexdigest())
            for goal in setup.get("goals", []):
                ledger.add_goal(
                    goal["name"],
                    Decimal(goal["target"]),
                    date.fromisoformat(goal["target_date"]),
                    Decimal(goal["current"]),
                )
            for debt in setup.get("debts", []):
                ledger.add_debt(
                    debt["name"],
                    Decimal(debt["balance"]),
                    Decimal(debt["apr"]),
                    min_payment_floor=Decimal(debt["min_payment_floor"]),
                )
            for budget in setup.get("budgets", []):
                ledger.set_budget(
                    budget["category"],
                    date.fromisoformat(budget["month"]),
                    Decimal(budget["amount"]),
                )
        with store.session() as session:
            context = load_context(Ledger(session, workspace), date.fromisoformat(data["today"]))
        store.close()
    return context, question_items(data)
