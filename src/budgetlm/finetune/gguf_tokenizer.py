"""The tokenizer half of a GGUF file: gpt2-style BPE vocabulary, merges, token types, the
llama.cpp pre-tokenizer name, special-token ids and the chat template.

llama.cpp re-implements each known pre-tokenizer (the regex that splits text before BPE) under a
name; a GGUF declares the name, not the regex. We name it from the split regex in
``tokenizer.json`` and refuse regexes we cannot name, since llama.cpp would then split text
differently from training and the model would see token sequences it never saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from budgetlm.lm.tokenizer import SPLIT_PATTERN

PRE_TOKENIZERS: Mapping[str, str] = {
    SPLIT_PATTERN: "qwen2",
    (
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
        r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    ): "llama-bpe",
}
"""llama.cpp's pre-tokenizer name for each split regex it implements that we export: Qwen2's
(our own tokenizer and Qwen2.5's) and Llama-3's (digits in runs of up to three)."""


class GgufExportError(ValueError):
    """A checkpoint the converter cannot write faithfully (architecture, tokenizer, scaling)."""


def load_json(path: Path) -> dict[str, Any]:
    """A JSON object file (``config.json``, ``tokenizer.json``...)."""
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class _Vocabulary:
    """What the tokenizer half of the file lists, one entry per embedding row."""

    tokens: list[str]
    types: list[int]
    merges: list[str]
    pre: str


def _pre_tokenizer(tokenizer: Mapping[str, Any]) -> str:
    """llama.cpp's name for the tokenizer's split rule; errors for what it would not match."""
    pre = tokenizer.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    kinds = [step.get("type") for step in steps]
    splits = [step for step in steps if step.get("type") == "Split"]
    if "ByteLevel" not in kinds or len(splits) != 1:
        raise GgufExportError(
            f"tokenizer pre-tokenizer {kinds} is not a byte-level split that llama.cpp knows"
        )
    pattern = splits[0].get("pattern", {}).get("Regex")
    if pattern not in PRE_TOKENIZERS:
        raise GgufExportError(
            f"unknown tokenizer split regex {pattern!r}; known: Qwen2 (qwen2) and Llama-3 "
            "(llama-bpe). llama.cpp would split text differently from training."
        )
    return PRE_TOKENIZERS[pattern]


def _vocabulary(directory: Path, rows: int) -> _Vocabulary:
    """Tokens (padded to the embedding's ``rows``), llama.cpp token types, merges, pre-split."""
    from gguf import TokenType

    tokenizer = load_json(directory / "tokenizer.json")
    model = tokenizer.get("model", {})
    if model.get("type") != "BPE":
        raise GgufExportError(f"{directory}: tokenizer model {model.get('type')} is not BPE")
    pre = _pre_tokenizer(tokenizer)
    by_id = {int(i): token for token, i in model["vocab"].items()}
    types = {i: int(TokenType.NORMAL) for i in by_id}
    for added in tokenizer.get("added_tokens", []):
        by_id[int(added["id"])] = added["content"]
        special = added.get("special", False)
        types[int(added["id"])] = int(TokenType.CONTROL if special else TokenType.USER_DEFINED)
    if max(by_id) >= rows:
        raise GgufExportError(f"tokenizer has id {max(by_id)}; the embedding has {rows} rows")
    tokens = [by_id.get(i, f"[PAD{i}]") for i in range(rows)]
    token_types = [types.get(i, int(TokenType.UNUSED)) for i in range(rows)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return _Vocabulary(tokens, token_types, merges, pre)


def _token_id(value: object, tokens: list[str]) -> int | None:
    """Id of a ``tokenizer_config.json`` token entry (a string or ``{"content": ...}``)."""
    if isinstance(value, Mapping):
        value = value.get("content")
    if not isinstance(value, str) or value not in tokens:
        return None
    return tokens.index(value)


def _chat_template(directory: Path, tokenizer_config: Mapping[str, Any]) -> str | None:
    template = tokenizer_config.get("chat_template")
    jinja = directory / "chat_template.jinja"
    if template is None and jinja.is_file():
        template = jinja.read_text(encoding="utf-8")
    return template if isinstance(template, str) else None


def _adds_bos(directory: Path, tokenizer_config: Mapping[str, Any], bos: str | None) -> bool:
    """Whether encoding starts with the bos token (tokenizer config flag or post-processor)."""
    if "add_bos_token" in tokenizer_config:
        return bool(tokenizer_config["add_bos_token"])
    processor = load_json(directory / "tokenizer.json").get("post_processor") or {}
    return bos is not None and bos in json.dumps(processor.get("single", []))


def write_tokenizer(writer: Any, directory: Path, rows: int) -> str:
    """Add the tokenizer metadata of a checkpoint directory to a ``gguf.GGUFWriter``.

    Args:
        writer: The writer.
        directory: Holds ``tokenizer.json`` and ``tokenizer_config.json``.
        rows: Rows of the embedding matrix; the token list is padded to this many.

    Returns:
        The llama.cpp pre-tokenizer name written.

    Raises:
        GgufExportError: For a tokenizer llama.cpp would not reproduce.
    """
    vocabulary = _vocabulary(directory, rows)
    tokenizer_config = load_json(directory / "tokenizer_config.json")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(vocabulary.pre)
    writer.add_token_list(vocabulary.tokens)
    writer.add_token_types(vocabulary.types)
    writer.add_token_merges(vocabulary.merges)
    ids = {
        key: _token_id(tokenizer_config.get(key), vocabulary.tokens)
        for key in ("bos_token", "eos_token", "pad_token")
    }
    if ids["eos_token"] is None:
        raise GgufExportError(f"{directory}: tokenizer_config.json names no known eos_token")
    if ids["bos_token"] is not None:
        writer.add_bos_token_id(ids["bos_token"])
    writer.add_eos_token_id(ids["eos_token"])
    if ids["pad_token"] is not None:
        writer.add_pad_token_id(ids["pad_token"])
    bos = tokenizer_config.get("bos_token")
    bos_text = bos.get("content") if isinstance(bos, Mapping) else bos
    writer.add_add_bos_token(_adds_bos(directory, tokenizer_config, bos_text))
    writer.add_add_eos_token(False)
    template = _chat_template(directory, tokenizer_config)
    if template is not None:
        writer.add_chat_template(template)
    return vocabulary.pre
