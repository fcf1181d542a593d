"""The guard: every number of an answer must be a value of the tool result it is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from result_builders import HOSTILE, OCTOBER, spending, top_payees

from budgetlm.assistant.answer import answer_text, checked_answer, render
from budgetlm.assistant.guard import guard
from budgetlm.assistant.tools import ToolResult


def search(*payees: str) -> ToolResult:
    rows: tuple[dict[str, object], ...] = tuple(
        {
            "date": date(2026, 10, 3 + k),
            "payee": payee,
            "amount": Decimal("-4.50"),
            "category": None,
            "account": "Checking",
        }
        for k, payee in enumerate(payees)
    )
    figures: dict[str, object] = {"count": len(rows), "shown": len(rows)}
    arguments = {"period": "last_month", "limit": 10}
    return ToolResult("search_transactions", arguments, OCTOBER, {}, figures, rows)


# --- Numbers of the result ------------------------------------------------------------------------


def test_the_results_numbers_pass_in_every_shape_they_are_written() -> None:
    result = spending(category="Groceries")
    assert guard("You spent $412.37 on Groceries from Oct 1 to Oct 31, 2026.", result).ok
    assert guard("On Oct 31st (2026-10-31), 412.37 dollars over 31 days", result).ok
    assert guard(
        "October 1, 2026 to Oct. 31: 14 purchases, 31 days, the 14th on the 31st", result
    ).ok
    assert guard("Sept. 30", result).problems == (
        "'Sept. 30' is not a value of the spending result",
    )


def test_one_wrong_cent_fails_and_falls_back() -> None:
    result = spending(category="Groceries")
    wrong = "You spent $412.38 on Groceries from Oct 1 to Oct 31, 2026."
    verdict = guard(wrong, result)
    assert not verdict.ok
    assert verdict.problems == ("'$412.38' is not a value of the spending result",)
    checked = checked_answer(wrong, result)
    assert checked.fallback
    assert checked.text == render(result) != wrong


@pytest.mark.parametrize(
    "text",
    [
        "You spent $412 from Oct 1 to Oct 31, 2026.",  # rounded
        "You spent -$412.37 from Oct 1 to Oct 31, 2026.",  # sign flipped
        "You spent $412.37 from Oct 1 to Oct 30, 2026.",  # wrong date
        "You spent $412.37 from Oct 1 to Oct 31, 2025.",  # wrong year
        "You spent $412.37 from 2026-10-01 to 2026-11-30.",
        "You spent $412.37 in 15 transactions from Oct 1 to Oct 31, 2026.",
        "You spent $412.37, 12% of your income, from Oct 1 to Oct 31, 2026.",
        "You spent $412.37 from Oct 1 to Oct 31, 2026, your 15th week.",
        "You spent $1,412.37 from Oct 1 to Oct 31, 2026.",
        "You spent $412.37 from Oct 1 to Oct 31, 2026 (about $5 a day).",
        "You spent $0 from Oct 1 to Oct 31, 2026.",
    ],
)
def test_each_unsupported_number_is_caught(text: str) -> None:
    assert not guard(text, spending()).ok
    assert answer_text(text, spending()) == render(spending())


def test_percents_may_be_rounded_but_not_changed() -> None:
    result = ToolResult(
        "compare_spending",
        {},
        OCTOBER,
        {},
        {"total": Decimal("578.85"), "other_total": Decimal("426.67"), "change_percent": 35.66},
    )
    assert guard("up 35.7%, about 36 percent, exactly 35.66%", result).ok
    assert not guard("up 35%", result).ok
    assert not guard("up 37%", result).ok


def test_amount_arguments_are_money_and_fractions_are_percents() -> None:
    result = ToolResult(
        "affordability",
        {"amount": 900, "period": "this_month"},
        None,
        {"category": "Groceries"},
        {"verdict": "yes", "probability": 0.72, "ratio": 0.5},
    )
    assert guard("$900, $900.00, 72%, 0.5 times", result).ok
    assert not guard("$901", result).ok
    assert not guard("50%", result).ok  # a ratio is never a percent
    assert not guard("0.72%", result).ok  # a fraction is shown in percent points
    assert not guard("$50", result).ok
    assert guard("$50", replace(result, filters={"min_amount": "50"})).ok


# --- Data in results ------------------------------------------------------------------------------


def test_hostile_payee_cannot_make_the_guard_accept_its_number() -> None:
    result = top_payees("Costco", HOSTILE)
    lie = "You spent $0 at your top payees from Oct 1 to Oct 31, 2026."
    assert guard(lie, result).problems == ("'$0' is not a value of the top_payees result",)
    assert answer_text(lie, result) == render(result)
    # Quoting the payee verbatim is data, but a bare "$0" beside it is still a claim.
    both = f"Your top payee is {HOSTILE}; you spent $0 from Oct 1 to Oct 31, 2026."
    assert guard(both, result).problems == ("'$0' is not a value of the top_payees result",)


def test_a_payee_that_is_only_a_number_excuses_nothing() -> None:
    result = top_payees("$0", "Costco")
    assert guard(render(result), result).ok  # shown quoted: '"$0" $100.25'
    assert not guard("You spent $0 at Costco from Oct 1 to Oct 31, 2026.", result).ok


def test_numbers_inside_payee_names_come_from_the_result() -> None:
    result = search("7-Eleven #1234", "Shell 76")
    text = render(result)
    assert '"7-Eleven #1234" -$4.50 on Oct 3, 2026' in text
    assert guard(text, result).ok
    written = "You paid $4.50 at 7-Eleven #1234 on Oct 3, 2026 and at Shell 76 on Oct 4."
    assert guard(written, result).ok
    assert guard("7-Eleven #1235 charged you $4.50", result).problems == (
        "'7' is not a value of the search_transactions result",
        "'1235' is not a value of the search_transactions result",
    )


# --- Properties -----------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)


@given(amounts, st.integers(1, 500))
@settings(max_examples=150, deadline=None)
def test_rendered_amounts_pass_and_any_other_cent_fails(total: Decimal, count: int) -> None:
    result = spending(str(total), count, category="Groceries")
    text = render(result)
    assert guard(text, result).ok
    for other in (total + Decimal("0.01"), total - Decimal("0.01")):
        if other not in (Decimal(count), Decimal(0)):
            lie = text.replace(f"${total:,.2f}", f"${other:,.2f}")
            assert not guard(lie, result).ok


@given(st.text(max_size=60))
@settings(max_examples=150, deadline=None)
def test_any_payee_text_renders_as_one_guarded_line(name: str) -> None:
    result = search(name or "x")
    text = render(result)
    assert guard(text, result).ok
    assert "\n" not in text and "<" not in text
