"""The ledger store: schema from migrations, exact money, workspace scoping, entities."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, text

from budgetlm.errors import BudgetlmError, NotFoundError
from budgetlm.ledger.migrations import HEAD_REVISION
from budgetlm.ledger.models import Base, Transaction
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store, alembic_config
from budgetlm.ledger.taxonomy import category_for_plaid_code, default_categories


def _add_tx(
    ledger: Ledger,
    account_id: int,
    day: date,
    amount: str,
    text: str,
    category_id: int | None = None,
) -> None:
    ledger.session.execute(
        insert(Transaction),
        [
            {
                "workspace_id": ledger.workspace_id,
                "account_id": account_id,
                "date": day,
                "amount": Decimal(amount),
                "currency": "USD",
                "description": text,
                "category_id": category_id,
                "fingerprint": uuid.uuid4().hex,
            }
        ],
    )


def test_migrations_build_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_head_revision_constant_matches_the_migrations() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_an_older_database_is_upgraded_in_place_keeping_its_rows(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(url, migrate=False)
    with old.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO workspaces (name, ledger_version) VALUES ('home', 0)"))
        columns = "workspace_id, name, account_type, currency, opening_balance"
        values = "1, 'Checking', 'checking', 'USD', 12345"
        connection.execute(text(f"INSERT INTO accounts ({columns}) VALUES ({values})"))
    old.close()
    upgraded = Store(url)
    with upgraded.session() as session:
        [account] = Ledger(session, upgraded.workspace_id("home")).accounts()
        assert (account.name, account.opening_balance) == ("Checking", Decimal("1.2345"))
    upgraded.close()


def test_reopening_a_migrated_database_keeps_its_data(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    first = Store(url)
    workspace = first.workspace_id("home")
    with first.session() as session:
        Ledger(session, workspace).add_account("Checking")
    first.close()
    again = Store(url)
    with again.session() as session:
        names = [a.name for a in Ledger(session, again.workspace_id("home")).accounts()]
    again.close()
    assert names == ["Checking"]


def test_money_is_exact_through_the_database(ledger: Ledger) -> None:
    account = ledger.add_account("Checking", opening_balance=Decimal("0.10"))
    for amount in ("0.10", "0.20", "-1234567.8901", "99999999999.99"):
        _add_tx(ledger, account.id, date(2026, 1, 1), amount, "x")
    ledger.session.flush()
    amounts = sorted(t.amount for t in ledger.transactions())
    assert amounts == [
        Decimal("-1234567.8901"),
        Decimal("0.10"),
        Decimal("0.20"),
        Decimal("99999999999.99"),
    ]
    assert ledger.balances()[account.id] == Decimal("99998765432.4999")
    assert [str(a) for a in amounts[1:3]] == ["0.10", "0.20"]  # cents keep their trailing zero


def test_more_decimal_places_than_stored_is_refused(ledger: Ledger) -> None:
    account = ledger.add_account("Checking")
    with pytest.raises(Exception, match="more than 4 decimal places"):
        _add_tx(ledger, account.id, date(2026, 1, 1), "1.00001", "x")


def test_every_query_is_scoped_to_its_workspace(store: Store) -> None:
    a, b = store.workspace_id(f"a-{uuid.uuid4().hex}"), store.workspace_id(f"b-{uuid.uuid4().hex}")
    with store.session() as session:
        mine = Ledger(session, a)
        account = mine.add_account("Checking")
        _add_tx(
            mine,
            account.id,
            date(2026, 3, 2),
            "-50.00",
            "SECRET SHOP",
            mine.category("Groceries").id,
        )
        mine.set_budget("Groceries", date(2026, 3, 1), Decimal(400))
        mine.add_goal("Trip", Decimal(1000), date(2027, 1, 1))
        mine.add_debt("Card", Decimal(500), Decimal("0.2"))
        mine.add_category("Mine Only")
    with store.session() as session:
        other = Ledger(session, b)
        assert other.accounts() == [] and other.transactions() == []
        assert other.transaction_count() == 0
        assert other.category_totals(date(2026, 1, 1), date(2026, 12, 31)) == []
        assert other.budget_lines(date(2026, 3, 1)) == []
        assert other.goals() == [] and other.debts() == []
        assert other.find_category("Mine Only") is None
        assert other.find_account("Checking") is None
        other.add_account("Checking")  # the same name is free in another workspace


def test_default_categories_map_to_plaid_codes(ledger: Ledger) -> None:
    names = [c.name for c in ledger.categories()]
    assert names == [spec.name for spec in default_categories()]
    assert all(c.plaid_code and c.is_default for c in ledger.categories())
    assert ledger.category("FOOD_AND_DRINK_COFFEE").name == "Coffee Shops"
    assert category_for_plaid_code("rent_and_utilities_water").name == "Utilities"  # type: ignore[union-attr]
    codes = [code for spec in default_categories() for code in spec.plaid_codes]
    assert len(codes) == len(set(codes)), "a Plaid code must map to one category"


def test_categories_can_be_added_and_renamed(ledger: Ledger) -> None:
    ledger.add_category("Kids Soccer", "want")
    with pytest.raises(BudgetlmError, match="clashes"):
        ledger.add_category("kids  soccer")
    account = ledger.add_account("Checking")
    _add_tx(ledger, account.id, date(2026, 1, 5), "-20", "CLUB", ledger.category("Kids Soccer").id)
    ledger.rename_category("Kids Soccer", "Kids Sports")
    assert [t.category_id for t in ledger.transactions()] == [ledger.category("Kids Sports").id]
    with pytest.raises(BudgetlmError, match="taken"):
        ledger.rename_category("Kids Sports", "Groceries")
    with pytest.raises(NotFoundError, match="did you mean 'Groceries'"):
        ledger.category("Grocerys")


def test_budget_lines_show_spending_against_the_budget(ledger: Ledger) -> None:
    account = ledger.add_account("Checking")
    groceries = ledger.category("Groceries").id
    for day, amount in (
        (date(2026, 3, 2), "-120.50"),
        (date(2026, 3, 30), "-80.25"),
        (date(2026, 4, 1), "-999"),
    ):
        _add_tx(ledger, account.id, day, amount, "MARKET", groceries)
    _add_tx(ledger, account.id, date(2026, 3, 9), "10.00", "MARKET REFUND", groceries)
    ledger.set_budget("Groceries", date(2026, 3, 17), Decimal(300))
    ledger.set_budget("groceries", date(2026, 3, 1), Decimal(250))  # replaces, same month
    [line] = ledger.budget_lines(date(2026, 3, 1))
    assert (line.category, line.budgeted, line.spent, line.remaining) == (
        "Groceries",
        Decimal(250),
        Decimal("190.75"),
        Decimal("59.25"),
    )


def test_goals_and_debts_are_validated(ledger: Ledger) -> None:
    ledger.add_goal("Emergency fund", Decimal(5000), date(2027, 6, 1), Decimal(1200))
    with pytest.raises(BudgetlmError, match="already a goal"):
        ledger.add_goal("Emergency fund", Decimal(1), date(2027, 6, 1))
    with pytest.raises(BudgetlmError, match="more than zero"):
        ledger.add_goal("Nothing", Decimal(0), date(2027, 6, 1))
    ledger.add_debt("Visa", Decimal("3200.00"), Decimal("0.2499"))
    ledger.add_debt("Car", Decimal("9000.00"), Decimal("0.059"), min_payment_floor=Decimal(250))
    assert [d.name for d in ledger.debts()] == ["Visa", "Car"]
    assert ledger.debts()[0].apr == Decimal("0.2499")
    with pytest.raises(BudgetlmError, match="fraction"):
        ledger.add_debt("Bad", Decimal(1), Decimal(22))


def test_deleting_a_workspace_removes_its_rows(store: Store) -> None:
    name = f"gone-{uuid.uuid4().hex}"
    with store.session() as session:
        ledger = Ledger(session, store.workspace_id(name))
        _add_tx(ledger, ledger.add_account("Checking").id, date(2026, 1, 1), "-1", "x")
    assert store.delete_workspace(name)
    assert not store.delete_workspace(name)
    with store.session() as session:
        assert Ledger(session, store.workspace_id(name)).transaction_count() == 0


def test_bad_database_url_is_a_clear_error() -> None:
    with pytest.raises(BudgetlmError, match="not a database URL"):
        Store("::nonsense::")


def test_missing_driver_or_server_is_a_clear_error() -> None:
    with pytest.raises(BudgetlmError, match="no database driver for postgresql\\+nosuchdriver"):
        Store("postgresql+nosuchdriver://u:p@127.0.0.1:1/x")
    with pytest.raises(BudgetlmError, match="cannot open the database"):
        Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_an_account_name_outside_ascii_is_found_whatever_its_case(ledger: Ledger) -> None:
    ledger.add_account("Épargne Ünï")
    assert ledger.find_account("épargne ünï") is not None
    with pytest.raises(BudgetlmError, match="already an account"):
        ledger.add_account("Épargne Ünï")
