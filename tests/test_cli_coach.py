"""``budgetlm coach recommend``, ``respond`` and ``log`` on a ledger, with the shipped coach."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from budgetlm.coach.serving import load_served_coach

if TYPE_CHECKING:
    from conftest import Cli

TODAY = "2026-11-21"


def test_advice_is_given_once_a_month_logged_and_answered(cli: Cli) -> None:
    cli("synth", "--persona", "young_renter", "--months", "12", "--seed", "8", "--load",
        "--today", TODAY)  # fmt: skip
    first = cli.json("coach", "recommend", "--today", TODAY)
    assert first["repeated"] is False and first["followed"] is None
    assert first["decision_ms"] < 5.0
    assert "$" in first["message"] and first["policy"] == load_served_coach().label
    # asking again this month gives the same advice, not new advice
    again = cli.json("coach", "recommend", "--today", TODAY)
    assert again["repeated"] is True and again["id"] == first["id"]
    assert again["message"] == first["message"]
    answered = cli.json("coach", "respond", str(first["id"]), "--ignored")
    assert answered["followed"] is False
    # next month is a new month: new advice, which knows this month's was ignored
    december = cli.json("coach", "recommend", "--today", "2026-12-03")
    assert december["id"] != first["id"] and december["repeated"] is False
    log = cli.json("coach", "log")
    assert [row["id"] for row in log] == [december["id"], first["id"]]
    assert log[1]["followed"] is False
    out, _ = cli("coach", "log")
    assert "not followed" in out


def test_answering_advice_that_does_not_exist_names_it(cli: Cli) -> None:
    _, err = cli("coach", "respond", "41", "--followed", code=1)
    assert "no coach recommendation 41" in err


def test_a_ledger_too_young_for_advice_is_told_so(cli: Cli, tmp_path: Path) -> None:
    csv = tmp_path / "nov.csv"
    csv.write_text("Date,Description,Amount\n2026-11-02,COFFEE,-4.50\n")
    cli("import", str(csv), "--account", "Main")
    _, err = cli("coach", "recommend", "--today", TODAY, code=1)
    assert "at least one full month of history" in err
    assert cli.json("coach", "log") == []
