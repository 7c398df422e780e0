"""Shared fixtures: a tiny hand-made model whose numbers can be worked out by hand."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from stancelib import Model, load_model
from stancelib._features import FeatureSpec

# Property-test budgets: "ci" keeps the suite short, "thorough" is for a long local run
# (HYPOTHESIS_PROFILE=thorough python -m pytest).
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=300, deadline=None)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "training" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Vocabulary of the tiny model, one unigram per row. idf is 1 everywhere, so
# a sentence with n known words has norm sqrt(n) and each word adds w / sqrt(n).
TINY_VOCAB = ["iran", "nuclear", "welcome", "condemn", "meeting", "syria"]
TINY_TOPIC_COEF = np.array(
    # iran, arms_control, syria
    [
        [4.0, 0.0, 0.0],  # iran
        [0.0, 4.0, 0.0],  # nuclear
        [0.0, 0.0, 0.0],  # welcome
        [0.0, 0.0, 0.0],  # condemn
        [0.0, 0.0, 0.0],  # meeting
        [0.0, 0.0, 4.0],  # syria
    ]
)
TINY_TONE_COEF = np.array(
    # cooperative, critical, neutral
    [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [3.0, 0.0, 0.0],  # welcome
        [0.0, 3.0, 0.0],  # condemn
        [0.0, 0.0, 2.0],  # meeting
        [0.0, 0.0, 0.0],
    ]
)


def make_tiny_model() -> Model:
    return Model(
        vocabulary=TINY_VOCAB,
        idf=np.ones(len(TINY_VOCAB)),
        topic_coef=TINY_TOPIC_COEF,
        topic_intercept=np.array([-1.0, -1.0, -1.0]),
        tone_coef=TINY_TONE_COEF,
        tone_intercept=np.zeros(3),
        topics=["iran", "arms_control", "syria"],
        tones=["cooperative", "critical", "neutral"],
        thresholds=[0.5, 0.5, 0.5],
        spec=FeatureSpec(word_ngrams=1, prefix_len=0),
        metadata={"name": "tiny"},
    )


@pytest.fixture()
def tiny_model() -> Model:
    return make_tiny_model()


@pytest.fixture(scope="session")
def shipped_model() -> Model:
    return load_model()
