"""A lean inference forward for Llama and Qwen2 decoders, with its own preallocated KV cache.

Why it is hand-written. At the ``micro`` model's size (hidden 256, 4 layers) a pass is so small
that Hugging Face's generic forward costs nearly as much as the arithmetic: module dispatch and
output capture, causal-mask creation, rotary embeddings recomputed per call, RMSNorm as five ops
and a ``DynamicCache`` grown by ``torch.cat``. Profiling an ``ask`` (7 passes of mostly 1-20
tokens over a ~150-token cache) put ~2.3 ms of a 5.7 ms pass there and ~3 ms in the linear
layers. This module does the same arithmetic with fewer ops and no dispatch:

- the projections called as plain functions; ``Int8Linear`` q/k/v and gate/up joined into one
  layer each (one input quantization and one kernel call instead of three or two);
- rotary cos/sin from tables computed once, applied to q and k together;
- fused ``rms_norm``; attention by ``scaled_dot_product_attention`` with ``enable_gqa``;
- keys and values written in place into preallocated buffers (:class:`KVCache`).

It gives the same numbers as the Hugging Face forward, bit for bit on the shipped ``micro``
model in float32 and int8 (same ops on the same inputs; SDPA is called with 4-D tensors, as
transformers does, because 3-D ones take another kernel). CPU time of one pass over a 150-token
cache, one thread, 2-core AMD EPYC, HF -> lean (``benchmarks/forward_bench.py``): float32
1 token 3.36 -> 2.51 ms, 17 tokens 5.72 -> 4.52 ms, 120 tokens 15.3 -> 14.3 ms; int8 2.47 ->
1.49, 3.55 -> 2.28, 8.33 -> 7.01 ms. What is left is mostly the matmuls (float32 reads 12.6 MB
of weights per pass). ``ask`` on ``micro+int8``: 1.34x faster at p50 and p95.

Ragged batches. :meth:`LeanForward.run_batch` runs the new tokens of several conversations, each
with its own cache, in one pass, as vLLM flattens them: all tokens form one (T, C) sequence with
each token's own position for the rotary tables, so norms, projections, rotary embeddings, the MLP
and the residual adds run once over all of them, and only the cache writes and attention run per
conversation (each over its own cache, with a causal mask when it has several tokens). At this size
a pass is mostly torch's per-op overhead, which the batch pays once. Thread CPU time, one thread,
caches of 150-171 positions, ranges over four runs: ``micro+int8`` one 1-token pass 1.0-1.1 ms,
eight of them one after another 7.5-9.7 ms, the eight as one batch 3.0-3.5 ms (four: 3.8-4.9 against
1.9-2.3 ms; a 17-token chunk with seven single tokens: 8.5-10.7 against 3.9-4.4 ms); float32 2.0-2.2
ms, 15.9-17.5 against 4.5-4.9 ms (four: 7.9-8.9 against 3.3-3.7). Of the int8 batch of eight, about
a quarter is ``_int_mm`` (its 8-row kernel takes ~3.5x the time of the 1-row matrix-vector path) and
a quarter the 32 attention calls. With ``Int8Linear`` (one input scale per token, integer sums)
every item gets bit for bit what it gets alone; in float32 a single token's matmuls round
differently inside a batch than alone (up to ~4e-6 on the micro model), while items of several
tokens come out identical. ``__call__`` is ``run_batch`` of one item: 20-27 us (1-3%) more per
1-token pass than the single-item code it replaced (paired runs), the price of writing the math
once; a shared helper would keep most of it (the per-item bookkeeping).

It covers ``LlamaModel`` and ``Qwen2Model`` (transformers 5) with float32 weights, default
RoPE, SiLU MLP and full attention only. :func:`unsupported_reason` says why a model is not
covered (another architecture, rope scaling, sliding windows, replaced modules, hooks, another
dtype ...); the caller then uses the Hugging Face forward. Nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel
from transformers.models.llama import modeling_llama as llama
from transformers.models.qwen2 import modeling_qwen2 as qwen2

from budgetlm.lm.quantize import Int8Linear

__all__ = ["KVCache", "LeanForward", "unsupported_reason"]

Projection = Callable[[torch.Tensor], torch.Tensor]
"""A linear layer as a function: (T, in) -> (T, out)."""

_PARTS: dict[type, tuple[type, type, type, type]] = {
    llama.LlamaModel: (
        llama.LlamaDecoderLayer,
        llama.LlamaAttention,
        llama.LlamaMLP,
        llama.LlamaRMSNorm,
    ),
    qwen2.Qwen2Model: (
        qwen2.Qwen2DecoderLayer,
        qwen2.Qwen2Attention,
        qwen2.Qwen2MLP,
        qwen2.Qwen2RMSNorm,
    ),
}
"""Supported backbones and the classes of their decoder layer, attention, MLP and norm."""
_INITIAL_CAPACITY = 256
"""Positions a new cache has room for before it first grows."""


class KVCache:
    """Keys and values of one conversation, in preallocated buffers.

    Holds :attr:`length` positions in buffers with room for :attr:`capacity`, which double when
    a pass needs more. It offers what ``lm.decoding`` uses of a ``DynamicCache``
    (``get_seq_length``, ``crop``).

    Args:
        layers: Decoder layers.
        kv_heads: Key/value heads per layer.
        head_dim: Size of one head.
        device: Where the buffers live.
        capacity: Positions to make room for at once.
    """

    def __init__(
        self,
        layers: int,
        kv_heads: int,
        head_dim: int,
        device: torch.device,
        capacity: int = _INITIAL_CAPACITY,
    ) -> None:
        shape = (layers, 2, 1, kv_heads, capacity, head_dim)  # batch of 1 for SDPA
        self._buffer = torch.empty(shape, dtype=torch.float32, device=device)
        self.length = 0

    @property
    def capacity(self) -> int:
        """Positions the buffers have room for."""
        return self._buffer.shape[4]

    def get_seq_length(self) -> int:
        """Positions held (the name ``DynamicCache`` uses)."""
        return self.length

    def crop(self, tokens_to_remove: int) -> None:
        """Forget the last ``-tokens_to_remove`` positions (a negative count, as in
        ``DynamicCache.crop``).

        Raises:
            ValueError: For a positive count.
        """
        if tokens_to_remove > 0:
            raise ValueError("crop takes minus the number of positions to remove")
        self.length = max(0, self.length + tokens_to_remove)

    def reserve(self, length: int) -> None:
        """Make room for ``length`` positions, keeping the ones held."""
        if length <= self.capacity:
            return
        layers, _, _, kv_heads, capacity, head_dim = self._buffer.shape
        shape = (layers, 2, 1, kv_heads, max(length, 2 * capacity), head_dim)
        grown = self._buffer.new_empty(shape)
        grown[..., : self.length, :] = self._buffer[..., : self.length, :]
        self._buffer = grown

    def layer(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Key and value buffers of one layer, (1, kv_heads, capacity, head_dim) each."""
        return self._buffer[index, 0], self._buffer[index, 1]


