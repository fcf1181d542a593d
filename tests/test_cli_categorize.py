"""Categorization from the command line: rules, corrections, the review list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Cli

STATEMENT = """Date,Description,Amount
2026-03-02,STREAMCO*MEMBERSHIP,-9.99
2026-03-03,GREEN PROPERTY MGMT ACH,-1450.00
2026-03-04,JOE'S DINER,-18.50
"""


def _import(cli: Cli, tmp_path: Path) -> dict[str, int]:
    path = tmp_path / "march.csv"
    path.write_text(STATEMENT, encoding="utf-8")
    cli("import", str(path), "--account", "Checking")
    return {row["description"]: row["id"] for row in cli.json("transactions")}


def test_rules_can_be_added_listed_and_removed(cli: Cli) -> None:
    cli("rules", "add", "streamco", "subscriptions")
    cli("rules", "add", r"PROPERTY\s+MGMT", "Rent", "--match", "regex", "--min-amount", "1,000")
    listed = cli.json("rules", "list")
    assert [(r["pattern"], r["category"], r["amount_min"]) for r in listed] == [
        ("streamco", "Subscriptions", None),
        (r"PROPERTY\s+MGMT", "Rent", "1000.00"),
    ]
    cli("rules", "remove", str(listed[0]["id"]))
    assert len(cli.json("rules", "list")) == 1
    _, err = cli("rules", "add", "(oops", "Rent", "--match", "regex", code=1)
    assert "regular expression" in err
    _, err = cli("rules", "remove", "999", code=1)
    assert "no rule with id 999" in err


def test_a_correction_sets_the_category_and_reaches_the_review_list(
    cli: Cli, tmp_path: Path
) -> None:
    ids = _import(cli, tmp_path)
    assert len(cli.json("categorize", "review")) == 3, "nothing categorized yet"
    cli("categorize", "correct", str(ids["JOE'S DINER"]), "coffee shops")
    [diner] = [t for t in cli.json("transactions") if t["description"] == "JOE'S DINER"]
    assert diner["category"] == "Coffee Shops"
    assert len(cli.json("categorize", "review")) == 2
    _, err = cli("categorize", "correct", "12345", "Rent", code=1)
    assert "no transaction with id 12345" in err


def test_train_learns_from_imported_categories_then_categorize_uses_it(
    cli: Cli, tmp_path: Path
) -> None:
    lines = ["Date,Description,Amount,Category"]
    for day in range(1, 29):
        lines.append(f"2026-02-{day:02d},CITY YOUTH SOCCER {day},-45.00,Kids Soccer")
        lines.append(f"2026-02-{day:02d},CORNER MARKET #{day},-60.00,Groceries")
    history = tmp_path / "history.csv"
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("import", str(history), "--account", "Checking")
    report = cli.json("categorize", "train")
    assert (report["rows"], report["categories"]) == (56, 2)
    new = tmp_path / "march.csv"
    new.write_text("Date,Description,Amount\n2026-03-03,CITY YOUTH SOCCER 77,-45.00\n")
    cli("import", str(new), "--account", "Checking")
    assert cli.json("categorize")["by_model"] == 1
    [soccer] = [t for t in cli.json("transactions") if t["description"] == "CITY YOUTH SOCCER 77"]
    assert soccer["category"] == "Kids Soccer"


def test_eval_categorize_compares_every_method_on_every_split(cli: Cli) -> None:
    report = cli.json("eval", "categorize", "--train-households", "4", "--test-households", "2")
    assert set(report["splits"]) == {
        "later_months", "unseen_merchants", "unseen_unknown_brands", "unseen_spellings",
        "new_households",
    }  # fmt: skip
    for methods in report["splits"].values():
        assert set(methods) == {"ours", "smart_importer", "keywords", "shipped"}
        assert all(0.0 <= m["accuracy"] <= 1.0 and m["reliability"] for m in methods.values())
