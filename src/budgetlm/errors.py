"""Errors that budgetlm reports to people, each naming where the problem is."""

from __future__ import annotations


class BudgetlmError(Exception):
    """Base class for errors shown to the user as a message rather than a traceback."""


class InputError(BudgetlmError):
    """Bad input in a file or argument, located as precisely as we can.

    Args:
        message: What is wrong, in plain words.
        source: File name (or other origin such as ``--map``) the input came from.
        line: 1-based line (or record number for OFX/QIF) where the problem is.
        field: Column or field name involved.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class NotFoundError(BudgetlmError):
    """A named thing (account, category, goal…) does not exist in the workspace."""
