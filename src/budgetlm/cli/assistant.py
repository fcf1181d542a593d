"""``budgetlm ask``, ``budgetlm chat``, ``budgetlm lm train`` and ``lm distill``: the assistant
and its model.

The language-model libraries load inside the commands, so starting the CLI stays fast.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    ledger_session,
    open_context,
    print_json,
)
from budgetlm.ledger.store import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from datetime import date

    from budgetlm.assistant.assistant import Assistant, Reply
    from budgetlm.ledger.repository import Ledger

ENV_MODEL = "BUDGETLM_MODEL"
ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        envvar=ENV_MODEL,
        help="micro (shipped), micro+int8, micro:DIR, hf:PATH[+ADAPTER] or "
        "openai:BASE_URL[#MODEL].",
    ),
]
lm_app = typer.Typer(help="Train budgetlm's own micro language model.", no_args_is_help=True)


def ask(
    question: Annotated[str, typer.Argument(help="Your question, in your own words.")],
    model: ModelOption = "micro",
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Answer one question about your money, with exact numbers from the ledger."""
    reply = open_assistant(model, db, today, workspace).ask(question)
    if as_json:
        print_json(reply.to_json())
    else:
        show_reply(reply)


def chat(
    model: ModelOption = "micro",
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Ask questions one after another; follow-ups ("and the month before?") see the earlier
    ones. An empty line, "quit" or Ctrl-D ends the chat."""
    from budgetlm.assistant.assistant import Conversation
    from budgetlm.errors import InputError

    assistant = open_assistant(model, db, today, workspace)
    conversation = Conversation()
    console.print(f"budgetlm ({escape(assistant.backend.name)}): ask about your money.")
    while True:
        try:
            question = console.input("[bold]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if question.lower() in ("", "quit", "exit"):
            break
        try:
            show_reply(assistant.ask(question, conversation))
        except InputError as exc:
            console.print(f"[red]{escape(str(exc))}[/]")


def open_assistant(model: str, db: str | None, today: str | None, workspace: str) -> Assistant:
    """An assistant over a workspace's ledger with the named backend."""
    from budgetlm.assistant.assistant import Assistant
    from budgetlm.assistant.backends import open_backend
    from budgetlm.assistant.tools import load_context

    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        tool_context = load_context(ledger, context.today)
    return Assistant(open_backend(model, context.today), tool_context)


DEMO_QUESTIONS = (
    "How much did I spend on groceries last month?",
    "what bills are coming up?",
    "Can I afford a $200 dinner this week?",
)
"""What ``budgetlm demo`` asks the shipped model."""


def demo_answers(ledger: Ledger, today: date) -> list[dict[str, object]]:
    """The shipped model's answers to ``DEMO_QUESTIONS`` over ``ledger`` (empty, with nothing
    loaded, when no model is installed)."""
    from budgetlm.assistant.assistant import Assistant
    from budgetlm.assistant.backends.local import LocalBackend, micro_directory
    from budgetlm.assistant.tools import load_context

    if not (micro_directory() / "config.json").is_file():
        return []
    assistant = Assistant(LocalBackend.micro(), load_context(ledger, today))
    answers: list[dict[str, object]] = []
    for question in DEMO_QUESTIONS:
        reply = assistant.ask(question)
        calls = [{"name": c.name, "arguments": dict(c.arguments)} for c in reply.tool_calls]
        answers.append({"question": question, "answer": reply.answer, "tool_calls": calls})
    return answers


def show_reply(reply: Reply) -> None:
    """The answer, then a dim line with the tool call, confidence and latency."""
    console.print(escape(reply.answer), highlight=False)
    calls = ", ".join(f"{c.name} {json.dumps(dict(c.arguments))}" for c in reply.tool_calls)
    note = f"{calls} · " if calls else ""
    console.print(
        f"[dim]{escape(note)}confidence {reply.confidence:.2f} · {reply.latency_ms:.0f} ms · "
        f"{escape(reply.model)}[/]",
        highlight=False,
    )


@lm_app.command("train")
def lm_train(
    preset: Annotated[str, typer.Option(help="Model architecture (micro, tiny).")] = "micro",
    seed: Annotated[int, typer.Option(help="Seed of the corpus, weights and data order.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Directory to save the model in.")] = None,
    corpus_size: Annotated[
        int | None,
        typer.Option(min=100, help="Conversations in the generated corpus (recipe: 32,000)."),
    ] = None,
    epochs: Annotated[
        float | None, typer.Option(min=0.01, help="Passes over the corpus (recipe: 4).")
    ] = None,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads for training.")] = 2,
) -> None:
    """Train the micro model from scratch on a generated corpus (what ships was made with
    ``--preset micro --seed 0``)."""
    from dataclasses import replace

    from budgetlm.lm.recipe import RecipeConfig, train_recipe
    from budgetlm.lm.train import TrainProgress

    config = RecipeConfig(preset=preset, seed=seed)
    if corpus_size:
        config = replace(config, corpus_size=corpus_size)
    train = replace(config.train, threads=threads)
    config = replace(config, train=replace(train, epochs=epochs) if epochs else train)
    directory = out or Path(os.getcwd()) / f"budgetlm-{preset}-s{seed}"

    def on_step(progress: TrainProgress) -> None:
        val = "" if progress.val_loss is None else f" · validation {progress.val_loss:.3f}"
        console.print(
            f"step {progress.step}/{progress.total_steps} · loss {progress.train_loss:.3f}{val}"
            f" · {progress.elapsed_seconds:.0f} s",
            highlight=False,
        )

    report = train_recipe(config, directory, lambda text: console.print(escape(text)), on_step)
    summary = report.summary
    console.print(
        f"saved {escape(str(directory))}: {summary['parameters']:,} parameters, "
        f"{summary['safetensors_bytes'] / 1e6:.1f} MB, {summary['total_seconds'] / 60:.1f} min"
    )


@lm_app.command("distill")
def lm_distill(
    teacher: Annotated[
        str,
        typer.Option(help="Teacher model: openai:BASE_URL#MODEL, hf:PATH, micro or micro:DIR."),
    ],
    out: Annotated[Path, typer.Option(help="Directory to save the student in.")],
    questions: Annotated[
        int, typer.Option(min=1, help="Training questions put to the teacher.")
    ] = 500,
    preset: Annotated[str, typer.Option(help="Student architecture (micro, tiny).")] = "micro",
    epochs: Annotated[
        float | None, typer.Option(min=0.01, help="Passes over the kept conversations (8).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the questions and the student.")] = 0,
    validation: Annotated[
        int, typer.Option(min=0, help="Corpus validation conversations for the loss.")
    ] = 100,
    teacher_phrases: Annotated[
        bool, typer.Option(help="Keep the teacher's answer when it is a fitting template.")
    ] = False,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads for training.")] = 2,
) -> None:
    """Distil a teacher into a micro student: the teacher answers the corpus' training
    questions, calls that validate and run are kept, and the student trains on them
    (``--model micro:OUT`` then serves it; ``OUT/distill.json`` has the counts)."""
    from dataclasses import replace

    from budgetlm.finetune.distill import DistillConfig, distill
    from budgetlm.lm.train import TrainProgress

    try:
        config = DistillConfig(
            teacher=teacher,
            questions=questions,
            preset=preset,
            seed=seed,
            validation_conversations=validation,
            teacher_phrases=teacher_phrases,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    train = replace(config.train, threads=threads)
    config = replace(config, train=replace(train, epochs=epochs) if epochs else train)

    def on_step(progress: TrainProgress) -> None:
        val = "" if progress.val_loss is None else f" · validation {progress.val_loss:.3f}"
        console.print(
            f"step {progress.step}/{progress.total_steps} · loss {progress.train_loss:.3f}{val}",
            highlight=False,
        )

    report = distill(config, out, lambda text: console.print(escape(text)), on_step)
    asked = report.teacher
    console.print(
        f"saved {escape(str(out))}: kept {asked.kept}/{asked.asked} questions, teacher agrees "
        f"with the corpus on {asked.agreement:.0%}, {report.summary['total_seconds']:.0f} s"
    )


@lm_app.command("card")
def lm_card(
    directory: Annotated[Path, typer.Argument(help="A model directory made by `lm train`.")],
    evaluation: Annotated[
        Path | None, typer.Option("--eval", help="`budgetlm eval assistant --json` output.")
    ] = None,
) -> None:
    """Write MODEL_CARD.md into a trained model's directory from its training.json and an
    evaluation report."""
    from budgetlm.lm.card import model_card

    training = json.loads((directory / "training.json").read_text(encoding="utf-8"))
    report = json.loads(evaluation.read_text(encoding="utf-8")) if evaluation else None
    (directory / "MODEL_CARD.md").write_text(model_card(training, report), encoding="utf-8")
    console.print(f"wrote {escape(str(directory / 'MODEL_CARD.md'))}")
