"""Several models on the same held-out items, side by side: :func:`compare_models` runs them,
:func:`metric_rows` and :func:`markdown` lay the report out.

Models run one after another in this process, each on exactly the items :func:`held_out` drew
once for the run, so their latencies are comparable and their scores differ only by the model.
Each task records a fingerprint of its items; :func:`compare_models` checks they agree.

The Δ columns (``deltas``): with exactly two models, the second minus the first (base vs
tuned); with more, each ``hf:PATH+ADAPTER`` minus ``hf:PATH`` and each ``micro+Q[:DIR]`` minus
``micro[:DIR]`` when both were given.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetlm.finetune.eval.items import (
    CategorizeItem,
    EntityItem,
    EvalConfig,
    QAItem,
    budget_conversations,
    categorize_items,
    digest,
    entity_items,
    qa_items,
)
from budgetlm.finetune.eval.tasks import (
    ENTITY_PROMPT,
    ENTITY_SCHEMA,
    budget_questions,
    categorization,
    categorize_prompt,
    entity_extraction,
    finance_qa,
    not_run,
)

if TYPE_CHECKING:
    from budgetlm.assistant.backends.base import Backend, Message
    from budgetlm.assistant.corpus import Conversation
    from budgetlm.assistant.tools import Vocabulary
    from budgetlm.finetune.eval.runner import LocalModel

TASKS = ("budget_questions", "categorization", "finance_qa", "entity_extraction")
"""Tasks in report order."""
LABELS = {
    "budget_questions": "budget questions",
    "categorization": "categorization",
    "finance_qa": "finance QA",
    "entity_extraction": "entity extraction",
}
"""How tasks are named in tables."""
METRIC_LABELS = {
    "tool_call_exact_match": "tool-call exact match",
    "heldout_phrasing_exact_match": "tool-call exact match, held-out phrasings",
    "answer_numbers_right_when_call_right": "answer numbers right when call right",
    "token_f1": "token-F1",
    "f1": "micro-F1",
    "f1_amounts": "micro-F1 amounts",
    "f1_dates": "micro-F1 dates",
    "f1_merchants": "micro-F1 merchants",
    "json_complete": "JSON finished within the cap",
    "latency_ms_p50": "latency ms p50",
    "latency_ms_p95": "latency ms p95",
}
"""How metrics are named in tables (others: their key with spaces)."""
NO_DECODER = "openai: backends expose no constrained decoding to score this with"
"""Why an ``openai:`` model skips the tasks that need a local decoder."""


@dataclass(frozen=True)
class HeldOut:
    """Every item of one run (``finetune.eval.items``)."""

    conversations: tuple[Conversation, ...]
    """Corpus test conversations."""
    vocabularies: Mapping[str, Vocabulary]
    """Their households' vocabularies."""
    categorize: tuple[CategorizeItem, ...]
    """Transactions to categorize."""
    entities: tuple[EntityItem, ...]
    """Sentences to extract from."""
    qa: tuple[QAItem, ...] | None
    """Finance questions, or None when no ``--qa`` file was given."""

    def counts(self) -> dict[str, dict[str, Any]]:
        """Items (budget questions: turns, and conversations) and their fingerprint per task."""
        turns = sum(len(c.turns) for c in self.conversations)
        sets: dict[str, tuple[int, Sequence[object] | None]] = {
            "budget_questions": (turns, self.conversations),
            "categorization": (len(self.categorize), self.categorize),
            "finance_qa": (len(self.qa or ()), self.qa),
            "entity_extraction": (len(self.entities), self.entities),
        }
        counts = {
            task: {"items": n, "digest": None if items is None else digest(items)}
            for task, (n, items) in sets.items()
        }
        counts["budget_questions"]["conversations"] = len(self.conversations)
        return counts


def held_out(config: EvalConfig, qa_file: Path | None) -> HeldOut:
    """Draw the run's items (see ``finetune.eval.items``)."""
    conversations, vocabularies = budget_conversations(config)
    return HeldOut(
        tuple(conversations), vocabularies, tuple(categorize_items(config)),
        tuple(entity_items(config)),
        None if qa_file is None else tuple(qa_items(qa_file, config)),
    )  # fmt: skip


