"""An Ollama Modelfile that serves an exported GGUF in budgetlm's chat format.

Ollama does not run the Jinja template stored in the GGUF; it needs a Go ``text/template``
(``TEMPLATE``). `OWN_FORMAT_TEMPLATE` spells `budgetlm.lm.template`'s format in that syntax, built
from the same constants, so each literal piece is exactly what ``render`` writes:

- the system turn (Ollama puts the Modelfile's ``SYSTEM`` first when a request has none, which
  is what ``render`` does with ``DEFAULT_SYSTEM_PROMPT``);
- user turns; tool results as a user turn of ``<tool_response>`` blocks;
- assistant turns with their text and ``<tool_call>`` blocks; the tool-call branch begins with
  the ``<tool_call>`` text, which is where Ollama looks for the tag it parses replies by;
- ``<|im_start|>assistant\\n`` after the last message unless it is an assistant's.

Two differences are Ollama's, not the template's: it joins consecutive messages of one role
with a blank line before templating (two tool results become one ``<tool_response>`` block), and
it prints earlier calls' arguments as compact JSON (``{"a":1}``, where ``render`` writes
``{"a": 1}``). budgetlm makes one call per turn, and the model's own reply is not affected.

The micro model was trained on conversations without a system message, so `render` gave it
`lm.template.DEFAULT_SYSTEM_PROMPT`: that is its ``SYSTEM``. A fine-tune of another model on
``budgetlm dataset export`` data was trained with `finetune.formats.SYSTEM_PROMPT` and keeps its
own chat template (which Ollama recognises from the GGUF), so its Modelfile gets that prompt and
no ``TEMPLATE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from budgetlm.finetune.formats import SYSTEM_PROMPT as FINETUNE_SYSTEM_PROMPT
from budgetlm.lm.template import (
    DEFAULT_SYSTEM_PROMPT,
    ENDOFTEXT,
    IM_END,
    IM_START,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESPONSE_END,
    TOOL_RESPONSE_START,
)

MODELFILE = "Modelfile"
"""Name of the file `write_modelfile` writes."""

_TURN_END = IM_END + "\n"
_CALL = '{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}'
SYSTEM_BLOCK = f"{IM_START}system\n{{{{ .Content }}}}{_TURN_END}"
"""A system message."""
USER_BLOCK = f"{IM_START}user\n{{{{ .Content }}}}{_TURN_END}"
"""A user message."""
TOOL_BLOCK = (
    f"{IM_START}user\n{TOOL_RESPONSE_START}\n{{{{ .Content }}}}\n{TOOL_RESPONSE_END}{_TURN_END}"
)
"""A tool result (consecutive results arrive joined, see the module docstring)."""
ASSISTANT_BLOCK = (
    f"{IM_START}assistant\n"
    "{{ if .ToolCalls }}"
    f"{{{{ if .Content }}}}{{{{ .Content }}}}\n{TOOL_CALL_START}\n{{{{ else }}}}{TOOL_CALL_START}\n"
    "{{ end }}"
    "{{ range $j, $call := .ToolCalls }}"
    f"{{{{ if $j }}}}\n{TOOL_CALL_END}\n{TOOL_CALL_START}\n{{{{ end }}}}{_CALL}"
    "{{ end }}"
    f"\n{TOOL_CALL_END}"
    "{{ else }}{{ .Content }}{{ end }}"
    f"{{{{ if not $last }}}}{_TURN_END}{{{{ end }}}}"
)
"""An assistant message: text, then its calls, each as a ``<tool_call>`` block; left open when
it is the last message (Ollama continues it)."""
GENERATION_PROMPT = f"{IM_START}assistant\n"
"""Opens the assistant's turn for the model to write."""

OWN_FORMAT_TEMPLATE = (
    # Ollama offers tools only to templates that mention .Tools; our format lists none (the
    # micro model learnt its tools), so the reference renders nothing.
    "{{ if .Tools }}{{ end }}"
    "{{ range $i, $_ := .Messages }}"
    "{{ $last := eq (len (slice $.Messages $i)) 1 }}"
    f'{{{{ if eq .Role "system" }}}}{SYSTEM_BLOCK}'
    f'{{{{ else if eq .Role "user" }}}}{USER_BLOCK}'
    f'{{{{ else if eq .Role "tool" }}}}{TOOL_BLOCK}'
    f'{{{{ else if eq .Role "assistant" }}}}{ASSISTANT_BLOCK}'
    "{{ end }}"
    f'{{{{ if and $last (ne .Role "assistant") }}}}{GENERATION_PROMPT}{{{{ end }}}}'
    "{{ end }}"
)
"""budgetlm's chat format as an Ollama (Go ``text/template``) ``TEMPLATE``. It is one line
without trim markers (``{{-``), so every character outside the actions is output: no newline of
the format can be trimmed away."""

STOP_TOKENS = (IM_END, ENDOFTEXT)
"""Generation stops at the end of the assistant's turn or of the text."""


@dataclass(frozen=True)
class ModelfileConfig:
    """What goes into a Modelfile."""

    gguf: str
    """The ``FROM`` path, relative to the Modelfile's directory (e.g. ``./micro-q8_0.gguf``)."""
    own_format: bool = True
    """The model was trained on budgetlm's chat format (the micro model): write
    `OWN_FORMAT_TEMPLATE` and `DEFAULT_SYSTEM_PROMPT`. False for a fine-tune that kept its own
    chat template: no ``TEMPLATE``, and `finetune.formats.SYSTEM_PROMPT`."""
    temperature: float = 0.0
    """Sampling temperature; 0 is greedy, as budgetlm decodes tool calls."""
    num_ctx: int = 2048
    """Context window in tokens (the micro model's rotary range)."""

    @property
    def system(self) -> str:
        """The system prompt the model was trained with."""
        return DEFAULT_SYSTEM_PROMPT if self.own_format else FINETUNE_SYSTEM_PROMPT


def _quoted(text: str) -> str:
    """A Modelfile triple-quoted value; ``\"\"\"`` cannot appear inside one."""
    if '"""' in text:
        raise ValueError('a Modelfile value cannot contain """')
    return f'"""{text}"""'


def render_modelfile(config: ModelfileConfig) -> str:
    """The Modelfile's text."""
    lines = [f"FROM {config.gguf}"]
    if config.own_format:
        lines.append(f"TEMPLATE {_quoted(OWN_FORMAT_TEMPLATE)}")
    lines.append(f"SYSTEM {_quoted(config.system)}")
    lines += [f"PARAMETER stop {json.dumps(token)}" for token in STOP_TOKENS]
    lines += [
        f"PARAMETER temperature {config.temperature:g}",
        f"PARAMETER num_ctx {config.num_ctx}",
    ]
    return "\n".join(lines) + "\n"


def write_modelfile(config: ModelfileConfig, directory: Path | str) -> Path:
    """Write ``Modelfile`` into ``directory`` (created when missing); returns its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODELFILE
    partial = path.with_name(f".{MODELFILE}.partial")
    partial.write_text(render_modelfile(config), encoding="utf-8")
    partial.replace(path)
    return path
