"""The settings of a LoRA fine-tuning run (``budgetlm finetune --config FILE.yaml``), and presets.

A config file is YAML with the fields of :class:`FinetuneConfig`; ``lora:`` and ``train:`` hold
:class:`LoraSettings` and :class:`TrainSettings`. ``preset: NAME`` starts from one of the
presets shipped in ``budgetlm/finetune/presets/`` (Qwen2.5-1.5B and 3B, Llama-3.2-3B,
Phi-3.5-mini, Mistral-7B), whose values the file's own override. Relative paths are read from
the config file's folder and ``~`` is expanded. Unknown keys and wrong types are errors that name
the file and the key, so a typo never silently trains with a default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from budgetlm.errors import InputError

Schedule = Literal["cosine", "linear", "constant"]
LoadIn = Literal["none", "8bit", "4bit"]
Dtype = Literal["auto", "float32", "bfloat16", "float16"]
Metrics = Literal["csv", "tensorboard"]
PRESETS_PACKAGE = "budgetlm.finetune"
PRESETS_DIRECTORY = "presets"


@dataclass(frozen=True)
class LoraSettings:
    """The adapter (PEFT ``LoraConfig``)."""

    rank: int = 16
    """Rank r of the update matrices."""
    alpha: int = 32
    """Scale: the update is multiplied by ``alpha / rank``."""
    dropout: float = 0.05
    """Dropout on the adapter's input."""
    target_modules: tuple[str, ...] = (
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
    )  # fmt: skip
    """Names of the Linear layers that get adapters (every projection, by default)."""

    def __post_init__(self) -> None:
        if self.rank < 1 or self.alpha <= 0 or not 0 <= self.dropout < 1:
            raise ValueError("lora: rank must be >= 1, alpha > 0 and dropout in [0, 1)")
        if not self.target_modules:
            raise ValueError("lora: target_modules must name at least one layer")


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation, checkpoints and logging."""

    learning_rate: float = 2e-4
    """Peak learning rate (AdamW)."""
    schedule: Schedule = "cosine"
    """Decay after warm-up."""
    warmup_ratio: float = 0.03
    """Share of the optimizer steps spent warming up linearly from zero."""
    epochs: float = 2.0
    """Passes over the training file; ignored when ``max_steps`` is set."""
    max_steps: int | None = None
    """Exact number of optimizer steps."""
    batch_size: int = 4
    """Conversations per forward pass."""
    grad_accumulation: int = 4
    """Forward passes per optimizer step (effective batch = batch_size * grad_accumulation)."""
    max_length: int = 4096
    """Conversations are cut to this many tokens, their end first. The 20 tools' descriptions
    alone take 3,856 tokens with budgetlm's own 4,096-token vocabulary, and fewer with the
    large vocabularies of Qwen2.5 or Llama 3 (``finetune.formats.prompt_tools``)."""
    weight_decay: float = 0.0
    """Decoupled weight decay on the adapter."""
    seed: int = 0
    """Seeds the adapter's initialisation, dropout and the data order."""
    gradient_checkpointing: bool = True
    """Recompute activations in the backward pass: less memory, about a third more time."""
    save_steps: int = 200
    """Write a resumable checkpoint every this many optimizer steps."""
    save_total_limit: int = 3
    """Keep only the newest checkpoints."""
    eval_steps: int = 200
    """Validation loss every this many steps (when there is a validation file)."""
    logging_steps: int = 10
    """Log loss and learning rate every this many steps."""
    metrics: tuple[Metrics, ...] = ("csv",)
    """Where metrics go: ``metrics.csv`` in the output folder and/or TensorBoard event files."""
    load_in: LoadIn = "none"
    """Load the base model quantized (QLoRA with ``4bit``); needs bitsandbytes and a CUDA GPU."""
    dtype: Dtype = "auto"
    """Weights' dtype: ``auto`` is bfloat16 on a GPU that has it, float32 otherwise."""
    threads: int | None = None
    """CPU threads for PyTorch (None keeps its default)."""

    def __post_init__(self) -> None:
        if self.learning_rate <= 0 or not 0 <= self.warmup_ratio < 1:
            raise ValueError("train: learning_rate must be > 0 and warmup_ratio in [0, 1)")
        if self.max_steps is None and self.epochs <= 0:
            raise ValueError("train: epochs must be > 0")
        if min(self.batch_size, self.grad_accumulation, self.save_steps, self.eval_steps) < 1:
            raise ValueError("train: batch sizes and step intervals must be >= 1")
        if self.max_length < 8 or (self.max_steps is not None and self.max_steps < 1):
            raise ValueError("train: max_length must be >= 8 and max_steps >= 1")


