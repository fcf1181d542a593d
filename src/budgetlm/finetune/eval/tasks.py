"""The five tasks of ``budgetlm eval model``, each a function of one model and its held-out
items (``finetune.eval.items``) to a :class:`TaskResult`. Latency is timed per item with
``time.perf_counter``, in this process, prompt building included.

1. :func:`budget_questions`: ``assistant.evaluate.evaluate_corpus`` over corpus test turns,
   through the backend as the assistant uses it: tool-call exact match (canonical JSON), the
   same on held-out phrasing families, and answer accuracy, the share of all turns whose call
   was exact *and* whose answer shown had only numbers the tool result supports (the guard's
   check, as ``evaluate_corpus`` scores it).
2. :func:`categorization`: the model picks one of the household's categories for a bank
   transaction under a grammar that allows only those names, so any model gives a valid
   answer; accuracy against the synthetic ground truth.
3. :func:`finance_qa`: greedy answers to finance questions, SQuAD token-F1 and exact match
   against the reference (``metrics.token_f1``).
4. :func:`entity_extraction`: the model writes ``{"amounts": [...], "dates": [...],
   "merchants": [...]}`` under that JSON schema; micro-F1 per type and overall after
   normalization (``metrics.entity_scores``), and the share of documents finished in the cap.

Tasks 2-4 need the decoder of a local model; an ``openai:`` backend reports them as not run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from budgetlm.finetune.eval.items import CategorizeItem, EntityItem, QAItem, digest
from budgetlm.finetune.eval.metrics import ENTITY_TYPES, accuracy, entity_scores, percentile
from budgetlm.finetune.eval.metrics import token_f1 as f1_of_answer

if TYPE_CHECKING:
    from budgetlm.assistant.backends.base import Backend
    from budgetlm.assistant.corpus import Conversation
    from budgetlm.assistant.tools import Vocabulary
    from budgetlm.finetune.eval.runner import LocalModel

Item = TypeVar("Item")

CATEGORIZE_PROMPT = (
    "Which category does this bank transaction belong to?\n"
    "Transaction: {description}\nAmount: {amount}\nCategories: {categories}\n"
    "Answer with the category only."
)
"""The categorization question (the answer is constrained to the category names)."""
ENTITY_PROMPT = (
    "Extract every amount, date and merchant from this sentence as JSON with the keys "
    '"amounts", "dates" and "merchants" (dates as YYYY-MM-DD).\nSentence: {text}'
)
"""The extraction question (the answer is constrained to :data:`ENTITY_SCHEMA`)."""
ENTITY_SCHEMA: Mapping[str, object] = {
    "type": "object",
    "properties": {
        kind: {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 3}
        for kind in ENTITY_TYPES
    },
    "required": list(ENTITY_TYPES),
    "additionalProperties": False,
}
"""What an extraction may be: three short lists of short strings, so that it always ends."""


@dataclass(frozen=True)
class TaskResult:
    """One model's scores on one task."""

    task: str
    """Task name."""
    status: str
    """``"ok"`` or ``"not run: <reason>"``."""
    items: int = 0
    """Items scored (budget questions: turns)."""
    digest: str | None = None
    """Fingerprint of the items (``items.digest``): equal for every model of a run."""
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    """Scores, each in [0, 1] (None where nothing could be scored)."""
    latency_ms: tuple[float, ...] = ()
    """Milliseconds per item."""

    def to_dict(self) -> dict[str, Any]:
        """The result with latency as median and 95th percentile, rounded."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        latency = {
            "latency_ms_p50": rounded(percentile(self.latency_ms, 0.5)),
            "latency_ms_p95": rounded(percentile(self.latency_ms, 0.95)),
        }
        return {
            "status": self.status, "items": self.items, "digest": self.digest,
            "metrics": {k: rounded(v) for k, v in self.metrics.items()},
            **(latency if self.status == "ok" else {}),
        }  # fmt: skip


def not_run(task: str, reason: str, items: Sequence[object] = ()) -> TaskResult:
    """A task that was not run, and why."""
    return TaskResult(task, f"not run: {reason}", len(items), digest(items) if items else None)


def _timed(
    items: Sequence[Item], ask: Callable[[Item], Any]
) -> tuple[list[Any], tuple[float, ...]]:
    """``ask`` of every item, and the milliseconds each took."""
    answers, latency = [], []
    for item in items:
        started = time.perf_counter()
        answers.append(ask(item))
        latency.append((time.perf_counter() - started) * 1000)
    return answers, tuple(latency)


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def budget_questions(
    backend: Backend,
    conversations: Sequence[Conversation],
    vocabularies: Mapping[str, Vocabulary],
) -> TaskResult:
    """Tool-call exact match and answer accuracy on held-out corpus turns (module docstring)."""
    from budgetlm.assistant.evaluate import evaluate_corpus

    scores = evaluate_corpus(backend, conversations, vocabularies)
    summary = scores.summary()
    turns = scores.turns
    metrics = {
        "tool_call_exact_match": summary["exact_match"],
        "heldout_phrasing_exact_match": summary["heldout_exact_match"],
        "answer_accuracy": _mean([float(t.exact and bool(t.numbers_right)) for t in turns]),
        "answer_numbers_right_when_call_right": summary["numbers_right_when_call_right"],
    }
    latency = tuple(t.seconds * 1000 for t in turns)
    return TaskResult("budget_questions", "ok", len(turns), digest(conversations), metrics, latency)


def categorize_prompt(item: CategorizeItem) -> str:
    """The question shown for one transaction."""
    return CATEGORIZE_PROMPT.format(
        description=item.description, amount=item.amount, categories=", ".join(item.categories)
    )


def categorization(model: LocalModel, items: Sequence[CategorizeItem]) -> TaskResult:
    """Accuracy of the category chosen among the household's (module docstring)."""
    chosen, latency = _timed(items, lambda i: model.choose(categorize_prompt(i), i.categories))
    metrics = {"accuracy": accuracy(chosen, [i.category for i in items])}
    return TaskResult("categorization", "ok", len(items), digest(items), metrics, latency)


