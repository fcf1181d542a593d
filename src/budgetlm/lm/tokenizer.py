"""budgetlm's own byte-level BPE tokenizer, trained with Hugging Face `tokenizers`.

The tokenizer is learned from the rendered chat texts of the training corpus. It is byte-level,
so any Unicode text round-trips; the control tokens of the chat format (`SPECIAL_TOKENS`) are
added special tokens with ids 0..6; and the pre-tokenizer is Qwen2's splitting rule, which puts
every digit in its own token. Single digits make amounts, dates and counts tokenize the same way
whatever their value (the model copies numbers digit by digit instead of learning thousands of
number tokens), and using Qwen2's exact rule lets GGUF exports declare the ``qwen2`` pre-tokenizer
that llama.cpp already implements.

The result is saved as a standard Hugging Face tokenizer directory (``tokenizer.json`` plus
``tokenizer_config.json`` holding the chat template), loadable with
``transformers.AutoTokenizer.from_pretrained``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from budgetlm.lm.template import CHAT_TEMPLATE, ENDOFTEXT, IM_END, SPECIAL_TOKENS

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
"""Qwen2's pre-tokenization rule: words with one leading non-letter, single digits,
punctuation runs, newlines and spaces."""

_BYTE_ALPHABET_SIZE = 256
_SPECIAL_SPLIT = re.compile("|".join(re.escape(token) for token in SPECIAL_TOKENS))


def _plain_pieces(texts: Iterable[str]) -> Iterator[str]:
    """The texts with control tokens cut out, so BPE learns no merges across them."""
    for text in texts:
        for piece in _SPECIAL_SPLIT.split(text):
            if piece:
                yield piece


def train_tokenizer(
    texts: Iterable[str], vocab_size: int, *, min_frequency: int = 2
) -> PreTrainedTokenizerFast:
    """Learn a byte-level BPE tokenizer from chat texts.

    Training is deterministic: the same texts in the same order give an identical
    ``tokenizer.json``.

    Args:
        texts: Rendered conversations (control tokens in them are skipped).
        vocab_size: Total tokens including the 256 byte tokens and the control tokens; fewer
            are produced when the texts do not support that many merges.
        min_frequency: A pair must occur this often to be merged.

    Returns:
        A fast tokenizer with the chat template set, ``<|im_end|>`` as end-of-sequence and
        ``<|endoftext|>`` as padding.

    Raises:
        ValueError: When ``vocab_size`` cannot hold the bytes and control tokens.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    smallest = _BYTE_ALPHABET_SIZE + len(SPECIAL_TOKENS)
    if vocab_size < smallest:
        raise ValueError(f"vocab_size must be at least {smallest}, got {vocab_size}")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_plain_pieces(texts), trainer=trainer)
    return _wrap(backend)


def _wrap(backend: object) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in (IM_END, ENDOFTEXT)],
        padding_side="right",
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, directory: Path | str) -> None:
    """Write the tokenizer as a standard Hugging Face tokenizer directory.

    The chat template goes into ``tokenizer_config.json``; the class is recorded as
    ``PreTrainedTokenizerFast`` and the control tokens as ``additional_special_tokens`` (the
    spellings transformers 4.x understands and 5.x still reads), so tools pinned to older
    releases, such as llama.cpp's converter, load the directory too.

    Args:
        tokenizer: The tokenizer to save.
        directory: Target directory (created when missing).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(directory), save_jinja_files=False)
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    if isinstance(config.get("extra_special_tokens"), list):
        config["additional_special_tokens"] = config.pop("extra_special_tokens")
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", "utf-8")


def load_tokenizer(directory: Path | str) -> PreTrainedTokenizerFast:
    """Load a tokenizer saved by `save_tokenizer` (or any HF fast tokenizer directory).

    Raises:
        FileNotFoundError: When the directory has no ``tokenizer.json``.
    """
    from transformers import PreTrainedTokenizerFast

    directory = Path(directory)
    if not (directory / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{directory}: no tokenizer.json")
    tokenizer: PreTrainedTokenizerFast = PreTrainedTokenizerFast.from_pretrained(str(directory))
    return tokenizer
