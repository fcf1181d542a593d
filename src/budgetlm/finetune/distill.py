"""Distillation: a teacher model answers the corpus' training questions, and a micro student is
trained on the answers that hold up.

The questions are the user turns of synthetic conversations of the corpus' **train** split
(train households, train phrasings); validation and test questions are never put to the teacher.
The teacher is any backend (``open_backend``: ``openai:``, ``hf:``, ``micro``). It gets each
conversation turn by turn, as the assistant would ask it: the new question after the last
``AssistantConfig.history_exchanges`` exchanges it answered itself (answers filled in).

Keep and drop rules, per question (the first that applies):

- ``teacher_error``: the backend raised ``BackendError`` (server down, HTTP error, no choices);
- ``invalid:<argument>``: the call fails ``validate_call`` over the household's names
  (``invalid:name`` for an unknown tool). ``RemoteBackend`` validates itself and turns a missing,
  malformed or invalid call into ``clarify`` with confidence 0 and the argument at fault as
  ``uncertain``; such a choice counts here too (a malformed call then reads ``invalid:name``);
- ``execution_error``: the call ran on the household's ``ToolContext`` with status ``error``
  (a ``ToolError`` or ``PeriodError`` inside the tool, such as a period after today);
- ``no_answer``: no answer template fits the result (the corpus skips such questions too).

A dropped question ends its conversation: later follow-ups build on a call that was not kept,
so they are not asked (``not_asked``). Kept turns replace the corpus' call with the teacher's,
with the tool's real result.

Answers stay in the format the micro model trains on: an answer **template** with
``{placeholders}`` among those that fit the result (``answer.result_phrasings``), drawn with a
seeded generator as the corpus draws it. With ``teacher_phrases`` the teacher is also asked to
phrase each result, and its text is kept when it is one of those templates (a micro teacher's
answers are; free text with written-out numbers, as ``hf:`` and ``openai:`` models write, is
not something the student could say, so the drawn template replaces it).

The corpus' own call for each question is used only to report agreement (how good the teacher
is); the student never sees it. The student (``tiny`` or ``micro`` preset) is trained from
scratch with the recipe's pieces (``lm.recipe.new_model``, ``lm.train.train``) and saved like
``budgetlm lm train`` saves a model, with ``training.json``, ``distill.json`` (teacher, counts,
agreement, latencies, validation losses) and ``distilled.jsonl`` (the kept conversations). The
validation loss is measured on the corpus' validation conversations with the corpus' own calls.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetlm.assistant.answer import result_phrasings
from budgetlm.assistant.backends import Backend, BackendError, CallChoice, Message, open_backend
from budgetlm.assistant.backends.base import call_message, tool_message
from budgetlm.assistant.tools import ToolCall, ToolContext, ToolError, execute, validate_call
from budgetlm.errors import BudgetlmError
from budgetlm.lm.config import PRESETS, TrainConfig

if TYPE_CHECKING:
    from budgetlm.assistant.corpus import Conversation, Corpus, Turn
    from budgetlm.lm.train import TrainProgress

Clock = Callable[[], float]
EXAMPLES = 3
"""Dropped questions shown per reason in ``distill.json``."""


class DistillError(BudgetlmError):
    """Distillation that cannot go on: no question kept, or households that do not match."""


@dataclass(frozen=True)
class DistillConfig:
    """What to distil, from which teacher, into which student."""

    teacher: str
    """The teacher's backend spec (``openai:BASE_URL[#MODEL]``, ``hf:PATH``, ``micro[:DIR]``)."""
    questions: int = 500
    """Questions put to the teacher (user turns, follow-ups included)."""
    preset: str = "micro"
    """The student's architecture (``lm.config.PRESETS``: ``micro``, ``tiny``)."""
    seed: int = 0
    """Seeds the corpus, the answer templates drawn, the student's weights and data order."""
    validation_conversations: int = 100
    """Corpus validation conversations (with the corpus' own calls) for the student's validation
    loss; 0 for none."""
    per_household: int = 40
    """Conversations per synthetic household (fewer means more households, more variety)."""
    teacher_phrases: bool = False
    """Ask the teacher to phrase each result too and keep its text when it is a fitting answer
    template (otherwise, and by default, a template is drawn as the corpus draws it)."""
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(
            epochs=8.0, batch_size=16, learning_rate=2e-3, warmup_steps=20, threads=2
        )
    )
    """The student's optimisation settings (sequences are cut to the preset's positions)."""

    def __post_init__(self) -> None:
        if self.questions < 1 or self.validation_conversations < 0 or self.per_household < 1:
            raise ValueError("questions and per_household must be >= 1, validation >= 0")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; known: {', '.join(PRESETS)}")


