"""``budgetlm eval model``: the metrics on hand-worked examples, and base vs tuned (a tiny
random Qwen2 and a LoRA adapter over it) plus the shipped micro model scored side by side on
the very same held-out items."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tiny_models import tiny_model, write_jsonl
from typer.testing import CliRunner

from budgetlm.cli import app
from budgetlm.finetune.eval import EvalConfig, compare_models, markdown
from budgetlm.finetune.eval.items import CategorizeItem, categorize_items, entity_items
from budgetlm.finetune.eval.metrics import (
    accuracy,
    entity_scores,
    normalize_amount,
    normalize_date,
    token_f1,
)
from budgetlm.finetune.eval.report import base_of
from budgetlm.finetune.eval.tasks import categorization
from budgetlm.finetune.public import split_of

pytestmark = pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing.*:FutureWarning")

SMALL = EvalConfig(
    conversations=2, categorize_items=3, entity_items=2, households=1, entity_max_new_tokens=48
)
"""Few items and short extractions: a run of three models takes seconds."""


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny random Qwen2 and a random (not zero) LoRA adapter over it."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("eval-model")
    base = tiny_model(folder / "base", "qwen2")
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                      init_lora_weights=False)  # fmt: skip
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(str(base)), lora)
    model.save_pretrained(str(folder / "adapter"))
    return base, folder / "adapter"


@pytest.fixture(scope="module")
def report(tuned: tuple[Path, Path]) -> dict[str, Any]:
    base, adapter = tuned
    return compare_models(["micro", f"hf:{base}", f"hf:{base}+{adapter}"], SMALL)


def test_token_f1_is_squads_bag_of_normalized_tokens() -> None:
    assert token_f1("The rent is $1,200.", "rent is 1200") == 1.0
    # pred {paid, 42, dollars}, gold {42, dollars, paid, at, store}: p = 1, r = 3/5.
    assert token_f1("Paid 42 dollars", "42 dollars paid at the store") == pytest.approx(0.75)
    assert token_f1("interest interest", "interest rate") == pytest.approx(0.5)
    assert token_f1("the", "") == 1.0  # both normalize to nothing
    assert token_f1("a", "rent") == 0.0


def test_entity_f1_normalizes_amounts_dates_and_merchants() -> None:
    assert normalize_amount("$1,234.5") == normalize_amount("1234.50") == "1234.50"
    assert normalize_date("March 4th, 2026") == normalize_date("3/4/2026") == "2026-03-04"
    assert normalize_date("4 Mar 2026") == "2026-03-04"
    perfect = (
        {"amounts": ["$1,234.5"], "dates": ["March 4th, 2026"], "merchants": ["trader joes"]},
        {"amounts": ["1234.50"], "dates": ["2026-03-04"], "merchants": ["Trader Joe's"]},
    )
    assert set(entity_scores([perfect]).values()) == {1.0}
    partly = (
        {"amounts": ["42", "7.00"], "dates": ["3/5/2026"], "merchants": []},
        {"amounts": ["42.00"], "dates": ["2026-03-04"], "merchants": ["Costco"]},
    )
    # amounts TP 2 FP 1 FN 0; dates TP 1 FP 1 FN 1; merchants TP 1 FN 1; all TP 4 FP 2 FN 2.
    scores = entity_scores([perfect, partly])
    assert scores["f1_amounts"] == pytest.approx(4 / 5)
    assert scores["f1_dates"] == pytest.approx(2 / 4)
    assert scores["f1_merchants"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(8 / 12)


class _Always:
    """A model that always picks one category."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def choose(self, user: str, options: list[str]) -> str:
        assert self.answer in options and "Transaction:" in user
        return self.answer


def test_categorization_accuracy_counts_exact_category_matches() -> None:
    assert accuracy(["Groceries", "Gas", "Rent"], ["Groceries", "Rent", "Rent"]) == 2 / 3
    options = ("Groceries", "Dining Out", "Rent")
    truths = ["Groceries", "Groceries", "Rent", "Dining Out"]
    items = [CategorizeItem(f"x{n}", "KROGER #12", Decimal("-5"), options, truth)
             for n, truth in enumerate(truths)]  # fmt: skip
    result = categorization(_Always("Groceries"), items)  # type: ignore[arg-type]
    assert result.metrics == {"accuracy": 0.5} and len(result.latency_ms) == 4


def test_items_are_held_out_and_the_same_for_the_same_seed() -> None:
    from budgetlm.ledger.synth.merchants import merchant_split

    assert categorize_items(SMALL) == categorize_items(SMALL)
    assert entity_items(SMALL) != entity_items(EvalConfig(seed=1, entity_items=2, households=1))
    for item in entity_items(SMALL):
        assert item.id.startswith("h5100:")  # a test-split household
        assert item.expected["merchants"][0] in item.text
    assert all(i.category in i.categories for i in categorize_items(SMALL))
    assert merchant_split("sys.transfer") == "train"  # system payees are never scored