def evaluate_model(spec: str, held: HeldOut, config: EvalConfig) -> dict[str, Any]:
    """Open the model ``spec`` names and score it on every task."""
    from budgetlm.assistant.backends import open_backend
    from budgetlm.assistant.backends.local import LocalBackend
    from budgetlm.finetune.eval.runner import LocalModel

    backend = open_backend(spec, held.conversations[0].today)
    model = LocalModel(backend) if isinstance(backend, LocalBackend) else None
    _warm_up(backend, model, held, config)
    results = [budget_questions(backend, held.conversations, held.vocabularies)]
    if model is not None:
        results.append(categorization(model, held.categorize))
        if held.qa is None:
            results.append(not_run("finance_qa", "no --qa file"))
        elif not held.qa:
            results.append(not_run("finance_qa", "no test-split rows in the --qa file"))
        else:
            results.append(finance_qa(model, held.qa, config.qa_max_new_tokens))
        results.append(entity_extraction(model, held.entities, config.entity_max_new_tokens))
    else:
        results += [
            not_run("categorization", NO_DECODER, held.categorize),
            not_run("finance_qa", "no --qa file" if held.qa is None else NO_DECODER, held.qa or ()),
            not_run("entity_extraction", NO_DECODER, held.entities),
        ]
    return {"spec": spec, "name": backend.name, "tasks": {r.task: r.to_dict() for r in results}}


def _warm_up(backend: Backend, model: LocalModel | None, held: HeldOut, config: EvalConfig) -> None:
    """One untimed question of each task, so that one-time costs (lazy imports, first kernel
    calls, grammar compiles) count against no model's latency: without it the first model of a
    run measured up to twice as slow on the same weights."""
    from budgetlm.lm.constraints import json_grammar

    first = held.conversations[0]
    question: list[Message] = [{"role": "user", "content": first.turns[0].user}]
    backend.choose_call(question, held.vocabularies[first.household])
    if model is None:
        return
    if held.categorize:
        model.choose(categorize_prompt(held.categorize[0]), held.categorize[0].categories)
    if held.entities:
        text = ENTITY_PROMPT.format(text=held.entities[0].text)
        model.json(text, json_grammar(ENTITY_SCHEMA), config.entity_max_new_tokens)
    if held.qa:
        model.generate(held.qa[0].question, max_new_tokens=4)


