"""Backends that run a causal LM in this process: ``micro`` (the shipped model) and
``hf:PATH[+ADAPTER]`` (any local Hugging Face model, optionally with a PEFT LoRA adapter).

Both decode the tool call under the tools' JSON schema (``lm.decoding``, llguidance), so the call
always validates, and both keep one decoding session whose KV cache is reused across the turns
of a conversation. A server decodes several conversations at once with :meth:`LocalBackend.fork`
(one backend per thread, one model and decoder for all, passes batched). They differ in the
prompt:

- ``micro`` was trained on budgetlm's own chat format (``lm.template``) without tool
  descriptions in the prompt, and answers with one of the answer templates that fit the result,
  whose ``{placeholders}`` code fills: it cannot write a number of its own, and only the first
  tokens where the templates differ cost a model step. Each question is followed by
  the line of the user's names it mentions (``assistant.linking``), as in training, and its
  call may only use payees and numbers the conversation said (``linking.call_candidates``).
- ``hf:`` models get their own chat template with the tools' schemas, laid out by
  ``lm.hf_chat.ChatRenderer`` exactly as ``budgetlm finetune`` trains them (control-token
  look-alikes in ledger text defused), and write numbers out; the guard checks every one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from budgetlm.assistant.answer import result_phrasings
from budgetlm.assistant.backends.base import BackendError, CallChoice, Message
from budgetlm.assistant.tools import ToolCall, ToolResult, Vocabulary
from budgetlm.assistant.tools.schema import decoding_schema, tool_schemas
from budgetlm.lm.hf_chat import ChatRenderer

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from budgetlm.lm.decoding import Decoder, DecodingConfig, Session, ToolCallGeneration

MICRO_PACKAGE = "budgetlm.lm"
MICRO_DIRECTORY = "micro"
"""The shipped model lives in ``budgetlm/lm/micro/`` (safetensors, tokenizer, card)."""
MAX_ANSWER_TOKENS = 96
"""Cap on an answer's tokens."""


def micro_directory() -> Path:
    """Where the shipped micro model is installed."""
    return Path(str(resources.files(MICRO_PACKAGE).joinpath(MICRO_DIRECTORY)))


