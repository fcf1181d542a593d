"""The assistant's safety gate: is a question about the user's own money, a general question
about how money works, a request for regulated or harmful advice, or off topic?

``classify(question)`` returns a ``SafetyVerdict``: its kind, a calibrated confidence and, for
refused kinds, a short refusal with a pointer to where to learn more. ``educational_answer``
gives a short general explanation for a fixed set of topics. The texts live in
``safety_phrases.yaml``; the numbers in ``safety_model.json``, written by
``python -m budgetlm.assistant.safety_data --train`` (see there for how it is trained).

The model is a multinomial logistic regression over TF-IDF weighted word unigrams, word
bigrams and character 3-5-grams of the normalized question, with one class per refusal topic
(``investment``, ``tax_evasion``, ...) and one each for ``in_scope``, ``educational`` and
``unrelated``. Inference is hand-written in pure Python on purpose: scoring one question
touches ~200 weights, so it needs neither numpy nor scikit-learn, which keeps loading fast
and out of the CLI's start-up.

Model file format (``format: budgetlm-safety-linear``, ``version: 1``), one JSON object:

- ``classes``: class names; ``class_kinds``: the verdict kind of each class.
- ``features``: ``char_min``/``char_max`` (character n-gram sizes), ``slang`` (token ->
  normal form, applied before features are taken) and ``lexicon`` (training words, most
  frequent first, that misspelled words are corrected to; see ``Featurizer``).
- ``vocabulary``: feature strings (``"w how"`` word, ``"b how much"`` bigram, ``"c  ho"``
  character n-gram of `` how ``, ``"s laund"`` word stem); ``idf``: one inverse document
  frequency per feature; ``coef``: one row of per-class weights per feature, as integers in
  units of ``1 / coef_scale``; ``intercept``: one per class.
- ``temperature``: probabilities are ``softmax(scores / temperature)``.
- ``thresholds``: ``refuse`` (refuse when the regulated_advice + harmful probability reaches
  it) and ``unrelated`` (otherwise call the question unrelated when its probability does).
- ``grammar_sha256`` and ``training``: what it was trained on, how, and validation figures.

A question's feature vector is ``(1 + ln count) * idf`` per known feature, L2-normalized;
``scores = x @ coef + intercept`` (scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``
followed by ``LogisticRegression``, which the trainer checks against this code).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise, repeat
from operator import add, mul
from pathlib import Path
from typing import Any, Literal, cast

import yaml

Kind = Literal["in_scope", "educational", "regulated_advice", "harmful", "unrelated"]
"""What a question is: the user's own money, general education, or a kind the assistant
refuses (``regulated_advice``, ``harmful``) or calls out of scope (``unrelated``)."""

KINDS: tuple[Kind, ...] = ("in_scope", "educational", "regulated_advice", "harmful", "unrelated")
REFUSED_KINDS: frozenset[Kind] = frozenset({"regulated_advice", "harmful"})
"""Kinds that get a refusal ("refusal recall" counts these)."""
ANSWERED_KINDS: frozenset[Kind] = frozenset({"in_scope", "educational"})
"""Kinds the assistant answers (refusing one is a "false refusal")."""

MODEL_FORMAT = "budgetlm-safety-linear"
FORMAT_VERSION = 1
PAYEE_TOKEN = "payee"
"""What a known payee name in a question is replaced by before classification."""

_PACKAGE = "budgetlm.assistant"
_PHRASES_FILE = "safety_phrases.yaml"
_MODEL_FILE = "safety_model.json"
_WORD = re.compile(r"[a-z0-9]+|[$%&]")
_DIGIT = re.compile(r"[0-9]")
_APOSTROPHES = str.maketrans("", "", "'’‘`")


@dataclass(frozen=True)
class SafetyVerdict:
    """The safety gate's decision about one question."""

    kind: Kind
    """What the question is; see ``Kind``."""
    confidence: float
    """Calibrated probability (0..1) that ``kind`` is right."""
    refusal: str | None
    """Short refusal with an educational pointer for refused and unrelated kinds, else None."""
    topic: str | None = None
    """Refusal topic (``investment``, ``tax_evasion``, ...) for refused kinds, else None."""


def question_tokens(text: str, slang: Mapping[str, str]) -> list[str]:
    """Normalize a question to tokens: case-folded, apostrophes dropped, digits as ``0``, slang
    spelled out (``u`` -> ``you``, ``wanna`` -> ``want to``)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    tokens: list[str] = []
    for word in _WORD.findall(text):
        tokens.extend(slang.get(word, _DIGIT.sub("0", word)).split())
    return tokens


_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ers",
    "ies",
    "ate",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)


def stem(word: str) -> str:
    """Strip common English suffixes while a stem of 3+ letters remains, so "laundering",
    "launder" and "launders" share ``laund``; crude, but the same on both sides."""
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word, changed = word[: -len(suffix)], True
                break
    return word


def _deletions(word: str) -> set[str]:
    """The word and every string one deleted letter away from it."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


