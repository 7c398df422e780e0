"""Document aggregation arithmetic on the tiny model, where every number is known."""

from __future__ import annotations

import math

import pytest

from stancelib import Model
from stancelib._document import analyze_with, tone_from_score


def probs(model: Model, text: str) -> tuple[float, float]:
    p = model.predict(text)
    return p.tone_scores["cooperative"], p.tone_scores["critical"]


DOC = "We welcome Iran. We condemn Iran.\n\nSyria meeting on Monday."


def test_sentences_and_spans(tiny_model: Model) -> None:
    a = analyze_with(tiny_model, DOC)
    assert [s.text for s in a.sentences] == ["We welcome Iran.", "We condemn Iran.", "Syria meeting on Monday."]
    for s in a.sentences:
        assert DOC[s.start : s.end] == s.text


def test_topic_summary_arithmetic(tiny_model: Model) -> None:
    a = analyze_with(tiny_model, DOC)
    assert list(a.topic_summaries) == ["iran", "syria"]  # most frequent first
    iran = a.topic_summaries["iran"]
    assert iran.count == 2
    assert dict(iran.tone_shares) == {"cooperative": 0.5, "critical": 0.5, "neutral": 0.0}
    # Sentence 1: welcome + iran -> coop logit 3/sqrt(2); sentence 2: condemn + iran -> crit 3/sqrt(2).
    e = math.exp(3 / math.sqrt(2))
    lean1 = e / (e + 2) - 1 / (e + 2)
    lean2 = 1 / (e + 2) - e / (e + 2)
    assert iran.tone_score == pytest.approx((lean1 + lean2) / 2, abs=1e-12)
    assert iran.tone_score == pytest.approx(0.0, abs=1e-12)
    assert iran.drivers == (0, 1)
    syria = a.topic_summaries["syria"]
    assert syria.count == 1 and syria.tone == "neutral"
    assert syria.tone_score == pytest.approx(0.0, abs=1e-12)  # meeting: coop and crit equal


def test_overall_tone_follows_the_mean_score(tiny_model: Model) -> None:
    a = analyze_with(tiny_model, DOC)
    rows = [tiny_model.predict(s.text).tone_scores for s in a.sentences]
    for tone in tiny_model.tones:
        assert a.tone_scores[tone] == pytest.approx(sum(r[tone] for r in rows) / 3)
    # One rule for the overall tone: the score read through the neutral band (tests/test_document_tone.py).
    assert a.tone_score is not None and a.tone == tone_from_score(a.tone_score)
    assert a.tone_score == pytest.approx(sum(r["cooperative"] - r["critical"] for r in rows) / 3)


def test_drivers_pick_the_strongest_sentences(tiny_model: Model) -> None:
    doc = "Iran meeting. We welcome Iran. Iran meeting today. We welcome Iran again. We condemn Iran."
    a = analyze_with(tiny_model, doc)
    assert a.topic_summaries["iran"].count == 5
    # The three with a strong lean (|coop - crit| high) are welcome, welcome, condemn.
    assert a.topic_summaries["iran"].drivers == (1, 3, 4)


def test_empty_document(tiny_model: Model) -> None:
    a = analyze_with(tiny_model, "   \n ")
    assert a.sentences == () and dict(a.topic_summaries) == {}
    assert a.tone == "neutral" and a.tone_score == 0.0


def test_to_dict_is_json_ready(tiny_model: Model) -> None:
    import json

    d = analyze_with(tiny_model, DOC).to_dict()
    again = json.loads(json.dumps(d))
    assert again["topic_summaries"]["iran"]["count"] == 2
    assert again["sentences"][2]["start"] == DOC.index("Syria")


def test_document_must_be_str(tiny_model: Model) -> None:
    from stancelib import InputTypeError

    with pytest.raises(InputTypeError, match="document must be str, got bytes"):
        analyze_with(tiny_model, b"bytes")  # type: ignore[arg-type]
