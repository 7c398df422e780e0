"""The result type of a prediction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Prediction"]


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
    n_features : int
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
    n_features: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

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
            "n_features": self.n_features,
        }