@dataclass(frozen=True)
class Answered:
    """One question put to the teacher and what became of it."""

    call: ToolCall | None
    """The teacher's call (None when the backend failed)."""
    asked: Turn
    """The corpus' turn of the question (its call is compared with, never trained on)."""
    seconds: float
    """Time the teacher took to choose the call."""
    reason: str | None = None
    """Why the question was dropped (see the module docstring); None when kept."""
    detail: str = ""
    """What was wrong, in the validator's, tool's or backend's words."""
    kept: Turn | None = None
    """The turn kept for training (the teacher's call, its result and an answer template)."""
    teacher_answer: bool = False
    """The kept answer is the teacher's own text."""

    @property
    def agrees(self) -> bool:
        """The teacher's call equals the corpus' call (canonical JSON)."""
        return self.call is not None and self.call.to_json() == self.asked.call.to_json()

    @property
    def same_tool(self) -> bool:
        """The teacher's call names the corpus' tool."""
        return self.call is not None and self.call.name == self.asked.call.name


@dataclass(frozen=True)
class TeacherReport:
    """What the teacher did over all questions."""

    teacher: str
    """The backend's name."""
    asked: int
    """Questions put to it."""
    kept: int
    """Questions kept for training."""
    dropped: Mapping[str, int]
    """Dropped questions by reason."""
    not_asked: int
    """Follow-ups not asked because an earlier turn of their conversation was dropped."""
    conversations: int
    """Conversations with at least one kept turn (the student's training examples)."""
    agreement: float
    """Share of asked questions whose call equals the corpus' own call exactly."""
    tool_agreement: float
    """Share of asked questions whose tool equals the corpus' tool."""
    teacher_answers: int
    """Kept answers that are the teacher's own template (``teacher_phrases``)."""
    dropped_examples: Mapping[str, tuple[Mapping[str, str], ...]]
    """Up to ``EXAMPLES`` dropped questions per reason: ``question``, ``call``, ``detail``."""
    latency_ms: Mapping[str, float]
    """Time to choose a call: ``mean``, ``p50``, ``p95``, ``max`` in milliseconds."""
    seconds: float
    """Total time spent in the teacher's ``choose_call``."""


@dataclass(frozen=True)
class DistillReport:
    """What ``distill`` did."""

    directory: Path
    """Where the student was saved."""
    teacher: TeacherReport
    """The teacher's side."""
    summary: dict[str, Any]
    """The content of ``distill.json``."""


def question_corpus(config: DistillConfig) -> Corpus:
    """The corpus questions come from: enough train conversations for ``questions`` (each has
    at least one), the validation conversations, no test split."""
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus

    size = config.questions + config.validation_conversations
    shares = (config.questions / size, config.validation_conversations / size, 0.0)
    corpus_config = CorpusConfig(
        seed=config.seed, size=size, shares=shares, per_household=config.per_household
    )
    return build_corpus(corpus_config)


