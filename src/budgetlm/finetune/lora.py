"""LoRA / QLoRA fine-tuning of a local Hugging Face causal LM on budgetlm's conversations.

The loop is Hugging Face's ``Trainer`` (gradient accumulation, gradient checkpointing,
checkpoints that resume with optimizer, schedule and random state, TensorBoard, progress bar)
around a PEFT LoRA model; what budgetlm adds is the data:

- Conversations are chat JSONL records (``messages`` + ``tools``, as ``budgetlm dataset export
  --format chat`` writes them), encoded by ``lm.hf_chat.ChatRenderer``: the model's own chat
  template with budgetlm's tool format, the loss only on the assistant's turns, and each
  turn's prompt exactly the prompt the ``hf:`` backend serves.
- Metrics also go to ``metrics.csv`` (one row per log; rows past a resumed checkpoint are
  dropped, so a resumed run has one row per step).
- The result is ``OUTPUT/adapter/`` (``adapter_model.safetensors``, the tokenizer) and
  ``OUTPUT/finetune.json`` (config, losses, tokens per second, peak memory), loadable as
  ``--model hf:BASE+OUTPUT/adapter``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import resource
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetlm.errors import BudgetlmError, InputError
from budgetlm.finetune.config import FinetuneConfig, config_values

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

    from budgetlm.lm.hf_chat import ChatRenderer

ADAPTER_DIRECTORY = "adapter"
METRICS_FILE = "metrics.csv"
REPORT_FILE = "finetune.json"
_METRIC_COLUMNS = ("step", "epoch", "loss", "eval_loss", "learning_rate", "grad_norm")


class FinetuneError(BudgetlmError):
    """A fine-tuning run that cannot start or go on (hardware, model or data problems)."""


@dataclass(frozen=True)
class FinetuneRun:
    """A finished run."""

    report: dict[str, Any]
    """What ``OUTPUT/finetune.json`` holds."""
    model: Any
    """The trained ``PeftModel`` (base weights frozen, adapter trained), in eval mode."""


@dataclass(frozen=True)
class EncodedExample:
    """One conversation as token ids and labels (``IGNORE_INDEX`` outside assistant turns)."""

    input_ids: list[int]
    labels: list[int]


def read_conversations(path: Path) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """``(messages, tools)`` of every record of a chat JSONL file.

    Raises:
        InputError: Naming the file and line of a record that is not a chat record.
    """
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", source=str(path)) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"not JSON: {error.msg}", source=str(path), line=number) from None
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages
        ):
            raise InputError(
                "expected a list of messages with roles", source=str(path), line=number,
                field="messages",
            )  # fmt: skip
        tools = record.get("tools") or []
        if not isinstance(tools, list):
            raise InputError("expected a list", source=str(path), line=number, field="tools")
        records.append((messages, tools))
    if not records:
        raise InputError("no conversations", source=str(path))
    return records


def encode_file(
    path: Path, renderer: ChatRenderer, max_length: int
) -> tuple[list[EncodedExample], int]:
    """Encode a chat JSONL file; conversations left with nothing to learn are dropped.

    Returns:
        The examples and how many were dropped.

    Raises:
        InputError: For unreadable records or conversations the template cannot lay out.
    """
    from budgetlm.lm.hf_chat import ChatTemplateError
    from budgetlm.lm.template import IGNORE_INDEX

    examples = []
    conversations = read_conversations(path)
    for number, (messages, tools) in enumerate(conversations, start=1):
        try:
            ids, labels = renderer.training_ids(messages, tools or None, max_length)
        except (ChatTemplateError, KeyError, TypeError) as error:
            raise InputError(f"cannot lay out this conversation: {error}", source=str(path),
                             line=number) from None  # fmt: skip
        if any(label != IGNORE_INDEX for label in labels[1:]):
            examples.append(EncodedExample(ids, labels))
    return examples, len(conversations) - len(examples)


def collate(examples: Sequence[Mapping[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch into ``input_ids``, ``attention_mask`` and ``labels`` tensors."""
    import torch

    from budgetlm.lm.template import IGNORE_INDEX

    width = max(len(e["input_ids"]) for e in examples)
    batch = {
        "input_ids": torch.full((len(examples), width), pad_id, dtype=torch.long),
        "attention_mask": torch.zeros((len(examples), width), dtype=torch.long),
        "labels": torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long),
    }
    for row, example in enumerate(examples):
        n = len(example["input_ids"])
        batch["input_ids"][row, :n] = torch.tensor(example["input_ids"])
        batch["attention_mask"][row, :n] = 1
        batch["labels"][row, :n] = torch.tensor(example["labels"])
    return batch


