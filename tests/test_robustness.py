"""Bad input, odd text, properties, threads and determinism (the Guarantees in the README)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stancelib
from stancelib import InputTypeError, Model, _modelfile
from stancelib import _loading as registry

from .conftest import ROOT

ODD = [
    "",
    " ",
    "\x00\x01\x02 control \x7f",
    "lone \ud800 surrogate \udfff",
    "zero\u200bwidth\u200d joiner \ufeff bom",
    "\u202eRTL override\u202c and \u200fmark",
    "emoji 😀🇺🇦🕊️ only",
    "Иран и Сирия: переговоры",
    "伊朗核问题谈判在维也纳举行",
    "إيران وسوريا",
    "<p>Iran <b>nuclear</b> talks</p><script>alert(1)</script>",
    "a" * 10_000,
    "Iran " * 5_000,
    "\n\n\n",
    "𝐈𝐫𝐚𝐧 𝐧𝐮𝐜𝐥𝐞𝐚𝐫",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_text_never_raises(shipped_model: Model, text: str) -> None:
    p = shipped_model.predict(text)
    assert p.text == text
    assert math.isclose(sum(p.tone_scores.values()), 1.0, abs_tol=1e-9)
    assert all(0.0 <= v <= 1.0 for v in p.topic_scores.values())
    assert stancelib.analyze(text).sentences is not None


def test_empty_string_is_defined(shipped_model: Model) -> None:
    p = shipped_model.predict("")
    assert (p.topics, p.tone, p.n_known_features) == ((), "neutral", 0)
    assert p.tone_scores["neutral"] == 1.0


@pytest.mark.parametrize(
    ("batch", "index", "kind"),
    [
        ([None], 0, "NoneType"),
        (["a", 1], 1, "int"),
        (["a", "b", b"c"], 2, "bytes"),
        ([float("nan")], 0, "float"),
        (["a", ["b"]], 1, "list"),
    ],
)
def test_non_str_items_name_index_and_type(batch: list[object], index: int, kind: str) -> None:
    with pytest.raises(InputTypeError, match=rf"item {index} of the batch is {kind}, not str"):
        stancelib.predict(batch)  # type: ignore[arg-type]


def test_str_gives_one_result_and_sequences_give_lists() -> None:
    one = stancelib.predict("Iran talks resume.")
    assert isinstance(one, stancelib.Prediction)
    many = stancelib.predict(["Iran talks resume."])
    assert isinstance(many, list) and many[0] == one


def test_iterables_of_str() -> None:
    texts = ["Syria talks in Astana.", "Kyiv welcomed the grain deal."]
    expected = stancelib.predict(texts)
    assert stancelib.predict(iter(texts)) == expected
    assert stancelib.predict(tuple(texts)) == expected
    assert stancelib.predict(np.array(texts)) == expected


def test_pandas_series() -> None:
    pd = pytest.importorskip("pandas")
    texts = ["Syria talks in Astana.", "Kyiv welcomed the grain deal."]
    assert stancelib.predict(pd.Series(texts)) == stancelib.predict(texts)
    with pytest.raises(InputTypeError, match=r"item 1 of the batch is (NoneType|float), not str"):
        stancelib.predict(pd.Series(["ok", None]))


@pytest.mark.slow
def test_ten_megabyte_document(shipped_model: Model) -> None:
    paragraph = (
        "The ministers discussed the Iran nuclear deal in Vienna. "
        "They condemned the strikes on Kharkiv. Talks will resume on Monday.\n"
    )
    doc = paragraph * (10_000_000 // len(paragraph))
    a = stancelib.analyze(doc)
    assert len(a.sentences) == 3 * (10_000_000 // len(paragraph))
    assert a.topic_summaries["ukraine"].count == 10_000_000 // len(paragraph)


def test_one_megabyte_string(shipped_model: Model) -> None:
    text = "sanctions on Venezuela " * 45_000
    p = shipped_model.predict(text)
    assert "venezuela" in p.topics


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=200), max_size=8))
def test_properties(shipped_model: Model, texts: list[str]) -> None:
    batch = shipped_model.predict(texts)
    assert [p.text for p in batch] == texts
    for text, p in zip(texts, batch):
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in p.topic_scores.values())
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in p.tone_scores.values())
        assert math.isclose(sum(p.tone_scores.values()), 1.0, abs_tol=1e-9)
        single = shipped_model.predict(text)
        assert single.topics == p.topics and single.tone == p.tone
        for k in p.topic_scores:
            assert math.isclose(single.topic_scores[k], p.topic_scores[k], rel_tol=1e-12, abs_tol=1e-15)


def test_default_model_loads_once_under_16_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_cache", {})
    calls = []
    original = _modelfile.read

    def counting_read(directory: str | os.PathLike[str]) -> _modelfile.ModelFile:
        calls.append(directory)
        return original(directory)

    monkeypatch.setattr(_modelfile, "read", counting_read)
    barrier = threading.Barrier(16)

    def call(_: int) -> str:
        barrier.wait()
        return stancelib.predict("The talks on Syria resumed.").tone

    with ThreadPoolExecutor(16) as pool:
        tones = list(pool.map(call, range(16)))
    assert len(calls) == 1
    assert len(set(tones)) == 1


@pytest.mark.slow
def test_threads_give_sequential_results(shipped_model: Model) -> None:
    base = [
        "Iran must stop enriching uranium.",
        "We welcome the Minsk talks.",
        "The meeting is at noon.",
        "Maduro blamed Washington for the blackout.",
        "Pyongyang fired a missile.",
        "",
    ]
    texts = [f"{base[i % len(base)]} {i}" for i in range(10_000)]
    expected = [(p.topics, p.tone, tuple(p.tone_scores.values())) for p in shipped_model.predict(texts)]

    def worker(_: int) -> list[tuple[object, ...]]:
        return [(p.topics, p.tone, tuple(p.tone_scores.values())) for p in map(shipped_model.predict, texts)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    assert all(r == expected for r in results)


SCRIPT = """
import json, sys, stancelib
texts = ["Iran must stop enriching uranium.", "We welcome the Minsk talks.", "The meeting is at noon."]
print(json.dumps([[dict(p.topic_scores), dict(p.tone_scores)] for p in stancelib.predict(texts)]))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy", "joblib"))))
"""


def test_bit_identical_across_processes_and_no_sklearn_on_predict_path() -> None:
    outs = [
        subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, check=True).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1]
    scores = json.loads(outs[0].splitlines()[0])
    here = [
        [dict(p.topic_scores), dict(p.tone_scores)]
        for p in stancelib.predict(
            ["Iran must stop enriching uranium.", "We welcome the Minsk talks.", "The meeting is at noon."]
        )
    ]
    assert scores == here  # JSON round-trips floats exactly
    assert json.loads(outs[0].splitlines()[1]) == []


def test_repeated_calls_are_bit_identical(shipped_model: Model) -> None:
    text = "The E3 warned that Iran's enrichment at Fordow has no civilian justification."
    a, b = shipped_model.predict(text), shipped_model.predict(text)
    assert a.topic_scores == b.topic_scores and a.tone_scores == b.tone_scores
