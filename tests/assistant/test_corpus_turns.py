"""Typing noise, follow-ups and clarification answers of the corpus."""

from __future__ import annotations

import random
import re

import pytest
from test_corpus_grammar import HOSTILE, setting

from budgetlm.assistant.corpus.families import followup_groups
from budgetlm.assistant.corpus.followups import clarification_answer, follow_up
from budgetlm.assistant.corpus.grammar import Chunk, sample_question
from budgetlm.assistant.corpus.noise import NoiseConfig, noisy
from budgetlm.assistant.tools import ToolCall, ToolError, validate_call

QUIET = NoiseConfig(
    front_period=0, shorthand=0, typo_per_word=0, prefix=0, suffix=0,
    drop_final_punctuation=0, drop_commas=0, lower=0, upper=0, title=0,
)  # fmt: skip


def digits(text: str) -> list[str]:
    """The numbers of a text, in any order (noise may move a period to the front)."""
    return sorted(re.findall(r"\d+", text))


def test_noise_never_touches_digits_payees_or_the_call() -> None:
    rng = random.Random(1)
    s = setting()
    loud = NoiseConfig(front_period=0.5, shorthand=0.5, typo_per_word=0.3, prefix=0.5, suffix=0.5)
    changed = 0
    for _ in range(600):
        q = sample_question(s, rng, lambda t: True)
        call = q.call.to_json()
        typed = noisy(q.chunks, rng, loud)
        changed += typed != q.text
        assert digits(typed) == digits(q.text), (q.text, typed)
        for chunk in q.chunks:
            if chunk.slot == "payee":
                assert chunk.text.lower() in typed.lower(), (q.text, typed)
        assert q.call.to_json() == call
    assert changed > 500


def test_quiet_noise_is_the_identity_and_typos_skip_number_tokens() -> None:
    chunks = (Chunk("How much did I spend on "), Chunk("groceries", "category"), Chunk("?"))
    assert noisy(chunks, random.Random(0), QUIET) == "How much did I spend on groceries?"
    numbers = (Chunk("spent in Q3 or on the 3rd or $20k or 10/2025 or 2025-10 or Oct '25"),)
    config = NoiseConfig(**{**QUIET.__dict__, "typo_per_word": 1.0})
    typed = noisy(numbers, random.Random(0), config)
    for token in ("Q3", "3rd", "$20k", "10/2025", "2025-10", "'25"):
        assert token in typed
    assert typed != numbers[0].text  # the words around them do get typos


def test_a_trailing_period_can_move_to_the_front() -> None:
    chunks = (Chunk("How much did I spend on "), Chunk("groceries", "category"), Chunk(" "),
              Chunk("last month", "period"), Chunk("?"))  # fmt: skip
    config = NoiseConfig(**{**QUIET.__dict__, "front_period": 1.0})
    assert (
        noisy(chunks, random.Random(0), config) == "Last month, how much did I spend on groceries?"
    )


def _follow(effect: str, prev: ToolCall, seed: int = 0) -> ToolCall:
    group = next(g for g in followup_groups().values() if g.effect == effect)
    rng = random.Random(seed)
    s = setting()
    for _ in range(50):
        family = rng.choice(group.families)
        made = follow_up(family, rng.choice(family.templates), prev, s, rng)
        if made is not None:
            return made.call
    raise AssertionError(f"{effect} never applied to {prev}")


def test_follow_ups_change_the_previous_call() -> None:
    spend = ToolCall("spending", {"period": "last_month", "category": "Groceries"})
    assert _follow("before", spend) == ToolCall(
        "spending", {"period": "before:last_month", "category": "Groceries"}
    )
    this_month = ToolCall("spending", {"period": "this_month", "category": "Groceries"})
    assert _follow("before", this_month).arguments["period"] == "last_month"
    swapped = _follow("category", ToolCall("spending", {"period": "ytd", "payee": "Costco"}))
    assert "payee" not in swapped.arguments and swapped.arguments["period"] == "ytd"
    compared = _follow("compare", spend)
    assert compared.name == "compare_spending"
    assert compared.arguments["period"] == "last_month"
    assert compared.arguments["category"] == "Groceries"
    assert _follow("budget", spend) == ToolCall("budget_status", dict(spend.arguments))
    assert _follow("normal", spend) == ToolCall(
        "average_per_month", {"period": "last_n_months:12", "category": "Groceries"}
    )
    assert _follow("overall", spend) == ToolCall("spending", {"period": "last_month"})
    goal = _follow("goal", ToolCall("goal_odds", {"goal": "Japan Trip"}))
    assert goal == ToolCall("goal_odds", {"goal": "Emergency Fund"})


def test_follow_ups_that_do_not_fit_are_refused() -> None:
    s = setting()
    rng = random.Random(2)
    help_call = ToolCall("help", {})
    for group in followup_groups().values():
        if group.effect is None:
            continue
        family = group.families[0]
        assert follow_up(family, family.templates[0], help_call, s, rng) is None
    everything = ToolCall("spending", {"period": "all"})
    before = next(g for g in followup_groups().values() if g.effect == "before")
    assert (
        follow_up(before.families[0], before.families[0].templates[0], everything, s, rng) is None
    )


def test_random_chains_stay_valid() -> None:
    rng = random.Random(3)
    s = setting()
    effects = [g for g in followup_groups().values() if g.effect]
    vocab = s.mentions.vocabulary
    made = 0
    for _ in range(300):
        call = sample_question(s, rng, lambda t: True).call
        for _ in range(3):
            group = rng.choice(effects)
            family = rng.choice(group.families)
            q = follow_up(family, rng.choice(family.templates), call, s, rng)
            if q is None:
                continue
            validate_call(q.call, vocab)
            made += 1
            call = q.call
    assert made > 150


@pytest.mark.parametrize(
    ("missing", "pending", "check"),
    [
        ("amount", ToolCall("affordability", {"category": "Groceries"}), "amount"),
        ("goal", ToolCall("goal_odds", {}), "goal"),
        ("category", ToolCall("spending", {"period": "this_month"}), "category"),
        ("period", ToolCall("compare_spending", {}), "other_period"),
        ("account", ToolCall("forecast_balance", {"days": 30}), "account"),
    ],
)
def test_clarification_answers_complete_the_pending_call(
    missing: str, pending: ToolCall, check: str
) -> None:
    group = next(g for g in followup_groups().values() if g.answer == missing)
    rng = random.Random(4)
    s = setting()
    for family in group.families:
        for template in family.templates:
            q = clarification_answer(family, template, pending, s, rng)
            assert q is not None, template.text
            assert q.call.name == pending.name and check in q.call.arguments
            assert {k: q.call.arguments[k] for k in pending.arguments} == dict(pending.arguments)
            validate_call(q.call, s.mentions.vocabulary)


def test_hostile_payee_follow_up_is_plain_data() -> None:
    rng = random.Random(5)
    s = setting()
    prev = ToolCall("spending", {"period": "last_month", "payee": "Costco"})
    payee = next(g for g in followup_groups().values() if g.effect == "payee")
    seen = False
    for _ in range(300):
        family = rng.choice(payee.families)
        q = follow_up(family, rng.choice(family.templates), prev, s, rng)
        if q is not None and q.call.arguments["payee"] == HOSTILE:
            seen = True
            assert q.call == ToolCall("spending", {"period": "last_month", "payee": HOSTILE})
    assert seen
    with pytest.raises(ToolError):
        validate_call(ToolCall("spending", {"period": "last_month", "payee": "nobody"}),
                      s.mentions.vocabulary)  # fmt: skip
