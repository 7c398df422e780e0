"""Build the accurate model from fine-tuning runs: ``python -m training.train_accurate``.

Start with one or more runs of ``python -m training.finetune`` (see there);
this script then

1. builds, for each run, the model it implies: the shipped fast model's
   n-grams (``models/fast/``: vocabulary, IDF, topic heads and thresholds
   unchanged), the run's encoder changes as arrays, and its tone head; the
   tone logit is ``head(embedding) + a * n-gram tone logit``, divided by a
   temperature. The weight ``a`` (0 is the encoder alone) and the
   temperature are chosen on ``dev.jsonl`` by log-loss; ``dev_wire.jsonl``
   is never used to choose anything and reports the result;
2. builds the frozen-encoder tier as it stood before fine-tuning (one softmax
   regression on the tone view's TF-IDF row and the normalised layer-5
   embedding, both from the same corpus), and the frozen embedding alone,
   for the comparison;
3. prints one table (dev, dev-wire, calibration; with ``--behaviour``, the
   behavioural suite of ``benchmarks/behaviour.py``), keeps the adapter run
   whose combined model has the lowest dev log-loss (or the one given by
   ``--ship``; full weight changes are too large to ship) and writes it to
   ``models/accurate/`` with the table in its model card.

Every model is measured through its own `predict` path. Same runs, data and
library versions give the same arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
#: Version of the accurate model this script builds (recorded in ``model.json``).
VERSION = "2"
#: Weights of the n-gram tone logit tried next to the encoder's.
NGRAM_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)

# The encoder's weights ship inside a package; make sure nothing ever asks a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _say(line: str) -> None:
    print(line, flush=True)


def _log_loss(z: np.ndarray, y: np.ndarray) -> float:
    from scipy.special import log_softmax

    return float(-log_softmax(z, axis=1)[np.arange(len(y)), y].mean())


def _ngram_tone_logits(fast: Any, texts: Sequence[str]) -> np.ndarray:
    """The fast model's tone logits up to a constant per row (softmax ignores it)."""
    return np.log(np.maximum(fast.score_batch(texts).tone_probs, 1e-300))


def choose_fusion(
    z_encoder: np.ndarray, z_ngram: np.ndarray, y: np.ndarray, weights: Sequence[float]
) -> dict[str, Any]:
    """Pick the n-gram weight and the temperature by log-loss on one labelled set."""
    from stancelib._fit import fit_temperature

    table = {}
    for a in weights:
        z = z_encoder + a * z_ngram
        t = fit_temperature(z, y)
        table[a] = (t, _log_loss(z / t, y))
    best = min(table, key=lambda a: table[a][1])
    return {
        "ngram_weight": best,
        "temperature": round(table[best][0], 6),
        "log_loss": {f"{a:g}": round(v[1], 5) for a, v in table.items()},
    }


