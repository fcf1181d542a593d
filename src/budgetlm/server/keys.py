"""API keys: created for one workspace, stored as a hash, resolved to that workspace.

A key is ``blm_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is stored,
with its first 12 characters to tell keys apart; the secret is shown once, when created.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from budgetlm.ledger.models import ApiKey

KEY_PREFIX = "blm_"
_SHOWN = 12


def key_hash(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(session: Session, workspace_id: int, name: str) -> str:
    """Make a key for ``workspace_id``; returns the secret (not stored anywhere)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(workspace_id=workspace_id, name=name, prefix=secret[:_SHOWN],
               key_hash=key_hash(secret))
    )  # fmt: skip
    return secret


def workspace_of(session: Session, secret: str) -> int | None:
    """The workspace a live key acts in, or None for an unknown or revoked key."""
    return session.scalar(
        select(ApiKey.workspace_id).where(
            ApiKey.key_hash == key_hash(secret), ApiKey.revoked_at.is_(None)
        )
    )


def list_keys(session: Session, workspace_id: int) -> Sequence[ApiKey]:
    """The workspace's keys, newest first (hashes and prefixes only)."""
    query = select(ApiKey).where(ApiKey.workspace_id == workspace_id)
    return session.scalars(query.order_by(ApiKey.id.desc())).all()


def revoke_key(session: Session, workspace_id: int, prefix: str) -> bool:
    """Revoke the workspace's live key whose secret starts with ``prefix`` (its shown first 12
    characters, or more); whether one was.

    Raises:
        ValueError: For a prefix shorter than the 12 characters ``list_keys`` shows.
    """
    if len(prefix) < _SHOWN:
        raise ValueError(f"give the key's first {_SHOWN} characters, as `keys list` shows them")
    found = session.scalars(
        select(ApiKey).where(
            ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None),
            ApiKey.prefix == prefix[:_SHOWN],
        )
    ).all()  # fmt: skip
    for key in found:
        key.revoked_at = datetime.now()
    return bool(found)
