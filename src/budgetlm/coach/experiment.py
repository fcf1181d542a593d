"""The honest comparison of issue 8, point 4: learned coaches against the tuned rules.

``run_experiment`` trains every learned method (``METHODS``) once per training seed on training
people, tunes the rule coach once on the same step budget (``rules.episodes_for_budget``), and
then coaches the same held-out people, with the same episode seeds, with every coach, the
do-nothing baseline included (``rollout.person_outcomes``: paired, common random numbers).
``evaluation`` turns the per-person outcomes into differences, bootstrap intervals and verdicts.
It writes to ``out``:

* ``results.json``: the configuration, timings, every coach's mean outcomes (per seed for the
  learned ones), the tuned rules, and every comparison with its verdict;
* ``outcomes.npz``: the per-person outcomes themselves (``<method>/<outcome>``, (S, P) or (P,));
* ``report.md``: the table of differences, intervals, P(improvement) and verdicts;
* ``learning_curves.png``: training return against environment steps, mean and band (one
  standard deviation) across seeds per method, with the held-out means of the rules and of
  doing nothing as horizontal lines;
* ``policies/<method>-<seed>/`` and ``policies/rules/``: every coach compared, saved with
  ``saved.save_coach``, so the one that ships is exactly one that was evaluated.

Training seeds are independent, so ``jobs > 1`` trains them in that many processes (spawned,
each single-threaded); results do not depend on ``jobs``.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from budgetlm.coach.env import EnvConfig
from budgetlm.coach.evaluation import BETTER, PRIMARY, Array, Comparison, compare_all
from budgetlm.coach.pools import heldout_pool, train_pool
from budgetlm.coach.rollout import DoNothing, Policy, person_outcomes, summarise
from budgetlm.coach.rules import (
    DEFAULT_GRID,
    RulePolicy,
    episodes_for_budget,
    grid_size,
    tune_rules,
)
from budgetlm.coach.saved import save_coach

METHODS = ("dqn", "ppo")
"""The learned methods compared with the rules."""


@dataclass(frozen=True)
class ExperimentConfig:
    """Settings of ``run_experiment``."""

    seeds: int = 10
    """Training seeds per learned method (0 .. seeds - 1)."""
    steps: int = 300_000
    """Environment steps per training run, and the rule coach's tuning budget."""
    people: int = 500
    """Training people (persona seeds 0 .. people - 1)."""
    episodes: int = 1_000
    """Held-out people every coach is evaluated on, one episode each."""
    eval_seed: int = 0
    """Seed of the first evaluation episode (episode ``i`` has ``eval_seed + i``)."""
    methods: tuple[str, ...] = METHODS
    """Learned methods to train."""
    replicates: int = 2_000
    """Bootstrap replicates per comparison."""
    jobs: int = 1
    """Processes training seeds in parallel."""


@dataclass
class SeedRun:
    """One learned method trained with one seed, and its held-out outcomes."""

    method: str
    seed: int
    outcomes: dict[str, Array]
    episode_returns: list[float]
    episode_end_steps: list[int]
    steps: int
    seconds: float


