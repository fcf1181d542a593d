"""The coach: a reinforcement-learning policy that helps people save (issue 8).

Simulated users and their environment (points 1 and 2):

* ``profile``: a person's fixed money facts, derived once from a short synthetic history;
* ``traits``: their hidden traits (following advice, fatigue, impulses, shocks, leaving);
* ``draws``: every random number of an episode, drawn up front (common random numbers);
* ``finances``: balances, debts, cuts and transfers, and the windowed health figures;
* ``actions``: the coaching interventions and how likely each is followed;
* ``simulator``: the person living month by month (``outcome``: what a month reports);
* ``observation``: the versioned, bounded features the coach sees, from a ``FinancialState``;
* ``reward``: the reward's terms, weights and why;
* ``pools``: training and held-out people, apart by persona seed;
* ``env``: ``CoachEnv``, the gymnasium environment;
* ``plausibility``: checks that uncoached simulated people look like real households.

Coaches (point 3):

* ``rollout``: the ``Policy`` protocol, the do-nothing baseline, episodes and ``evaluate``;
* ``rules``: the rule-based coach and ``tune_rules``, its grid search on training people;
* ``replay``: uniform and prioritized experience replay;
* ``dqn``: deep Q-learning (``train_dqn``) and the greedy ``QPolicy``;
* ``ppo``: the actor-critic comparison, PPO from stable-baselines3 (``train_ppo``, ``PPOPolicy``);
* ``saved``: saving and loading coaches, refusing other observation or action versions.

Honest evaluation (point 4):

* ``evaluation``: paired differences against the rules, hierarchical bootstrap intervals,
  P(improvement) and verdicts (pure statistics);
* ``experiment``: seeds x methods trained, rules tuned, everyone on the same held-out people;
  ``results.json``, ``report.md`` and ``learning_curves.png`` (``budgetlm coach compare``).

Modules are imported directly (``from budgetlm.coach.env import CoachEnv``); this package
imports nothing, so that using one part never loads gymnasium or the generator.
"""
