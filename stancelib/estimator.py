"""A scikit-learn-compatible estimator around `train` and `Model`.

For users who put stancelib in a Pipeline, ``cross_val_score`` or a grid
search. Needs the ``train`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._dataset import Record
from ._fit import TrainConfig, train
from ._metrics import evaluate_arrays, targets
from ._model import Model
from ._results import Prediction
from ._text import as_text_list
from .errors import InputError, ParameterError

__all__ = ["StanceClassifier"]


class StanceClassifier(BaseEstimator):
    """Topic + tone classifier with scikit-learn's estimator API.

    Parameters
    ----------
    word_ngrams : int
    prefix_len : int
    topic_C, tone_C : float
    class_weight : {"balanced", None}
    min_df : int
    folds : int
        Folds used to tune the per-topic thresholds.
    seed : int

    Notes
    -----
    ``y`` is a sequence of ``(topics, tone)`` pairs, e.g.
    ``[(("iran",), "critical"), ((), "neutral")]``. `predict` returns an
    object array of `Prediction`; `predict_proba` returns an array with one
    column per topic then one per tone (see ``columns_``); `score` is the
    mean of topic micro-F1 and tone macro-F1 (weighted by ``sample_weight``
    if given), which grid searches maximise.
    Since ``y`` holds pairs, it is not declared a classifier to scikit-learn,
    so that cross-validation splits with plain (unstratified) folds. Its tags
    declare string input (one text per sample), not a numeric 2-D array.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> clf = StanceClassifier(topic_C=4.0)
    >>> clone(clf).get_params()["topic_C"]
    4.0
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "word_ngrams": [Interval(Integral, 1, 3, closed="both")],
        "prefix_len": [Interval(Integral, 0, 12, closed="both")],
        "topic_C": [Interval(Real, 0, None, closed="neither")],
        "tone_C": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), None],
        "min_df": [Interval(Integral, 1, None, closed="left")],
        "folds": [Interval(Integral, 2, None, closed="left")],
        "seed": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        word_ngrams: int = 2,
        prefix_len: int = 0,
        topic_C: float = 8.0,
        tone_C: float = 8.0,
        class_weight: str | None = "balanced",
        min_df: int = 2,
        folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.prefix_len = prefix_len
        self.topic_C = topic_C
        self.tone_C = tone_C
        self.class_weight = class_weight
        self.min_df = min_df
        self.folds = folds
        self.seed = seed

    def __sklearn_tags__(self) -> Any:
        """Declare what the estimator takes: strings, one per sample, and ``(topics, tone)`` targets."""
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        tags.target_tags.single_output = False
        return tags

    def _records(self, X: Iterable[str], y: Sequence[Any]) -> list[Record]:
        texts = as_text_list(X)
        pairs = list(y)
        if len(pairs) != len(texts):
            raise InputError(f"X has {len(texts)} texts but y has {len(pairs)} labels")
        records = []
        for i, (text, pair) in enumerate(zip(texts, pairs)):
            try:
                topics, tone = pair
            except (TypeError, ValueError):
                raise InputError(f"y[{i}] must be a (topics, tone) pair, got {pair!r}") from None
            if isinstance(topics, (str, bytes)) or not isinstance(topics, (list, tuple, set, frozenset, np.ndarray)):
                raise InputError(
                    f"y[{i}]: topics must be a list of topic names, got {topics!r}; "
                    "write (['iran'], 'critical'), not ('iran', 'critical')"
                )
            if not all(isinstance(t, str) for t in topics) or not isinstance(tone, str):
                raise InputError(f"y[{i}] must be (list of str, str), got {pair!r}")
            records.append(Record(text, tuple(sorted(topics)), tone, "y", i))
        return records

    def fit(self, X: Iterable[str], y: Sequence[Any]) -> StanceClassifier:
        """Train on texts `X` and ``(topics, tone)`` pairs `y`; the label sets are taken from `y`.

        Returns
        -------
        StanceClassifier
            The fitted estimator itself.
        """
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            raise ParameterError(str(exc)) from None
        config = TrainConfig(
            word_ngrams=(self.word_ngrams,),
            prefix_len=(self.prefix_len,),
            topic_C=(float(self.topic_C),),
            tone_C=(float(self.tone_C),),
            class_weight=self.class_weight,
            min_df=self.min_df,
            folds=self.folds,
            seed=self.seed,
        )
        self.model_: Model = train(self._records(X, y), None, config).model
        self.classes_ = np.array(list(self.model_.tones))
        self.topics_ = self.model_.topics
        self.columns_ = [*(f"topic:{t}" for t in self.model_.topics), *(f"tone:{t}" for t in self.model_.tones)]
        return self

    def _fitted_model(self) -> Model:
        check_is_fitted(self, "model_", msg="This %(name)s is not fitted yet; call fit(X, y) first")
        return self.model_

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Return an object array of `Prediction`, one per text."""
        preds: list[Prediction] = self._fitted_model().predict(as_text_list(X))
        out = np.empty(len(preds), dtype=object)
        out[:] = preds
        return out

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Return probabilities, shape (n, n_topics + n_tones): topic columns, then tone columns."""
        scores = self._fitted_model().score_batch(as_text_list(X))
        return np.hstack([scores.topic_probs, scores.tone_probs])

    def score(self, X: Iterable[str], y: Sequence[Any], sample_weight: Any = None) -> float:
        """Return the mean of topic micro-F1 and tone macro-F1 on `X`, `y`.

        Parameters
        ----------
        X : iterable of str
        y : sequence of (topics, tone) pairs
        sample_weight : array-like of shape (n,), optional
            Weights of the samples in every count behind the F1 scores.

        Returns
        -------
        float
        """
        model = self._fitted_model()
        records = self._records(X, y)
        Y, tone = targets(records, model.topics, model.tones)
        scores = model.score_batch([r.text for r in records])
        pred_topics = scores.topic_probs >= np.asarray(model.thresholds)
        pred_tone = scores.tone_probs.argmax(axis=1)
        if sample_weight is None:
            metrics = evaluate_arrays(model.topics, model.tones, Y, pred_topics, tone, pred_tone)
            return float((metrics["topic_micro_f1"] + metrics["tone_macro_f1"]) / 2)
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (len(records),) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise InputError(f"sample_weight must be {len(records)} finite non-negative numbers")
        return float(
            (_weighted_micro_f1(Y, pred_topics, w) + _weighted_macro_f1(tone, pred_tone, len(model.tones), w)) / 2
        )


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def _weighted_micro_f1(true: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    ww = w[:, None]
    return _f1(
        float(np.sum(ww * (true & pred))), float(np.sum(ww * (~true & pred))), float(np.sum(ww * (true & ~pred)))
    )


def _weighted_macro_f1(true: np.ndarray, pred: np.ndarray, m: int, w: np.ndarray) -> float:
    f1s = [
        _f1(
            float(w[(true == c) & (pred == c)].sum()),
            float(w[(true != c) & (pred == c)].sum()),
            float(w[(true == c) & (pred != c)].sum()),
        )
        for c in range(m)
    ]
    return float(np.mean(f1s)) if f1s else 0.0
