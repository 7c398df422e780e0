"""The whole-batch path gives exactly what the one-sentence path gives.

`Model.predict` on a list, `Model.predict_columns` and `Model.score_batch`
tokenize the batch at once, look n-grams up by integer keys and gather all
rows with one call; a single `str` goes through `Model._predict_one`. These
tests hold the two to the same bits on every corpus sentence, on hostile
strings and for every feature setting (unigrams to trigrams, prefixes, the
reporting-frame views).
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest

import stancelib
from stancelib import Columns, MissingExtraError, Model
from stancelib._dataset import read_records
from stancelib._features import FeatureSpec, _IntTable, extract, key_to_str
from stancelib._text import _JOINERS, _tokenize_regex, tokenize_batch, tokenize_bytes

from .conftest import ROOT

DATA = ROOT / "training" / "data"

HOSTILE = [
    "",
    " ",
    "\x00",
    "".join(_JOINERS),
    "".join(_JOINERS) + " Guaidó met Zelenskyy in Kyiv",  # every joiner and non-ASCII: text by text
    "_",
    "a_b__c",
    "é\x00é\x01ü",
    "\ud800 iran \udfff talks",
    "ΟΔΟΣ Σ σ",
    "İstanbul IRAN",
    "Iran\u200btalks\u200f",
    "Straße Łódź Ærø",
    "KYIV, May 3 (Wire) - Talks went well, officials said on Monday.",
    "Iran's foreign ministry said that talks went well.",
    "“We condemn this,” the spokesman said on Tuesday in Kiev.",
    "x" * 2000,
    "iran talks " * 300,
    "١٢٣ ２０２３ ½ ²",
    "🙂 sanctions 🙂",
    "\n\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0",
]


def _texts(*names: str) -> list[str]:
    texts: list[str] = []
    for name in names:
        texts += [r.text for r in read_records(DATA / f"{name}.jsonl")]
    return texts


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    """The dev sets and the hostile strings (the fast suite)."""
    texts = _texts("dev", "dev_wire")
    assert len(texts) > 1000
    return texts + HOSTILE


@pytest.fixture(scope="module")
def everything(corpus: list[str]) -> list[str]:
    """Also the training set (slow tests)."""
    return _texts("train") + corpus


def _synthetic(spec: FeatureSpec, texts: list[str], seed: int = 0) -> Model:
    """A model with the keys of `texts` under `spec` and random weights: every kind of row occurs."""
    keys: dict[str, None] = {}
    for text in texts[::2]:
        tokens = [t.decode("utf-8") for t in spec.tokens(text)[0]]
        keys.update(dict.fromkeys(key_to_str(k) for k in extract(tokens, spec)))
    vocabulary = list(keys)[:20000]
    rng = np.random.default_rng(seed)
    n = len(vocabulary)
    return Model(
        vocabulary=vocabulary,
        idf=rng.uniform(1.0, 8.0, n),
        topic_coef=rng.normal(0.0, 2.0, (n, 4)),
        topic_intercept=rng.normal(-2.0, 0.5, 4),
        tone_coef=rng.normal(0.0, 2.0, (n, 3)),
        tone_intercept=rng.normal(0.0, 0.5, 3),
        topics=("a", "b", "c", "d"),
        tones=("cooperative", "critical", "neutral"),
        thresholds=(0.3, 0.5, 0.5, 0.7),
        spec=spec,
    )


def _same(batch: list[stancelib.Prediction], single: list[stancelib.Prediction]) -> list[int]:
    """Indices where two result lists differ in any bit."""
    return [
        i
        for i, (p, q) in enumerate(zip(batch, single, strict=True))
        if p != q
        or tuple(p.topic_scores.values()) != tuple(q.topic_scores.values())
        or tuple(p.tone_scores.values()) != tuple(q.tone_scores.values())
    ]


# ---------------------------------------------------------------- tokenizer
@pytest.mark.slow
def test_tokenize_batch_equals_tokenize_bytes(everything: list[str]) -> None:
    expected = [_tokenize_regex(t) for t in everything]
    assert [tokenize_bytes(t) for t in everything] == expected
    assert tokenize_batch(everything) == expected
    assert tokenize_batch([]) == []


@pytest.mark.slow
def test_tokenize_batch_every_character_in_context() -> None:
    # Each character alone, between letters, before a capital and after a word:
    # the per-character ASCII shortcut must cut exactly as the regular expression.
    chars = [chr(c) for c in range(0x80, 0x3400)] + ["\ud800", "\U0001f642", "\U0001d400", "\U00020000"]
    texts = [form.format(c) for c in chars for form in ("a{}B", "{}X", "Zz {}", "{}")]
    expected = [_tokenize_regex(t) for t in texts]
    assert [tokenize_bytes(t) for t in texts] == expected
    assert tokenize_batch(texts) == expected


@pytest.mark.slow
def test_tokenize_batch_every_code_point() -> None:
    chars = [chr(c) for c in range(0x3400, 0x110000, 1)]
    for start in range(0, len(chars), 50000):
        texts = [f"a{c}B" for c in chars[start : start + 50000]]
        expected = [_tokenize_regex(t) for t in texts]
        assert [tokenize_bytes(t) for t in texts] == expected
        assert tokenize_batch(texts) == expected


def _check_tokens_batch(texts: list[str]) -> None:
    for frame in (0, 1):
        spec = FeatureSpec(2, 5, frame)
        topic, tone = spec.tokens_batch(texts)
        for text, a, b in zip(texts, topic, tone, strict=True):
            x, y = spec.tokens(text)
            assert (a, b) == (x, y), text
            assert (a is b) == (x is y), text


def test_tokens_batch_equals_tokens(corpus: list[str]) -> None:
    _check_tokens_batch(corpus)


@pytest.mark.slow
def test_tokens_batch_equals_tokens_everything(everything: list[str]) -> None:
    _check_tokens_batch(everything)


# ------------------------------------------------------------------ models
@pytest.mark.parametrize(
    "spec",
    [
        FeatureSpec(1, 0),
        FeatureSpec(2, 0),
        FeatureSpec(2, 5),
        FeatureSpec(3, 4),
        FeatureSpec(2, 5, 1),
        FeatureSpec(3, 5, 1),
    ],
    ids=str,
)
def test_batch_bit_identical_synthetic(spec: FeatureSpec, corpus: list[str]) -> None:
    model = _synthetic(spec, corpus)
    texts = corpus[::5] + HOSTILE
    single = [model.predict(t) for t in texts]
    assert not _same(model.predict(texts), single)
    columns = model.predict_columns(texts)
    assert columns.topic_scores.tolist() == [list(p.topic_scores.values()) for p in single]
    assert columns.tone_scores.tolist() == [list(p.tone_scores.values()) for p in single]


def _check_shipped(frame: int, shipped_model: Model, corpus: list[str]) -> None:
    model = shipped_model
    if model.spec.frame != frame:
        model = Model(
            **{**model.arguments(), "spec": FeatureSpec(model.spec.word_ngrams, model.spec.prefix_len, frame)}
        )
    single = [model._predict_one(t) for t in corpus]
    batch = model.predict(corpus)
    assert not _same(batch, single)
    assert [p.n_known_features for p in batch] == [p.n_known_features for p in single]
    columns = model.predict_columns(corpus)
    assert columns.topic_scores.tolist() == [list(p.topic_scores.values()) for p in single]
    assert columns.tone_scores.tolist() == [list(p.tone_scores.values()) for p in single]
    assert columns.tone.tolist() == [p.tone for p in single]
    assert columns.topics == [p.topics for p in single]
    assert columns.n_known_features.tolist() == [p.n_known_features for p in single]
    scores = model.score_batch(corpus)
    assert np.allclose(scores.topic_probs, columns.topic_scores, rtol=0, atol=1e-12)
    assert np.allclose(scores.tone_probs, columns.tone_scores, rtol=0, atol=1e-12)
    assert np.array_equal(scores.n_known_features, columns.n_known_features)


@pytest.mark.slow
@pytest.mark.parametrize("frame", [0, 1])
def test_batch_bit_identical_shipped(frame: int, shipped_model: Model, corpus: list[str]) -> None:
    """The shipped model as trained, and the same arrays reading the reporting-frame views, on the dev sets."""
    _check_shipped(frame, shipped_model, corpus)


@pytest.mark.slow
@pytest.mark.parametrize("frame", [0, 1])
def test_batch_bit_identical_shipped_everything(frame: int, shipped_model: Model, everything: list[str]) -> None:
    _check_shipped(frame, shipped_model, everything)


@pytest.mark.slow
def test_batch_order_and_chunks_do_not_matter(shipped_model: Model, corpus: list[str]) -> None:
    texts = list(itertools.islice(itertools.cycle(corpus[:500]), 5000))  # more than one chunk
    batch = shipped_model.predict(texts)
    assert not _same(batch[:500], shipped_model.predict(texts[:500]))
    assert not _same(batch[::-1], shipped_model.predict(texts[::-1]))


def test_wide_keys_fall_back_to_list_by_list(shipped_model: Model, corpus: list[str]) -> None:
    model = Model(**shipped_model.arguments())
    texts = corpus[:300] + HOSTILE
    expected = model.predict(texts)
    model._features._wide = True  # as for a vocabulary too large for int64 n-gram keys
    assert not _same(model.predict(texts), expected)


def test_int_table_matches_dict() -> None:
    rng = np.random.default_rng(1)
    keys = rng.choice(10**12, 5000, replace=False).astype(np.int64)
    values = rng.integers(0, 10**6, 5000)
    table = _IntTable(keys, values)
    probe = np.concatenate([keys, rng.integers(0, 10**12, 5000)])
    lookup = dict(zip(keys.tolist(), values.tolist()))
    assert table.find(probe, -1).tolist() == [lookup.get(k, -1) for k in probe.tolist()]
    assert _IntTable(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp)).find(probe[:3], 7).tolist() == [7] * 3


# ---------------------------------------------------------------- columns
def test_columns_api(shipped_model: Model) -> None:
    texts = ["We strongly condemn the missile launch by North Korea.", "", "Talks on Iran resume.", "zzqx"]
    columns = stancelib.predict_columns(texts, model=shipped_model)
    assert isinstance(columns, Columns) and len(columns) == 4
    assert columns.topic_scores.shape == (4, len(shipped_model.topics))
    assert columns.tone_scores.shape == (4, len(shipped_model.tones))
    assert columns.topic_flags.dtype == bool
    assert columns.tone.tolist() == [p.tone for p in shipped_model.predict(texts)]
    assert columns.tone[1] == "neutral" and columns.n_known_features[1] == 0
    assert len(stancelib.predict_columns([], model=shipped_model)) == 0
    with pytest.raises(stancelib.InputTypeError, match="item 1"):
        shipped_model.predict_columns(["ok", None])  # type: ignore[list-item]


def test_columns_to_pandas(shipped_model: Model) -> None:
    pytest.importorskip("pandas")
    texts = ["We strongly condemn the missile launch by North Korea.", "Talks on Iran resume."]
    frame = shipped_model.predict_columns(texts).to_pandas()
    expected = [
        "topics",
        "tone",
        *(f"topic_{t}" for t in shipped_model.topics),
        *(f"tone_{t}" for t in shipped_model.tones),
        "model",
    ]
    assert list(frame.columns) == expected
    predictions = shipped_model.predict(texts)
    assert list(frame["topics"]) == [p.topics for p in predictions]
    assert list(frame["tone"]) == [p.tone for p in predictions]
    first = shipped_model.topics[0]
    assert list(frame[f"topic_{first}"]) == [p.topic_scores[first] for p in predictions]
    prefixed = shipped_model.predict_columns(texts).to_pandas(prefix="stancelib_")
    assert list(prefixed.columns) == [f"stancelib_{c}" for c in expected]


def test_columns_to_pandas_without_pandas(shipped_model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match="pip install pandas"):
        shipped_model.predict_columns(["x"]).to_pandas()


def test_batch_predictions_are_plain_frozen_predictions(shipped_model: Model) -> None:
    import dataclasses
    import pickle

    texts = ["We strongly condemn the missile launch by North Korea.", "", "zzqx"]
    for p, text in zip(shipped_model.predict(texts), texts, strict=True):
        assert type(p) is stancelib.Prediction and type(p.topic_scores) is stancelib.LabelScores
        assert p == shipped_model.predict(text) and pickle.loads(pickle.dumps(p)) == p
        assert hash(p.topics) == hash(shipped_model.predict(text).topics)
        assert dataclasses.replace(p, tone="neutral").tone == "neutral"
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.tone = "critical"  # type: ignore[misc]
