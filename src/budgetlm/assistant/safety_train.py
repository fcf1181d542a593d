"""Training run that writes the safety gate's ``safety_model.json`` from the grammar's
training families (``python -m budgetlm.assistant.safety_data --train``).

1. Questions of the training families, plus ``dropout_copies`` copies of each with words
   dropped at random, so that no single frame word ("should i", "how do i") decides alone and
   the topic words get weight of their own.
2. ``safety.Featurizer`` features (spelling corrected to the training lexicon), TF-IDF
   weighted, into multinomial logistic regression. Sample weights give each kind the same
   total weight. The model keeps the ``max_features`` features with the largest weights and is
   fitted again on them, which keeps the file small.
3. On the validation families, scored by the exported pure-Python model itself: a
   temperature (grid search, least log loss), the refuse threshold (validation refusal recall
   at least ``target_recall``; among those, fewest false refusals) and the unrelated threshold.
4. Steps 2-3 for each C in ``c_grid``; the smallest validation false-refusal rate minus
   recall wins.

Same seed and config, same bytes: generation is seeded per family, the solver runs on one
BLAS thread and the file rounds every number. scikit-learn and numpy are imported only here.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from budgetlm.assistant.safety import (
    ANSWERED_KINDS,
    FORMAT_VERSION,
    MODEL_FORMAT,
    REFUSED_KINDS,
    Featurizer,
    Kind,
    SafetyModel,
    phrases,
    question_tokens,
    softmax,
)
from budgetlm.assistant.safety_data import (
    GenerationConfig,
    LabelledQuestion,
    SafetyReport,
    evaluate,
    grammar_sha256,
    load_grammar,
    safety_examples,
)

PLAIN_CLASSES: tuple[Kind, ...] = ("in_scope", "educational", "unrelated")
"""Kinds that are one class each; refused kinds get one class per refusal topic."""


@dataclass(frozen=True)
class TrainConfig:
    """How ``train`` fits the shipped model."""

    seed: int = 0
    """Seed of the question generator (and of word dropout)."""
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    """Training and validation question generation."""
    c_grid: tuple[float, ...] = (2.0, 4.0, 8.0)
    """Inverse regularization strengths tried; validation picks one."""
    dropout_copies: int = 2
    """Extra copies of each training question with words dropped at random."""
    dropout_rate: float = 0.25
    """Chance that each word is dropped in a copy."""
    min_df: int = 2
    """Features seen in fewer training questions are dropped."""
    char_min: int = 3
    """Smallest character n-gram."""
    char_max: int = 5
    """Largest character n-gram."""
    lexicon_min_count: int = 5
    """Words seen this often in training questions form the spelling lexicon."""
    target_recall: float = 0.99
    """Refusal recall the refuse threshold must reach on validation families."""
    unrelated_miss_cost: float = 0.1
    """Cost of an unrelated question answered, relative to an in-scope one called unrelated."""
    max_iter: int = 3000
    """Iteration cap of the solver."""
    max_features: int = 12000
    """The model keeps this many features (largest weights) and is fitted again on them."""
    coef_scale: int = 100
    """Weights are stored as integers in units of ``1 / coef_scale``."""


def choose_thresholds(
    probs: Sequence[Mapping[Kind, float]], labels: Sequence[Kind], config: TrainConfig
) -> tuple[float, float]:
    """Thresholds from validation kind probabilities and labels.

    Refuse: on a grid of 0.01..0.99, the thresholds whose refusal recall reaches
    ``target_recall``; of those, the ones with fewest false refusals; of those, the middle one.
    Unrelated: among questions not refused, fewest in-scope/educational questions called
    unrelated plus ``unrelated_miss_cost`` per unrelated question let through.
    """
    refuse_p = [p["regulated_advice"] + p["harmful"] for p in probs]
    scored = list(zip(refuse_p, labels, strict=True))
    positives = sum(y in REFUSED_KINDS for y in labels)
    grid = [i / 200 for i in range(2, 199)]
    feasible: list[tuple[int, float]] = []
    for t in grid:
        hits = sum(r >= t for r, y in scored if y in REFUSED_KINDS)
        if hits >= config.target_recall * positives:
            feasible.append((sum(r >= t for r, y in scored if y in ANSWERED_KINDS), t))
    if not feasible:
        feasible = [(0, grid[0])]
    fewest = min(fr for fr, _ in feasible)
    tied = [t for fr, t in feasible if fr == fewest]
    refuse = tied[len(tied) // 2]
    rest = [(p["unrelated"], y) for p, (r, y) in zip(probs, scored, strict=True) if r < refuse]

    def cost(u: float) -> float:
        wrong = sum(p >= u for p, y in rest if y in ANSWERED_KINDS)
        missed = sum(p < u for p, y in rest if y == "unrelated")
        return wrong + config.unrelated_miss_cost * missed

    return refuse, min(grid, key=lambda u: (cost(u), abs(u - 0.5)))


def dropout_copies(
    questions: Sequence[LabelledQuestion], slang: Mapping[str, str], config: TrainConfig
) -> list[str]:
    """``dropout_copies`` copies of every question (in order), each word dropped with
    ``dropout_rate``: normalized tokens joined by spaces (normalizing them again is a no-op)."""
    rng = random.Random(f"{config.seed}/dropout")
    copies = []
    for _ in range(config.dropout_copies):
        for question in questions:
            tokens = question_tokens(question.text, slang)
            kept = [t for t in tokens if rng.random() >= config.dropout_rate]
            copies.append(" ".join(kept or tokens))
    return copies


def balanced_weights(y: Sequence[int], kinds: Sequence[Kind]) -> list[float]:
    """Sample weights giving every kind the same total weight, split evenly between its
    classes (so twelve refusal topics do not outweigh the one in-scope class); mean 1."""
    per_class = Counter(y)
    classes_of_kind = Counter(kinds)
    raw = [1.0 / (classes_of_kind[kinds[k]] * per_class[k]) for k in y]
    scale = len(y) / sum(raw)
    return [w * scale for w in raw]


def lexicon(
    questions: Sequence[LabelledQuestion], slang: Mapping[str, str], min_count: int
) -> list[str]:
    """Words seen at least ``min_count`` times, most frequent first (ties: A-Z)."""
    counts = Counter(t for q in questions for t in question_tokens(q.text, slang))
    common = [w for w, n in counts.items() if n >= min_count]
    return sorted(common, key=lambda w: (-counts[w], w))


def fit(
    texts: Sequence[str],
    y: Sequence[int],
    weights: Sequence[float],
    featurizer: Featurizer,
    c: float,
    config: TrainConfig,
) -> tuple[Any, Any]:
    """TF-IDF vectorizer and logistic regression, fitted again on the ``max_features``
    features with the largest weights when there are more."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    def fit_on(vocabulary: Sequence[str] | None) -> tuple[Any, Any]:
        vectorizer = TfidfVectorizer(
            analyzer=featurizer.features,
            sublinear_tf=True,
            min_df=config.min_df,
            vocabulary=vocabulary,
        )
        x = vectorizer.fit_transform(texts)
        model = LogisticRegression(C=c, max_iter=config.max_iter)
        # One BLAS thread: SciPy's L-BFGS-B is ~40x slower with threaded OpenBLAS here
        # (scipy/scipy#23161 and follow-ups), and one thread also fixes the summation order.
        with threadpool_limits(limits=1, user_api="blas"):
            return vectorizer, model.fit(x, y, sample_weight=weights)

    vectorizer, model = fit_on(None)
    if len(vectorizer.vocabulary_) <= config.max_features:
        return vectorizer, model
    strength = np.abs(model.coef_).max(axis=0)
    keep = np.sort(np.argsort(-strength, kind="stable")[: config.max_features])
    return fit_on(list(vectorizer.get_feature_names_out()[keep]))


