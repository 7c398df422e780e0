"""Documents: segment a text, label every sentence, summarise the stance per topic."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._model import Model
from ._results import Prediction
from ._segment import segment
from ._text import check_text

__all__ = [
    "NEUTRAL_BAND",
    "SentenceResult",
    "TopicSummary",
    "DocumentAnalysis",
    "FrozenMap",
    "analyze_with",
    "summarize",
    "tone_from_score",
]


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

#: Half-width of the neutral band of the tone score: a document or topic whose
#: mean P(cooperative) - P(critical) lies within [-NEUTRAL_BAND, +NEUTRAL_BAND]
#: (bounds included) reads "neutral"; above it "cooperative", below it "critical".
NEUTRAL_BAND = 0.1


def tone_from_score(score: float, tones: tuple[str, ...] | list[str] | None = None) -> str:
    """Return the tone a tone score reads as: one rule for documents, topics and trends.

    ``score > NEUTRAL_BAND`` is cooperative, ``score < -NEUTRAL_BAND`` critical,
    anything in between, the bounds included, neutral. A 40/20/40 split
    between cooperative, neutral and critical scores 0 and reads neutral.

    Examples
    --------
    >>> tone_from_score(0.25), tone_from_score(-0.05), tone_from_score(-0.1), tone_from_score(-0.27)
    ('cooperative', 'neutral', 'neutral', 'critical')
    """
    if score > NEUTRAL_BAND:
        return "cooperative"
    if score < -NEUTRAL_BAND:
        return "critical"
    return "neutral"


def _argmax_tone(values: dict[str, float], tones: tuple[str, ...]) -> str:
    """Return the tone with the largest value; a tie goes to neutral if tied, else to the first in model order."""
    best = max(values.values())
    tied = [t for t in tones if values[t] == best]
    return "neutral" if "neutral" in tied else tied[0]


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
        """The tone the topic's `tone_score` reads as (see `tone_from_score`).

        For a model without both polar tones: the most frequent tone, a tie
        going to neutral when it is among the tied, else to model order.
        """
        if self.tone_score is not None:
            return tone_from_score(self.tone_score)
        return _argmax_tone(dict(self.tone_shares), tuple(self.tone_shares))

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
        Overall tone: what `tone_score` reads as (see `tone_from_score`:
        above +0.1 cooperative, below -0.1 critical, otherwise neutral, the
        bounds included); ``"neutral"`` for a document without sentences.
        For a model without both polar tones, the tone with the highest
        mean probability (ties: neutral if tied, else model order).
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
    return summarize(model, spans, model.predict(texts))


def summarize(model: Model, spans: Sequence[tuple[int, int]], predictions: Sequence[Prediction]) -> DocumentAnalysis:
    """Build the `DocumentAnalysis` of sentences already cut (at `spans`) and labelled by `model`.

    `analyze_with` cuts with stancelib's segmenter; the spaCy component
    passes the pipeline's own sentences.
    """
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
        doc_score = float(np.mean(lean)) if polar else None
        overall = (
            tone_from_score(doc_score)
            if doc_score is not None
            else _argmax_tone({t: float(v) for t, v in zip(tones, mean)}, tones)
        )
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