def _dtype(config: FinetuneConfig) -> torch.dtype:
    import torch

    name = config.train.dtype
    if name == "auto":
        on_gpu = torch.cuda.is_available()
        return torch.bfloat16 if on_gpu and torch.cuda.is_bf16_supported() else torch.float32
    if name != "float32" and not torch.cuda.is_available():
        raise FinetuneError(f"dtype {name} trains only on a GPU here; use float32 or auto")
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def _quantization(config: FinetuneConfig) -> Any:
    """bitsandbytes settings for 8/4-bit loading, or None."""
    if config.train.load_in == "none":
        return None
    import importlib.util

    import torch

    if importlib.util.find_spec("bitsandbytes") is None or not torch.cuda.is_available():
        raise FinetuneError(
            f"load_in: {config.train.load_in} needs the bitsandbytes package and a CUDA GPU "
            "(pip install bitsandbytes); on this machine set load_in: none"
        )
    from transformers import BitsAndBytesConfig

    if config.train.load_in == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)  # type: ignore[no-untyped-call]
    return BitsAndBytesConfig(  # type: ignore[no-untyped-call]
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=_dtype(config),
    )  # fmt: skip


def load_base(config: FinetuneConfig) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The base model and tokenizer from ``config.base_model``.

    Raises:
        FinetuneError: When the folder holds no loadable model, or quantized loading is asked
            for without bitsandbytes and a GPU.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = config.base_model
    if not (path / "config.json").is_file():
        raise FinetuneError(f"{path}: not a Hugging Face model folder (no config.json)")
    quantization = _quantization(config)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForCausalLM.from_pretrained(
        str(path), dtype=_dtype(config), quantization_config=quantization
    )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(  # type: ignore[no-untyped-call]
            model, config.train.gradient_checkpointing
        )
    return model, tokenizer


@contextmanager
def _quiet_peft_deprecation() -> Iterator[None]:
    """PEFT 0.21 reads a transformers attribute that transformers 5 deprecated; the warning is
    theirs to fix and says nothing to our users."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning
        )
        yield


def add_adapter(model: PreTrainedModel, config: FinetuneConfig) -> Any:
    """Wrap ``model`` in a LoRA ``PeftModel`` (initialised from ``config.train.seed``).

    Raises:
        FinetuneError: When a target module is not in the model, naming the ones that are.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    lora = config.lora
    settings = LoraConfig(
        r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules), task_type="CAUSAL_LM",
    )  # fmt: skip
    linear = sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, m in model.named_modules()
            if isinstance(m, torch.nn.Linear)
        }
    )
    missing = [t for t in lora.target_modules if t not in linear]
    if missing:
        raise FinetuneError(
            f"lora.target_modules {missing} are not layers of this model; its Linear layers "
            f"are {', '.join(linear)}"
        )
    with torch.random.fork_rng(devices=[]), _quiet_peft_deprecation():
        torch.manual_seed(config.train.seed)
        return get_peft_model(model, settings)


def _csv_callback(path: Path) -> TrainerCallback:
    from transformers import TrainerCallback

    class CsvMetrics(TrainerCallback):
        """Append each log to ``metrics.csv``; on resume drop rows past the checkpoint."""

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            rows = []
            if path.is_file():
                with path.open(newline="", encoding="utf-8") as handle:
                    rows = [
                        r for r in csv.DictReader(handle) if int(r["step"]) <= state.global_step
                    ]
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, _METRIC_COLUMNS)
                writer.writeheader()
                writer.writerows(rows)

        def on_log(
            self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any
        ) -> None:
            logs = logs or {}
            if not any(key in logs for key in ("loss", "eval_loss")):
                return
            row = {key: logs.get(key, "") for key in _METRIC_COLUMNS}
            row.update(step=state.global_step, epoch=round(state.epoch or 0.0, 4))
            with path.open("a", newline="", encoding="utf-8") as handle:
                csv.DictWriter(handle, _METRIC_COLUMNS).writerow(row)

    return CsvMetrics()


def _tokens_at_start() -> Any:
    from transformers import TrainerCallback

    class TokensAtStart(TrainerCallback):
        """Remembers the tokens a resumed run had already seen, for an honest tokens/s."""

        tokens = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.tokens = int(state.num_input_tokens_seen)

    return TokensAtStart()


def _report_to(config: FinetuneConfig) -> list[str]:
    if "tensorboard" not in config.train.metrics:
        return []
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        raise FinetuneError(
            "metrics: tensorboard needs the tensorboard package (pip install 'budgetlm[finetune]')"
        )
    return ["tensorboard"]


