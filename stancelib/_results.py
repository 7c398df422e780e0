"""Result types: one sentence (`Prediction`), a batch as columns (`Columns`) or as bare arrays (`Scores`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

__all__ = ["Columns", "LabelScores", "Prediction", "Scores"]


class LabelScores(Mapping[str, float]):
    """An immutable mapping of label names to probabilities.

    Cheaper to build than a dict (the names and their positions are shared by
    every result of a model), compares equal to a dict with the same items,
    and pickles.

    Examples
    --------
    >>> s = LabelScores(("a", "b"), {"a": 0, "b": 1}, (0.25, 0.75))
    >>> s["b"], dict(s) == {"a": 0.25, "b": 0.75}
    (0.75, True)
    """

    __slots__ = ("_index", "_names", "_values")

    def __init__(self, names: tuple[str, ...], index: Mapping[str, int], values: tuple[float, ...]) -> None:
        self._names = names
        self._index = index
        self._values = values

    def __getitem__(self, name: str) -> float:
        return self._values[self._index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return repr(dict(zip(self._names, self._values)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (LabelScores, (self._names, dict(self._index), self._values))


@dataclass(frozen=True, slots=True)
class Prediction:
    """Labels and probabilities for one sentence.

    Attributes
    ----------
    text : str
        The sentence as given.
    topics : tuple of str
        Topics whose probability reaches the model's per-topic threshold, in
        the model's topic order. Empty means off-agenda.
    topic_scores : Mapping[str, float]
        Every topic of the model mapped to its probability in [0, 1]
        (independent per topic; they need not sum to 1).
    tone : str
        The most probable tone.
    tone_scores : Mapping[str, float]
        Every tone mapped to its probability; they sum to 1.
    n_known_features : int
        How many known feature occurrences (words, n-grams, prefixes the
        model has weights for) the sentence had. 0 means the model saw
        nothing it knows: for text without any word (empty, blank,
        punctuation only) the result is defined as no topics and neutral
        with probability 1; for words the model has never seen the scores
        are the model's prior.
    """

    text: str
    topics: tuple[str, ...]
    topic_scores: Mapping[str, float]
    tone: str
    tone_scores: Mapping[str, float]
    n_known_features: int

    @property
    def n_features(self) -> int:
        """Deprecated name of `n_known_features`."""
        warnings.warn(
            "Prediction.n_features is deprecated; use Prediction.n_known_features "
            "(n_features is the vocabulary size in model.json)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.n_known_features

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict.

        Examples
        --------
        >>> p = Prediction("Hi.", (), {"iran": 0.1}, "neutral",
        ...                {"cooperative": 0.2, "critical": 0.1, "neutral": 0.7}, 1)
        >>> p.to_dict()["tone"]
        'neutral'
        """
        return {
            "text": self.text,
            "topics": list(self.topics),
            "topic_scores": dict(self.topic_scores),
            "tone": self.tone,
            "tone_scores": dict(self.tone_scores),
            "n_known_features": self.n_known_features,
        }


def _filled(cls: type, columns: Mapping[str, Sequence[Any]], n: int) -> list[Any]:
    """`n` instances of the slotted class `cls` with each field set from its column.

    The same objects as calling the constructor per row, built by one C-level
    pass per field (the constructor of a frozen dataclass costs about a
    microsecond a call).
    """
    objs: list[Any] = list(map(object.__new__, repeat(cls, n)))
    for name, values in columns.items():
        # The slot's own descriptor sets it, as the frozen constructor does.
        list(map(cls.__dict__[name].__set__, objs, values))
    return objs


def label_scores(
    names: tuple[str, ...], index: Mapping[str, int], rows: Sequence[tuple[float, ...]]
) -> list[LabelScores]:
    """One `LabelScores` per row of values, all sharing `names` and `index`."""
    n = len(rows)
    return _filled(LabelScores, {"_names": repeat(names, n), "_index": repeat(index, n), "_values": rows}, n)  # type: ignore[dict-item]


def predictions(
    texts: Sequence[str],
    topics: Sequence[tuple[str, ...]],
    topic_scores: Sequence[LabelScores],
    tones: Sequence[str],
    tone_scores: Sequence[LabelScores],
    n_known_features: Sequence[int],
) -> list[Prediction]:
    """Many `Prediction`s at once, field by field: equal to calling `Prediction(...)` per row."""
    columns = {
        "text": texts,
        "topics": topics,
        "topic_scores": topic_scores,
        "tone": tones,
        "tone_scores": tone_scores,
        "n_known_features": n_known_features,
    }
    return _filled(Prediction, columns, len(texts))


