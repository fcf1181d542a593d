"""Conversations: questions asked of one household, answered by its real tools.

For each turn the question's call runs through ``tools.execute`` on the household's context and
the assistant's answer is one of the answer templates that fit the result
(``answer.result_phrasings``): the template with its ``{placeholders}``, never numbers, since
code fills them in. Conversations come in kinds:

- ``single``: one question;
- ``chain``: a question then one to three follow-ups that change its call ("and the month
  before?", "what about dining out?");
- ``switch``: two unrelated questions;
- ``clarify``: a question missing something ("can I afford it?") -> ``clarify``; the user's
  answer ("about $300") completes the call it was about;
- ``safety``: an out-of-scope or educational question (``safety_data.safety_examples``) ->
  ``out_of_scope`` with its reason, or ``help``; sometimes after or before an in-scope one.

Messages are in the OpenAI form (user / assistant with ``tool_calls`` / tool / assistant).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from budgetlm.assistant.answer import fill, result_phrasings
from budgetlm.assistant.corpus.families import Group, Split, Template, question_groups
from budgetlm.assistant.corpus.followups import (
    answer_group,
    clarification_answer,
    effect_groups,
    follow_up,
)
from budgetlm.assistant.corpus.grammar import Question, sample_question
from budgetlm.assistant.corpus.households import HouseholdSample, usage_of
from budgetlm.assistant.corpus.lexicon import Mentions
from budgetlm.assistant.corpus.noise import NoiseConfig, noisy
from budgetlm.assistant.corpus.slots import Setting
from budgetlm.assistant.safety_data import LabelledQuestion
from budgetlm.assistant.tools import ToolCall, ToolResult, execute

KINDS: Mapping[str, float] = {
    "single": 0.45,
    "chain": 0.25,
    "switch": 0.06,
    "clarify": 0.1,
    "safety": 0.14,
}
"""Default share of each conversation kind."""
_NO_FOLLOW_UP = frozenset({"help", "clarify", "out_of_scope"})
_SAFETY_CALLS: Mapping[str, ToolCall] = {
    "regulated_advice": ToolCall("out_of_scope", {"reason": "regulated_advice"}),
    "harmful": ToolCall("out_of_scope", {"reason": "harmful"}),
    "unrelated": ToolCall("out_of_scope", {"reason": "unrelated"}),
    "educational": ToolCall("help", {}),
}


@dataclass(frozen=True)
class DialogueConfig:
    """How conversations are made."""

    kinds: Mapping[str, float] = field(default_factory=lambda: dict(KINDS))
    """Share of each conversation kind."""
    max_follow_ups: int = 3
    """Most follow-ups in a chain."""
    heldout_share: float = 0.5
    """In validation and test: share of conversations asked with held-out phrasings (the rest
    use train phrasings on the unseen evaluation households)."""
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    """Typing noise."""


@dataclass(frozen=True)
class Turn:
    """One exchange: the user's words, the call, the tool result and the answer template."""

    user: str
    """What the user typed (with noise)."""
    clean: str
    """The question before noise."""
    call: ToolCall
    """Expected tool call."""
    result: ToolResult
    """What the tool returned."""
    answer: str
    """Answer template with placeholders."""
    group: str
    """Question group (``spending``, ``fu_before``, ``safety``...)."""
    family: str
    """Phrasing family id."""
    template: str
    """Template id."""
    phrasing_split: Split
    """Split of the template used."""


@dataclass(frozen=True)
class Conversation:
    """A conversation with its metadata."""

    id: str
    """``<split>-<n>``."""
    split: Split
    """Split it belongs to."""
    kind: str
    """Conversation kind (see ``KINDS``)."""
    household: str
    """Household key (``h<seed>@<today>``)."""
    seed: int
    """Household seed."""
    today: date
    """The day of the questions."""
    turns: tuple[Turn, ...]
    """Its turns."""

    def messages(self, *, filled: bool = False) -> list[dict[str, object]]:
        """OpenAI-form messages: user, assistant tool call, tool result, assistant answer.

        Args:
            filled: Answers with the result's figures written in (for models that write their
                own numbers) instead of the template with ``{placeholders}``.
        """
        out: list[dict[str, object]] = []
        for index, turn in enumerate(self.turns):
            call_id = f"call_{index}"
            arguments = json.loads(turn.call.to_json())["arguments"]
            function = {
                "name": turn.call.name,
                "arguments": json.dumps(arguments, ensure_ascii=False),
            }
            calls = [{"id": call_id, "type": "function", "function": function}]
            result = turn.result.to_prompt()
            out += [
                {"role": "user", "content": turn.user},
                {"role": "assistant", "content": "", "tool_calls": calls},
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "name": turn.call.name,
                    "content": result,
                },
                {
                    "role": "assistant",
                    "content": fill(turn.answer, turn.result) if filled else turn.answer,
                },
            ]
        return out

    def meta(self) -> dict[str, object]:
        """Split, household, first turn's tool/family/template, and per-turn details."""
        first = self.turns[0]
        return {
            "id": self.id,
            "split": self.split,
            "kind": self.kind,
            "household": self.household,
            "household_seed": self.seed,
            "today": self.today.isoformat(),
            "tool": first.call.name,
            "family": first.family,
            "template": first.template,
            "heldout": any(t.phrasing_split != "train" for t in self.turns),
            "turns": [
                {"tool": t.call.name, "group": t.group, "family": t.family, "template": t.template,
                 "phrasing_split": t.phrasing_split, "status": t.result.status, "clean": t.clean}
                for t in self.turns
            ],
        }  # fmt: skip

    def to_json(self) -> dict[str, object]:
        """One JSONL record: ``{"messages": [...], "meta": {...}}``."""
        return {"messages": self.messages(), "meta": self.meta()}


