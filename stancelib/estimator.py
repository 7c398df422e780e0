"""A scikit-learn-compatible estimator around `train` and `Model`.

For users who put stancelib in a Pipeline, ``cross_val_score`` or a grid
search. Needs the ``train`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ._dataset import Record
from ._fit import TrainConfig, train
from ._metrics import evaluate
from ._model import Model
from ._results import Prediction
from ._text import as_text_list

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
    mean of topic micro-F1 and tone macro-F1, which grid searches maximise.
    Since ``y`` holds pairs, it is not declared a classifier to scikit-learn,
    so that cross-validation splits with plain (unstratified) folds.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> clf = StanceClassifier(topic_C=4.0)
    >>> clone(clf).get_params()["topic_C"]
    4.0
    """

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

    def _records(self, X: Iterable[str], y: Sequence[Any]) -> list[Record]:
        texts = as_text_list(X)
        pairs = list(y)
        if len(pairs) != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {len(pairs)} labels")
        records = []
        for i, (text, pair) in enumerate(zip(texts, pairs)):
            try:
                topics, tone = pair
            except (TypeError, ValueError):
                raise ValueError(f"y[{i}] must be a (topics, tone) pair, got {pair!r}") from None
            records.append(Record(text, tuple(sorted(topics)), str(tone), "y", i))
        return records

    def fit(self, X: Iterable[str], y: Sequence[Any]) -> StanceClassifier:
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

    def _check_fitted(self) -> Model:
        model = getattr(self, "model_", None)
        if model is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This StanceClassifier is not fitted yet; call fit(X, y) first")
        return model

    def predict(self, X: Iterable[str]) -> np.ndarray:
        preds: list[Prediction] = self._check_fitted().predict(as_text_list(X))
        out = np.empty(len(preds), dtype=object)
        out[:] = preds
        return out

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        scores = self._check_fitted().score_batch(as_text_list(X))
        return np.hstack([scores.topic_probs, scores.tone_probs])

    def score(self, X: Iterable[str], y: Sequence[Any], sample_weight: Any = None) -> float:
        metrics = evaluate(self._check_fitted(), self._records(X, y))
        return (metrics["topic_micro_f1"] + metrics["tone_macro_f1"]) / 2
