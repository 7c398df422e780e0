"""Training: features, cross-validated model selection, thresholds, export.

This module imports scikit-learn and scipy; nothing on the predict path
imports it.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from ._augment import augment
from ._dataset import Record
from ._features import FeatureSpec, Key, extract, key_to_str
from ._frame import FRAME_RULES
from ._metrics import evaluate, evaluate_arrays, targets
from ._model import Model
from ._version import __version__
from .errors import DataError, InputError

__all__ = [
    "TrainConfig",
    "TrainResult",
    "train",
    "train_to_directory",
    "Featurizer",
    "data_hash",
    "best_thresholds",
    "fit_topic_heads",
    "fit_tone_head",
    "topic_micro_f1",
    "tone_macro_f1",
    "expected_calibration_error",
    "fit_temperature",
    "TOLERANCE",
]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    """Settings for `train`. A tuple lists candidates chosen by cross-validation.

    Parameters
    ----------
    word_ngrams, prefix_len : tuple of int
        Feature settings to try (see `FeatureSpec`).
    topic_C, tone_C : tuple of float
        Inverse regularisation strengths to try for each head.
    class_weight : {"balanced", None}
        Re-weighting of classes in both heads.
    min_df : int
        Keep features seen in at least this many training sentences.
    folds : int
        Cross-validation folds for selection and threshold tuning.
    seed : int
        Seeds the fold split and the solvers; same seed, same data and same
        library versions give byte-identical arrays.
    frame : int
        Reporting-frame rules of the features (see `FeatureSpec`); 0 reads
        plain tokens.
    augment : bool
        Also train on one framed copy of every training sentence (see
        `stancelib._augment`); copies never cross a cross-validation fold.
    calibrate : bool
        Scale the tone logits by a temperature fitted on out-of-fold logits,
        so that tone probabilities match observed accuracy.
    """

    word_ngrams: tuple[int, ...] = (1, 2)
    prefix_len: tuple[int, ...] = (0, 5)
    topic_C: tuple[float, ...] = (4.0, 16.0, 64.0)
    tone_C: tuple[float, ...] = (0.5, 1.0, 2.0, 8.0)
    class_weight: str | None = "balanced"
    min_df: int = 2
    folds: int = 5
    seed: int = 0
    frame: int = FRAME_RULES
    augment: bool = False
    calibrate: bool = True

    def __post_init__(self) -> None:
        for name, low in (("folds", 2), ("seed", 0), ("min_df", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"{name} must be an integer of at least {low}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass
class TrainResult:
    """What `train` returns: the model, its scikit-learn heads, and the reports."""

    model: Model
    topic_estimators: list[LogisticRegression]
    tone_estimator: LogisticRegression
    featurizer: Featurizer
    selection: dict[str, Any] = field(default_factory=dict)
    dev_metrics: dict[str, Any] | None = None
    #: The tone head's logits are divided by this (1.0 without calibration).
    tone_temperature: float = 1.0


class Featurizer:
    """Vocabulary and IDF learnt from training text; builds TF-IDF matrices.

    Uses `FeatureSpec.tokens` and `features.extract`, exactly as `Model` does.
    """

    def __init__(self, spec: FeatureSpec, min_df: int = 2) -> None:
        self.spec = spec
        self.min_df = min_df
        self.keys: list[Key] = []
        self.index: dict[Key, int] = {}
        self.idf = np.zeros(0)

    def doc_keys(self, tokens: list[str]) -> Counter[Key]:
        """Count the feature keys of one tokenised text."""
        return Counter(extract(tokens, self.spec))

    def fit(self, docs: Sequence[Counter[Key]]) -> Featurizer:
        """Learn the vocabulary (keys in at least `min_df` docs) and the smoothed IDF."""
        df: Counter[Key] = Counter()
        for keys in docs:
            df.update(keys.keys())
        kept = sorted((k for k, c in df.items() if c >= self.min_df), key=key_to_str)
        self.keys = kept
        self.index = {k: i for i, k in enumerate(kept)}
        n = len(docs)
        counts = np.array([df[k] for k in kept], dtype=np.float64)
        # Smoothed IDF, as scikit-learn's TfidfTransformer(smooth_idf=True).
        self.idf = np.log((1.0 + n) / (1.0 + counts)) + 1.0
        if not kept:
            raise DataError(
                [
                    f"training data: no feature occurs in at least {self.min_df} records "
                    f"(of {n} in a training fold); a model needs words that repeat: add more data"
                ]
            )
        return self

    def transform(self, docs: Sequence[Counter[Key]]) -> sp.csr_matrix:
        """Rows ``count * idf / sqrt(sum(count * idf**2))``, as `Model` computes them."""
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        get = self.index.get
        for keys in docs:
            known = sorted((i, c) for i, c in ((get(k), c) for k, c in keys.items()) if i is not None)
            indices.extend(i for i, _ in known)
            counts.extend(c for _, c in known)
            indptr.append(len(indices))
        idx = np.asarray(indices, dtype=np.int64)
        c = np.asarray(counts, dtype=np.float64)
        idf = self.idf[idx] if len(idx) else np.zeros(0)
        X = sp.csr_matrix((c * idf, idx, np.asarray(indptr)), shape=(len(docs), len(self.keys)))
        S = sp.csr_matrix((c * idf * idf, idx, np.asarray(indptr)), shape=(len(docs), len(self.keys)))
        norms = np.sqrt(np.asarray(S.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ X)


def data_hash(records: Sequence[Record]) -> str:
    """SHA-256 of the records in canonical JSONL form."""
    h = hashlib.sha256()
    for r in records:
        h.update(r.to_json().encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _label_sets(records: Sequence[Record], folds: int) -> tuple[list[str], list[str]]:
    source = records[0].source or "training data"
    topics = sorted({t for r in records for t in r.topics})
    tones = sorted({r.tone for r in records})
    problems = []
    if len(records) < 2 * folds:
        problems.append(f"{source}: {len(records)} records; training needs at least {2 * folds}")
    if len(tones) < 2:
        problems.append(f"{source}: every record has tone {tones[0]!r}; the tone head needs at least two tones")
    counts = Counter(t for r in records for t in r.topics)
    for t in topics:
        if counts[t] < folds:
            problems.append(
                f"{source}: topic {t!r} occurs in only {counts[t]} record(s); "
                f"each topic needs at least {folds} (or lower --folds)"
            )
        elif counts[t] == len(records):
            problems.append(f"{source}: topic {t!r} is on every record; nothing to learn for it")
    tone_counts = Counter(r.tone for r in records)
    for t in tones:
        if tone_counts[t] < folds:
            problems.append(f"{source}: tone {t!r} occurs in only {tone_counts[t]} record(s); need at least {folds}")
    if problems:
        raise DataError(problems)
    return topics, tones


def _check_dev_labels(dev: Sequence[Record], topics: list[str], tones: list[str]) -> None:
    """Refuse dev labels the training data never has, before any training."""
    problems = []
    for r in dev:
        where = f"{r.source or 'dev data'}:{r.line}"
        unknown = [t for t in r.topics if t not in topics]
        if unknown:
            problems.append(f"{where}: topic(s) {unknown} do not occur in the training data; fix the label or add data")
        if r.tone not in tones:
            problems.append(f"{where}: tone {r.tone!r} does not occur in the training data; fix the label or add data")
    if problems:
        raise DataError(problems)


def fit_topic_heads(X: sp.csr_matrix, Y: np.ndarray, C: float, cfg: TrainConfig) -> list[LogisticRegression]:
    """Fit one liblinear logistic regression per topic column of `Y` (shared by both tiers)."""
    return [
        LogisticRegression(
            solver="liblinear", C=C, class_weight=cfg.class_weight, random_state=cfg.seed, max_iter=1000
        ).fit(X, Y[:, j])
        for j in range(Y.shape[1])
    ]


def fit_tone_head(X: sp.csr_matrix, y: np.ndarray, C: float, cfg: TrainConfig) -> LogisticRegression:
    """Fit the softmax tone head on tone indices `y` (shared by both tiers)."""
    return LogisticRegression(
        solver="lbfgs", C=C, class_weight=cfg.class_weight, max_iter=3000, random_state=cfg.seed
    ).fit(X, y)


#: Scores within this distance of the best count as equal; the simpler choice wins.
TOLERANCE = 0.002


def _most_regularised(scores: dict[float, float]) -> float:
    """Return the smallest C whose CV score is within `TOLERANCE` of the best.

    Differences this small are noise between folds; the more regularised
    model is the safer bet on text unlike the training data.
    """
    best = max(scores.values())
    return min(c for c, v in scores.items() if v >= best - TOLERANCE)


def best_thresholds(probs: np.ndarray, Y: np.ndarray) -> list[float]:
    """Per-topic threshold maximising F1 on out-of-fold probabilities.

    Among thresholds within 0.002 F1 of the best, the middle one is taken,
    which is steadier on new text than the edge of a plateau.
    """
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    out = []
    for j in range(Y.shape[1]):
        truth = Y[:, j]
        f1s = []
        for th in grid:
            pred = probs[:, j] >= th
            tp = np.sum(pred & truth)
            denom = pred.sum() + truth.sum()
            f1s.append(2 * tp / denom if denom else 0.0)
        f1 = np.array(f1s)
        near = np.flatnonzero(f1 >= f1.max() - 0.002)
        out.append(float(grid[near[len(near) // 2]]))
    return out


def topic_micro_f1(probs: np.ndarray, Y: np.ndarray, thresholds: Sequence[float]) -> float:
    """Topic micro-F1 of probabilities `probs` cut at `thresholds` against indicators `Y`."""
    names = [str(j) for j in range(Y.shape[1])]
    none = np.zeros(len(Y), dtype=np.int64)
    return float(evaluate_arrays(names, ["_", "_"], Y, probs >= np.asarray(thresholds), none, none)["topic_micro_f1"])


def tone_macro_f1(y: np.ndarray, pred: np.ndarray, m: int) -> float:
    """Tone macro-F1 of predicted tone indices `pred` against `y`, over `m` tones."""
    no_topics = np.zeros((len(y), 0), dtype=bool)
    return float(evaluate_arrays([], [str(j) for j in range(m)], no_topics, no_topics, y, pred)["tone_macro_f1"])


def _tone_logits(head: LogisticRegression, X: sp.csr_matrix, m: int) -> np.ndarray:
    """Tone logits in class order (two tones: (0, z), as the model stores them)."""
    z = head.decision_function(X)
    if m == 2:
        return np.column_stack([np.zeros_like(z), z])
    return np.asarray(z)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Return the expected calibration error of the top class: mean |accuracy - confidence| over 10 bins."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Return the temperature T minimising the log-loss of ``softmax(logits / T)`` (golden-section search)."""

    def loss(log_t: float) -> float:
        z = logits / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    lo, hi = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = loss(b)
    return math.exp((lo + hi) / 2)


