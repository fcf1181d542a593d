"""Choosing the coach that ships from a comparison's output, and writing its card.

``ship(results_dir, out)`` reads what ``experiment.run_experiment`` wrote and fills ``out`` with:

* ``learned/``: the learned coach that ships. It is chosen on *training* returns only, so the
  held-out people stay untouched by the choice: the method with the higher mean final training
  return over its seeds, then that method's seed with the highest final training return;
* ``rules/``: the tuned rule coach of the same comparison;
* ``evaluation.json``: the comparison's figures for both (held-out people), the choice, and which
  one ``budgetlm coach recommend`` serves by default;
* ``CARD.md``: how the coaches were trained and evaluated, rendered from ``evaluation.json`` by
  ``render_card`` (a test renders it again and compares).

The default is a go/no-go gate, not a tuning step: the learned coach is served by default only if
the comparison showed it beats the rules on episode return (the 95% interval excludes zero);
otherwise the tuned rules are, and the learned coach is one option away (``--coach learned``).

Run it as ``python -m budgetlm.coach.shipping RESULTS_DIR [OUT]``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from budgetlm.coach.evaluation import PRIMARY
from budgetlm.coach.saved import META_FILE

SHIPPED = Path(__file__).with_name("shipped")
"""Where the shipped coaches live inside the package."""
EVALUATION_FILE = "evaluation.json"
CARD_FILE = "CARD.md"


def choose_learned(results_dir: Path) -> tuple[str, int, dict[str, float]]:
    """The learned coach to ship: method by mean final training return over seeds, then the
    seed with the best one (training people only).

    Returns:
        Method, seed, and each method's mean final training return.
    """
    returns: dict[str, dict[int, float]] = {}
    for meta_path in sorted((results_dir / "policies").glob(f"*/{META_FILE}")):
        training = json.loads(meta_path.read_text()).get("training", {})
        if training.get("method") in (None, "rules"):
            continue
        returns.setdefault(training["method"], {})[training["seed"]] = training["recent_return"]
    if not returns:
        raise FileNotFoundError(f"{results_dir}: no learned coaches under policies/")
    means = {m: statistics.fmean(by_seed.values()) for m, by_seed in returns.items()}
    method = max(means, key=lambda m: (means[m], m))
    seed = max(returns[method], key=lambda s: (returns[method][s], -s))
    return method, seed, means


def ship(results_dir: Path, out: Path = SHIPPED) -> dict[str, Any]:
    """Copy the chosen coaches to ``out`` and write ``evaluation.json`` and ``CARD.md``."""
    results = json.loads((results_dir / "results.json").read_text())
    method, seed, means = choose_learned(results_dir)
    primary = next(
        c for c in results["comparisons"] if c["method"] == method and c["outcome"] == PRIMARY
    )
    default = "learned" if primary["ci_low"] > 0 else "rules"
    for name, source in (("learned", f"{method}-{seed}"), ("rules", "rules")):
        shutil.rmtree(out / name, ignore_errors=True)
        shutil.copytree(results_dir / "policies" / source, out / name)
    shipped_run = next(r for r in results["learned"][method] if r["seed"] == seed)
    evaluation = {
        "default": default,
        "learned": {"method": method, "seed": seed, "heldout": shipped_run["heldout"],
                    "steps": shipped_run["steps"], "seconds": shipped_run["seconds"]},
        "training_return_by_method": {m: round(v, 4) for m, v in sorted(means.items())},
        "config": results["config"],
        "env_config": results["env_config"],
        "rules": results["rules"],
        "none": results["none"],
        "learned_by_method": {
            m: {k: statistics.fmean(run["heldout"][k] for run in runs)
                for k in runs[0]["heldout"]}
            for m, runs in results["learned"].items()
        },
        "comparisons": results["comparisons"],
        "seconds": results["seconds"],
    }  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / EVALUATION_FILE).write_text(json.dumps(evaluation, indent=2) + "\n")
    (out / CARD_FILE).write_text(render_card(evaluation))
    return evaluation


def render_card(evaluation: dict[str, Any]) -> str:
    """The shipped coaches' card, in markdown, from ``evaluation.json``'s content."""
    learned, config = evaluation["learned"], evaluation["config"]
    method, default = learned["method"], evaluation["default"]
    rules, none = evaluation["rules"], evaluation["none"]
    by_method = evaluation["learned_by_method"]
    training = ", ".join(
        f"{m.upper()} {v:.3f}" for m, v in evaluation["training_return_by_method"].items()
    )
    verdicts = [c["verdict"] for c in evaluation["comparisons"] if c["outcome"] == PRIMARY]
    served = (
        f"the learned coach ({method.upper()}), because it beat the tuned rules on episode return"
        if default == "learned"
        else "the tuned rule coach, because no learned coach was shown to beat it on episode "
        "return; the learned coach ships too and is served with `--coach learned`"
    )
    rows = [("tuned rules", rules["heldout"]), ("do nothing", none["heldout"])]
    rows += [(f"{m.upper()}, mean of {config['seeds']} seeds", v) for m, v in by_method.items()]
    rows.append((f"{method.upper()} seed {learned['seed']} (the one shipped)", learned["heldout"]))
    lines = [
        "# The budgetlm coach: model card",
        "",
        "Two coaches ship in this folder: `learned/`, a "
        f"{method.upper()} policy (training seed {learned['seed']}), and `rules/`, the rule "
        f"coach with thresholds tuned on training people. `budgetlm coach recommend` serves "
        f"{served}.",
        "",
        "Both choose one of nine monthly interventions (`coach-actions/1`) from 33 bounded "
        "features of the user's finances and coaching history (`coach-obs/1`). Neither sees a "
        "transaction, a name or an amount directly.",
        "",
        "## How it was trained",
        "",
        f"- Simulated people: persona seeds 0 to {config['people'] - 1}, drawn from the synthetic "
        "households. Each has hidden traits: following advice, fatigue, impulse spending, "
        "income shocks and disengagement (`budgetlm.coach.simulator`).",
        f"- Episodes: {evaluation['env_config']['months']} months, one decision a month. The "
        "reward is net-worth change plus debt repaid, the goal reached and penalties for "
        "disengagement and over-nudging, in months of income (`budgetlm.coach.reward`).",
        f"- Budget: {config['steps']:,} environment steps per training run, and "
        f"{config['seeds']} training seeds per method (DQN and PPO). The rules were grid-tuned on "
        f"{rules['tuning_steps']:,} steps, the same budget.",
        "- Choice of the shipped learned coach, from training returns only: the method with the "
        f"higher mean final training return over seeds ({training}), then its seed with the "
        "highest one.",
        f"- The shipped run took {learned['seconds']:.0f} s and the whole comparison "
        f"{evaluation['seconds'] / 60:.0f} min, two runs at a time on a shared 2-core CPU.",
        "",
        "## How it was evaluated",
        "",
        f"- Held-out people: {config['episodes']:,} persona seeds from 1,000,000 upwards. These "
        "never appear in training. Every coach meets the same people with the same luck (paired).",
        "- Differences against the tuned rules, with 95% hierarchical bootstrap intervals over "
        "seeds and people:",
        *[f"  - {v}" for v in verdicts],
        "",
        "| coach | mean return | saved (months of income) | debt paid (months) "
        "| goal attained | disengaged |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | {h['mean_return']:.3f} | {h['saved_months']:.3f} | "
            f"{h['debt_paid_months']:.3f} | {h['goal_attained']:.3f} | {h['disengaged']:.3f} |"
            for name, h in rows
        ],
        "",
        "Every outcome's difference, interval and P(improvement) is in `evaluation.json`.",
        "",
        "## Limits",
        "",
        "- Simulated people are not people. The population figures are anchored to "
        "public statistics: savings rate and spending shares. How people respond to advice "
        "(following, fatigue, leaking idle cash into spending) is a modelling assumption, and "
        "the gaps between coaches depend on it.",
        "- On a real ledger, the observation follows the simulator's definitions as closely as "
        "the data allows (`budgetlm.coach.ledger_view`). Every simulated person had a goal and "
        "budgets; a ledger without them gives the coach stand-in values it rarely met.",
        "- Advice is logged with the features it was chosen on, and with the user's answer "
        "(`coach respond`), so later work can learn from real responses. Nothing leaves the "
        "machine.",
        "- This is budgeting help, not financial advice.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else SHIPPED
    chosen = ship(Path(sys.argv[1]), target)
    print(f"shipped {chosen['learned']['method']} seed {chosen['learned']['seed']}; "
          f"default: {chosen['default']}")  # fmt: skip
