"""The coaches that ship with the package: loadable, and described by a card that tells the
truth about them."""

from __future__ import annotations

import json

from budgetlm.coach.observation import FEATURES
from budgetlm.coach.saved import load_coach
from budgetlm.coach.serving import load_served_coach
from budgetlm.coach.shipping import CARD_FILE, EVALUATION_FILE, SHIPPED, render_card


def test_the_card_is_rendered_from_the_shipped_evaluation() -> None:
    evaluation = json.loads((SHIPPED / EVALUATION_FILE).read_text())
    assert (SHIPPED / CARD_FILE).read_text() == render_card(evaluation)


def test_the_default_is_learned_only_if_it_beat_the_rules() -> None:
    evaluation = json.loads((SHIPPED / EVALUATION_FILE).read_text())
    method = evaluation["learned"]["method"]
    [primary] = [c for c in evaluation["comparisons"]
                 if c["method"] == method and c["outcome"] == "return"]  # fmt: skip
    assert evaluation["default"] == ("learned" if primary["ci_low"] > 0 else "rules")
    served = load_served_coach()
    assert served.label.startswith(method if evaluation["default"] == "learned" else "rules")


def test_both_shipped_coaches_load_and_act() -> None:
    import numpy as np

    for name in ("learned", "rules"):
        coach = load_coach(SHIPPED / name)
        assert coach.act(np.zeros(len(FEATURES), np.float32)) in range(9)
        assert load_served_coach(name).policy is not None
