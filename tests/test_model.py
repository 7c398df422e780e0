"""Algorithm tests on the tiny hand-made model (see conftest)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stancelib import InputTypeError, Model, ModelLoadError, Prediction
from stancelib._features import FeatureSpec


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_probabilities_by_hand(tiny_model: Model) -> None:
    p = tiny_model.predict("Iran: we welcome it.")
    # Known words: iran, welcome -> norm sqrt(2).
    r = math.sqrt(2)
    assert p.topic_scores["iran"] == pytest.approx(sigmoid(4 / r - 1), abs=1e-12)
    assert p.topic_scores["arms_control"] == pytest.approx(sigmoid(-1), abs=1e-12)
    e = math.exp(3 / r)
    assert p.tone_scores["cooperative"] == pytest.approx(e / (e + 2), abs=1e-12)
    assert p.tone_scores["critical"] == pytest.approx(1 / (e + 2), abs=1e-12)
    assert p.topics == ("iran",)
    assert p.tone == "cooperative"
    assert p.n_known_features == 2


def test_repeated_words_by_hand(tiny_model: Model) -> None:
    p = tiny_model.predict("Iran iran IRAN condemn condemn")
    # Occurrences: iran x3, condemn x2 -> numerator 3 * 4 for iran, norm sqrt(3 + 2).
    assert p.topic_scores["iran"] == pytest.approx(sigmoid(12 / math.sqrt(5) - 1), abs=1e-12)
    e = math.exp(6 / math.sqrt(5))
    assert p.tone_scores["critical"] == pytest.approx(e / (e + 2), abs=1e-12)
    assert p.n_known_features == 5


def test_binary_text_is_plain_l2_tfidf(tiny_model: Model) -> None:
    # Without repeats the vector is the L2-normalised presence vector.
    p = tiny_model.predict("iran nuclear welcome")
    assert p.topic_scores["arms_control"] == pytest.approx(sigmoid(4 / math.sqrt(3) - 1), abs=1e-12)


def test_thresholds_decide_topics(tiny_model: Model) -> None:
    p = tiny_model.predict("iran nuclear syria meeting")
    # Each topic word: 4 / sqrt(4) - 1 = 1 -> 0.73 >= 0.5, in model order.
    assert p.topics == ("iran", "arms_control", "syria")
    assert p.topic_scores["syria"] == pytest.approx(sigmoid(1.0))
    assert p.tone == "neutral"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "?!...", "😀😀", "\u200b"])
def test_wordless_text_is_defined_neutral(tiny_model: Model, text: str) -> None:
    p = tiny_model.predict(text)
    assert p.topics == ()
    assert p.tone == "neutral"
    assert dict(p.tone_scores) == {"cooperative": 0.0, "critical": 0.0, "neutral": 1.0}
    assert set(p.topic_scores.values()) == {0.0}
    assert p.n_known_features == 0
    assert p.text == text


def test_unknown_words_give_the_prior(tiny_model: Model) -> None:
    p = tiny_model.predict("completely unrelated words")
    assert p.n_known_features == 0
    assert p.topic_scores["iran"] == pytest.approx(sigmoid(-1))
    assert p.tone_scores["neutral"] == pytest.approx(1 / 3)


def test_batch_equals_single(tiny_model: Model) -> None:
    texts = ["iran welcome", "", "nothing known", "condemn syria nuclear", "meeting"]
    batch = tiny_model.predict(texts)
    assert [p.text for p in batch] == texts
    for text, p in zip(texts, batch):
        single = tiny_model.predict(text)
        assert p == single


def test_batch_accepts_iterables(tiny_model: Model) -> None:
    texts = ["iran welcome", "condemn"]
    expected = tiny_model.predict(texts)
    assert tiny_model.predict(tuple(texts)) == expected
    assert tiny_model.predict(t for t in texts) == expected
    assert tiny_model.predict(np.array(texts)) == expected
    assert tiny_model.predict([]) == []


def test_prediction_is_immutable(tiny_model: Model) -> None:
    p = tiny_model.predict("iran welcome")
    with pytest.raises(AttributeError):
        p.tone = "critical"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.topic_scores["iran"] = 0.0  # type: ignore[index]
    assert p.topic_scores == {
        "iran": p.topic_scores["iran"],
        "arms_control": p.topic_scores["arms_control"],
        "syria": p.topic_scores["syria"],
    }
    import pickle

    assert pickle.loads(pickle.dumps(p)) == p
    d = p.to_dict()
    assert d["topics"] == ["iran"] and d["tone"] == "cooperative"
    assert isinstance(p, Prediction)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([None], r"item 0 of the batch is NoneType, not str"),
        (["ok", 3], r"item 1 of the batch is int, not str"),
        (["ok", "ok", b"x"], r"item 2 of the batch is bytes, not str \(decode bytes first\)"),
        ([float("nan")], r"item 0 of the batch is float"),
        ([["nested"]], r"item 0 of the batch is list"),
        (5, r"expected str or an iterable of str, got int"),
        (b"bytes", r"got bytes; decode bytes first"),
        ({"a": "b"}, r"got dict; pass its values"),
    ],
)
def test_bad_input_types(tiny_model: Model, bad: object, match: str) -> None:
    with pytest.raises(InputTypeError, match=match):
        tiny_model.predict(bad)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        tiny_model.predict(bad)  # type: ignore[call-overload]


def test_pickle_round_trip_for_workers(tiny_model: Model) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(tiny_model))
    assert again.predict(["iran welcome", "condemn"]) == tiny_model.predict(["iran welcome", "condemn"])
    assert repr(again) == repr(tiny_model) and "tiny" in repr(again)


def test_feature_counts(tiny_model: Model) -> None:
    assert tiny_model.feature_counts("Iran, iran and Syria!") == {0: 2, 5: 1}


def test_score_batch_arrays(tiny_model: Model) -> None:
    s = tiny_model.score_batch(["iran welcome", "", "zzz"])
    assert s.topic_probs.shape == (3, 3) and s.tone_probs.shape == (3, 3)
    assert s.n_known_features.tolist() == [2, 0, 0]
    np.testing.assert_allclose(s.tone_probs.sum(axis=1), 1.0)


def _arrays(n: int = 2, k: int = 1, m: int = 3) -> dict[str, object]:
    return {
        "vocabulary": [f"w{i}" for i in range(n)],
        "idf": np.ones(n),
        "topic_coef": np.zeros((n, k)),
        "topic_intercept": np.zeros(k),
        "tone_coef": np.zeros((n, m)),
        "tone_intercept": np.zeros(m),
        "topics": [f"t{i}" for i in range(k)],
        "tones": ["cooperative", "critical", "neutral"][:m],
        "thresholds": [0.5] * k,
        "spec": FeatureSpec(1, 0),
    }


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"idf": np.ones(3)}, r"array 'idf' has shape \(3,\), expected \(2,\)"),
        ({"topic_coef": np.zeros((2, 2))}, r"array 'topic_coef' has shape"),
        ({"tone_intercept": np.zeros(2)}, r"array 'tone_intercept' has shape"),
        ({"thresholds": [0.5, 0.5]}, r"2 thresholds for 1 topics"),
        ({"idf": np.array([1.0, np.nan])}, r"NaN or infinity"),
        ({"vocabulary": ["a", "a"]}, r"repeated entries"),
        ({"tones": ["x", "x", "y"]}, r"distinct"),
    ],
)
def test_inconsistent_arrays(change: dict[str, object], match: str) -> None:
    args = _arrays()
    args.update(change)
    with pytest.raises(ModelLoadError, match=match):
        Model(**args)  # type: ignore[arg-type]
