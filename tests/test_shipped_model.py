"""Golden, quality and reproducibility tests on the shipped model."""

from __future__ import annotations

import json

import numpy as np
import pytest

import stancelib
from stancelib import Model
from stancelib._dataset import read_records
from stancelib._fit import TrainConfig, data_hash, expected_calibration_error, train
from stancelib._loading import shipped_model_path
from stancelib._metrics import evaluate
from stancelib._modelfile import ARRAYS_FILE, METADATA_FILE, sha256_bytes
from training.train import VERSION

from .conftest import DATA

SPEC_TOPICS = ("arms_control", "iran", "north_korea", "syria", "ukraine", "venezuela")

# Floors, not targets: raise them when the model improves.
TOPIC_MICRO_F1_FLOOR = 0.90
TONE_MACRO_F1_FLOOR = 0.80
# dev_wire is written in the register of real reporting (training/data/DATASHEET.md).
WIRE_TOPIC_MICRO_F1_FLOOR = 0.95
WIRE_TONE_MACRO_F1_FLOOR = 0.85
WIRE_TONE_CALIBRATION_ERROR_CEILING = 0.05


@pytest.fixture(scope="module")
def dev_metrics(shipped_model: Model) -> dict[str, object]:
    return evaluate(shipped_model, read_records(DATA / "dev.jsonl"))


def test_label_sets(shipped_model: Model) -> None:
    assert tuple(sorted(shipped_model.topics)) == SPEC_TOPICS
    assert shipped_model.tones == ("cooperative", "critical", "neutral")


def test_dev_quality_floor(dev_metrics: dict[str, float]) -> None:
    assert dev_metrics["topic_micro_f1"] >= TOPIC_MICRO_F1_FLOOR
    assert dev_metrics["tone_macro_f1"] >= TONE_MACRO_F1_FLOOR


def test_dev_wire_quality_floor(shipped_model: Model) -> None:
    metrics = evaluate(shipped_model, read_records(DATA / "dev_wire.jsonl"))
    assert metrics["topic_micro_f1"] >= WIRE_TOPIC_MICRO_F1_FLOOR
    assert metrics["tone_macro_f1"] >= WIRE_TONE_MACRO_F1_FLOOR
    stored = shipped_model.metadata["metrics"]["dev_wire"]
    assert stored["tone_macro_f1"] == pytest.approx(metrics["tone_macro_f1"], abs=1e-12)


def test_tone_probabilities_are_calibrated_on_dev_wire(shipped_model: Model) -> None:
    records = read_records(DATA / "dev_wire.jsonl")
    scores = shipped_model.score_batch([r.text for r in records])
    y = np.array([shipped_model.tones.index(r.tone) for r in records])
    assert expected_calibration_error(scores.tone_probs, y) <= WIRE_TONE_CALIBRATION_ERROR_CEILING


def test_shipped_model_is_a_named_version_with_its_checksum(shipped_model: Model) -> None:
    meta = json.loads((shipped_model_path("fast") / METADATA_FILE).read_text())
    assert shipped_model.version == meta["version"] == VERSION
    checksum = meta["files"][ARRAYS_FILE]["sha256"]
    assert shipped_model.checksum == checksum
    assert shipped_model.model_id == f"fast@{VERSION}+{checksum[:12]}"


def test_the_previous_version_stays_loadable_by_name() -> None:
    with pytest.warns(DeprecationWarning, match="previous version of the shipped 'fast' model"):
        previous = stancelib.load_model("fast-1")
    assert previous.version == "1" and previous.model_id.startswith("fast@1+")
    assert previous.checksum != stancelib.load_model().checksum
    assert previous.predict("We welcome the prisoner exchange.").tone == "cooperative"


def test_metadata_metrics_match_a_fresh_evaluation(shipped_model: Model, dev_metrics: dict[str, float]) -> None:
    stored = shipped_model.metadata["metrics"]["dev"]
    assert stored["topic_micro_f1"] == pytest.approx(dev_metrics["topic_micro_f1"], abs=1e-12)
    assert stored["tone_macro_f1"] == pytest.approx(dev_metrics["tone_macro_f1"], abs=1e-12)


def test_metadata_declares_format_and_checksums() -> None:
    path = shipped_model_path("fast")
    meta = json.loads((path / METADATA_FILE).read_text())
    assert meta["format"] == "stancelib-model" and meta["format_version"] == 1
    assert meta["files"][ARRAYS_FILE]["sha256"] == sha256_bytes((path / ARRAYS_FILE).read_bytes())
    # The library that trained it: this one or an earlier one (a model is retrained only when it changes).
    trained_with = tuple(int(x) for x in meta["library_version"].split("."))
    assert trained_with <= tuple(int(x) for x in stancelib.__version__.split("."))
    assert (path / "MODEL_CARD.md").is_file()
    assert len(meta["training"]["data_sha256"]) == 64


def test_model_is_small(shipped_model: Model) -> None:
    size = sum(p.stat().st_size for p in shipped_model_path("fast").iterdir())
    assert size < 5_000_000


GOLDEN = [
    ("Pyongyang test-fired an intercontinental ballistic missile on Friday.", {"north_korea", "arms_control"}),
    ("Iran has enriched uranium to 60 percent, the IAEA said.", {"iran", "arms_control"}),
    ("Maduro's government and the opposition resumed talks in Mexico City.", {"venezuela"}),
    ("Russian forces shelled Kharkiv overnight, Ukrainian officials said.", {"ukraine"}),
    ("The Syrian government retook most of Aleppo in 2016.", {"syria"}),
    ("The Taliban took control of Kabul in August 2021.", set()),
    ("Washington and Moscow extended New START for five years.", {"arms_control"}),
    ("Tariffs on Chinese steel will rise to 25 percent.", set()),
]


@pytest.mark.parametrize(("text", "topics"), GOLDEN)
def test_golden_topics(shipped_model: Model, text: str, topics: set[str]) -> None:
    assert set(shipped_model.predict(text).topics) == topics


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        ("We strongly condemn this reckless and dangerous provocation.", "critical"),
        ("We welcome the constructive spirit of today's talks and look forward to working together.", "cooperative"),
        ("The delegations will meet in Geneva on Tuesday at 10 a.m.", "neutral"),
    ],
)
def test_golden_tone(shipped_model: Model, text: str, tone: str) -> None:
    assert shipped_model.predict(text).tone == tone


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_arrays(shipped_model: Model, tmp_path: np.ndarray) -> None:
    chosen = shipped_model.metadata["training"]["selection"]["chosen"]
    cfg = shipped_model.metadata["training"]["config"]
    config = TrainConfig(
        word_ngrams=(chosen["word_ngrams"],),
        prefix_len=(chosen["prefix_len"],),
        topic_C=(chosen["topic_C"],),
        tone_C=(chosen["tone_C"],),
        class_weight=cfg["class_weight"],
        min_df=cfg["min_df"],
        folds=cfg["folds"],
        seed=cfg["seed"],
        frame=cfg["frame"],
        augment=cfg["augment"],
        calibrate=cfg["calibrate"],
    )
    records = read_records(DATA / "train.jsonl")
    assert data_hash(records) == shipped_model.metadata["training"]["data_sha256"]
    again = train(records, config=config).model.save(tmp_path / "again")
    assert (again / ARRAYS_FILE).read_bytes() == (shipped_model_path("fast") / ARRAYS_FILE).read_bytes()