def train_contexts(corpus: Corpus) -> dict[str, ToolContext]:
    """The ``ToolContext`` of each train household, generated again as the corpus made it.

    Raises:
        DistillError: A household that does not come out as the corpus recorded it (its day,
            or the result of one of its own calls, differs).
    """
    from budgetlm.assistant.corpus.build import household_rng
    from budgetlm.assistant.corpus.households import household_context

    contexts: dict[str, ToolContext] = {}
    for record in corpus.households:
        if record.split != "train":
            continue
        rng = household_rng(corpus.config.seed, "train", record.seed)  # checked below
        sample = household_context(record.seed, rng, months=corpus.config.months)
        contexts[record.key] = sample.context
        if sample.key != record.key:
            raise DistillError(f"household {record.seed}: made {sample.key}, not {record.key}")
    for conversation in corpus.splits["train"]:
        turn = conversation.turns[0]
        again = execute(turn.call, contexts[conversation.household])
        if again.to_prompt() != turn.result.to_prompt():
            raise DistillError(f"{conversation.id}: its household's tools answer differently")
    return contexts


def teach_turn(
    teacher: Backend,
    prompt: Sequence[Message],
    turn: Turn,
    context: ToolContext,
    rng: random.Random,
    *,
    teacher_phrases: bool = False,
    clock: Clock = time.perf_counter,
) -> Answered:
    """Ask the teacher the question that ends ``prompt`` and keep or drop its call.

    Args:
        teacher: The teacher backend.
        prompt: Earlier exchanges and the question (a user message last).
        turn: The corpus' turn for the question (its call is only compared with).
        context: The household the question is about.
        rng: Draws the answer template.
        teacher_phrases: Also ask the teacher for the answer (see the module docstring).
        clock: Seconds, for the latency.
    """
    started = clock()
    try:
        choice = teacher.choose_call(prompt, context.vocabulary)
    except BackendError as exc:
        return Answered(None, turn, clock() - started, "teacher_error", str(exc))
    except ToolError as exc:  # a backend that parses its model's call without validating it
        return Answered(
            None, turn, clock() - started, f"invalid:{exc.argument or 'name'}", str(exc)
        )
    seconds, call = clock() - started, choice.call
    invalid = _invalid(choice, context)
    if invalid is not None:
        return Answered(call, turn, seconds, *invalid)
    result = execute(call, context)
    if result.status == "error":
        return Answered(call, turn, seconds, "execution_error", result.message)
    templates = result_phrasings(result)
    if not templates:
        return Answered(call, turn, seconds, "no_answer", f"{result.tool} {result.status}")
    answer, own = rng.choice(templates), False
    if teacher_phrases:
        exchange = [*prompt, call_message(call), tool_message(result)]
        try:
            text = teacher.phrase(exchange, result).strip()
        except BackendError:
            text = ""
        if text in templates:
            answer, own = text, True
    kept = replace(turn, call=call, result=result, answer=answer)
    return Answered(call, turn, seconds, kept=kept, teacher_answer=own)


def _invalid(choice: CallChoice, context: ToolContext) -> tuple[str, str] | None:
    """``invalid:<argument>`` and why, when the call is not valid over the household's names."""
    if choice.confidence == 0.0 and choice.call.name == "clarify" and choice.uncertain:
        # RemoteBackend's stand-in for a missing or invalid call of its model.
        return f"invalid:{choice.uncertain}", "the backend refused its model's call"
    try:
        validate_call(choice.call, context.vocabulary)
    except ToolError as exc:
        return f"invalid:{exc.argument or 'name'}", str(exc)
    return None