def test_models_see_identical_items_and_scores_are_rates(report: dict[str, Any]) -> None:
    assert [m["spec"].split(":")[0] for m in report["models"]] == ["micro", "hf", "hf"]
    assert report["seed"] == 0 and report["config"]["categorize_items"] == 3
    for model in report["models"]:
        assert list(model["tasks"]) == [
            "budget_questions", "categorization", "finance_qa", "entity_extraction"
        ]  # fmt: skip
        for task, result in model["tasks"].items():
            assert result["digest"] == report["items"][task]["digest"]
            assert result["items"] == report["items"][task]["items"]
            for value in result["metrics"].values():
                assert value is None or 0.0 <= value <= 1.0
            if result["status"] == "ok":
                assert result["latency_ms_p50"] <= result["latency_ms_p95"]
        assert model["tasks"]["finance_qa"]["status"] == "not run: no --qa file"
    assert report["items"]["categorization"]["items"] == 3
    # Three models: the Δ is the adapter against its own base, not against micro.
    [delta] = report["deltas"]
    assert delta["base"] == report["models"][1]["spec"]
    assert delta["tuned"] == report["models"][2]["spec"]
    assert "categorization.accuracy" in delta["metrics"]
    assert base_of("micro+int8:run") == "micro:run" and base_of("micro") is None
    table = markdown(report)
    assert "| categorization: accuracy (n=3) |" in table
    assert "not run: no --qa file" in table and "Seed 0" in table


def _qa_rows() -> list[dict[str, str]]:
    """Finance-Instruct rows, three of which fall in the hashed test split."""
    rows: list[dict[str, str]] = []
    n = 0
    while sum(split_of(r["user"]) == "test" for r in rows) < 3:
        user = f"What is an emergency fund, question {n}?"
        rows.append({"system": "You are a finance tutor.", "user": user,
                     "assistant": "Savings kept for unexpected expenses."})  # fmt: skip
        n += 1
    return rows


def test_the_command_prints_a_table_and_saves_markdown(
    tuned: tuple[Path, Path], tmp_path: Path
) -> None:
    base, adapter = tuned
    qa = write_jsonl(tmp_path / "finance.jsonl", _qa_rows())
    args = ["eval", "model", "--model", f"hf:{base}", "--model", f"hf:{base}+{adapter}",
            "--conversations", "1", "--categorize-items", "2", "--entity-items", "1",
            "--households", "1", "--qa", str(qa), "--qa-items", "2"]  # fmt: skip
    shown = CliRunner().invoke(app, [*args, "--markdown", str(tmp_path / "eval.md")])
    assert shown.exit_code == 0, shown.output
    assert "finance QA" in shown.stdout and "Δ" in shown.stdout  # a Rich table, wrapped
    saved = (tmp_path / "eval.md").read_text()
    [qa_row] = [line for line in saved.splitlines() if "finance QA: token-F1 (n=2)" in line]
    assert "not run" not in qa_row and qa_row.count("|") == 5  # metric, base, tuned, Δ


def test_json_prints_the_whole_report(
    report: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import budgetlm.finetune.eval

    seen: dict[str, Any] = {}

    def fake(specs: list[str], config: EvalConfig, qa: Path | None, **_: Any) -> dict[str, Any]:
        seen.update(specs=specs, config=config, qa=qa)
        return report

    monkeypatch.setattr(budgetlm.finetune.eval, "compare_models", fake)
    args = ["eval", "model", "--model", "micro", "--model", "micro+int8", "--seed", "3", "--json"]
    printed = CliRunner().invoke(app, args)
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == report
    assert seen["specs"] == ["micro", "micro+int8"] and seen["qa"] is None
    assert seen["config"] == EvalConfig(seed=3)


class _Remote:
    """Stands in for an ``openai:`` backend: it always asks for help."""

    name = "openai:fake"

    def choose_call(self, messages: Any, vocabulary: Any) -> Any:
        from budgetlm.assistant.backends.base import CallChoice
        from budgetlm.assistant.tools import ToolCall

        return CallChoice(ToolCall("help", {}), 1.0)

    def phrase(self, messages: Any, result: Any) -> str:
        return ""


def test_a_remote_model_answers_budget_questions_and_skips_the_rest_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import budgetlm.assistant.backends
    from budgetlm.finetune.eval.report import NO_DECODER, evaluate_model, held_out

    monkeypatch.setattr(budgetlm.assistant.backends, "open_backend", lambda spec, today: _Remote())
    config = EvalConfig(conversations=1, categorize_items=1, entity_items=1, households=1)
    result = evaluate_model("openai:http://localhost:1", held_out(config, None), config)
    tasks = result["tasks"]
    assert tasks["budget_questions"]["status"] == "ok"
    assert tasks["categorization"]["status"] == tasks["entity_extraction"]["status"]
    assert tasks["categorization"]["status"] == f"not run: {NO_DECODER}"
    assert tasks["finance_qa"]["status"] == "not run: no --qa file"