def train(
    records: Sequence[Record],
    dev: Sequence[Record] | None = None,
    config: TrainConfig | None = None,
    *,
    name: str = "custom",
    version: str | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train a model on labelled records.

    Parameters
    ----------
    records : sequence of Record
        Training data; its label sets become the model's.
    dev : sequence of Record, optional
        Held-out data for the reported metrics (never used for selection).
    config : TrainConfig, optional
    name : str
        Stored in the metadata.
    version : str, optional
        The model's version, stored in the metadata (a retrained shipped
        model is a new version); shown by `Model.model_id`.
    progress : callable, optional
        Called with one line of text per step.

    Returns
    -------
    TrainResult
    """
    cfg = config or TrainConfig()
    say = progress or (lambda line: None)
    started = time.perf_counter()
    records = list(records)
    if not records:
        raise DataError(["training data: no records"])
    topics, tones = _label_sets(records, cfg.folds)
    if dev:
        _check_dev_labels(dev, topics, tones)
    Y, y = targets(records, topics, tones)
    n = len(records)
    # Framed copies (row n + i is the copy of record i) join only the training side of a split.
    copies = augment(records, cfg.seed) if cfg.augment else []
    views = [FeatureSpec(2, 0, cfg.frame).tokens(r.text) for r in [*records, *copies]]
    topic_tokens = [[t.decode("utf-8") for t in a] for a, _ in views]
    tone_tokens = [tt if b is a else [t.decode("utf-8") for t in b] for (a, b), tt in zip(views, topic_tokens)]
    Y_all = np.vstack([Y, Y]) if copies else Y
    y_all = np.concatenate([y, y]) if copies else y

    def with_copies(idx: np.ndarray) -> np.ndarray:
        return np.concatenate([idx, idx + n]) if copies else idx

    splits = list(StratifiedKFold(n_splits=cfg.folds, shuffle=True, random_state=cfg.seed).split(np.zeros(n), y))
    specs = [FeatureSpec(w, p, cfg.frame) for w in cfg.word_ngrams for p in cfg.prefix_len]
    grid: dict[str, Any] = {}
    best: tuple[float, FeatureSpec, float, float, np.ndarray, np.ndarray] | None = None
    steps = len(specs) * cfg.folds
    step = 0
    for spec in specs:
        docs = [Counter(extract(t, spec)) for t in topic_tokens]
        tone_docs = [d if b is a else Counter(extract(b, spec)) for d, a, b in zip(docs, topic_tokens, tone_tokens)]
        topic_oof = {C: np.zeros(Y.shape) for C in cfg.topic_C}
        tone_oof = {C: np.zeros((n, len(tones))) for C in cfg.tone_C}
        for train_idx, test_idx in splits:
            step += 1
            say(f"[{step}/{steps}] cross-validating word_ngrams={spec.word_ngrams} prefix_len={spec.prefix_len}")
            fit_idx = with_copies(train_idx)
            # Vocabulary and IDF from the sentences themselves: a framed copy
            # would count every n-gram twice and let single-use ones past min_df.
            feat = Featurizer(spec, cfg.min_df).fit([docs[i] for i in train_idx])
            X_tr = feat.transform([docs[i] for i in fit_idx])
            X_te = feat.transform([docs[i] for i in test_idx])
            for C in cfg.topic_C:
                heads = fit_topic_heads(X_tr, Y_all[fit_idx], C, cfg)
                topic_oof[C][test_idx] = np.column_stack([h.predict_proba(X_te)[:, 1] for h in heads])
            T_tr = feat.transform([tone_docs[i] for i in fit_idx])
            T_te = feat.transform([tone_docs[i] for i in test_idx])
            for C in cfg.tone_C:
                tone_oof[C][test_idx] = _tone_logits(fit_tone_head(T_tr, y_all[fit_idx], C, cfg), T_te, len(tones))
        topic_scores = {C: topic_micro_f1(p, Y, best_thresholds(p, Y)) for C, p in topic_oof.items()}
        tone_scores = {C: tone_macro_f1(y, z.argmax(axis=1), len(tones)) for C, z in tone_oof.items()}
        tC = _most_regularised(topic_scores)
        oC = _most_regularised(tone_scores)
        total = topic_scores[tC] + tone_scores[oC]
        key = f"word_ngrams={spec.word_ngrams},prefix_len={spec.prefix_len}"
        grid[key] = {
            "topic_micro_f1_by_C": {str(c): round(v, 4) for c, v in topic_scores.items()},
            "tone_macro_f1_by_C": {str(c): round(v, 4) for c, v in tone_scores.items()},
        }
        say(f"    topic micro-F1 {topic_scores[tC]:.3f} (C={tC}), tone macro-F1 {tone_scores[oC]:.3f} (C={oC})")
        if best is None or total > best[0] + TOLERANCE:
            best = (total, spec, tC, oC, topic_oof[tC], tone_oof[oC])
    assert best is not None
    _, spec, topic_C, tone_C, oof, tone_logits = best
    thresholds = best_thresholds(oof, Y)
    temperature = fit_temperature(tone_logits, y) if cfg.calibrate else 1.0
    say(f"chosen: word_ngrams={spec.word_ngrams} prefix_len={spec.prefix_len} topic_C={topic_C} tone_C={tone_C}")
    if cfg.calibrate:
        before = expected_calibration_error(_softmax(tone_logits), y)
        after = expected_calibration_error(_softmax(tone_logits / temperature), y)
        say(f"tone temperature {temperature:.3f}: out-of-fold calibration error {before:.3f} -> {after:.3f}")
    say("fitting the final model on all training data")
    docs = [Counter(extract(t, spec)) for t in topic_tokens]
    tone_docs = [d if b is a else Counter(extract(b, spec)) for d, a, b in zip(docs, topic_tokens, tone_tokens)]
    feat = Featurizer(spec, cfg.min_df).fit(docs[:n])
    X = feat.transform(docs)
    topic_heads = fit_topic_heads(X, Y_all, topic_C, cfg)
    tone_head = fit_tone_head(feat.transform(tone_docs), y_all, tone_C, cfg)
    tone_order = [tones[int(c)] for c in tone_head.classes_]
    tone_coef, tone_intercept = tone_head.coef_.T.copy(), tone_head.intercept_.copy()
    if len(tone_order) == 2:
        # Two tones: scikit-learn fits one logistic score z for the second
        # class; softmax over logits (0, z) gives the same probabilities.
        tone_coef = np.hstack([np.zeros_like(tone_coef), tone_coef])
        tone_intercept = np.concatenate([[0.0], tone_intercept])
    tone_coef /= temperature
    tone_intercept /= temperature
    selection = {
        "grid": grid,
        "chosen": {
            "word_ngrams": spec.word_ngrams,
            "prefix_len": spec.prefix_len,
            "topic_C": topic_C,
            "tone_C": tone_C,
        },
        "cv_topic_micro_f1": round(topic_micro_f1(oof, Y, thresholds), 4),
        "cv_tone_macro_f1": round(tone_macro_f1(y, tone_logits.argmax(axis=1), len(tones)), 4),
        "tone_temperature": round(temperature, 6),
        "cv_tone_calibration_error": round(expected_calibration_error(_softmax(tone_logits / temperature), y), 4),
    }
    metadata: dict[str, Any] = {
        "name": name,
        **({"version": version} if version else {}),
        "library_version": __version__,
        "training": {
            "records": len(records),
            "data_sha256": data_hash(records),
            "config": cfg.to_dict(),
            "selection": selection,
            "seconds": None,
        },
    }
    model = Model(
        vocabulary=[key_to_str(k) for k in feat.keys],
        idf=feat.idf,
        topic_coef=np.column_stack([h.coef_.ravel() for h in topic_heads]),
        topic_intercept=np.array([h.intercept_[0] for h in topic_heads]),
        tone_coef=tone_coef,
        tone_intercept=tone_intercept,
        topics=topics,
        tones=tone_order,
        thresholds=thresholds,
        spec=spec,
        metadata=metadata,
    )
    dev_metrics = None
    if dev:
        say(f"evaluating on {len(dev)} dev records")
        dev_metrics = evaluate(model, dev)
    metadata["training"]["seconds"] = round(time.perf_counter() - started, 1)
    metadata["metrics"] = {"dev": dev_metrics} if dev_metrics else {}
    # The same arrays again, now with the dev metrics in the metadata.
    model = model.with_metadata(metadata)
    return TrainResult(model, topic_heads, tone_head, feat, selection, dev_metrics, temperature)


def train_to_directory(
    data: str,
    dev: str | None,
    out: str,
    *,
    name: str | None = None,
    seed: int = 0,
    folds: int = 5,
    quick: bool = False,
    config: TrainConfig | None = None,
    version: str | None = None,
    more_dev: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Read labelled files, train, print the report, and save the model with its card.

    `config` replaces the default settings (and then `seed`, `folds` and
    `quick` are not used). `more_dev` maps names to further held-out files
    (e.g. ``{"dev_wire": ...}``), evaluated and recorded beside ``dev``.

    Bad data raises `DataError` with ``file:line`` messages before anything
    is written; the model directory is written atomically.
    """
    from pathlib import Path

    from ._card import model_card
    from ._dataset import read_records
    from ._metrics import format_report
    from ._modelfile import check_destination, saved_metadata

    say = progress or (lambda line: None)
    # Refuse a destination that would be refused at the end, before the work.
    check_destination(out)
    if config is None:
        config = TrainConfig(seed=seed, folds=folds)
        if quick:
            config = TrainConfig(
                word_ngrams=(2,), prefix_len=(0,), topic_C=(8.0,), tone_C=(8.0,), seed=seed, folds=folds
            )
    records = read_records(data)
    dev_records = read_records(dev) if dev else None
    say(
        f"training on {len(records)} records from {data}"
        + (f", dev {len(dev_records)} from {dev}" if dev_records else "")
    )
    extra = {key: read_records(path) for key, path in (more_dev or {}).items()}
    result = train(records, dev_records, config, name=name or Path(out).name, version=version, progress=say)
    if result.dev_metrics:
        say("")
        say(format_report(result.dev_metrics, result.model.tones))
    if extra:
        metadata = dict(result.model.metadata)
        metadata["metrics"] = dict(metadata.get("metrics", {}))
        for key, held_out in extra.items():
            metadata["metrics"][key] = evaluate(result.model, held_out)
            say("")
            say(f"{key}:")
            say(format_report(metadata["metrics"][key], result.model.tones))
        result.model = result.model.with_metadata(metadata)
    # The card describes the metadata exactly as `save` writes it.
    meta = saved_metadata(result.model.arguments())
    result.model.save(out, extra_files={"MODEL_CARD.md": model_card(meta)})
    say(f"saved {out}")
    return result
