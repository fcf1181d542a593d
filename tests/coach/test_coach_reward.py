"""The reward's terms behave as ``coach.reward`` documents them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from budgetlm.coach.actions import ACTION_NAMES
from budgetlm.coach.env import CoachEnv, EnvConfig
from budgetlm.coach.observation import FEATURE_NAMES
from budgetlm.coach.outcome import MonthOutcome
from budgetlm.coach.pools import train_pool
from budgetlm.coach.reward import RewardWeights, reward_terms

QUIET = MonthOutcome(
    month=3,
    action=0,
    delivered=False,
    followed=False,
    income=4000.0,
    needs=2500.0,
    wants=1000.0,
    interest=40.0,
    net_worth_change=400.0,
    debt_change=100.0,
    goal_reached=False,
    disengaged=False,
    contacts_recent=0,
    transfer_cancelled=False,
)
NUDGE = ACTION_NAMES.index("nudge_cut_10")


def terms(outcome: MonthOutcome) -> dict[str, float]:
    return reward_terms(outcome, 4000.0, RewardWeights()).as_dict()


def test_money_terms_are_in_months_of_income() -> None:
    t = terms(QUIET)
    assert t["savings"] == 0.1 and t["debt"] == 0.25 * 100 / 4000
    assert t["goal"] == t["disengagement"] == t["contact"] == t["over_nudging"] == 0
    richer = reward_terms(replace(QUIET, net_worth_change=800.0), 8000.0, RewardWeights())
    assert richer.savings == t["savings"]


def test_over_nudging_costs_more_with_every_message_beyond_one_in_three_months() -> None:
    costs = [
        terms(replace(QUIET, action=NUDGE, delivered=True, contacts_recent=n))["over_nudging"]
        for n in (1, 2, 3)
    ]
    assert costs == [0.0, -0.05, -0.1]
    assert terms(replace(QUIET, action=NUDGE, delivered=True, contacts_recent=1))["contact"] < 0
    # silence is never charged, whatever came before
    assert terms(replace(QUIET, contacts_recent=2))["over_nudging"] == 0.0


def test_goal_and_disengagement_are_paid_once_as_documented() -> None:
    assert terms(replace(QUIET, goal_reached=True))["goal"] == 0.5
    assert terms(replace(QUIET, disengaged=True))["disengagement"] == -1.0


def test_total_is_the_sum_of_the_terms() -> None:
    outcome = replace(QUIET, delivered=True, contacts_recent=3, disengaged=True)
    result = reward_terms(outcome, 4000.0, RewardWeights())
    assert result.total == sum(result.as_dict().values())


def test_nudging_every_month_earns_less_than_nudging_each_quarter() -> None:
    env = CoachEnv(train_pool(12), EnvConfig(months=12))
    totals = {}
    for name, every in (("monthly", 1), ("quarterly", 3)):
        actions = [NUDGE if m % every == 0 else 0 for m in range(12)]
        over = 0.0
        for seed in range(12):
            env.reset(seed=seed)
            for action in actions:
                *_, info = env.step(action)
                over += info["reward_terms"]["over_nudging"]
        totals[name] = over
    assert totals["quarterly"] == 0.0 and totals["monthly"] < -1.0


def test_disengagement_degrades_the_episode_and_is_penalized_once() -> None:
    """After leaving, nothing reaches the person: any actions give the same months."""
    env = CoachEnv(train_pool(12))
    spam = [ACTION_NAMES.index("transfer_10")] * env.config.months
    for seed in range(50):
        env.reset(seed=seed)
        infos = [env.step(a)[-1] for a in spam]
        left = [i["month"] for i in infos if i["reward_terms"]["disengagement"] < 0]
        if left and left[0] < env.config.months - 3:
            break
    else:
        raise AssertionError("nobody disengaged under monthly spam")
    assert len(left) == 1 and infos[-1]["disengaged"]
    month = left[0]  # the month count after the step in which the person left

    def tail(after: int) -> list[tuple[bytes, float]]:
        env.reset(seed=seed)
        out = []
        for m in range(env.config.months):
            obs, reward, terminated, _, info = env.step(spam[m] if m < month else after)
            assert not terminated
            if m >= month:
                out.append((obs.tobytes(), reward))
                assert not info["delivered"] and info["reward_terms"]["contact"] == 0
        return out

    quiet = tail(0)
    assert quiet == tail(NUDGE) == tail(ACTION_NAMES.index("celebrate"))
    engaged = FEATURE_NAMES.index("engaged")
    assert all(np.frombuffer(obs, dtype=np.float32)[engaged] == 0.0 for obs, _ in quiet)
