"""Typed tools over a household's ledger: the only way the assistant gets numbers.

A ``ToolCall`` names a tool of ``TOOLS`` and its arguments; ``execute`` validates it against the
JSON schema over the user's own names (``Vocabulary``) and runs the tool's pure function over a
``ToolContext``, giving a ``ToolResult`` with the resolved period, the filters and ``Decimal``
figures. ``load_context`` (a ledger) and ``context_from_household`` (a synthetic household)
build the context; they are the only code here that reads data.
"""

from budgetlm.assistant.tools.base import (
    Param,
    Status,
    Tool,
    ToolCall,
    ToolContext,
    ToolError,
    ToolResult,
    Vocabulary,
)
from budgetlm.assistant.tools.context import (
    PAYEE_LIMIT,
    context_from_household,
    load_context,
    make_context,
)
from budgetlm.assistant.tools.registry import ORDER, TOOLS, execute
from budgetlm.assistant.tools.schema import call_schema, tool_schemas, validate_call

__all__ = [
    "ORDER",
    "PAYEE_LIMIT",
    "TOOLS",
    "Param",
    "Status",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "Vocabulary",
    "call_schema",
    "context_from_household",
    "execute",
    "load_context",
    "make_context",
    "tool_schemas",
    "validate_call",
]
