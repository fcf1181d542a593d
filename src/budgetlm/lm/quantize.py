"""Int8 weights for CPU inference: the backbone's linear layers as int8 matmuls, one input
scale per token.

:func:`quantize_model` replaces every ``nn.Linear`` of a causal LM's backbone (attention and MLP
projections) by an :class:`Int8Linear`. Its weight is stored as int8 with one symmetric scale per
output channel. Each call quantizes every row of its input (every token) on its own, symmetrically
to [-127, 127] with the row's largest magnitude / 127 as scale, multiplies int8 by int8 with
``torch._int_mm`` (int32 sums), and multiplies the result by the row's and the output channel's
scales.

Why one scale per row. A token's output then depends on that token alone: the same bits whether it
is computed alone, in a prefill chunk or in a pass that batches several conversations
(``LeanForward.run_batch``). With one scale for the whole input (``quantized::linear_dynamic``, what
this module used before) a question's answer could depend on what else was asked at the same time,
and a prompt gave other numbers prefilled at once than in pieces. The integer sums are exact
(int32 on every shape tried, including 1 row, odd sizes such as Qwen2.5-0.5B's 896 -> 1152 and
inputs at +-127; ``tests/lm/test_quantize.py``), and the float steps after them are elementwise, so
nothing depends on how rows are grouped. For the same reason the old ``reduce_range`` option (7-bit
inputs, because FBGEMM's kernel without AVX-512 VNNI summed pairs of products in 16 bits) is gone.

Why int8 is faster than float32. On the ``micro`` model a one-token step reads all 12.6 MB of
float32 linear weights, which do not fit in a core's L2 cache; int8 reads a quarter of that. The
gain is memory traffic and, from a few rows on, arithmetic. One pass of the lean forward over a
150-token cache (one thread, shared 2-core AMD EPYC, medians of three runs): float32 2.1 / 4.4 /
15.5 ms for 1 / 17 / 120 tokens, int8 1.1 / 2.3 / 7.7 ms.

Cost of the per-row scales. Medians of one layer's call in microseconds, one thread, float32 / the
fused per-tensor op (``quantized::linear_dynamic``) / this module, at 1, 8, 17 and 64 rows: 256->768
19/16/16, 56/22/30, 99/33/42, 272/91/96; 896->1152 74/30/32, 287/59/98, 522/108/150, 1475/345/394.
At one row the two are even: ``_int_mm`` with the weight as a transposed view of its (out, in) rows
takes a matrix-vector path (the product alone 3.8 us against 8 us with a contiguous (in, out) copy,
which is at most 12% faster from two rows on). From a few rows on the quantization's separate ops
(eleven against one) and ``_int_mm``'s slower small-matrix kernel cost more. Whole passes of the
micro model, paired in one process against the fused op (and the lean forward before ``run_batch``):
1 token -1%, 17 tokens +8%, 120 tokens +0%.

Accuracy (``budgetlm eval assistant --model micro+int8 --conversations 1000 --no-safety``):
tool-call exact match 69.43% (fused op 69.55%, float32 69.43%), held-out phrasings 54.38%
(54.27%); the same call as float32 on 1,666 of 1,688 turns (fused op 1,657).

Options measured and not taken (same CPU, one layer, 256 -> 768):

- Fewer ops (an int32 x float multiply doing the cast, ``eps + amax / 127`` as one ``add``): no
  measurable difference. Python floats as operands of ``mul``/``div`` cost ~2 us more per op than
  0-d tensors, hence :data:`_ONE_127TH`.
- ``torch.linalg.vector_norm(x, inf)`` for the row maxima: one op instead of two, but 40% slower at
  64 rows.
- Weight-only int8: ``aten._weight_int8pack_mm`` 157 us and 10.5 ms at 1 and 64 rows (not tuned
  for float32 input on x86); dequantizing the weight per call 56 us and 312 us.
- bfloat16 weights: 52 us and 140 us, slower at one token, which is what decoding mostly does.
- torchao 0.18 without ``torch.compile`` (Python tensor subclasses): 2-12x slower than float32,
  it warns on import, and its wheel carries CUDA libraries.

What is kept in float32, and why:

- The embedding and the output layer (tied in the micro model, a quarter of its weights).
  ``lm.decoding`` projects the last hidden state only onto the rows the grammar allows, straight
  from ``lm_head.weight``; an int8 head would need a second projection path there, and a lookup
  reads one row per token anyway.
- Norms, rotary embeddings, attention over the KV cache: no weights to speak of.

Caveat: ``torch._int_mm`` is a private op (a leading underscore): a later torch may change it.

A quantized model is for inference only: its int8 weights are plain attributes, not parameters or
buffers, so they are not in ``state_dict``; it cannot be trained or saved with
``save_pretrained``, and its int8 weights stay on the CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, cast, get_args

import torch
from torch import nn

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = [
    "QUANTIZATIONS",
    "Int8Linear",
    "Quantization",
    "parse_quantization",
    "quantize_model",
    "weight_bytes",
]

Quantization = Literal["int8"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)
"""Names accepted by :func:`parse_quantization` (``micro+int8`` on the command line)."""

_TINY = 1e-12
"""Smallest absolute maximum a row is scaled by (an all-zero row stays zero)."""
_ONE_127TH = torch.tensor(1.0 / 127.0)
"""As a tensor: multiplying by a Python float costs ~2 us more per call (it is wrapped first)."""


def parse_quantization(name: str) -> Quantization:
    """The quantization ``name`` stands for.

    Raises:
        ValueError: For a name that is not one of :data:`QUANTIZATIONS`.
    """
    if name not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {name!r}: use one of {', '.join(QUANTIZATIONS)}")
    return cast(Quantization, name)


class Int8Linear(nn.Module):
    """A linear layer with int8 weights (per output channel) and inputs quantized per row.

    Each row of the input (each token) is quantized on its own, so a row's output does not
    depend on the other rows of the call.

    Args:
        linear: The float layer to quantize (it is not modified).
    """

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()  # (out, in)
        scales = weight.abs().amax(dim=1).clamp_min(_TINY) / 127.0  # (out,)
        values = torch.round(weight / scales[:, None]).to(torch.int8)
        bias = None if linear.bias is None else linear.bias.detach().float().clone()
        self._store(values, scales, bias)

    def _store(self, values: torch.Tensor, scales: torch.Tensor, bias: torch.Tensor | None) -> None:
        """Keep the weight as int8 ``values`` (out, in), float ``scales`` (out,) and ``bias``.

        Plain attributes, not parameters or buffers: they stay out of ``state_dict`` and on the
        CPU.
        """
        self.in_features = values.shape[1]
        self.out_features = values.shape[0]
        self._values = values.contiguous()  # (out, in)
        # _int_mm takes (in, out); a transposed view of the (out, in) rows is 2-3x faster at one
        # row than a contiguous (in, out) copy and at most 12% slower at more rows.
        self._values_t = self._values.t()
        self._scales = scales.float().contiguous()
        self._bias = bias

    @classmethod
    def concatenate(cls, layers: Sequence[Int8Linear]) -> Int8Linear:
        """One layer computing all of ``layers`` on the same input, outputs side by side.

        Exact: the int8 rows and their scales are the layers' own, and the input, which each
        layer would quantize alike, is quantized once (``lm.fast_forward`` fuses q/k/v so).

        Raises:
            ValueError: For layers of different input sizes.
        """
        if len({layer.in_features for layer in layers}) != 1:
            raise ValueError("only layers with the same input size can be joined")
        bias = None
        if any(layer._bias is not None for layer in layers):
            parts = [
                torch.zeros(layer.out_features) if layer._bias is None else layer._bias
                for layer in layers
            ]
            bias = torch.cat(parts)
        joined = cls.__new__(cls)  # an alternate constructor: no float layer to quantize
        nn.Module.__init__(joined)
        joined._store(
            torch.cat([layer._values for layer in layers]),
            torch.cat([layer._scales for layer in layers]),
            bias,
        )
        return joined

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ W.T + b`` with each row of ``x`` quantized alone: (..., in) -> (..., out)."""
        if x.dim() != 2:
            rows = self.forward(x.reshape(-1, self.in_features))
            return rows.view(*x.shape[:-1], self.out_features)
        scale = x.abs().amax(dim=1, keepdim=True).clamp_min_(_TINY).mul_(_ONE_127TH)  # (M, 1)
        values = x.div(scale).round_().to(torch.int8)  # (M, in), within [-127, 127]
        out = torch._int_mm(values, self._values_t)  # (M, out) int32, exact
        out = out.float().mul_(self._scales).mul_(scale)
        return out if self._bias is None else out.add_(self._bias)

    def int8_weight(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The stored weight: int8 values (out, in) and float scales (out,), not copies."""
        return self._values, self._scales

    def dequantized_weight(self) -> torch.Tensor:
        """The float weight the layer effectively multiplies by: (out, in)."""
        return self._values.float() * self._scales[:, None]

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


def quantize_model(
    model: PreTrainedModel,
    quantization: Quantization = "int8",
) -> PreTrainedModel:
    """Replace the linear layers of ``model``'s backbone by :class:`Int8Linear`, in place.

    The embedding and the output layer stay float32 (see the module docstring). The model is
    put in eval mode; from now on it is for inference only.

    Args:
        model: A Hugging Face causal LM (Llama/Qwen2 family), float32 on the CPU.
        quantization: The scheme; only ``"int8"`` so far.

    Returns:
        ``model`` itself.

    Raises:
        ValueError: For an unknown quantization, or a model not on the CPU.
    """
    parse_quantization(quantization)
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("int8 quantization runs on the CPU; move the model there first")
    backbone: nn.Module = model.get_decoder()  # type: ignore[no-untyped-call]
    targets = [(n, m) for n, m in backbone.named_modules() if isinstance(m, nn.Linear)]
    for name, linear in targets:
        parent_name, _, attribute = name.rpartition(".")
        parent = backbone.get_submodule(parent_name)
        setattr(parent, attribute, Int8Linear(linear))
    model.eval()  # type: ignore[no-untyped-call]
    return model


def weight_bytes(model: nn.Module) -> int:
    """Bytes of the model's weights as stored: float parameters plus int8 layers with scales.

    Tied parameters count once.
    """
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    for module in model.modules():
        if isinstance(module, Int8Linear):
            values, scales = module.int8_weight()
            total += values.numel() + 4 * scales.numel()
    return total
