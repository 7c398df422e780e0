"""Streaming files: order, pass-through of ids, bad records, interruption, jobs."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import stancelib
from stancelib._stream import BatchOptions, run_batch
from stancelib.errors import BadRecordError

from .conftest import ROOT

SENTENCES = [
    "Iran must stop enriching uranium beyond the limits of the deal.",
    "We welcome the prisoner exchange between Kyiv and Moscow.",
    "The delegations will meet in Geneva on Tuesday.",
    "Maduro's government released several political prisoners.",
    "",
    "Pyongyang fired two ballistic missiles into the sea.",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_jsonl(path: Path, n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"id": f"doc-{i}", "source": "wire", "text": SENTENCES[i % len(SENTENCES)] + f" ({i})"} for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


@pytest.mark.parametrize("jobs", [1, 2])
def test_jsonl_order_and_pass_through(tmp_path: Path, jobs: int) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = write_jsonl(src, 45)
    report = run_batch(str(src), str(out), BatchOptions(input_format="jsonl", n_jobs=jobs, chunk_size=7))
    assert report.records == 45
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    assert all(g["source"] == "wire" for g in got)
    expected = stancelib.predict([str(r["text"]) for r in rows])
    for g, p in zip(got, expected):
        assert g["text"] == p.text and g["topics"] == list(p.topics) and g["tone"] == p.tone
        assert g["topic_scores"] == dict(p.topic_scores)


def test_txt_input_csv_output(tmp_path: Path) -> None:
    src, out = tmp_path / "in.txt", tmp_path / "out.csv"
    src.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    run_batch(str(src), str(out), BatchOptions(input_format="txt", output_format="csv"))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["text"] for r in rows] == SENTENCES
    assert [r["line"] for r in rows] == [str(i) for i in range(1, len(SENTENCES) + 1)]
    assert rows[0]["tone"] == stancelib.predict(SENTENCES[0]).tone
    assert float(rows[0]["topic_iran"]) == pytest.approx(stancelib.predict(SENTENCES[0]).topic_scores["iran"], abs=1e-6)


def test_csv_input_keeps_columns(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "body", "date"])
        for i, s in enumerate(SENTENCES):
            w.writerow([i, s.replace(".", ",\nand more."), "2019-05-01"])
    run_batch(
        str(src),
        str(out),
        BatchOptions(input_format="csv", output_format="csv", text_field="body", n_jobs=2, chunk_size=2),
    )
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == [str(i) for i in range(len(SENTENCES))]
    assert rows[1]["date"] == "2019-05-01" and "\n" in rows[1]["body"]


def test_bad_record_stops_without_output(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, 5)
    with src.open("a") as f:
        f.write("{not json\n")
        f.write(json.dumps({"id": "x", "body": "no text field"}) + "\n")
    with pytest.raises(BadRecordError, match=r"in\.jsonl:6: not valid JSON .* \(use --skip-bad"):
        run_batch(str(src), str(out), BatchOptions(input_format="jsonl"))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_skip_bad_reports_line_numbers(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "Talks resumed in Vienna."}),
        "{oops",
        json.dumps({"id": 3, "text": None}),
        "",
        json.dumps({"id": 5, "text": "Iran nuclear talks."}),
    ]
    src.write_text("\n".join(lines) + "\n")
    report = run_batch(str(src), str(out), BatchOptions(input_format="jsonl", skip_bad=True))
    assert report.records == 2
    assert [m.split(": ", 1)[0] for m in report.skipped] == [f"{src}:2", f"{src}:3"]
    assert "'text' is NoneType" in report.skipped[1]
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [1, 5]


def test_missing_text_column(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,body\n1,hello\n")
    with pytest.raises(BadRecordError, match=r"no column 'text'.*--text-field"):
        run_batch(str(src), str(tmp_path / "o.csv"), BatchOptions(input_format="csv", output_format="csv"))


def test_analyze_mode(tmp_path: Path) -> None:
    src, out = tmp_path / "docs.jsonl", tmp_path / "out.jsonl"
    docs = [
        {"id": "a", "text": "We welcome the talks on Syria. The talks open on Monday."},
        {"id": "b", "text": "Iran must stop enriching uranium. We condemn it."},
    ]
    src.write_text("".join(json.dumps(d) + "\n" for d in docs))
    run_batch(str(src), str(out), BatchOptions(mode="analyze", input_format="jsonl"))
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [g["id"] for g in got] == ["a", "b"]
    assert got[0]["n_sentences"] == 2
    assert got[0]["topic_summaries"] == stancelib.analyze(docs[0]["text"]).to_dict()["topic_summaries"]


def test_cli_streaming_command(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, 30)
    done = subprocess.run(
        [sys.executable, "-m", "stancelib", "predict", "--input", str(src), "--output", str(out), "--n-jobs", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "30 records" in done.stderr
    assert len(out.read_text().splitlines()) == 30


def test_interrupted_run_leaves_no_output(tmp_path: Path) -> None:
    src, out = tmp_path / "big.txt", tmp_path / "out.jsonl"
    with src.open("w") as f:
        for i in range(400_000):
            f.write(f"{SENTENCES[i % 4]} Item {i}.\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stancelib",
            "predict",
            "--input",
            str(src),
            "--output",
            str(out),
            "--n-jobs",
            "1",
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".stancelib.*.partial")):
        time.sleep(0.05)
    partial = list(tmp_path.glob(".stancelib.*.partial"))
    assert partial, "the run should write to a temporary file first"
    while time.monotonic() < deadline and partial[0].exists() and partial[0].stat().st_size == 0:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt"]


def test_options_are_checked(tmp_path: Path) -> None:
    from stancelib import InputError

    with pytest.raises(InputError, match="jobs must be at least 1"):
        run_batch(os.devnull, str(tmp_path / "o"), BatchOptions(n_jobs=0))