def _train(method: str, seed: int, steps: int, env_config: EnvConfig, people: int) -> Any:
    from budgetlm.coach.dqn import DQNConfig, train_dqn
    from budgetlm.coach.ppo import PPOConfig, train_ppo

    pool = train_pool(people)
    if method == "dqn":
        dqn = DQNConfig(total_steps=steps, seed=seed)
        # a short run still learns: explore purely for at most a quarter of it
        dqn = replace(dqn, learning_starts=min(dqn.learning_starts, steps // 4))
        return train_dqn(dqn, env_config, pool)
    if method == "ppo":
        return train_ppo(PPOConfig(seed=seed).with_budget(steps), env_config, pool)
    raise ValueError(f"unknown method {method!r}; use one of {METHODS}")


def train_and_evaluate(
    method: str, seed: int, config: ExperimentConfig, save_to: Path | None = None
) -> SeedRun:
    """Train ``method`` with ``seed``, save it in ``save_to`` if given, and coach the held-out
    people with it."""
    env_config = EnvConfig()
    policy, history = _train(method, seed, config.steps, env_config, config.people)
    if save_to is not None:
        summary = {
            "method": method,
            "seed": seed,
            "steps": history.steps,
            "people": config.people,
            "recent_return": history.recent_return(),
        }
        save_coach(policy, save_to, env_config=env_config, extra={"training": summary})
    outcomes = person_outcomes(
        policy, heldout_pool(config.episodes), seed=config.eval_seed, env_config=env_config
    )
    return SeedRun(method, seed, outcomes, history.episode_returns, history.episode_end_steps,
                   history.steps, history.seconds)  # fmt: skip


def _train_all(
    config: ExperimentConfig, policies: Path, progress: Callable[[str], None]
) -> list[SeedRun]:
    tasks = [(m, s, policies / f"{m}-{s}") for m in config.methods for s in range(config.seeds)]
    if config.jobs <= 1:
        runs = []
        for method, seed, directory in tasks:
            runs.append(train_and_evaluate(method, seed, config, directory))
            progress(f"{method} seed {seed}: {runs[-1].seconds:.1f} s")
        return runs
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(config.jobs, mp_context=context) as pool:
        futures = [pool.submit(train_and_evaluate, m, s, config, d) for m, s, d in tasks]
        return [future.result() for future in futures]


def run_experiment(
    config: ExperimentConfig, out: Path, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    """Train, tune, evaluate, compare and write the four files (see the module docstring).

    Returns:
        What ``results.json`` holds.
    """
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    env_config = EnvConfig()
    per_config = episodes_for_budget(config.steps, grid_size(DEFAULT_GRID), env_config.months)
    tuning = tune_rules(train_pool(config.people), per_config, 0, env_config=env_config)
    progress(f"rules tuned on {tuning.steps:,} steps")
    heldout = heldout_pool(config.episodes)

    def baseline(policy: Policy) -> dict[str, Array]:
        return person_outcomes(policy, heldout, seed=config.eval_seed, env_config=env_config)

    rules, nothing = baseline(RulePolicy(tuning.best)), baseline(DoNothing())
    save_coach(RulePolicy(tuning.best), out / "policies" / "rules", env_config=env_config,
               extra={"training": {"method": "rules", "steps": tuning.steps}})  # fmt: skip
    runs = _train_all(config, out / "policies", progress)
    learned = {
        method: {name: np.stack([r.outcomes[name] for r in runs if r.method == method])
                 for name in rules}
        for method in config.methods
    }  # fmt: skip
    comparisons = compare_all(learned, rules, config.replicates)
    results: dict[str, Any] = {
        "config": asdict(config),
        "env_config": asdict(env_config),
        "seconds": round(time.perf_counter() - started, 1),
        "rules": {"tuned": asdict(tuning.best), "tuning_steps": tuning.steps,
                  "heldout": summarise(rules).as_dict()},
        "none": {"heldout": summarise(nothing).as_dict()},
        "learned": {m: [{"seed": r.seed, "steps": r.steps, "seconds": round(r.seconds, 1),
                         "heldout": summarise(r.outcomes).as_dict()}
                        for r in runs if r.method == m] for m in config.methods},
        "comparisons": [c.as_dict() for c in comparisons],
        "verdicts": [c.verdict for c in comparisons if c.outcome == PRIMARY],
    }  # fmt: skip
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    arrays = {f"{m}/{k}": v for m, by in learned.items() for k, v in by.items()}
    arrays |= {f"rules/{k}": v for k, v in rules.items()} | {
        f"none/{k}": v for k, v in nothing.items()
    }
    np.savez_compressed(out / "outcomes.npz", **arrays)  # type: ignore[arg-type]
    (out / "report.md").write_text(report(results, comparisons))
    plot_learning_curves(runs, config.steps, results, out / "learning_curves.png")
    return results


def report(results: dict[str, Any], comparisons: Sequence[Comparison]) -> str:
    """The markdown report: headline verdicts, then every comparison in a table."""
    config = results["config"]
    lines = [
        "# Learned coaches against the tuned rules (held-out people, paired)",
        "",
        f"{config['seeds']} training seeds per method, {config['steps']:,} environment steps "
        f"each (the rules tuned on {results['rules']['tuning_steps']:,}), {config['people']} "
        f"training people, {config['episodes']} held-out people (never in training), the same "
        "people and episode seeds for every coach. Intervals: 95% hierarchical bootstrap over "
        f"seeds and people ({config['replicates']:,} replicates). P(improvement): share of "
        "replicates in which the learned coach comes out ahead; P(person better): share of "
        "(seed, person) pairs in which it did better for that person (ties count a half).",
        "",
        "## Verdicts (episode return, the objective)",
        "",
        *[f"- {verdict}" for verdict in results["verdicts"]],
        "",
        "## Every outcome",
        "",
        "| method | outcome | better | learned | rules | difference | 95% CI | P(improvement) "
        "| P(person better) | verdict |",
        "|---|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for c in comparisons:
        lines.append(
            f"| {c.method} | {c.outcome} | {c.better} | {c.learned_mean:.4f} | "
            f"{c.rules_mean:.4f} | {c.difference:+.4f} | [{c.ci_low:+.4f}, {c.ci_high:+.4f}] | "
            f"{c.p_improvement:.3f} | {c.p_person_better:.3f} | {c.verdict} |"
        )
    none = results["none"]["heldout"]["mean_return"]
    lines += ["", f"Do-nothing baseline: mean return {none:.4f} on the same people.", ""]
    lines += [f"Outcomes compared: {', '.join(BETTER)}.", ""]
    return "\n".join(lines)


def learning_curve(run: SeedRun, grid: Array, window: int = 20) -> Array:
    """A run's training return (running mean of ``window`` episodes) at each step of ``grid``."""
    returns = np.asarray(run.episode_returns, dtype=np.float64)
    if returns.size == 0:
        return np.zeros_like(grid)
    width = min(window, returns.size)
    smoothed = np.convolve(returns, np.ones(width) / width, mode="valid")
    ends = np.asarray(run.episode_end_steps[width - 1 :], dtype=np.float64)
    curve: Array = np.interp(grid, ends, smoothed)
    return curve


def plot_learning_curves(
    runs: Sequence[SeedRun], steps: int, results: dict[str, Any], path: Path
) -> None:
    """Mean and one-standard-deviation band across seeds per method, with baseline lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0, steps, 200)
    figure, axes = plt.subplots(figsize=(8, 5))
    for method in dict.fromkeys(r.method for r in runs):
        curves = np.stack([learning_curve(r, grid) for r in runs if r.method == method])
        mean, spread = curves.mean(axis=0), curves.std(axis=0)
        axes.plot(grid, mean, label=f"{method.upper()} (training, {len(curves)} seeds)")
        axes.fill_between(grid, mean - spread, mean + spread, alpha=0.2)
    for name, key, style in (("tuned rules", "rules", "--"), ("do nothing", "none", ":")):
        level = results[key]["heldout"]["mean_return"]
        axes.axhline(level, color="black", linestyle=style, label=f"{name} (held-out mean)")
    axes.set_xlabel("environment steps (months)")
    axes.set_ylabel("episode return (running mean of 20)")
    axes.set_title("Coach learning curves: mean ± 1 s.d. across training seeds")
    axes.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
