"""Compare sentence segmenters on ``tests/data/segmentation_cases.jsonl``.

Run from the repository root::

    python benchmarks/segmentation_eval.py [--quick] [--single-call-kb 100,400]

For every segmenter the script reports boundary precision, recall and F1 and
the throughput in characters and sentences per second.

*Boundaries.* A boundary is the end offset (in the original text) of each
sentence except the last, after stripping surrounding whitespace. Predicted
and expected boundary sets are compared per case and the counts are summed
over all cases (micro-average).

*Spans.* Every library's output is mapped back to character offsets in the
original string so that differences in whitespace handling never count as
errors: pysbd's ``TextSpan.sent`` is located in the text from a moving cursor
(its own ``start``/``end`` are used only as a fallback), and syntok spans run
from the offset of the first token to the end of the last one.

*F1 1-line* repeats the F1 on the cases whose text holds no line break, to
separate punctuation handling from layout handling.

*Speed.* All case texts are joined with blank lines and repeated to about
2 MB. The corpus is fed one copy of the joined cases (about 25 kB, the size of
a long document) per call, the same for every segmenter, because pysbd and
syntok grow faster than linearly with the length of a single string; the
optional ``--single-call-kb`` sizes time one call on a string of that many
kilobytes, to show that scaling.

A segmenter whose package is not installed is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "segmentation_cases.jsonl"
TARGET_BYTES = 2_000_000

Spans = list[tuple[int, int]]
Segmenter = Callable[[str], Spans]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _make_pysbd() -> Segmenter:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def run(text: str) -> Spans:
        spans: Spans = []
        cursor = 0
        for item in seg.segment(text):
            piece = item.sent.strip()
            if not piece:
                continue
            # pysbd's own offsets come from re-searching each sentence in the
            # whole text, which drifts when a sentence occurs twice; searching
            # forward from the previous end keeps the mapping monotonic.
            found = text.find(piece, cursor)
            if found < 0:
                start, end = _strip_span(text, item.start, item.end)
            else:
                start, end = found, found + len(piece)
            spans.append((start, end))
            cursor = max(cursor, end)
        return spans

    return run


def _make_syntok() -> Segmenter:
    import syntok.segmenter as syntok_segmenter

    def run(text: str) -> Spans:
        spans: Spans = []
        for paragraph in syntok_segmenter.analyze(text):
            for sentence in paragraph:
                tokens = [t for t in sentence if t.value]
                if not tokens:
                    continue
                start = tokens[0].offset
                end = tokens[-1].offset + len(tokens[-1].value)
                spans.append(_strip_span(text, start, end))
        return spans

    return run


def _make_stancelib() -> Segmenter:
    sys.path.insert(0, str(ROOT))
    from stancelib._segment import segment

    return segment


SEGMENTERS: list[tuple[str, Callable[[], Segmenter]]] = [
    ("pysbd", _make_pysbd),
    ("syntok", _make_syntok),
    ("stancelib.segment", _make_stancelib),
]


def load_cases(path: Path = CASES) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_spans(case: dict) -> Spans:
    text = case["text"]
    spans: Spans = []
    cursor = 0
    for sentence in case["sentences"]:
        start = text.index(sentence, cursor)
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return spans


def boundaries(spans: Spans) -> set[int]:
    return {end for _, end in spans[:-1]}


def score(seg: Segmenter, cases: list[dict]) -> tuple[float, float, float, list[str]]:
    tp = fp = fn = 0
    wrong: list[str] = []
    for case in cases:
        gold = boundaries(expected_spans(case))
        pred = boundaries([s for s in seg(case["text"]) if s[1] > s[0]])
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
        if gold != pred:
            wrong.append(case["id"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, wrong


def speed(seg: Segmenter, document: str, copies: int) -> tuple[float, float]:
    n_sentences = 0
    t0 = time.perf_counter()
    for _ in range(copies):
        n_sentences += len(seg(document))
    elapsed = time.perf_counter() - t0
    chars = len(document) * copies
    return chars / elapsed, n_sentences / elapsed


def single_call_seconds(seg: Segmenter, document: str, size: int) -> float:
    text = (document * (size // len(document) + 1))[:size]
    t0 = time.perf_counter()
    seg(text)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accuracy only, no timing")
    parser.add_argument(
        "--single-call-kb",
        default="",
        help="comma-separated sizes in kB for one-call timing, e.g. 100,400",
    )
    parser.add_argument("--show-errors", action="store_true", help="list the ids of mis-segmented cases")
    args = parser.parse_args(argv)

    cases = load_cases()
    flat = [case for case in cases if "\n" not in case["text"]]
    document = "\n\n".join(case["text"] for case in cases)
    copies = max(1, round(TARGET_BYTES / len(document.encode("utf-8"))))
    sizes = [int(x) * 1000 for x in args.single_call_kb.split(",") if x.strip()]

    print(
        f"{len(cases)} cases, {sum(len(c['sentences']) for c in cases)} sentences;"
        f" 'F1 1-line' is F1 on the {len(flat)} cases without a line break"
    )
    if not args.quick:
        print(f"speed corpus: {copies} x {len(document):,} chars = {copies * len(document):,} chars, one call per copy")
    header = f"{'segmenter':<20}{'P':>8}{'R':>8}{'F1':>8}{'F1 1-line':>11}{'chars/s':>14}{'sents/s':>12}"
    for size in sizes:
        header += f"{f'1 call {size // 1000}kB':>16}"
    rows: list[str] = []
    notes: list[str] = []
    for name, factory in SEGMENTERS:
        try:
            seg = factory()
        except ImportError as exc:
            notes.append(f"{name}: skipped, not installed ({exc})")
            continue
        p, r, f1, wrong = score(seg, cases)
        flat_f1 = score(seg, flat)[2]
        row = f"{name:<20}{p:>8.4f}{r:>8.4f}{f1:>8.4f}{flat_f1:>11.4f}"
        if args.quick:
            row += f"{'-':>14}{'-':>12}"
        else:
            cps, sps = speed(seg, document, copies)
            row += f"{cps:>14,.0f}{sps:>12,.0f}"
            for size in sizes:
                row += f"{single_call_seconds(seg, document, size):>15.2f}s"
        rows.append(row)
        if args.show_errors and wrong:
            notes.append(f"{name}: {len(wrong)} cases differ: {' '.join(wrong)}")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row)
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
