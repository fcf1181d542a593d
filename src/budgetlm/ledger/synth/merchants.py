"""The merchant catalogue: thousands of merchants with stable ids, categories and spellings.

Names are composed from word lists per kind (``data/merchants.yaml``), plus a sparing set of real
chains and fixed-format billers (``data/chains.yaml``). The catalogue is built once from a fixed
seed, so ids and names are the same on every machine. Each merchant's category is fixed; some
names are ambiguous on text alone (a superstore selling groceries is Shopping; "Cafe" appears in
restaurants and coffee shops; opaque names like "Heron & Fox" exist in several categories).

``merchant_split`` assigns about 20% of merchants to a held-out set by a hash of the id.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from budgetlm.ledger.synth import naming
from budgetlm.ledger.synth.resources import load, stable_fraction

Scope = Literal["local", "chain", "online", "biller", "person", "system"]
"""How a merchant sells: a local shop, a chain with store numbers, online, a biller paid by ACH,
a person paid by Zelle or check, or the bank's own entries."""

Split = Literal["train", "heldout"]
"""Which side of a held-out split something falls on."""

_ONLINE_STATES = ("CA", "NY", "WA", "TX", "DE", "UT", "FL", "IL")

_SEED = "budgetlm-merchant-catalogue-v1"

NEVER_HELD_OUT = frozenset({
    "sys", "social_security", "tax_refund", "tax_agency", "county_tax", "motor_vehicles",
    "electric", "gas_utility", "water",
})  # fmt: skip
"""Id prefixes (kinds) that are never held out."""

HELDOUT_SHARE = 0.2
"""Share of (non-system) merchants held out."""


@dataclass(frozen=True, slots=True)
class Merchant:
    """One merchant of the catalogue."""

    id: str
    """Stable id, ``<kind>.<slug>`` (``<kind>.<region>.<slug>`` for regional billers)."""
    name: str
    """Canonical clean name, the normalizer's target."""
    category: str
    """Ground-truth category (fixed per merchant)."""
    kind: str
    """Finer kind within the category (``grocery``, ``electric``, ``employer`` …)."""
    scope: Scope
    """How it sells."""
    descriptors: tuple[str, ...]
    """Spellings its terminals or ACH entries print, most used first; may hold tokens such as
    ``{store4}`` or ``{oid}`` filled per transaction."""
    locale: str = "any"
    """``US``, ``GB`` or ``any``: which households may meet it."""
    price: float = 1.0
    """Typical ticket relative to its category (merchant-level price variation)."""
    popularity: float = 1.0
    """Relative chance a household picks it."""
    region: str | None = None
    """Region code for regional billers (utilities, tax offices)."""
    loc: str | None = None
    """What online merchants print in the city field (phone or web address)."""
    state: str | None = None
    """State printed by online merchants."""
    ach_name: str = ""
    """NACHA company name (16 characters at most) on its ACH entries."""
    ach_desc: tuple[str, ...] = ()
    """ACH entry descriptions it uses (``PAYROLL``, ``WEB PMTS`` …)."""


@dataclass(frozen=True, slots=True)
class Institution:
    """A bank or card issuer."""

    name: str
    """Display name."""
    short: str
    """How its own entries name it (``NON-CHASE ATM FEE``)."""
    locale: str
    """``US`` or ``GB``."""
    card_payee: str
    """Id of the merchant that payments to its cards are booked to."""


@dataclass(frozen=True)
class Catalogue:
    """All merchants and institutions, with lookups."""

    merchants: tuple[Merchant, ...]
    """Every merchant."""
    institutions: tuple[Institution, ...]
    """Banks and card issuers."""
    by_id: Mapping[str, Merchant] = field(repr=False)
    """Merchant by id."""
    by_kind: Mapping[str, tuple[Merchant, ...]] = field(repr=False)
    """Merchants by kind."""

    def category_counts(self) -> dict[str, int]:
        """Number of merchants per category."""
        counts: dict[str, int] = defaultdict(int)
        for merchant in self.merchants:
            counts[merchant.category] += 1
        return dict(counts)


def merchant_split(merchant_id: str) -> Split:
    """Deterministic train/held-out side of a merchant: ~20% held out by a hash of its id.

    Always ``train``: system payees (``sys.*``: transfers, fees, interest, card payments, cash
    machines) and public bodies and regional utilities (Social Security, IRS, tax offices, motor
    vehicles, power, gas and water companies), of which a region has only one or two; they are
    payees a household cannot choose, not merchants to generalize to.
    """
    if merchant_id.split(".", 1)[0] in NEVER_HELD_OUT:
        return "train"
    return "heldout" if stable_fraction("merchant-split", merchant_id) < HELDOUT_SHARE else "train"


def _weighted(rng: random.Random, table: Mapping[str, float]) -> str:
    keys = list(table)
    return rng.choices(keys, [float(table[k]) for k in keys])[0]


def _lists(
    group: Mapping[str, Any], shared: Mapping[str, Sequence[str]]
) -> dict[str, Sequence[str]]:
    own = {k: v for k, v in group.items() if isinstance(v, list) and k != "patterns"}
    return {**shared, **own}


