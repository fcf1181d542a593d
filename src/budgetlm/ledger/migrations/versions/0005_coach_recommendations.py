"""The coach's advice log: each recommendation given and whether the user followed it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("policy", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(200), nullable=True),
        sa.Column("goal", sa.String(200), nullable=True),
        sa.Column("observation", sa.Text(), nullable=False),
        sa.Column("followed", sa.Boolean(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coach_recommendations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_recommendations")),
    )
    op.create_index(
        op.f("ix_coach_recommendations_workspace_id"), "coach_recommendations", ["workspace_id"]
    )
    op.create_index(
        "ix_coach_recommendations_workspace_id_given_on",
        "coach_recommendations",
        ["workspace_id", "given_on"],
    )


def downgrade() -> None:
    op.drop_table("coach_recommendations")
