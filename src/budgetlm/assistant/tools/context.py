"""Building a ``ToolContext``: from a ledger workspace (the only I/O of the tools), from a
synthetic household, or from a history built by hand.

From a ledger the context reads what the CLI's commands read: the history
(``analytics.history.from_ledger``), the budgets of every month from the history's first to
today's (``Ledger.budget_lines``, as ``budgetlm budget status`` does), the goals and the debts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from budgetlm.assistant.tools.base import ToolContext, Vocabulary

if TYPE_CHECKING:
    from budgetlm.analytics.debt import DebtTerms
    from budgetlm.analytics.goals import SavingsGoal
    from budgetlm.analytics.history import History
    from budgetlm.analytics.months import MonthlyBudget
    from budgetlm.ledger.repository import Ledger
    from budgetlm.ledger.synth import Household

PAYEE_LIMIT = 500
"""Most payees in the vocabulary (the most frequent ones): the payee enum of every tool schema,
so it bounds the schema's size and the constrained decoder's work. An 18-month synthetic
household has about 400 distinct payees; rarer ones beyond the limit can still be found through
their category."""


def make_context(
    history: History,
    today: date,
    *,
    budgets: Iterable[MonthlyBudget] = (),
    goals: Iterable[SavingsGoal] = (),
    debts: Iterable[DebtTerms] = (),
    categories: Iterable[str] | None = None,
) -> ToolContext:
    """A context over ``history`` with its vocabulary derived from it.

    Args:
        history: Transactions and accounts.
        today: The day questions are asked.
        budgets: Monthly budgets.
        goals: Savings goals.
        debts: Debts.
        categories: Category names of the workspace in display order; by default those the
            history and the budgets use, sorted.
    """
    budgets, goals, debts = tuple(budgets), tuple(goals), tuple(debts)
    past = [t for t in history.transactions if t.date <= today]
    if categories is None:
        used = {t.category for t in past if t.category} | {b.category for b in budgets}
        categories = sorted(used)
    counts = Counter(t.payee for t in past)
    payees = sorted(counts, key=lambda p: (-counts[p], p))[:PAYEE_LIMIT]
    vocabulary = Vocabulary(
        categories=tuple(dict.fromkeys(categories)),
        accounts=tuple(a.name for a in history.accounts),
        payees=tuple(payees),
        goals=tuple(g.name for g in goals),
        debts=tuple(d.name for d in debts),
    )
    earliest = past[0].date if past else today
    return ToolContext(history, today, budgets, goals, debts, vocabulary, earliest)


def load_context(ledger: Ledger, today: date) -> ToolContext:
    """The context of a ledger workspace as of ``today`` (a handful of queries)."""
    from budgetlm.analytics.debt import ledger_debts
    from budgetlm.analytics.goals import ledger_goals
    from budgetlm.analytics.history import from_ledger
    from budgetlm.analytics.months import ledger_budgets
    from budgetlm.analytics.schedule import add_months

    history = from_ledger(ledger)
    first = history.transactions[0].date if history.transactions else today
    months = []
    month = min(first, today).replace(day=1)
    while month <= today:
        months.append(month)
        month = add_months(month, 1)
    budgets = ledger_budgets(ledger, months)
    goals = ledger_goals(ledger)
    debts = ledger_debts(ledger)
    categories = [c.name for c in ledger.categories()]
    return make_context(
        history, today, budgets=budgets, goals=goals, debts=debts, categories=categories
    )


def context_from_household(household: Household, today: date) -> ToolContext:
    """The context of a synthetic household as of ``today``, as a freshly imported ledger would
    give it: normalized payees, the default categories, its budgets, goals and debts."""
    from budgetlm.analytics.debt import DebtTerms
    from budgetlm.analytics.goals import SavingsGoal
    from budgetlm.analytics.history import from_household
    from budgetlm.analytics.months import MonthlyBudget
    from budgetlm.ledger.taxonomy import default_categories

    history = from_household(household)
    defaults = [c.name for c in default_categories()]
    extra = sorted({t.category for t in history.transactions if t.category} - set(defaults))
    return make_context(
        history,
        today,
        budgets=[MonthlyBudget(b.category, b.month, b.amount) for b in household.budgets],
        goals=[SavingsGoal(g.name, g.target, g.target_date, g.current) for g in household.goals],
        debts=[
            DebtTerms(d.name, d.balance, d.apr, d.min_payment_percent, d.min_payment_floor)
            for d in household.debts
        ],
        categories=defaults + extra,
    )
