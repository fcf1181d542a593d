"""The comparison end to end on a tiny configuration: files, verdicts, pairing, the plot."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from budgetlm.cli import app
from budgetlm.coach.experiment import ExperimentConfig, SeedRun, learning_curve, run_experiment
from budgetlm.coach.pools import heldout_pool
from budgetlm.coach.rollout import evaluate
from budgetlm.coach.saved import load_coach
from budgetlm.coach.shipping import choose_learned, ship

PNG = b"\x89PNG\r\n\x1a\n"
TINY = ExperimentConfig(seeds=2, steps=240, people=4, episodes=10, replicates=200)


def test_compare_writes_results_report_and_plot(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["coach", "compare", "--seeds", "2", "--steps", "240",
                                      "--people", "4", "--episodes", "10", "--out",
                                      str(tmp_path), "--json"])  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    summary = json.loads(result.output)
    assert len(summary["verdicts"]) == 2
    results = json.loads((tmp_path / "results.json").read_text())
    assert [run["seed"] for run in results["learned"]["ppo"]] == [0, 1]
    assert len(results["comparisons"]) == 2 * 6
    report = (tmp_path / "report.md").read_text()
    for verdict in summary["verdicts"]:
        assert verdict in report and "the rules on return" in verdict
    assert (tmp_path / "learning_curves.png").read_bytes().startswith(PNG)
    with np.load(tmp_path / "outcomes.npz") as arrays:
        assert arrays["dqn/return"].shape == (2, 10) and arrays["rules/return"].shape == (10,)
    # paired: doing nothing on the same people and luck is the same whoever runs it
    assert results["none"]["heldout"]["episodes"] == 10


def test_every_compared_coach_is_saved_and_scores_the_same_again(tmp_path: Path) -> None:
    results = run_experiment(replace(TINY, seeds=1), tmp_path)
    saved = sorted(path.name for path in (tmp_path / "policies").iterdir())
    assert saved == ["dqn-0", "ppo-0", "rules"]
    reloaded = load_coach(tmp_path / "policies" / "ppo-0")
    again = evaluate(reloaded, heldout_pool(TINY.episodes), seed=0).as_dict()
    assert again == results["learned"]["ppo"][0]["heldout"]
    # shipping picks by training return only, and serves the learned coach only if it won
    method, seed, means = choose_learned(tmp_path)
    assert means[method] == max(means.values()) and seed == 0
    shipped = ship(tmp_path, tmp_path / "shipped")
    primary = next(c for c in results["comparisons"] if c["method"] == method)
    assert shipped["default"] == ("learned" if primary["ci_low"] > 0 else "rules")
    assert shipped["learned"]["heldout"] == results["learned"][method][0]["heldout"]
    card = (tmp_path / "shipped" / "CARD.md").read_text()
    assert primary["verdict"] in card and f"{method.upper()} seed 0 (the one shipped)" in card
    assert load_coach(tmp_path / "shipped" / "learned").act(np.zeros(33, np.float32)) in range(9)


def test_learning_curve_interpolates_a_running_mean() -> None:
    run = SeedRun("dqn", 0, {}, [0.0, 2.0, 4.0, 6.0], [24, 48, 72, 96], 96, 1.0)
    curve = learning_curve(run, np.array([0.0, 48.0, 72.0, 96.0]), window=2)
    assert curve.tolist() == [1.0, 1.0, 3.0, 5.0]
    empty = SeedRun("ppo", 0, {}, [], [], 0, 0.0)
    assert learning_curve(empty, np.array([0.0, 1.0])).tolist() == [0.0, 0.0]


@pytest.mark.slow
def test_parallel_seeds_give_the_same_results(tmp_path: Path) -> None:
    serial = run_experiment(TINY, tmp_path / "serial")
    parallel = run_experiment(replace(TINY, jobs=2), tmp_path / "parallel")
    assert serial["comparisons"] == parallel["comparisons"]
