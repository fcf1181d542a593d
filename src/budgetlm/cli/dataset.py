"""``budgetlm dataset export``: training files for fine-tuning other models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from budgetlm.cli.common import console
from budgetlm.errors import InputError
from budgetlm.finetune.formats import FORMATS

dataset_app = typer.Typer(help="Export training data.", no_args_is_help=True)


@dataset_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="Directory to write the split files to.")],
    format: Annotated[
        str, typer.Option(help="chat (OpenAI messages + tools), alpaca, sharegpt or full.")
    ] = "chat",
    size: Annotated[int, typer.Option(min=10, help="Conversations over all splits.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed writes the same files.")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Processes building households.")] = 1,
) -> None:
    """Write synthetic conversations (questions, tool calls, results, answers) as train /
    validation / test files, held out by phrasing family and household."""
    from budgetlm.finetune.export import ExportConfig, export_synthetic

    if format not in FORMATS:
        raise InputError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    config = ExportConfig(format=format, seed=seed, size=size, workers=workers)
    manifest = export_synthetic(config, out)
    for split, counts in manifest["splits"].items():
        console.print(
            f"{split}: {counts['conversations']:,} conversations, {counts['records']:,} records"
            f" -> {escape(str(out / counts['file']))}"
        )