class Scores:
    """Probabilities for a batch, as arrays (the fast path behind batch jobs).

    Attributes
    ----------
    topic_probs : ndarray of shape (n, n_topics)
    tone_probs : ndarray of shape (n, n_tones)
    n_known_features : ndarray of shape (n,), int
        As `Prediction.n_known_features`, per text.
    """

    __slots__ = ("n_known_features", "tone_probs", "topic_probs")

    def __init__(self, topic_probs: np.ndarray, tone_probs: np.ndarray, n_known_features: np.ndarray) -> None:
        self.topic_probs = topic_probs
        self.tone_probs = tone_probs
        self.n_known_features = n_known_features

    @property
    def n_features(self) -> np.ndarray:
        """Deprecated name of `n_known_features`."""
        warnings.warn(
            "Scores.n_features is deprecated; use Scores.n_known_features",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.n_known_features


class Columns:
    """Labels and probabilities for a batch, one array per field (`Model.predict_columns`).

    Row ``i`` holds exactly the values of ``model.predict(texts[i])``, bit
    for bit, without a `Prediction` object per sentence.

    Attributes
    ----------
    topic_names, tone_names : tuple of str
        The model's labels, in column order.
    topic_scores : ndarray of shape (n, n_topics), float64
        As `Prediction.topic_scores`.
    tone_scores : ndarray of shape (n, n_tones), float64
        As `Prediction.tone_scores`.
    topic_flags : ndarray of shape (n, n_topics), bool
        Whether each topic reaches the model's threshold (`Prediction.topics`).
    tone : ndarray of shape (n,), str
        The most probable tone (`Prediction.tone`).
    n_known_features : ndarray of shape (n,), int64
    model : str
        The model's name, for the ``model`` column.

    Examples
    --------
    >>> import stancelib
    >>> c = stancelib.load_model().predict_columns(["We condemn the strike.", "Hello."])
    >>> c.tone.tolist(), c.topic_scores.shape[0]
    (['critical', 'neutral'], 2)
    """

    __slots__ = (
        "model",
        "n_known_features",
        "tone",
        "tone_names",
        "tone_scores",
        "topic_flags",
        "topic_names",
        "topic_scores",
    )

    def __init__(
        self,
        topic_names: tuple[str, ...],
        tone_names: tuple[str, ...],
        topic_scores: np.ndarray,
        tone_scores: np.ndarray,
        topic_flags: np.ndarray,
        tone: np.ndarray,
        n_known_features: np.ndarray,
        model: str,
    ) -> None:
        self.topic_names = topic_names
        self.tone_names = tone_names
        self.topic_scores = topic_scores
        self.tone_scores = tone_scores
        self.topic_flags = topic_flags
        self.tone = tone
        self.n_known_features = n_known_features
        self.model = model

    def __len__(self) -> int:
        return len(self.tone)

    @property
    def topics(self) -> list[tuple[str, ...]]:
        """Per row, the topics reaching their threshold, in model order (`Prediction.topics`)."""
        names = self.topic_names
        return [tuple([t for t, f in zip(names, row) if f]) for row in self.topic_flags.tolist()]

    def to_pandas(self, *, prefix: str = "") -> Any:
        """Return a pandas DataFrame with the flat output columns.

        The columns are ``topics`` (tuples of str), ``tone``,
        ``topic_<name>`` and ``tone_<name>`` (probabilities) and ``model``,
        each name preceded by `prefix` (e.g. ``prefix="stancelib_"``), so
        that they can join a frame that has columns of those names.

        Raises
        ------
        MissingExtraError
            If pandas is not installed.
        """
        from .errors import InputTypeError, MissingExtraError

        if not isinstance(prefix, str):
            raise InputTypeError(f"prefix must be str, got {type(prefix).__name__}")
        try:
            import pandas as pd
        except ImportError:
            raise MissingExtraError(
                "Columns.to_pandas needs pandas: pip install pandas (or use the arrays directly)"
            ) from None
        data: dict[str, Any] = {f"{prefix}topics": self.topics, f"{prefix}tone": self.tone}
        for j, name in enumerate(self.topic_names):
            data[f"{prefix}topic_{name}"] = self.topic_scores[:, j]
        for j, name in enumerate(self.tone_names):
            data[f"{prefix}tone_{name}"] = self.tone_scores[:, j]
        data[f"{prefix}model"] = [self.model] * len(self)
        return pd.DataFrame(data)
