"""``budgetlm forecast`` on a small imported history."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Cli


@pytest.fixture
def household(cli: Cli, tmp_path: Path) -> Cli:
    """January to June 2026 on checking: rent 1,500 on the 1st, pay 1,000 on the 15th and
    groceries 70 every Saturday; the balance is 2,000 on June 30."""
    rows = ["Date,Description,Amount"]
    for month in range(1, 7):
        rows += [f"2026-{month:02d}-01,OAK PROPERTY MGMT RENT,-1500.00",
                 f"2026-{month:02d}-15,ACME PAYROLL,1000.00"]  # fmt: skip
    day = date(2026, 1, 3)
    while day <= date(2026, 6, 30):
        rows.append(f"{day},FRESH MARKET,-70.00")
        day += timedelta(days=7)
    path = tmp_path / "checking.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli("accounts", "add", "Checking", "--opening-balance", "6820")
    cli("import", str(path), "--account", "Checking")
    return cli


def test_forecast_warns_before_the_rent_overdraws_the_account(household: Cli) -> None:
    result = household.json("forecast", "--today", "2026-06-30", "--threshold", "1000")
    assert (result["opening_balance"], result["accounts"]) == ("2000.00", ["Checking"])
    assert len(result["days"]) == 60 and result["days"][0]["date"] == "2026-07-01"
    july_first = result["days"][0]
    assert [p["amount"] for p in july_first["scheduled"]] == ["-1500.00"]
    zero = next(w for w in result["warnings"] if w["kind"] == "below_zero")
    assert (zero["date"], zero["balance"]) == ("2026-08-01", "-350.00")
    # Groceries of exactly 70 every Saturday are a weekly series too, due that Saturday.
    rent = [p for p in zero["payments"] if "OAK" in p["payee"].upper()]
    assert [p["amount"] for p in rent] == ["-1500.00"]
    line = next(w for w in result["warnings"] if w["kind"] == "below_threshold")
    assert (line["date"], line["line"]) == ("2026-07-01", "1000")
    assert (result["minimum_date"], result["minimum_balance"]) == ("2026-08-08", "-420.00")
    # Everything in this history repeats, so nothing is left to forecast statistically.
    assert result["notes"] == [
        "No day-to-day cash flow in the history: only scheduled payments move it."
    ]

    out, _ = household("forecast", "--today", "2026-06-30", "--days", "30")
    assert "Balance of Checking: $2,000.00 on 2026-06-30" in out
    assert "Lowest expected balance: $360.00 on 2026-07-11." in out
    assert "Tue 2026-07-07" in out and "Sat 2026-07-11" in out and "Thu 2026-07-30" in out
    assert "warning:" not in out


def test_forecast_refuses_bad_input(cli: Cli) -> None:
    _, err = cli("forecast", "--threshold", "-5", code=1)
    assert "--threshold: the threshold must be zero or more" in err
    _, err = cli("forecast", "--today", "2026-06-30", code=1)
    assert "no checking account" in err