class LocalBackend:
    """A local causal LM behind the backend interface.

    Args:
        model: The model (Llama/Qwen2/Mistral family).
        tokenizer: Its fast tokenizer with a chat template.
        name: Shown in replies (``micro-<version>``, ``hf:<path>``).
        own_format: True for models trained on budgetlm's format (the micro model): no tool
            descriptions in the prompt, answers with placeholders and no digits.
        decoding: The decoder's limits and tuning (``lm.decoding.DecodingConfig``).
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        name: str,
        own_format: bool,
        decoding: DecodingConfig | None = None,
    ) -> None:
        from budgetlm.lm.decoding import Decoder

        self.decoder: Decoder = Decoder(model, tokenizer, decoding)
        self.tokenizer = tokenizer
        self.own_format = own_format
        self._name = name
        self._session: Session = self.decoder.session()
        self._vocabulary = Vocabulary()

    @classmethod
    def micro(cls, directory: Path | None = None, quantize: str | None = None) -> LocalBackend:
        """The shipped micro model (or one trained by ``budgetlm lm train`` into ``directory``),
        with ``quantize="int8"`` its backbone's linear layers in int8 (``lm.quantize``)."""
        from budgetlm.lm.model import load_pretrained
        from budgetlm.lm.quantize import parse_quantization, quantize_model

        try:
            scheme = None if quantize is None else parse_quantization(quantize)
        except ValueError as error:
            raise BackendError(str(error)) from None
        directory = directory or micro_directory()
        if not (directory / "config.json").is_file():
            raise BackendError(
                f"{directory}: no trained micro model there; train one with "
                "`budgetlm lm train --preset micro --seed 0`"
            )
        import torch

        # A 4M-parameter step is too small to share between threads: with two threads on a
        # busy 2-core machine decoding ran 10-20x slower, with one thread 2-3x (decode_bench).
        torch.set_num_threads(1)
        model, tokenizer = load_pretrained(directory)
        name = _micro_name(directory)
        if scheme is not None:
            model, name = quantize_model(model, scheme), f"{name}+{scheme}"
        return cls(model, tokenizer, name=name, own_format=True)

    @classmethod
    def from_hf(cls, spec: str) -> LocalBackend:
        """``PATH[+ADAPTER]``: a local Hugging Face model directory, optionally a LoRA adapter."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path, _, adapter = spec.partition("+")
        for where in (path, adapter):
            if where and not Path(where).is_dir():
                raise BackendError(f"hf:{spec}: {where} is not a directory")
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        if tokenizer.chat_template is None:
            raise BackendError(f"hf:{spec}: the tokenizer has no chat template")
        return cls(model, tokenizer, name=f"hf:{spec}", own_format=False)

    def fork(self) -> LocalBackend:
        """Another backend over the same model and decoder, with a conversation of its own,
        for another question decoded at the same time (a thread's, or an
        ``lm.batching.Interleaver`` job's). Each backend answers one question at a time."""
        twin = copy.copy(self)
        twin._session = self.decoder.session()
        twin._vocabulary = Vocabulary()
        return twin

    @property
    def session(self) -> Session:
        """This backend's decoding session (one conversation's KV cache): one user at a time."""
        return self._session

    @cached_property
    def _renderer(self) -> ChatRenderer:
        """The prompt layout of ``hf:`` models (the micro model uses ``lm.template``)."""
        return ChatRenderer(self.tokenizer)

    @property
    def name(self) -> str:
        """The model's name."""
        return self._name

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        """Decode one schema-valid tool call; report the argument the model was least sure of."""
        self._vocabulary = vocabulary
        self._session.set_context(self._prompt(messages, vocabulary), prefill=False)
        decoded = self._session.tool_call(self._schema(messages, vocabulary))
        call = ToolCall.parse(decoded.call_text)
        uncertain, alternatives = _uncertainty(decoded, call, vocabulary)
        return CallChoice(call, decoded.confidence, uncertain, alternatives)

    def phrase(self, messages: Sequence[Message], result: ToolResult) -> str:
        """Generate the answer. The micro model chooses among the answer templates that fit
        the result (``answer.result_phrasings``, its training targets); ``hf:`` models write
        freely."""
        self._session.set_context(self._prompt(messages, self._vocabulary), prefill=False)
        if self.own_format:
            templates = result_phrasings(result)
            return self._session.choose_text(templates).text if templates else ""
        return self._session.generate(max_new_tokens=MAX_ANSWER_TOKENS).text

    def _schema(self, messages: Sequence[Message], vocabulary: Vocabulary) -> dict[str, object]:
        """The call's schema; for the micro model, payees and numbers narrowed to those the
        conversation said (``linking.call_candidates``)."""
        if not self.own_format:
            return decoding_schema(vocabulary)
        from budgetlm.assistant.linking import call_candidates

        said = call_candidates(messages, vocabulary)
        return decoding_schema(replace(vocabulary, payees=said.payees), said.numbers)

    def _prompt(self, messages: Sequence[Message], vocabulary: Vocabulary) -> list[int]:
        if self.own_format:
            from budgetlm.assistant.linking import with_mentions
            from budgetlm.lm.template import encode_chat

            shown = with_mentions(messages, vocabulary)
            return encode_chat(shown, self.tokenizer, add_generation_prompt=True)
        return self._renderer.prompt_ids(messages, tool_schemas(vocabulary))


def _micro_name(directory: Path) -> str:
    card = directory / "training.json"
    if card.is_file():
        version = json.loads(card.read_text(encoding="utf-8")).get("version")
        if version:
            return f"micro-{version}"
    return "micro"


def _uncertainty(
    decoded: ToolCallGeneration, call: ToolCall, vocabulary: Vocabulary
) -> tuple[str | None, tuple[str, ...]]:
    """The least certain argument and the values the model weighed for it.

    For an enum argument the alternatives are the chosen value and the vocabulary values that
    begin the way the runner-up token would have continued it.
    """
    path = decoded.least_certain_field
    if path is None:
        return None, ()
    argument = path.split(".", 1)[1] if path.startswith("arguments.") else "name"
    if path == "arguments":
        argument = "name"
    chosen = call.name if argument == "name" else call.arguments.get(argument)
    if not isinstance(chosen, str):
        return argument, ()
    runner_up = _runner_up_prefix(decoded, path)
    pool = {
        "name": (),
        "category": vocabulary.categories,
        "payee": vocabulary.payees,
        "account": vocabulary.accounts,
        "goal": vocabulary.goals,
    }.get(argument, ())
    others = [v for v in pool if runner_up and v != chosen and v.startswith(runner_up)]
    return argument, (chosen, *others[:2])


def _runner_up_prefix(decoded: ToolCallGeneration, path: str) -> str | None:
    """The string value of field ``path`` as it would begin had the runner-up token been taken
    at the least certain position of that field."""
    from budgetlm.lm.constraints import field_paths

    choices = decoded.generation.choices
    text = b""
    best: tuple[float, str] | None = None
    for choice in choices:
        start = text
        text += choice.text.encode("utf-8")
        inside = text[text.find(b"{") :] if b"{" in text else b""
        paths = field_paths(inside) if inside else []
        if choice.forced or not paths or paths[-1] != path or choice.alternative is None:
            continue
        if best is None or choice.probability < best[0]:
            before = start[start.rfind(b'"') + 1 :].decode("utf-8", "replace")
            best = (choice.probability, before + choice.alternative)
    return best[1] if best else None
