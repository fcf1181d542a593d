"""Alembic migrations of the ledger schema, shipped inside the package."""

HEAD_REVISION = "0005"
"""The newest migration; the store compares it with the database before loading Alembic at
all (a test keeps it equal to Alembic's own head). Update it with every new migration."""
