"""Int8 linear layers (``lm.quantize``): bounded error against float32, the same bits for a row
alone or among others, exact integer products, the same tool calls from the shipped micro model,
and the ``micro+int8`` backend spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from budgetlm.assistant.backends import BackendError, open_backend
from budgetlm.assistant.backends.local import LocalBackend, micro_directory
from budgetlm.assistant.evaluate import load_question_set
from budgetlm.assistant.tools import ToolContext
from budgetlm.lm.config import TINY
from budgetlm.lm.model import build_model, load_pretrained
from budgetlm.lm.quantize import (
    Int8Linear,
    parse_quantization,
    quantize_model,
    weight_bytes,
)
from budgetlm.lm.template import encode_chat

QUESTION_SET = Path(__file__).parents[1] / "data" / "assistant" / "human_questions.yaml"
CLEAR_QUESTIONS = (  # the float model is at least 95% sure of every token it chooses here
    "how much did we spend on groceries last month?",
    "utilities in Q2?",
    "what did daycare cost us last quarter",
    "how much did I earn last month",
    "total income ytd",
)


def test_an_int8_layer_is_within_quantization_error_of_float() -> None:
    torch.manual_seed(0)
    linear = nn.Linear(256, 96)
    layer = Int8Linear(linear)
    values, scales = layer.int8_weight()
    assert values.dtype == torch.int8 and values.shape == (96, 256)
    assert int(values.abs().max()) == 127  # symmetric, one scale per output channel
    assert torch.all(
        (layer.dequantized_weight() - linear.weight).abs() <= scales[:, None] / 2 + 1e-7
    )
    x = torch.randn(5, 256) * torch.tensor([[0.01], [1.0], [3.0], [30.0], [1.0]])
    with torch.inference_mode():
        exact, quantized = linear(x), layer(x)
    input_step = x.abs().amax(dim=1, keepdim=True) / 127  # one scale per row
    # Per output: weight rounding (scale/2 per term) plus input rounding (step/2 per term).
    bound = (
        scales * x.abs().sum(-1, keepdim=True) / 2 + input_step / 2 * values.abs().sum(-1) * scales
    )
    assert quantized.shape == exact.shape and quantized.dtype == torch.float32
    assert torch.all((quantized - exact).abs() <= bound + 1e-5)
    relative = (quantized - exact).abs().amax(dim=1) / exact.abs().amax(dim=1)
    assert torch.all(relative < 0.05)  # also for the row 3000x smaller than another


def test_a_row_gives_the_same_bits_alone_or_among_others() -> None:
    torch.manual_seed(0)
    layer = Int8Linear(nn.Linear(64, 48))
    x = torch.randn(9, 64) * torch.logspace(-3, 3, 9)[:, None]  # rows of very different sizes
    x[4] = 0.0  # an all-zero row gives the bias
    with torch.inference_mode():
        together = layer(x)
        alone = torch.cat([layer(x[i : i + 1]) for i in range(len(x))])
        batched = layer(torch.stack([x, x.flip(0)]))  # (2, 9, 48): leading dims are rows too
    assert torch.equal(together, alone)
    assert torch.equal(batched[0], together) and torch.equal(batched[1], together.flip(0))
    assert torch.equal(together[4], layer._bias)


@pytest.mark.parametrize(
    ("rows", "inputs", "outputs"),
    [(1, 256, 768), (1, 896, 1152), (2, 896, 4864), (17, 4864, 896), (3, 7, 13)],
)
def test_int8_products_are_exact_for_any_shape(rows: int, inputs: int, outputs: int) -> None:
    # torch._int_mm sums int8 products in int32 on each of these shapes (one row, odd sizes,
    # Qwen2.5-0.5B's), also at the ends of the range, which FBGEMM's kernel without VNNI could
    # overflow in 16 bits; and the layer computes exactly that product, then scales it.
    generator = torch.manual_seed(0)
    a = torch.randint(-127, 128, (rows, inputs), dtype=torch.int8, generator=generator)
    b = torch.randint(-127, 128, (outputs, inputs), dtype=torch.int8, generator=generator)
    a[0], b[0] = 127, -127
    expected = a.long() @ b.long().T
    assert torch.equal(torch._int_mm(a, b.T).long(), expected)
    assert expected[0, 0] == -(127**2) * inputs
    linear = nn.Linear(inputs, outputs, bias=False)
    layer = Int8Linear(linear)
    x = torch.randn(rows, inputs)
    values, scales = layer.int8_weight()
    row_scales = x.abs().amax(dim=1, keepdim=True) * torch.tensor(1 / 127)
    quantized_x = (x / row_scales).round()
    assert quantized_x.abs().max() <= 127
    product = quantized_x.long() @ values.long().T  # the integer product, exactly
    with torch.inference_mode():
        assert torch.equal(layer(x), product.float() * scales * row_scales)


def test_concatenated_int8_layers_compute_exactly_what_the_layers_do() -> None:
    torch.manual_seed(0)
    layers = [
        Int8Linear(nn.Linear(64, out, bias=bias))
        for out, bias in ((48, True), (16, False), (16, True))
    ]
    joined = Int8Linear.concatenate(layers)
    assert (joined.in_features, joined.out_features) == (64, 80)
    for tokens in (1, 17):
        x = torch.randn(tokens, 64)
        with torch.inference_mode():
            assert torch.equal(joined(x), torch.cat([layer(x) for layer in layers], dim=-1))
    with pytest.raises(ValueError, match="same input"):
        Int8Linear.concatenate([layers[0], Int8Linear(nn.Linear(32, 8))])


def test_quantize_model_converts_the_backbone_and_keeps_the_tied_head() -> None:
    model = build_model(TINY, seed=0)
    before = weight_bytes(model)
    quantize_model(model)
    layers = [m for m in model.modules() if isinstance(m, Int8Linear)]
    assert len(layers) == 7 * TINY.layers  # q, k, v, o, gate, up, down
    assert not any(isinstance(m, nn.Linear) for m in model.get_decoder().modules())
    head = model.get_output_embeddings()
    assert isinstance(head, nn.Linear) and head.weight.dtype == torch.float32
    assert head.weight is model.get_input_embeddings().weight
    assert weight_bytes(model) < before
    assert not model.training


@pytest.fixture(scope="module")
def context() -> ToolContext:
    """The human question set's household."""
    return load_question_set(QUESTION_SET)[0]


