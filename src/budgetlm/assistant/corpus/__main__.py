"""Write the assistant's training corpus, or show sample questions per family.

python -m budgetlm.assistant.corpus --out DIR [--seed 0] [--size 20000] [--workers 2]
python -m budgetlm.assistant.corpus --show [--family spending.] [--samples 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from budgetlm.assistant.corpus.build import CorpusConfig, build_corpus
from budgetlm.assistant.corpus.families import Family, Template, followup_groups, question_groups
from budgetlm.assistant.corpus.followups import follow_up
from budgetlm.assistant.corpus.grammar import Question, question, sample_question
from budgetlm.assistant.corpus.households import household_context, usage_of
from budgetlm.assistant.corpus.lexicon import Mentions
from budgetlm.assistant.corpus.noise import noisy
from budgetlm.assistant.corpus.slots import Setting


def _sample(
    family: Family, template: Template, setting: Setting, rng: random.Random
) -> tuple[str, Question | None]:
    """One question of ``template`` (a follow-up is tried after a few data questions)."""
    group = {**question_groups(), **followup_groups()}[family.group]
    if group.answer:
        return "", None
    if not group.effect:
        return "", question(family, template, setting, rng)
    data = {k: g for k, g in question_groups().items() if g.tool not in ("clarify", "help")}
    for _ in range(30):
        base = sample_question(setting, rng, lambda t: True, groups=data)
        made = follow_up(family, template, base.call, setting, rng)
        if made is not None:
            return f"after {base.text!r} {base.call.to_json()}\n    ", made
    return "", None


def show(prefix: str, samples: int, seed: int, household: int) -> None:
    """Print ``samples`` questions (clean, as typed, and the call) of each matching family."""
    rng = random.Random(seed)
    sample = household_context(household, rng)
    mentions = Mentions(sample.context.vocabulary, usage_of(sample))
    setting = Setting(mentions, sample.today, sample.context.earliest)
    print(f"# household {sample.key}")
    for groups in (question_groups(), followup_groups()):
        for family in (f for g in groups.values() for f in g.families if f.id.startswith(prefix)):
            print(f"\n## {family.id} [{family.split}]")
            for template in family.templates:
                print(f"- {template.id} [{template.split}] {template.text}")
                for _ in range(samples):
                    lead, made = _sample(family, template, setting, rng)
                    if made is not None:
                        typed = noisy(made.chunks, rng)
                        print(f"    {lead}{made.text}\n      {typed}\n      {made.call.to_json()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m budgetlm.assistant.corpus",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, help="directory for train/validation/test JSONL")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--size", type=int, default=CorpusConfig.size, help="conversations in all")
    parser.add_argument("--workers", type=int, default=1, help="processes (output is the same)")
    parser.add_argument("--months", type=int, default=CorpusConfig.months, help="history months")
    parser.add_argument("--show", action="store_true", help="print sample questions per family")
    parser.add_argument("--family", default="", help="with --show: family id prefix")
    parser.add_argument("--samples", type=int, default=2, help="with --show: samples per template")
    parser.add_argument("--household", type=int, default=100, help="with --show: household seed")
    args = parser.parse_args(argv)
    if args.show:
        show(args.family, args.samples, args.seed, args.household)
        return 0
    if args.out is None:
        parser.error("--out is required (or use --show)")
    config = CorpusConfig(seed=args.seed, size=args.size, workers=args.workers, months=args.months)
    corpus = build_corpus(config)
    for path in corpus.write(args.out):
        print(path)
    print(json.dumps(corpus.stats(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
