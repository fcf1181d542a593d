"""``budgetlm debt plan`` and ``budgetlm goal check`` as a user runs them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Cli

TODAY = ("--today", "2026-06-30")


@pytest.fixture
def history(cli: Cli, tmp_path: Path) -> Cli:
    """Six months of a 2,000 paycheck and 1,500 rent: 500 saved a month."""
    lines = ["Posting Date,Description,Debit,Credit"]
    for month in range(1, 7):
        lines.append(f"{month:02d}/01/2026,ACME CORP PAYROLL,,2000.00")
        lines.append(f"{month:02d}/05/2026,OAK STREET RENT,1500.00,")
    statement = tmp_path / "statement.csv"
    statement.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("import", str(statement), "--account", "Checking")
    return cli


def test_debt_plan_matches_the_amortization_and_compares_strategies(cli: Cli) -> None:
    cli("debt", "add", "Car", "--balance", "8000", "--apr", "7", "--min-percent", "0",
        "--min-floor", "150")  # fmt: skip
    plan = cli.json("debt", "plan", *TODAY)
    assert (plan["months_to_debt_free"], plan["debt_free_date"]) == (65, "2031-11-30")
    assert plan["monthly_budget"] == "150.00" and plan["paid_off"]
    assert plan["debts"][0]["total_interest"] == plan["total_interest"]

    cli("debt", "add", "Card", "--balance", "600", "--apr", "24.99")
    both = cli.json("debt", "plan", "--strategy", "snowball", "--extra", "$100", "--compare",
                    "--schedule", *TODAY)  # fmt: skip
    assert [d["name"] for d in both["debts"]] == ["Card", "Car"]
    # Snowball puts the extra on the smaller Card: its 25 minimum plus 100.
    assert both["schedule"][0]["debts"][0]["payment"] == "125.00"
    assert [r["strategy"] for r in both["comparison"]] == ["avalanche", "snowball", "hybrid"]
    assert both["best"] == "avalanche"
    out, _ = cli("debt", "plan", "--extra", "100", "--compare", *TODAY)
    assert "Debt-free in" in out and "least interest" in out


def test_debt_plan_says_plainly_when_a_debt_never_pays_off(cli: Cli) -> None:
    cli("debt", "add", "Card", "--balance", "5000", "--apr", "29.99", "--min-percent", "1")
    plan = cli.json("debt", "plan", *TODAY)
    assert not plan["paid_off"] and plan["months_to_debt_free"] is None
    assert "never pays off" in plan["message"]
    out, _ = cli("debt", "plan", *TODAY)
    assert "never pays off" in out and "never" in out


def test_debt_plan_refuses_bad_input(cli: Cli) -> None:
    _, err = cli("debt", "plan", *TODAY, code=1)
    assert "no debts" in err
    cli("debt", "add", "Card", "--balance", "600", "--apr", "20")
    _, err = cli("debt", "plan", "--strategy", "fastest", code=1)
    assert "avalanche, snowball, hybrid" in err
    _, err = cli("debt", "plan", "--extra", "-5", code=1)
    assert "--extra" in err


def test_goal_check_from_the_ledger_history(history: Cli) -> None:
    history("goal", "add", "Trip", "--target", "3000", "--by", "2026-12-31")
    history("goal", "add", "Car", "--target", "4000", "--by", "2026-12-31")
    checks = {c["name"]: c for c in history.json("goal", "check", "--simulations", "500", *TODAY)}
    trip, car = checks["Trip"], checks["Car"]
    assert (trip["status"], trip["probability"], trip["extra_monthly_needed"]) == (
        "on_track",
        1.0,
        "0",
    )
    assert trip["history_months"] == 6 and trip["mean_monthly_saving"] == "500.00"
    assert trip["milestones"][1] == {"share": 0.5, "amount": "1500.00", "date": "2026-09-30"}
    assert car["status"] == "at_risk" and car["extra_monthly_needed"] == "166.67"
    [only] = history.json("goal", "check", "car", "--probability", "0.5", *TODAY)
    assert only["name"] == "Car"
    out, _ = history("goal", "check", "Car", *TODAY)
    assert "$166.67" in out and "Car" in out


def test_goal_check_is_repeatable_and_refuses_bad_input(history: Cli) -> None:
    history("goal", "add", "Trip", "--target", "3000", "--by", "2026-12-31")
    runs = [history.json("goal", "check", "--seed", "3", "--simulations", "300", *TODAY)
            for _ in range(2)]  # fmt: skip
    assert runs[0] == runs[1]
    _, err = history("goal", "check", "Trp", *TODAY, code=1)
    assert "no goal named 'Trp'" in err and "'Trip'" in err
    _, err = history("goal", "check", "--probability", "1.5", code=1)
    assert "--probability" in err


def test_goal_check_without_goals_or_history(cli: Cli) -> None:
    _, err = cli("goal", "check", *TODAY, code=1)
    assert "no goals" in err
    cli("goal", "add", "Trip", "--target", "3000", "--by", "2026-12-31")
    [check] = cli.json("goal", "check", *TODAY)
    assert check["status"] == "no_history" and "Not enough history" in check["message"]


def test_a_promotional_rate_entered_on_the_command_line_lowers_the_interest(cli: Cli) -> None:
    args = ("--balance", "3000", "--apr", "24", "--min-percent", "0", "--min-floor", "300")
    cli("debt", "add", "Card", *args, "--workspace", "plain")
    cli("debt", "add", "Card", *args, "--promo-apr", "0", "--promo-until", "2026-12-31")
    plain = cli.json("debt", "plan", *TODAY, "--workspace", "plain")
    promo = cli.json("debt", "plan", *TODAY)
    # Six payments at 0% (July to December) leave 1,200; at 2% a month it takes five more:
    # interest 24.00 + 18.48 + 12.85 + 7.11 + 1.25.
    assert (promo["months_to_debt_free"], promo["total_interest"]) == (11, "63.69")
    assert float(plain["total_interest"]) > 200
    _, err = cli("debt", "add", "Other", "--balance", "10", "--apr", "5", "--promo-apr", "0",
                 code=1)  # fmt: skip
    assert "--promo-apr and --promo-until go together" in err
