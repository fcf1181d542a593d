"""The trained transaction-category model: a linear classifier over hashed n-gram features with
calibrated confidence and a threshold below which a row is left for review.

Training (``CategoryModel.train``):

1. Featurize (``features.Featurizer``) and fit one linear model per fold on K-1 folds,
   scoring the held-out fold. Folds are grouped (by merchant unless groups are given), so
   held-out scores look like scores of merchants the model has never seen: the hard case the
   calibration must be honest about.
2. Fit a temperature ``T`` on those out-of-fold scores (``softmax(scores / T)`` minimizing
   log loss), then pick the threshold: the smallest confidence at which out-of-fold rows at or
   above it are right at least ``target_precision`` of the time (never below 0.5).
3. Fit the final model on all rows.

Every family is linear (``scores = X @ coef.T + intercept``), so prediction scores each distinct
token once per batch (``features.Factored``), keeping unit scores between calls
(``unit_scores``), and the saved model is just arrays: an ``.npz``
(the used columns of the coefficients, the intercepts) and a JSON file (config, classes,
temperature, threshold). Nothing is pickled.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import softmax

from budgetlm.categorize.calibration import ABSENT, Calibration, calibrate
from budgetlm.categorize.features import FeatureConfig, Featurizer, PayeeFn, tokens
from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.unit_scores import UnitScoreCache
from budgetlm.errors import InputError

Family = Literal["linear_svm", "logreg", "sgd", "complement_nb"]
"""Model families ``train`` can fit; all are linear in the features."""

FORMAT_VERSION = 1
"""Version of the saved layout (``model.json`` + ``model.npz``)."""

_FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ModelConfig:
    """How a ``CategoryModel`` is trained."""

    family: Family = "linear_svm"
    """Classifier: ``linear_svm`` (liblinear, one-vs-rest), ``logreg`` (multinomial, lbfgs),
    ``sgd`` (modified Huber loss) or ``complement_nb``."""
    C: float = 0.5
    """Inverse regularization strength for ``linear_svm`` and ``logreg``."""
    alpha: float = 1e-5
    """Regularization for ``sgd`` and smoothing for ``complement_nb``."""
    max_iter: int = 5000
    """Iteration cap for the iterative solvers (set high enough to converge)."""
    class_weight: Literal["balanced"] | None = None
    """``balanced`` reweights rare categories; None weights every row alike."""
    features: FeatureConfig = field(default_factory=FeatureConfig)
    """Featurizer settings."""
    calibration: Literal["temperature", "none"] = "temperature"
    """``temperature`` fits ``T`` on out-of-fold scores; ``none`` uses ``T = 1``."""
    calibration_folds: int = 3
    """Folds for out-of-fold scores (2 or more); they also choose the threshold."""
    calibration_groups: Literal["payee", "row"] = "payee"
    """How rows are kept together in folds when ``train`` gets no groups: by normalized payee
    (held-out folds hold unseen merchants) or each row alone."""
    target_precision: float = 0.97
    """Out-of-fold accuracy the covered rows must reach at the chosen threshold."""
    min_threshold: float = 0.5
    """The threshold is never lower: below it the guess is more likely wrong than right."""
    seed: int = 0
    """Seed for the stochastic solvers."""

    def __post_init__(self) -> None:
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds must be >= 2, got {self.calibration_folds}")
        if not 0.0 < self.target_precision <= 1.0:
            raise ValueError(f"target_precision must be in (0, 1], got {self.target_precision}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of ``to_dict``."""
        feats = {"known_merchants": False, **data.get("features", {})}  # saved before it existed
        if "char_ngrams" in feats:
            feats["char_ngrams"] = tuple(feats["char_ngrams"])
        return cls(**{**data, "features": FeatureConfig(**feats)})


