"""The document and topic tone follow the tone score: one rule, a neutral band, explicit ties."""

from __future__ import annotations

import numpy as np
import pytest

import stancelib
from stancelib import Model
from stancelib._document import NEUTRAL_BAND, TopicSummary, analyze_with, tone_from_score

DOCS = [
    "We strongly condemn the reckless missile launch by North Korea. The Security Council meets on Monday.",
    "We welcome the new round of talks on Syria. The talks open in Geneva on Monday.",
    "Russia's strikes on Kyiv are a war crime. We welcome the prisoner exchange. The envoy arrives on Friday.",
    "The meeting starts at ten. Lunch follows.",
    "",
]


@pytest.mark.parametrize(
    ("score", "tone"),
    [
        (0.5, "cooperative"),
        (NEUTRAL_BAND + 1e-9, "cooperative"),
        (NEUTRAL_BAND, "neutral"),
        (0.0, "neutral"),
        (-NEUTRAL_BAND, "neutral"),
        (-NEUTRAL_BAND - 1e-9, "critical"),
        (-0.27, "critical"),
        (-0.05, "neutral"),
    ],
)
def test_the_rule(score: float, tone: str) -> None:
    assert tone_from_score(score) == tone


@pytest.mark.parametrize("doc", DOCS)
def test_document_and_topic_tone_agree_with_their_scores(shipped_model: Model, doc: str) -> None:
    a = analyze_with(shipped_model, doc)
    assert a.tone_score is not None
    assert a.tone == tone_from_score(a.tone_score)
    for s in a.topic_summaries.values():
        assert s.tone_score is not None and s.tone == tone_from_score(s.tone_score)
        assert s.to_dict()["tone"] == s.tone


def test_a_40_20_40_tie_is_neutral() -> None:
    # Two cooperative, one neutral, two critical sentences of equal strength: the score is 0.
    summary = TopicSummary("iran", 5, {"cooperative": 0.4, "critical": 0.4, "neutral": 0.2}, 0.0, (0, 1, 2))
    assert summary.tone == "neutral"


def test_tie_without_polar_tones_goes_to_neutral() -> None:
    summary = TopicSummary("iran", 4, {"positive": 0.5, "neutral": 0.5}, None, (0,))
    assert summary.tone == "neutral"
    summary = TopicSummary("iran", 4, {"positive": 0.5, "negative": 0.5}, None, (0,))
    assert summary.tone == "positive"


def test_the_issue_examples_now_read_consistently(tiny_model: Model) -> None:
    # Mean probabilities favouring neutral while the score is clearly negative: the score decides.
    doc = "condemn meeting meeting. condemn meeting meeting. meeting."
    a = analyze_with(tiny_model, doc)
    probs = np.array([list(s.prediction.tone_scores.values()) for s in a.sentences]).mean(axis=0)
    assert a.tone == tone_from_score(a.tone_score or 0.0)
    assert a.tone_scores["neutral"] == pytest.approx(probs[2])


def test_public_analyze_uses_the_rule() -> None:
    a = stancelib.analyze("We condemn the strike. We condemn the attack. We condemn the shelling.")
    assert a.tone == "critical" and a.tone_score is not None and a.tone_score < -NEUTRAL_BAND