@dataclass(frozen=True)
class _Layer:
    """The weights one decoder layer computes with."""

    attention_norm: torch.Tensor
    qkv: Projection
    output: Projection
    mlp_norm: torch.Tensor
    gate_up: Projection
    down: Projection


class _Item(NamedTuple):
    """Where one item of a ragged batch sits: its rows among all tokens, its cache positions."""

    cache: KVCache
    rows: slice
    """Its rows among all the batch's tokens."""
    start: int
    """Its first position in the cache (what the cache held)."""
    end: int
    mask: torch.Tensor | None
    """Its causal mask (T_i, end), None for a single token."""


def _projection(layer: nn.Module) -> Projection:
    """An ``nn.Linear`` or ``Int8Linear`` as a function, without module dispatch."""
    if isinstance(layer, Int8Linear):
        return layer.forward
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"not a linear layer: {type(layer).__name__}")
    weight, bias = layer.weight, layer.bias
    return lambda x: F.linear(x, weight, bias)


def _concatenated(layers: Sequence[nn.Module]) -> Projection:
    """One function computing all of ``layers`` on the same input, outputs side by side.

    ``Int8Linear`` layers are joined into one (one input quantization and one kernel call:
    20% off a 1-token pass of ``micro+int8``, 14% off a 17-token one). Float layers are called
    in turn and their outputs joined: concatenated weights saved only 1-4% of a pass, not worth
    a copy of them.
    """
    int8 = [layer for layer in layers if isinstance(layer, Int8Linear)]
    if len(int8) == len(layers):
        return Int8Linear.concatenate(int8).forward
    projections = [_projection(layer) for layer in layers]
    return lambda x: torch.cat([projection(x) for projection in projections], dim=-1)