def ask_teacher(
    teacher_for: Callable[[date], Backend],
    conversations: Sequence[Conversation],
    contexts: Mapping[str, ToolContext],
    config: DistillConfig,
    clock: Clock = time.perf_counter,
) -> tuple[tuple[Conversation, ...], tuple[Answered, ...], int]:
    """Put up to ``config.questions`` questions to the teacher, conversation by conversation.

    Args:
        teacher_for: The teacher for questions asked on a given day.
        conversations: Train conversations of the corpus, in order.
        contexts: Their households' contexts by household key.
        config: Question count, seed and ``teacher_phrases``.
        clock: Seconds, for the latency.

    Returns:
        The kept conversations (teacher's calls), every question's outcome, and how many
        follow-ups were not asked because an earlier turn was dropped.
    """
    from budgetlm.assistant.assistant import AssistantConfig

    history = AssistantConfig().history_exchanges
    rng = random.Random(f"{config.seed}|distill|answers")
    kept_conversations: list[Conversation] = []
    answered: list[Answered] = []
    not_asked = 0
    for conversation in conversations:
        teacher, context = teacher_for(conversation.today), contexts[conversation.household]
        kept: list[Turn] = []
        for index, turn in enumerate(conversation.turns):
            if len(answered) == config.questions:
                break
            shown = replace(conversation, turns=(*kept[max(0, len(kept) - history) :], turn))
            prompt = shown.messages(filled=True)[:-3]  # up to the question
            outcome = teach_turn(
                teacher, prompt, turn, context, rng,
                teacher_phrases=config.teacher_phrases, clock=clock,
            )  # fmt: skip
            answered.append(outcome)
            if outcome.kept is None:
                not_asked += len(conversation.turns) - index - 1
                break
            kept.append(outcome.kept)
        if kept:
            kept_conversations.append(replace(conversation, turns=tuple(kept)))
        if len(answered) == config.questions:
            break
    return tuple(kept_conversations), tuple(answered), not_asked


def teacher_report(
    name: str, answered: Sequence[Answered], conversations: int, not_asked: int
) -> TeacherReport:
    """Counts, agreement and latency of the teacher's answers."""
    asked = len(answered)
    milliseconds = sorted(a.seconds * 1000.0 for a in answered)
    latency = {
        "mean": statistics.fmean(milliseconds) if milliseconds else 0.0,
        "p50": _quantile(milliseconds, 0.5),
        "p95": _quantile(milliseconds, 0.95),
        "max": milliseconds[-1] if milliseconds else 0.0,
    }
    return TeacherReport(
        teacher=name,
        asked=asked,
        kept=sum(1 for a in answered if a.kept is not None),
        dropped=dict(Counter(a.reason for a in answered if a.reason).most_common()),
        not_asked=not_asked,
        conversations=conversations,
        dropped_examples=_examples(answered),
        agreement=sum(a.agrees for a in answered) / asked if asked else 0.0,
        tool_agreement=sum(a.same_tool for a in answered) / asked if asked else 0.0,
        teacher_answers=sum(a.teacher_answer for a in answered),
        latency_ms={k: round(v, 2) for k, v in latency.items()},
        seconds=round(sum(a.seconds for a in answered), 3),
    )


def _examples(answered: Sequence[Answered]) -> dict[str, tuple[dict[str, str], ...]]:
    out: dict[str, list[dict[str, str]]] = {}
    for a in answered:
        if a.reason is not None and len(out.setdefault(a.reason, [])) < EXAMPLES:
            call = "" if a.call is None else a.call.to_json()
            out[a.reason].append({"question": a.asked.user, "call": call, "detail": a.detail})
    return {reason: tuple(examples) for reason, examples in out.items()}


