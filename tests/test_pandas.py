"""`stancelib.label_frame`: pandas only, typed columns, the shared layout and collision policy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import stancelib
from stancelib import InputError, InputTypeError, MissingExtraError
from stancelib._pandas import output_columns

from .conftest import ROOT

pd = pytest.importorskip("pandas")

TEXTS = [
    "Iran must stop enriching uranium beyond the limits of the deal.",
    "We welcome the prisoner exchange between Kyiv and Moscow.",
    "The delegations will meet in Geneva on Tuesday.",
    "",
]


def test_columns_types_and_values_equal_predict() -> None:
    frame = pd.DataFrame({"id": [10, 11, 12, 13], "text": TEXTS})
    out = stancelib.label_frame(frame)
    m = stancelib.load_model()
    assert list(out.columns) == ["id", "text", *output_columns(m)]
    assert list(out.columns)[2:5] == ["topics", "tone", "topic_arms_control"] and out.columns[-1] == "model"
    assert str(out["topics"].dtype) == "string" and str(out["tone"].dtype) == "category"
    assert list(out["tone"].cat.categories) == list(m.tones)
    assert all(out[f"topic_{t}"].dtype == np.float64 for t in m.topics)
    assert all(out[f"tone_{t}"].dtype == np.float64 for t in m.tones)
    expected = stancelib.predict(TEXTS)
    assert list(out["tone"]) == [p.tone for p in expected]
    assert list(out["topics"]) == [";".join(p.topics) for p in expected]
    for t in m.topics:
        assert list(out[f"topic_{t}"]) == pytest.approx([p.topic_scores[t] for p in expected], abs=1e-12)
    assert list(frame.columns) == ["id", "text"]  # the input is not modified


def test_a_repeated_index_neither_multiplies_rows_nor_crosses_labels() -> None:
    a = pd.DataFrame({"text": TEXTS[:2]})
    b = pd.DataFrame({"text": TEXTS[2:]})
    frame = pd.concat([a, b, a])  # index 0, 1, 0, 1, 0, 1
    out = stancelib.label_frame(frame)
    assert len(out) == len(frame) and list(out.index) == list(frame.index)
    expected = stancelib.predict(list(frame["text"]))
    assert list(out["tone"]) == [p.tone for p in expected]
    assert list(out["topic_iran"]) == pytest.approx([p.topic_scores["iran"] for p in expected], abs=1e-12)
    labels = stancelib.label_frame(frame, keep=False)
    assert len(labels) == len(frame) and "text" not in labels.columns


def test_colliding_columns_are_refused_and_prefix_namespaces() -> None:
    frame = pd.DataFrame({"text": TEXTS, "tone": ["mine"] * 4, "model": ["x"] * 4})
    with pytest.raises(InputError, match=r"\['tone', 'model'\].*prefix='stancelib_'"):
        stancelib.label_frame(frame)
    out = stancelib.label_frame(frame, prefix="stancelib_")
    assert list(out["tone"]) == ["mine"] * 4 and list(out["model"]) == ["x"] * 4
    assert "stancelib_tone" in out.columns and "stancelib_topic_iran" in out.columns


def test_bad_input() -> None:
    with pytest.raises(InputError, match="no column 'body'"):
        stancelib.label_frame(pd.DataFrame({"text": TEXTS}), text_field="body")
    with pytest.raises(InputTypeError):
        stancelib.label_frame(pd.DataFrame({"text": ["ok", None]}))
    with pytest.raises(InputError, match="DataFrame"):
        stancelib.label_frame(TEXTS)


def test_empty_frame_keeps_the_dtypes() -> None:
    out = stancelib.label_frame(pd.DataFrame({"text": pd.Series([], dtype=object)}))
    assert len(out) == 0 and str(out["tone"].dtype) == "category" and out["topic_iran"].dtype == np.float64


def test_without_pandas_the_error_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match=r"stancelib\[pandas\]"):
        stancelib.label_frame(object())


def test_label_frame_needs_no_dask() -> None:
    code = (
        "import sys, pandas as pd, stancelib\n"
        "stancelib.label_frame(pd.DataFrame({'text': ['Iran talks resumed.']}))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'matplotlib')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
