"""The anonymizer: people, numbers and addresses go; merchants stay."""

from __future__ import annotations

import pytest

from budgetlm.finetune.anonymize import Anonymizer, removal_report


@pytest.mark.parametrize(
    ("text", "clean", "kinds"),
    [
        ("Zelle to Maria Lopez for rent", "Zelle to Person 1 for rent", {"name"}),
        ("ZELLE PAYMENT FROM JOHN DOE", "ZELLE PAYMENT FROM Person 1", {"name"}),
        ("ZELLE TO ANA RUIZ ON 0314 REF # 88", "ZELLE TO Person 1 ON 0314 REF # 88", {"name"}),
        ("Zelle payment to Ana Ruiz Conf# 7", "Zelle payment to Person 1 Conf# 7", {"name"}),
        (
            "ZELLE PAYMENT TO EMILY WHITAKER I6VFF0NSQF",
            "ZELLE PAYMENT TO Person 1 I6VFF0NSQF",
            {"name"},
        ),
        ("ACH PAYROLL INDN:DOE JOHN  CO ID:123", "ACH PAYROLL INDN:Person 1  CO ID:123", {"name"}),
        ("Visa ending in 4417 payment", "Visa [number] payment", {"number"}),
        ("CARD 1234-5678-9012-3456 refund", "[number] refund", {"number"}),
        ("call 555-867-5309 or (212) 555-0100", "call [phone] or [phone]", {"phone"}),
        ("receipt to jane.doe+bank@example.com", "receipt to [email]", {"email"}),
        ("Ship to 1420 Oak Ridge Dr today", "Ship to [address] today", {"address"}),
    ],
)
def test_personal_data_is_replaced(text: str, clean: str, kinds: set[str]) -> None:
    out, removed = Anonymizer().anonymize(text)
    assert out == clean
    assert {r.kind for r in removed} == kinds


@pytest.mark.parametrize(
    "text",
    [
        "Trader Joe's #552 Brooklyn",
        "Transfer to Savings",
        "Online transfer from Checking ...",
        "CHECK 2087",
        "Shell Oil 57442",
        "Kroger 2026-03-14",
        "11/18 Main Street Phcy#2812",
        "PAYMENT TO FIRST KEYSTONE CARD",
        "ONLINE BANKING TRANSFER TO SAV 2323 CONF",
    ],
)
def test_merchants_and_own_transfers_are_kept(text: str) -> None:
    assert Anonymizer().anonymize(text) == (text, [])


def test_the_same_person_gets_the_same_pseudonym_across_texts() -> None:
    anonymizer = Anonymizer()
    first, _ = anonymizer.anonymize("Venmo to Sam Lee")
    other, _ = anonymizer.anonymize("Zelle from Ana Ruiz")
    again, _ = anonymizer.anonymize("zelle to SAM  LEE")
    assert (first, other, again) == (
        "Venmo to Person 1",
        "Zelle from Person 2",
        "zelle to Person 1",
    )


def test_the_report_shows_only_what_changed() -> None:
    lines = removal_report(["Kroger", "Zelle to Maria Lopez", "acct #99881234"])
    assert lines == [
        "'Zelle to Maria Lopez' -> 'Zelle to Person 1' (name)",
        "'acct #99881234' -> '[number]' (number)",
    ]
