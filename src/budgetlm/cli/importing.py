"""``budgetlm import``: bank files into the ledger, one atomic unit of work per file."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from budgetlm.cli.common import (
    Context,
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    err_console,
    ledger_session,
    open_context,
    print_json,
    print_table,
)
from budgetlm.errors import BudgetlmError, InputError
from budgetlm.ledger.importers import parse_statement, read_bank_file
from budgetlm.ledger.importers.options import DateOrder, ImportOptions, parse_column_map
from budgetlm.ledger.importing import ImportReport, import_statement
from budgetlm.ledger.records import FileFormat
from budgetlm.ledger.store import DEFAULT_WORKSPACE


class _DryRunDone(Exception):
    """Raised inside the session of a dry run so that nothing is committed."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def import_one(
    context: Context,
    path: Path,
    options: ImportOptions,
    *,
    account: str | None,
    skip_bad_rows: bool,
    dry_run: bool,
) -> ImportReport:
    """Parse and import one file atomically; a dry run rolls everything back."""
    data = read_bank_file(path)
    statement = parse_statement(data, path.name, options)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with ledger_session(context) as ledger:
            report = import_statement(
                ledger,
                statement,
                file_sha256=sha256,
                account=account,
                skip_bad_rows=skip_bad_rows,
                dry_run=dry_run,
            )
            if dry_run:
                raise _DryRunDone(report)
    except _DryRunDone as done:
        return done.report
    return report


def _render(report: ImportReport) -> None:
    verb = "would add" if report.dry_run else "added"
    console.print(
        f"[bold]{escape(report.source)}[/] ({report.file_format}) → "
        f"{escape(', '.join(report.accounts)) or '—'}: "
        f"read {report.rows_read}, {verb} {report.added}, "
        f"{report.duplicates} already in the ledger, {len(report.skipped)} skipped"
    )
    for note in report.notes:
        console.print("  note:", escape(note))
    for name in report.created_accounts:
        console.print("  new account:", escape(name))
    for name in report.created_categories:
        console.print("  new category:", escape(name))
    if report.skipped:
        print_table(
            "Skipped rows",
            ["Line", "Field", "Problem"],
            [(e.line, e.field or "", e.message) for e in report.skipped],
        )


def import_files(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, OFX, QFX or QIF files.", show_default=False)
    ],
    account: Annotated[
        str | None, typer.Option(help="Account for files that do not name one (created if new).")
    ] = None,
    column_map: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="Columns when detection is unsure: 'date=Posted,amount=Amt,description=Details'.",
        ),
    ] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strptime format of the dates, e.g. '%d/%m/%Y'.")
    ] = None,
    date_order: Annotated[
        str, typer.Option(help="auto, mdy, dmy or ymd for numeric dates.")
    ] = "auto",
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding; detected when not given.")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter; detected when not given.")
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="Currency when the file does not say (ISO code).")
    ] = None,
    debit_positive: Annotated[
        bool, typer.Option(help="Charges are positive numbers in this file (some card exports).")
    ] = False,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv, ofx, qfx or qif; detected when not given.")
    ] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option(help="Import the good rows of a file with bad ones and list the bad.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Show what would be imported; change nothing.")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Import bank files. Each file is all-or-nothing; importing again adds nothing twice."""
    if date_order not in ("auto", "mdy", "dmy", "ymd"):
        raise InputError(f"unknown date order {date_order!r}", source="--date-order")
    if file_format not in (None, "csv", "ofx", "qfx", "qif"):
        raise InputError(f"unknown format {file_format!r}", source="--format")
    order: DateOrder = date_order  # type: ignore[assignment]
    forced: FileFormat | None = file_format  # type: ignore[assignment]
    options = ImportOptions(
        file_format=forced,
        column_map=parse_column_map(column_map) if column_map else {},
        date_format=date_format,
        date_order=order,
        encoding=encoding,
        delimiter=delimiter,
        currency=currency,
        debit_positive=debit_positive,
    )
    context = open_context(db, today, workspace)
    results: list[dict[str, Any]] = []
    failed = False
    with Progress(console=err_console, transient=True, disable=as_json or len(files) < 2) as bar:
        task = bar.add_task("Importing", total=len(files))
        for path in files:
            try:
                report = import_one(
                    context,
                    path,
                    options,
                    account=account,
                    skip_bad_rows=skip_bad_rows,
                    dry_run=dry_run,
                )
                results.append({"file": str(path), "ok": True, **asdict(report)})
                if not as_json:
                    _render(report)
            except BudgetlmError as exc:
                failed = True
                results.append({"file": str(path), "ok": False, "error": str(exc)})
                if not as_json:
                    err_console.print("[red]error:[/]", escape(str(exc)))
            bar.advance(task)
    if as_json:
        print_json(results)
    if failed:
        raise typer.Exit(1)
