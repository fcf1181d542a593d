"""Int8 weights for CPU inference: the backbone's linear layers as dynamic int8 matmuls.

:func:`quantize_model` replaces every ``nn.Linear`` of a causal LM's backbone (attention and MLP
projections) by an :class:`Int8Linear`: the weight is stored as int8 with one symmetric scale per
output channel, prepacked once for FBGEMM, and each call quantizes its input on the fly (one
scale for the whole input, so for all tokens of a prefill together) and multiplies in int8
inside one C++ op (``torch.ops.quantized.linear_dynamic``, the kernel behind the old
``quantize_dynamic``).

Why it is faster. On the ``micro`` model a one-token step reads all 12.6 MB of float32 linear
weights, which do not fit in a core's L2 cache; int8 reads a quarter of that (one thread,
2-core AMD EPYC: 1.9 ms against 2.8 ms a step, 8.6 ms against 15.8 ms for a 150-token prefill;
``benchmarks/RESULTS.md``). A single layer whose weight stays in L2 is *not* faster at one token
(29 us against 18 us for 256 -> 768): the gain is memory traffic, not arithmetic.

What is kept in float32, and why:

- The embedding and the output layer (tied in the micro model, a quarter of its weights).
  ``lm.decoding`` projects the last hidden state only onto the rows the grammar allows, straight
  from ``lm_head.weight``; an int8 head would need a second projection path there, and a lookup
  reads one row per token anyway.
- Norms, rotary embeddings, attention over the KV cache: no weights to speak of.

Options measured on the same CPU (torch 2.13, one thread, per call of a 256 -> 768 layer at 1 and
64 tokens; float32: 18 us and 270 us; this module: 29 us and 91 us) and not taken:

- ``torch.ao.quantization.quantize_dynamic``: the same kernel, but deprecated (it warns).
- Weight-only int8: ``aten._weight_int8pack_mm`` 157 us and 10.5 ms (not tuned for float32
  input on x86); dequantizing the weight per call 56 us and 312 us.
- ``torch._int_mm`` with the input quantized by separate tensor ops: 20 us and 110 us, no better
  than the fused op, with more code.
- bfloat16 weights: 52 us and 140 us, slower at one token, which is what decoding mostly does.
- torchao 0.18 without ``torch.compile`` (Python tensor subclasses): 2-12x slower than float32,
  it warns on import, and its wheel carries CUDA libraries.

Results depend a little on how tokens are grouped into forward passes (the input scale is per
pass), so an int8 model's calls can differ between a prompt prefilled at once and in pieces.

Caveat: creating the int8 weight goes through a quantized tensor (``torch.qint8``), whose
creation functions torch 2.13 deprecates (pytorch/pytorch#184982); that one warning is
silenced here. The kernels themselves do not warn, but may go the same way in a later torch.

A quantized model is for inference only: its packed weights are not in ``state_dict``, so it
cannot be trained or saved with ``save_pretrained``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

import torch
from torch import nn

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = [
    "QUANTIZATIONS",
    "Int8Linear",
    "Quantization",
    "QuantizeConfig",
    "parse_quantization",
    "quantize_model",
    "weight_bytes",
]

Quantization = Literal["int8"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)
"""Names accepted by :func:`parse_quantization` (``micro+int8`` on the command line)."""

_DEPRECATED_QTENSOR = "torch.quantize_per_tensor, torch.quantize_per_channel"


@dataclass(frozen=True)
class QuantizeConfig:
    """How :func:`quantize_model` quantizes."""

    reduce_range: bool | None = None
    """Quantize inputs to 7 bits instead of 8. FBGEMM's kernel for CPUs without AVX-512 VNNI
    sums pairs of int8 products in 16 bits, which 8-bit inputs can overflow (7-bit ones
    cannot); with VNNI the sums are 32-bit. ``None``: 7 bits unless the CPU has AVX-512 VNNI.
    7 bits doubles the rounding error of the inputs (see ``benchmarks/RESULTS.md``)."""

    def resolved_reduce_range(self) -> bool:
        """:attr:`reduce_range`, with ``None`` decided for this CPU."""
        if self.reduce_range is not None:
            return self.reduce_range
        has_vnni = getattr(torch.cpu, "_is_vnni_supported", lambda: False)
        return not bool(has_vnni())


def parse_quantization(name: str) -> Quantization:
    """The quantization ``name`` stands for.

    Raises:
        ValueError: For a name that is not one of :data:`QUANTIZATIONS`.
    """
    if name not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {name!r}: use one of {', '.join(QUANTIZATIONS)}")
    return cast(Quantization, name)


class Int8Linear(nn.Module):
    """A linear layer with int8 weights (per output channel) and dynamically quantized input.

    Args:
        linear: The float layer to quantize (it is not modified).
        reduce_range: Quantize inputs to 7 bits (:attr:`QuantizeConfig.reduce_range`).
    """

    def __init__(self, linear: nn.Linear, *, reduce_range: bool = True) -> None:
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.reduce_range = reduce_range
        weight = linear.weight.detach().float()  # (out, in)
        scales = (weight.abs().amax(dim=1) / 127.0).clamp_min(1e-12).double()  # (out,)
        zero_points = torch.zeros(self.out_features, dtype=torch.long)
        bias = None if linear.bias is None else linear.bias.detach().float()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_DEPRECATED_QTENSOR, category=UserWarning)
            qweight = torch.quantize_per_channel(weight, scales, zero_points, 0, torch.qint8)
        self._packed: Any = torch.ops.quantized.linear_prepack(qweight, bias)

    @classmethod
    def concatenate(cls, layers: Sequence[Int8Linear]) -> Int8Linear:
        """One layer computing all of ``layers`` on the same input, outputs side by side.

        Exact: the int8 rows and their scales are the layers' own, and the input, which each
        layer would quantize alike, is quantized once (``lm.fast_forward`` fuses q/k/v so).

        Raises:
            ValueError: For layers of different input sizes or input ranges.
        """
        if len({(layer.in_features, layer.reduce_range) for layer in layers}) != 1:
            raise ValueError("only layers with the same input size and range can be joined")
        unpacked = [torch.ops.quantized.linear_unpack(layer._packed) for layer in layers]
        values = torch.cat([qweight.int_repr() for qweight, _ in unpacked])  # (out, in)
        scales = torch.cat([qweight.q_per_channel_scales() for qweight, _ in unpacked])  # (out,)
        zero_points = torch.zeros(values.shape[0], dtype=torch.long)
        qweight = torch._make_per_channel_quantized_tensor(values, scales, zero_points, 0)
        bias = None
        if any(b is not None for _, b in unpacked):
            parts = [torch.zeros(q.shape[0]) if b is None else b for q, b in unpacked]
            bias = torch.cat(parts)
        joined = cls.__new__(cls)  # an alternate constructor: no float layer to quantize
        nn.Module.__init__(joined)
        joined.in_features = layers[0].in_features
        joined.out_features = values.shape[0]
        joined.reduce_range = layers[0].reduce_range
        joined._packed = torch.ops.quantized.linear_prepack(qweight, bias)
        return joined

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ W.T + b`` with ``x`` quantized per call: (..., in) -> (..., out), float32."""
        out: torch.Tensor = torch.ops.quantized.linear_dynamic(
            x.float(), self._packed, self.reduce_range
        )
        return out

    def int8_weight(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The stored weight as plain tensors: int8 values (out, in) and float scales (out,)."""
        qweight, _ = torch.ops.quantized.linear_unpack(self._packed)
        return qweight.int_repr(), qweight.q_per_channel_scales().float()

    def dequantized_weight(self) -> torch.Tensor:
        """The float weight the layer effectively multiplies by: (out, in)."""
        values, scales = self.int8_weight()
        return values.float() * scales[:, None]

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"reduce_range={self.reduce_range}"
        )


def quantize_model(
    model: PreTrainedModel,
    quantization: Quantization = "int8",
    config: QuantizeConfig | None = None,
) -> PreTrainedModel:
    """Replace the linear layers of ``model``'s backbone by :class:`Int8Linear`, in place.

    The embedding and the output layer stay float32 (see the module docstring). The model is
    put in eval mode; from now on it is for inference only.

    Args:
        model: A Hugging Face causal LM (Llama/Qwen2 family), float32 on the CPU.
        quantization: The scheme; only ``"int8"`` so far.
        config: Defaults to :class:`QuantizeConfig`.

    Returns:
        ``model`` itself.

    Raises:
        ValueError: For an unknown quantization, or a model not on the CPU.
    """
    parse_quantization(quantization)
    config = config or QuantizeConfig()
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("int8 quantization runs on the CPU; move the model there first")
    reduce_range = config.resolved_reduce_range()
    backbone: nn.Module = model.get_decoder()  # type: ignore[no-untyped-call]
    targets = [(n, m) for n, m in backbone.named_modules() if isinstance(m, nn.Linear)]
    for name, linear in targets:
        parent_name, _, attribute = name.rpartition(".")
        parent = backbone.get_submodule(parent_name)
        setattr(parent, attribute, Int8Linear(linear, reduce_range=reduce_range))
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
