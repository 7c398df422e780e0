from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stancelib._features import FeatureIndex, FeatureSpec, extract, key_to_str, str_to_key
from stancelib._text import _TOKEN, normalize, tokenize, tokenize_bytes


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Kyiv and Kiev", ["kyiv", "and", "kiev"]),
        ("Guaidó / Guaido", ["guaido", "guaido"]),
        ("Kim Jong-un met Kim Jong Un", ["kim", "jong", "un", "met", "kim", "jong", "un"]),
        ("New START's limits (2010)", ["new", "start", "s", "limits", "2010"]),
        ("", []),
        ("   \t\n", []),
        ("...!?", []),
        ("snake_case_word", ["snake", "case", "word"]),
        ("zero\u200bwidth\u202emark", ["zero", "width", "mark"]),
        ("lone \ud800 surrogate", ["lone", "surrogate"]),
        ("Straße Łódź", ["strasse", "lodz"]),
        ("Дипломатия 외교 😀", ["дипломатия", "외교"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_normalize_folds_case_and_accents() -> None:
    assert normalize("ÉLYSÉE Zelenskyy") == "elysee zelenskyy"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (FeatureSpec(1, 0), ["a", "bb", "ccccc"]),
        (FeatureSpec(2, 0), ["a", "bb", "ccccc", ("a", "bb"), ("bb", "ccccc")]),
        (FeatureSpec(3, 0), ["a", "bb", "ccccc", ("a", "bb"), ("bb", "ccccc"), ("a", "bb", "ccccc")]),
        (FeatureSpec(1, 4), ["a", "bb", "ccccc", "<cccc"]),
    ],
)
def test_extract(spec: FeatureSpec, expected: list[object]) -> None:
    assert extract(["a", "bb", "ccccc"], spec) == expected


@pytest.mark.parametrize("key", ["iran", ("new", "start"), ("a", "b", "c"), "<sanct"])
def test_key_round_trip(key: object) -> None:
    assert str_to_key(key_to_str(key)) == key  # type: ignore[arg-type]


@pytest.mark.parametrize(("ngrams", "prefix"), [(0, 0), (4, 0), (2, 2), (2, 13)])
def test_bad_feature_spec(ngrams: int, prefix: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        FeatureSpec(ngrams, prefix)


@given(st.text(max_size=120) | st.text(alphabet=st.characters(max_codepoint=127), max_size=120))
def test_fast_tokenizer_equals_the_rules(text: str) -> None:
    expected = _TOKEN.findall(normalize(text))
    assert tokenize(text) == expected
    assert [w.decode() for w in tokenize_bytes(text)] == expected


VOCAB = [
    "iran",
    "talks",
    "nuclear",
    "iran talks",
    "talks on",
    "<negot",
    "<sanct",
    "new start treaty",
    "new",
    "start",
    "treaty",
    "new start",
    "start treaty",
    "дипломатия",
    "<дипло",
]


@pytest.mark.parametrize("spec", [FeatureSpec(1, 0), FeatureSpec(2, 0), FeatureSpec(2, 5), FeatureSpec(3, 5)])
@pytest.mark.parametrize(
    "text",
    [
        "Iran talks on nuclear negotiations",
        "sanctions sanct negotiator",
        "New START treaty, new start",
        "",
        "unknown words only",
        "Дипломатия дипломатиями",
        "talks talks talks",
    ],
)
def test_feature_index_equals_extract(spec: FeatureSpec, text: str) -> None:
    index = FeatureIndex(VOCAB, spec)
    known = {str_to_key(v): i for i, v in enumerate(VOCAB)}
    expected = [known[k] for k in extract(tokenize(text), spec) if k in known]
    # A table like the model's: feature rows, the zero row, the combined rows.
    base = np.random.default_rng(0).normal(size=(len(VOCAB), 3))
    pairs = np.array(index.combined, dtype=np.intp).reshape(-1, 2)
    table = np.vstack([base, np.zeros((1, 3)), base[pairs[:, 0]] + base[pairs[:, 1]]])
    rows, count = index.ids(tokenize_bytes(text))
    assert count == len(expected)
    np.testing.assert_allclose(table[rows].sum(axis=0), base[expected].sum(axis=0), atol=1e-12)
