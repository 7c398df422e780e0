"""Threshold control: `Model.with_thresholds`, `--threshold` on every command that predicts, Dask and pandas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import stancelib
from stancelib import InputError, Model
from stancelib._cli import main
from stancelib._stream import BatchOptions, run_batch

TEXT = "Iran exceeded the deal's enrichment cap, the IAEA said."


def test_copy_with_new_thresholds_leaves_the_original(tiny_model: Model) -> None:
    low = tiny_model.with_thresholds({"iran": 0.2})
    assert low.thresholds == (0.2, 0.5, 0.5) and tiny_model.thresholds == (0.5, 0.5, 0.5)
    assert type(low) is type(tiny_model) and low.topics == tiny_model.topics
    # "meeting" knows no topic word: iran's probability is sigmoid(-1) = 0.27, between the two thresholds.
    assert tiny_model.predict("meeting").topics == ()
    assert low.predict("meeting").topics == ("iran",)
    assert low.predict(["meeting", "syria"])[0].topics == ("iran",)
    assert low.predict("meeting").topic_scores == tiny_model.predict("meeting").topic_scores


def test_a_high_threshold_drops_a_topic(shipped_model: Model) -> None:
    assert "iran" in shipped_model.predict(TEXT).topics
    p = shipped_model.predict(TEXT).topic_scores["iran"]
    assert "iran" not in shipped_model.with_thresholds({"iran": min(1.0, p + 1e-9)}).predict(TEXT).topics or p >= 1.0


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"irn": 0.3}, "unknown topic 'irn'"),
        ({"iran": 0.0}, "in (0, 1]"),
        ({"iran": 1.5}, "in (0, 1]"),
        ({"iran": "0.3"}, "in (0, 1]"),
        ([("iran", 0.3)], "mapping"),
    ],
)
def test_bad_thresholds_are_refused(tiny_model: Model, thresholds: object, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        tiny_model.with_thresholds(thresholds)  # type: ignore[arg-type]


def test_copy_pickles_with_its_thresholds(tiny_model: Model) -> None:
    import pickle

    low = pickle.loads(pickle.dumps(tiny_model.with_thresholds({"syria": 0.9})))
    assert low.thresholds == (0.5, 0.5, 0.9)


def test_cli_threshold_on_predict_and_info(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--format", "jsonl", TEXT, "--threshold", "iran=1.0"]) == 0
    assert "iran" not in json.loads(capsys.readouterr().out)["topics"]
    assert main(["predict", "--format", "jsonl", TEXT]) == 0
    assert "iran" in json.loads(capsys.readouterr().out)["topics"]
    assert main(["info", "--threshold", "iran=0.25", "--threshold", "syria=0.5"]) == 0
    out = capsys.readouterr().out
    assert "model: " in out and "0.25  (overridden; the model's own:" in out


def test_cli_threshold_on_analyze(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(TEXT + " We condemn it."))
    assert main(["analyze", "-", "--format", "json", "--threshold", "iran=1.0"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "iran" not in doc["topic_summaries"]
    assert all("iran" not in s["topics"] for s in doc["sentences"])


@pytest.mark.parametrize("value", ["iran", "iran=", "=0.3", "iran=abc", "irn=0.3", "iran=2"])
def test_cli_bad_threshold_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["predict", TEXT, "--threshold", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--threshold" in err and len(err.strip().splitlines()) == 1


def test_streaming_honours_thresholds(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": TEXT}) + "\n" for _ in range(5)))
    for limits, expect in (((), True), ((("iran", 1.0),), False)):
        out = tmp_path / "out.jsonl"
        run_batch(str(src), str(out), BatchOptions(input_format="jsonl", thresholds=limits))
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == 5 and all(("iran" in r["topics"]) is expect for r in rows)


def test_streaming_cli_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.txt"
    src.write_text(TEXT + "\n")
    out = tmp_path / "out.jsonl"
    args = ["predict", "--input", str(src), "--output", str(out), "--n-jobs", "1", "--quiet"]
    assert main([*args, "--threshold", "iran=1.0"]) == 0
    assert "iran" not in json.loads(out.read_text())["topics"]


def test_label_frame_honours_thresholds() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": [TEXT]})
    assert "iran" in stancelib.label_frame(frame)["topics"][0].split(";")
    assert "iran" not in stancelib.label_frame(frame, thresholds={"iran": 1.0})["topics"][0].split(";")
