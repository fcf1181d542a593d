"""Tiny random-weight causal LMs of real architectures, saved as local Hugging Face folders,
and a few chat conversations to tune them on (no weights are downloaded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from budgetlm.assistant.backends.local import micro_directory
from budgetlm.lm.tokenizer import load_tokenizer

# A ChatML template that renders tools, tool calls and a tool role as Qwen2.5's does.
CHATML_WITH_TOOLS = (
    "{%- if tools %}{%- set tool_text = '# Tools\\n' + (tools | tojson) %}{%- endif %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'system' %}<|im_start|>system\n{{ m.content }}"
    "{%- if tools %}\n\n{{ tool_text }}{%- endif %}<|im_end|>\n"
    "{%- elif m.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ m.content }}"
    "\n</tool_response><|im_end|>\n"
    "{%- else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endif %}"
    "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


def tiny_model(directory: Path, architecture: str, *, seed: int = 0) -> Path:
    """Save a 2-layer random ``qwen2`` or ``llama`` model with budgetlm's tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    tokenizer = load_tokenizer(micro_directory())
    tokenizer.chat_template = CHATML_WITH_TOOLS
    shape: dict[str, Any] = {
        "vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 512, "tie_word_embeddings": True,
        "pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id,
        "initializer_range": 0.5,
    }  # fmt: skip
    config = Qwen2Config(**shape) if architecture == "qwen2" else LlamaConfig(**shape)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory


def _call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {"role": "assistant", "tool_calls": [{"type": "function", "function": function}]}


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "spending",
            "description": "Money spent in a period, optionally in one category.",
            "parameters": {
                "type": "object",
                "properties": {"period": {"type": "string"}, "category": {"type": "string"}},
                "required": ["period"],
            },
        },
    }
]


def conversations(count: int) -> list[dict[str, Any]]:
    """Chat records (``messages`` + ``tools``) of spending questions."""
    categories = ["Groceries", "Dining Out", "Gas", "Rent", "Coffee Shops"]
    periods = ["last_month", "this_month", "this_year"]
    records = []
    for index in range(count):
        category = categories[index % len(categories)]
        period = periods[index % len(periods)]
        amount = f"{100 + 37 * index}.25"
        messages = [
            {"role": "user", "content": f"How much did I spend on {category} ({period})?"},
            _call("spending", {"period": period, "category": category}),
            {"role": "tool", "content": json.dumps({"total": amount, "category": category})},
            {"role": "assistant", "content": f"You spent ${amount} on {category}."},
        ]
        records.append({"messages": messages, "tools": TOOLS})
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
