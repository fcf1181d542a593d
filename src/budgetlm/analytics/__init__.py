"""Deterministic analytics engines over a household's history (pure modules; see ``records``)."""