def finance_qa(model: LocalModel, items: Sequence[QAItem], max_new_tokens: int) -> TaskResult:
    """Token-F1 and exact match of greedy answers to held-out finance questions."""
    answers, latency = _timed(items, lambda i: model.generate(i.question, max_new_tokens))
    f1 = [f1_of_answer(a, i.answer) for a, i in zip(answers, items, strict=True)]
    metrics = {"token_f1": _mean(f1), "exact_match": _mean([float(v == 1.0) for v in f1])}
    return TaskResult("finance_qa", "ok", len(items), digest(items), metrics, latency)


def entity_extraction(
    model: LocalModel, items: Sequence[EntityItem], max_new_tokens: int
) -> TaskResult:
    """Micro-F1 of amounts, dates and merchants extracted as schema-constrained JSON."""
    from budgetlm.lm.constraints import json_grammar

    grammar = json_grammar(ENTITY_SCHEMA)
    outputs, latency = _timed(
        items, lambda i: model.json(ENTITY_PROMPT.format(text=i.text), grammar, max_new_tokens)
    )
    pairs = [
        ({k: [str(v) for v in _values(out, k)] for k in ENTITY_TYPES}, item.expected)
        for out, item in zip(outputs, items, strict=True)
    ]
    metrics: dict[str, float | None] = dict(entity_scores(pairs))
    metrics["json_complete"] = _mean([float(out is not None) for out in outputs])
    return TaskResult("entity_extraction", "ok", len(items), digest(items), metrics, latency)


def _values(output: Mapping[str, object] | None, kind: str) -> list[object]:
    values = (output or {}).get(kind)
    return list(values) if isinstance(values, list) else []
