"""Greedy decoding over a Hugging Face causal LM: KV cache, tool-call grammar, confidence.

A :class:`Decoder` wraps one model (Llama/Qwen2 family) and its tokenizer; a :class:`Session`
holds one conversation's KV cache and token ids. A session feeds prompt text
(:meth:`Session.feed`, :meth:`Session.set_context`), decodes a tool call under its JSON schema
(:meth:`Session.tool_call`) and decodes a free answer until ``<|im_end|>``
(:meth:`Session.generate`), optionally with digits banned.

How the model is called. ``model.generate()`` is not used: its per-step bookkeeping is large next
to a tiny model's step. The backbone (``model.get_decoder()``) runs only over tokens that are not
yet in the cache, all of them in one forward pass, and only the last position is kept. The
vocabulary projection is done here on that one position and, under a grammar, only onto the
tokens the grammar allows (the projection is a quarter of a Qwen2.5-0.5B step). Tokens are run
lazily: a chosen or forced token joins the session's ids at once but reaches the model only when
a later choice needs the model, so forced grammar text (keys, punctuation, the rest of an enum
value), the last token of a turn and the next turn's prompt share forward passes, and a position
where the grammar allows one token costs no forward pass at all.

Prefix reuse. :meth:`Session.set_context` takes a whole conversation, keeps the cached prefix it
shares with the session's tokens and prefills only the rest, so each turn costs only its new
tokens.

Confidence. For every token the model chose (not forced by the grammar) the session records the
probability after masking (softmax over the allowed tokens only) and the best alternative.
``confidence`` is the minimum over chosen tokens: one unsure token (a wrong category) spoils a
call however sure the rest was. :class:`ToolCallGeneration` also keeps the minimum per JSON field
so the assistant can ask about the argument that was uncertain. Probabilities are per token: a
value the grammar lets the model spell with several tokenizations ("Groceries", or "G" then
"roceries") splits its mass between them, which lowers the confidence of an untrained model; a
trained model puts nearly all of it on the tokenization it was trained on.

The forward pass itself is ``lm.fast_forward`` (a lean Llama/Qwen2 forward over the model's
own weights, with a preallocated KV cache) when it supports the model, and the Hugging Face
backbone with a ``DynamicCache`` otherwise or with ``DecodingConfig(lean_forward=False)``. The two
give the same numbers on the shipped model (``tests/lm/test_fast_forward.py``); the lean one
spares the per-call overhead that dominates a pass of a model this small.

Sessions are not thread-safe; a decoder may be shared by threads that each decode their own
sessions. Sessions decoded as jobs of one ``lm.batching.Interleaver`` (the server does so) run
their passes through the lean forward as one batch, with the same results as alone (bit for bit
with int8 weights, within float rounding with float32 ones).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from budgetlm.lm.batching import shared_pass
from budgetlm.lm.constraints import (
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    Constraint,
    ConstraintFactory,
    DecodingError,
    banned_answer_tokens,
    choice_grammar,
    field_confidence,
    llg_tokenizer,
    tool_call_grammar,
)
from budgetlm.lm.fast_forward import KVCache, LeanForward, unsupported_reason

__all__ = [
    "Decoder",
    "DecodingConfig",
    "DecodingError",
    "Generation",
    "Session",
    "StopReason",
    "TokenChoice",
    "ToolCallGeneration",
]

StopReason = Literal["accepted", "stop_token", "max_tokens"]
TokensOrText = str | Sequence[int]
Cache = KVCache | DynamicCache
"""A conversation's KV cache, the lean forward's or Hugging Face's (:meth:`Decoder.new_cache`)."""

_STOP_TOKENS = ("<|im_end|>", "<|endoftext|>")


@dataclass(frozen=True)
class DecodingConfig:
    """Limits and tuning of a :class:`Decoder`."""

    max_tool_call_tokens: int = 256
    """Most tokens a tool call may take, markers included, before decoding gives up."""
    max_answer_tokens: int = 200
    """Default cap on the tokens of a free answer (its stop token not counted)."""
    grammar_cache_size: int = 32
    """How many compiled grammars a decoder keeps (one per tool schema in use)."""
    lean_forward: bool = True
    """Run the model with ``lm.fast_forward`` when it supports it (Llama/Qwen2, float32, default
    RoPE, full attention); False: always the Hugging Face forward (parity tests)."""