class _Dialogue:
    """Makes the conversations of one household for one split."""

    def __init__(
        self,
        sample: HouseholdSample,
        split: Split,
        config: DialogueConfig,
        safety: Sequence[LabelledQuestion],
        rng: random.Random,
    ) -> None:
        mentions = Mentions(sample.context.vocabulary, usage_of(sample))
        self.setting = Setting(mentions, sample.today, sample.context.earliest)
        self.sample, self.split, self.config, self.safety, self.rng = (
            sample, split, config, safety, rng
        )  # fmt: skip
        self.allowed: Callable[[Template], bool] = self._allowed(heldout=False)

    def _allowed(self, heldout: bool) -> Callable[[Template], bool]:
        wanted = self.split if heldout else "train"
        return lambda template: template.split == wanted

    def _turn(self, question: Question) -> Turn | None:
        result = execute(question.call, self.sample.context)
        fitting = result_phrasings(result)
        if not fitting:
            return None
        return Turn(
            user=noisy(question.chunks, self.rng, self.config.noise),
            clean=question.text,
            call=question.call,
            result=result,
            answer=self.rng.choice(fitting),
            group=question.family.group,
            family=question.family.id,
            template=question.template.id,
            phrasing_split=question.split,
        )

    def _ask(self, groups: Mapping[str, Group] | None = None) -> tuple[Question, Turn] | None:
        """A question (by default not a clarification: those are their own kind) and its turn."""
        chosen = groups or {k: g for k, g in question_groups().items() if g.tool != "clarify"}
        for _ in range(20):
            question = sample_question(self.setting, self.rng, self.allowed, groups=chosen)
            turn = self._turn(question)
            if turn is not None:
                return question, turn
        return None

    def _follow(self, prev: ToolCall) -> Turn | None:
        groups = [
            g
            for g in effect_groups()
            if any(self.allowed(t) for f in g.families for t in f.templates)
        ]
        weights = [g.weight for g in groups]
        for _ in range(40):
            group = self.rng.choices(groups, weights)[0]
            family, template = self.rng.choice(
                [(f, t) for f in group.families for t in f.templates if self.allowed(t)]
            )
            question = follow_up(family, template, prev, self.setting, self.rng)
            if question is not None:
                return self._turn(question)
        return None

    def _answer(self, pending: ToolCall, missing: str) -> Turn | None:
        group = answer_group(missing)
        options = [(f, t) for f in group.families for t in f.templates if self.allowed(t)]
        for _ in range(20):
            family, template = self.rng.choice(options)
            question = clarification_answer(family, template, pending, self.setting, self.rng)
            if question is not None:
                return self._turn(question)
        return None

    def _safety_turn(self) -> Turn | None:
        example = self.rng.choice(self.safety)
        call = _SAFETY_CALLS[example.kind]
        result = execute(call, self.sample.context)
        fitting = result_phrasings(result)
        if not fitting:
            return None
        return Turn(example.text, example.text, call, result, self.rng.choice(fitting),
                    "safety", example.family, example.family, example.split)  # fmt: skip

    def conversation(self, kind: str) -> list[Turn]:
        """The turns of one conversation of ``kind`` (empty when it could not be made)."""
        heldout = self.split != "train" and self.rng.random() < self.config.heldout_share
        self.allowed = self._allowed(heldout)
        if kind == "safety":
            return self._safety()
        if kind == "clarify":
            return self._clarify()
        asked = self._ask()
        if asked is None:
            return []
        turns = [asked[1]]
        if kind == "switch":
            second = self._ask()
            turns += [second[1]] if second else []
        elif kind == "chain" and turns[0].call.name not in _NO_FOLLOW_UP:
            for _ in range(self.rng.randint(1, self.config.max_follow_ups)):
                turn = self._follow(turns[-1].call)
                if turn is None:
                    break
                turns.append(turn)
        return turns

    def _clarify(self) -> list[Turn]:
        groups = {name: g for name, g in question_groups().items() if g.tool == "clarify"}
        asked = self._ask(groups)
        if asked is None:
            return []
        question, turn = asked
        turns = [turn]
        missing = str(question.call.arguments.get("missing", ""))
        if question.call.name != "clarify":
            return turns
        if question.pending is not None:
            answer = self._answer(question.pending, missing)
            turns += [answer] if answer else []
        elif missing == "topic":
            follow = self._ask()
            turns += [follow[1]] if follow else []
        return turns

    def _safety(self) -> list[Turn]:
        if not self.safety:
            return []
        turn = self._safety_turn()
        if turn is None:
            return []
        roll = self.rng.random()
        other = self._ask() if roll < 0.35 else None
        if other is None:
            return [turn]
        return [other[1], turn] if roll < 0.2 else [turn, other[1]]


def household_conversations(
    sample: HouseholdSample,
    split: Split,
    count: int,
    rng: random.Random,
    config: DialogueConfig,
    safety: Sequence[LabelledQuestion],
) -> list[tuple[str, list[Turn]]]:
    """``count`` conversations (kind, turns) for one household in ``split``."""
    dialogue = _Dialogue(sample, split, config, safety, rng)
    kinds, weights = list(config.kinds), list(config.kinds.values())
    out: list[tuple[str, list[Turn]]] = []
    while len(out) < count:
        kind = rng.choices(kinds, weights)[0]
        turns = dialogue.conversation(kind)
        if turns:
            out.append((kind, turns))
    return out