def _projections(layer: Any) -> list[nn.Module]:
    """A decoder layer's linear layers: q, k, v, o, gate, up, down."""
    attention, mlp = layer.self_attn, layer.mlp
    return [
        attention.q_proj,
        attention.k_proj,
        attention.v_proj,
        attention.o_proj,
        mlp.gate_proj,
        mlp.up_proj,
        mlp.down_proj,
    ]


def _backbone(model: PreTrainedModel) -> Any:
    """The model's decoder stack (Hugging Face modules are untyped)."""
    return model.get_decoder()  # type: ignore[no-untyped-call]


def unsupported_reason(model: PreTrainedModel) -> str | None:
    """Why :class:`LeanForward` cannot run ``model``, or None when it can."""
    config, backbone = model.config, _backbone(model)
    parts = _PARTS.get(type(backbone))
    if parts is None:
        return f"backbone {type(backbone).__name__} is not LlamaModel or Qwen2Model"
    rope = getattr(config, "rope_parameters", None) or {}
    if rope.get("rope_type") != "default" or "rope_theta" not in rope:
        return f"rope parameters {rope} are not the default type"
    if getattr(config, "sliding_window", None) is not None or any(
        kind != "full_attention" for kind in getattr(config, "layer_types", None) or ()
    ):
        return "sliding-window attention"
    if config.hidden_act != "silu":
        return f"activation {config.hidden_act}"
    if len(backbone.layers) != config.num_hidden_layers:
        return "layer count differs from the config"
    layer_kind, attention_kind, mlp_kind, norm_kind = parts
    modules = {
        (type(backbone.embed_tokens), nn.Embedding),
        (type(backbone.norm), norm_kind),
        *((type(layer), layer_kind) for layer in backbone.layers),
        *((type(layer.self_attn), attention_kind) for layer in backbone.layers),
        *((type(layer.mlp), mlp_kind) for layer in backbone.layers),
        *((type(layer.input_layernorm), norm_kind) for layer in backbone.layers),
        *((type(layer.post_attention_layernorm), norm_kind) for layer in backbone.layers),
    }
    if any(found is not expected for found, expected in modules):
        return "modules replaced in the backbone"
    kinds = {type(projection) for layer in backbone.layers for projection in _projections(layer)}
    if kinds not in ({nn.Linear}, {Int8Linear}):
        return f"projections {sorted(kind.__name__ for kind in kinds)}"
    if any(module._forward_hooks or module._forward_pre_hooks for module in backbone.modules()):
        return "forward hooks on the backbone"
    parameters = list(backbone.parameters())
    if any(p.dtype != torch.float32 for p in parameters):
        return "weights are not float32"
    if len({p.device for p in parameters}) != 1:
        return "weights on several devices"
    return None


