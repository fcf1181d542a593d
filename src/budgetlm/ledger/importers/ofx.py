"""Read OFX 1.x (SGML), OFX 2.x (XML) and Quicken QFX bank and credit-card statements.

Why not ``ofxtools``' ``OFXTree.parse`` + ``convert`` end to end (1.1.1, tried on bank quirks):
it turns ``DTPOSTED`` into UTC (``20240115230000[-5:EST]`` becomes 16 January); it fails the
whole file, without a location, on one ``TRNAMT`` of ``1,234.56``, a missing ``<SEVERITY>``, an
empty SGML ``<MEMO>`` (what follows is nested inside it), text after an end tag, a BOM before
the header or ``CHARSET:8859-1``; it silently drops lower-case tags, skips ``<MEMO/>`` as unknown,
warns on every ``<INTU.*>`` tag or over-long ``ACCTID`` (an IBAN); and it keeps no positions, so
no transaction line. We keep its catalogue of the OFX schema (which tags are aggregates, which
are data elements) and read the markup with a small tolerant pass of our own:

1. Decode: a BOM wins, then ``options.encoding``, then the v1 ``ENCODING``/``CHARSET`` header or
   the v2 XML declaration. ``1252`` and ``ISO-8859-1`` read as Windows-1252 (the superset banks
   mean). Text said (or assumed) to be UTF-8 that is not is read as Windows-1252; other bad
   bytes become U+FFFD. Either way ``notes`` say so.
2. ``ofx_markup.build_tree`` turns the markup into an element tree, closing the end tags SGML
   lets banks omit.
3. Read every ``<STMTRS>`` and ``<CCSTMTRS>``, one ``<STMTTRN>`` at a time: a bad or missing
   ``DTPOSTED``/``TRNAMT`` is a ``RowError`` for that transaction only.

Rules:

* ``date``: the calendar date as printed (first eight digits of ``DTPOSTED``, else ``DTUSER``);
  time and zone are ignored, so the bank's own date is kept.
* ``amount``: ``TRNAMT`` as signed by the bank, read by ``budgetlm.money`` like every importer.
  OFX allows ``,`` as decimal mark, so the mark is ``options.decimal_comma``, else decided from
  all the file's amounts, else ``.`` (``1,234`` is then 1234). Signs contradicting ``TRNTYPE``
  are kept and counted in ``notes``.
* ``description``: ``NAME``; when ``MEMO`` adds information, ``NAME / MEMO``, except that a MEMO
  starting with NAME (banks cut NAME at 32 characters) replaces it and a MEMO already inside NAME
  is left out. Without NAME: ``<PAYEE><NAME>``, then MEMO. Whitespace is collapsed. ``payee`` is
  ``<PAYEE><NAME>``; ``notes`` hold MEMO verbatim, the check number and currency remarks.
* ``currency``: ``<CURRENCY><CURSYM>`` when the amount is stated in another currency, else
  ``CURDEF``, else ``options.currency``. Amounts are never converted; rates go to ``notes``.
* ``account``: each transaction's own statement ``ACCTID``; ``ParsedStatement.account`` describes
  the first statement, and ``notes`` list all accounts (last four characters) when there are more.
* ``line``: the 1-based file line where the ``<STMTTRN>`` starts. When two transactions start on
  one line (files written as one long line), every ``line`` is instead the transaction's 1-based
  ordinal in the file, and ``notes`` say so.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from budgetlm.errors import InputError
from budgetlm.ledger.importers.ofx_markup import Node, build_tree
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.importers.text import decode_leniently
from budgetlm.ledger.records import (
    AccountType,
    ImportedTransaction,
    ParsedStatement,
    RowError,
    StatementAccount,
)
from budgetlm.money import ParsedAmount, amount_reader, detect_decimal_comma

__all__ = ["parse_ofx"]

_BREAK = re.compile(r"\r\n|\r|\n")
_HEADER_FIELD = re.compile(rb"^\s*(ENCODING|CHARSET)\s*:\s*([\w.-]+)", re.IGNORECASE | re.MULTILINE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_DATE = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:[.,]\d*)?)?)?)?\s*(?:\[.*)?", re.ASCII
)
_CP1252_ALIASES = frozenset({"1252", "CP1252", "WINDOWS-1252", "ISO-8859-1", "8859-1", "LATIN1"})
_ACCOUNT_TYPES: dict[str, AccountType] = {
    "CHECKING": "checking", "SAVINGS": "savings", "MONEYMRKT": "savings", "CD": "savings",
    "CREDITLINE": "loan",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Statement:
    """Facts of one ``<STMTRS>``/``<CCSTMTRS>`` that its transactions share."""

    account_id: str | None
    account_type: AccountType | None
    currency: str | None


def parse_ofx(data: bytes, source: str, options: ImportOptions) -> ParsedStatement:
    """Read an OFX or QFX file's bytes into a statement.

    Args:
        data: The whole file.
        source: Its name, used in errors; a ``.qfx`` name marks the result as QFX.
        options: ``encoding``, ``currency`` and ``decimal_comma`` are honoured; OFX dates have a
            fixed layout, so ``date_order`` and ``date_format`` do not apply.

    Returns:
        Transactions of every statement in the file, in file order, with bad ones in ``errors``.

    Raises:
        InputError: The file is not OFX, is binary or truncated, or holds no bank or
            credit-card statement.
    """
    codec = options.encoding or _declared_codec(data)
    text, notes = decode_leniently(data, codec, source, "OFX")
    root = build_tree(text, source)
    statements = list(root.iter(frozenset({"STMTRS", "CCSTMTRS"})))
    if not statements:
        status = next(root.iter(frozenset({"STATUS"})), None)
        said = status.value("MESSAGE") if status else None
        raise InputError(
            "no bank or credit-card statement in the file"
            + (f" (the bank says: {said})" if said else ""),
            source=source,
        )
    facts = [_statement_facts(statement, options) for statement in statements]
    rows, errors = _read_transactions(statements, facts, text, notes, options)
    intuit = next(root.iter(frozenset({"INTU.BID"})), None)
    is_qfx = source.lower().endswith(".qfx") or intuit is not None
    fi = next(root.iter(frozenset({"FI"})), None)
    institution = fi.value("ORG") if fi else None
    first: dict[str | None, _Statement] = {}
    for statement_facts in facts:  # one entry per account; its first statement describes it
        first.setdefault(statement_facts.account_id, statement_facts)
    accounts = tuple(
        StatementAccount(f.account_id, f.account_type, f.currency, institution)
        for f in first.values()
    )
    return ParsedStatement(
        source=source,
        file_format="qfx" if is_qfx else "ofx",
        transactions=tuple(rows),
        errors=tuple(errors),
        account=accounts[0],
        accounts=accounts,
        notes=tuple(notes),
    )


def _read_transactions(
    statements: list[Node],
    facts: list[_Statement],
    text: str,
    notes: list[str],
    options: ImportOptions,
) -> tuple[list[ImportedTransaction], list[RowError]]:
    """Every ``<STMTTRN>`` of the statements, good or bad; remarks are added to ``notes``."""
    found = [
        (node, fact)
        for statement, fact in zip(statements, facts, strict=True)
        for node in statement.iter(frozenset({"STMTTRN"}))
    ]
    lines = _lines([node.offset for node, _ in found], text, notes)
    comma = options.decimal_comma
    if comma is None:
        comma = detect_decimal_comma(n.value("TRNAMT") or "" for n, _ in found) or False
        notes.extend(["amounts read with a decimal comma"] if comma else [])
    read_amount = amount_reader(comma)
    rows: list[ImportedTransaction] = []
    errors: list[RowError] = []
    contrary = 0
    for (node, fact), line in zip(found, lines, strict=True):
        result = _transaction(node, fact, line, read_amount)
        if isinstance(result, list):
            errors.extend(result)
            continue
        rows.append(result)
        kind = node.value("TRNTYPE")
        contrary += (kind == "DEBIT" and result.amount > 0) or (
            kind == "CREDIT" and result.amount < 0
        )
    if contrary:
        notes.append(f"{contrary} transaction(s) signed against their TRNTYPE; kept as stated")
    if len(facts) > 1:
        masked = ", ".join(f"…{f.account_id[-4:]}" if f.account_id else "(no id)" for f in facts)
        notes.append(
            f"the file holds {len(facts)} statements (accounts {masked}); "
            "each transaction carries its own account"
        )
    return rows, errors


def _lines(offsets: list[int], text: str, notes: list[str]) -> list[int]:
    """File lines of the transactions, or their ordinals when several share a line."""
    line_starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    lines = [bisect_right(line_starts, offset) for offset in offsets]
    if len(set(lines)) == len(lines):
        return lines
    notes.append("several transactions share a line: line numbers are transaction ordinals")
    return list(range(1, len(lines) + 1))


def _declared_codec(data: bytes) -> str:
    """Codec named by the v2 XML declaration or the v1 ``ENCODING``/``CHARSET`` header."""
    head = data[: max(data.find(b"<OFX"), data.find(b"<ofx"), 0) or 2048]
    if xml := _XML_ENCODING.search(head):
        declared = xml.group(1).decode("ascii").upper()
    else:
        fields = {k.upper(): v.upper() for k, v in _HEADER_FIELD.findall(head)}
        if fields.get(b"ENCODING") in (b"UTF-8", b"UNICODE"):
            return "utf-8"
        declared = fields.get(b"CHARSET", b"NONE").decode("ascii")
    if declared in _CP1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(declared).name if declared != "NONE" else "utf-8"
    except LookupError:
        return "utf-8"


def _statement_facts(statement: Node, options: ImportOptions) -> _Statement:
    """Account id and type and the default currency of one statement."""
    account = statement.find("BANKACCTFROM") or statement.find("CCACCTFROM")
    kind: AccountType | None = "credit_card" if statement.tag == "CCSTMTRS" else None
    if account and account.value("ACCTTYPE") and not kind:
        kind = _ACCOUNT_TYPES.get(str(account.value("ACCTTYPE")).upper(), "other")
    currency = statement.value("CURDEF") or options.currency
    account_id = account.value("ACCTID") if account else None
    return _Statement(account_id, kind, currency and currency.upper())


def _transaction(
    node: Node, facts: _Statement, line: int, read_amount: Callable[[str], ParsedAmount]
) -> ImportedTransaction | list[RowError]:
    """One ``<STMTTRN>`` as a transaction, or the errors that stop it being one."""
    errors: list[RowError] = []
    raw_amount = node.value("TRNAMT")
    amount = _amount(raw_amount, read_amount) if raw_amount else None
    if amount is None:
        problem = f"cannot read the amount {raw_amount!r}" if raw_amount else "no amount given"
        errors.append(RowError(line, "TRNAMT", problem))
    date_field = "DTUSER" if node.value("DTUSER") and not node.value("DTPOSTED") else "DTPOSTED"
    raw_date = node.value(date_field)
    posted = _parse_date(raw_date) if raw_date else None
    if posted is None:
        problem = f"cannot read the date {raw_date!r}" if raw_date else "no date given"
        errors.append(RowError(line, date_field, problem))
    if amount is None or posted is None:
        return errors
    memo, payee = node.value("MEMO"), node.value("PAYEE", "NAME") or node.value("PAYEE")
    currency, currency_note = _currency(node, facts)
    parts = [memo, f"check {node.value('CHECKNUM')}" if node.value("CHECKNUM") else None]
    notes = "; ".join(part for part in [*parts, currency_note] if part)
    return ImportedTransaction(
        date=posted,
        amount=amount,
        description=_description(node.value("NAME") or payee, memo),
        line=line,
        currency=currency,
        account=facts.account_id,
        payee=_collapse(payee) if payee else None,
        notes=notes or None,
        fitid=node.value("FITID"),
    )


def _description(name: str | None, memo: str | None) -> str:
    """NAME, with MEMO appended when it adds something (see the module docstring)."""
    name, memo = _collapse(name or ""), _collapse(memo or "")
    if not name or memo.casefold().startswith(name.casefold()):
        return memo or name
    if not memo or memo.casefold() in name.casefold():
        return name
    return f"{name} / {memo}"


def _currency(node: Node, facts: _Statement) -> tuple[str | None, str | None]:
    """The transaction's currency and a remark on any other currency it names."""
    home = facts.currency or "the statement currency"
    stated = node.value("CURRENCY", "CURSYM")
    if stated:
        rate = node.value("CURRENCY", "CURRATE")
        return stated.upper(), f"amount in {stated.upper()}; rate to {home}: {rate or '?'}"
    original = node.value("ORIGCURRENCY", "CURSYM")
    if original:
        rate = node.value("ORIGCURRENCY", "CURRATE")
        return facts.currency, f"converted from {original.upper()} at rate {rate or '?'}"
    return facts.currency, None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _parse_date(raw: str) -> date | None:
    """The calendar date of an OFX date-time (``YYYYMMDD[HHMMSS[.XXX]][[-5:EST]]``)."""
    match = _DATE.fullmatch(raw)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _amount(raw: str, read_amount: Callable[[str], ParsedAmount]) -> Decimal | None:
    """``TRNAMT`` as a signed Decimal, or None when it is not an amount."""
    try:
        return read_amount(raw).amount
    except ValueError:
        return None