def _quantile(values: Sequence[float], q: float) -> float:
    """The nearest-rank quantile of sorted ``values`` (0 when empty)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def train_student(
    kept: Sequence[Conversation],
    validation: Sequence[Conversation],
    corpus: Corpus,
    config: DistillConfig,
    directory: Path,
    on_step: Callable[[TrainProgress], None] | None = None,
) -> dict[str, Any]:
    """Train a fresh student on the kept conversations and save it to ``directory``.

    Each question is followed by the line of the user's names it mentions, as the recipe
    trains and the micro backend serves. Returns the ``student`` entry of ``distill.json``.
    """
    from budgetlm.assistant.linking import with_mentions
    from budgetlm.assistant.tools import Vocabulary
    from budgetlm.lm.config import get_preset
    from budgetlm.lm.model import parameter_count, safetensors_bytes, save_model
    from budgetlm.lm.recipe import machine_summary, new_model, training_summary
    from budgetlm.lm.train import encode_examples, evaluate_loss, train

    vocabularies = {
        h.key: Vocabulary(**{k: tuple(v) for k, v in h.vocabulary.items()})
        for h in corpus.households
    }
    train_set, validation_set = (
        [with_mentions(c.messages(), vocabularies[c.household]) for c in conversations]
        for conversations in (kept, validation)
    )
    preset = get_preset(config.preset)
    settings = replace(
        config.train,
        seed=config.seed,
        max_length=min(config.train.max_length, preset.max_positions),
    )
    model, tokenizer = new_model(preset, config.seed, train_set)
    untrained = None
    if validation_set and isinstance(tokenizer.pad_token_id, int):
        examples, _ = encode_examples(validation_set, tokenizer, settings.max_length)
        untrained = evaluate_loss(model, examples, settings.batch_size, tokenizer.pad_token_id)
    report = train(model, tokenizer, train_set, validation_set, settings, on_step)
    save_model(model, tokenizer, directory)
    run = training_summary(report)
    training = {
        "version": f"distill-{preset.name}-s{config.seed}",
        "distilled_from": config.teacher,
        "preset": asdict(preset),
        "parameters": parameter_count(model),
        "safetensors_bytes": safetensors_bytes(directory),
        "tokenizer_tokens": len(tokenizer),
        "training": run,
        "machine": machine_summary(settings.threads),
    }
    _write_json(directory / "training.json", training)
    return {
        "preset": preset.name,
        "parameters": training["parameters"],
        "training_conversations": len(train_set),
        "validation_conversations": len(validation_set),
        "validation_loss_untrained": None if untrained is None else round(untrained, 4),
        "validation_loss": run["final_validation_loss"],
        "training": run,
    }


def distill(
    config: DistillConfig,
    directory: Path,
    progress: Callable[[str], None] | None = None,
    on_step: Callable[[TrainProgress], None] | None = None,
    clock: Clock = time.perf_counter,
) -> DistillReport:
    """Ask the teacher, keep what validates and runs, train the student, save everything.

    Args:
        config: Teacher, question count, student preset and training settings.
        directory: Output directory (created; existing model files are replaced).
        progress: Told about each stage in a few words.
        on_step: Training progress callback.
        clock: Seconds, for latencies and timings.

    Raises:
        BackendError: The teacher cannot be opened.
        DistillError: No question was kept, or the corpus' households cannot be rebuilt.
    """
    say = progress or (lambda _: None)
    started = clock()
    say(f"building {config.questions:,} training questions")
    corpus = question_corpus(config)
    contexts = train_contexts(corpus)
    corpus_seconds = clock() - started

    opened: dict[date, Backend] = {}

    def teacher_for(today: date) -> Backend:
        # Only remote models are told the day; a local model is opened once.
        day = today if config.teacher.startswith("openai:") else date.min
        if day not in opened:
            opened[day] = open_backend(config.teacher, today)
        return opened[day]

    say(f"asking {config.teacher}")
    kept, answered, not_asked = ask_teacher(
        teacher_for, corpus.splits["train"], contexts, config, clock
    )
    name = next(iter(opened.values())).name if opened else config.teacher
    teacher = teacher_report(name, answered, len(kept), not_asked)
    say(f"kept {teacher.kept} of {teacher.asked} questions; dropped {dict(teacher.dropped)}")
    if not kept:
        raise DistillError(f"the teacher kept none of {teacher.asked} questions")

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "distilled.jsonl").write_text(
        "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in kept),
        encoding="utf-8",
    )
    say(f"training a {config.preset} student on {len(kept):,} conversations")
    student = train_student(kept, corpus.splits["validation"], corpus, config, directory, on_step)
    summary: dict[str, Any] = {
        "config": asdict(config),
        "teacher": asdict(teacher),
        "student": student,
        "corpus_seconds": round(corpus_seconds, 1),
        "total_seconds": round(clock() - started, 1),
    }
    _write_json(directory / "distill.json", summary)
    return DistillReport(directory, teacher, summary)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