@dataclass(frozen=True)
class TokenChoice:
    """One output token and how sure the model was of it.

    Attributes:
        token_id: The token.
        text: Its text (decoded leniently: a token may hold part of a character).
        forced: True when the grammar allowed only this token; the model was not asked.
        probability: Probability after masking (softmax over allowed tokens); 1.0 when forced.
        alternative: Text of the most probable other allowed token, if any.
        alternative_probability: Its probability (0.0 when there is none).
    """

    token_id: int
    text: str
    forced: bool
    probability: float = 1.0
    alternative: str | None = None
    alternative_probability: float = 0.0


@dataclass(frozen=True)
class Generation:
    """What one call to a session's decoding methods produced.

    Attributes:
        text: The output text (a stop token that ended it is not included).
        token_ids: The output tokens (same convention).
        choices: One record per output token.
        stop_reason: ``"accepted"`` (the grammar is complete), ``"stop_token"`` or
            ``"max_tokens"``.
        model_calls: Forward passes made (a prompt's prefill included when it was pending).
        seconds: Wall-clock time of the call.
    """

    text: str
    token_ids: tuple[int, ...]
    choices: tuple[TokenChoice, ...]
    stop_reason: StopReason
    model_calls: int
    seconds: float

    @property
    def confidence(self) -> float:
        """Lowest probability of any token the model chose (1.0 when all were forced)."""
        return min((c.probability for c in self.choices if not c.forced), default=1.0)

    @property
    def chosen_tokens(self) -> int:
        """How many output tokens the model chose (the others were forced)."""
        return sum(not c.forced for c in self.choices)


@dataclass(frozen=True)
class ToolCallGeneration:
    """A decoded tool call with its confidence overall and per JSON field.

    Attributes:
        generation: The raw generation (``<tool_call>\\n{json}\\n</tool_call>``).
        call_text: The JSON object between the markers, valid for the schema.
        field_confidence: For each field path of the JSON (``"name"``, ``"arguments"``,
            ``"arguments.period"``, ...), the lowest probability of a chosen token that starts
            inside it; 1.0 when the grammar forced all of it. Braces and commas count for the
            enclosing object, so ``"arguments"`` covers the choice of which optional arguments
            to give.
    """

    generation: Generation
    call_text: str
    field_confidence: Mapping[str, float]

    @property
    def confidence(self) -> float:
        """Lowest probability of any token the model chose (see :class:`Generation`)."""
        return self.generation.confidence

    @property
    def least_certain_field(self) -> str | None:
        """The field with the lowest confidence below 1.0, or None if the model chose nothing."""
        unsure = {path: p for path, p in self.field_confidence.items() if p < 1.0}
        return min(unsure, key=lambda path: unsure[path]) if unsure else None


