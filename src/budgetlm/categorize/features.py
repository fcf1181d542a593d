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
(``Factored``), which is what makes 50k+ rows/s possible in pure Python + scipy. A unit's score
never changes, so the model also keeps scores between calls (``unit_scores``): one row alone,
the server's case, is then mostly lookups (0.70 -> 0.30 ms p50 in ``categorize_bench.py``).

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
    """A batch of rows as ``rows @ unit_vectors(names)``: ``rows`` (n_rows x n_units) carries
    the scaled unit counts, ``names`` each distinct unit's name (``Featurizer.unit_vectors``
    hashes them)."""

    rows: sp.csr_matrix
    names: list[str]


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
        factored = self.factor(texts)
        out: sp.csr_matrix = (factored.rows @ self.unit_vectors(factored.names)).tocsr()
        out.sum_duplicates()
        return out

    def factor(self, texts: Sequence[TransactionText]) -> Factored:
        """``texts`` as scaled unit counts times unit vectors (see the module docstring)."""
        with paused_gc():
            return self._factor(texts)

    def _factor(self, texts: Sequence[TransactionText]) -> Factored:
        cfg = self.config
        vocab: dict[str, int] = {}
        meta = self._meta_ids(texts, vocab)
        lists, which, hints = self._text_ids(texts, vocab)
        names = list(vocab)
        text = self._text_blocks(lists, names)
        hinted = hints[which] if cfg.known_merchants else np.full(len(texts), -1)
        rows = _rows_matrix(text, which, meta, cfg.meta_weight, hinted, cfg.known_weight)
        return Factored(rows, names)

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
        """Unit ids of the amount, date and account indicators, shape (n, 7).

        Only the indicators the rows use are named and interned: a batch of one row hashes
        seven meta units, not every sign, bin and day there is.
        """
        n = len(texts)
        values = np.fromiter((float(t.amount) for t in texts), np.float64, n)
        sign, level, roundness = amount_codes(values)
        days = np.fromiter((t.date.toordinal() for t in texts), np.int64, n)
        month_day = np.fromiter((t.date.day for t in texts), np.int64, n)
        accounts: dict[str | None, int] = {}
        account = np.fromiter((accounts.setdefault(t.account, len(accounts)) for t in texts),
                              np.int64, n)  # fmt: skip
        account_names = [" ".join(tokens(a or "", 64)) for a in accounts]
        bins, levels, signs = _MAX_MAGNITUDE_BIN + 1, 4, len(_SIGNS)
        columns: list[tuple[npt.NDArray[np.int64], int, Callable[[int], str]]] = [
            # (code of each row, number of codes, name of a code)
            (sign, signs, lambda c: f"msign={_SIGNS[c]}"),
            (sign * bins + level, signs * bins,
             lambda c: f"mmag={_SIGNS[c // bins]}{c % bins}"),
            (sign * levels + roundness, signs * levels,
             lambda c: f"mround={_SIGNS[c // levels]}{c % levels}"),
            # ordinal 1 was a Monday; any fixed offset will do
            (days % 7, 7, lambda c: f"mdow={c}"),
            (month_day, 32, lambda c: f"mdom={c}"),
            (account, len(account_names), lambda c: f"macct={account_names[c]}"),
            (account * signs + sign, len(account_names) * signs,
             lambda c: f"macct={account_names[c // signs]}{_SIGNS[c % signs]}"),
        ]  # fmt: skip
        # One code space for all columns (a few hundred codes): mark the codes in use, name
        # and intern only those.
        starts = np.cumsum([0] + [size for _, size, _ in columns])
        codes = np.stack(
            [c + start for (c, _, _), start in zip(columns, starts[:-1], strict=True)], 1
        )
        in_use = np.zeros(int(starts[-1]), dtype=bool)
        in_use[codes] = True
        distinct = np.flatnonzero(in_use)
        column_of = np.searchsorted(starts, distinct, side="right") - 1
        unit_of_code = np.zeros(len(in_use), dtype=np.int64)
        unit_of_code[distinct] = [
            vocab.setdefault(columns[k][2](code - int(starts[k])), len(vocab))
            for code, k in zip(distinct.tolist(), column_of.tolist(), strict=True)
        ]
        ids: npt.NDArray[np.int64] = unit_of_code[codes]
        return ids

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

    def unit_vectors(self, names: Sequence[str]) -> sp.csr_matrix:
        """The hashed feature vector of each unit (``Factored.names``), one row each."""
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

    def _activations(self, names: list[str]) -> npt.NDArray[np.float64]:
        """How many features each unit's vector holds (what ``unit_vectors`` would hash),
        counted without building them."""
        lo, hi = self.config.char_ngrams
        padded = np.fromiter(map(len, names), np.int64, len(names)) + 1  # ' body ' for 'tbody'
        grams = np.maximum(0, padded[:, None] - np.arange(lo, hi + 1) + 1).sum(axis=1) + 1
        is_token = np.fromiter((name[0] in "dp" for name in names), bool, len(names))
        return np.where(is_token, grams, 1).astype(np.float64)

    def _text_blocks(self, lists: list[list[int]], names: list[str]) -> _TextBlocks:
        """Each distinct text's unit ids, each block (description, payee) scaled by
        1/sqrt(its number of feature activations)."""
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        ids = np.fromiter(chain.from_iterable(lists), np.int64, int(lengths.sum()))
        key_of = np.repeat(np.arange(len(lists)), lengths)
        is_payee = np.fromiter((name[0] in "pP" for name in names), bool, len(names))
        block = is_payee[ids].astype(np.int64)
        activations = self._activations(names)[ids]
        totals = np.bincount(key_of * 2 + block, activations, 2 * len(lists)).reshape(-1, 2)
        weights = np.array([1.0, self.config.payee_weight])
        with np.errstate(divide="ignore"):
            scale = np.where(totals > 0, weights / np.sqrt(totals), 0.0)
        return _TextBlocks(ids, scale[key_of, block], lengths, len(names))


