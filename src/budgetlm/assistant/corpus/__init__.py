"""The assistant's task corpus: conversations about synthetic households, for training the
micro language model from scratch and for evaluating it on held-out phrasings.

Questions come from a compositional grammar (``families.yaml``: intent families per tool, each a
sentence construction with templates; ``lexicon.yaml``: how people name categories, payees,
accounts; ``period_phrases``/``quantities``: periods, amounts, counts), typed with noise
(``noise``), asked of synthetic households (``households``), answered by the real tools with
answer templates (``dialogues``). Whole families and some templates are held out for validation
and test (``families``). ``build_corpus(CorpusConfig(...))`` builds it;
``python -m budgetlm.assistant.corpus --out DIR`` writes it as JSONL.
"""

from budgetlm.assistant.corpus.build import Corpus, CorpusConfig, HouseholdRecord, build_corpus
from budgetlm.assistant.corpus.dialogues import Conversation, DialogueConfig, Turn
from budgetlm.assistant.corpus.families import SPLITS, Family, Group, Split, Template
from budgetlm.assistant.corpus.grammar import Chunk, Question, sample_question
from budgetlm.assistant.corpus.noise import NoiseConfig, noisy

__all__ = [
    "SPLITS",
    "Chunk",
    "Conversation",
    "Corpus",
    "CorpusConfig",
    "DialogueConfig",
    "Family",
    "Group",
    "HouseholdRecord",
    "NoiseConfig",
    "Question",
    "Split",
    "Template",
    "Turn",
    "build_corpus",
    "noisy",
    "sample_question",
]