def tuned_model(fast: Any, run: Path, ngram_weight: float, temperature: float, metadata: dict[str, Any]) -> Any:
    """The accurate model implied by a fine-tuning run (see the module notes)."""
    from stancelib._accurate import AccurateModel
    from stancelib._encoder import adapters_sha256, encoder_identity

    settings = json.loads((run / "run.json").read_text(encoding="utf-8"))["settings"]
    with np.load(run / "tuned.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    head_w, head_b = arrays.pop("head_weight").astype(np.float64), arrays.pop("head_bias").astype(np.float64)
    identity = encoder_identity(layers=int(settings["layers"]))
    identity.update(
        {
            "normalize": False,
            "input": "tone view",
            "adapters": {
                "kind": "low-rank adapters" if settings["rank"] else "full weight changes",
                "rank": int(settings["rank"]),
                "alpha": float(settings["alpha"]) if settings["rank"] else 0.0,
                "arrays": len(arrays),
                "sha256": adapters_sha256(arrays),
            },
        }
    )
    args = fast.arguments()
    k = len(fast.topics)
    coef = np.zeros((head_w.shape[1], k + len(fast.tones)))
    coef[:, k:] = head_w.T / temperature
    args.update(
        tone_coef=args["tone_coef"] * (ngram_weight / temperature),
        tone_intercept=(args["tone_intercept"] * ngram_weight + head_b) / temperature,
        metadata=metadata,
    )
    return AccurateModel(encoder_coef=coef, encoder=identity, adapters=arrays, **args)


def _frozen(
    fast: Any, records: Sequence[Any], sets: Mapping[str, Sequence[Any]]
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
    """Tone logits of the frozen-encoder tier retrained on this corpus: joint with the n-grams, and alone.

    Twice: reading the sentence as it is (the tier as it stood) and reading
    the tone view (as the fine-tuned encoder does), so that the comparison
    separates what fine-tuning buys from what the input buys. Also returns,
    per joint variant, a function of the temperature that builds it as a model.
    """
    import scipy.sparse as sp

    from stancelib._accurate import AccurateModel
    from stancelib._encoder import SentenceEncoder, encoder_identity
    from stancelib._features import FeatureSpec, extract, key_to_str
    from stancelib._fit import Featurizer, TrainConfig, fit_tone_head
    from stancelib._metrics import targets

    spec = fast.spec
    min_df = int(fast.metadata.get("training", {}).get("config", {}).get("min_df", 2))
    tone_C = float(fast.metadata["training"]["selection"]["chosen"]["tone_C"])

    def docs(rs: Sequence[Any]) -> tuple[list[Counter[Any]], list[Counter[Any]]]:
        topic, tone = [], []
        for r in rs:
            a, b = FeatureSpec(2, 0, spec.frame).tokens(r.text)
            d = Counter(extract([t.decode("utf-8") for t in a], spec))
            topic.append(d)
            tone.append(d if b is a else Counter(extract([t.decode("utf-8") for t in b], spec)))
        return topic, tone

    topic_docs, tone_docs = docs(records)
    feat = Featurizer(spec, min_df).fit(topic_docs)
    if [key_to_str(k) for k in feat.keys] != fast.vocabulary:
        raise SystemExit("error: the n-gram vocabulary rebuilt from the data differs from the fast model's; retrain it")
    _, y = targets(records, list(fast.topics), list(fast.tones))
    X = feat.transform(tone_docs)
    X_sets = {name: feat.transform(docs(rs)[1]) for name, rs in sets.items()}
    cfg = TrainConfig()
    out: dict[str, dict[str, np.ndarray]] = {}
    builders: dict[str, Any] = {}
    for view, suffix in (("text", ""), ("tone view", ", tone view")):
        identity = {**encoder_identity(), "input": view}
        encoder = SentenceEncoder.open(identity)
        E = encoder.encode([r.text for r in records])
        joint = fit_tone_head(sp.hstack([X, sp.csr_matrix(E)], format="csr"), y, tone_C, cfg)
        alone = fit_tone_head(sp.csr_matrix(E), y, tone_C, cfg)
        joint_name = "frozen + n-grams (before)" if view == "text" else f"frozen + n-grams{suffix}"
        out[joint_name], out[f"frozen embedding alone{suffix}"] = {}, {}
        for name, rs in sets.items():
            Es = encoder.encode([r.text for r in rs])
            out[joint_name][name] = joint.decision_function(sp.hstack([X_sets[name], sp.csr_matrix(Es)], format="csr"))
            out[f"frozen embedding alone{suffix}"][name] = alone.decision_function(sp.csr_matrix(Es))

        def model(temperature: float, metadata: dict[str, Any], joint: Any = joint, identity: Any = identity) -> Any:
            n, k = X.shape[1], len(fast.topics)
            coef = np.zeros((joint.coef_.shape[1] - n, k + len(fast.tones)))
            coef[:, k:] = joint.coef_.T[n:] / temperature
            args = fast.arguments()
            args.update(
                tone_coef=joint.coef_.T[:n] / temperature,
                tone_intercept=joint.intercept_ / temperature,
                metadata=metadata,
            )
            return AccurateModel(encoder_coef=coef, encoder=identity, **args)

        builders[joint_name] = model
    return out, builders


def _scores(z: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from scipy.special import softmax

    from stancelib._fit import expected_calibration_error, tone_macro_f1

    return {
        "tone_macro_f1": round(tone_macro_f1(y, z.argmax(axis=1), z.shape[1]), 4),
        "tone_ece": round(expected_calibration_error(softmax(z, axis=1), y), 4),
    }


def build(
    runs: Sequence[Path],
    ship: Path | None,
    *,
    data: Path,
    dev: Path,
    dev_wire: Path,
    fast_dir: Path,
    out: Path,
    variants: Path | None = None,
    behaviour: bool = False,
) -> list[dict[str, Any]]:
    """Compare the runs (and the frozen tier), write the shipped one; return the table's rows."""
    from stancelib import __version__
    from stancelib._dataset import read_records
    from stancelib._encoder import require_extra
    from stancelib._fit import data_hash
    from stancelib._metrics import evaluate, targets
    from stancelib._model import Model

    require_extra()
    started = time.perf_counter()
    fast = Model.load(fast_dir)
    records = read_records(str(data))
    sets = {"dev": read_records(str(dev)), "dev_wire": read_records(str(dev_wire))}
    labels = {name: targets(rs, list(fast.topics), list(fast.tones))[1] for name, rs in sets.items()}
    ngram = {name: _ngram_tone_logits(fast, [r.text for r in rs]) for name, rs in sets.items()}
    rows: list[dict[str, Any]] = []

    def row(name: str, logits: dict[str, np.ndarray], fusion: dict[str, Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": name}
        for set_name in sets:
            entry[set_name] = _scores(logits[set_name], labels[set_name])
        if fusion:
            entry["fusion"] = fusion
        rows.append(entry)
        _say(
            f"  {name:<40} dev {entry['dev']['tone_macro_f1']:.4f}  dev-wire {entry['dev_wire']['tone_macro_f1']:.4f}"
            f"  (ECE {entry['dev_wire']['tone_ece']:.3f})"
        )
        return entry

    _say("fast (n-grams alone):")
    row("fast (n-grams alone)", ngram)["model_dir"] = str(fast_dir)
    _say("frozen encoder, retrained on this corpus:")
    base_metadata: dict[str, Any] = {"name": "accurate", "version": VERSION, "library_version": __version__}
    frozen, frozen_models = _frozen(fast, records, sets)
    for name, logits in frozen.items():
        fusion = choose_fusion(logits["dev"], 0 * ngram["dev"], labels["dev"], (0.0,))
        entry = row(name, {s: z / fusion["temperature"] for s, z in logits.items()}, fusion)
        if variants is not None and name in frozen_models:
            path = variants / _folder(name)
            frozen_models[name](fusion["temperature"], {**base_metadata, "version": "frozen"}).save(path)
            entry["model_dir"] = str(path)
    candidates: list[tuple[Path, dict[str, Any]]] = []
    for run in runs:
        settings = json.loads((run / "run.json").read_text(encoding="utf-8"))["settings"]
        kind = f"rank-{settings['rank']} adapters" if settings["rank"] else "full fine-tune"
        label = f"{kind}, {settings['layers']} layers"
        probe = tuned_model(fast, run, 0.0, 1.0, base_metadata)
        z_enc = {}
        for name, rs in sets.items():
            texts = [r.text for r in rs]
            # Tone logits of the encoder part alone (topic columns are zero).
            z_enc[name] = (
                probe.embed(texts) @ probe.arguments()["encoder_coef"][:, len(fast.topics) :]
                + (probe.arguments()["tone_intercept"])
            )
        for weights, suffix in (((0.0,), " alone"), (NGRAM_WEIGHTS, " + n-grams")):
            fusion = choose_fusion(z_enc["dev"], ngram["dev"], labels["dev"], weights)
            a, t = fusion["ngram_weight"], fusion["temperature"]
            entry = row(label + suffix, {s: (z_enc[s] + a * ngram[s]) / t for s in sets}, fusion)
            entry["run"] = str(run)
            entry["settings"] = settings
            if suffix == " + n-grams":
                candidates.append((run, entry))
            # The behavioural suite runs on the combined variants: what could ship.
            if variants is not None and suffix == " + n-grams":
                path = variants / _folder(label + suffix)
                tuned_model(fast, run, a, t, base_metadata).save(path)
                entry["model_dir"] = str(path)
    if ship is None:
        # Adapters only (full weight changes are too large to ship), best dev log-loss.
        small = [(r, e) for r, e in candidates if e["settings"]["rank"] > 0]
        if not small:
            raise SystemExit("error: no adapter run among the runs; give --ship")
        ship, chosen = min(small, key=lambda c: _best_loss(c[1]))
    else:
        picked = [(r, e) for r, e in candidates if r.resolve() == ship.resolve()]
        if not picked:
            raise SystemExit(f"error: --ship {ship} is not among the runs")
        ship, chosen = picked[0]
    _say(f"shipping {chosen['name']} ({ship})")

    if behaviour:
        from benchmarks.behaviour import dev_records, run_suite
        from stancelib import load_model

        suite_records = dev_records()
        for entry in rows:
            if "model_dir" in entry:
                result = run_suite(load_model(entry["model_dir"]), suite_records, entry["name"])
                rates = {f.name: f.row()["tone_unchanged"] for f in result.invariance}
                entry["behaviour"] = {
                    "tone_unchanged_min": round(min(rates.values()), 4),
                    "worst_family": min(rates, key=lambda name: rates[name]),
                    "tone_unchanged": {name: round(v, 4) for name, v in rates.items()},
                }
                _say(f"  behaviour {entry['name']}: tone unchanged >= {entry['behaviour']['tone_unchanged_min']:.3f}")

    fusion = chosen["fusion"]
    settings = chosen["settings"]
    metadata = {
        **base_metadata,
        "training": {
            "records": len(records),
            "data_sha256": data_hash(records),
            "fine_tuning": settings,
            "fine_tuning_seconds": json.loads((ship / "run.json").read_text(encoding="utf-8"))["train_seconds"],
            "fusion": fusion,
            "fast_model": fast.model_id,
            "comparison": rows,
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    model = tuned_model(fast, ship, fusion["ngram_weight"], fusion["temperature"], metadata)
    _say(f"evaluating the shipped choice ({chosen['name']}) through its own predict path")
    results = {name: evaluate(model, rs) for name, rs in sets.items()}
    metadata["metrics"] = {"dev": results["dev"], "dev_wire": results["dev_wire"]}
    model = model.with_metadata(metadata)
    table = comparison_table(rows)
    _say("")
    _say(table)
    model.save(out, extra_files={"MODEL_CARD.md": _card(model, table, chosen)})
    _say(f"saved {out} ({model.model_id})")
    return rows


def _best_loss(entry: dict[str, Any]) -> float:
    fusion = entry["fusion"]
    return float(fusion["log_loss"][f"{fusion['ngram_weight']:g}"])


def _folder(name: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "_" for c in name.replace("+", "plus"))


def comparison_table(rows: Sequence[dict[str, Any]]) -> str:
    """The comparison as a Markdown table."""
    lines = [
        "| tone head | dev tone macro-F1 | dev-wire tone macro-F1 | dev-wire tone ECE | n-gram weight | "
        "behaviour: tone unchanged (worst family) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        fusion = r.get("fusion", {})
        weight = f"{fusion['ngram_weight']:g}" if "ngram_weight" in fusion and "settings" in r else ""
        b = r.get("behaviour", {}).get("tone_unchanged_min")
        worst = r.get("behaviour", {}).get("worst_family", "")
        lines.append(
            f"| {r['name']} | {r['dev']['tone_macro_f1']:.3f} | {r['dev_wire']['tone_macro_f1']:.3f} | "
            f"{r['dev_wire']['tone_ece']:.3f} | {weight} | {'' if b is None else f'{100 * b:.1f}% ({worst})'} |"
        )
    return "\n".join(lines)


def _card(model: Any, table: str, chosen: dict[str, Any]) -> str:
    from stancelib._card import model_card

    meta = dict(model.arguments()["metadata"])
    enc = model.encoder_info
    adapters = enc["adapters"]
    settings = chosen["settings"]
    dev, wire = meta["metrics"]["dev"], meta["metrics"]["dev_wire"]
    card_meta = {
        **meta,
        "topics": list(model.topics),
        "tones": list(model.tones),
        "thresholds": dict(zip(model.topics, model.thresholds)),
        "n_features": len(model.vocabulary),
        "format_version": 1,
    }
    base = model_card(card_meta)
    section = [
        "## Accurate tier",
        "",
        f"`{model.model_id}`: the fast model `{meta['training']['fast_model']}` (n-grams, topic heads and thresholds",
        f"unchanged) plus all-MiniLM-L6-v2 ({enc['package']} {enc['version']}, its files checked by SHA-256 on load),",
        f"fine-tuned for tone: its first {enc['layers']} layers with {adapters['kind']}"
        + (f" of rank {adapters['rank']}" if adapters["rank"] else "")
        + f" ({adapters['arrays']} arrays in `arrays.npz`, SHA-256 {adapters['sha256'][:12]}... recorded and checked),",
        f"trained {settings['epochs']} epochs on {settings['records']:,} sentences read as the tone view"
        f" (no dateline, quotes or attribution), batch {settings['batch']}, learning rate {settings['lr']:g}.",
        f"Tone logit: the head on the mean-pooled output plus {chosen['fusion']['ngram_weight']:g} x the n-gram tone"
        f" logit, over a temperature of {chosen['fusion']['temperature']:.3f} (both chosen on dev by log-loss).",
        "",
        f"Dev: topic micro-F1 {dev['topic_micro_f1']:.4f}, tone macro-F1 {dev['tone_macro_f1']:.4f}. "
        f"Dev-wire: topic micro-F1 {wire['topic_micro_f1']:.4f}, tone macro-F1 {wire['tone_macro_f1']:.4f}.",
        "",
        "### Comparison (python -m training.train_accurate, one run)",
        "",
        table,
        "",
        'Needs the extra: `pip install torch==2.13.0` (CPU build) then `pip install "stancelib[accurate]"`.',
        "`stancelib explain` shows the n-gram contributions exactly and the encoder's as one",
        "aggregate `[sentence encoder]` contribution.",
        "",
    ]
    marker = "## Data"
    return base.replace(marker, "\n".join(section) + "\n" + marker, 1) if marker in base else base + "\n".join(section)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train_accurate", description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories of python -m training.finetune")
    parser.add_argument(
        "--ship", type=Path, help="the run to write to --out (default: the adapter run with the best dev log-loss)"
    )
    parser.add_argument("--data", type=Path, default=ROOT / "training" / "data" / "train.jsonl")
    parser.add_argument("--dev", type=Path, default=ROOT / "training" / "data" / "dev.jsonl")
    parser.add_argument("--dev-wire", type=Path, default=ROOT / "training" / "data" / "dev_wire.jsonl")
    parser.add_argument("--fast", type=Path, default=ROOT / "models" / "fast", help="the fast model to extend")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "accurate")
    parser.add_argument("--variants", type=Path, help="also write every compared model under this folder")
    parser.add_argument("--behaviour", action="store_true", help="run the behavioural suite on every variant")
    parser.add_argument("--json", type=Path, help="write the comparison rows as JSON")
    args = parser.parse_args(argv)
    if args.behaviour and args.variants is None:
        parser.error("--behaviour needs --variants (the suite runs on saved models)")
    from stancelib.errors import StanceLibError

    try:
        rows = build(
            args.runs,
            args.ship,
            data=args.data,
            dev=args.dev,
            dev_wire=args.dev_wire,
            fast_dir=args.fast,
            out=args.out,
            variants=args.variants,
            behaviour=args.behaviour,
        )
    except StanceLibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
