"""Exact explanations: which n-grams pushed each score, and by how much.

The model is linear in its features, so a label's logit is exactly its bias
plus one contribution per feature present in the sentence:

    logit = bias + sum(contribution_j),  contribution_j = coef_j * idf_j / norm

For a topic the logit is that of its sigmoid. For the tone the explained
quantity is the *margin* between the predicted tone's logit and the runner-up's,
which is what decides the softmax between them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._model import Model
from ._results import Prediction
from ._text import check_text, tokenize

__all__ = ["Contribution", "LabelExplanation", "Explanation", "explain_with"]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature's exact share of a logit (``word*`` marks a word prefix)."""

    feature: str
    value: float


@dataclass(frozen=True, slots=True)
class LabelExplanation:
    """Why a label scored as it did.

    Attributes
    ----------
    label : str
    head : str
        ``"topic"`` or ``"tone"``.
    probability : float
    versus : str or None
        For the tone: the runner-up tone the margin is measured against.
    logit : float
        The explained quantity: ``bias + sum of all contributions``.
    bias : float
    contributions : tuple of Contribution
        Every feature present, largest positive first.
    """

    label: str
    head: str
    probability: float
    versus: str | None
    logit: float
    bias: float
    contributions: tuple[Contribution, ...]

    def top(self, n: int = 5) -> tuple[Contribution, ...]:
        """Return the `n` features that pushed the score up most."""
        return tuple(c for c in self.contributions[:n] if c.value > 0)

    def to_dict(self, n: int | None = None) -> dict[str, Any]:
        """Return a JSON-ready dict with the first `n` contributions (all if None)."""
        items = self.contributions if n is None else self.contributions[:n]
        return {
            "label": self.label,
            "head": self.head,
            "probability": self.probability,
            "versus": self.versus,
            "logit": self.logit,
            "bias": self.bias,
            "contributions": [[c.feature, c.value] for c in items],
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """Explanations of every predicted topic and of the tone of one sentence.

    Attributes
    ----------
    prediction : Prediction
    topic_explanations : tuple of LabelExplanation
        One per explained topic (the predicted ones, or the most probable).
    tone : LabelExplanation
    """

    prediction: Prediction
    topic_explanations: tuple[LabelExplanation, ...]
    tone: LabelExplanation

    @property
    def topics(self) -> tuple[LabelExplanation, ...]:
        """Deprecated name of `topic_explanations`."""
        warnings.warn(
            "Explanation.topics is deprecated; use Explanation.topic_explanations "
            "(.topics is a tuple of topic names on a Prediction)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.topic_explanations

    def to_dict(self, n: int | None = 10) -> dict[str, Any]:
        """Return a JSON-ready dict with the first `n` contributions per label (all if None)."""
        return {
            "prediction": self.prediction.to_dict(),
            "topic_explanations": [t.to_dict(n) for t in self.topic_explanations],
            "tone": self.tone.to_dict(n),
        }


#: The name under which an encoder's aggregate contribution is reported.
ENCODER_FEATURE = "[sentence encoder]"


def _display(key: str) -> str:
    return key[1:] + "*" if key.startswith("<") else key


def explain_with(model: Model, text: str, topics: tuple[str, ...] | None = None) -> Explanation:
    """Explain `model`'s prediction for `text`.

    Parameters
    ----------
    model : Model
    text : str
    topics : tuple of str, optional
        Topics to explain; default: the predicted ones, or the most probable
        topic when none is predicted (to show why it stayed below threshold).

    Examples
    --------
    >>> from stancelib import load_model
    >>> e = explain_with(load_model(), "The ministers condemned the missile launch by Pyongyang.")
    >>> e.tone.label
    'critical'
    >>> abs(e.tone.bias + sum(c.value for c in e.tone.contributions) - e.tone.logit) < 1e-9
    True
    """
    check_text(text)
    prediction = model.predict(text)
    counts, contrib, bias = model.logit_contributions(text)
    ids = list(counts)
    vocab = model.vocabulary
    names = [_display(vocab[i]) + (f" ×{counts[i]}" if counts[i] > 1 else "") for i in ids]
    k = len(model.topics)
    # Logits from outside the n-grams (an accurate model's sentence encoder)
    # are reported as one aggregate contribution, still exact in sum.
    extra = np.asarray(model.extra_logits([text])[0]) if model.has_extra_logits and tokenize(text) else None
    if extra is not None:
        names = [*names, ENCODER_FEATURE]
        contrib = np.vstack([contrib, extra[None, :]])
        ids = [*ids, -1]

    def explain_column(values: np.ndarray, b: float) -> tuple[Contribution, ...]:
        order = sorted(range(len(ids)), key=lambda i: (-values[i], names[i]))
        return tuple(Contribution(names[i], float(values[i])) for i in order)

    if topics is None:
        topics = prediction.topics or (
            (max(model.topics, key=lambda t: prediction.topic_scores[t]),) if model.topics else ()
        )
    topic_parts = []
    for name in topics:
        j = model.topics.index(name)
        values = contrib[:, j]
        topic_parts.append(
            LabelExplanation(
                name,
                "topic",
                prediction.topic_scores[name],
                None,
                float(bias[j] + values.sum()),
                float(bias[j]),
                explain_column(values, bias[j]),
            )
        )
    # A text without words gets predict's fixed answer (no topic, neutral),
    # which no logit gives; its parts report the prior the logits do give.
    wordless = not tokenize(text)
    if wordless:
        topic_parts = [
            LabelExplanation(p.label, p.head, 1.0 / (1.0 + math.exp(-p.logit)), None, p.logit, p.bias, p.contributions)
            for p in topic_parts
        ]
    ranked = sorted(model.tones, key=lambda t: -prediction.tone_scores[t])
    best, second = model.tones.index(ranked[0]), model.tones.index(ranked[1])
    values = contrib[:, k + best] - contrib[:, k + second]
    b = float(bias[k + best] - bias[k + second])
    tone_probability = prediction.tone_scores[ranked[0]]
    if wordless:
        tone_bias = bias[k:] - float(np.max(bias[k:]))
        tone_probability = float(np.exp(tone_bias[best]) / np.exp(tone_bias).sum())
    tone_part = LabelExplanation(
        ranked[0],
        "tone",
        tone_probability,
        ranked[1],
        float(b + values.sum()),
        b,
        explain_column(values, b),
    )
    return Explanation(prediction, tuple(topic_parts), tone_part)