def document(
    vectorizer: Any,
    model: Any,
    classes: Sequence[str],
    kinds: Sequence[Kind],
    featurizer: Featurizer,
    config: TrainConfig,
) -> dict[str, Any]:
    """The model file's content for a fitted vectorizer and logistic regression (temperature
    and thresholds still at neutral values; ``calibrate`` sets them)."""
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    scale = config.coef_scale
    return {
        "format": MODEL_FORMAT,
        "version": FORMAT_VERSION,
        "classes": list(classes),
        "class_kinds": list(kinds),
        "features": {
            "char_min": featurizer.char_min,
            "char_max": featurizer.char_max,
            "slang": dict(sorted(featurizer.slang.items())),
            "lexicon": list(featurizer.lexicon),
        },
        "vocabulary": vocabulary,
        "idf": [round(float(v), 3) for v in vectorizer.idf_],
        "coef_scale": scale,
        "coef": [[round(float(w) * scale) for w in row] for row in model.coef_.T],
        "intercept": [round(float(b), 4) for b in model.intercept_],
        "temperature": 1.0,
        "thresholds": {"refuse": 0.5, "unrelated": 0.5},
    }


def calibrate(
    doc: dict[str, Any],
    questions: Sequence[LabelledQuestion],
    labels: Sequence[int],
    config: TrainConfig,
) -> SafetyReport:
    """Set the document's temperature and thresholds on validation questions; return how the
    calibrated model does on them."""
    candidate = SafetyModel(doc)
    scores = [candidate.scores(q.text) for q in questions]

    def log_loss(t: float) -> float:
        probs = (softmax(s, t)[k] for s, k in zip(scores, labels, strict=True))
        return -sum(math.log(max(p, 1e-12)) for p in probs)

    doc["temperature"] = min((round(0.25 * 1.1**i, 4) for i in range(30)), key=log_loss)
    probs = [candidate.kind_probabilities(softmax(s, doc["temperature"])) for s in scores]
    refuse, unrelated = choose_thresholds(probs, [q.kind for q in questions], config)
    doc["thresholds"] = {"refuse": refuse, "unrelated": unrelated}
    chosen = SafetyModel(doc)
    return evaluate(questions, [chosen.decide(softmax(s, chosen.temperature))[0] for s in scores])


