"""``budgetlm export``: merged checkpoints, GGUF files and Ollama Modelfiles.

torch, transformers, peft and gguf load inside the commands, so starting the CLI stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from budgetlm.cli.common import console
from budgetlm.errors import InputError

MICRO = "micro"
export_app = typer.Typer(
    help="Export models: merge a LoRA adapter, write GGUF, write an Ollama Modelfile.",
    no_args_is_help=True,
)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@export_app.command("merge")
def merge(
    base: Annotated[Path, typer.Option(help="Base model directory (Hugging Face checkpoint).")],
    adapter: Annotated[Path, typer.Option(help="PEFT LoRA adapter directory.")],
    out: Annotated[Path, typer.Option(help="Directory to write the merged model to (new).")],
    dtype: Annotated[
        str, typer.Option(help="auto (the base's), float32, float16 or bfloat16.")
    ] = "auto",
) -> None:
    """Fold a LoRA adapter into its base model and save safetensors with the tokenizer."""
    from budgetlm.finetune.merge import merge_adapter

    if dtype not in ("auto", "float32", "float16", "bfloat16"):
        raise InputError(f"unknown dtype {dtype!r}", source="--dtype")
    try:
        result = merge_adapter(base, adapter, out, dtype=dtype)  # type: ignore[arg-type]
    except (FileNotFoundError, FileExistsError) as error:
        raise InputError(str(error)) from None
    console.print(
        f"merged {result.parameters:,} parameters ({result.dtype}) -> "
        f"{escape(str(result.directory))}"
    )


@export_app.command("gguf")
def gguf(
    out: Annotated[Path, typer.Option(help="GGUF file to write, e.g. micro-q8_0.gguf.")],
    model: Annotated[
        str, typer.Option(help="Model directory, or micro for the shipped model.")
    ] = MICRO,
    type: Annotated[
        str, typer.Option("--type", help="f32, f16, q8_0, or q4_k_m (needs llama-cpp-python).")
    ] = "q8_0",
) -> None:
    """Write a Llama or Qwen2 checkpoint as one GGUF file for llama.cpp and Ollama."""
    from budgetlm.finetune.gguf_export import GGUF_TYPES, export_gguf
    from budgetlm.finetune.gguf_tokenizer import GgufExportError

    if type not in GGUF_TYPES:
        raise InputError(f"unknown type {type!r}; choose {', '.join(GGUF_TYPES)}", source="--type")
    if model == MICRO:
        from budgetlm.assistant.backends.local import micro_directory

        directory = micro_directory()
    else:
        directory = Path(model)
    try:
        result = export_gguf(directory, out, type)
    except (GgufExportError, FileNotFoundError) as error:
        raise InputError(str(error)) from None
    console.print(
        f"{result.architecture} ({result.type}, pre-tokenizer {result.pre_tokenizer}, "
        f"{result.tensors} tensors, {_megabytes(result.bytes)}) -> {escape(str(result.path))}"
    )


@export_app.command("ollama")
def ollama(
    gguf: Annotated[Path, typer.Option(help="The GGUF file the Modelfile serves.")],
    out: Annotated[Path, typer.Option(help="Directory to write the Modelfile to.")],
    name: Annotated[str, typer.Option(help="Model name for `ollama create`.")] = "budgetlm",
) -> None:
    """Write an Ollama Modelfile with budgetlm's chat template, system prompt and stops."""
    import os

    from budgetlm.finetune.gguf_export import gguf_chat_template
    from budgetlm.finetune.ollama import ModelfileConfig, write_modelfile
    from budgetlm.lm.template import CHAT_TEMPLATE

    if not gguf.is_file():
        raise InputError(f"{gguf}: no such GGUF file", source="--gguf")
    own_format = gguf_chat_template(gguf) == CHAT_TEMPLATE
    relative = os.path.relpath(gguf.resolve(), out.resolve())  # Ollama resolves FROM from there
    source = relative if relative.startswith(".") else f"./{relative}"
    config = ModelfileConfig(gguf=source, own_format=own_format)
    path = write_modelfile(config, out)
    chat = "budgetlm's chat format" if own_format else "the model's own chat template"
    console.print(f"Modelfile ({chat}) -> {escape(str(path))}", soft_wrap=True)
    command = f"ollama create {escape(name)} -f {escape(str(path))}"
    console.print(command, soft_wrap=True, highlight=False)  # one line, to copy and paste
