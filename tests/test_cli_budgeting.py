"""Budget recommendations, budget status and health from the command line."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Cli

MONTHLY = [
    ("Paycheck", "ACME PAYROLL", "3000.00"),
    ("Rent", "OAK PROPERTY MGMT", "-1500.00"),
    ("Dining Out", "BISTRO 21", "-600.00"),
    ("Shopping", "MEGA MART", "-400.00"),
]


@pytest.fixture
def household(cli: Cli, tmp_path: Path) -> Cli:
    """January to June 2026: income 3,000, rent 1,500, dining 600 and shopping 400 a month."""
    rows = ["Date,Description,Amount,Category"]
    for month in range(1, 7):
        rows += [f"2026-{month:02d}-0{i + 1},{text},{amount},{category}"
                 for i, (category, text, amount) in enumerate(MONTHLY)]  # fmt: skip
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli("import", str(path), "--account", "Checking")
    return cli


def test_recommend_funds_a_goal_by_cutting_wants(household: Cli) -> None:
    cli = household
    cli("goal", "add", "House", "--target", "7200", "--by", "2027-07-10")
    plan = cli.json("budget", "recommend", "--today", "2026-07-10")
    assert [(b["category"], b["recommended"]) for b in plan["lines"]] == [
        ("Rent", "1500"),
        ("Dining Out", "540"),
        ("Shopping", "360"),
    ]
    assert (plan["income"], plan["savings"], plan["goal_need"]) == ("3000.00", "600.00", "600.00")
    assert [(f["group"], f["share"]) for f in plan["frame"]] == [
        ("need", "0.5000"),
        ("want", "0.3000"),
        ("savings", "0.2000"),
    ]
    assert "cut 10% to fund goals ($600.00 → $540.00)" in plan["lines"][1]["explanation"]
    out, _ = cli("budget", "recommend", "--today", "2026-07-10")
    assert "Recommended budget for July 2026" in out and "Goal House needs $600.00" in out


def test_status_shows_pace_mid_month(household: Cli) -> None:
    cli = household
    cli("budget", "set", "Dining Out", "600", "--month", "2026-06")
    status = cli.json("budget", "status", "--today", "2026-06-15")
    assert (status["month"], status["elapsed"]) == ("2026-06-01", "0.5000")
    [dining] = status["lines"]
    # The same 600 at Bistro 21 on the 3rd of every month is a recurring series, so it is
    # projected by its schedule (paid, nothing more due), not doubled pro rata to 1,200.
    assert (dining["spent"], dining["pace"], dining["projected"], dining["status"]) == (
        "600.00",
        "1.00",
        "600.00",
        "on track",
    )
    assert [u["category"] for u in status["unbudgeted"]] == ["Rent", "Shopping"]
    shown = cli.json("budget", "show", "--month", "2026-06", "--today", "2026-06-30")
    assert shown[0]["spent"] == dining["spent"]
    out, _ = cli("budget", "status", "--month", "2026-05", "--today", "2026-06-15")
    assert "No budgets for this month" in out
    _, err = cli("budget", "status", "--month", "2026-13", code=1)
    assert "not a month like 2026-10" in err


def test_health_prints_the_documented_features(household: Cli) -> None:
    cli = household
    cli("debt", "add", "Card", "--balance", "1000", "--apr", "20")  # minimum payment 25
    cli("budget", "set", "Dining Out", "600", "--month", "2026-06")
    data = cli.json("health", "--today", "2026-07-10")
    assert data["names"][0] == "savings_rate" and len(data["names"]) == 7
    assert data["savings_rate"] == pytest.approx(1 / 6)  # (18,000 - 15,000) / 18,000
    assert data["debt_to_income"] == pytest.approx(25 / 3000)
    assert data["emergency_fund_months"] == pytest.approx(2.0)  # 3,000 cash / 1,500 rent
    assert (data["budget_adherence"], data["budgeted_category_months"]) == (1.0, 1)
    assert all(math.isfinite(data[name]) for name in data["names"])
    out, _ = cli("health", "--today", "2026-07-10")
    assert "savings rate" in out and "0.167" in out


def test_a_synthetic_household_gets_a_recommendation_and_a_status(cli: Cli) -> None:
    cli("synth", "--persona", "young_renter", "--months", "7", "--seed", "140", "--load",
        "--today", "2026-11-05")  # fmt: skip
    plan = cli.json("budget", "recommend", "--today", "2026-11-05")
    assert len(plan["window"]) == 6 and len(plan["lines"]) > 8
    assert all(line["explanation"] for line in plan["lines"])
    status = cli.json("budget", "status", "--month", "2026-10", "--today", "2026-11-05")
    shown = cli.json("budget", "show", "--month", "2026-10", "--today", "2026-11-05")
    assert [(s["category"], s["spent"]) for s in status["lines"]] == [
        (b["category"], b["spent"]) for b in shown
    ]