@pytest.fixture(scope="module")
def micro_pair() -> tuple[LocalBackend, LocalBackend]:
    return LocalBackend.micro(), LocalBackend.micro(quantize="int8")


def test_the_int8_micro_model_is_a_third_of_its_float_size(
    micro_pair: tuple[LocalBackend, LocalBackend],
) -> None:
    float_model, int8_model = (b.decoder.model for b in micro_pair)
    linear_params = sum(
        m.weight.numel() for m in float_model.get_decoder().modules() if isinstance(m, nn.Linear)
    )
    assert weight_bytes(float_model) == 4 * sum(p.numel() for p in float_model.parameters())
    saved = weight_bytes(float_model) - weight_bytes(int8_model)
    assert 2.9 * linear_params < saved < 3 * linear_params  # 4 bytes -> 1 byte plus scales
    assert weight_bytes(int8_model) < 0.45 * weight_bytes(float_model)


def test_int8_logits_stay_close_to_float(micro_pair: tuple[LocalBackend, LocalBackend]) -> None:
    float_model, int8_model = (b.decoder.model for b in micro_pair)
    tokenizer = micro_pair[0].tokenizer
    for question in CLEAR_QUESTIONS:
        ids = encode_chat(
            [{"role": "user", "content": question}], tokenizer, add_generation_prompt=True
        )
        with torch.inference_mode():
            exact = float_model(input_ids=torch.tensor([ids])).logits[0]  # (T, V)
            quantized = int8_model(input_ids=torch.tensor([ids])).logits[0]
        assert torch.cosine_similarity(exact, quantized, dim=-1).min() > 0.9
        assert float((exact[-1] - quantized[-1]).abs().max()) < 0.5
        assert int(exact[-1].argmax()) == int(quantized[-1].argmax())


def test_int8_greedy_tool_calls_match_float(
    micro_pair: tuple[LocalBackend, LocalBackend], context: ToolContext
) -> None:
    for question in CLEAR_QUESTIONS:
        messages = [{"role": "user", "content": question}]
        exact, quantized = (b.choose_call(messages, context.vocabulary) for b in micro_pair)
        assert quantized.call == exact.call
        assert quantized.confidence == pytest.approx(exact.confidence, abs=0.05)


def test_the_backend_spec_names_the_quantization(
    micro_pair: tuple[LocalBackend, LocalBackend], context: ToolContext
) -> None:
    backend = open_backend(f"micro+int8:{micro_directory()}", context.today)
    assert backend.name == micro_pair[0].name + "+int8"
    assert micro_pair[1].name == backend.name
    assert isinstance(backend, LocalBackend)
    assert any(isinstance(m, Int8Linear) for m in backend.decoder.model.modules())


@pytest.mark.parametrize("spec", ["micro+int4", "micro+", "micro+INT8:somewhere"])
def test_an_unknown_quantization_is_named_clearly(spec: str, context: ToolContext) -> None:
    with pytest.raises(BackendError, match=r"unknown quantization .*: use one of int8"):
        open_backend(spec, context.today)
    with pytest.raises(ValueError, match="unknown quantization 'fp8'"):
        parse_quantization("fp8")


def test_a_loaded_model_is_left_alone_by_a_failed_quantization() -> None:
    model, _ = load_pretrained(micro_directory())
    with pytest.raises(ValueError, match="unknown quantization"):
        quantize_model(model, "int4")  # type: ignore[arg-type]
    assert not any(isinstance(m, Int8Linear) for m in model.modules())