class CategoryModel:
    """A trained category model; immutable once built."""

    def __init__(
        self,
        config: ModelConfig,
        classes: Sequence[str],
        coef: npt.NDArray[np.float32],
        intercept: npt.NDArray[np.float32],
        calibration: Calibration,
        payee_fn: PayeeFn | None = None,
    ) -> None:
        """Wrap trained arrays; use ``train`` or ``load`` rather than calling this.

        Args:
            config: The training config.
            classes: Category names, in coefficient row order.
            coef: Weights, shape (n_features, n_classes): one column per class (rounded to
                half precision).
            intercept: Biases, shape (n_classes,).
            calibration: Temperature and threshold.
            payee_fn: Payee normalizer for rows without a payee (default ``normalize_payee``).
        """
        self.config = config
        self._classes = tuple(classes)
        # Weights are kept at half precision, exactly as ``save`` stores them, so a loaded model
        # gives bit-identical probabilities (the rounding costs nothing measurable).
        self._coef = np.ascontiguousarray(np.asarray(coef).astype(np.float16), dtype=np.float32)
        self._intercept = np.asarray(intercept, dtype=np.float32)
        self.calibration = calibration
        self._payee_fn = payee_fn
        self._featurizer = Featurizer(config.features, payee_fn)
        self._unit_scores = UnitScoreCache(len(self._classes))

    @property
    def classes(self) -> tuple[str, ...]:
        """Category names the model can answer, in probability column order."""
        return self._classes

    @property
    def threshold(self) -> float:
        """Confidence below which a prediction should go to review."""
        return self.calibration.threshold

    # -- training ---------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        texts: Sequence[TransactionText],
        labels: Sequence[str],
        config: ModelConfig | None = None,
        *,
        groups: Sequence[str] | None = None,
        payee_fn: PayeeFn | None = None,
        workers: int = 2,
    ) -> CategoryModel:
        """Fit a model on labelled transactions.

        Args:
            texts: Transactions.
            labels: Category of each transaction (any label set; one example is enough).
            config: Settings (defaults to ``ModelConfig()``).
            groups: Optional group of each row (e.g. household) kept together in folds.
            payee_fn: Payee normalizer for rows without a payee.
            workers: Threads fitting the fold models and the final model side by side
                (liblinear releases the GIL). With 1 the result is bit-for-bit reproducible;
                with more, threads share liblinear's random state and runs agree only to the
                solver's tolerance.

        Returns:
            The trained model.

        Raises:
            InputError: No rows, lengths differ, an empty label, or fewer than two categories
                (one category cannot be told apart from anything, so no model is built).
        """
        cfg = config or ModelConfig()
        _check_training_data(texts, labels, groups)
        classes = sorted(set(labels))
        y = np.searchsorted(np.asarray(classes), np.asarray(labels))
        featurizer = Featurizer(cfg.features, payee_fn)
        x = featurizer.transform(texts)
        folds = _fold_ids(texts, groups, cfg, featurizer)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            final = pool.submit(_fit_linear, x, y, len(classes), cfg)
            oof = _out_of_fold_scores(x, y, folds, len(classes), cfg, pool)
            coef, intercept = final.result()
        temperature = cfg.calibration == "temperature"
        calibration = calibrate(oof, y, cfg.target_precision, cfg.min_threshold, temperature)
        return cls(cfg, classes, coef, intercept, calibration, payee_fn)

    # -- prediction -------------------------------------------------------------------------

    def decision_function(self, texts: Sequence[TransactionText]) -> _FloatArray:
        """Raw class scores, shape (n, n_classes)."""
        factored = self._featurizer.factor(texts)
        unit_scores = self._unit_scores.scores(factored.names, self._score_units)
        scores = factored.rows @ unit_scores + self._intercept
        return np.asarray(scores, dtype=np.float64)

    def _score_units(self, names: Sequence[str]) -> npt.NDArray[np.float32]:
        # Same dtype on both sides, or scipy would upcast (copy) the whole coefficient matrix.
        units = self._featurizer.unit_vectors(names).astype(np.float32, copy=False)
        scores: npt.NDArray[np.float32] = units @ self._coef
        return scores

    def predict_proba(self, texts: Sequence[TransactionText]) -> _FloatArray:
        """Calibrated class probabilities, shape (n, n_classes), columns as ``classes``."""
        if not texts:
            return np.zeros((0, len(self._classes)))
        scores = self.decision_function(texts) / self.calibration.temperature
        probs: _FloatArray = softmax(scores, axis=1)
        return probs

    def predict(self, texts: Sequence[TransactionText]) -> list[tuple[str, float]]:
        """Most likely category and its calibrated probability for each of ``texts``."""
        probs = self.predict_proba(texts)
        best = probs.argmax(axis=1)
        top = probs[np.arange(len(best)), best]
        return [(self._classes[i], float(p)) for i, p in zip(best, top, strict=True)]

    # -- persistence ------------------------------------------------------------------------

    def dumps(self, notes: Mapping[str, Any] | None = None) -> tuple[str, bytes]:
        """The model as JSON metadata and compressed ``.npz`` weights (no pickle).

        Args:
            notes: Provenance kept in the metadata (e.g. what it was trained on).
        """
        used = np.flatnonzero(np.any(self._coef != 0, axis=1)).astype(np.int32)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            columns=used,
            weights=self._coef[used].astype(np.float16),
            intercept=self._intercept,
        )
        meta = {
            "format": FORMAT_VERSION,
            "classes": list(self._classes),
            "config": self.config.to_dict(),
            "calibration": asdict(self.calibration),
            "notes": dict(notes or {}),
        }
        return json.dumps(meta, indent=2) + "\n", buffer.getvalue()

    @classmethod
    def loads(cls, meta: str, weights: bytes, payee_fn: PayeeFn | None = None) -> CategoryModel:
        """A model from what ``dumps`` returned (no pickle is ever loaded)."""
        with np.load(io.BytesIO(weights), allow_pickle=False) as arrays:
            return cls._from_parts(json.loads(meta), dict(arrays), payee_fn)

    def save(self, path: str | Path, notes: Mapping[str, Any] | None = None) -> None:
        """Write ``model.json`` and ``model.npz`` into the directory ``path`` (created)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        meta, weights = self.dumps(notes)
        (folder / "model.npz").write_bytes(weights)
        (folder / "model.json").write_text(meta, "utf-8")

    @classmethod
    def load(cls, path: str | Path, payee_fn: PayeeFn | None = None) -> CategoryModel:
        """Read a model written by ``save``."""
        folder = Path(path)
        meta = (folder / "model.json").read_text("utf-8")
        return cls.loads(meta, (folder / "model.npz").read_bytes(), payee_fn)

    @classmethod
    def _from_parts(
        cls, meta: dict[str, Any], arrays: dict[str, Any], payee_fn: PayeeFn | None
    ) -> CategoryModel:
        if meta.get("format") != FORMAT_VERSION:
            raise InputError(f"unsupported model format {meta.get('format')!r}")
        config = ModelConfig.from_dict(meta["config"])
        classes = meta["classes"]
        coef = np.zeros((config.features.n_features, len(classes)), dtype=np.float32)
        coef[arrays["columns"]] = arrays["weights"].astype(np.float32)
        calibration = Calibration(**meta["calibration"])
        return cls(config, classes, coef, arrays["intercept"], calibration, payee_fn)

    @classmethod
    def default(cls) -> CategoryModel:
        """The shipped model (``budgetlm/categorize/default_model``), loaded once."""
        return _default_model()

    def with_threshold(self, threshold: float) -> CategoryModel:
        """A copy answering with another review threshold."""
        calibration = replace(self.calibration, threshold=threshold)
        return CategoryModel(
            self.config,
            self._classes,
            self._coef,
            self._intercept,
            calibration,
            self._featurizer._payee_fn,
        )


@cache
def _default_model() -> CategoryModel:
    folder = resources.files("budgetlm.categorize").joinpath("default_model")
    meta = json.loads(folder.joinpath("model.json").read_text("utf-8"))
    with folder.joinpath("model.npz").open("rb") as handle, np.load(handle) as arrays:
        return CategoryModel._from_parts(meta, dict(arrays), None)


# -- training helpers ---------------------------------------------------------------------


def _check_training_data(
    texts: Sequence[TransactionText], labels: Sequence[str], groups: Sequence[str] | None
) -> None:
    if len(texts) != len(labels):
        raise InputError(f"{len(texts)} transactions but {len(labels)} labels")
    if groups is not None and len(groups) != len(texts):
        raise InputError(f"{len(texts)} transactions but {len(groups)} groups")
    if any(not isinstance(label, str) or not label for label in labels):
        raise InputError("every training label must be a non-empty category name")
    distinct = set(labels)
    if len(distinct) < 2:
        only = f" (only {next(iter(distinct))!r})" if distinct else ""
        raise InputError(f"training needs at least two categories{only}")


def _fold_ids(
    texts: Sequence[TransactionText],
    groups: Sequence[str] | None,
    cfg: ModelConfig,
    featurizer: Featurizer,
) -> npt.NDArray[np.int64]:
    """Fold of each row, by a stable hash of its group."""
    if groups is None:
        if cfg.calibration_groups == "row":
            return np.arange(len(texts)) % cfg.calibration_folds
        groups = [" ".join(tokens(featurizer.payee(t))) for t in texts]
    hashes = [zlib.crc32(g.encode("utf-8", "surrogatepass")) for g in groups]
    return np.asarray(hashes, dtype=np.int64) % cfg.calibration_folds


def _out_of_fold_scores(
    x: sp.csr_matrix,
    y: npt.NDArray[np.int64],
    folds: npt.NDArray[np.int64],
    k: int,
    cfg: ModelConfig,
    pool: Executor,
) -> _FloatArray:
    """Scores of each row by a model that did not see its fold; NaN rows were not scored."""
    oof = np.full((x.shape[0], k), np.nan)
    jobs = []
    for fold in range(cfg.calibration_folds):
        held, kept = folds == fold, folds != fold
        seen = np.unique(y[kept])
        if held.any() and len(seen) >= 2:
            remap = np.searchsorted(seen, y[kept])
            job = pool.submit(_fit_linear, x[kept], remap, len(seen), cfg)
            jobs.append((held, seen, job))
    for held, seen, job in jobs:
        coef, intercept = job.result()
        scores = np.full((int(held.sum()), k), ABSENT)
        scores[:, seen] = np.asarray(x[held] @ coef) + intercept
        oof[held] = scores
    return oof


def _fit_linear(
    x: sp.csr_matrix, y: npt.NDArray[np.int64], k: int, cfg: ModelConfig
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Fit ``cfg.family`` on rows ``x`` with labels ``0..k-1``; (coef (F, k), intercept (k,))."""
    estimator = _estimator(cfg)
    estimator.fit(x, y)
    coef = np.asarray(
        estimator.coef_ if cfg.family != "complement_nb" else estimator.feature_log_prob_
    )
    intercept = np.asarray(getattr(estimator, "intercept_", np.zeros(len(coef))), dtype=np.float64)
    if cfg.family == "complement_nb":
        intercept = np.zeros(len(coef))
    if k == 2 and coef.shape[0] == 1:  # binary: sklearn keeps one row for the positive class
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef.T.astype(np.float32), intercept.astype(np.float32)


def _estimator(cfg: ModelConfig) -> Any:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    if cfg.family == "linear_svm":
        return LinearSVC(
            C=cfg.C,
            max_iter=cfg.max_iter,
            class_weight=cfg.class_weight,
            dual=True,
            random_state=cfg.seed,
        )
    if cfg.family == "logreg":
        return LogisticRegression(
            C=cfg.C, max_iter=cfg.max_iter, class_weight=cfg.class_weight, random_state=cfg.seed
        )
    if cfg.family == "sgd":
        return SGDClassifier(
            loss="modified_huber",
            alpha=cfg.alpha,
            max_iter=cfg.max_iter,
            tol=1e-4,
            class_weight=cfg.class_weight,
            random_state=cfg.seed,
        )
    return ComplementNB(alpha=cfg.alpha)
