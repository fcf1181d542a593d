"""``budgetlm coach train`` and ``budgetlm coach evaluate`` end to end on tiny settings."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from budgetlm.cli import app
from budgetlm.coach.saved import CoachVersionError


def invoke(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["coach", *args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    data: dict[str, object] = json.loads(result.output)
    return data


def test_train_then_evaluate_a_dqn_coach(tmp_path: Path) -> None:
    out = tmp_path / "dqn"
    trained = invoke("train", "--method", "dqn", "--steps", "240", "--people", "4",
                     "--out", str(out))  # fmt: skip
    assert trained["steps"] == 240 and trained["episodes"] == 10
    assert (out / "q_network.safetensors").is_file() and (out / "history.json").is_file()
    scored = invoke("evaluate", "--policy", str(out), "--episodes", "3")
    assert scored["pool"] == "heldout" and scored["episodes"] == 3
    for key in ("mean_return", "saved_months", "debt_paid_months", "goal_attained", "disengaged"):
        assert isinstance(scored[key], float)


def test_train_rules_and_evaluate_the_baselines(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    trained = invoke("train", "--method", "rules", "--steps", "864", "--people", "3",
                     "--out", str(out))  # fmt: skip
    assert trained["grid_size"] == 36 and trained["episodes"] == 36
    assert json.loads((out / "coach.json").read_text())["method"] == "rules"
    tuned = invoke("evaluate", "--policy", str(out), "--episodes", "2")
    nothing = invoke("evaluate", "--method", "none", "--episodes", "2")
    assert nothing["interventions"] == 0.0 and tuned["episodes"] == 2


def test_evaluate_refuses_a_coach_for_other_observations(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    invoke("train", "--method", "rules", "--steps", "864", "--people", "2", "--out", str(out))
    meta = json.loads((out / "coach.json").read_text())
    meta["observation_version"] = "coach-obs/0"
    (out / "coach.json").write_text(json.dumps(meta))
    result = CliRunner().invoke(app, ["coach", "evaluate", "--policy", str(out)])
    assert isinstance(result.exception, CoachVersionError)
    assert "coach-obs/0" in str(result.exception) and "coach-obs/1" in str(result.exception)


def test_train_then_evaluate_a_ppo_coach(tmp_path: Path) -> None:
    out = tmp_path / "ppo"
    trained = invoke("train", "--method", "ppo", "--steps", "128", "--people", "4",
                     "--out", str(out))  # fmt: skip
    assert trained["steps"] == 128 and trained["episodes"] == 5
    assert json.loads((out / "coach.json").read_text())["method"] == "ppo"
    assert (out / "actor.safetensors").is_file() and (out / "history.json").is_file()
    scored = invoke("evaluate", "--policy", str(out), "--episodes", "3")
    assert scored["episodes"] == 3 and isinstance(scored["mean_return"], float)
