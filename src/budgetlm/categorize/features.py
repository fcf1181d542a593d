"""Features of a transaction for the category model.

A row is a bag of *units*, each mapping to a fixed sparse vector in one hashed feature space:

* description tokens (lower-cased, digit runs folded to ``0``, split on non-word characters):
  the token's character n-grams (``char_wb`` style: padded with spaces, never crossing a word
  boundary) plus the token itself as a word feature; word n-grams (2 tokens and up) are units
  of a single feature each;
* the same for the normalized payee (``normalize_payee`` of the description unless the
  transaction already carries one), hashed apart from the description's;
* amount, date and account indicators: sign, log2-magnitude bin (crossed with sign), a
  round-number level (cents, whole, tens, hundreds; crossed with sign), day of week, day of
  month, and the account name (alone and crossed with sign: a positive amount on a card is a
  payment, on checking often income). Amounts need no currency: only sign, order of magnitude
  and roundness are used;
* optionally, the category of a well-known brand the payee names (``known_merchants``), so
  merchants missing from the training rows are not all strangers.

Why hashing (``FeatureHasher``): no vocabulary to fit or ship, constant memory, the same
featurizer for the shipped model and a user's personal one, and unseen merchants still land on
n-grams the model has weights for. Collisions cost little at 2^18 buckets for a few hundred
thousand distinct n-grams.

Why units: since character n-grams never cross a token, a row's vector is the sum of its units'
vectors. Each distinct unit is featurized once per batch and rows are assembled by one sparse
product, ``rows @ units``; a linear model goes further and scores each distinct unit once
(``Factored``), which is what makes 50k+ rows/s possible in pure Python + scipy.

Each text block is scaled by ``1/sqrt(number of its feature activations)`` (about L2
normalization, computable from the units alone); meta features are constant ``meta_weight``.
Descriptions are cut to ``max_chars`` characters, so a 10 kB memo costs what a normal row does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher

from budgetlm.categorize.paused_gc import paused_gc
from budgetlm.categorize.records import TransactionText

PayeeFn = Callable[[str], str]
"""Maps a raw description to a clean payee name."""

_DIGITS = re.compile(r"\d+")
_TOKEN = re.compile(r"[^\W_]+")
_MAX_MAGNITUDE_BIN = 24
_SIGNS = ("-", "0", "+")
_META_PER_ROW = 7


@dataclass(frozen=True)
class FeatureConfig:
    """How transactions become feature vectors."""

    char_ngrams: tuple[int, int] = (3, 5)
    """Smallest and largest character n-gram, taken inside space-padded tokens."""
    max_word_ngram: int = 2
    """Largest word n-gram; tokens themselves (1-grams) are always features."""
    n_features: int = 2**18
    """Hashed feature space size; the model stores one weight per class and used bucket."""
    use_payee: bool = True
    """Add n-grams of the normalized payee as a second text block."""
    payee_weight: float = 1.0
    """Scale of the payee block relative to the description block (which is 1)."""
    meta_weight: float = 0.5
    """Value of each amount, date and account indicator."""
    max_chars: int = 256
    """Descriptions and payees are cut to this many characters before featurizing."""
    known_merchants: bool = True
    """Add the category of a well-known brand the payee names (the description when there is no
    payee; see ``known_merchants``) as an indicator feature."""
    known_weight: float = 2.0
    """Value of that indicator (1, 2 and 3 gave 74.5%, 75.4% and 75.5% on merchants held out of
    the training pool, against 71.7% without it)."""

    def __post_init__(self) -> None:
        lo, hi = self.char_ngrams
        if not 1 <= lo <= hi:
            raise ValueError(f"char_ngrams must be 1 <= lo <= hi, got {self.char_ngrams}")
        if self.max_word_ngram < 1:
            raise ValueError(f"max_word_ngram must be at least 1, got {self.max_word_ngram}")
        if self.n_features < 16:
            raise ValueError(f"n_features must be at least 16, got {self.n_features}")


@dataclass(frozen=True)
class Factored:
    """A batch of rows as ``rows @ units``: ``rows`` (n_rows x n_units) carries the scaled unit
    counts, ``units`` (n_units x n_features) each distinct unit's feature vector."""

    rows: sp.csr_matrix
    units: sp.csr_matrix

    def dense_rows(self) -> sp.csr_matrix:
        """The materialized feature matrix (n_rows x n_features)."""
        out: sp.csr_matrix = (self.rows @ self.units).tocsr()
        out.sum_duplicates()
        return out


