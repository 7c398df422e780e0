"""Explanations are exact: bias plus contributions equals the logit."""

from __future__ import annotations

import math

import pytest

from stancelib import Model
from stancelib._explanation import explain_with


def test_tiny_model_contributions_by_hand(tiny_model: Model) -> None:
    e = explain_with(tiny_model, "We welcome Iran.")
    (topic,) = e.topic_explanations
    assert topic.label == "iran"
    r = math.sqrt(2)
    assert [(c.feature, c.value) for c in topic.contributions] == [("iran", pytest.approx(4 / r)), ("welcome", 0.0)]
    assert topic.bias == -1.0
    assert topic.logit == pytest.approx(4 / r - 1)
    assert e.tone.label == "cooperative"
    assert e.tone.versus in ("critical", "neutral")
    assert e.tone.contributions[0].feature == "welcome"
    assert e.tone.contributions[0].value == pytest.approx(3 / r)


def test_explains_most_probable_topic_when_none_predicted(tiny_model: Model) -> None:
    e = explain_with(tiny_model, "meeting")
    assert e.prediction.topics == ()
    assert len(e.topic_explanations) == 1


@pytest.mark.parametrize(
    "text",
    [
        "The United States condemned Iran's decision to enrich uranium to 60 percent.",
        "Both sides welcomed the prisoner exchange between Kyiv and Moscow.",
        "Delegations will meet in Geneva on Tuesday.",
        "",
    ],
)
def test_shipped_model_explanations_are_exact(shipped_model: Model, text: str) -> None:
    e = explain_with(shipped_model, text)
    p = e.prediction
    for part in e.topic_explanations:
        total = part.bias + sum(c.value for c in part.contributions)
        assert total == pytest.approx(part.logit, abs=1e-9)
        if p.n_known_features:
            assert 1 / (1 + math.exp(-part.logit)) == pytest.approx(p.topic_scores[part.label], abs=1e-9)
    t = e.tone
    assert t.bias + sum(c.value for c in t.contributions) == pytest.approx(t.logit, abs=1e-9)
    assert t.versus is not None
    if p.n_known_features:
        ratio = p.tone_scores[t.label] / p.tone_scores[t.versus]
        assert math.log(ratio) == pytest.approx(t.logit, abs=1e-9)