def train(config: TrainConfig) -> dict[str, Any]:
    """Fit, calibrate and choose the safety model; return the model file's content."""
    topics = phrases()["topics"]
    classes = [*PLAIN_CLASSES, *(t for t in topics if topics[t]["kind"] in REFUSED_KINDS)]
    kinds = [*PLAIN_CLASSES, *(cast(Kind, topics[c]["kind"]) for c in classes[3:])]
    label = {name: i for i, name in enumerate(classes)}

    def target(q: LabelledQuestion) -> int:
        return label[q.topic if q.kind in REFUSED_KINDS and q.topic else q.kind]

    train_qs = safety_examples("train", config.seed, config.generation)
    val_qs = safety_examples("validation", config.seed, config.generation)
    slang = load_grammar().slang
    words = lexicon(train_qs, slang, config.lexicon_min_count)
    featurizer = Featurizer(slang, words, config.char_min, config.char_max)
    texts = [q.text for q in train_qs] + dropout_copies(train_qs, slang, config)
    y = [target(q) for q in train_qs] * (1 + config.dropout_copies)
    weights = balanced_weights(y, kinds)
    best: tuple[tuple[float, float], dict[str, Any]] | None = None
    for c in config.c_grid:
        vectorizer, model = fit(texts, y, weights, featurizer, c, config)
        doc = document(vectorizer, model, classes, kinds, featurizer, config)
        report = calibrate(doc, val_qs, [target(q) for q in val_qs], config)
        doc["grammar_sha256"] = grammar_sha256()
        doc["training"] = {
            "config": asdict(config),
            "train_questions": len(train_qs),
            "validation_questions": len(val_qs),
            "validation": {
                "C": c,
                "refusal_recall": round(report.refusal_recall, 4),
                "false_refusal_rate": round(report.false_refusal_rate, 4),
                "kind_accuracy": round(report.kind_accuracy, 4),
            },
        }
        key = (report.false_refusal_rate - report.refusal_recall, -c)
        if best is None or key < best[0]:
            best = (key, doc)
    assert best is not None, "c_grid is empty"
    return best[1]


def model_json(doc: Mapping[str, Any]) -> str:
    """The model file's text (compact, stable key order, trailing newline)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