@dataclass(frozen=True)
class FinetuneConfig:
    """One fine-tuning run."""

    base_model: Path
    """Local Hugging Face model directory (weights, tokenizer with a chat template)."""
    train_file: Path
    """Chat JSONL (``budgetlm dataset export --format chat``): ``messages`` and ``tools``."""
    output_dir: Path
    """Checkpoints, ``metrics.csv``, TensorBoard runs and the final ``adapter/``."""
    validation_file: Path | None = None
    """Held-out conversations for the validation loss."""
    preset: str | None = None
    """The preset the values started from (for the record)."""
    lora: LoraSettings = field(default_factory=LoraSettings)
    """The adapter."""
    train: TrainSettings = field(default_factory=TrainSettings)
    """Optimisation and logging."""


def preset_names() -> list[str]:
    """The shipped presets."""
    folder = resources.files(PRESETS_PACKAGE).joinpath(PRESETS_DIRECTORY)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def preset_values(name: str) -> dict[str, Any]:
    """A preset's raw values.

    Raises:
        InputError: For an unknown preset.
    """
    if name not in preset_names():
        raise InputError(f"unknown preset {name!r}; choose one of {', '.join(preset_names())}")
    path = resources.files(PRESETS_PACKAGE).joinpath(PRESETS_DIRECTORY, f"{name}.yaml")
    values = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(values)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_CHOICES = {
    "Schedule": get_args(Schedule),
    "LoadIn": get_args(LoadIn),
    "Dtype": get_args(Dtype),
    "Metrics": get_args(Metrics),
}
"""Allowed values of the settings typed by these names."""


def _value(kind: str, value: Any, source: str, where: str) -> Any:
    """``value`` checked (and converted) against a field's annotation ``kind``."""

    def bad(expected: str) -> InputError:
        return InputError(f"expected {expected}, got {value!r}", source=source, field=where)

    if value is None and kind.endswith("| None"):
        return None
    kind = kind.removesuffix(" | None")
    if kind.startswith("tuple["):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise bad("a list")
        inner = kind.removeprefix("tuple[").removesuffix(", ...]")
        return tuple(_value(inner, item, source, where) for item in items)
    if kind in _CHOICES:
        if value not in _CHOICES[kind]:
            raise bad("one of " + ", ".join(_CHOICES[kind]))
        return value
    if kind == "bool" and not isinstance(value, bool):
        raise bad("true or false")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise bad("a whole number")
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad("a number") from None
    if kind == "str" and not isinstance(value, str):
        raise bad("text")
    return value


def _section(cls: type[Any], values: Any, source: str, name: str) -> Any:
    """Build the frozen settings ``cls`` from a mapping, naming bad keys and values."""
    if not isinstance(values, dict):
        raise InputError("expected a mapping of settings", source=source, field=name)
    known = {f.name: str(f.type) for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        where = f"{name}.{key}" if name else str(key)
        if key not in known:
            raise InputError(
                f"unknown setting; known: {', '.join(known)}", source=source, field=where
            )
        kwargs[key] = _value(known[key], value, source, where)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise InputError(str(error), source=source, field=name or None) from None


def config_from_values(values: dict[str, Any], *, source: str, folder: Path) -> FinetuneConfig:
    """A config from parsed YAML values (preset applied first).

    Args:
        values: The file's mapping.
        source: Where the values came from, for error messages.
        folder: Relative paths are read from here.

    Raises:
        InputError: For unknown keys, wrong types, bad values or missing required paths.
    """
    if not isinstance(values, dict):
        raise InputError("a fine-tuning config must be a YAML mapping", source=source)
    preset = values.get("preset")
    if preset is not None:
        values = _merge(preset_values(str(preset)), values)
    values = dict(values)
    lora = _section(LoraSettings, values.pop("lora", {}) or {}, source, "lora")
    train = _section(TrainSettings, values.pop("train", {}) or {}, source, "train")
    for key in ("base_model", "train_file", "output_dir"):
        if not values.get(key):
            raise InputError(f"{key} is required", source=source, field=key)
    paths = {}
    for key in ("base_model", "train_file", "output_dir", "validation_file"):
        if values.get(key) is not None:
            path = Path(str(values.pop(key))).expanduser()
            paths[key] = path if path.is_absolute() else folder / path
    known = {f.name for f in dataclasses.fields(FinetuneConfig)}
    for key in values:
        if key not in known:
            raise InputError(
                f"unknown setting; known: {', '.join(known)}", source=source, field=key
            )
    preset_name = values.get("preset")
    return FinetuneConfig(
        **paths, preset=None if preset_name is None else str(preset_name), lora=lora, train=train
    )


def load_config(path: Path) -> FinetuneConfig:
    """Read a YAML config file.

    Raises:
        InputError: If the file cannot be read or parsed, or holds bad settings.
    """
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", source=str(path)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {error}", source=str(path), line=line) from None
    return config_from_values(values, source=str(path), folder=path.parent)


def config_values(config: FinetuneConfig) -> dict[str, Any]:
    """The config as plain YAML/JSON values (paths as strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in dataclasses.asdict(config).items()}
