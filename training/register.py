"""Register statistics of the corpus: lengths, and the reporting cues that must not predict a tone.

Used by ``training.validate`` (which checks the targets below) and
``training.datasheet`` (which prints the figures).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stancelib._dataset import Record

__all__ = ["CUES", "Batch", "cue_split", "kappa", "long_share", "read_batches", "words"]

_WEEKDAY = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_QUOTE = re.compile('["\u201c\u201d]')
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|according to|stated|added|noted|quoted|reported|announced|spokes(?:wo)?man|spokesperson)\b",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{2,}(?:, [A-Z][a-z]{2,}\.? \d{1,2}\b| \()")

#: Surface cues of real reporting that carry no stance: each must be spread over the tones.
CUES: dict[str, Callable[[str], bool]] = {
    "weekday": lambda t: bool(_WEEKDAY.search(t)),
    "quotation marks": lambda t: bool(_QUOTE.search(t)),
    "attribution": lambda t: bool(_ATTRIBUTION.search(t)),
    "dateline": lambda t: bool(_DATELINE.match(t)),
}


def words(record: Record) -> int:
    """Number of whitespace-separated words."""
    return len(record.text.split())


def long_share(records: Sequence[Record], at_least: int = 40) -> float:
    """Share of records with at least `at_least` words."""
    return sum(words(r) >= at_least for r in records) / max(len(records), 1)


def cue_split(records: Sequence[Record], cue: str) -> tuple[int, Counter[str]]:
    """How many records carry `cue`, and their tones."""
    hits = [r.tone for r in records if CUES[cue](r.text)]
    return len(hits), Counter(hits)


@dataclass(frozen=True)
class Batch:
    """A writing batch of ``train.jsonl``: a name, its brief and its lines (1-based, inclusive)."""

    name: str
    brief: str
    first: int
    last: int
    new_in_v2: bool


def read_batches(path: Path) -> list[Batch]:
    """The batch manifest (``training/data/batches.json``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Batch(b["name"], b["brief"], b["lines"][0], b["lines"][1], b["new_in_v2"]) for b in data["batches"]]


def kappa(first: Sequence[object], second: Sequence[object]) -> float:
    """Cohen's kappa of two annotators' labels for the same items."""
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second)) / n
    ca, cb = Counter(first), Counter(second)
    expected = sum(ca[k] * cb[k] for k in ca.keys() | cb.keys()) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0
