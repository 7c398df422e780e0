"""Reading labelled sentences from JSONL or CSV, with ``file:line`` errors.

A JSONL record is ``{"text": "...", "topics": ["iran"], "tone": "critical"}``
with topics sorted and distinct. A CSV file has a header with the columns
``text``, ``topics`` and ``tone``; ``topics`` holds the topic names joined by
``;`` (empty for none).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError

__all__ = ["Record", "read_records", "parse_lines", "check_record", "LABEL_PATTERN"]

LABEL_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
_KEYS = ("text", "topics", "tone")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Record:
    """One labelled sentence, with where it came from."""

    text: str
    topics: tuple[str, ...]
    tone: str
    source: str = ""
    line: int = 0

    def to_json(self) -> str:
        return json.dumps({"text": self.text, "topics": list(self.topics), "tone": self.tone}, ensure_ascii=False)


def read_records(
    path: str | os.PathLike[str],
    *,
    topics: Iterable[str] | None = None,
    tones: Iterable[str] | None = None,
) -> list[Record]:
    """Read and check a labelled file (``.jsonl``/``.json`` or ``.csv``).

    Parameters
    ----------
    path : path-like
    topics, tones : iterable of str, optional
        If given, labels outside these sets are errors.

    Raises
    ------
    DataError
        Listing every problem as ``file:line: what is wrong``.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DataError([f"{p}: no such file"]) from None
    except IsADirectoryError:
        raise DataError([f"{p}: is a directory; pass a .jsonl or .csv file"]) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([f"{p}:{line}: not valid UTF-8; save the file as UTF-8"]) from None
    rows = _csv_rows(content, str(p)) if p.suffix.lower() == ".csv" else _jsonl_rows(content, str(p))
    return parse_lines(rows, source=str(p), topics=topics, tones=tones)


def _jsonl_rows(content: str, source: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, DataError([f"{source}:{number}: malformed JSON ({exc.msg} at column {exc.colno})"])
        except RecursionError:
            yield number, DataError([f"{source}:{number}: JSON nested too deeply; a record is one flat object"])
        except ValueError as exc:  # integers over the interpreter's digit limit
            yield number, DataError([f"{source}:{number}: unreadable JSON value ({exc}); a record is one flat object"])


def _csv_rows(content: str, source: str) -> Iterator[tuple[int, object]]:
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, DataError([f"{source}:1: malformed CSV ({exc})"])
        return
    names = [h.strip().lower() for h in header]
    missing = [k for k in _KEYS if k not in names]
    if missing:
        yield 1, DataError([f"{source}:1: the CSV header must name the columns text, topics, tone; missing {missing}"])
        return
    cols = {k: names.index(k) for k in _KEYS}
    while True:
        number = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, DataError([f"{source}:{number}: malformed CSV ({exc})"])
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield (
                number,
                DataError(
                    [
                        f"{source}:{number}: {len(row)} fields, the header has {len(names)}; "
                        "quote fields that contain commas"
                    ]
                ),
            )
            continue
        topic_cell = row[cols["topics"]].strip()
        yield (
            number,
            {
                "text": row[cols["text"]],
                "topics": [t.strip() for t in topic_cell.split(";")] if topic_cell else [],
                "tone": row[cols["tone"]].strip(),
            },
        )


def parse_lines(
    rows: Iterable[tuple[int, object]],
    *,
    source: str,
    topics: Iterable[str] | None = None,
    tones: Iterable[str] | None = None,
) -> list[Record]:
    """Check parsed rows ``(line number, object)`` and build records."""
    allowed_topics = set(topics) if topics is not None else None
    allowed_tones = set(tones) if tones is not None else None
    problems: list[str] = []
    records: list[Record] = []
    seen: dict[str, Record] = {}
    for number, obj in rows:
        where = f"{source}:{number}"
        if isinstance(obj, DataError):
            problems.extend(obj.problems)
            continue
        found = check_record(obj, where, allowed_topics, allowed_tones)
        if isinstance(found, list):
            problems.extend(found)
            continue
        text, topic_list, tone = found
        record = Record(text, tuple(topic_list), tone, source, number)
        key = " ".join(text.casefold().split())
        earlier = seen.get(key)
        if earlier is not None and (earlier.topics, earlier.tone) != (record.topics, record.tone):
            problems.append(
                f"{where}: same text as line {earlier.line} but different labels "
                f"({list(record.topics)}, {record.tone} vs {list(earlier.topics)}, {earlier.tone}); keep one"
            )
            continue
        seen.setdefault(key, record)
        records.append(record)
    if not records and not problems:
        problems.append(f"{source}: no records; the file is empty")
    if problems:
        raise DataError(problems)
    return records


def check_record(
    obj: object,
    where: str,
    allowed_topics: set[str] | None,
    allowed_tones: set[str] | None,
) -> tuple[str, list[str], str] | list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected a JSON object with keys text, topics, tone, got {type(obj).__name__}"]
    problems = []
    missing = [k for k in _KEYS if k not in obj]
    extra = sorted(k for k in obj if k not in _KEYS)
    if missing:
        problems.append(f"{where}: missing key(s) {missing}")
    if extra:
        problems.append(f"{where}: unexpected key(s) {extra}; a record has exactly text, topics, tone")
    if problems:
        return problems
    text, topic_list, tone = obj["text"], obj["topics"], obj["tone"]
    if not isinstance(text, str):
        problems.append(f"{where}: 'text' must be a string, got {type(text).__name__}")
    elif not text.strip():
        problems.append(f"{where}: 'text' is empty or whitespace only")
    elif "\n" in text or "\r" in text:
        problems.append(f"{where}: 'text' contains a line break; one record is one sentence")
    elif _SURROGATE.search(text):
        problems.append(f"{where}: 'text' contains a lone surrogate (an unpaired \\ud800-\\udfff escape); fix the text")
    if not isinstance(topic_list, list) or not all(isinstance(t, str) for t in topic_list):
        problems.append(f"{where}: 'topics' must be a list of strings, got {topic_list!r}")
    else:
        for t in topic_list:
            if not LABEL_PATTERN.match(t):
                problems.append(f"{where}: topic {t!r} is not a label name (lower-case letters, digits, _)")
            elif allowed_topics is not None and t not in allowed_topics:
                problems.append(f"{where}: unknown topic {t!r}; expected one of {sorted(allowed_topics)}")
        if len(set(topic_list)) != len(topic_list):
            problems.append(f"{where}: repeated topic in {topic_list}")
        elif topic_list != sorted(topic_list):
            problems.append(f"{where}: topics {topic_list} are not sorted; write {sorted(topic_list)}")
    if not isinstance(tone, str):
        problems.append(f"{where}: 'tone' must be a string, got {type(tone).__name__}")
    elif not LABEL_PATTERN.match(tone):
        problems.append(f"{where}: tone {tone!r} is not a label name (lower-case letters, digits, _)")
    elif allowed_tones is not None and tone not in allowed_tones:
        problems.append(f"{where}: unknown tone {tone!r}; expected one of {sorted(allowed_tones)}")
    if problems:
        return problems
    return text, topic_list, tone
