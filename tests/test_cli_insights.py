"""``budgetlm insights`` from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Cli


def test_insights_name_the_overspent_budget_with_its_figures(cli: Cli, tmp_path: Path) -> None:
    rows = ["Date,Description,Amount,Category"]
    for month in range(1, 7):
        rows += [
            f"2026-{month:02d}-01,ACME PAYROLL,3000.00,Paycheck",
            f"2026-{month:02d}-03,OAK PROPERTY MGMT,-1500.00,Rent",
            f"2026-{month:02d}-12,BISTRO 21,-{200 if month < 6 else 520}.00,Dining Out",
        ]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli("import", str(path), "--account", "Checking")
    cli("budget", "set", "Dining Out", "250", "--month", "2026-06")
    found = cli.json("insights", "--today", "2026-06-20")
    over = next(i for i in found if i["kind"] == "over_budget")
    assert over["title"] == "Dining Out is over budget"
    assert over["figures"]["spent"] == "520.00"
    assert over["detail"] == "$520.00 of $250.00 (208.0%) spent, $270.00 over, with 10 days left."
    assert found[0] == over  # the most severe first
    text = cli("insights", "--today", "2026-06-20")[0]
    assert "1. Dining Out is over budget" in text
