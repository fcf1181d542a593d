"""JSON responses that stay valid JSON: a non-finite float (an infinite ratio, say, from odd
ledger data) is written as ``null`` instead of failing the request with a 500.

The fuzzer found one: a 422 for ``threshold=inf`` echoes the input back as an infinite number.
``create_app`` renders validation errors, and every route's response, through this class.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi.responses import JSONResponse


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (containers recursively)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


class FiniteJSONResponse(JSONResponse):
    """``JSONResponse`` that writes non-finite floats as ``null``."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except ValueError:  # json.dumps(allow_nan=False) refused a NaN or an infinity
            return super().render(finite(content))
