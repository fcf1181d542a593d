"""Alembic environment: runs migrations on the connection the store hands over."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from budgetlm.ledger.models import Base, ScaledDecimal

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through budgetlm.ledger.store.Store.migrate()")


def _render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Write money columns as their storage type, so migrations never import model code."""
    if kind == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    return False


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