class Decoder:
    """Decoding machinery shared by all sessions of one model.

    Args:
        model: A causal LM whose output layer is a plain linear projection (Llama, Qwen2,
            Mistral families). It is put in eval mode.
        tokenizer: Its fast tokenizer (with ChatML tokens for tool calls and stops).
        config: Limits; defaults to :class:`DecodingConfig`.

    Raises:
        ValueError: For a model whose logits are not a plain projection of the last hidden
            state, or a slow tokenizer.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        config: DecodingConfig | None = None,
    ) -> None:
        head = model.get_output_embeddings()  # type: ignore[no-untyped-call]
        if not isinstance(head, nn.Linear) or any(
            getattr(model.config, name, None) not in (None, 1.0)
            for name in ("final_logit_softcapping", "logit_scale")
        ):
            raise ValueError("decoding supports models whose logits are a linear projection")
        model.eval()  # type: ignore[no-untyped-call]
        self.model = model
        self.tokenizer = tokenizer
        self.config = config or DecodingConfig()
        self._backbone: nn.Module = model.get_decoder()  # type: ignore[no-untyped-call]
        self._lean: LeanForward | None = None
        if self.config.lean_forward and unsupported_reason(model) is None:
            self._lean = LeanForward(model)
        self._head = head
        self.vocab_size = head.out_features
        self.llg = llg_tokenizer(tokenizer, self.vocab_size)
        self._constraints = ConstraintFactory(
            self.llg, self.vocab_size, self.config.grammar_cache_size
        )
        self._call_grammars = lru_cache(self.config.grammar_cache_size)(self._call_grammar)
        vocab = tokenizer.get_vocab()
        stops = [vocab[t] for t in _STOP_TOKENS if t in vocab]
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in stops:
            stops.append(int(tokenizer.eos_token_id))
        self.stop_ids: tuple[int, ...] = tuple(stops)
        self._marker_ids = (vocab.get(TOOL_CALL_OPEN), vocab.get(TOOL_CALL_CLOSE))
        self._banned: dict[bool, torch.Tensor] = {}
        self._token_bytes: dict[int, bytes] = {}

    @property
    def device(self) -> torch.device:
        """Where the model's weights live."""
        return self._head.weight.device

    def session(self) -> Session:
        """A new, empty conversation."""
        return Session(self)

    def encode(self, text_or_ids: TokensOrText, *, specials: bool = True) -> list[int]:
        """Token ids of text, or the ids themselves.

        With ``specials`` the text's control tokens (``<|im_start|>`` ...) become special
        tokens; text that holds user data should be encoded with ``specials=False`` (or by
        ``lm.template``) so that it can never forge one.
        """
        if isinstance(text_or_ids, str):
            ids = self.tokenizer.encode(
                text_or_ids, add_special_tokens=False, split_special_tokens=not specials
            )
            return [int(token) for token in ids]
        return [int(token) for token in text_or_ids]

    def token_bytes(self, token_id: int) -> bytes:
        """The exact bytes a token stands for (special tokens: their text)."""
        raw = self._token_bytes.get(token_id)
        if raw is None:
            raw = self._token_bytes[token_id] = self.llg.decode_bytes([token_id])
        return raw

    def token_text(self, token_id: int) -> str:
        """A token's text, decoded leniently."""
        return self.token_bytes(token_id).decode("utf-8", errors="replace")

    def constraint(self, grammar: str) -> Constraint:
        """A fresh constraint for an llguidance grammar (compiled once per decoder)."""
        return self._constraints(grammar)

    def tool_call_grammar(self, schema: Mapping[str, object]) -> str:
        """The grammar of a tool call whose JSON satisfies ``schema`` (built once per schema:
        building one takes longer than writing the schema as JSON)."""
        return self._call_grammars(json.dumps(schema))

    def _call_grammar(self, schema_json: str) -> str:
        return tool_call_grammar(json.loads(schema_json), self.llg, *self._marker_ids)

    def banned_answer_ids(self, *, forbid_digits: bool) -> torch.Tensor:
        """Ids a free answer may not produce (see ``constraints.banned_answer_tokens``)."""
        if forbid_digits not in self._banned:
            banned = banned_answer_tokens(
                self.llg,
                self.tokenizer.all_special_ids,
                self.stop_ids,
                self.vocab_size,
                tokenizer_size=len(self.tokenizer),
                forbid_digits=forbid_digits,
            )
            self._banned[forbid_digits] = torch.from_numpy(banned).to(self.device)
        return self._banned[forbid_digits]

    @property
    def uses_lean_forward(self) -> bool:
        """Whether passes run on ``lm.fast_forward`` (else on the Hugging Face backbone)."""
        return self._lean is not None

    def new_cache(self) -> Cache:
        """An empty KV cache for this model (and for the forward this decoder uses)."""
        if self._lean is not None:
            return self._lean.new_cache()
        return DynamicCache(config=self.model.config)

    def forward(self, token_ids: Sequence[int], cache: Cache) -> torch.Tensor:
        """Run ``token_ids`` after what ``cache`` holds; return the last position's hidden state.

        The cache (from :meth:`new_cache`) is extended in place. Nothing is projected onto the
        vocabulary. In a job of an ``lm.batching.Interleaver`` a lean pass runs in one batch
        with the other jobs' passes, with the same result.
        """
        if isinstance(cache, KVCache):
            if self._lean is None:
                raise TypeError("this decoder uses DynamicCache (see new_cache)")
            return shared_pass(self._run_lean, token_ids, cache)  # parks outside inference mode
        with torch.inference_mode():
            input_ids = torch.tensor([list(token_ids)], dtype=torch.long, device=self.device)
            out = self._backbone(input_ids=input_ids, past_key_values=cache, use_cache=True)
            hidden: torch.Tensor = out.last_hidden_state[0, -1]  # (H,)
        return hidden

    def _run_lean(self, items: Sequence[tuple[Sequence[int], KVCache]]) -> list[torch.Tensor]:
        """Passes of the lean forward, one batch (``lm.batching.BatchRunner``)."""
        assert self._lean is not None
        with torch.inference_mode():
            return self._lean.run_batch(items)

    def logits(
        self,
        hidden: torch.Tensor,
        token_ids: torch.Tensor | None = None,
        *,
        banned: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Float32 logits of ``hidden`` for ``token_ids`` (all tokens when None).

        ``banned`` ids (only with all tokens) get ``-inf``. A subset is projected onto its own
        rows of the output embedding when it is under a quarter of the vocabulary (gathering
        the rows and projecting reads them twice; the full projection reads every row once).
        """
        weight, bias = self._head.weight, self._head.bias
        with torch.inference_mode():
            if token_ids is None or 4 * token_ids.numel() > self.vocab_size:
                out = nn.functional.linear(hidden, weight, bias).float()  # (V,)
                if banned is not None:
                    out[banned] = float("-inf")
                return out if token_ids is None else out[token_ids]
            part_bias = None if bias is None else bias[token_ids]
            return nn.functional.linear(hidden, weight[token_ids], part_bias).float()  # (k,)


def _pick(probs: torch.Tensor, index: int | None) -> tuple[int, float, int | None, float]:
    """Chosen index (argmax unless given), its probability, best other index and probability."""
    top = torch.topk(probs, min(2, probs.numel()))
    ranked = [int(i) for i in top.indices]
    chosen = ranked[0] if index is None else index
    other = next((i for i in ranked if i != chosen), None)
    other_p = float(probs[other]) if other is not None else 0.0
    return chosen, float(probs[chosen]), other, other_p


class Session:
    """One conversation: its token ids, KV cache and the model state after the last token.

    Attributes:
        model_calls: Forward passes made so far.
        prefilled_tokens: Tokens run through the model so far (all forward passes).
    """

    def __init__(self, decoder: Decoder) -> None:
        self._decoder = decoder
        self._cache = decoder.new_cache()
        self._ids: list[int] = []
        self._cached = 0
        self._hidden: torch.Tensor | None = None
        self.model_calls = 0
        self.prefilled_tokens = 0

    @property
    def tokens(self) -> tuple[int, ...]:
        """All token ids of the conversation so far, generated ones included."""
        return tuple(self._ids)

    @property
    def cached_tokens(self) -> int:
        """How many of :attr:`tokens` are in the KV cache (the rest are pending)."""
        return self._cached

    def feed(self, text_or_ids: TokensOrText, *, prefill: bool = True) -> None:
        """Append prompt text or ids; with ``prefill``, run everything pending in one pass."""
        self._ids.extend(self._decoder.encode(text_or_ids))
        if prefill and self._ids:
            self._hidden_state()

    def set_context(self, text_or_ids: TokensOrText, *, prefill: bool = True) -> int:
        """Make the conversation exactly ``text_or_ids``, reusing the cached common prefix.

        Returns:
            How many leading tokens were reused from the cache.
        """
        new = self._decoder.encode(text_or_ids)
        common = 0
        for old_id, new_id in zip(self._ids, new, strict=False):
            if old_id != new_id:
                break
            common += 1
        keep = min(common, self._cached)
        self._truncate_cache(keep)
        self._ids = new
        if prefill and self._ids:
            self._hidden_state()
        return keep

    def _truncate_cache(self, length: int) -> None:
        if length < self._cached:
            self._cache.crop(length - self._cached)  # negative: tokens to drop
            self._cached = length
            self._hidden = None

    def _hidden_state(self) -> torch.Tensor:
        """The hidden state after the last token, running pending tokens if needed."""
        if not self._ids:
            raise DecodingError("nothing to decode from: feed a prompt first")
        if self._hidden is not None and self._cached == len(self._ids):
            return self._hidden
        if self._cached == len(self._ids):  # state lost by a crop: recompute the last token
            self._truncate_cache(self._cached - 1)
        pending = self._ids[self._cached :]
        self._hidden = self._decoder.forward(pending, self._cache)
        self._cached = len(self._ids)
        self.model_calls += 1
        self.prefilled_tokens += len(pending)
        return self._hidden

    def _choice(
        self, probs: torch.Tensor, index: int | None, ids: NDArray[np.int64] | None
    ) -> TokenChoice:
        """The model's choice among ``probs`` (over ``ids``, or over all tokens when None)."""
        chosen, prob, other, other_p = _pick(probs, index)
        token_of = (lambda i: i) if ids is None else (lambda i: int(ids[i]))
        text = self._decoder.token_text
        alternative = None if other is None else text(token_of(other))
        return TokenChoice(
            token_of(chosen), text(token_of(chosen)), False, prob, alternative, other_p
        )

    def generate(
        self, *, max_new_tokens: int | None = None, forbid_digits: bool = False
    ) -> Generation:
        """Greedy free text until a stop token (``<|im_end|>``) or ``max_new_tokens``.

        Special tokens other than the stops are never produced. With ``forbid_digits`` no token
        that writes a digit can be produced either (the answer uses ``{placeholders}``).
        The stop token joins the conversation but not :attr:`Generation.text`.
        """
        started, calls = time.perf_counter(), self.model_calls
        limit = self._decoder.config.max_answer_tokens if max_new_tokens is None else max_new_tokens
        banned = self._decoder.banned_answer_ids(forbid_digits=forbid_digits)
        out: list[int] = []
        choices: list[TokenChoice] = []
        reason: StopReason = "max_tokens"
        while len(out) < limit:
            logits = self._decoder.logits(self._hidden_state(), banned=banned)
            choice = self._choice(torch.softmax(logits, dim=-1), None, None)
            self._ids.append(choice.token_id)
            if choice.token_id in self._decoder.stop_ids:
                reason = "stop_token"
                break
            out.append(choice.token_id)
            choices.append(choice)
        return self._result(out, choices, reason, started, calls)

    def generate_constrained(
        self,
        grammar: str,
        *,
        max_new_tokens: int | None = None,
        target_ids: Sequence[int] | None = None,
    ) -> Generation:
        """Greedy decoding under an llguidance grammar until it is complete.

        Forced tokens are appended without asking the model (and run with the next choice in
        one pass). With ``target_ids`` the decoder is teacher-forced: at each choice it takes
        the target's token instead of the argmax, still computing the mask and the model step,
        so the recorded probabilities say how sure the model was of the target.

        Raises:
            DecodingError: If the grammar rejects the target or fails.
        """
        started, calls = time.perf_counter(), self.model_calls
        limit = (
            self._decoder.config.max_tool_call_tokens if max_new_tokens is None else max_new_tokens
        )
        constraint = self._decoder.constraint(grammar)
        out: list[int] = []
        choices: list[TokenChoice] = []
        reason: StopReason = "max_tokens"
        while len(out) < limit:
            if constraint.finished:
                reason = "accepted"
                break
            forced = constraint.forced()[: limit - len(out)]
            if target_ids is not None and forced != list(
                target_ids[len(out) : len(out) + len(forced)]
            ):
                forced = []  # the target tokenizes these bytes differently: take it step by step
            if forced:
                constraint.consume(forced)
                self._ids.extend(forced)
                out.extend(forced)
                choices.extend(TokenChoice(t, self._decoder.token_text(t), True) for t in forced)
                continue
            choice = self._constrained_choice(constraint.allowed(), target_ids, len(out))
            token = choice.token_id
            constraint.consume([token])
            self._ids.append(token)
            if token in self._decoder.llg.eos_tokens and constraint.accepting:
                reason = "stop_token"
                break
            out.append(token)
            choices.append(choice)
        if reason == "max_tokens" and constraint.finished:
            reason = "accepted"
        return self._result(out, choices, reason, started, calls)

    def _constrained_choice(
        self, allowed: NDArray[np.int64], target_ids: Sequence[int] | None, position: int
    ) -> TokenChoice:
        """Choose among ``allowed`` tokens (or take the target's), asking the model if needed."""
        wanted: int | None = None
        if target_ids is not None:
            if position >= len(target_ids):
                raise DecodingError("target ended before the grammar was complete")
            wanted = int(target_ids[position])
            slot = int(np.searchsorted(allowed, wanted))
            if slot >= allowed.size or int(allowed[slot]) != wanted:
                text = self._decoder.token_text(wanted)
                raise DecodingError(f"target token {text!r} at {position} is not allowed")
        if allowed.size == 1:
            return TokenChoice(int(allowed[0]), self._decoder.token_text(int(allowed[0])), True)
        ids = torch.from_numpy(allowed).to(self._decoder.device)
        probs = torch.softmax(self._decoder.logits(self._hidden_state(), ids), dim=-1)
        return self._choice(probs, None if wanted is None else slot, allowed)

    def choose_text(self, options: Sequence[str]) -> Generation:
        """Decode one of ``options`` (literal texts): the model chooses only where they differ;
        the rest is forced by the grammar and costs no model call of its own."""
        return self.generate_constrained(
            choice_grammar(options),
            max_new_tokens=self._decoder.config.max_answer_tokens,
        )

    def tool_call(
        self,
        schema: Mapping[str, object],
        *,
        target: str | None = None,
        max_new_tokens: int | None = None,
    ) -> ToolCallGeneration:
        """Decode ``<tool_call>\\n{json}\\n</tool_call>`` whose JSON satisfies ``schema``.

        The session is left after ``</tool_call>``; the caller appends ``<|im_end|>`` and the
        tool response (or calls :meth:`set_context` with the rendered conversation).

        Args:
            schema: JSON schema of the call object (``{"name": ..., "arguments": {...}}``).
            target: Teacher-force this call JSON instead of choosing (evaluation, benchmarks).
            max_new_tokens: Cap on the call's tokens (default from the config).

        Raises:
            DecodingError: If no complete call fits in the token cap, or the target is invalid.
        """
        target_ids = None
        if target is not None:
            encode = self._decoder.encode
            target_ids = [
                *encode(TOOL_CALL_OPEN),
                *encode(f"\n{target}\n", specials=False),
                *encode(TOOL_CALL_CLOSE),
            ]
        generation = self.generate_constrained(
            self._decoder.tool_call_grammar(schema),
            max_new_tokens=max_new_tokens,
            target_ids=target_ids,
        )
        if generation.stop_reason != "accepted":
            raise DecodingError(
                f"tool call did not finish within {len(generation.token_ids)} tokens"
            )
        raw = [self._decoder.token_bytes(c.token_id) for c in generation.choices]
        output = b"".join(raw)
        probabilities = [None if c.forced else c.probability for c in generation.choices]
        return ToolCallGeneration(
            generation,
            output[output.find(b"{") : output.rfind(b"}") + 1].decode("utf-8"),
            field_confidence(raw, probabilities),
        )

    def _result(
        self,
        out: list[int],
        choices: list[TokenChoice],
        reason: StopReason,
        started: float,
        calls: int,
    ) -> Generation:
        text = b"".join(self._decoder.token_bytes(t) for t in out).decode("utf-8", errors="replace")
        return Generation(
            text,
            tuple(out),
            tuple(choices),
            reason,
            self.model_calls - calls,
            time.perf_counter() - started,
        )