def compare_models(
    specs: Sequence[str],
    config: EvalConfig,
    qa_file: Path | None = None,
    *,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every model of ``specs`` on the same held-out items, with the Δ of base-tuned pairs.

    Raises:
        ValueError: No model, or a model that saw other items than the rest.
    """
    if not specs:
        raise ValueError("name at least one model")
    progress("drawing held-out items")
    held = held_out(config, qa_file)
    models = []
    for spec in specs:
        progress(f"scoring {spec}")
        models.append(evaluate_model(spec, held, config))
        gc.collect()  # free one model's weights before the next loads
    counts = held.counts()
    for model in models:
        for task, result in model["tasks"].items():
            if result["status"] == "ok" and result["digest"] != counts[task]["digest"]:
                raise ValueError(f"{model['spec']} saw other {task} items than drawn")
    return {
        "seed": config.seed, "config": asdict(config),
        "qa_file": None if qa_file is None else str(qa_file), "items": counts,
        "models": models, "deltas": deltas(models),
    }  # fmt: skip


def base_of(spec: str) -> str | None:
    """The base model of a tuned or quantized spec (``hf:P+A`` -> ``hf:P``, ``micro+int8:D`` ->
    ``micro:D``), or None."""
    kind, colon, rest = spec.partition(":")
    if kind == "hf" and "+" in rest:
        return "hf:" + rest.partition("+")[0]
    if kind.startswith("micro+"):
        return "micro" + colon + rest
    return None


def _pairs(specs: Sequence[str]) -> list[tuple[str, str]]:
    if len(specs) == 2:
        return [(specs[0], specs[1])]
    return [(b, s) for s in specs if (b := base_of(s)) is not None and b in specs]


def deltas(models: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tuned minus base for every metric both scored (see the module docstring)."""
    by_spec = {m["spec"]: m for m in models}
    out = []
    for base, tuned in _pairs([m["spec"] for m in models]):
        pairs = _paired_values(by_spec[base], by_spec[tuned])
        values = {key: round(b - a, 4) for key, (a, b) in pairs.items()}
        out.append({"base": base, "tuned": tuned, "metrics": values})
    return out


def _flat(model: Mapping[str, Any]) -> dict[str, float | None]:
    """``task.metric`` -> value, latency included, for the tasks that ran."""
    flat: dict[str, float | None] = {}
    for task, result in model["tasks"].items():
        if result["status"] != "ok":
            continue
        for key, value in result["metrics"].items():
            flat[f"{task}.{key}"] = value
        for key in ("latency_ms_p50", "latency_ms_p95"):
            flat[f"{task}.{key}"] = result[key]
    return flat


def _paired_values(
    base: Mapping[str, Any], tuned: Mapping[str, Any]
) -> dict[str, tuple[float, float]]:
    a, b = _flat(base), _flat(tuned)
    return {k: (va, vb) for k in a if (va := a[k]) is not None and (vb := b.get(k)) is not None}


def metric_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The side-by-side table: header (metric, one column per model, one per Δ) and rows."""
    models = report["models"]
    header = ["metric", *(m["spec"] for m in models)]
    header += [f"Δ {d['tuned']} − {d['base']}" for d in report["deltas"]]
    rows: list[list[str]] = []
    for task in TASKS:
        keys = list(dict.fromkeys(
            k for m in models if m["tasks"][task]["status"] == "ok"
            for k in (*m["tasks"][task]["metrics"], "latency_ms_p50", "latency_ms_p95")
        ))  # fmt: skip
        count = report["items"][task]["items"]
        if not keys:
            statuses = [m["tasks"][task]["status"] for m in models]
            rows.append(
                [f"{LABELS[task]} (n={count})", *statuses, *("–" for _ in report["deltas"])]
            )
            continue
        for n, key in enumerate(keys):
            label = f"{LABELS[task]}: {METRIC_LABELS.get(key, key.replace('_', ' '))}"
            rows.append([label + (f" (n={count})" if n == 0 else ""), *_cells(report, task, key)])
    return header, rows


def _cells(report: Mapping[str, Any], task: str, key: str) -> list[str]:
    """One metric's value per model, then its Δ per pair (latency to 0.1 ms)."""
    digits = 1 if key.startswith("latency") else 4
    cells = []
    for model in report["models"]:
        result = model["tasks"][task]
        value = result["metrics"].get(key, result.get(key))
        cells.append(_show(value, digits=digits) if result["status"] == "ok" else result["status"])
    return cells + [
        _show(d["metrics"].get(f"{task}.{key}"), signed=True, digits=digits)
        for d in report["deltas"]
    ]


def _show(value: object, *, signed: bool = False, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | int):
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return str(value)


def _count(task: str, items: Mapping[str, Any]) -> str:
    """``66 turns of 40 conversations [sha 2d716d50]``, ``60 [sha 536a4caf]``."""
    text = str(items["items"])
    if "conversations" in items:
        text += f" turns of {items['conversations']} conversations"
    return text + (f" [sha {items['digest'][:8]}]" if items["digest"] else "")


def markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: what was scored, then the side-by-side table."""
    header, rows = metric_rows(report)
    items = ", ".join(f"{LABELS[t]} {_count(t, v)}" for t, v in report["items"].items())
    lines = [
        f"Seed {report['seed']}; held-out items: {items}.",
        f"Finance QA file: {report['qa_file'] or 'none (not run)'}.",
        "Latency is milliseconds per item (median, p95), measured in one process.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"