class Featurizer:
    """Turns a question into feature strings (repeats count).

    Words are spelling-corrected to the training lexicon first: an unknown word of four or
    more letters becomes the most frequent lexicon word one edit away (insert, delete,
    substitute, swap; found through shared single deletions), so "laundring" scores as
    "laundering". Features: corrected words (``w``), corrected word bigrams with start/end
    markers (``b``), and character n-grams of each uncorrected, space-padded word (``c``).
    Hand-written because no spelling library is a dependency; it is a dozen lines.
    """

    def __init__(
        self, slang: Mapping[str, str], lexicon: Sequence[str], char_min: int, char_max: int
    ) -> None:
        self.slang = dict(slang)
        self.char_min = char_min
        self.char_max = char_max
        self.lexicon = tuple(lexicon)
        self.known = frozenset(lexicon)
        self._rank = {word: i for i, word in enumerate(lexicon)}
        self._by_deletion: dict[str, str] = {}
        self._payee_names: dict[tuple[str, ...], dict[str, list[tuple[str, ...]]]] = {}
        for word in lexicon:  # most frequent first, so it wins each deletion
            for variant in _deletions(word):
                self._by_deletion.setdefault(variant, word)

    def correct(self, token: str) -> str:
        """The lexicon word a token most likely misspells (the token if none is close)."""
        if token in self.known or len(token) < 4 or not token.isalpha():
            return token
        candidates = [self._by_deletion[v] for v in _deletions(token) if v in self._by_deletion]
        return min(candidates, key=self._rank.__getitem__) if candidates else token

    def mask_payees(self, tokens: Sequence[str], payees: Sequence[str]) -> list[str]:
        """Replace each mention of a known payee name with ``PAYEE_TOKEN`` (longest name
        first), so a merchant called "Insider Trading Cafe" reads as a merchant, not a
        request. The normalized names of the last few payee lists are kept."""
        key = tuple(payees)
        by_first = self._payee_names.get(key)
        if by_first is None:
            names = {tuple(question_tokens(name, self.slang)) for name in payees} - {()}
            by_first = {}
            for name in sorted(names, key=len, reverse=True):
                by_first.setdefault(name[0], []).append(name)
            if len(self._payee_names) >= 4:
                self._payee_names.clear()
            self._payee_names[key] = by_first
        out: list[str] = []
        i = 0
        while i < len(tokens):
            here = tuple(tokens[i:])
            name = next((n for n in by_first.get(tokens[i], ()) if here[: len(n)] == n), ())
            out.append(PAYEE_TOKEN if name else tokens[i])
            i += len(name) or 1
        return out

    def features(self, question: str, payees: Sequence[str] = ()) -> list[str]:
        """Feature strings of a question, known payee names masked first."""
        tokens = question_tokens(question, self.slang)
        if payees:
            tokens = self.mask_payees(tokens, payees)
        words = [self.correct(token) for token in tokens]
        features = [f"w {word}" for word in words]
        features.extend(f"s {stem(word)}" for word in words)
        padded = ["<s>", *words, "</s>"]
        features.extend(f"b {a} {b}" for a, b in pairwise(padded))
        for token in tokens:
            word = f" {token} "
            for n in range(self.char_min, self.char_max + 1):
                features.extend(f"c {word[i : i + n]}" for i in range(len(word) - n + 1))
        return features


