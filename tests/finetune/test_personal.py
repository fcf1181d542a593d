"""``budgetlm dataset export --personal``: the user's ledger as anonymized training files."""

from __future__ import annotations

import json
import re
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from budgetlm.assistant.tools import ToolContext, load_context, make_context
from budgetlm.errors import InputError
from budgetlm.finetune.export import ExportConfig, export_synthetic
from budgetlm.finetune.personal import (
    PRIVACY_WARNING,
    PersonalExportConfig,
    anonymize_context,
    assert_no_leaks,
    export_personal,
)
from budgetlm.ledger.household import load_household
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import DEFAULT_WORKSPACE, Store
from budgetlm.ledger.synth import generate_household

TODAY = date(2026, 6, 30)
CARD = "Chase Visa ending in 4417"
SAVINGS = "Savings acct #99881234"
JOINT = "Joint with Marisol Quintanilla"
PAYPAL = "PayPal thad.okonkwo@example.com"
PLANTED: list[tuple[str, str, str, str | None]] = [
    # description, amount, account, payee as an app export would give it
    ("Zelle to Marisol Quintanilla 555-867-5309", "-250.00", "Checking", None),
    ("Venmo from Thaddeus Okonkwo thad.okonkwo@example.com", "40.00", "Checking", None),
    ("ZELLE TO THADDEUS OKONKWO FOR RENT", "-900.00", "Checking", "Thaddeus Okonkwo"),
    ("Venmo to Joe", "-12.00", "Checking", None),
    ("AMAZON MKTPLACE ship to 1420 Oak Ridge Dr", "-31.20", CARD, None),
    ("TRADER JOE'S #552 BROOKLYN NY", "-64.10", CARD, None),
    ("TRADER JOE'S #552 BROOKLYN NY", "-48.75", CARD, None),
    ("CARD 4111-1111-1111-1111 REFUND", "9.99", CARD, None),
    ("Interest paid", "1.20", SAVINGS, None),
    ("FARMERS MARKET", "-20.00", JOINT, None),
    ("PAYPAL INST XFER", "-15.00", PAYPAL, None),
]
"""Planted transactions, dated June 2026 (the personal data is in descriptions, a payee and
the account names)."""
SECRETS = (
    "Marisol", "Quintanilla", "555-867-5309", "867-5309", "Thaddeus", "Okonkwo", "thad.okonkwo",
    "example.com", "Oak Ridge", "4111", "ending in 4417", "4417", "99881234",
)  # fmt: skip
"""What must appear nowhere in an export."""
SMALL = PersonalExportConfig(format="full", size=20, safety_per_family=5)


