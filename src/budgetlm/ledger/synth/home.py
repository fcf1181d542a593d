"""The household being generated: fixed facts (place, accounts, bank styles) and the merchant
pools its held-out split allows."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from budgetlm.ledger.synth.bank_strings import BankStyle, Pool
from budgetlm.ledger.synth.household import SynthAccount
from budgetlm.ledger.synth.merchants import Merchant, catalogue, merchant_split
from budgetlm.ledger.synth.personas import Persona

_FX = {"USD": 1.0, "GBP": 0.8, "EUR": 0.92}


@dataclass(frozen=True)
class Home:
    """Fixed facts of the household being generated."""

    persona: Persona
    """Who the household is."""
    key: str
    """Digest of every generation argument; seeds each random stream."""
    start: date
    """First generated day."""
    end: date
    """Last generated day."""
    city: str
    """Home city."""
    state: str
    """Region code."""
    cities: tuple[str, ...]
    """Cities of the region (some stores are in a neighbouring one)."""
    climate: str
    """``hot``, ``cold`` or ``mild``: utility seasonality."""
    cost: float
    """Regional price level (1.0 typical)."""
    holder: tuple[str, str]
    """Account holder's given name and surname."""
    accounts: dict[str, SynthAccount]
    """Accounts by role: ``checking``, ``savings``, ``card``."""
    styles: dict[str, BankStyle]
    """Bank style by account role."""
    digits: dict[str, str]
    """Last four digits by role (``<role>.card`` for the card used on that account)."""
    merchants: Pool
    """Merchant split the household draws from."""
    hostile: bool
    """Rewrite a few descriptions into hostile text."""
    streets: tuple[str, ...]
    """Street names for cash-machine addresses."""
    _pools: dict[tuple[tuple[str, ...], bool], tuple[tuple[Merchant, ...], list[float]]] = field(
        default_factory=dict, repr=False
    )

    @property
    def country(self) -> str:
        """``US`` or ``GB``."""
        return self.persona.country

    @property
    def currency(self) -> str:
        """Currency of every account."""
        return self.persona.currency

    @property
    def fx(self) -> float:
        """Local currency per US dollar, for amounts the generator knows in dollars."""
        return _FX.get(self.currency, 1.0)

    def rng(self, component: str) -> random.Random:
        """An independent random stream for one part of the generator."""
        return random.Random(f"{self.key}|{component}")

    def pool(
        self, kinds: tuple[str, ...], discretionary: bool
    ) -> tuple[tuple[Merchant, ...], list[float]]:
        """Merchants of ``kinds`` this household may meet, with cumulative popularity weights.

        The held-out split applies to every merchant for ``merchants="train"``; for
        ``merchants="heldout"`` only discretionary purchases are restricted to held-out merchants.
        """
        cached = self._pools.get((kinds, discretionary))
        if cached is not None:
            return cached
        wanted = self.merchants if (discretionary or self.merchants == "train") else "all"
        found = tuple(
            m
            for kind in kinds
            for m in catalogue().by_kind.get(kind, ())
            if m.locale in ("any", self.country)
            and m.region in (None, self.state)
            and (wanted == "all" or merchant_split(m.id) == wanted)
        )
        result = (found, list(accumulate(m.popularity for m in found)))
        self._pools[(kinds, discretionary)] = result
        return result

    def pick(
        self, rng: random.Random, kinds: tuple[str, ...], discretionary: bool = False
    ) -> Merchant:
        """One merchant of ``kinds`` drawn by popularity."""
        found, cum = self.pool(kinds, discretionary)
        if not found:
            raise ValueError(f"no {self.merchants} merchant of kinds {kinds} for {self.state}")
        return found[bisect(cum, rng.random() * cum[-1])]
