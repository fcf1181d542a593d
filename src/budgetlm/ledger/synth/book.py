"""The ``Book`` that prints and records a household's entries.

``Book`` turns "paid this merchant this much" into a ``SynthTransaction``: it picks the spelling,
store and city, prints the bank string in the account's bank style, and labels the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.bank_strings import EntryKind, Line, hostile, render
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.household import SynthAccount, SynthSeries, SynthTransaction
from budgetlm.ledger.synth.merchants import Merchant
from budgetlm.ledger.synth.resources import stable_digits
from budgetlm.money import quantize

HOSTILE_RATE = 0.001
"""Share of descriptions rewritten into hostile text when ``hostile=True``."""

_DOW = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass
class _Place:
    """Where a merchant's store is, for this household."""

    numbers: list[str]
    cities: list[str]
    weights: list[float]


class Book:
    """Collects the household's transactions, printing each in its account's bank style."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.transactions: list[SynthTransaction] = []
        self.series: dict[str, SynthSeries] = {}
        self._rng = home.rng("print")
        self._places: dict[str, _Place] = {}
        self._spelling: dict[str, list[float]] = {}
        self._ach: dict[str, tuple[str, str, str]] = {}
        self._transfers = 0
        self.check_no = self._rng.randint(1001, 3400)

    # --- merchant spelling -----------------------------------------------------------------------
    def _place(self, merchant: Merchant) -> _Place:
        place = self._places.get(merchant.id)
        if place is None:
            rng, n = self._rng, 1 if merchant.scope != "chain" else self._rng.choice((1, 1, 2, 3))
            numbers = [
                stable_digits(8, self.home.key, merchant.id, i).lstrip("0") or "7" for i in range(n)
            ]
            home_share = 0.8 if merchant.scope != "chain" else 0.65
            cities = [
                self.home.city if rng.random() < home_share else rng.choice(self.home.cities)
                for _ in numbers
            ]
            place = _Place(numbers, cities, [1.0 / (i + 1) ** 1.5 for i in range(n)])
            self._places[merchant.id] = place
        return place

    def _descriptor(self, merchant: Merchant, store: str, when: date) -> str:
        weights = self._spelling.get(merchant.id)
        if weights is None:
            weights = ([0.74, 0.16, 0.06] + [0.04] * 6)[: len(merchant.descriptors)]
            if len(weights) > 1 and self._rng.random() < 0.3:
                weights[0], weights[1] = weights[1], weights[0]
            self._spelling[merchant.id] = weights
        text = self._rng.choices(merchant.descriptors, weights)[0]
        return text.format_map(_DescriptorTokens(self, store, when)) if "{" in text else text

    def _ach_fields(self, merchant: Merchant) -> tuple[str, str, str]:
        fields = self._ach.get(merchant.id)
        if fields is None:
            desc = self._rng.choice(merchant.ach_desc or ("PAYMENT",))
            ident = self._rng.choice(("XXXXX", "", "0000")) + stable_digits(
                self._rng.choice((4, 6, 9)), self.home.key, merchant.id
            )
            fields = (desc, ident, stable_digits(10, "coid", merchant.id))
            self._ach[merchant.id] = fields
        return fields

    # --- posting ---------------------------------------------------------------------------------
    def _record(
        self,
        role: str,
        day: date,
        amount: Decimal,
        merchant: Merchant,
        line: Line,
        *,
        series: str | None = None,
        anomaly: bool = False,
        transfer_id: str | None = None,
        refund: bool = False,
    ) -> SynthTransaction:
        text, template_id = render(self.home.styles[role], line, self._rng)
        if self.home.hostile and self._rng.random() < HOSTILE_RATE:
            text, template_id = hostile(text, template_id, self._rng)
        tx = SynthTransaction(
            account=self.home.accounts[role].name,
            date=day,
            amount=amount,
            description=text,
            merchant=merchant.name,
            merchant_id=merchant.id,
            category=merchant.category,
            template_id=template_id,
            recurring_series=series,
            anomaly=anomaly,
            transfer_id=transfer_id,
            is_refund=refund,
        )
        self.transactions.append(tx)
        return tx

    def money(self, value: float | Decimal) -> Decimal:
        """``value`` as a Decimal in the household's currency, quantized."""
        return quantize(Decimal(str(round(float(value), 2))), self.home.currency)

    def purchase(
        self,
        role: str,
        when: date,
        amount: Decimal,
        merchant: Merchant,
        *,
        series: str | None = None,
        anomaly: bool = False,
        refund: bool = False,
        away: tuple[str, str] | None = None,
        posted: date | None = None,
    ) -> SynthTransaction | None:
        """A card purchase (or refund) at ``merchant`` on ``when``; None if it posts after the end.

        Debit-card entries on checking post a day or two after the purchase (the bank prints the
        purchase date); credit-card entries carry the transaction date.
        """
        home = self.home
        kind: EntryKind = "credit" if home.accounts[role].account_type == "credit_card" else "card"
        if posted is None:
            posted = when if kind == "credit" or series else self._posting(when)
        if posted > home.end:
            return None
        place = self._place(merchant)
        store_i = self._rng.choices(range(len(place.numbers)), place.weights)[0]
        city, state = away or (place.cities[store_i], home.state if home.country == "US" else "GB")
        if merchant.loc and merchant.scope in ("online", "biller"):
            city, state = merchant.loc, merchant.state or state
        kind = ("credit_refund" if kind == "credit" else "card_refund") if refund else kind
        line = Line(
            kind=kind,
            when=when,
            amount=amount,
            name=self._descriptor(merchant, place.numbers[store_i], when),
            clean=merchant.name,
            loc=city,
            state=state,
            card4=home.digits[f"{role}.card"],
        )
        return self._record(
            role, posted, amount, merchant, line, series=series, anomaly=anomaly, refund=refund
        )

    def _posting(self, when: date) -> date:
        lag = self._rng.choices((0, 1, 2, 3), (0.45, 0.4, 0.12, 0.03))[0]
        return calendar.next_business_day(when + timedelta(days=lag), self.home.country)

    def ach(
        self,
        role: str,
        day: date,
        amount: Decimal,
        merchant: Merchant,
        *,
        series: str | None = None,
        anomaly: bool = False,
        transfer_id: str | None = None,
        desc: str | None = None,
    ) -> SynthTransaction:
        """An ACH debit or credit (bills, payroll, benefits, card payments from another bank)."""
        own_desc, ident, coid = self._ach_fields(merchant)
        first, last = self.home.holder
        line = Line(
            kind="ach_debit" if amount < 0 else "ach_credit",
            when=day,
            amount=amount,
            co=merchant.ach_name or merchant.name.upper()[:16],
            desc=desc or own_desc,
            coid=coid,
            ident=ident,
            indn=f"{last} {first}".upper() if int(coid) % 2 else f"{first} {last}".upper(),
            sec="PPD" if int(coid) % 3 else "WEB",
        )
        return self._record(
            role,
            day,
            amount,
            merchant,
            line,
            series=series,
            anomaly=anomaly,
            transfer_id=transfer_id,
        )

    def person(
        self,
        role: str,
        day: date,
        amount: Decimal,
        merchant: Merchant,
        *,
        series: str | None = None,
        by_check: bool = False,
        written: date | None = None,
    ) -> SynthTransaction:
        """A Zelle-style payment to or from a person, or a paper check."""
        if by_check:
            self.check_no += 1
            line = Line(kind="check", when=written or day, amount=amount, check_no=self.check_no)
        else:
            kind: EntryKind = "p2p_out" if amount < 0 else "p2p_in"
            line = Line(kind=kind, when=day, amount=amount, payee=merchant.name)
        return self._record(role, day, amount, merchant, line, series=series)

    def bank_entry(
        self,
        role: str,
        day: date,
        amount: Decimal,
        merchant: Merchant,
        kind: EntryKind,
        *,
        series: str | None = None,
        atm: tuple[str, str] | None = None,
    ) -> SynthTransaction:
        """An entry the bank makes itself: fee, interest or a cash-machine withdrawal."""
        home = self.home
        short = home.styles[role].institution.short
        fee = self._rng.choice(merchant.descriptors).replace("{bank}", short)
        city, addr = atm or (home.city, "")
        line = Line(
            kind=kind,
            when=day,
            amount=amount,
            fee=fee,
            bank=short,
            city=city,
            addr=addr,
            state=home.state if home.country == "US" else "GB",
            card4=home.digits.get(f"{role}.card", ""),
        )
        return self._record(role, day, amount, merchant, line, series=series)

    def transfer(
        self,
        day: date,
        amount: Decimal,
        source: str,
        target: str,
        out_payee: Merchant,
        in_payee: Merchant,
        *,
        series: str | None = None,
        card_payment: bool = False,
    ) -> str:
        """Both legs of a transfer of ``amount`` (positive) between own accounts; returns its id."""
        self._transfers += 1
        transfer_id = f"T{self._transfers:05d}"
        home = self.home
        src, dst = home.accounts[source], home.accounts[target]
        if card_payment:
            self._card_payment_legs(day, amount, source, target, out_payee, series, transfer_id)
            return transfer_id
        for role, other, sign, payee in ((source, dst, -1, out_payee), (target, src, 1, in_payee)):
            line = Line(
                kind="xfer",
                when=day,
                amount=sign * amount,
                acct4=home.digits[_role_of(home, other)],
                other_kind="SAVINGS" if other.account_type == "savings" else "CHECKING",
            )
            self._record(
                role, day, sign * amount, payee, line, series=series, transfer_id=transfer_id
            )
        return transfer_id

    def _card_payment_legs(
        self,
        day: date,
        amount: Decimal,
        source: str,
        target: str,
        payee: Merchant,
        series: str | None,
        transfer_id: str,
    ) -> None:
        home = self.home
        same_bank = home.styles[source].institution.name == home.styles[target].institution.name
        if same_bank:
            line = Line(
                kind="ccpay_internal",
                when=day,
                amount=-amount,
                acct4=home.digits[target],
                bank=home.styles[source].institution.short,
            )
            self._record(source, day, -amount, payee, line, series=series, transfer_id=transfer_id)
        else:
            self.ach(source, day, -amount, payee, series=series, transfer_id=transfer_id)
        line = Line(kind="ccpay_card", when=day, amount=amount)
        self._record(target, day, amount, payee, line, series=series, transfer_id=transfer_id)

    def add_series(self, series: SynthSeries) -> str:
        """Register a recurring series' ground truth; returns its id."""
        self.series[series.id] = series
        return series.id


def _role_of(home: Home, account: SynthAccount) -> str:
    return next(role for role, acct in home.accounts.items() if acct is account)


class _DescriptorTokens(dict[str, str]):
    """Fills descriptor tokens: store numbers, order ids, delivery restaurant names."""

    def __init__(self, book: Book, store: str, when: date) -> None:
        super().__init__()
        self.book, self.store, self.when = book, store, when

    def __missing__(self, key: str) -> str:
        rng = self.book._rng
        if key.startswith("store"):
            width = int(key[5:])
            return self.store[-width:].zfill(width)
        if key == "oid":
            return "".join(
                rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=rng.choice((8, 9, 10)))
            )
        if key == "rest":
            found, _ = self.book.home.pool(("restaurant",), False)
            name = rng.choice(found).name.upper().replace("'", "").replace(" ", "")
            return name[: rng.choice((8, 10, 12))]
        if key == "dow":
            return _DOW[self.when.weekday()]
        if key == "hour":
            hour = rng.randint(7, 23)
            return f"{(hour - 1) % 12 + 1}{'AM' if hour < 12 else 'PM'}"
        raise KeyError(f"unknown descriptor token {{{key}}}")