def _peak_memory_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def finetune(config: FinetuneConfig, *, resume: bool = False, progress: bool = True) -> FinetuneRun:
    """Train a LoRA adapter as ``config`` says and save it.

    Args:
        config: The run.
        resume: Go on from the newest checkpoint in ``config.output_dir``.
        progress: Show the progress bar.

    Returns:
        The report (also written to ``OUTPUT/finetune.json``) and the trained model.

    Raises:
        FinetuneError: Hardware, model or checkpoint problems.
        InputError: Bad training files.
    """
    import torch
    from transformers import Trainer, TrainingArguments

    from budgetlm.lm.hf_chat import ChatRenderer, ChatTemplateError

    settings = config.train
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    model, tokenizer = load_base(config)
    try:
        renderer = ChatRenderer(tokenizer)
    except ChatTemplateError as error:
        raise FinetuneError(f"{config.base_model}: {error}") from None
    train_examples, dropped = encode_file(config.train_file, renderer, settings.max_length)
    if not train_examples:
        raise InputError("no conversation has an assistant turn to learn from",
                         source=str(config.train_file))  # fmt: skip
    validation: list[EncodedExample] = []
    if config.validation_file is not None:
        validation, _ = encode_file(config.validation_file, renderer, settings.max_length)
    peft_model = add_adapter(model, config)

    per_step = settings.batch_size * settings.grad_accumulation
    steps = settings.max_steps or max(
        1, math.ceil(settings.epochs * len(train_examples) / per_step)
    )
    output = config.output_dir
    output.mkdir(parents=True, exist_ok=True)
    args = TrainingArguments(
        output_dir=str(output),
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accumulation,
        learning_rate=settings.learning_rate,
        lr_scheduler_type=settings.schedule
        if settings.schedule != "constant"
        else "constant_with_warmup",
        warmup_steps=round(settings.warmup_ratio * steps),
        max_steps=steps,
        weight_decay=settings.weight_decay,
        seed=settings.seed,
        data_seed=settings.seed,
        activation_checkpointing=settings.gradient_checkpointing,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        eval_strategy="steps" if validation else "no",
        eval_steps=settings.eval_steps,
        logging_steps=settings.logging_steps,
        logging_first_step=True,
        report_to=_report_to(config),
        use_cpu=not torch.cuda.is_available(),
        bf16=_dtype(config) == torch.bfloat16,
        fp16=_dtype(config) == torch.float16,
        disable_tqdm=not progress,
        train_sampling_strategy="group_by_length",
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
    )
    as_rows = [{"input_ids": e.input_ids, "labels": e.labels} for e in train_examples]
    eval_rows = [{"input_ids": e.input_ids, "labels": e.labels} for e in validation]
    pad_id = int(tokenizer.pad_token_id)
    start = _tokens_at_start()
    callbacks = [
        start,
        *([_csv_callback(output / METRICS_FILE)] if "csv" in settings.metrics else []),
    ]
    trainer = Trainer(
        model=peft_model,
        args=args,
        train_dataset=as_rows,
        eval_dataset=eval_rows or None,
        data_collator=lambda batch: collate(batch, pad_id),
        callbacks=callbacks,
    )
    started = time.perf_counter()
    try:
        with _quiet_peft_deprecation():
            result = trainer.train(resume_from_checkpoint=True if resume else None)
    except ValueError as error:
        if resume and "checkpoint" in str(error).lower():
            raise FinetuneError(f"{output}: no checkpoint to resume from") from None
        raise
    seconds = time.perf_counter() - started

    adapter = output / ADAPTER_DIRECTORY
    peft_model.save_pretrained(str(adapter))
    tokenizer.save_pretrained(str(adapter))
    history = trainer.state.log_history
    tokens = int(trainer.state.num_input_tokens_seen) - start.tokens  # this process's share
    report = {
        "config": config_values(config),
        "base_model": str(config.base_model),
        "adapter": str(adapter),
        "examples": {
            "train": len(train_examples),
            "dropped": dropped,
            "validation": len(validation),
        },
        "steps": trainer.state.global_step,
        "train_losses": [(h["step"], h["loss"]) for h in history if "loss" in h],
        "validation_losses": [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h],
        "final_train_loss": result.training_loss,
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "tokens_per_second": round(tokens / seconds, 1) if seconds else None,
        "peak_memory_mb": round(_peak_memory_mb(), 1),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "trainable_parameters": sum(p.numel() for p in peft_model.parameters() if p.requires_grad),
    }
    text = json.dumps(report, indent=2) + "\n"
    temporary = output / f".{REPORT_FILE}.partial"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, output / REPORT_FILE)
    peft_model.eval()
    return FinetuneRun(report, peft_model)
