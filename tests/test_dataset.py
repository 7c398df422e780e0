"""Reading labelled data: JSONL and CSV, with file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancelib import DataError
from stancelib._dataset import read_records


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "d.jsonl",
        '{"text": "a b c d", "topics": ["x"], "tone": "t"}\n\n{"text": "e f g h", "topics": [], "tone": "u"}\n',
    )
    records = read_records(p)
    assert [(r.text, r.topics, r.tone, r.line) for r in records] == [
        ("a b c d", ("x",), "t", 1),
        ("e f g h", (), "u", 3),
    ]


def test_csv(tmp_path: Path) -> None:
    p = write(tmp_path, "d.csv", 'text,topics,tone\n"Hello, world",iran;syria,neutral\nplain,,critical\n')
    records = read_records(p)
    assert records[0].topics == ("iran", "syria") and records[0].text == "Hello, world"
    assert records[1].topics == () and records[1].line == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", "", r"a\.jsonl: no records; the file is empty"),
        ("a.jsonl", '{"text": "x"\n', r"a\.jsonl:1: malformed JSON"),
        ("a.jsonl", '["x"]\n', r"a\.jsonl:1: expected a JSON object"),
        ("a.jsonl", '{"text": 1, "topics": [], "tone": "t"}\n', r"a\.jsonl:1: 'text' must be a string, got int"),
        ("a.jsonl", '{"text": "x", "topics": ["B a"], "tone": "t"}\n', r"a\.jsonl:1: topic 'B a' is not a label name"),
        (
            "a.jsonl",
            '{"text": "x", "topics": [], "tone": "t"}\n{"text": "X ", "topics": ["a"], "tone": "t"}\n',
            r"a\.jsonl:2: same text as line 1 but different labels",
        ),
        ("a.csv", "text,tone\nx,t\n", r"a\.csv:1: the CSV header must name the columns"),
        ("a.csv", "text,topics,tone\nx,,t,extra\n", r"a\.csv:2: 4 fields, the header has 3"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    p = write(tmp_path, name, content)
    with pytest.raises(DataError, match=message):
        read_records(p)


def test_all_problems_are_listed(tmp_path: Path) -> None:
    p = write(tmp_path, "a.jsonl", '{"text": ""}\n{"bad\n')
    with pytest.raises(DataError) as info:
        read_records(p)
    assert len(info.value.problems) == 2
    assert info.value.problems[0].startswith(f"{p}:1:")
    assert info.value.problems[1].startswith(f"{p}:2:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_records(tmp_path / "nope.jsonl")


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"text": "ok"}\n{"text": "\xff"}\n')
    with pytest.raises(DataError, match=r"a\.jsonl:2: not valid UTF-8"):
        read_records(p)


def test_restricted_label_sets(tmp_path: Path) -> None:
    p = write(tmp_path, "a.jsonl", '{"text": "x y", "topics": ["libya"], "tone": "t"}\n')
    with pytest.raises(DataError, match=r"unknown topic 'libya'"):
        read_records(p, topics=["iran"])
