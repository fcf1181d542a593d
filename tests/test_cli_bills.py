"""``budgetlm bills`` on a small imported history."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Cli


@pytest.fixture
def household(cli: Cli, tmp_path: Path) -> Cli:
    """January to June 2026 on checking: rent 1,500 on the 1st, pay 2,000 every other Friday
    from January 2, a streaming plan whose price rose from 15.49 to 17.99 in May, and coffee
    now and then."""
    rows = ["Date,Description,Amount"]
    for month in range(1, 7):
        price = "-17.99" if month >= 5 else "-15.49"
        rows += [f"2026-{month:02d}-01,OAK PROPERTY MGMT RENT,-1500.00",
                 f"2026-{month:02d}-10,STREAMLY.COM,{price}"]  # fmt: skip
    day, visit = date(2026, 1, 2), 0
    while day <= date(2026, 6, 30):
        coffee = day + timedelta(days=(1, 6, 3, 10)[visit % 4])
        rows += [f"{day},ACME PAYROLL,2000.00", f"{coffee},CORNER CAFE,-{4 + visit % 5}.75"]
        day, visit = day + timedelta(days=14), visit + 1
    path = tmp_path / "checking.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli("accounts", "add", "Checking", "--opening-balance", "500")
    cli("import", str(path), "--account", "Checking")
    return cli


def test_bills_lists_series_and_the_payments_coming_up(household: Cli) -> None:
    series = household.json("bills", "--today", "2026-06-30")
    by_cadence = {(s["cadence"], s["typical_amount"]): s for s in series}
    rent = by_cadence[("monthly", "-1500.00")]
    assert (rent["next_date"], rent["next_amount"]) == ("2026-07-01", "-1500.00")
    # Rent posted on Sunday February 1 and Sunday March 1: due on the 1st, no weekend rule.
    assert (rent["anchor"], rent["shift"]) == (1, "none")
    pay = by_cadence[("biweekly", "2000.00")]
    assert (pay["last_date"], pay["next_date"]) == ("2026-06-19", "2026-07-03")
    plan = by_cadence[("monthly", "-17.99")]
    assert (plan["previous_amount"], plan["price_changed_on"]) == ("-15.49", "2026-05-10")
    assert all(0 < s["confidence"] <= 1 for s in series)

    upcoming = household.json("bills", "--today", "2026-06-30", "--days", "14")
    assert (upcoming["start"], upcoming["end"]) == ("2026-07-01", "2026-07-14")
    assert [(p["date"], p["amount"]) for p in upcoming["payments"]] == [
        ("2026-07-01", "-1500.00"),
        ("2026-07-03", "2000.00"),
        ("2026-07-10", "-17.99"),
    ]
    assert upcoming["total"] == "482.01"

    out, _ = household("bills", "--today", "2026-06-30")
    assert "Recurring bills and income" in out and "-$15.49 until 2026-05-10" in out
    out, _ = household("bills", "--today", "2026-06-30", "--days", "14")
    assert "Total: $482.01" in out and "2026-07-10" in out


def test_bills_refuses_a_period_of_no_days(cli: Cli) -> None:
    _, err = cli("bills", "--today", "2026-06-30", "--days", "0", code=1)
    assert "--days must be at least 1" in err


def test_a_monthly_transfer_between_own_accounts_is_listed_once(cli: Cli, tmp_path: Path) -> None:
    for account in ("Checking", "Savings"):
        sign = "-" if account == "Checking" else ""
        text = "TRANSFER TO SAVINGS" if account == "Checking" else "TRANSFER FROM CHECKING"
        rows = ["Date,Description,Amount,Category"] + [
            f"2026-{month:02d}-09,{text},{sign}350.00,Transfer" for month in range(1, 7)
        ]
        path = tmp_path / f"{account}.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        cli("import", str(path), "--account", account)
    assert len(cli.json("bills", "--today", "2026-06-30")) == 2  # both legs are series
    upcoming = cli.json("bills", "--today", "2026-06-30", "--days", "14")["payments"]
    assert [(p["date"], p["amount"]) for p in upcoming] == [("2026-07-09", "-350.00")]