def _make(
    group: Mapping[str, Any], name: str, rng: random.Random, region: str | None, locale: str
) -> Merchant:
    scope: Scope = _weighted(rng, group["scope"])  # type: ignore[assignment]
    processor = _weighted(rng, group["processors"]) if scope in ("local", "online") else ""
    kind = group["kind"]
    prefix = f"{kind}.{region.lower()}" if region else kind
    remote = scope in ("online", "biller")  # card charges print a phone number or web address
    state = region if region and locale == "US" else rng.choice(_ONLINE_STATES)
    popularity = rng.lognormvariate(0.0, 0.8) * (3.0 if scope == "chain" else 1.0)
    return Merchant(
        id=f"{prefix}.{naming.slug(name)}",
        name=name,
        category=group["category"],
        kind=kind,
        scope=scope,
        descriptors=naming.descriptors(name, scope, processor, rng),
        locale=locale,
        price=rng.lognormvariate(0.0, float(group.get("price_sigma", 0.28))),
        popularity=popularity,
        region=region,
        loc=naming.online_locator(name, rng) if remote else None,
        state=state if remote else None,
        ach_name=naming.ach_company(name, rng),
        ach_desc=tuple(group.get("ach_desc", ("PAYMENT",))),
    )


def _group_merchants(
    group: Mapping[str, Any],
    rng: random.Random,
    lists: Mapping[str, Sequence[str]],
    region: str | None = None,
    locale: str = "any",
) -> list[Merchant]:
    patterns = [str(p[1]) for p in group["patterns"]]
    weights = [float(p[0]) for p in group["patterns"]]
    names: dict[str, None] = {}
    for _ in range(int(group["count"]) * 40):
        if len(names) >= int(group["count"]):
            break
        names.setdefault(naming.compose(rng, rng.choices(patterns, weights)[0], lists))
    return [_make(group, name, rng, region, locale) for name in names]


def _generated() -> list[Merchant]:
    words = load("words")
    spec = load("merchants")
    shared = {**words, "given": spec["given"]}
    regions = load("regions")["regions"]
    out: list[Merchant] = []
    for group in spec["groups"]:
        lists = _lists(group, shared)
        # one stream per group, so editing one group's words leaves the others' names alone
        rng = random.Random(f"{_SEED}|{group['kind']}|{group['category']}|{group.get('countries')}")
        if not group.get("regional"):
            out += _group_merchants(group, rng, lists)
            continue
        for code, region in regions.items():
            if region["country"] not in group.get("countries", (region["country"],)):
                continue
            local = {**lists, "city": region["cities"], "state_name": [region["name"]]}
            out += _group_merchants(group, rng, local, code, region["country"])
    return out


def _chains(rng: random.Random) -> list[Merchant]:
    data = load("chains")
    out = []
    for c in data["chains"]:
        out.append(
            Merchant(
                id=f"{c['kind']}.{naming.slug(c['name'])}",
                name=c["name"],
                category=c["category"],
                kind=c["kind"],
                scope="online" if c.get("online") else "chain",
                descriptors=tuple(c["descriptors"]),
                locale=c["locale"],
                price=rng.lognormvariate(0.0, 0.15),
                popularity=float(c["popularity"]) * 2.5,
                loc=c.get("loc"),
                state=c.get("state"),
                ach_name=c["descriptors"][0][:16],
            )
        )
    for b in data["billers"]:
        desc = (b["co"],)
        out.append(
            Merchant(
                id=f"{b['kind']}.{naming.slug(b['name'])}",
                name=b["name"],
                category=b["category"],
                kind=b["kind"],
                scope="biller",
                descriptors=desc,
                locale=b["locale"],
                popularity=3.0,
                ach_name=b["co"],
                ach_desc=tuple(b["ach_desc"]),
            )
        )
    return out


def _system() -> tuple[list[Merchant], list[Institution]]:
    data = load("chains")
    out = [
        Merchant(
            id=s["id"],
            name=s["name"],
            category=s["category"],
            kind=s["kind"],
            scope="system",
            descriptors=tuple(s["descriptors"]),
        )
        for s in data["system"]
    ]
    institutions = []
    for i in data["institutions"]:
        payee = f"sys.ccpay.{naming.slug(i['name'])}"
        out.append(
            Merchant(
                id=payee,
                name=f"{i['name']} Credit Card",
                category="Credit Card Payment",
                kind="card_payment",
                scope="system",
                descriptors=(i["pay_co"],),
                locale=i["locale"],
                ach_name=i["pay_co"][:16],
                ach_desc=tuple(i["pay_desc"]),
            )
        )
        institutions.append(Institution(i["name"], i["short"], i["locale"], payee))
    return out, institutions


@cache
def catalogue() -> Catalogue:
    """The merchant catalogue (built once per process from a fixed seed)."""
    rng = random.Random(_SEED)
    system, institutions = _system()
    merchants: dict[str, Merchant] = {}
    for merchant in _chains(rng) + _generated() + system:
        merchants.setdefault(merchant.id, merchant)
    kinds: dict[str, list[Merchant]] = defaultdict(list)
    for merchant in merchants.values():
        kinds[merchant.kind].append(merchant)
    return Catalogue(
        merchants=tuple(merchants.values()),
        institutions=tuple(institutions),
        by_id=merchants,
        by_kind={k: tuple(v) for k, v in kinds.items()},
    )
