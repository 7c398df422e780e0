"""Result types of a prediction: one sentence (`Prediction`) or a batch as arrays (`Scores`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LabelScores", "Prediction", "Scores"]


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