def tokens(text: str, max_chars: int = 256) -> list[str]:
    """Word tokens of ``text``: lower-cased, digit runs folded to ``0``, pure numbers dropped.

    >>> tokens("SQ *LUCY'S COFFEE #0423 San Luis")
    ['sq', 'lucy', 's', 'coffee', 'san', 'luis']
    """
    folded = _DIGITS.sub("0", text[:max_chars].lower())
    return [t for t in _TOKEN.findall(folded) if t != "0"]


def _char_grams(tag: str, token: str, lo: int, hi: int) -> list[str]:
    padded = f" {token} "
    size = len(padded)
    return [tag + padded[i : i + n] for n in range(lo, hi + 1) for i in range(size - n + 1)]


def amount_codes(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sign (0 ``-``, 1 zero, 2 ``+``), log2-magnitude bin and round level of each amount.

    Round level: 0 has cents, 1 whole, 2 a multiple of 10, 3 of 100. Non-finite amounts count
    as zero.

    >>> [c.tolist() for c in amount_codes(np.array([-4.25, 1200.0, 0.0]))]
    [[0, 2, 1], [2, 10, 0], [0, 3, 3]]
    """
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    magnitude = np.minimum(np.abs(values), 1e15)
    sign = (np.sign(values) + 1).astype(np.int64)
    level = np.minimum(np.log2(magnitude + 1.0).astype(np.int64), _MAX_MAGNITUDE_BIN)
    cents = np.rint(magnitude * 100).astype(np.int64)
    whole, tens, hundreds = cents % 100 == 0, cents % 1000 == 0, cents % 10000 == 0
    roundness = whole.astype(np.int64) + tens + hundreds
    return sign, level, roundness


class Featurizer:
    """Turns transactions into hashed feature vectors (stateless apart from its config)."""

    def __init__(self, config: FeatureConfig, payee_fn: PayeeFn | None = None) -> None:
        """Create a featurizer.

        Args:
            config: Feature settings.
            payee_fn: Normalizer used for rows without a payee; defaults to
                ``budgetlm.categorize.normalize.normalize_payee``.
        """
        self.config = config
        self._payee_fn = payee_fn
        self._hasher = FeatureHasher(config.n_features, input_type="string", alternate_sign=False)

    def transform(self, texts: Sequence[TransactionText]) -> sp.csr_matrix:
        """The feature matrix (n_rows x n_features, float64) of ``texts``."""
        return self.factor(texts).dense_rows()

    def factor(self, texts: Sequence[TransactionText]) -> Factored:
        """``texts`` as scaled unit counts times unit vectors (see the module docstring)."""
        with paused_gc():
            return self._factor(texts)

    def _factor(self, texts: Sequence[TransactionText]) -> Factored:
        vocab: dict[str, int] = {}
        meta = self._meta_ids(texts, vocab)
        lists, which, hints = self._text_ids(texts, vocab)
        names = list(vocab)
        units = self._unit_matrix(names)
        n_units = units.shape[0]
        is_payee = np.fromiter((name[0] in "pP" for name in names), bool, n_units)
        text_rows = self._text_rows(lists, which, units, is_payee)
        n = len(texts)
        meta_rows = sp.csr_matrix(
            (np.full(meta.size, self.config.meta_weight), meta.ravel(),
             np.arange(0, meta.size + 1, _META_PER_ROW)),
            shape=(n, n_units),
        )  # fmt: skip
        rows = text_rows + meta_rows
        hinted = hints[which]
        if self.config.known_merchants and (hinted >= 0).any():
            at = np.flatnonzero(hinted >= 0)
            weight = np.full(at.size, self.config.known_weight)
            rows = rows + sp.csr_matrix((weight, (at, hinted[at])), shape=(n, n_units))
        return Factored(rows.tocsr(), units)

    def payee(self, text: TransactionText) -> str:
        """The payee the featurizer uses for ``text``: its own, else the normalized description."""
        if text.payee is not None:
            return text.payee
        return self._payee(text.description[: self.config.max_chars])

    def _payee(self, description: str) -> str:
        if self._payee_fn is None:
            from budgetlm.categorize.normalize import normalize_payee

            self._payee_fn = normalize_payee
        return self._payee_fn(description)

    # -- rows -> unit ids -----------------------------------------------------------------

    def _meta_ids(
        self, texts: Sequence[TransactionText], vocab: dict[str, int]
    ) -> npt.NDArray[np.int64]:
        """Unit ids of the amount, date and account indicators, shape (n, 7)."""
        n = len(texts)
        values = np.fromiter((float(t.amount) for t in texts), np.float64, n)
        sign, level, roundness = amount_codes(values)
        days = np.fromiter((t.date.toordinal() for t in texts), np.int64, n)
        month_day = np.fromiter((t.date.day for t in texts), np.int64, n)
        accounts: dict[str | None, int] = {}
        account = np.fromiter((accounts.setdefault(t.account, len(accounts)) for t in texts),
                              np.int64, n)  # fmt: skip
        table = {
            "sign": _ids([f"msign={s}" for s in _SIGNS], vocab),
            "mag": _ids([f"mmag={s}{b}" for s in _SIGNS for b in range(_MAX_MAGNITUDE_BIN + 1)],
                        vocab).reshape(len(_SIGNS), -1),
            "round": _ids([f"mround={s}{r}" for s in _SIGNS for r in range(4)],
                          vocab).reshape(len(_SIGNS), -1),
            "dow": _ids([f"mdow={d}" for d in range(7)], vocab),
            "dom": _ids([f"mdom={d}" for d in range(32)], vocab),
        }  # fmt: skip
        names = [" ".join(tokens(a or "", 64)) for a in accounts]
        acct = _ids([f"macct={a}" for a in names], vocab)
        acct_sign = _ids([f"macct={a}{s}" for a in names for s in _SIGNS], vocab)
        acct_sign = acct_sign.reshape(len(names), len(_SIGNS))
        columns = [
            table["sign"][sign],
            table["mag"][sign, level],
            table["round"][sign, roundness],
            table["dow"][days % 7],  # ordinal 1 was a Monday; any fixed offset will do
            table["dom"][month_day],
            acct[account],
            acct_sign[account, sign],
        ]
        return np.stack(columns, axis=1)

    def _text_ids(
        self, texts: Sequence[TransactionText], vocab: dict[str, int]
    ) -> tuple[list[list[int]], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Unit ids of each distinct (description, payee), which one each row has, and the unit
        id of each distinct one's known-merchant hint (-1 for none)."""
        cfg = self.config
        keys: dict[tuple[str, str | None], int] = {}
        which = np.fromiter(
            (keys.setdefault((t.description, t.payee), len(keys)) for t in texts),
            np.int64,
            len(texts),
        )
        cache: dict[str, list[int]] = {}  # tag + cleaned text -> unit ids
        payees: dict[str, list[int]] = {}  # payee as given -> unit ids (payees repeat a lot)
        lists = []
        hints: list[int] = []
        hint_of: dict[str, int] = {}  # payee (description if none) -> hint unit id or -1
        for description, payee in keys:
            ids = _cached_ids("d", _clean(description, cfg.max_chars), cache, vocab, cfg)
            if cfg.use_payee:
                if payee is None:
                    payee = self._payee(description[: cfg.max_chars])
                payee_ids = payees.get(payee)
                if payee_ids is None:
                    cleaned = _clean(payee, cfg.max_chars)
                    payee_ids = payees[payee] = _cached_ids("p", cleaned, cache, vocab, cfg)
                ids = ids + payee_ids
            lists.append(ids)
            if cfg.known_merchants:
                name = payee or description
                hint = hint_of.get(name)
                if hint is None:
                    hint = hint_of[name] = _hint_id(name, vocab)
                hints.append(hint)
        return lists, which, np.array(hints or [-1] * len(keys), dtype=np.int64)

    # -- unit ids -> matrices ---------------------------------------------------------------

    def _unit_matrix(self, names: list[str]) -> sp.csr_matrix:
        lo, hi = self.config.char_ngrams
        features: list[list[str]] = []
        for name in names:
            tag, body = name[0], name[1:]
            if tag in "dp":  # a token: its char n-grams and itself as a word
                features.append([*_char_grams(tag, body, lo, hi), f"{tag}w {body}"])
            else:  # a word n-gram ("D"/"P"), a meta indicator ("m") or a hint ("k"): one feature
                features.append([name])
        if not features:
            return sp.csr_matrix((0, self.config.n_features))
        matrix: sp.csr_matrix = self._hasher.transform(features).tocsr()
        return matrix

    def _text_rows(
        self,
        lists: list[list[int]],
        which: npt.NDArray[np.int64],
        units: sp.csr_matrix,
        is_payee: npt.NDArray[np.bool_],
    ) -> sp.csr_matrix:
        """Rows x units counts of the text blocks, each block scaled by 1/sqrt(activations)."""
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        ids = np.fromiter(chain.from_iterable(lists), np.int64, int(lengths.sum()))
        key_of = np.repeat(np.arange(len(lists)), lengths)
        activations = np.asarray(units.sum(axis=1)).ravel()[ids]
        block = is_payee[ids].astype(np.int64)
        totals = np.bincount(key_of * 2 + block, activations, 2 * len(lists)).reshape(-1, 2)
        weights = np.array([1.0, self.config.payee_weight])
        with np.errstate(divide="ignore"):
            scale = np.where(totals > 0, weights / np.sqrt(totals), 0.0)
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        per_text = sp.csr_matrix(
            (scale[key_of, block], ids, indptr), shape=(len(lists), units.shape[0])
        )
        rows: sp.csr_matrix = per_text[which]
        return rows


def _hint_id(name: str, vocab: dict[str, int]) -> int:
    """Unit id of the category of the well-known brand ``name`` names, or -1."""
    from budgetlm.categorize.known_merchants import known_category

    category = known_category(name)
    return -1 if category is None else vocab.setdefault("k" + category, len(vocab))


def _clean(text: str, max_chars: int) -> str:
    return _DIGITS.sub("0", text[:max_chars].lower())


def _ids(names: list[str], vocab: dict[str, int]) -> npt.NDArray[np.int64]:
    return np.array([vocab.setdefault(name, len(vocab)) for name in names], dtype=np.int64)


def _cached_ids(
    tag: str, text: str, cache: dict[str, list[int]], vocab: dict[str, int], cfg: FeatureConfig
) -> list[int]:
    key = tag + text
    ids = cache.get(key)
    if ids is None:
        ids = cache[key] = _words_ids(tag, text, vocab, cfg)
    return ids


def _words_ids(tag: str, text: str, vocab: dict[str, int], cfg: FeatureConfig) -> list[int]:
    """Unit ids of one cleaned text: its tokens and its word n-grams."""
    words = [t for t in _TOKEN.findall(text) if t != "0"]
    intern = vocab.setdefault  # a new name gets the next id
    ids = [intern(tag + w, len(vocab)) for w in words]
    upper = tag.upper()
    for n in range(2, cfg.max_word_ngram + 1):
        ids += [intern(upper + " ".join(words[i : i + n]), len(vocab))
                for i in range(len(words) - n + 1)]  # fmt: skip
    return ids
