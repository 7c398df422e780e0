"""The shipped corpus passes the validator, and the validator catches every kind of error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from training import datasheet, validate
from training.validate import Minima

from .conftest import DATA, FIXTURES, ROOT

BAD_TRAIN = FIXTURES / "corpus" / "bad_train.jsonl"
BAD_DEV = FIXTURES / "corpus" / "bad_dev.jsonl"


def test_shipped_corpus_is_valid() -> None:
    assert validate.validate(DATA / "train.jsonl", DATA / "dev.jsonl") == []


@pytest.mark.slow
def test_validator_command_passes_on_shipped_corpus() -> None:
    done = subprocess.run([sys.executable, "-m", "training.validate"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pass every check" in done.stdout


def test_datasheet_counts_match_the_files() -> None:
    assert datasheet.main(["--check"]) == 0


@pytest.fixture(scope="module")
def problems() -> list[str]:
    return validate.validate(BAD_TRAIN, BAD_DEV, Minima(1, 1, 1, 1), Minima(1, 1, 1, 1))


@pytest.mark.parametrize(
    ("where", "what"),
    [
        (f"{BAD_TRAIN}:2:", "malformed JSON"),
        (f"{BAD_TRAIN}:3:", "missing key(s) ['tone']"),
        (f"{BAD_TRAIN}:4:", "unexpected key(s) ['id']"),
        (f"{BAD_TRAIN}:5:", "unknown topic 'libya'"),
        (f"{BAD_TRAIN}:6:", "unknown tone 'friendly'"),
        (f"{BAD_TRAIN}:7:", "are not sorted; write ['arms_control', 'ukraine']"),
        (f"{BAD_TRAIN}:8:", "repeated topic"),
        (f"{BAD_TRAIN}:9:", "'text' is empty or whitespace only"),
        (f"{BAD_TRAIN}:10:", "'text' contains a line break"),
        (f"{BAD_TRAIN}:11:", f"duplicate of {BAD_TRAIN}:1"),
        (f"{BAD_TRAIN}:12:", "2 words; sentences must have 4 to 80 words"),
        (f"{BAD_TRAIN}:13:", "'text' must be a string, got int"),
        (f"{BAD_TRAIN}:13:", "'topics' must be a list of strings"),
        (f"{BAD_TRAIN}:13:", "'tone' must be a string, got list"),
        (f"{BAD_DEV}:1:", f"duplicate of {BAD_TRAIN}:1"),
        (f"{BAD_DEV}:2:", f"near duplicate of {BAD_TRAIN}:1"),
    ],
)
def test_validator_reports_each_error(problems: list[str], where: str, what: str) -> None:
    assert any(p.startswith(where) and what in p for p in problems), "\n".join(problems)


def test_validator_flags_nothing_on_good_lines(problems: list[str]) -> None:
    assert not any(p.startswith(f"{BAD_DEV}:3:") for p in problems)
    assert not any(p.startswith(f"{BAD_TRAIN}:1:") for p in problems)


def test_validator_checks_balance_minima() -> None:
    found = validate.validate(BAD_TRAIN, BAD_DEV)
    assert f"{BAD_TRAIN}: " in "\n".join(found)
    assert any("records; at least 5000 needed" in p for p in found)
    assert any("topic syria in 0 records; at least 500 needed" in p for p in found)
    assert any("venezuela x critical has 0 records; at least 120 needed" in p for p in found)
    assert any("off-agenda records; at least 1500 needed" in p for p in found)
    assert any(p.startswith(f"{BAD_DEV}: ") and "at least 100 needed" in p for p in found)


def test_validator_command_fails_with_file_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "training.validate", str(BAD_TRAIN), str(BAD_DEV)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert f"{BAD_TRAIN}:2: malformed JSON" in done.stdout


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    found = validate.validate(empty, BAD_DEV, Minima(0, 0, 0, 0), Minima(0, 0, 0, 0))
    assert f"{empty}: no records; the file is empty" in found
