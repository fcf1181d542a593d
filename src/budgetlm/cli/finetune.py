"""``budgetlm finetune``: LoRA fine-tuning of a local Hugging Face model on budgetlm's data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from budgetlm.cli.common import console
from budgetlm.errors import InputError


def finetune(
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML config (see the README's example).")
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            help="Start from a preset instead of a config: qwen2.5-1.5b, qwen2.5-3b, "
            "llama-3.2-3b, phi-3.5-mini, mistral-7b."
        ),
    ] = None,
    base: Annotated[Path | None, typer.Option(help="Local model folder (overrides).")] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Folder from `budgetlm dataset export --format chat` (overrides)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (overrides).")] = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many optimizer steps.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Go on from the newest checkpoint.")] = False,
    show: Annotated[bool, typer.Option(help="Print the resolved config and exit.")] = False,
) -> None:
    """Train a LoRA adapter on budgetlm's conversations; serve it with
    ``--model hf:BASE+OUT/adapter``."""
    import yaml

    from budgetlm.finetune.config import config_from_values, config_values, load_config

    if (config is None) == (preset is None):
        raise InputError("give either --config FILE.yaml or --preset NAME")
    values: dict[str, Any] = config_values(load_config(config)) if config else {"preset": preset}
    overrides = {"base_model": base, "output_dir": out}
    if data is not None:
        overrides["train_file"] = data / "train.jsonl"
        overrides["validation_file"] = data / "validation.jsonl"
    values.update({k: str(v) for k, v in overrides.items() if v is not None})
    if max_steps is not None:
        values["train"] = {**values.get("train", {}), "max_steps": max_steps}
    source = str(config) if config else f"preset {preset}"
    resolved = config_from_values(values, source=source, folder=Path.cwd())
    if show:
        console.print(escape(yaml.safe_dump(config_values(resolved), sort_keys=False)))
        return
    from budgetlm.finetune.lora import finetune as run_finetune

    report = run_finetune(resolved, resume=resume).report
    losses = report["train_losses"]
    if len(losses) > 1:
        loss = f"loss {losses[0][1]:.3f} at step {losses[0][0]} -> {losses[-1][1]:.3f}"
    else:
        loss = f"mean loss {report['final_train_loss']:.3f}"
    console.print(
        f"trained {report['steps']} steps on {report['examples']['train']:,} conversations: "
        f"{loss}, {report['tokens_per_second']:,} tokens/s, "
        f"peak memory {report['peak_memory_mb']:,.0f} MB",
        soft_wrap=True,
    )
    console.print(f"adapter: {escape(report['adapter'])}", soft_wrap=True)
    console.print(
        f'try it: budgetlm ask "..." --model hf:{escape(report["base_model"])}+'
        f"{escape(report['adapter'])}",
        soft_wrap=True,
    )
