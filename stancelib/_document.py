"""Documents: segment a text, label every sentence, summarise the stance per topic."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._model import Model
from ._results import Prediction
from ._segment import segment
from ._text import check_text

__all__ = ["SentenceResult", "TopicSummary", "DocumentAnalysis", "FrozenMap", "analyze_with"]


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping that, unlike ``types.MappingProxyType``, pickles and deep-copies."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


#: How many driving sentences a topic summary lists.
DRIVERS = 3


@dataclass(frozen=True, slots=True)
class SentenceResult:
    """One sentence of a document: where it is and what the model says."""

    index: int
    start: int
    end: int
    prediction: Prediction

    @property
    def text(self) -> str:
        """The sentence as it appears in the document."""
        return self.prediction.text


@dataclass(frozen=True, slots=True)
class TopicSummary:
    """The stance of a document on one topic.

    Attributes
    ----------
    topic : str
    count : int
        Sentences that carry the topic.
    tone_shares : Mapping[str, float]
        Among those sentences, the share predicted as each tone (sums to 1).
    tone_score : float or None
        Mean of P(cooperative) - P(critical) over those sentences, in [-1, 1];
        None for a model without both tones.
    drivers : tuple of int
        Indices of the sentences that drive the score: those with the largest
        absolute P(cooperative) - P(critical) (the most probable topic when the
        model lacks those tones), at most three, in document order.
    """

    topic: str
    count: int
    tone_shares: Mapping[str, float]
    tone_score: float | None
    drivers: tuple[int, ...]

    @property
    def tone(self) -> str:
        """The most frequent tone among the topic's sentences (ties: model order)."""
        return max(self.tone_shares, key=lambda t: self.tone_shares[t])

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "topic": self.topic,
            "count": self.count,
            "tone": self.tone,
            "tone_shares": dict(self.tone_shares),
            "tone_score": self.tone_score,
            "drivers": list(self.drivers),
        }


@dataclass(frozen=True, slots=True)
class DocumentAnalysis:
    """The analysis of one document.

    Attributes
    ----------
    sentences : tuple of SentenceResult
    topic_summaries : Mapping[str, TopicSummary]
        Topics carried by at least one sentence, most frequent first.
    tone : str
        Overall tone: the tone with the highest mean probability over all
        sentences (``"neutral"`` for a document without sentences).
    tone_scores : Mapping[str, float]
        Mean tone probabilities over all sentences.
    tone_score : float or None
        Mean P(cooperative) - P(critical) over all sentences.
    """

    sentences: tuple[SentenceResult, ...]
    topic_summaries: Mapping[str, TopicSummary]
    tone: str
    tone_scores: Mapping[str, float]
    tone_score: float | None

    @property
    def topics(self) -> Mapping[str, TopicSummary]:
        """Deprecated name of `topic_summaries`."""
        warnings.warn(
            "DocumentAnalysis.topics is deprecated; use DocumentAnalysis.topic_summaries "
            "(.topics is a tuple of topic names on a Prediction)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.topic_summaries

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: overall tone, summaries per topic, every sentence."""
        return {
            "tone": self.tone,
            "tone_scores": dict(self.tone_scores),
            "tone_score": self.tone_score,
            "topic_summaries": {name: s.to_dict() for name, s in self.topic_summaries.items()},
            "sentences": [
                {"index": s.index, "start": s.start, "end": s.end, **s.prediction.to_dict()} for s in self.sentences
            ],
        }


def analyze_with(model: Model, document: str) -> DocumentAnalysis:
    """Segment `document` and summarise `model`'s predictions per topic.

    Examples
    --------
    >>> from stancelib import load_model
    >>> doc = "We welcome the new round of talks on Syria. The talks open in Geneva on Monday."
    >>> a = analyze_with(load_model(), doc)
    >>> len(a.sentences), a.topic_summaries["syria"].count, a.topic_summaries["syria"].tone
    (2, 1, 'cooperative')
    """
    check_text(document, "document")
    spans = segment(document)
    texts = [document[s:e] for s, e in spans]
    predictions = model.predict(texts)
    sentences = tuple(SentenceResult(i, s, e, p) for i, ((s, e), p) in enumerate(zip(spans, predictions)))
    tones = model.tones
    tone_probs = np.array([[p.tone_scores[t] for t in tones] for p in predictions]).reshape(-1, len(tones))
    polar = "cooperative" in tones and "critical" in tones
    if polar:
        lean = tone_probs[:, tones.index("cooperative")] - tone_probs[:, tones.index("critical")]
    summaries = []
    for topic in model.topics:
        members = [i for i, p in enumerate(predictions) if topic in p.topics]
        if not members:
            continue
        counts = {t: 0 for t in tones}
        for i in members:
            counts[predictions[i].tone] += 1
        shares = FrozenMap({t: counts[t] / len(members) for t in tones})
        if polar:
            score: float | None = float(np.mean(lean[members]))
            strength = {i: abs(float(lean[i])) for i in members}
        else:
            score = None
            strength = {i: predictions[i].topic_scores[topic] for i in members}
        top = sorted(members, key=lambda i: (-strength[i], i))[:DRIVERS]
        summaries.append(TopicSummary(topic, len(members), shares, score, tuple(sorted(top))))
    summaries.sort(key=lambda s: -s.count)
    if len(predictions):
        mean = tone_probs.mean(axis=0)
        overall = tones[int(np.argmax(mean))]
        doc_score = float(np.mean(lean)) if polar else None
    else:
        mean = np.zeros(len(tones))
        overall = "neutral" if "neutral" in tones else tones[0]
        doc_score = 0.0 if polar else None
    return DocumentAnalysis(
        sentences,
        FrozenMap({s.topic: s for s in summaries}),
        overall,
        FrozenMap({t: float(v) for t, v in zip(tones, mean)}),
        doc_score,
    )
