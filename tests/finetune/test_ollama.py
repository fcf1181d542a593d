"""The Ollama Modelfile: the Go TEMPLATE's pieces against `lm.template.render`.

Ollama cannot run here and a Go-template interpreter in the tests would be a second
implementation to trust, so the checks are on what can be checked directly: the straight-line
blocks (system, user, tool) with their one value filled in must equal what ``render`` writes
for that message; the assistant block's tool-call path must spell ``render``'s call text; the
template's control structure must be balanced and free of whitespace trimming; and the
``<tool_call>`` tag must be the first text Ollama finds inside ``{{ if .ToolCalls }}``.
"""

from __future__ import annotations

import json
import re

import pytest

from budgetlm.finetune.formats import SYSTEM_PROMPT as FINETUNE_SYSTEM_PROMPT
from budgetlm.finetune.ollama import (
    ASSISTANT_BLOCK,
    GENERATION_PROMPT,
    OWN_FORMAT_TEMPLATE,
    SYSTEM_BLOCK,
    TOOL_BLOCK,
    USER_BLOCK,
    ModelfileConfig,
    render_modelfile,
    write_modelfile,
)
from budgetlm.lm.template import DEFAULT_SYSTEM_PROMPT, TOOL_CALL_START, render

CONTENT = "{{ .Content }}"
ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
QUESTION = "How much did I spend on groceries last month?\nmentions: Groceries"
RESULT = '{"status":"ok","figures":{"total":"412.50"}}'
ARGUMENTS = {"period": "last_month", "category": "Groceries"}


def _fill(block: str, content: str) -> str:
    assert block.count(CONTENT) == 1 and len(ACTION.findall(block)) == 1
    return block.replace(CONTENT, content)


def test_straight_line_blocks_render_like_python() -> None:
    messages = [
        {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
        {"role": "user", "content": QUESTION},
    ]
    assert render(messages) == _fill(SYSTEM_BLOCK, DEFAULT_SYSTEM_PROMPT) + _fill(
        USER_BLOCK, QUESTION
    )
    assert render(messages, add_generation_prompt=True).endswith(
        _fill(USER_BLOCK, QUESTION) + GENERATION_PROMPT
    )
    call = {"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "spending", "arguments": ARGUMENTS}}
    ]}  # fmt: skip
    with_result = [*messages, call, {"role": "tool", "content": RESULT}]
    assert render(with_result).endswith(_fill(TOOL_BLOCK, RESULT))


def test_tool_call_path_spells_the_trained_call_text() -> None:
    # The branch taken for a call without text, as Ollama walks it: the opening text of the
    # else-branch, then the range body for the first call, then the closing text.
    opening = re.search(r"\{\{ else \}\}(.*?)\{\{ end \}\}\{\{ range", ASSISTANT_BLOCK, re.S)
    body = re.search(
        r"\{\{ end \}\}(\{\"name\".*?)\{\{ end \}\}(.*?)\{\{ else", ASSISTANT_BLOCK, re.S
    )
    assert opening and body
    call_text = (
        body.group(1)
        .replace("{{ .Function.Name }}", "spending")
        .replace("{{ .Function.Arguments }}", json.dumps(ARGUMENTS))
    )
    head = "<|im_start|>assistant\n"
    assert ASSISTANT_BLOCK.startswith(head + "{{ if .ToolCalls }}")
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"function": {"name": "spending", "arguments": ARGUMENTS}}
    ]}  # fmt: skip
    expected = render([{"role": "user", "content": QUESTION}, call])
    assert expected.endswith(head + opening.group(1) + call_text + body.group(2) + "<|im_end|>\n")


def test_template_structure_is_balanced_and_never_trims_whitespace() -> None:
    actions = [a[2:-2].strip() for a in ACTION.findall(OWN_FORMAT_TEMPLATE)]
    depth = 0
    for action in actions:
        if action.startswith(("if ", "range ")):
            depth += 1
        elif action == "end":
            depth -= 1
            assert depth >= 0
    assert depth == 0
    assert "{{-" not in OWN_FORMAT_TEMPLATE and "-}}" not in OWN_FORMAT_TEMPLATE
    assert ".Tools" in OWN_FORMAT_TEMPLATE  # Ollama enables tools only for such templates
    for block in (SYSTEM_BLOCK, USER_BLOCK, TOOL_BLOCK, ASSISTANT_BLOCK, GENERATION_PROMPT):
        assert block in OWN_FORMAT_TEMPLATE


def test_tool_call_tag_is_the_first_text_inside_the_tool_calls_branch() -> None:
    # Ollama takes the first text node in `{{ if .ToolCalls }}`, skipping branches that start
    # with an action, trimmed and cut at "{", as the prefix it parses tool calls after.
    branch = ASSISTANT_BLOCK.split("{{ if .ToolCalls }}", 1)[1]
    first_branch = branch.split("{{ else }}", 1)
    assert first_branch[0].startswith("{{ if .Content }}{{ .Content }}")  # begins with an action
    text = ACTION.split(first_branch[1], maxsplit=1)[0]
    assert text.strip().split("{")[0] == TOOL_CALL_START


def test_modelfile_for_the_micro_model_and_for_a_fine_tune(tmp_path: object) -> None:
    own = render_modelfile(ModelfileConfig(gguf="./micro-q8_0.gguf"))
    assert own.splitlines()[0] == "FROM ./micro-q8_0.gguf"
    assert f'TEMPLATE """{OWN_FORMAT_TEMPLATE}"""' in own
    assert f'SYSTEM """{DEFAULT_SYSTEM_PROMPT}"""' in own
    assert 'PARAMETER stop "<|im_end|>"\nPARAMETER stop "<|endoftext|>"' in own
    assert "PARAMETER temperature 0\n" in own
    tuned = render_modelfile(ModelfileConfig(gguf="./q.gguf", own_format=False))
    assert "TEMPLATE" not in tuned and f'SYSTEM """{FINETUNE_SYSTEM_PROMPT}"""' in tuned


def test_write_modelfile(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    directory = Path(str(tmp_path)) / "ollama"
    path = write_modelfile(ModelfileConfig(gguf="./m.gguf"), directory)
    assert path == directory / "Modelfile"
    assert path.read_text().startswith("FROM ./m.gguf\n")
    assert [p.name for p in directory.iterdir()] == ["Modelfile"]
