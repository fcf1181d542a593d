"""Trips: flights booked weeks ahead, hotel and rental car charged at checkout, and meals,
coffee and outings printed with the destination's city while away."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.merchants import Merchant
from budgetlm.ledger.synth.resources import load
from budgetlm.ledger.synth.spending import poisson

_MONTH_WEIGHTS = (0.5, 0.5, 1.0, 0.8, 0.9, 1.6, 2.0, 1.6, 0.8, 0.8, 0.8, 1.4)
_LODGING = ("Hotel", "Inn", "Suites", "Motel", "Resort", "Lodge", "Breakfast", "Hostel", "Rentals")


@dataclass(frozen=True, slots=True)
class Trip:
    """One trip away from home."""

    start: date
    """First day away."""
    nights: int
    """Nights away."""
    city: str
    """Destination city."""
    state: str
    """Destination state (or ``GB``)."""
    flies: bool
    """Travels by air (flights booked ahead)."""
    rents_car: bool
    """Rents a car there."""

    @property
    def days(self) -> list[date]:
        """Days away, first to last."""
        return [self.start + timedelta(days=i) for i in range(self.nights + 1)]


def plan_trips(home: Home, rng: random.Random) -> list[Trip]:
    """Trips of the period: about 1.2 a year at travel habit 1.0, mostly in summer and December."""
    months = calendar.months_between(home.start, home.end)
    means = min(1.5, max(0.4, (float(home.persona.monthly_income) / home.fx / 5000) ** 0.5))
    count = poisson(rng, 1.2 * home.persona.travel * means * len(months) / 12)
    regions = load("regions")["regions"]
    away = [k for k, r in regions.items() if r["country"] == home.country and k != home.state] or [
        home.state
    ]
    trips = []
    for _ in range(count):
        month = rng.choices(months, [_MONTH_WEIGHTS[m.month - 1] for m in months])[0]
        code = rng.choice(away)
        city = rng.choice([c for c in regions[code]["cities"] if c != home.city])
        state = code if home.country == "US" else "GB"
        start = month + timedelta(days=rng.randint(0, 25))
        flies = rng.random() < 0.6 * means
        trips.append(Trip(start, rng.randint(2, 8), city, state, flies, rng.random() < 0.35))
    return trips


def expected_monthly_cost(home: Home, trips: list[Trip]) -> float:
    """Rough average monthly cost of ``trips``, for calibrating day-to-day spending."""
    people = home.persona.people
    total = sum(
        (people * 340 if t.flies else 0) + t.nights * 170 + (t.nights + 1) * 85 * people**0.6
        for t in trips
    )
    return float(total) * home.fx / max(1, len(calendar.months_between(home.start, home.end)))


def _travel_merchant(home: Home, rng: random.Random, words: tuple[str, ...]) -> Merchant:
    found, _ = home.pool(("travel",), True)
    fitting = [m for m in found if any(w in m.name for w in words)] or list(found)
    return rng.choice(fitting)


def _role(home: Home, rng: random.Random) -> str:
    return "card" if "card" in home.accounts and rng.random() < 0.85 else "checking"


def _pay(
    book: Book, rng: random.Random, when: date, value: float, merchant: Merchant, trip: Trip
) -> None:
    if book.home.start <= when:
        away = None if merchant.scope == "online" else (trip.city, trip.state)
        book.purchase(_role(book.home, rng), when, book.money(-value), merchant, away=away)


def post_trips(book: Book, rng: random.Random, trips: list[Trip]) -> dict[date, tuple[str, str]]:
    """Post every trip's purchases; returns the days away with the city and state printed."""
    home, fx, people = book.home, book.home.fx, book.home.persona.people
    away: dict[date, tuple[str, str]] = {}
    for trip in trips:
        if trip.flies:
            booked = trip.start - timedelta(days=rng.randint(14, 75))
            airline = _travel_merchant(home, rng, ("Air",))
            _pay(book, rng, booked, people * rng.uniform(160, 520) * fx, airline, trip)
        checkout = trip.start + timedelta(days=trip.nights)
        rooms = max(1, (home.persona.adults + 1) // 2)
        lodging = _travel_merchant(home, rng, _LODGING)
        _pay(book, rng, checkout, trip.nights * rooms * rng.uniform(95, 260) * fx, lodging, trip)
        if trip.rents_car:
            rental = _travel_merchant(home, rng, ("Car",))
            _pay(book, rng, checkout, (trip.nights + 1) * rng.uniform(40, 85) * fx, rental, trip)
        for day in trip.days:
            away[day] = (trip.city, trip.state)
            _daily(book, rng, day, trip)
    return away


def _daily(book: Book, rng: random.Random, day: date, trip: Trip) -> None:
    home = book.home
    people, fx = home.persona.people, home.fx
    outings = (
        (("restaurant", "fast_food"), 2.0, 22.0 * people**0.6),
        (("coffee",), 0.8 * home.persona.coffee, 6.5),
        (("entertainment",), 0.5, 18.0 * people**0.7),
        (("gas",), 0.4 if trip.rents_car else 0.0, 45.0),
    )
    for kinds, rate, typical in outings:
        for _ in range(poisson(rng, rate)):
            if day > home.end or day < home.start:
                continue
            found, _ = home.pool(kinds, True)
            if found:
                value = typical * fx * rng.lognormvariate(-0.1, 0.45)
                _pay(book, rng, day, value, rng.choice(found), trip)