@pytest.fixture(scope="module")
def ledger_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger: three months of a synthetic household plus the planted rows."""
    path = tmp_path_factory.mktemp("ledger") / "ledger.db"
    store = Store(f"sqlite:///{path}")
    try:
        with store.session() as session:
            ledger = Ledger(session, store.workspace_id(DEFAULT_WORKSPACE))
            household = generate_household("young_renter", months=3, seed=140, end=TODAY)
            load_household(ledger, household)
            ledger.add_account(CARD, account_type="credit")
            ledger.add_account(SAVINGS, account_type="savings")
            ledger.add_account(JOINT)
            ledger.add_account(PAYPAL)
            rows = tuple(
                ImportedTransaction(
                    date=date(2026, 6, 1 + n), amount=Decimal(amount), description=text,
                    line=n + 1, account=account, payee=payee,
                )
                for n, (text, amount, account, payee) in enumerate(PLANTED)
            )  # fmt: skip
            statement = ParsedStatement(source="planted.csv", file_format="csv", transactions=rows)
            import_statement(ledger, statement, file_sha256="planted")
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def context(ledger_file: Path) -> ToolContext:
    store = Store(f"sqlite:///{ledger_file}")
    try:
        with store.session() as session:
            return load_context(Ledger(session, store.workspace_id(DEFAULT_WORKSPACE)), TODAY)
    finally:
        store.close()


def _texts(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.iterdir()))


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, context: ToolContext) -> Path:
    directory = tmp_path_factory.mktemp("export") / "personal"
    export_personal(context, SMALL, directory)
    return directory


def test_the_planted_personal_data_is_in_the_ledger_the_export_reads(context: ToolContext) -> None:
    vocabulary = context.vocabulary
    assert {CARD, SAVINGS, JOINT, PAYPAL} <= set(vocabulary.accounts)
    assert "Thaddeus Okonkwo" in vocabulary.payees  # a payee no pattern alone would catch
    assert any("Marisol Quintanilla" in p for p in vocabulary.payees)


def test_no_planted_personal_data_reaches_any_file_and_merchants_stay(exported: Path) -> None:
    text = _texts(exported)
    leaked = [secret for secret in SECRETS if secret.casefold() in text.casefold()]
    assert not leaked
    assert "TRADER JOE'S" in text  # the merchant, though "Joe" of "Venmo to Joe" went
    assert "Venmo to Joe" not in text
    tools = _records(exported / "train.jsonl")[0]["tools"]
    spending = next(t for t in tools if t["function"]["name"] == "spending")
    accounts = spending["function"]["parameters"]["properties"]["account"]["enum"]
    assert {"Chase Visa [number]", "Savings [number]", "PayPal [email]"} <= set(accounts)
    # a name no pattern finds in an account name goes, once a bank line showed it is a person
    assert [a for a in accounts if re.fullmatch(r"Joint with Person \d+", a)]


def test_one_person_gets_one_pseudonym_in_payees_descriptions_and_vocabulary(
    context: ToolContext,
) -> None:
    anonymized = anonymize_context(context)
    past = anonymized.context.past
    rent = next(t for t in past if t.description.endswith("FOR RENT"))
    venmo = next(t for t in past if t.description.startswith("Venmo from"))
    # the payee "Thaddeus Okonkwo" alone matches no pattern; the pass over every text finds it
    assert rent.payee.startswith("Person ")
    assert rent.description == f"ZELLE TO {rent.payee} FOR RENT"
    assert venmo.description == f"Venmo from {rent.payee} [email]"
    assert rent.payee in anonymized.context.vocabulary.payees
    joe = next(t for t in past if t.description.startswith("Venmo to"))
    assert joe.payee.startswith("Venmo to Person ")
    report = anonymized.report
    assert {"name", "phone", "email", "address", "number"} <= set(report.kinds)
    assert report.samples and all(before != after for before, after in report.samples)
    assert len(report.samples) <= 10


def test_every_call_validates_against_the_anonymized_tools(exported: Path) -> None:
    for record in _records(exported / "train.jsonl"):
        tools = {t["function"]["name"]: t["function"]["parameters"] for t in record["tools"]}
        for message in record["messages"]:
            for call in message.get("tool_calls") or []:
                arguments = json.loads(call["function"]["arguments"])
                Draft202012Validator(tools[call["function"]["name"]]).validate(arguments)


def test_the_manifest_says_personal_and_holds_no_personal_text(exported: Path) -> None:
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"] == "personal"
    assert manifest["splits"]["train"]["conversations"] == 16
    assert manifest["anonymized"]["removed"]["name"] >= 3
    raw = json.dumps(manifest)
    assert not [secret for secret in SECRETS if secret in raw]
    assert "TRADER" not in raw and "Person" not in raw
    for path in exported.iterdir():  # owner-only, directory included
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(exported.stat().st_mode) == 0o700


def test_splits_are_held_out_by_phrasing_family_and_template(exported: Path) -> None:
    splits = {s: _records(exported / f"{s}.jsonl") for s in ("train", "validation", "test")}
    turns = {s: [t for r in rs for t in r["meta"]["turns"]] for s, rs in splits.items()}
    assert {t["phrasing_split"] for t in turns["train"]} == {"train"}
    train_templates = {t["template"] for t in turns["train"]}
    for split in ("validation", "test"):
        assert {t["phrasing_split"] for t in turns[split]} == {split}
        assert not {t["template"] for t in turns[split]} & train_templates
    assert {r["meta"]["source"] for rs in splits.values() for r in rs} == {"personal"}


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path, context: ToolContext) -> None:
    def train(directory: str, seed: int) -> bytes:
        config = PersonalExportConfig(format="chat", seed=seed, size=20, safety_per_family=5)
        export_personal(context, config, tmp_path / directory)
        return (tmp_path / directory / "train.jsonl").read_bytes()

    assert train("a", 0) == train("b", 0) != train("c", 1)


def test_an_empty_ledger_is_a_clear_error(tmp_path: Path, context: ToolContext) -> None:
    nothing_yet = make_context(context.history, date(2020, 1, 1))  # before the first transaction
    with pytest.raises(InputError, match="no transactions up to 2020-01-01"):
        export_personal(nothing_yet, SMALL, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_guard_finds_an_original_in_any_case_and_spacing() -> None:
    originals = ["Marisol Quintanilla", "555-867-5309"]
    assert_no_leaks([{"content": "Zelle to Person 1 at Trader Joe's"}], originals)
    with pytest.raises(InputError, match="survived anonymization"):
        assert_no_leaks([[{"content": "paid MARISOL  quintanilla"}]], originals)


def test_personal_and_synthetic_exports_never_share_a_directory(
    tmp_path: Path, context: ToolContext
) -> None:
    synthetic = tmp_path / "synthetic"
    synthetic.mkdir()
    (synthetic / "manifest.json").write_text('{"source": "synthetic"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="holds a synthetic export"):
        export_personal(context, SMALL, synthetic)
    assert sorted(p.name for p in synthetic.iterdir()) == ["manifest.json"]
    crowded = tmp_path / "project"
    crowded.mkdir()
    (crowded / "README.md").write_text("notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not empty"):
        export_personal(context, SMALL, crowded)
    personal = tmp_path / "personal"
    personal.mkdir()
    (personal / "manifest.json").write_text('{"source": "personal"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="holds a personal export"):
        export_synthetic(ExportConfig(size=10), personal)


def test_the_command_exports_warns_and_shows_what_was_removed(ledger_file: Path) -> None:
    from budgetlm.cli import app
    from budgetlm.settings import data_dir

    runner = CliRunner()
    arguments = ["dataset", "export", "--personal", "--db", str(ledger_file),
                 "--today", TODAY.isoformat(), "--size", "20", "--seed", "3"]  # fmt: skip
    done = runner.invoke(app, arguments, env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    directory = data_dir() / "exports" / "personal"
    assert "train: 16 conversations" in done.output
    assert "do not share or upload them" in " ".join(done.output.split())
    assert "Privacy:" in done.output and PRIVACY_WARNING[:30] in " ".join(done.output.split())
    assert "What was removed" in done.output and "[number]" in done.output
    text = _texts(directory)  # the report's originals are on the terminal, not in the files
    assert not [secret for secret in SECRETS if secret.casefold() in text.casefold()]
    assert "What was removed" not in text
    again = runner.invoke(app, arguments)  # over its own earlier export: allowed, same files
    assert again.exit_code == 0, again.output
    assert _texts(directory) == text


def test_the_command_refuses_a_synthetic_export_directory_and_an_empty_ledger(
    tmp_path: Path, ledger_file: Path
) -> None:
    from budgetlm.cli import app

    (tmp_path / "manifest.json").write_text('{"source": "synthetic"}\n', encoding="utf-8")
    done = CliRunner().invoke(
        app, ["dataset", "export", "--personal", "--out", str(tmp_path), "--db", str(ledger_file)]
    )
    assert done.exit_code != 0
    assert "holds a synthetic export" in done.output + str(done.exception)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    bare = CliRunner().invoke(app, ["dataset", "export"])
    assert bare.exit_code != 0
    assert "--out" in bare.output + str(bare.exception)
    empty = CliRunner().invoke(
        app, ["dataset", "export", "--personal", "--out", str(tmp_path / "new"),
              "--db", str(tmp_path / "empty.db")],
    )  # fmt: skip
    assert empty.exit_code != 0
    assert "no transactions up to" in empty.output + str(empty.exception)
    assert not (tmp_path / "new").exists()
