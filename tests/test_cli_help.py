"""The command line's rough edges: help on every flag, named numbering, refused combinations, warnings, n/a."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stancelib._cli import build_parser, main

from .conftest import DATA, ROOT


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_flag_has_help_and_its_default(command: str) -> None:
    sub = _subparsers()[command]
    for action in sub._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help, f"{command} {name} has no help text"
        if action.option_strings and not action.required:
            assert "default" in action.help, f"{command} {name} does not show its default"


def test_predict_table_to_a_file_is_not_cut(tmp_path: Path) -> None:
    long = "We condemn the missile launch by North Korea, " + "which violates the resolutions, " * 6 + "again."
    done = subprocess.run(
        [sys.executable, "-m", "stancelib", "predict", long], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and long in done.stdout and "…" not in done.stdout


def test_numbering_is_the_same_index_in_text_json_and_api(capsys: pytest.CaptureFixture[str]) -> None:
    import stancelib

    doc = "We condemn the strike on Kyiv. The envoy arrives on Monday. We welcome the talks on Syria."
    a = stancelib.analyze(doc)
    assert [s.index for s in a.sentences] == [0, 1, 2]
    assert [s["index"] for s in a.to_dict()["sentences"]] == [0, 1, 2]
    import io

    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(doc)
        assert main(["analyze", "-"]) == 0
    finally:
        sys.stdin = sys_stdin
    out = capsys.readouterr().out
    assert "Sentences (index from 0" in out and "driving sentences (index)" in out
    rows = [line.split()[0] for line in out.split("Sentences (index from 0")[1].splitlines()[1::2]]
    assert rows == ["0", "1", "2"]


@pytest.mark.parametrize("command", ["predict", "analyze"])
def test_format_table_with_input_is_refused(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.txt"
    src.write_text("Talks resume.\n")
    fmt = "table" if command == "predict" else "text"
    with pytest.raises(SystemExit) as exc:
        main([command, "--input", str(src), "--format", fmt])
    assert exc.value.code == 2 and "with --input choose --format jsonl or csv" in capsys.readouterr().err


def test_explain_with_two_words_says_to_quote(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explain", "Iran", "talks"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "put it in quotes" in err and "stancelib explain --help" in err


def test_info_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("model: ") and "<" not in out[0]
    assert "thresholds:" in out


def test_undefined_metrics_read_n_a(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.jsonl"
    rows = [
        {"text": "We condemn Iran's enrichment.", "topics": ["iran"], "tone": "critical"},
        {"text": "We welcome the talks on Iran.", "topics": ["iran"], "tone": "cooperative"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["evaluate", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    syria = next(line for line in out.splitlines() if line.startswith("syria"))
    assert syria.split()[1:4] == ["n/a", "n/a", "n/a"] or syria.split()[2] == "n/a"
    assert "off-agenda accuracy n/a" in out
    assert main(["evaluate", "--data", str(data), "--format", "json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert "offagenda_accuracy" in m["undefined"] and "topics.syria.recall" in m["undefined"]


@pytest.mark.slow
def test_training_on_a_few_records_warns(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    rows = (DATA / "dev.jsonl").read_text().splitlines()[:40]
    data = tmp_path / "small.jsonl"
    data.write_text("\n".join(rows) + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stancelib",
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "m"),
            "--quick",
            "--folds",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert "warning: training on 40 records" in done.stderr
