"""Seeded training on small corpora: determinism, custom labels, bad data, atomic output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stancelib import DataError, Model
from stancelib._dataset import Record, read_records
from stancelib._fit import TrainConfig, train, train_to_directory

from .conftest import DATA, ROOT

pytestmark = pytest.mark.slow

QUICK = TrainConfig(word_ngrams=(2,), prefix_len=(0,), topic_C=(8.0,), tone_C=(8.0,), folds=3)


@pytest.fixture(scope="module")
def small() -> list[Record]:
    return read_records(DATA / "train.jsonl")[:900]


def test_same_seed_gives_identical_arrays(small: list[Record], tmp_path: Path) -> None:
    a = train(small, config=QUICK).model.save(tmp_path / "a")
    b = train(small, config=QUICK).model.save(tmp_path / "b")
    assert (a / "arrays.npz").read_bytes() == (b / "arrays.npz").read_bytes()
    meta_a = json.loads((a / "model.json").read_text())
    meta_b = json.loads((b / "model.json").read_text())
    assert meta_a["files"] == meta_b["files"]


def test_grid_search_picks_from_candidates(small: list[Record]) -> None:
    cfg = TrainConfig(word_ngrams=(1, 2), prefix_len=(0,), topic_C=(1.0, 16.0), tone_C=(1.0, 16.0), folds=3)
    result = train(small, config=cfg)
    chosen = result.selection["chosen"]
    assert chosen["word_ngrams"] in (1, 2) and chosen["topic_C"] in (1.0, 16.0)
    assert set(result.selection["grid"]) == {"word_ngrams=1,prefix_len=0", "word_ngrams=2,prefix_len=0"}
    assert all(0.05 <= t <= 0.95 for t in result.model.thresholds)


def test_custom_labels_come_from_the_data(tmp_path: Path) -> None:
    rows = []
    words = {"libya": "Tripoli Haftar Libyan", "taiwan": "Taipei strait Taiwanese", "": "football weather music"}
    tones = {"calm": "calmly quietly", "angry": "furious outraged"}
    i = 0
    for topic, tw in words.items():
        for tone, ow in tones.items():
            for k in range(12):
                i += 1
                rows.append(
                    Record(
                        f"{tw.split()[k % 3]} news {ow.split()[k % 2]} item number {i}",
                        (topic,) if topic else (),
                        tone,
                        "mem",
                        i,
                    )
                )
    model = train(rows, config=QUICK).model
    assert model.topics == ("libya", "taiwan") and model.tones == ("angry", "calm")
    p = model.predict("Haftar forces near Tripoli, officials outraged")
    assert p.topics == ("libya",) and p.tone == "angry"


def test_numpy_path_equals_sklearn_predict_proba(small: list[Record]) -> None:
    result = train(small, config=TrainConfig(word_ngrams=(2,), prefix_len=(4,), topic_C=(8.0,), tone_C=(4.0,), folds=3))
    dev = read_records(DATA / "dev.jsonl")
    texts = [r.text for r in dev]
    feat = result.featurizer
    views = [result.model.spec.tokens(t) for t in texts]
    X = feat.transform([feat.doc_keys([w.decode() for w in topic]) for topic, _ in views])
    X_tone = feat.transform([feat.doc_keys([w.decode() for w in tone]) for _, tone in views])
    sk_topics = np.column_stack([h.predict_proba(X)[:, 1] for h in result.topic_estimators])
    # The tone head's logits are divided by the fitted temperature.
    z = result.tone_estimator.decision_function(X_tone) / result.tone_temperature
    sk_tones = np.exp(z - z.max(axis=1, keepdims=True))
    sk_tones /= sk_tones.sum(axis=1, keepdims=True)
    ours = result.model.score_batch(texts)
    np.testing.assert_allclose(ours.topic_probs, sk_topics, atol=1e-6, rtol=0)
    np.testing.assert_allclose(ours.tone_probs, sk_tones, atol=1e-6, rtol=0)
    singles = [result.model.predict(t) for t in texts[:200]]
    for i, p in enumerate(singles):
        np.testing.assert_allclose([p.topic_scores[t] for t in result.model.topics], sk_topics[i], atol=1e-6)
        np.testing.assert_allclose([p.tone_scores[t] for t in result.model.tones], sk_tones[i], atol=1e-6)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (
            [Record(f"text {i}", (), "neutral", "f.jsonl", i) for i in range(20)],
            r"every record has tone 'neutral'; the tone head needs at least two tones",
        ),
        (
            [Record(f"text {i}", ("iran",) if i == 0 else (), "a" if i % 2 else "b", "f.jsonl", i) for i in range(20)],
            r"topic 'iran' occurs in only 1 record",
        ),
        ([Record("x", (), "a", "f.jsonl", 1)], r"training needs at least"),
    ],
)
def test_untrainable_data(records: list[Record], message: str) -> None:
    with pytest.raises(DataError, match=message):
        train(records, config=QUICK)


def test_bad_file_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok text here", "topics": [], "tone": "neutral"}\n{"text": 3}\n')
    out = tmp_path / "model"
    with pytest.raises(DataError, match=rf"{bad}:2:"):
        train_to_directory(str(bad), None, str(out), quick=True)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_cli_train_and_evaluate(tmp_path: Path, small: list[Record]) -> None:
    data = tmp_path / "train.csv"
    import csv

    with data.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "topics", "tone"])
        for r in small:
            w.writerow([r.text, ";".join(r.topics), r.tone])
    out = tmp_path / "m"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stancelib",
            "train",
            "--data",
            str(data),
            "--dev",
            str(DATA / "dev.jsonl"),
            "--out",
            str(out),
            "--quick",
            "--folds",
            "3",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "topic micro-F1" in done.stderr and "confusion" in done.stderr
    card = (out / "MODEL_CARD.md").read_text()
    assert "## Intended use" in card and "## Limits" in card and "micro-F1" in card
    meta = json.loads((out / "model.json").read_text())
    assert meta["metrics"]["dev"]["n"] > 1000
    assert meta["training"]["data_sha256"] and meta["library_version"]
    Model.load(out)
    ev = subprocess.run(
        [
            sys.executable,
            "-m",
            "stancelib",
            "evaluate",
            "--model",
            str(out),
            "--data",
            str(DATA / "dev.jsonl"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ev.returncode == 0
    assert json.loads(ev.stdout)["topic_micro_f1"] == pytest.approx(meta["metrics"]["dev"]["topic_micro_f1"])


def test_cli_train_bad_data(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "topics": ["Bad Label"], "tone": "neutral"}\n')
    done = subprocess.run(
        [sys.executable, "-m", "stancelib", "train", "--data", str(bad), "--out", str(tmp_path / "m")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert f"{bad}:1: topic 'Bad Label' is not a label name" in done.stderr
    assert "Traceback" not in done.stderr
