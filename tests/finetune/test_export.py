"""``budgetlm dataset export``: synthetic conversations in the formats trainers read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from budgetlm.finetune.export import ExportConfig, export_synthetic
from budgetlm.finetune.formats import FORMATS, SYSTEM_PROMPT, Format


def _export(tmp_path: Path, format: Format, seed: int = 0) -> Path:
    export_synthetic(ExportConfig(format=format, seed=seed, size=40), tmp_path)
    return tmp_path


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = _export(tmp_path_factory.mktemp("full"), "full")
    return {split: _jsonl(out / f"{split}.jsonl") for split in ("train", "validation", "test")}


def test_every_call_validates_against_the_tools_shipped_with_it_and_answers_have_figures(
    full: dict[str, list[dict[str, Any]]],
) -> None:
    for record in full["train"]:
        messages = record["messages"]
        assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in record["tools"]}
        for message in messages:
            for call in message.get("tool_calls") or []:
                arguments = json.loads(call["function"]["arguments"])
                Draft202012Validator(tools[call["function"]["name"]]).validate(arguments)
            if message["role"] == "assistant" and not message.get("tool_calls"):
                assert "{" not in message["content"]  # placeholders filled with the figures


def test_splits_hold_out_phrasings_and_households(full: dict[str, list[dict[str, Any]]]) -> None:
    households = {s: {r["meta"]["household"] for r in rs} for s, rs in full.items()}
    assert not households["train"] & (households["validation"] | households["test"])
    train_turns = [t for r in full["train"] for t in r["meta"]["turns"]]
    assert {t["phrasing_split"] for t in train_turns} == {"train"}
    held = [t for r in full["test"] for t in r["meta"]["turns"] if t["phrasing_split"] == "test"]
    assert held and not {t["template"] for t in held} & {t["template"] for t in train_turns}
    assert {r["meta"]["source"] for r in full["train"]} == {"synthetic"}


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = _export(tmp_path / "a", "chat").joinpath("train.jsonl").read_bytes()
    again = _export(tmp_path / "b", "chat").joinpath("train.jsonl").read_bytes()
    other = _export(tmp_path / "c", "chat", seed=1).joinpath("train.jsonl").read_bytes()
    assert first == again != other


def test_alpaca_and_sharegpt_carry_calls_observations_and_answers(tmp_path: Path) -> None:
    alpaca = json.loads(_export(tmp_path / "a", "alpaca").joinpath("train.json").read_text())
    calls = [r for r in alpaca if r["input"].startswith("Tools: ")]
    assert calls and len(alpaca) == 2 * len(calls)  # a call and an answer per question
    assert {"instruction", "input", "output", "system"} <= set(alpaca[0])
    assert all("name" in json.loads(r["output"]) for r in calls)
    sharegpt = _jsonl(_export(tmp_path / "s", "sharegpt") / "train.jsonl")
    roles = [t["from"] for t in sharegpt[0]["conversations"]]
    assert roles[:4] == ["human", "function_call", "observation", "gpt"]
    assert json.loads(sharegpt[0]["tools"])[0]["name"]


def test_every_format_writes_a_manifest(tmp_path: Path) -> None:
    for format in FORMATS:
        manifest = json.loads(
            _export(tmp_path / format, format).joinpath("manifest.json").read_text()
        )
        assert manifest["splits"]["train"]["conversations"] == 32
        assert not list((tmp_path / format).glob(".*partial"))


def test_the_command_writes_the_files_and_names_a_bad_format(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from budgetlm.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["dataset", "export", "--out", str(tmp_path), "--size", "40"])
    assert done.exit_code == 0, done.output
    assert "train: 32 conversations" in done.output
    assert (tmp_path / "train.jsonl").is_file()
    bad = runner.invoke(app, ["dataset", "export", "--out", str(tmp_path), "--format", "csv"])
    assert bad.exit_code != 0
    assert "unknown format 'csv'" in bad.output + str(bad.exception)


def test_public_instruction_data_mixes_in_at_the_ratio_under_its_own_system_prompt(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from budgetlm.cli import app

    rows = [
        {"system": "", "user": f"Question {i}: what does an APR of {i}% mean for a card balance?",
         "assistant": f"An APR of {i}% is the yearly interest rate charged on what you owe. " * 3}
        for i in range(400)
    ]  # fmt: skip
    public = tmp_path / "finance.jsonl"
    public.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "mixed"
    result = CliRunner().invoke(
        app, ["dataset", "export", "--out", str(out), "--format", "full", "--size", "40",
              "--public", str(public), "--public-ratio", "0.25"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "public data: 400 rows in 1 file(s)" in result.output
    train = _jsonl(out / "train.jsonl")
    sources = [r["meta"]["source"] for r in train]
    share = sources.count("public:finance.jsonl") / len(sources)
    assert 0.2 <= share <= 0.3
    for record in train:
        own = record["meta"]["source"] == "synthetic"
        assert (record["messages"][0]["content"] == SYSTEM_PROMPT) == own
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["public_ratio"] == 0.25 and manifest["public"]["mixed"]
