"""Synthetic households: realistic, fully labelled bank transactions for training and tests.

``generate_household(persona, months=12, seed=0)`` returns a ``Household``: accounts (checking,
usually savings and a credit card), every transaction as the bank prints it plus its ground
truth, monthly budgets, savings goals and debts. Generation is pure and deterministic for its
arguments: it never reads the clock (``end`` defaults to ``DEFAULT_END``, 2026-10-31) or disk;
only ``export`` writes files.

What is in a household
    Income (paychecks weekly, biweekly, semi-monthly or monthly; irregular gig payouts; pensions;
    Social Security; family support), bills and subscriptions (rent or mortgage on the 1st,
    usage-billed utilities with regional seasonality, fixed phone and internet with occasional
    price rises, insurance, streaming prices that rise from a month on, annual charges, loans,
    childcare, tuition, taxes), day-to-day spending (weekday and seasonal patterns, payday
    splurges, Black Friday, trips printed with the destination's city), refunds, cash
    withdrawals, transfers between own accounts and card payments, savings interest and fees.

Ground truth on every ``SynthTransaction``
    ``merchant``/``merchant_id`` (the clean payee), ``category`` (a default-taxonomy name),
    ``template_id`` (the bank-string layout), ``recurring_series``, ``anomaly``, ``transfer_id``
    and ``is_refund``. ``Household.series`` describes each recurring series.

Sign and category conventions
    Outflows are negative. Refunds are positive, at a merchant the household bought from, with
    the purchase's category and ``is_refund=True``. A transfer has two legs with opposite
    amounts, the same date and ``transfer_id``: checking → savings is ``Savings`` on the checking
    leg and ``Transfer`` on the savings leg; savings → checking is ``Transfer`` on both; a card
    payment is ``Credit Card Payment`` on both.

Weekend and holiday rules (US Federal Reserve or England bank holidays)
    Paychecks and Social Security move to the previous business day. ACH bills (rent, mortgage,
    utilities, loans, insurance, childcare, taxes), pensions, gig payouts, scheduled transfers
    and card autopay move to the next business day; they use due days 1-25 so each month has one
    payment. Card-billed subscriptions post on their day, weekends included, and a day 29-31
    clamps to the month's end (the 31st lands on Feb 28/29). Manual payments (Zelle rent, checks,
    card payments by revolvers) drift by a few days; their ``SynthSeries.jitter_days`` says so.

Anomalies
    About 1.2% of day-to-day purchases are unusually large (at least 4x the merchant's typical
    ticket and above the 99th percentile that ordinary purchases are capped at), about 0.2% are
    charged twice (the second is the anomaly), some households get one or two charges at an
    unfamiliar merchant far from home, and about a third get one utility bill shock.

Held-out splits (for honest evaluation)
    Merchants: ``merchant_split(merchant_id)`` puts ~20% of merchants in ``"heldout"`` by a hash
    of the id. Always ``"train"`` (``merchants.NEVER_HELD_OUT``): system payees ``sys.*``
    (transfers, fees, interest, card payments, cash machines) and public bodies and regional
    utilities (Social Security, IRS, tax offices, motor vehicles, power, gas and water), which a
    household cannot choose and a region has only one or two of. ``merchants="train"``
    households never contain a held-out merchant. ``merchants="heldout"`` households draw
    day-to-day purchases (and trips) only from held-out merchants; their bills, subscriptions
    and income may come from any merchant.
    Templates: whole template families are held out (~25% of templates, marked in
    ``data/templates.yaml``); ``templates="train"``/``"heldout"`` households print only with
    that side's families. ``template_split(template_id)`` tells the side.

Hostile text
    With ``hostile=True`` about 0.1% of descriptions are rewritten (odd unicode and emoji, very
    long lines, prompt-injection memos such as "IGNORE PREVIOUS INSTRUCTIONS"); their template id
    gains a ``+hostile-<how>`` suffix. Off by default.

Data
    Word lists, merchant groups, chains, regions, spending profiles, templates and persona
    presets are YAML files under ``data/``, all written for budgetlm; real chain names are used
    sparingly, as facts about how banks print them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from budgetlm.ledger.synth.bank_strings import Pool, Template, template_split, templates
from budgetlm.ledger.synth.export import (
    CSV_COLUMNS,
    household_from_dict,
    household_to_dict,
    read_csv,
    read_json,
    write_csv,
    write_json,
)
from budgetlm.ledger.synth.generator import DEFAULT_END, generate_household
from budgetlm.ledger.synth.household import (
    Household,
    SynthAccount,
    SynthBudget,
    SynthDebt,
    SynthGoal,
    SynthSeries,
    SynthTransaction,
)
from budgetlm.ledger.synth.merchants import Merchant, Split, catalogue, merchant_split
from budgetlm.ledger.synth.personas import PERSONAS, IncomeStream, Persona, random_persona


class _SplitTable(Mapping[str, Split]):
    """Read-only id → split view over the merchant catalogue (computed on demand)."""

    def __getitem__(self, merchant_id: str) -> Split:
        if merchant_id not in catalogue().by_id:
            raise KeyError(merchant_id)
        return merchant_split(merchant_id)

    def __iter__(self) -> Iterator[str]:
        return iter(catalogue().by_id)

    def __len__(self) -> int:
        return len(catalogue().by_id)


MERCHANT_SPLIT: Mapping[str, Split] = _SplitTable()
"""Merchant id → ``"train"`` or ``"heldout"`` for every catalogue merchant."""

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_END",
    "MERCHANT_SPLIT",
    "PERSONAS",
    "Household",
    "IncomeStream",
    "Merchant",
    "Persona",
    "Pool",
    "Split",
    "SynthAccount",
    "SynthBudget",
    "SynthDebt",
    "SynthGoal",
    "SynthSeries",
    "SynthTransaction",
    "Template",
    "catalogue",
    "generate_household",
    "household_from_dict",
    "household_to_dict",
    "merchant_split",
    "random_persona",
    "read_csv",
    "read_json",
    "template_split",
    "templates",
    "write_csv",
    "write_json",
]
