"""The two peers stancelib is measured against, trained on the same corpus.

* a scikit-learn TF-IDF + LogisticRegression Pipeline per head (one-vs-rest
  for topics, multinomial for tone), class-balanced, C=4;
* fastText supervised per head (one-vs-all loss for topics, softmax for tone),
  word bigrams.

Both get the same text preprocessing advantage we give ourselves: fastText
sees text already lower-cased and split by stancelib's tokenizer (done once,
outside any timing), since fastText only splits on whitespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stancelib._dataset import Record
from stancelib._text import tokenize

THRESHOLD = 0.5


class SklearnPeer:
    name = "sklearn"

    def __init__(self, topics: Sequence[str], tones: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import Pipeline

        self.topics, self.tones = list(topics), list(tones)

        def vec() -> Any:
            return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)

        self.topic_pipe = Pipeline(
            [
                ("tfidf", vec()),
                ("clf", OneVsRestClassifier(LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear"))),
            ]
        )
        self.tone_pipe = Pipeline(
            [("tfidf", vec()), ("clf", LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000))]
        )

    def fit(self, records: Sequence[Record]) -> SklearnPeer:
        texts = [r.text for r in records]
        Y = np.array([[t in r.topics for t in self.topics] for r in records], dtype=int)
        self.topic_pipe.fit(texts, Y)
        self.tone_pipe.fit(texts, [r.tone for r in records])
        return self

    def predict_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self.topic_pipe.predict_proba([text])[0], self.tone_pipe.predict_proba([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.topic_pipe.predict_proba(texts), self.tone_pipe.predict_proba(texts)

    def labels(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        topic_p, tone_p = self.predict_batch(texts)
        classes = list(self.tone_pipe.classes_)
        tone_idx = np.array([self.tones.index(classes[i]) for i in tone_p.argmax(axis=1)])
        return topic_p >= THRESHOLD, tone_idx

    def save(self, directory: Path) -> Path:
        import joblib

        path = directory / "sklearn-peer.joblib"
        joblib.dump((self.topic_pipe, self.tone_pipe), path)
        return path


def fasttext_text(text: str) -> str:
    return " ".join(tokenize(text))


class FastTextPeer:
    name = "fastText"

    def __init__(self, topics: Sequence[str], tones: Sequence[str]) -> None:
        self.topics, self.tones = list(topics), list(tones)
        self.dir = Path(tempfile.mkdtemp(prefix="stancelib-bench-ft-"))

    def fit(self, records: Sequence[Record]) -> FastTextPeer:
        import fasttext

        topic_file, tone_file = self.dir / "topics.txt", self.dir / "tone.txt"
        with topic_file.open("w") as ft, tone_file.open("w") as fo:
            for r in records:
                labels = " ".join(f"__label__{t}" for t in r.topics) or "__label__offagenda"
                text = fasttext_text(r.text)
                ft.write(f"{labels} {text}\n")
                fo.write(f"__label__{r.tone} {text}\n")
        common = {
            "wordNgrams": 2,
            "epoch": 25,
            "lr": 0.5,
            "dim": 50,
            "minCount": 1,
            "thread": 1,
            "seed": 0,
            "verbose": 0,
        }
        self.topic_model = fasttext.train_supervised(str(topic_file), loss="ova", **common)
        self.tone_model = fasttext.train_supervised(str(tone_file), loss="softmax", **common)
        return self

    def predict_one(self, text: str) -> tuple[Any, Any]:
        # fasttext 0.9.3's predict on a bare str breaks under numpy 2: pass a one-element list.
        return self.topic_model.predict([text], k=-1), self.tone_model.predict([text], k=-1)

    def predict_batch(self, texts: list[str]) -> tuple[Any, Any]:
        return self.topic_model.predict(texts, k=-1), self.tone_model.predict(texts, k=-1)

    def labels(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        prepared = [fasttext_text(t) for t in texts]
        (topic_labels, topic_probs), (tone_labels, _) = self.predict_batch(prepared)
        Y = np.zeros((len(texts), len(self.topics)), dtype=bool)
        for i, (labels, probs) in enumerate(zip(topic_labels, topic_probs)):
            for label, p in zip(labels, probs):
                name = label.removeprefix("__label__")
                if name in self.topics and p >= THRESHOLD:
                    Y[i, self.topics.index(name)] = True
        tone_idx = np.array([self.tones.index(labels[0].removeprefix("__label__")) for labels in tone_labels])
        return Y, tone_idx

    def save(self, directory: Path) -> tuple[Path, Path]:
        a, b = directory / "ft-topics.bin", directory / "ft-tone.bin"
        self.topic_model.save_model(str(a))
        self.tone_model.save_model(str(b))
        return a, b


def fasttext_binary() -> str | None:
    """fastText's command-line program: ``$STANCELIB_FASTTEXT_BIN``, else ``fasttext`` on the PATH."""
    return os.environ.get("STANCELIB_FASTTEXT_BIN") or shutil.which("fasttext")


def fasttext_cpp_rate(peer: FastTextPeer, texts: list[str], repeats: int, copies: int = 5) -> tuple[float, str]:
    """Sentences per second of fastText's own C++ prediction loop, both heads, on one pinned input file.

    With the fastText program available, this is its ``predict-prob`` command
    (all labels, output to /dev/null), one process per head; the time of the
    same command on a one-line file (loading the model) is subtracted, so the
    figure is the loop alone. Without it, the loop is reached through the
    Python module's ``multilinePredict`` (one call per head, the C++
    ``predictLine`` loop plus building the Python result lists). The second
    value says which was measured.
    """
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        a, b = peer.save(directory)
        full, one = directory / "input.txt", directory / "one.txt"
        # The file holds the sentences `copies` times over, so that the loop, not loading, dominates.
        full.write_text(("\n".join(texts) + "\n") * copies, encoding="utf-8")
        one.write_text(texts[0] + "\n", encoding="utf-8")
        binary = fasttext_binary()
        if binary:

            def run(path: Path) -> float:
                t = time.perf_counter()
                for model in (a, b):
                    subprocess.run(
                        [binary, "predict-prob", str(model), str(path), "-1"], stdout=subprocess.DEVNULL, check=True
                    )
                return time.perf_counter() - t

            loop = min(run(full) for _ in range(repeats)) - min(run(one) for _ in range(repeats))
            return copies * len(texts) / loop, (
                f"fastText C++: its `predict-prob` command ({binary}), all labels, both heads, on {len(texts):,} "
                f"pinned sentences {copies} times over; model loading (the same command on one line) subtracted."
            )
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        peer.topic_model.f.multilinePredict(texts, -1, 0.0, "strict")
        peer.tone_model.f.multilinePredict(texts, -1, 0.0, "strict")
        best = min(best, time.perf_counter() - t)
    return len(texts) / best, (
        "fastText C++: no fastText program found (set STANCELIB_FASTTEXT_BIN); measured its C++ predict loop "
        "through the Python module's multilinePredict, one call per head (includes building the result lists)."
    )


def fasttext_available() -> bool:
    try:
        import fasttext  # noqa: F401
    except ImportError:
        return False
    return True


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
