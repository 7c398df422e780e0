"""`Model`: a trained linear classifier with a topic head and a tone head.

A batch (`predict` on a list, `predict_columns`, `score_batch`) is worked as
a whole: `FeatureSpec.tokens_batch` cuts every text, `FeatureIndex.batch`
turns all tokens into table rows at once (n-grams by integer keys), one
``take`` gathers the rows and one ``reduceat`` sums them per text, in the
same order as the one-sentence path, so results agree bit for bit.

Prediction is numpy and the standard library only. A sentence becomes the list
of its known feature occurrences (see `_features.FeatureIndex`); its vector is
count times IDF, divided by the square root of the sum of IDF squared over the
occurrences, so the logits are

    z = (sum of rows W[ids]) / sqrt(sum of idf[ids] ** 2) + b

summed over occurrences, with W = coef * idf folded in at load time. (For a
sentence without repeated n-grams this is plain L2-normalised binary TF-IDF.) Topics use independent sigmoids
with per-topic thresholds; tone uses a softmax.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self, overload

import numpy as np

from . import _modelfile
from ._features import FeatureIndex, FeatureSpec, Key, extract, str_to_key
from ._results import Columns, LabelScores, Prediction, Scores, label_scores, predictions
from ._text import as_text_list
from .errors import InputError, ModelLoadError

__all__ = ["Model"]

_FIRST = np.zeros(1, dtype=np.intp)
#: Bounds on stored weights: every logit stays finite and every norm positive.
MIN_IDF = 1e-6
MAX_WEIGHT = 1e6
_BATCH = 2048


class Model:
    """A trained stancelib model.

    Build one with `Model.load` (or `stancelib.load_model`) or by training
    (``stancelib train``, `stancelib.estimator.StanceClassifier`); the constructor
    takes the raw arrays.

    Parameters
    ----------
    vocabulary : sequence of str
        Feature keys in stored form (see `_features.key_to_str`).
    idf : ndarray of shape (n_features,)
    topic_coef : ndarray of shape (n_features, n_topics)
    topic_intercept : ndarray of shape (n_topics,)
    tone_coef : ndarray of shape (n_features, n_tones)
    tone_intercept : ndarray of shape (n_tones,)
    topics, tones : sequence of str
        Label names, in column order.
    thresholds : sequence of float
        Per-topic decision thresholds on the probability.
    spec : FeatureSpec
    metadata : mapping, optional
        Provenance and metrics; stored in ``model.json``.

    Notes
    -----
    A `Model` is immutable after construction and safe to share between
    threads: `predict` reads its arrays and writes nothing.
    """

    def __init__(
        self,
        *,
        vocabulary: Sequence[str],
        idf: np.ndarray,
        topic_coef: np.ndarray,
        topic_intercept: np.ndarray,
        tone_coef: np.ndarray,
        tone_intercept: np.ndarray,
        topics: Sequence[str],
        tones: Sequence[str],
        thresholds: Sequence[float],
        spec: FeatureSpec,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        n = len(vocabulary)
        self.topics: tuple[str, ...] = tuple(topics)
        self.tones: tuple[str, ...] = tuple(tones)
        k, m = len(self.topics), len(self.tones)
        shapes = {
            "idf": ((n,), idf.shape),
            "topic_coef": ((n, k), topic_coef.shape),
            "topic_intercept": ((k,), topic_intercept.shape),
            "tone_coef": ((n, m), tone_coef.shape),
            "tone_intercept": ((m,), tone_intercept.shape),
        }
        for name, (want, got) in shapes.items():
            if tuple(got) != want:
                raise ModelLoadError(
                    f"array {name!r} has shape {tuple(got)}, expected {want} for {n} features, "
                    f"{k} topics and {m} tones; the model files do not belong together: retrain or copy again"
                )
        if m < 2:
            raise ModelLoadError(f"a model needs at least two tones, got {list(self.tones)}")
        if len(set(self.topics)) != k or len(set(self.tones)) != m:
            raise ModelLoadError("label names must be distinct")
        if len(thresholds) != k:
            raise ModelLoadError(f"{len(thresholds)} thresholds for {k} topics")
        arrays = (idf, topic_coef, topic_intercept, tone_coef, tone_intercept)
        if not all(np.all(np.isfinite(a)) for a in arrays):
            raise ModelLoadError("model arrays contain NaN or infinity; retrain the model")
        # Bounds that keep every logit finite (and no norm zero) for any text.
        if n and not (np.min(idf) >= MIN_IDF and np.max(idf) <= MAX_WEIGHT):
            raise ModelLoadError(
                f"array 'idf' has values outside [{MIN_IDF:g}, {MAX_WEIGHT:g}] (zero or huge weights); "
                "the model is damaged: retrain or copy it again"
            )
        for name, a in zip(("topic_coef", "topic_intercept", "tone_coef", "tone_intercept"), arrays[1:]):
            if a.size and float(np.max(np.abs(a))) > MAX_WEIGHT:
                raise ModelLoadError(
                    f"array {name!r} has values beyond ±{MAX_WEIGHT:g}; the model is damaged: retrain or copy it again"
                )
        bad = [t for t in thresholds if isinstance(t, bool) or not 0.0 <= float(t) <= 1.0]
        if bad:
            raise ModelLoadError(f"thresholds must be numbers from 0 to 1, got {bad}")
        self.spec = spec
        self.thresholds: tuple[float, ...] = tuple(float(t) for t in thresholds)
        self.metadata: Mapping[str, Any] = MappingProxyType(dict(metadata or {}))
        self._vocabulary = list(vocabulary)
        self._idf = np.ascontiguousarray(idf, dtype=np.float64)
        self._topic_coef = np.ascontiguousarray(topic_coef, dtype=np.float64)
        self._tone_coef = np.ascontiguousarray(tone_coef, dtype=np.float64)
        self._topic_intercept = np.ascontiguousarray(topic_intercept, dtype=np.float64)
        self._tone_intercept = np.ascontiguousarray(tone_intercept, dtype=np.float64)
        self._features = FeatureIndex(self._vocabulary, spec)
        if self._features.size != n:
            raise ModelLoadError("the vocabulary has repeated entries; retrain the model")
        # One gather serves both heads and the norm: columns are
        # [topic logits | tone logits | idf**2], each row pre-scaled by idf,
        # then the all-zero row for unknown keys and the combined token rows
        # (see `_features.FeatureIndex`).
        base = np.hstack(
            [self._topic_coef * self._idf[:, None], self._tone_coef * self._idf[:, None], (self._idf**2)[:, None]]
        )
        pairs = np.array(self._features.combined, dtype=np.intp).reshape(-1, 2)
        self._table = np.vstack([base, np.zeros((1, k + m + 1)), base[pairs[:, 0]] + base[pairs[:, 1]]])
        self._bias = np.concatenate([self._topic_intercept, self._tone_intercept])
        self._bias_list: list[float] = self._bias.tolist()
        self._k = k
        self._topic_index = {t: i for i, t in enumerate(self.topics)}
        self._tone_index = {t: i for i, t in enumerate(self.tones)}
        self._empty_topics = LabelScores(self.topics, self._topic_index, (0.0,) * k)
        self._empty_tones = (
            LabelScores(self.tones, self._tone_index, tuple(1.0 if t == "neutral" else 0.0 for t in self.tones))
            if "neutral" in self.tones
            else None
        )

    # ------------------------------------------------------------------ I/O
    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Model:
        """Load a model directory written by `save`.

        Raises
        ------
        ModelLoadError
            If the directory is missing, damaged, or of a newer format.
        """
        return cls.from_file(_modelfile.read(directory))

    @classmethod
    def from_file(cls, file: _modelfile.ModelFile) -> Model:
        """Build the model from a directory already read by `stancelib._modelfile.read`."""
        try:
            return cls(**file.arguments)
        except ModelLoadError as exc:
            # The constructor's checks do not know the file: name it.
            raise ModelLoadError(f"{file.directory / _modelfile.ARRAYS_FILE}: {exc}") from None

    def save(self, directory: str | os.PathLike[str], *, extra_files: Mapping[str, str] | None = None) -> Path:
        """Write the model as ``model.json`` plus ``arrays.npz`` (atomically).

        Parameters
        ----------
        directory : path-like
            Created if needed; an existing model there is replaced as a whole
            (files and folders of the user's beside it are kept).

        Raises
        ------
        OutputError
            Before writing anything, if `directory` is an existing file, a
            non-empty directory that is not a model directory, the current
            directory, or inside the installed package's shipped models.
        OutputWriteError
            If writing fails (disk full); the old model is left as it was.
        extra_files : mapping of str to str, optional
            Text files to write beside the model, e.g. ``{"MODEL_CARD.md": ...}``.

        Returns
        -------
        Path
            The model directory.
        """
        metadata, arrays = _modelfile.contents(self.arguments())
        return _modelfile.write(directory, metadata, arrays, extra_files)

    def arguments(self) -> dict[str, Any]:
        """Return the keyword arguments that rebuild this model (arrays shared, not copied).

        Subclasses add theirs; `save`, pickling and `with_metadata` go through it.
        """
        return {
            "vocabulary": self._vocabulary,
            "idf": self._idf,
            "topic_coef": self._topic_coef,
            "topic_intercept": self._topic_intercept,
            "tone_coef": self._tone_coef,
            "tone_intercept": self._tone_intercept,
            "topics": self.topics,
            "tones": self.tones,
            "thresholds": self.thresholds,
            "spec": self.spec,
            "metadata": dict(self.metadata),
        }

    def with_metadata(self, metadata: Mapping[str, Any]) -> Self:
        """Return the same model (same arrays) with other metadata."""
        return type(self)(**{**self.arguments(), "metadata": dict(metadata)})

    def with_thresholds(self, thresholds: Mapping[str, float]) -> Self:
        """Return a copy of the model with other per-topic decision thresholds.

        The copy shares the arrays (nothing is rebuilt, so it is cheap) and
        changes only which topics a probability turns into: a lower threshold
        trades precision for recall. Topics not named keep their threshold.
        The copy's metadata records each change under ``threshold_overrides``
        (``{"iran": {"from": 0.39, "to": 0.3}}``), so ``info`` can show it.

        Parameters
        ----------
        thresholds : mapping of str to float
            Topic name to a threshold in (0, 1].

        Raises
        ------
        InputError
            For a topic the model does not have, or a threshold outside (0, 1].

        Examples
        --------
        >>> from stancelib import load_model
        >>> m = load_model().with_thresholds({"iran": 0.3})
        >>> dict(zip(m.topics, m.thresholds))["iran"]
        0.3
        """
        if not isinstance(thresholds, Mapping):
            raise InputError(f"thresholds must be a mapping of topic to float, got {type(thresholds).__name__}")
        new = list(self.thresholds)
        for topic, value in thresholds.items():
            if topic not in self._topic_index:
                raise InputError(f"unknown topic {topic!r} in thresholds; the model's topics are {list(self.topics)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) <= 1.0:
                raise InputError(f"threshold for {topic!r} must be a number in (0, 1], got {value!r}")
            new[self._topic_index[topic]] = float(value)
        overrides = dict(self.metadata.get("threshold_overrides") or {})
        for topic, old, value in zip(self.topics, self.thresholds, new):
            if old != value:
                first = overrides.get(topic, {}).get("from", old)
                overrides[topic] = {"from": first, "to": value}
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.thresholds = tuple(new)
        copy.metadata = MappingProxyType({**self.metadata, "threshold_overrides": overrides})
        return copy

    # ------------------------------------------------------------- hooks
    #: Subclasses that add logits from another source (a sentence encoder)
    #: set this and override `extra_logits`; the plain n-gram path skips it.
    has_extra_logits = False

    def extra_logits(self, texts: Sequence[str]) -> list[list[float]]:
        """Logits added to the n-gram logits, one row per text: topics, then tones.

        The plain n-gram model adds nothing; a subclass that combines the
        n-grams with other features overrides this and sets
        `has_extra_logits`.
        """
        return [[0.0] * (self._k + len(self.tones)) for _ in texts]

    # ------------------------------------------------------------ features
    @property
    def vocabulary(self) -> list[str]:
        """Feature keys in stored form, in column order (a copy)."""
        return list(self._vocabulary)

    def feature_counts(self, text: str, *, head: str = "topic") -> dict[int, int]:
        """Known feature ids of `text` with how often each occurs, in id order (the slow, exact path).

        Parameters
        ----------
        text : str
        head : {"topic", "tone"}
            Which head's view of the sentence to count (they differ only for
            a model with reporting-frame rules, see `FeatureSpec`).
        """
        index = self._key_index
        tokens = self.spec.tokens(text)[0 if head == "topic" else 1]
        words = [t.decode("utf-8") for t in tokens]
        counts = Counter(index[key] for key in extract(words, self.spec) if key in index)
        return dict(sorted(counts.items()))

    def logit_contributions(self, text: str) -> tuple[dict[int, int], np.ndarray, np.ndarray]:
        """Split the n-gram logits of `text` into one exact share per known feature.

        Returns
        -------
        counts : dict of int to int
            Known feature ids with how often each occurs (as `feature_counts`).
        contributions : ndarray of shape (len(counts), n_topics + n_tones)
            Each feature's share of every logit, in id order: topic logits,
            then tone logits.
        intercepts : ndarray of shape (n_topics + n_tones,)
            The intercepts; a logit is its intercept plus the sum of its
            column of `contributions` (plus any `extra_logits`).
        """
        k, m = self._k, len(self.tones)
        counts = self.feature_counts(text)
        tone_counts = self.feature_counts(text, head="tone") if self.spec.frame else counts
        ids = sorted(counts.keys() | tone_counts.keys())
        contributions = np.zeros((len(ids), k + m))
        for view, columns in ((counts, slice(0, k)), (tone_counts, slice(k, k + m))):
            if not view:
                continue
            rows = self._table[list(view)] * np.array(list(view.values()), dtype=np.float64)[:, None]
            norm = math.sqrt(float(rows[:, -1].sum()))
            where = [ids.index(i) for i in view]
            contributions[where, columns] = rows[:, columns] / norm
        return {i: counts.get(i, tone_counts.get(i, 0)) for i in ids}, contributions, self._bias.copy()

    @cached_property
    def _key_index(self) -> dict[Key, int]:
        return {str_to_key(s): i for i, s in enumerate(self._vocabulary)}

    # ------------------------------------------------------------ predict
    @overload
    def predict(self, texts: str) -> Prediction: ...  # type: ignore[overload-overlap]

    @overload
    def predict(self, texts: Iterable[str]) -> list[Prediction]: ...

    def predict(self, texts: str | Iterable[str]) -> Prediction | list[Prediction]:
        """Label one sentence or a batch.

        Parameters
        ----------
        texts : str or iterable of str
            A `str` gives one `Prediction`; any other iterable of `str`
            (list, tuple, generator, numpy array, pandas Series) gives a list
            in the same order, labelled as a whole batch with the same results,
            bit for bit, as one call per text. For many texts,
            `predict_columns` gives the same values as arrays, faster.

        Raises
        ------
        InputTypeError
            If `texts` is not a str or iterable, or an item is not a str; the
            message names the index and the type.
        """
        if isinstance(texts, str):
            return self._predict_one(texts)
        items = as_text_list(texts)
        out: list[Prediction] = []
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            topic, tone, known = self._exact(chunk)
            out += self._predictions(chunk, topic, tone, known)
        return out

    def predict_columns(self, texts: Iterable[str]) -> Columns:
        """Label a batch into columns: arrays of scores and labels, no object per sentence.

        The fastest way to label many sentences in one process. Row ``i``
        equals ``predict(texts[i])`` bit for bit; `Columns.to_pandas` gives a
        DataFrame.

        Parameters
        ----------
        texts : iterable of str

        Raises
        ------
        InputTypeError
            As for `predict`.
        """
        items = as_text_list(texts)
        n, k, m = len(items), self._k, len(self.tones)
        topic = np.empty((n, k))
        tone = np.empty((n, m))
        known = np.empty(n, dtype=np.int64)
        for start in range(0, n, _BATCH):
            stop = min(start + _BATCH, n)
            topic[start:stop], tone[start:stop], known[start:stop] = self._exact(items[start:stop])
        names = np.array(self.tones)
        flags = topic >= np.array(self.thresholds)
        name = self.model_id
        return Columns(self.topics, self.tones, topic, tone, flags, names[tone.argmax(axis=1)], known, name)

    def _predict_one(self, text: str) -> Prediction:
        tokens, tone_tokens = self.spec.tokens(text)
        ids, known = self._features.ids(tokens)
        extra = self.extra_logits([text])[0] if self.has_extra_logits else None
        if not known:
            return self._featureless(text, tokens, extra)
        # reduceat, as in the batch path, so both sum in the same order.
        row = np.add.reduceat(self._table.take(ids, axis=0), _FIRST, axis=0)[0].tolist()
        if tone_tokens is not tokens:
            row = self._merge(row, self._tone_row(tone_tokens))
        return self._make(text, _probabilities(row, self._bias_list, self._k, extra), known)

    def _tone_row(self, tokens: list[bytes]) -> list[float] | None:
        """Return the summed table row of the tone view, or None when it has no known feature."""
        ids, known = self._features.ids(tokens)
        if not known:
            return None
        return np.add.reduceat(self._table.take(ids, axis=0), _FIRST, axis=0)[0].tolist()

    def _merge(self, row: list[float], tone_row: list[float] | None) -> list[float]:
        """One normalised row from the topic view's row and the tone view's row.

        Each part is divided by the norm of its own view; the last entry is 1,
        so `_probabilities` leaves the row as it is. A tone view without a
        known feature gives the tone intercepts alone.
        """
        k, m = self._k, len(self.tones)
        norm = math.sqrt(row[-1])
        topic = [v / norm for v in row[:k]]
        if tone_row is None:
            return [*topic, *([0.0] * m), 1.0]
        tone_norm = math.sqrt(tone_row[-1])
        return [*topic, *[v / tone_norm for v in tone_row[k : k + m]], 1.0]

    def _make(self, text: str, probs: tuple[list[float], list[float]], n: int) -> Prediction:
        topic_p, tone_p = probs
        return Prediction(
            text,
            tuple([t for t, p, th in zip(self.topics, topic_p, self.thresholds) if p >= th]),
            LabelScores(self.topics, self._topic_index, tuple(topic_p)),
            self.tones[tone_p.index(max(tone_p))],
            LabelScores(self.tones, self._tone_index, tuple(tone_p)),
            n,
        )

    def _featureless(self, text: str, tokens: list[bytes], extra: list[float] | None) -> Prediction:
        if not tokens and self._empty_tones is not None:
            return Prediction(text, (), self._empty_topics, "neutral", self._empty_tones, 0)
        # Words, but none the model knows: the prior, i.e. intercepts only.
        return self._make(text, _prior(self._bias_list, self._k, extra), 0)

    def score_batch(self, texts: Sequence[str]) -> Scores:
        """Probabilities for a batch, as arrays, without building `Prediction` objects.

        The array path behind `score_texts`, streaming and Dask: the same
        whole-batch logits as `predict_columns`, then numpy's exponential, so
        the values agree with `predict` to within a few units in the last
        place (about 1e-15), not bit for bit (use `predict_columns` for
        `predict`'s exact values); `predict` itself is bit-identical between
        single and batch calls.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        Scores
            ``topic_probs`` (n, n_topics), ``tone_probs`` (n, n_tones) and
            ``n_known_features`` (n,). Text without words gets topic probabilities 0
            and tone neutral with probability 1 (if the model has a neutral
            tone); text with only unknown words gets the model's prior.
        """
        items = as_text_list(texts)
        k, m = self._k, len(self.tones)
        topic = np.empty((len(items), k))
        tone = np.empty((len(items), m))
        counts = np.empty(len(items), dtype=np.int64)
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            stop = start + len(chunk)
            z, known, wordless = self._logits(chunk)
            # |z| <= 500 keeps exp finite, so one exp serves sigmoid and softmax.
            ez = np.exp(np.clip(z, -500.0, 500.0))
            topic[start:stop] = ez[:, :k] / (ez[:, :k] + 1.0)
            tone[start:stop] = ez[:, k:] / ez[:, k:].sum(axis=1, keepdims=True)
            if self._empty_tones is not None and wordless.any():
                topic[start:stop][wordless] = 0.0
                tone[start:stop][wordless] = list(self._empty_tones.values())
            counts[start:stop] = known
        return Scores(topic, tone, counts)

    def _logits(self, items: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Logits of a batch, each row exactly as `_predict_one` computes it, with the whole batch at once.

        Returns the logits (n, n_topics + n_tones) (the intercepts, plus any
        `extra_logits`, where the topic view has no known feature), the known
        feature counts (n,), and which items have no word at all.
        """
        n, k = len(items), self._k
        topic_lists, tone_lists = self.spec.tokens_batch(items)
        index, table, bias = self._features, self._table, self._bias
        rows, sizes, known = index.batch(topic_lists)
        z = np.empty((n, len(bias)))
        z[:] = bias
        has = known > 0
        if has.any():
            sums = _segment_sums(table, rows, sizes, has)
            z[has] = sums[:, :-1] / np.sqrt(sums[:, -1:]) + bias
        differ = [i for i in np.flatnonzero(has).tolist() if tone_lists[i] is not topic_lists[i]]
        if differ:
            # The tone head reads its own view: its own sum and norm (see `_merge`).
            rows, sizes, tone_known = index.batch([tone_lists[i] for i in differ])
            at = np.array(differ, dtype=np.intp)
            tone_has = tone_known > 0
            z[at[~tone_has], k:] = 0.0 + bias[k:]
            if tone_has.any():
                sums = _segment_sums(table, rows, sizes, tone_has)
                z[at[tone_has], k:] = sums[:, k:-1] / np.sqrt(sums[:, -1:]) + bias[k:]
        if self.has_extra_logits:
            z += np.asarray(self.extra_logits(items), dtype=np.float64)
        wordless = np.fromiter(map(len, topic_lists), dtype=np.intp, count=n) == 0
        return z, known, wordless

    def _exact(self, items: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Probabilities of a batch, bit for bit those of `_predict_one` (same operations, same order)."""
        k = self._k
        z, known, wordless = self._logits(items)
        t = z[:, :k]
        topic = 1.0 / (1.0 + _exp(-np.where(t > -700.0, t, -700.0)))
        logits = z[:, k:]
        e = _exp(logits - logits.max(axis=1, keepdims=True))
        total = e[:, 0].copy()
        for j in range(1, e.shape[1]):  # left to right, as sum() adds
            total += e[:, j]
        tone = e / total[:, None]
        if self._empty_tones is not None and wordless.any():
            topic[wordless] = 0.0
            tone[wordless] = list(self._empty_tones.values())
        return topic, tone, known

    def _predictions(
        self, items: Sequence[str], topic: np.ndarray, tone: np.ndarray, known: np.ndarray
    ) -> list[Prediction]:
        chosen = (topic >= np.array(self.thresholds)) @ (1 << np.arange(self._k, dtype=np.int64))
        names = self._topic_sets
        topic_sets = [names[c] for c in chosen.tolist()] if names else [self._topic_set(c) for c in chosen.tolist()]
        tones = self.tones
        tone_names = [tones[i] for i in tone.argmax(axis=1).tolist()]
        topic_scores = label_scores(self.topics, self._topic_index, list(map(tuple, topic.tolist())))
        tone_scores = label_scores(tones, self._tone_index, list(map(tuple, tone.tolist())))
        return predictions(items, topic_sets, topic_scores, tone_names, tone_scores, known.tolist())

    def _topic_set(self, bits: int) -> tuple[str, ...]:
        return tuple([t for i, t in enumerate(self.topics) if bits >> i & 1])

    @cached_property
    def _topic_sets(self) -> list[tuple[str, ...]]:
        """Topic tuples by bit mask (for up to 12 topics)."""
        return [self._topic_set(bits) for bits in range(1 << self._k)] if self._k <= 12 else []

    # ------------------------------------------------------------ pickling
    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling is only for handing a model to worker processes; model
        # files on disk are never pickles (see `save`).
        return (_rebuild, (type(self), self.arguments()))

    def __repr__(self) -> str:
        return (
            f"<stancelib.Model {self.model_id!r}: {len(self._vocabulary)} features, "
            f"topics={list(self.topics)}, tones={list(self.tones)}>"
        )

    # ----------------------------------------------------------- identity
    @property
    def version(self) -> str:
        """The model's version: a retrained shipped model is a new version (``"1"`` when none is recorded)."""
        return str(self.metadata.get("version", "1"))

    @property
    def checksum(self) -> str | None:
        """SHA-256 of the model's array file as recorded in ``model.json``; None for a model never saved."""
        files: Any = self.metadata.get("files")
        info = files.get(_modelfile.ARRAYS_FILE) if isinstance(files, Mapping) else None
        return str(info["sha256"]) if isinstance(info, Mapping) and "sha256" in info else None

    @property
    def model_id(self) -> str:
        """Name, version and short checksum, as written into outputs: ``"fast@2+1a2b3c4d5e6f"``.

        Outputs that users keep (streamed records, ``info``, the model card)
        carry it, so a result can always be traced to the model that made it.
        """
        name = self.metadata.get("name", "unnamed")
        checksum = self.checksum
        return f"{name}@{self.version}" + (f"+{checksum[:12]}" if checksum else "")


def _rebuild(cls: type[Model], state: dict[str, Any]) -> Model:
    return cls(**state)


def _segment_sums(table: np.ndarray, rows: np.ndarray, sizes: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per chosen item, the sum of its table rows (items laid out one after the other, `sizes` rows each).

    One gather, then reduceat, which adds each item's rows in order, exactly
    as `Model._predict_one` does.
    """
    if not chosen.all():
        rows = rows[np.repeat(chosen, sizes)]
        sizes = sizes[chosen]
    starts = np.zeros(len(sizes), dtype=np.intp)
    np.cumsum(sizes[:-1], out=starts[1:])
    return np.add.reduceat(table.take(rows, axis=0), starts, axis=0)


def _exp(a: np.ndarray) -> np.ndarray:
    """`math.exp` of every entry: the scalar path's exponential, to the last bit."""
    flat = a.ravel().tolist()
    return np.fromiter(map(math.exp, flat), dtype=np.float64, count=len(flat)).reshape(a.shape)


def _probabilities(
    row: list[float], bias: list[float], k: int, extra: list[float] | None = None
) -> tuple[list[float], list[float]]:
    """Topic sigmoids and tone softmax from a summed table row ``[logits..., sum idf**2]``."""
    norm = math.sqrt(row[-1])
    if extra is None:
        z = [r / norm + b for r, b in zip(row, bias)]
    else:
        z = [r / norm + b + e for r, b, e in zip(row, bias, extra)]
    return _transform(z, k)


def _transform(z: list[float], k: int) -> tuple[list[float], list[float]]:
    """Sigmoids of the first `k` logits, softmax of the rest."""
    exp = math.exp
    # Clamping at -700 keeps exp(-v) finite; the sigmoid is 0 to double precision there.
    topic_p = [1.0 / (1.0 + exp(-(v if v > -700.0 else -700.0))) for v in z[:k]]
    logits = z[k:]
    top = max(logits)
    exps = [exp(v - top) for v in logits]
    total = sum(exps)
    return topic_p, [e / total for e in exps]


def _prior(bias: list[float], k: int, extra: list[float] | None = None) -> tuple[list[float], list[float]]:
    """Probabilities from the intercepts (plus any extra logits) alone: no known n-gram."""
    return _transform(bias if extra is None else [b + e for b, e in zip(bias, extra)], k)
