"""``budgetlm coach``: train the RL coach (or tune the rule-based one), evaluate coaches, and
advise on the user's own ledger.

Training and tuning see training people only; ``evaluate`` scores on held-out people.
``recommend`` gives this month's advice from a shipped coach (or a trained one) and logs it;
``respond`` records whether the user followed it; ``log`` lists the advice given. numpy, torch
and gymnasium are imported inside the commands, so ``budgetlm`` starts fast.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    ledger_session,
    open_context,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.store import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from budgetlm.coach.dqn import TrainingHistory
    from budgetlm.ledger.models import CoachRecommendation

coach_app = typer.Typer(
    help="The savings coach: train, tune and evaluate (simulated people).", no_args_is_help=True
)


@coach_app.command("train")
def coach_train(
    out: Annotated[Path, typer.Option("--out", help="Directory to save the coach in.")],
    method: Annotated[
        str,
        typer.Option(
            help="dqn (deep Q-learning), ppo (stable-baselines3) or rules (grid-tune the rules)."
        ),
    ] = "dqn",
    steps: Annotated[
        int | None,
        typer.Option(min=1, help="Environment steps (months); rules spend them on the grid."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of everything random in training.")] = 0,
    people: Annotated[int, typer.Option(min=1, help="Training people to draw from.")] = 500,
    prioritized: Annotated[bool, typer.Option(help="DQN: prioritized replay.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Train a coach on training people and save it (with its learning curve) in OUT."""
    from budgetlm.coach.dqn import DQNConfig, train_dqn
    from budgetlm.coach.env import EnvConfig
    from budgetlm.coach.pools import train_pool
    from budgetlm.coach.rules import (
        DEFAULT_GRID,
        RulePolicy,
        episodes_for_budget,
        grid_size,
        tune_rules,
    )
    from budgetlm.coach.saved import save_coach

    if method not in ("dqn", "ppo", "rules"):
        raise InputError(f"unknown method {method!r}; use dqn, ppo or rules", field="--method")
    env_config, pool = EnvConfig(), train_pool(people)
    budget = steps if steps is not None else DQNConfig().total_steps
    summary: dict[str, Any] = {"method": method, "seed": seed, "people": people, "out": str(out)}
    if method == "ppo":
        from budgetlm.coach.ppo import PPOConfig, train_ppo

        ppo, ppo_history = train_ppo(PPOConfig(seed=seed).with_budget(budget), env_config, pool)
        summary |= _training_summary(ppo_history)
        curve = asdict(ppo_history)
        save_coach(ppo, out, env_config=env_config, extra={"training": summary})
    elif method == "dqn":
        config = DQNConfig(total_steps=budget, seed=seed, prioritized=prioritized)
        # a short run still learns: explore purely for at most a quarter of it
        config = replace(config, learning_starts=min(config.learning_starts, budget // 4))

        def report(step: int, history: TrainingHistory) -> None:
            if not as_json:
                console.print(f"step {step:,}: mean return {history.recent_return():.3f}")

        policy, history = train_dqn(config, env_config, pool, progress=report)
        summary |= _training_summary(history)
        curve = asdict(history)
        save_coach(policy, out, env_config=env_config, extra={"training": summary})
    else:
        per_config = episodes_for_budget(budget, grid_size(DEFAULT_GRID), env_config.months)
        tuning = tune_rules(pool, per_config, seed, env_config=env_config)
        summary |= {
            "steps": tuning.steps,
            "episodes": tuning.episodes,
            "grid_size": len(tuning.scores),
            "best": asdict(tuning.best),
            "best_train_return": max(score for _, score in tuning.scores),
        }
        curve = tuning.as_dict()
        save_coach(RulePolicy(tuning.best), out, env_config=env_config, extra={"training": summary})
    (out / "history.json").write_text(json.dumps(curve) + "\n")
    emit(as_json, summary, lambda: print_table(
        "Coach training", ["field", "value"], [(k, v) for k, v in summary.items()]
    ))  # fmt: skip


@coach_app.command("evaluate")
def coach_evaluate(
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Directory of a coach saved by `coach train`.")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(help="Evaluate a built-in coach instead: rules (untuned) or none."),
    ] = None,
    episodes: Annotated[int, typer.Option(min=1, help="Held-out people, one episode each.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the first episode.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Score a coach on held-out people: mean return and what happened to their money."""
    from budgetlm.coach.pools import heldout_pool
    from budgetlm.coach.rollout import DoNothing, Policy, evaluate
    from budgetlm.coach.rules import RulePolicy
    from budgetlm.coach.saved import load_coach

    if (policy is None) == (method is None):
        raise InputError("give exactly one of --policy DIR and --method rules|none")
    coach: Policy
    if policy is not None:
        coach, name = load_coach(policy), str(policy)
    elif method == "rules":
        coach, name = RulePolicy(), "rules (untuned)"
    elif method == "none":
        coach, name = DoNothing(), "none"
    else:
        raise InputError(f"unknown method {method!r}; use rules or none", field="--method")
    result = evaluate(coach, heldout_pool(episodes), seed=seed).as_dict()
    data = {"coach": name, "pool": "heldout", "seed": seed, **result}
    emit(as_json, data, lambda: print_table(
        f"Coach {name} on {episodes} held-out people", ["measure", "value"],
        [(k, f"{v:.4f}" if isinstance(v, float) else v) for k, v in result.items()],
        right=["value"],
    ))  # fmt: skip


@coach_app.command("compare")
def coach_compare(
    out: Annotated[Path, typer.Option("--out", help="Directory for results and the report.")],
    seeds: Annotated[int, typer.Option(min=1, help="Training seeds per learned method.")] = 10,
    steps: Annotated[
        int | None, typer.Option(min=1, help="Environment steps per training run (and rules).")
    ] = None,
    people: Annotated[int, typer.Option(min=1, help="Training people to draw from.")] = 500,
    episodes: Annotated[
        int, typer.Option(min=2, help="Held-out people every coach meets, one episode each.")
    ] = 1_000,
    jobs: Annotated[int, typer.Option(min=1, help="Processes training seeds in parallel.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Train DQN and PPO per seed, tune the rules, and compare all on the same held-out people.

    Writes results.json, outcomes.npz, report.md and learning_curves.png to OUT.
    """
    from budgetlm.coach.experiment import ExperimentConfig, run_experiment

    defaults = ExperimentConfig()
    config = ExperimentConfig(seeds=seeds, steps=steps or defaults.steps, people=people,
                              episodes=episodes, jobs=jobs)  # fmt: skip

    def progress(message: str) -> None:
        if not as_json:
            console.print(message)

    results = run_experiment(config, out, progress)
    summary = {"out": str(out), "seconds": results["seconds"], "verdicts": results["verdicts"]}
    emit(as_json, summary, lambda: print_table(
        "Coach comparison (episode return)", ["verdict"], [(v,) for v in results["verdicts"]]
    ))  # fmt: skip


def _training_summary(history: TrainingHistory) -> dict[str, Any]:
    """What a training run reports: steps, episodes, time, speed and its recent return."""
    return {
        "steps": history.steps,
        "episodes": len(history.episode_returns),
        "seconds": round(history.seconds, 2),
        "steps_per_second": round(history.steps_per_second, 1),
        "recent_return": history.recent_return(),
    }


@coach_app.command("recommend")
def coach_recommend(
    coach_name: Annotated[
        str,
        typer.Option(
            "--coach",
            help="default (as the shipped card says), learned, rules, or a directory saved by "
            "`coach train`.",
        ),
    ] = "default",
    again: Annotated[
        bool, typer.Option("--again", help="New advice even if this month already has some.")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """This month's advice from the coach, with your ledger's numbers (logged; one a month)."""
    from budgetlm.coach.serving import advise, load_served_coach

    coach = load_served_coach(coach_name)
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        advice = advise(ledger, context.today, coach, again=again)
        data = _advice_row(advice.row) | {"repeated": advice.repeated}
    if advice.recommendation is not None:
        data["decision_ms"] = round(advice.recommendation.decision_ms, 3)

    def render() -> None:
        if advice.repeated:
            console.print(f"[dim]Advice already given on {data['given_on']} (--again for new):[/]")
        console.print(data["message"], markup=False, highlight=False)
        console.print(
            f"[dim]#{data['id']} by {data['policy']}. Did you do it? "
            f"budgetlm coach respond {data['id']} --followed (or --ignored)[/]"
        )

    emit(as_json, data, render)


@coach_app.command("respond")
def coach_respond(
    recommendation: Annotated[int, typer.Argument(help="The advice's number (`coach log`).")],
    followed: Annotated[
        bool,
        typer.Option("--followed/--ignored", help="Whether you followed the advice."),
    ] = True,
    as_json: JsonOption = False,
    db: DbOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Record whether you followed a piece of advice (the coach reads it next month)."""
    from budgetlm.ledger.advice_log import record_response

    context = open_context(db, None, workspace)
    with ledger_session(context) as ledger:
        data = _advice_row(record_response(ledger, recommendation, followed))
    emit(as_json, data, lambda: console.print(
        f"Noted: advice #{recommendation} {'followed' if followed else 'not followed'}."
    ))  # fmt: skip


@coach_app.command("log")
def coach_log(
    limit: Annotated[int, typer.Option(min=1, help="Most recent pieces of advice to show.")] = 12,
    as_json: JsonOption = False,
    db: DbOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """The advice given so far, newest first, and whether it was followed."""
    from budgetlm.ledger.advice_log import recommendations

    context = open_context(db, None, workspace)
    with ledger_session(context) as ledger:
        rows = [_advice_row(r) for r in recommendations(ledger, limit=limit)]
    answer = {True: "followed", False: "not followed", None: "no answer"}
    emit(as_json, rows, lambda: print_table(
        "Coach advice", ["#", "date", "action", "response", "message"],
        [(r["id"], r["given_on"], r["action"], answer[r["followed"]], r["message"]) for r in rows],
    ))  # fmt: skip


def _advice_row(row: CoachRecommendation) -> dict[str, Any]:
    """A logged recommendation as the commands print it."""
    return {
        "id": row.id,
        "given_on": row.given_on,
        "policy": row.policy,
        "action": row.action,
        "message": row.message,
        "amount": row.amount,
        "category": row.category,
        "goal": row.goal,
        "followed": row.followed,
    }
