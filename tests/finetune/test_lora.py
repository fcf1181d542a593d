"""LoRA fine-tuning on tiny random Qwen2 and Llama models: the loss falls, adapters reload to
the same logits, merged models match, runs resume exactly, and configs fail clearly."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_models import conversations, tiny_model, write_jsonl
from typer.testing import CliRunner

from budgetlm.cli import app
from budgetlm.errors import InputError
from budgetlm.finetune.config import (
    FinetuneConfig,
    LoraSettings,
    TrainSettings,
    config_from_values,
    load_config,
    preset_names,
    preset_values,
)
from budgetlm.finetune.lora import FinetuneError, finetune, load_base
from budgetlm.lm.hf_chat import ChatRenderer

pytestmark = pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing.*:FutureWarning")


def _config(tmp_path: Path, architecture: str, **train: Any) -> FinetuneConfig:
    base = tiny_model(tmp_path / f"base-{architecture}", architecture)
    records = conversations(12)
    settings = {
        "learning_rate": 3e-2, "max_steps": 24, "batch_size": 4, "grad_accumulation": 1,
        "max_length": 256, "logging_steps": 4, "save_steps": 12, "eval_steps": 12,
        "warmup_ratio": 0.0, "threads": 1, **train,
    }  # fmt: skip
    return FinetuneConfig(
        base_model=base,
        train_file=write_jsonl(tmp_path / "train.jsonl", records[:10]),
        validation_file=write_jsonl(tmp_path / "validation.jsonl", records[10:]),
        output_dir=tmp_path / "run",
        lora=LoraSettings(rank=4, alpha=8, dropout=0.0),
        train=TrainSettings(**settings),
    )


def _logits(model: Any, tokenizer_dir: Path) -> torch.Tensor:
    from transformers import AutoTokenizer

    renderer = ChatRenderer(AutoTokenizer.from_pretrained(str(tokenizer_dir)))
    ids = renderer.prompt_ids(conversations(1)[0]["messages"][:1])
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits


@pytest.mark.parametrize("architecture", ["qwen2", "llama"])
def test_loss_falls_and_the_adapter_reloads_merges_and_serves_the_same(
    tmp_path: Path, architecture: str
) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    config = _config(tmp_path, architecture)
    run = finetune(config, progress=False)
    losses = [loss for _, loss in run.report["train_losses"]]
    assert losses[-1] < 0.5 * losses[0]  # it learned the conversations
    assert run.report["validation_losses"][-1][1] < run.report["validation_losses"][0][1] + 1e-9
    assert run.report["tokens"] > 0 and run.report["tokens_per_second"] > 0

    adapter = config.output_dir / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file()
    expected = _logits(run.model, adapter)
    base = AutoModelForCausalLM.from_pretrained(str(config.base_model))
    reloaded = PeftModel.from_pretrained(base, str(adapter)).eval()
    assert torch.equal(_logits(reloaded, adapter), expected)
    merged = reloaded.merge_and_unload()
    merged_logits = _logits(merged, adapter)  # W + BA folded: equal up to float32 rounding
    torch.testing.assert_close(merged_logits, expected, rtol=1e-3, atol=1e-3)
    assert torch.equal(merged_logits.argmax(-1), expected.argmax(-1))
    # The adapter changed the model: it is not the base under another name.
    fresh = AutoModelForCausalLM.from_pretrained(str(config.base_model))
    assert not torch.allclose(_logits(fresh, adapter), expected, atol=1e-3)


def test_a_run_reports_its_data_and_logs_to_csv_and_tensorboard(
    tmp_path: Path,
) -> None:
    config = _config(
        tmp_path, "qwen2", max_steps=8, logging_steps=2, metrics=("csv", "tensorboard")
    )
    finetune(config, progress=False)
    assert list((config.output_dir / "runs").glob("*/events.out.tfevents.*"))
    with (config.output_dir / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    train_rows = [r for r in rows if r["loss"]]
    assert [int(r["step"]) for r in train_rows] == [1, 2, 4, 6, 8]
    report = json.loads((config.output_dir / "finetune.json").read_text())
    assert report["examples"] == {"train": 10, "dropped": 0, "validation": 2}
    assert report["trainable_parameters"] < 0.2 * sum(
        p.numel() for p in load_base(config)[0].parameters()
    )


def test_an_interrupted_run_resumes_to_the_same_adapter(tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file

    whole = _config(tmp_path, "llama")
    first = finetune(whole, progress=False).report  # 24 steps, checkpoints after 12 and 24
    # A run killed after its first checkpoint: only checkpoint-12 and the metrics so far.
    killed = replace(whole, output_dir=tmp_path / "killed")
    killed.output_dir.mkdir()
    shutil.copytree(whole.output_dir / "checkpoint-12", killed.output_dir / "checkpoint-12")
    shutil.copy(whole.output_dir / "metrics.csv", killed.output_dir / "metrics.csv")
    second = finetune(killed, resume=True, progress=False).report
    assert second["tokens"] < 0.7 * first["tokens"]  # tokens/s counts only the resumed steps

    name = "adapter/adapter_model.safetensors"
    a, b = load_file(str(whole.output_dir / name)), load_file(str(killed.output_dir / name))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    with (killed.output_dir / "metrics.csv").open(newline="") as handle:
        steps = [int(r["step"]) for r in csv.DictReader(handle) if r["loss"]]
    assert steps == [1, 4, 8, 12, 16, 20, 24]  # rows past the checkpoint were not kept twice


def test_resuming_with_no_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FinetuneError, match="no checkpoint to resume from"):
        finetune(_config(tmp_path, "qwen2", max_steps=2), resume=True, progress=False)


def test_hardware_and_model_mismatches_are_named(tmp_path: Path) -> None:
    config = _config(tmp_path, "qwen2")
    if not torch.cuda.is_available():
        with pytest.raises(FinetuneError, match="bitsandbytes package and a CUDA GPU"):
            finetune(replace(config, train=replace(config.train, load_in="4bit")))
    fused = replace(config, lora=LoraSettings(target_modules=("qkv_proj", "q_proj")))
    with pytest.raises(FinetuneError, match=r"\['qkv_proj'\] are not layers.*q_proj"):
        finetune(fused, progress=False)
    with pytest.raises(FinetuneError, match="not a Hugging Face model folder"):
        finetune(replace(config, base_model=tmp_path))


def test_bad_training_records_name_the_file_and_line(tmp_path: Path) -> None:
    config = _config(tmp_path, "qwen2")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(conversations(1)[0]) + "\n{not json\n")
    with pytest.raises(InputError, match=r"bad\.jsonl, line 2: not JSON"):
        finetune(replace(config, train_file=bad))
    bad.write_text(json.dumps({"messages": "hello"}) + "\n")
    with pytest.raises(InputError, match=r"line 1, field 'messages'"):
        finetune(replace(config, train_file=bad))


def test_every_preset_loads_with_the_users_paths(tmp_path: Path) -> None:
    assert preset_names() == [
        "llama-3.2-3b", "mistral-7b", "phi-3.5-mini", "qwen2.5-1.5b", "qwen2.5-3b",
    ]  # fmt: skip
    for name in preset_names():
        config = config_from_values(
            {"preset": name, "train_file": "data/train.jsonl", "output_dir": "out"},
            source="test", folder=tmp_path,
        )  # fmt: skip
        assert config.base_model.is_absolute() and "~" not in str(config.base_model)
        assert config.train_file == tmp_path / "data/train.jsonl"
        assert config.lora.target_modules == tuple(preset_values(name)["lora"]["target_modules"])
    assert (
        config_from_values(
            {"preset": "mistral-7b", "train_file": "t", "output_dir": "o"},
            source="t",
            folder=tmp_path,
        ).train.load_in
        == "4bit"
    )


def test_a_config_file_overrides_its_preset_and_typos_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "preset: qwen2.5-1.5b\nbase_model: models/q\ntrain_file: d/train.jsonl\n"
        "output_dir: out\nlora: {rank: 8}\ntrain: {learning_rate: 1e-4, epochs: 1}\n"
    )
    config = load_config(path)
    assert config.base_model == tmp_path / "models/q"
    assert (config.lora.rank, config.lora.alpha) == (8, 32)  # alpha from the preset
    assert (config.train.learning_rate, config.train.epochs) == (1e-4, 1.0)
    for text, message in [
        ("lora: {rnak: 8}", r"field 'lora\.rnak': unknown setting"),
        ("train: {schedule: wavy}", r"'train\.schedule': expected one of cosine, linear"),
        ("train: {batch_size: 2.5}", r"'train\.batch_size': expected a whole number"),
        ("train: {gradient_checkpointing: maybe}", r"expected true or false"),
        ("lora: {rank: 0}", r"rank must be >= 1"),
        ("learning_rate: 1", r"field 'learning_rate': unknown setting"),
        ("preset: gpt-5", r"unknown preset 'gpt-5'"),
    ]:
        path.write_text(f"base_model: m\ntrain_file: t\noutput_dir: o\n{text}\n")
        with pytest.raises(InputError, match=message):
            load_config(path)
    path.write_text("output_dir: o\n")
    with pytest.raises(InputError, match="base_model is required"):
        load_config(path)


def test_the_command_trains_from_a_config_file_and_says_how_to_serve(tmp_path: Path) -> None:
    config = _config(tmp_path, "qwen2")
    path = tmp_path / "run.yaml"
    path.write_text(
        f"base_model: {config.base_model}\ntrain_file: train.jsonl\noutput_dir: run\n"
        "lora: {rank: 4, alpha: 8}\ntrain: {max_steps: 3, batch_size: 4, threads: 1}\n"
    )
    result = CliRunner().invoke(app, ["finetune", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "trained 3 steps on 10 conversations" in result.output
    assert f"--model hf:{config.base_model}+{tmp_path / 'run' / 'adapter'}" in result.output
    shown = CliRunner().invoke(
        app, ["finetune", "--config", str(path), "--show", "--max-steps", "9"]
    )
    assert "max_steps: 9" in shown.output