@dataclass(frozen=True)
class _TextBlocks:
    """The text units of each distinct text, flat: ``lengths[k]`` entries of ``ids`` and
    ``values`` per text ``k``, in order."""

    ids: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    lengths: npt.NDArray[np.int64]
    n_units: int


def _rows_matrix(
    text: _TextBlocks,
    which: npt.NDArray[np.int64],
    meta: npt.NDArray[np.int64],
    meta_weight: float,
    hinted: npt.NDArray[np.int64],
    hint_weight: float,
) -> sp.csr_matrix:
    """Rows x units: each row's text units (of text ``which[row]``), its meta indicators and
    its known-merchant hint (where ``hinted >= 0``), written straight into CSR arrays (one
    matrix built, no COO sort: this runs on every single-row request)."""
    n, per_row = meta.shape
    text_counts = text.lengths[which]
    has_hint = hinted >= 0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(text_counts + per_row + has_hint, out=indptr[1:])
    indices = np.empty(indptr[-1], dtype=np.int64)
    data = np.empty(indptr[-1], dtype=np.float64)
    text_total = int(text_counts.sum())
    # position of each text entry inside its row: 0, 1, ... restarting at every row
    within = np.arange(text_total) - np.repeat(np.cumsum(text_counts) - text_counts, text_counts)
    text_starts = np.cumsum(text.lengths) - text.lengths
    source = np.repeat(text_starts[which], text_counts) + within
    target = np.repeat(indptr[:-1], text_counts) + within
    indices[target], data[target] = text.ids[source], text.values[source]
    meta_at = (indptr[:-1] + text_counts)[:, None] + np.arange(per_row)
    indices[meta_at], data[meta_at] = meta, meta_weight
    hint_at = indptr[1:][has_hint] - 1
    indices[hint_at], data[hint_at] = hinted[has_hint], hint_weight
    return sp.csr_matrix((data, indices, indptr), shape=(n, text.n_units))


def _hint_id(name: str, vocab: dict[str, int]) -> int:
    """Unit id of the category of the well-known brand ``name`` names, or -1."""
    from budgetlm.categorize.known_merchants import known_category

    category = known_category(name)
    return -1 if category is None else vocab.setdefault("k" + category, len(vocab))


def _clean(text: str, max_chars: int) -> str:
    return _DIGITS.sub("0", text[:max_chars].lower())


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
