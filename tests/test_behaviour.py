"""The behavioural suite (benchmarks/behaviour.py): its independence from training, and its floors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from benchmarks import behaviour
from stancelib import Model
from stancelib._augment import PHRASINGS
from stancelib._text import tokenize

from .conftest import DATA, ROOT


def _grams(text: str, n: int) -> set[tuple[str, ...]]:
    words = tokenize(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _suite_phrasings() -> list[str]:
    frames = behaviour.load_frames()
    out: list[str] = []
    for key, values in frames.items():
        if key.startswith("_") or key == "transliteration":
            continue
        out += [v.replace("{q}", " ") for v in values]
    return out


def _suite_sentences() -> list[str]:
    mft = [c["text"] for c in behaviour.read_jsonl(behaviour.DATA / "mft.jsonl")]
    pairs = behaviour.read_jsonl(behaviour.DATA / "directional.jsonl")
    return mft + [c["base"] for c in pairs] + [c["edited"] for c in pairs]


def test_suite_phrasings_share_no_trigram_with_the_augmentation() -> None:
    augmentation: set[tuple[str, ...]] = set()
    for values in PHRASINGS.values():
        for phrase in values:
            augmentation |= _grams(phrase, 3)
    shared = {phrase: _grams(phrase, 3) & augmentation for phrase in _suite_phrasings()}
    assert {p: g for p, g in shared.items() if g} == {}


def _closest_training_overlap(texts: list[str], n: int = 4) -> dict[str, float]:
    """For each text, the largest share of its word n-grams found in one training sentence."""
    index: dict[tuple[str, ...], list[int]] = {}
    for i, line in enumerate((DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()):
        for gram in _grams(json.loads(line)["text"], n):
            index.setdefault(gram, []).append(i)
    out = {}
    for text in texts:
        own = _grams(text, n)
        hits = Counter(i for gram in own for i in index.get(gram, ()))
        out[text] = max(hits.values()) / len(own) if hits and own else 0.0
    return out


@pytest.mark.slow
def test_suite_sentences_are_not_in_the_training_data() -> None:
    # Normalised word 4-grams, sentence by sentence: a suite sentence may share
    # a phrase with a training sentence, never more than half its wording.
    overlap = _closest_training_overlap(_suite_sentences())
    assert {t: round(v, 2) for t, v in overlap.items() if v > 0.5} == {}


@pytest.fixture(scope="module")
def suite(shipped_model: Model) -> behaviour.SuiteResult:
    return behaviour.run_suite(shipped_model, name="fast")


# The families the corpus issue names; the named-speaker families are reported
# beside them (a named speaker may legitimately hint at the topic).
CONTRACT_FAMILIES = [
    "attribution tail",
    "attribution lead-in",
    "reported-speech chain",
    "dateline",
    "agenda-capital dateline",
    "quote wrapping",
    "weekday",
    "date",
    "transliteration",
    "all-caps headline",
    "trailing boilerplate",
]


@pytest.mark.parametrize("family", CONTRACT_FAMILIES)
def test_invariance_floors(suite: behaviour.SuiteResult, family: str) -> None:
    row = suite.family(family)
    assert row["n"] >= 50
    assert row["tone_unchanged"] >= 0.95
    assert row["tone_unchanged_coop_crit"] >= 0.95
    assert row["topics_unchanged"] >= TOPIC_FLOOR
    # Stability by drifting to one label would lower accuracy: it may not drop.
    assert row["tone_acc_after"] >= row["tone_acc_before"] - 0.02


TOPIC_FLOOR = 0.98


def test_agenda_capital_datelines_add_no_topic(suite: behaviour.SuiteResult) -> None:
    assert suite.family("agenda-capital dateline")["offagenda_no_topic_added"] >= 0.97


# Known failures of the n-gram model, kept visible: strict, so a model that
# gets them right makes the test fail until the mark is removed. The
# explanations show why: "that" and "it" lean critical in short lines, and
# "prisoner exchange" is mostly Ukraine in the corpus.
KNOWN_WRONG = {
    "That's it for today.": "short line: 'that' and 'it' carry critical weight",
    "We welcome the prisoner exchange.": "'prisoner exchange' pulls the ukraine topic past its threshold",
}
ISSUE_CASES = [c["text"] for c in behaviour.read_jsonl(behaviour.DATA / "mft.jsonl") if c.get("source") == "issue"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(t, marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[t])) if t in KNOWN_WRONG else t
        for t in ISSUE_CASES
    ],
)
def test_minimum_functionality_cases_named_by_the_corpus_issue(suite: behaviour.SuiteResult, text: str) -> None:
    case = next(c for c in suite.mft if c["text"] == text)
    assert case["ok"], f"want {case['want']}, got {case['got']}"


def test_minimum_functionality_floor(suite: behaviour.SuiteResult) -> None:
    assert sum(c["ok"] for c in suite.mft) / len(suite.mft) >= MFT_FLOOR


MFT_FLOOR = 0.85


def test_but_clauses_move_the_tone(suite: behaviour.SuiteResult) -> None:
    rows = {d["test"]: d["pass"] for d in suite.directional}
    assert rows["', but' + critical clause: P(critical) rises"] >= 0.8
    assert rows["', but' + cooperative clause: P(cooperative) rises"] >= 0.8


@pytest.mark.slow
def test_the_suite_command_prints_one_table_per_model() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.behaviour", "--model", "fast"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "### Behavioural suite: `fast`" in done.stdout
    assert "| attribution tail |" in done.stdout and "Minimum functionality:" in done.stdout


@pytest.mark.parametrize("document", ["README.md", "models/fast/MODEL_CARD.md"])
def test_the_published_suite_table_is_current(suite: behaviour.SuiteResult, document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    assert behaviour.BEGIN in text, f"{document} has no behavioural-suite table"
    block = text.split(behaviour.BEGIN, 1)[1].split(behaviour.END, 1)[0]
    assert behaviour.format_tables(suite) in block, (
        f"{document}: the suite table is stale; run python -m benchmarks.behaviour --update {document}"
    )
