"""Tests of the sentence segmenter against the hand-written boundary cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancelib._segment import segment, sentences
from stancelib.errors import InputTypeError

CASES_PATH = Path(__file__).parent / "data" / "segmentation_cases.jsonl"


def _load_cases() -> list[dict]:
    with CASES_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _load_cases()


def _check_spans(text: str, spans: list[tuple[int, int]]) -> None:
    previous_end = 0
    for start, end in spans:
        assert isinstance(start, int) and isinstance(end, int)
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        previous_end = end


def _boundaries(spans: list[tuple[int, int]]) -> set[int]:
    return {end for _, end in spans[:-1]}


def _expected_spans(case: dict) -> list[tuple[int, int]]:
    spans = []
    cursor = 0
    for sentence in case["sentences"]:
        start = case["text"].index(sentence, cursor)
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans


def test_case_file_is_well_formed() -> None:
    assert len(CASES) >= 300
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert set(case) == {"id", "text", "sentences"}
        for sentence in case["sentences"]:
            assert sentence and sentence == sentence.strip()
        # Raises ValueError if a sentence is not a substring in order.
        _expected_spans(case)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict) -> None:
    text = case["text"]
    spans = segment(text)
    _check_spans(text, spans)
    assert [text[s:e] for s, e in spans] == case["sentences"]


def test_boundary_f1_on_case_file() -> None:
    tp = fp = fn = 0
    for case in CASES:
        gold = _boundaries(_expected_spans(case))
        pred = _boundaries(segment(case["text"]))
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.98, (precision, recall, f1)


def test_sentences_matches_segment() -> None:
    text = "Mr. Smith went to Washington, D.C. He met Sen. Jones.\n\nThen he left."
    assert sentences(text) == [text[s:e] for s, e in segment(text)]
    assert sentences(text) == ["Mr. Smith went to Washington, D.C.", "He met Sen. Jones.", "Then he left."]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \t\n\r\n  ",
        "\ud800 lone surrogate. \udfff Another.",
        "\x00\x01\x02. \x7f\x1b[0m Control characters!",
        "🇺🇦🇷🇺 Emoji only. 🙏",
        "中国外交部表示。美方应停止干涉！",
        "وقالت الوزارة. إن المحادثات ستستمر؟",
        "Москва заявила. Киев ответил…",
        ".",
        "...",
        "?!?!",
        "(((((",
        '"',
        "- ",
        "1. ",
        "QUESTION:",
        "U.S.",
        "a.\nb.\n\nC.",
        "\u2028\u2029\u200b\u200e\ufeff",
        "x" * 10_000,
        ". " * 5_000,
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    spans = segment(text)
    _check_spans(text, spans)
    if not text.strip():
        assert spans == []


def test_rejects_non_str() -> None:
    with pytest.raises(InputTypeError):
        segment(b"bytes are not text")  # type: ignore[arg-type]


@pytest.mark.slow
def test_large_text_completes() -> None:
    document = "\n\n".join(case["text"] for case in CASES)
    text = (document * (2_000_000 // len(document) + 1))[:2_000_000]
    spans = segment(text)
    _check_spans(text, spans)
    assert len(spans) > 10_000


@pytest.mark.slow
def test_one_huge_line_completes() -> None:
    # A single 2 MB line with no whitespace must not trigger any unbounded lookback.
    text = "a.b" * 700_000
    spans = segment(text)
    assert spans == [(0, len(text))]
