"""Loading the generator's YAML data files (word lists, merchants, templates, spending)."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(name: str) -> dict[str, Any]:
    """Parsed ``data/<name>.yaml`` of this package (cached; treat as read-only)."""
    text = (
        resources.files("budgetlm.ledger.synth")
        .joinpath("data")
        .joinpath(f"{name}.yaml")
        .read_text("utf-8")
    )
    data = yaml.load(text, Loader=_LOADER)
    if not isinstance(data, dict):
        raise ValueError(f"synth data file {name}.yaml is not a mapping")
    return data


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts`` (same on every run and machine, unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stable_digits(length: int, *parts: object) -> str:
    """``length`` decimal digits fixed by ``parts``."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return str(int(digest, 16))[-length:].zfill(length)
