"""``budgetlm anomalies`` on a loaded synthetic household."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Cli


def test_anomalies_lists_recent_flags_most_severe_first_with_a_reason(cli: Cli) -> None:
    cli("synth", "--load", "--months", "8", "--seed", "5003", "--persona", "random",
        "--today", "2026-11-15")  # fmt: skip
    report = cli.json("anomalies", "--days", "200", "--today", "2026-11-15")
    assert (report["start"], report["end"]) == ("2026-04-30", "2026-11-15")
    flags = report["anomalies"]
    assert flags, "a year of synthetic spending has injected anomalies"
    assert all("2026-04-30" <= f["date"] <= "2026-11-15" for f in flags)
    assert all(Decimal(f["amount"]) < 0 and f["explanation"] for f in flags)
    assert [f["score"] for f in flags] == sorted((f["score"] for f in flags), reverse=True)
    assert {f["kind"] for f in flags} <= {"large_purchase", "duplicate_charge", "bill_spike"}
    recent = cli.json("anomalies", "--days", "30", "--today", "2026-11-15")["anomalies"]
    assert {f["transaction_id"] for f in recent} <= {f["transaction_id"] for f in flags}
    out, _ = cli("anomalies", "--days", "200", "--today", "2026-11-15")
    assert "Unusual spending 2026-04-30 to 2026-11-15" in out
    assert flags[0]["payee"] in out and "your usual" in out.replace("\n", " ")


def test_an_empty_ledger_has_nothing_unusual(cli: Cli) -> None:
    assert cli.json("anomalies", "--today", "2026-11-15")["anomalies"] == []
    out, _ = cli("anomalies", "--today", "2026-11-15")
    assert "nothing unusual" in out
    cli("anomalies", "--days", "0", code=2)
