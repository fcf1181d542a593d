"""Our byte-level BPE tokenizer: deterministic, digit by digit, a standard HF directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from budgetlm.lm.template import CHAT_TEMPLATE, IM_END, SPECIAL_TOKENS, render
from budgetlm.lm.tokenizer import load_tokenizer, save_tokenizer, train_tokenizer

CATEGORIES = ("Groceries", "Dining Out", "Rent", "Utilities", "Café Crème")


def _texts() -> list[str]:
    texts = []
    for index in range(120):
        category = CATEGORIES[index % len(CATEGORIES)]
        messages = [
            {"role": "user", "content": f"How much did I spend on {category} in month {index}?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "type": "function",
                        "function": {
                            "name": "spending",
                            "arguments": {"period": "last_month", "category": category},
                        },
                    }
                ],
            },
            {"role": "tool", "content": json.dumps({"total": f"{index * 7}.25"})},
            {"role": "assistant", "content": "You spent {total} on {category} {period}."},
        ]
        texts.append(render(messages))
    return texts


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return train_tokenizer(_texts(), 400)


def test_training_twice_gives_the_same_tokenizer(tmp_path: Path) -> None:
    save_tokenizer(train_tokenizer(_texts(), 400), tmp_path / "a")
    save_tokenizer(train_tokenizer(_texts(), 400), tmp_path / "b")
    first = (tmp_path / "a" / "tokenizer.json").read_bytes()
    assert first == (tmp_path / "b" / "tokenizer.json").read_bytes()
    # A different vocabulary size really changes the result (the comparison can fail).
    save_tokenizer(train_tokenizer(_texts(), 300), tmp_path / "c")
    assert first != (tmp_path / "c" / "tokenizer.json").read_bytes()


def test_control_tokens_have_fixed_ids_and_stay_whole(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    assert tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS)) == list(range(7))
    assert tokenizer.eos_token == IM_END
    assert tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.encode("<tool_call>", add_special_tokens=False) == [3]
    assert 300 < len(tokenizer) <= 400


def test_no_merge_is_learned_from_control_token_spelling(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    ordinary = [token for token in tokenizer.get_vocab() if token not in SPECIAL_TOKENS]
    assert not [token for token in ordinary if "im_" in token or "|>" in token]


def test_every_digit_is_its_own_token(tokenizer: PreTrainedTokenizerFast) -> None:
    text = "Paid $1,234.56 on 2026-10-31 and 777 more"
    tokens = tokenizer.convert_ids_to_tokens(tokenizer.encode(text, add_special_tokens=False))
    digit_tokens = [token for token in tokens if any(char.isdigit() for char in token)]
    assert digit_tokens == list("12345620261031777")


@pytest.mark.parametrize(
    "text",
    ["Café Crème — 日本語 🙂", "tabs\tand\n\nnewlines  ", "<|im_end|> is just text", ""],
)
def test_any_text_round_trips(tokenizer: PreTrainedTokenizerFast, text: str) -> None:
    ids = tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True)
    assert tokenizer.decode(ids) == text


def test_saved_directory_is_a_standard_hf_tokenizer(
    tokenizer: PreTrainedTokenizerFast, tmp_path: Path
) -> None:
    save_tokenizer(tokenizer, tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["chat_template"] == CHAT_TEMPLATE
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert not (tmp_path / "chat_template.jinja").exists()

    text = _texts()[7]
    expected = tokenizer.encode(text, add_special_tokens=False)
    for loaded in (AutoTokenizer.from_pretrained(str(tmp_path)), load_tokenizer(tmp_path)):
        assert loaded.encode(text, add_special_tokens=False) == expected
        assert loaded.eos_token == IM_END
        assert set(SPECIAL_TOKENS) <= set(loaded.all_special_tokens)


def test_too_small_vocabulary_and_missing_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 263"):
        train_tokenizer(["hello"], 100)
    with pytest.raises(FileNotFoundError, match=r"no tokenizer\.json"):
        load_tokenizer(tmp_path)
