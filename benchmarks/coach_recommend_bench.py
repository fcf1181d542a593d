"""How fast ``budgetlm coach recommend`` chooses and answers, on synthetic households' ledgers.

    python benchmarks/coach_recommend_bench.py [--households 8] [--repeats 200]

For each of ``--households`` random synthetic households (12 months, loaded into one SQLite
ledger each), with each shipped coach (``learned`` and ``rules``):

* decision: ``policy.act(observe(state))``, the part issue 8 bounds at 5 ms: median and p95
  over ``--repeats`` calls per household;
* advice: the whole ``coach_view`` + ``recommend`` on a loaded context (the ledger's numbers,
  phrasing);
* end to end: ``serving.advise`` against the database (context load, recurring bills, logging),
  with ``again=True`` so every call chooses anew.

The rule coach is the baseline the learned one is compared with, in the same process on the same
households, as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from budgetlm.assistant.tools.context import load_context
from budgetlm.coach.advice import recommend
from budgetlm.coach.ledger_view import coach_view
from budgetlm.coach.observation import observe
from budgetlm.coach.serving import ServedCoach, advise, load_served_coach
from budgetlm.ledger.household import load_household
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.ledger.synth import generate_household, random_persona

TODAY = date(2026, 11, 21)


def timed_ms(function, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def measure(coach: ServedCoach, ledger: Ledger, repeats: int) -> dict[str, list[float]]:
    """The three timings of one coach on one loaded household."""
    context = load_context(ledger, TODAY)
    view = coach_view(context, [])
    coach.policy.act(observe(view.state))  # first call: lazy set-up
    return {
        "decision": timed_ms(lambda: coach.policy.act(observe(view.state)), repeats),
        "advice": timed_ms(
            lambda: recommend(coach.policy, coach_view(context, []), Decimal(0)), 20
        ),
        "advise": timed_ms(lambda: advise(ledger, TODAY, coach, again=True), 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    coaches = {name: load_served_coach(name) for name in ("learned", "rules")}
    store = Store(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    results: dict[str, dict[str, list[float]]] = {
        name: {"decision": [], "advice": [], "advise": []} for name in coaches
    }
    for seed in range(args.households):
        household = generate_household(random_persona(seed), months=12, seed=seed, end=TODAY)
        with store.session() as session:
            ledger = Ledger(session, store.workspace_id(f"h{seed}"))
            load_household(ledger, household)
            for name, coach in coaches.items():
                for part, times in measure(coach, ledger, args.repeats).items():
                    results[name][part] += times
    print(f"{args.households} synthetic households, 12 months each; medians (p95) in ms")
    print(f"{'':28}{'learned':>18}{'rules':>18}{'learned/rules':>16}")
    parts = (("decision", "decision (act on features)"), ("advice", "view + phrasing"),
             ("advise", "end to end (database)"))  # fmt: skip
    for part, label in parts:
        learned, rules = results["learned"][part], results["rules"][part]
        ratio = statistics.median(learned) / statistics.median(rules)
        print(f"{label:28}{statistics.median(learned):>10.3f} ({p95(learned):6.3f})"
              f"{statistics.median(rules):>10.3f} ({p95(rules):6.3f}){ratio:>14.2f}x")  # fmt: skip
    store.close()


if __name__ == "__main__":
    main()