class LeanForward:
    """The backbone of a Llama or Qwen2 causal LM, for inference over a :class:`KVCache`.

    It computes with the model's own weight tensors (int8 ones joined into new layers once), so
    the model must not be changed afterwards.

    Args:
        model: A model for which :func:`unsupported_reason` is None.

    Raises:
        ValueError: For a model it does not support.
    """

    def __init__(self, model: PreTrainedModel) -> None:
        reason = unsupported_reason(model)
        if reason is not None:
            raise ValueError(f"the lean forward does not support this model: {reason}")
        config = model.config
        backbone = _backbone(model)
        self.heads: int = config.num_attention_heads
        self.kv_heads: int = config.num_key_value_heads
        self.hidden_size: int = config.hidden_size
        self.head_dim: int = getattr(config, "head_dim", None) or self.hidden_size // self.heads
        self.eps: float = config.rms_norm_eps
        self._embedding: torch.Tensor = backbone.embed_tokens.weight
        self.device = self._embedding.device
        self._layers = []
        for layer in backbone.layers:
            q, k, v, o, gate, up, down = _projections(layer)
            self._layers.append(
                _Layer(
                    layer.input_layernorm.weight,
                    _concatenated([q, k, v]),
                    _projection(o),
                    layer.post_attention_layernorm.weight,
                    _concatenated([gate, up]),
                    _projection(down),
                )
            )
        self._final_norm: torch.Tensor = backbone.norm.weight
        # As transformers' default RoPE: inverse frequencies from the config's theta.
        steps = torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim
        self._inv_freq = (1.0 / (config.rope_parameters["rope_theta"] ** steps)).to(self.device)
        self._cos = self._sin = torch.empty(0, 1, self.head_dim, device=self.device)
        self._rope_tables(min(config.max_position_embeddings, 4096))

    def new_cache(self) -> KVCache:
        """An empty cache for this model."""
        return KVCache(len(self._layers), self.kv_heads, self.head_dim, self.device)

    def _rope_tables(self, length: int) -> None:
        """Make the cos/sin tables cover positions ``0..length-1``.

        The sine table has its first half negated, so that rotating x is
        ``x * cos + swap_halves(x) * sin`` (transformers' ``rotate_half``).
        """
        if length <= self._cos.shape[0]:
            return
        length = max(length, 2 * self._cos.shape[0])
        positions = torch.arange(length, dtype=torch.float32, device=self.device)
        freqs = positions[:, None] * self._inv_freq[None, :]  # (P, D/2)
        angles = torch.cat((freqs, freqs), dim=-1)  # (P, D)
        half = self.head_dim // 2
        sin = angles.sin()
        sin[:, :half] = -sin[:, :half]
        self._cos, self._sin = angles.cos()[:, None, :], sin[:, None, :]  # (P, 1, D)

    def __call__(self, token_ids: Sequence[int], cache: KVCache) -> torch.Tensor:
        """Run ``token_ids`` after what ``cache`` holds; return the last position's hidden state
        after the final norm, shape (hidden,). The cache is extended in place.

        Raises:
            ValueError: For no tokens.
        """
        return self.run_batch([(token_ids, cache)])[0]

    def run_batch(self, items: Sequence[tuple[Sequence[int], KVCache]]) -> list[torch.Tensor]:
        """Run each item's token ids after what its cache holds, all in one pass.

        The tokens of all items are flattened into one sequence (ragged batching): norms,
        projections, rotary embeddings and the MLP run once over all of them; only the cache
        writes and attention run per item, each over its own cache. Each cache is extended in
        place. With int8 projections each item gets bit for bit what it would get alone; in
        float32 up to rounding (see the module docstring).

        Args:
            items: Token ids and the cache they follow, one pair per conversation.

        Returns:
            Each item's last-position hidden state after the final norm, shape (hidden,), as
            :meth:`__call__` would return it.

        Raises:
            ValueError: For an item without tokens, or a cache given twice.
        """
        if len(items) > 1 and len({id(cache) for _, cache in items}) != len(items):
            raise ValueError("every item needs a cache of its own")
        token_ids, placed = self._place(items)
        if not placed:
            return []
        H, KV, D = self.heads, self.kv_heads, self.head_dim
        T = len(token_ids)
        cos, sin = self._rotations(placed)  # (T, 1, D) each
        ids = torch.tensor(token_ids, dtype=torch.long, device=self.device)
        x = F.embedding(ids, self._embedding)  # (T, C)
        for index, layer in enumerate(self._layers):
            h = F.rms_norm(x, (self.hidden_size,), layer.attention_norm, self.eps)
            qkv = layer.qkv(h).view(T, H + 2 * KV, D)
            qk = qkv[:, : H + KV]  # (T, H + KV, D)
            swapped = torch.cat((qk[..., D // 2 :], qk[..., : D // 2]), dim=-1)
            qk = qk * cos + swapped * sin
            x = x + layer.output(self._attend(index, qk, qkv, placed))
            h = F.rms_norm(x, (self.hidden_size,), layer.mlp_norm, self.eps)
            gate, up = layer.gate_up(h).chunk(2, dim=-1)  # (T, I) each
            x = x + layer.down(F.silu(gate) * up)
        for item in placed:
            item.cache.length = item.end
        if len(placed) == 1:  # a row alone: ~15-20 us less than through a (1, C) tensor
            return [F.rms_norm(x[-1], (self.hidden_size,), self._final_norm, self.eps)]
        last = x[[item.rows.stop - 1 for item in placed]]  # (items, C)
        return list(F.rms_norm(last, (self.hidden_size,), self._final_norm, self.eps))

    def _place(
        self, items: Sequence[tuple[Sequence[int], KVCache]]
    ) -> tuple[list[int], list[_Item]]:
        """All items' token ids one after the other, and where each item sits; makes room in the
        caches and rotary tables.

        Raises:
            ValueError: For an item without tokens.
        """
        token_ids: list[int] = []
        placed = []
        longest = 0
        for ids, cache in items:
            T, start, offset = len(ids), cache.length, len(token_ids)
            if T == 0:
                raise ValueError("every item needs at least one token")
            end = start + T
            cache.reserve(end)
            mask = None  # a single query sees every position
            if T > 1:  # query t sees positions up to start + t
                mask = torch.ones(T, end, dtype=torch.bool, device=self.device).tril(start)
            placed.append(_Item(cache, slice(offset, offset + T), start, end, mask))
            token_ids += ids
            longest = max(longest, end)
        self._rope_tables(longest)
        return token_ids, placed

    def _rotations(self, placed: Sequence[_Item]) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotary cos and sin at each token's position: (T, 1, D) each."""
        if len(placed) == 1:
            start, end = placed[0].start, placed[0].end
            return self._cos[start:end], self._sin[start:end]
        at = [p for item in placed for p in range(item.start, item.end)]
        positions = torch.tensor(at, dtype=torch.long, device=self.device)
        return self._cos[positions], self._sin[positions]

    def _attend(
        self, index: int, qk: torch.Tensor, qkv: torch.Tensor, placed: Sequence[_Item]
    ) -> torch.Tensor:
        """Layer ``index``'s attention, each item over its own cache after writing its keys and
        values there: rotated queries and keys (T, H + KV, D) and the projections (T, H + 2 KV,
        D), of which the values are used -> (T, H * D).
        """
        H, KV, D = self.heads, self.kv_heads, self.head_dim
        outputs = []
        for cache, rows, start, end, mask in placed:
            key_buffer, value_buffer = cache.layer(index)  # (1, KV, capacity, D)
            key_buffer[0, :, start:end] = qk[rows, H:].transpose(0, 1)
            value_buffer[0, :, start:end] = qkv[rows, H + KV :].transpose(0, 1)
            attention = F.scaled_dot_product_attention(
                qk[None, rows, :H].transpose(1, 2),  # (1, H, T_i, D)
                key_buffer[:, :, :end],  # (1, KV, end, D)
                value_buffer[:, :, :end],
                attn_mask=mask,
                enable_gqa=True,
            )  # (1, H, T_i, D)
            outputs.append(attention[0].transpose(0, 1).reshape(-1, H * D))
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs)