class SafetyModel:
    """A loaded safety classifier (see the module docstring for the file format)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        if document.get("format") != MODEL_FORMAT or document.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"not a {MODEL_FORMAT} v{FORMAT_VERSION} model: "
                f"{document.get('format')!r} v{document.get('version')!r}"
            )
        self.classes: tuple[str, ...] = tuple(document["classes"])
        self.class_kinds: tuple[Kind, ...] = tuple(document["class_kinds"])
        features = document["features"]
        self.featurizer = Featurizer(
            features["slang"], features["lexicon"], features["char_min"], features["char_max"]
        )
        self.slang = self.featurizer.slang
        self.index = {feature: i for i, feature in enumerate(document["vocabulary"])}
        self.idf: list[float] = document["idf"]
        self.coef: list[list[int]] = document["coef"]
        self.coef_scale: float = document["coef_scale"]
        self.intercept: list[float] = document["intercept"]
        self.temperature: float = document["temperature"]
        self.refuse_threshold: float = document["thresholds"]["refuse"]
        self.unrelated_threshold: float = document["thresholds"]["unrelated"]
        self.document = document

    def scores(self, question: str, payees: Sequence[str] = ()) -> list[float]:
        """Raw class scores (before temperature) of one question."""
        counts = Counter(self.featurizer.features(question, payees))
        weighted: list[tuple[int, float]] = []
        for feature, count in counts.items():
            i = self.index.get(feature)
            if i is not None:
                weighted.append((i, (1.0 + math.log(count)) * self.idf[i]))
        scores = list(self.intercept)
        norm = math.sqrt(sum(value * value for _, value in weighted)) * self.coef_scale
        for i, value in weighted:
            scores = list(map(add, scores, map(mul, self.coef[i], repeat(value / norm))))
        return scores

    def probabilities(self, question: str, payees: Sequence[str] = ()) -> list[float]:
        """Calibrated class probabilities, in ``classes`` order."""
        return softmax(self.scores(question, payees), self.temperature)

    def kind_probabilities(self, probabilities: Sequence[float]) -> dict[Kind, float]:
        """Sum class probabilities into per-kind probabilities."""
        totals = dict.fromkeys(KINDS, 0.0)
        for kind, p in zip(self.class_kinds, probabilities, strict=True):
            totals[kind] += p
        return totals

    def decide(self, probabilities: Sequence[float]) -> tuple[Kind, float, str | None]:
        """Kind, its probability and (for refused kinds) the topic, by the model's thresholds."""
        by_kind = self.kind_probabilities(probabilities)
        refuse = by_kind["regulated_advice"] + by_kind["harmful"]
        if refuse >= self.refuse_threshold:
            kind: Kind = max(("regulated_advice", "harmful"), key=by_kind.__getitem__)
            topics = [
                (p, name)
                for name, k, p in zip(self.classes, self.class_kinds, probabilities, strict=True)
                if k == kind
            ]
            return kind, by_kind[kind], max(topics)[1]
        if by_kind["unrelated"] >= self.unrelated_threshold:
            return "unrelated", by_kind["unrelated"], None
        kind = "educational" if by_kind["educational"] > by_kind["in_scope"] else "in_scope"
        return kind, by_kind[kind], None

    def classify(self, question: str, payees: Sequence[str] = ()) -> SafetyVerdict:
        """The verdict for one question; see ``classify``."""
        if not question_tokens(question, self.slang):
            return SafetyVerdict("in_scope", 0.0, None)
        kind, confidence, topic = self.decide(self.probabilities(question, payees))
        refusal = None
        if kind in REFUSED_KINDS and topic is not None:
            refusal = refusal_text(topic)
        elif kind == "unrelated":
            refusal = refusal_text("unrelated")
        return SafetyVerdict(kind, round(confidence, 4), refusal, topic)


def softmax(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    """``softmax(scores / temperature)``, computed stably."""
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


@cache
def phrases() -> Mapping[str, Any]:
    """The parsed ``safety_phrases.yaml`` shipped with the package (read once)."""
    text = resources.files(_PACKAGE).joinpath(_PHRASES_FILE).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return cast(Mapping[str, Any], yaml.load(text, Loader=loader))


def refusal_text(topic: str) -> str:
    """The refusal for a topic (``investment``, ``unrelated``, ...) from the phrase file."""
    return str(phrases()["topics"][topic]["refusal"])


def default_model_path() -> Path:
    """Where the shipped model file lives."""
    return Path(str(resources.files(_PACKAGE).joinpath(_MODEL_FILE)))


@cache
def load_model(path: Path | None = None) -> SafetyModel:
    """Load (once per path) the safety model; the shipped one by default."""
    with (path or default_model_path()).open(encoding="utf-8") as handle:
        return SafetyModel(json.load(handle))


def classify(question: str, *, payees: Sequence[str] = ()) -> SafetyVerdict:
    """Classify a question for the assistant's safety gate.

    Args:
        question: What the user asked, as typed.
        payees: The user's own payee names, if known. Mentions are masked before
            classification, so "how much did I spend at Insider Trading Cafe?" is read as a
            question about a merchant.

    Returns:
        The verdict. An empty question is ``in_scope`` with confidence 0 (nothing to refuse;
        the assistant asks what the user meant).
    """
    return load_model().classify(question, payees)


@cache
def _education_aliases() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(alias tokens, topic) for every educational topic, longest aliases first."""
    slang = load_model().slang
    pairs = {
        (tuple(question_tokens(alias, slang)), topic)
        for topic, entry in phrases()["education"].items()
        for alias in entry["aliases"]
    }
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))


def education_topic(question: str) -> str | None:
    """The educational topic a question names by one of its aliases (words spelling-corrected
    as for classification, so "compund intrest" names compound interest), else None."""
    featurizer = load_model().featurizer
    words = tuple(featurizer.correct(t) for t in question_tokens(question, featurizer.slang))
    for alias, topic in _education_aliases():
        if any(words[i : i + len(alias)] == alias for i in range(len(words) - len(alias) + 1)):
            return topic
    return None


def educational_answer(question: str) -> str | None:
    """A short, general explanation when the question is educational and names a known topic
    (compound interest, index funds, APR vs APY, ...), else None."""
    if classify(question).kind != "educational":
        return None
    topic = education_topic(question)
    return None if topic is None else str(phrases()["education"][topic]["answer"])
