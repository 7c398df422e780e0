"""Validate the labelled corpus: ``python -m training.validate [TRAIN] [DEV] [DEV_WIRE]``.

Checks every record (JSON, keys, types, labels from the spec, sorted and
distinct topics, text present, one line, 4 to 80 words), exact duplicates
(after case and space folding) within and across the files, near duplicates
between the training file and each dev file and between the dev files
(token-set Jaccard >= 0.8), the coverage minima, and, for the shipped corpus,
its register: the share of long sentences and of attribution, the spread of
reporting cues over the tones, and the lengths of the corpus v2 batches.
Every problem is reported as ``file:line: what is wrong``; exit status 1 if
there is any.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stancelib._dataset import Record, check_record
from stancelib._text import tokenize

from .register import cue_split, long_share, read_batches, words

TOPICS = ("arms_control", "iran", "north_korea", "syria", "ukraine", "venezuela")
TONES = ("cooperative", "critical", "neutral")
DATA = Path(__file__).resolve().parent / "data"
NEAR_DUPLICATE_JACCARD = 0.8
MIN_WORDS, MAX_WORDS = 4, 80


@dataclass(frozen=True)
class Minima:
    """Coverage minima of one file."""

    records: int
    per_topic: int
    per_cell: int
    offagenda: int
    multi_topic_share: float = 0.15
    tone_share: float = 0.25

    def scaled(self, factor: float) -> Minima:
        return Minima(
            math.ceil(self.records * factor),
            math.ceil(self.per_topic * factor),
            math.ceil(self.per_cell * factor),
            math.ceil(self.offagenda * factor),
            self.multi_topic_share,
            self.tone_share,
        )


TRAIN_MINIMA = Minima(records=5000, per_topic=500, per_cell=120, offagenda=1500)
DEV_MINIMA = Minima(records=1000, per_topic=100, per_cell=24, offagenda=300)
DEV_WIRE_MINIMA = Minima(records=800, per_topic=60, per_cell=15, offagenda=200)
BATCHES = DATA / "batches.json"


@dataclass(frozen=True)
class Register:
    """Register targets of the training file (corpus v2)."""

    long_share: float = 0.10  # lines of 40+ words
    attribution_share: float = 0.25
    max_tone_share_per_cue: float = 0.45
    new_lines: int = 4000
    new_median_words: int = 26
    new_long_share: float = 0.15


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def read_file(path: Path, problems: list[str]) -> list[Record]:
    """Read one JSONL file, collecting record-level problems."""
    records: list[Record] = []
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: no such file")
        return records
    except UnicodeDecodeError:
        problems.append(f"{path}: not valid UTF-8")
        return records
    for number, line in enumerate(content.split("\n"), start=1):
        where = f"{path}:{number}"
        if not line.strip():
            if number < content.count("\n") + 1:
                problems.append(f"{where}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        found = check_record(obj, where, set(TOPICS), set(TONES))
        if isinstance(found, list):
            problems.extend(found)
            continue
        text, topics, tone = found
        words = len(text.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            problems.append(f"{where}: {words} words; sentences must have {MIN_WORDS} to {MAX_WORDS} words")
        records.append(Record(text, tuple(topics), tone, str(path), number))
    if not records and not any(p.startswith(str(path)) for p in problems):
        problems.append(f"{path}: no records; the file is empty")
    return records


def exact_duplicates(files: Sequence[list[Record]], problems: list[str]) -> None:
    first: dict[str, Record] = {}
    for records in files:
        for r in records:
            key = fold(r.text)
            if key in first:
                e = first[key]
                problems.append(
                    f"{r.source}:{r.line}: duplicate of {e.source}:{e.line} (same text after case/space folding)"
                )
            else:
                first[key] = r


def near_duplicates(
    train: list[Record], dev: list[Record], problems: list[str], threshold: float = NEAR_DUPLICATE_JACCARD
) -> None:
    """Report dev records whose token set has Jaccard >= threshold with a train record.

    Uses prefix filtering: two sets with Jaccard >= t share at least one of
    the first |A| - ceil(t * |A|) + 1 tokens of each in a global rare-first order.
    """
    sets_train = [frozenset(tokenize(r.text)) for r in train]
    sets_dev = [frozenset(tokenize(r.text)) for r in dev]
    df: Counter[str] = Counter()
    for s in sets_train + sets_dev:
        df.update(s)

    def prefix(s: frozenset[str]) -> list[str]:
        ordered = sorted(s, key=lambda w: (df[w], w))
        return ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]

    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets_train):
        for w in prefix(s):
            index[w].append(i)
    for j, d in enumerate(sets_dev):
        if not d:
            continue
        candidates = sorted({i for w in prefix(d) for i in index.get(w, ())})
        for i in candidates:
            t = sets_train[i]
            small, big = sorted((len(t), len(d)))
            if small < threshold * big:
                continue
            inter = len(t & d)
            jaccard = inter / (len(t) + len(d) - inter)
            if jaccard >= threshold:
                r, e = dev[j], train[i]
                problems.append(
                    f"{r.source}:{r.line}: near duplicate of {e.source}:{e.line} "
                    f"(token Jaccard {jaccard:.2f} >= {threshold}); rewrite or drop one"
                )
                break


def coverage(records: list[Record], minima: Minima, source: str, problems: list[str]) -> None:
    n = len(records)
    if n < minima.records:
        problems.append(f"{source}: {n} records; at least {minima.records} needed")
    topic_n = Counter(t for r in records for t in r.topics)
    cells = Counter((t, r.tone) for r in records for t in r.topics)
    for t in TOPICS:
        if topic_n[t] < minima.per_topic:
            problems.append(f"{source}: topic {t} in {topic_n[t]} records; at least {minima.per_topic} needed")
        for tone in TONES:
            if cells[(t, tone)] < minima.per_cell:
                problems.append(
                    f"{source}: {t} x {tone} has {cells[(t, tone)]} records; at least {minima.per_cell} needed"
                )
    off = sum(1 for r in records if not r.topics)
    if off < minima.offagenda:
        problems.append(f"{source}: {off} off-agenda records; at least {minima.offagenda} needed")
    bearing = [r for r in records if r.topics]
    multi = sum(1 for r in bearing if len(r.topics) > 1)
    if bearing and multi / len(bearing) < minima.multi_topic_share:
        problems.append(
            f"{source}: {multi / len(bearing):.1%} of topic-bearing records have 2+ topics; "
            f"at least {minima.multi_topic_share:.0%} needed"
        )
    tones = Counter(r.tone for r in records)
    for tone in TONES:
        if n and tones[tone] / n < minima.tone_share:
            problems.append(
                f"{source}: tone {tone} is {tones[tone] / n:.1%} of records; at least {minima.tone_share:.0%} needed"
            )


def register(
    records: list[Record], source: str, problems: list[str], batches: Path | None, targets: Register = Register()
) -> None:
    """Check the register targets of the training file."""
    share = long_share(records)
    if share < targets.long_share:
        problems.append(f"{source}: {share:.1%} of lines have 40+ words; at least {targets.long_share:.0%} needed")
    n_attr, _ = cue_split(records, "attribution")
    if n_attr / max(len(records), 1) < targets.attribution_share:
        problems.append(
            f"{source}: {n_attr / len(records):.1%} of lines carry attribution; "
            f"at least {targets.attribution_share:.0%} needed"
        )
    for cue in ("weekday", "quotation marks", "attribution"):
        n, tones = cue_split(records, cue)
        for tone, count in tones.items():
            if n and count / n > targets.max_tone_share_per_cue:
                problems.append(
                    f"{source}: {count / n:.1%} of the {n} lines with {cue} are {tone}; "
                    f"at most {targets.max_tone_share_per_cue:.0%} allowed (the cue would predict the tone)"
                )
    if batches is None:
        return
    new = [r for b in read_batches(batches) if b.new_in_v2 for r in records[b.first - 1 : b.last]]
    if len(new) < targets.new_lines:
        problems.append(f"{batches}: {len(new)} corpus v2 lines; at least {targets.new_lines} needed")
    lengths = sorted(words(r) for r in new)
    median = lengths[len(lengths) // 2] if lengths else 0
    if median < targets.new_median_words:
        problems.append(f"{batches}: corpus v2 lines have median {median} words; at least {targets.new_median_words}")
    if new and long_share(new) < targets.new_long_share:
        problems.append(
            f"{batches}: {long_share(new):.1%} of corpus v2 lines have 40+ words; "
            f"at least {targets.new_long_share:.0%} needed"
        )


def validate(
    train_path: Path,
    dev_path: Path,
    train_minima: Minima = TRAIN_MINIMA,
    dev_minima: Minima = DEV_MINIMA,
    *,
    dev_wire_path: Path | None = None,
    dev_wire_minima: Minima = DEV_WIRE_MINIMA,
    batches: Path | None = None,
    check_register: bool = False,
) -> list[str]:
    """All problems of the corpus, as ``file:line: what is wrong`` strings.

    `dev_wire_path` adds the real-register dev set; `check_register` adds the
    register targets of the training file (and of the batches listed in
    `batches`).
    """
    problems: list[str] = []
    train = read_file(train_path, problems)
    dev = read_file(dev_path, problems)
    wire = read_file(dev_wire_path, problems) if dev_wire_path is not None else []
    exact_duplicates([train, dev, wire], problems)
    near_duplicates(train, dev, problems)
    coverage(train, train_minima, str(train_path), problems)
    coverage(dev, dev_minima, str(dev_path), problems)
    if dev_wire_path is not None:
        near_duplicates(train, wire, problems)
        near_duplicates(dev, wire, problems)
        coverage(wire, dev_wire_minima, str(dev_wire_path), problems)
    if check_register:
        register(train, str(train_path), problems, batches)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.validate", description=__doc__.split("\n")[0])
    parser.add_argument("train", nargs="?", type=Path, default=DATA / "train.jsonl")
    parser.add_argument("dev", nargs="?", type=Path, default=DATA / "dev.jsonl")
    parser.add_argument("dev_wire", nargs="?", type=Path, default=None, help="the real-register dev set (optional)")
    args = parser.parse_args(argv)
    # The shipped corpus (the default files) also meets the register targets.
    shipped = args.train == DATA / "train.jsonl"
    if shipped and args.dev_wire is None:
        args.dev_wire = DATA / "dev_wire.jsonl"
    problems = validate(
        args.train,
        args.dev,
        dev_wire_path=args.dev_wire,
        batches=BATCHES if shipped else None,
        check_register=shipped,
    )
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    checked = ", ".join(str(p) for p in (args.train, args.dev, args.dev_wire) if p is not None)
    print(f"ok: {checked} pass every check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
