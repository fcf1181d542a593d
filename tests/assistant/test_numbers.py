"""Reading the numbers a question says, as the micro model's decoder allows them."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetlm.assistant.corpus.quantities import number_words, sample_amount, sample_days
from budgetlm.assistant.numbers import said_numbers, words_value


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("find purchases over $90", (90,)),
        ("charges from sixty dollars to 510 bucks", (60, 510)),
        ("can I afford a $1.2k laptop", (1200,)),
        ("is 2 grand too much", (2000,)),
        ("a grand on a new bike?", (1000,)),
        ("twelve hundred dollars for rent", (1200,)),
        ("one thousand two hundred fifty bucks", (1250,)),
        ("$1,058 last week", (1058,)),
        ("items over 17.99 or $200.50", (17.99, 200.5)),
        ("balance in the next 3 weeks", (3, 21)),
        ("bills in the next ten months", (10, 300)),
        ("my top eight payees", (8,)),
    ],
)
def test_every_way_the_grammar_writes_a_number_is_read(
    text: str, numbers: tuple[float, ...]
) -> None:
    assert said_numbers(text) == numbers


def test_one_slip_in_a_long_number_word_or_a_unit_is_forgiven() -> None:
    assert said_numbers("an extra one hunderd sixty bucks") == (160,)
    assert said_numbers("my balance in five wekes") == (5, 35)


def test_ordinary_words_are_not_read_as_numbers() -> None:
    assert said_numbers("hey there, then what did I spend on a new couch?") == ()
    assert said_numbers("your fine nice friends") == ()


@given(st.integers(min_value=0, max_value=999_999))
def test_words_value_inverts_number_words(n: int) -> None:
    assert words_value(number_words(n)) == n


@given(st.integers(min_value=0, max_value=2**32))
def test_sampled_amounts_and_horizons_are_always_read(seed: int) -> None:
    rng = random.Random(seed)
    for said in (sample_amount(rng, "amount"), sample_amount(rng, "min_amount"), sample_days(rng)):
        assert said.value in said_numbers(f"what about {said.text}?"), said
