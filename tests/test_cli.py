"""The command line: every subcommand, formats, and bad usage."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stancelib._cli import main

from .conftest import DATA, ROOT


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stancelib", *args], input=stdin, capture_output=True, text=True, cwd=ROOT
    )


def test_predict_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "We condemn the missile launch by North Korea.", "Talks open on Monday."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    assert out[0].split() == ["index", "tone", "p", "topics", "text"]
    assert out[1].split()[:2] == ["0", "critical"] and "north_korea" in out[1]
    assert out[2].split()[0] == "1"


def test_predict_jsonl_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Iran enriched uranium to 60 percent.\n\nHello there friends.\n"))
    assert main(["predict", "-", "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["Iran enriched uranium to 60 percent.", "", "Hello there friends."]
    assert "iran" in rows[0]["topics"]
    assert rows[1]["tone"] == "neutral" and rows[1]["n_known_features"] == 0


def test_predict_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--format", "csv", "Maduro, the president, spoke."]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["text", "topics", "tone"]
    assert rows[1][0] == "Maduro, the president, spoke."
    assert "topic_venezuela" in rows[0] and "tone_neutral" in rows[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["predict"], "give a sentence, '-' for stdin, or --input FILE"),
        (["predict", "--format", "xml", "x"], "invalid choice: 'xml'"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        (["predict", "--output", "x.jsonl", "text"], "--output needs --input"),
        (["explain", "x", "--top", "0"], "--top must be at least 1"),
        (["analyze", "/no/such/file.txt"], "/no/such/file.txt: no such file"),
        (["train", "--data", "x.jsonl"], "the following arguments are required: --out"),
        (["predict", "--input", "README.md", "--output", "/no/such/dir/out.jsonl"], "its directory does not exist"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args: list[str], message: str) -> None:
    done = run(args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]


@pytest.mark.slow
def test_help_explains_each_command() -> None:
    done = run(["--help"])
    assert done.returncode == 0
    for command in ("predict", "analyze", "explain", "train", "evaluate", "info"):
        assert command in done.stdout
    for command in ("predict", "analyze", "explain", "train", "evaluate"):
        sub = run([command, "--help"])
        assert (sub.returncode == 0 and "--model" in sub.stdout) or command == "train"


def test_runtime_error_exits_1(tmp_path: Path) -> None:
    done = run(["predict", "--model", str(tmp_path / "missing"), "text"])
    assert done.returncode == 1
    assert "no such model directory" in done.stderr


def test_analyze_example_report() -> None:
    done = run(["analyze", "examples/briefing.txt"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Document: ")
    assert "topic" in done.stdout and "Sentences" in done.stdout


def test_analyze_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(ROOT / "examples" / "briefing.txt"), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["sentences"] and set(d) >= {"tone", "topic_summaries", "sentences", "tone_score"}


def test_explain_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "We strongly condemn Iran's enrichment to 60 percent."]) == 0
    out = capsys.readouterr().out
    assert "tone critical vs" in out and "logit" in out
    assert main(["explain", "We welcome the talks.", "--format", "json", "--top", "3"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["tone"]["contributions"]) <= 3


def test_evaluate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--data", str(DATA / "dev.jsonl"), "--format", "json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert 0 <= m["topic_micro_f1"] <= 1 and len(m["tone_confusion"]) == 3


def test_evaluate_bad_data(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n')
    done = run(["evaluate", "--data", str(bad)])
    assert done.returncode == 1
    assert f"{bad}:1: missing key(s)" in done.stderr


def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    assert "dev: topic micro-F1" in capsys.readouterr().out


def test_python_dash_m_and_version() -> None:
    done = run(["--version"])
    assert done.returncode == 0 and done.stdout.startswith("stancelib ")
