"""Model directory round trips and every way a model file can be bad."""

from __future__ import annotations

import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from stancelib import Model, ModelLoadError
from stancelib._modelfile import ARRAYS_FILE, FORMAT_VERSION, METADATA_FILE, sha256_bytes


@pytest.fixture()
def saved(tiny_model: Model, tmp_path: Path) -> Path:
    return tiny_model.save(tmp_path / "tiny")


def test_round_trip(tiny_model: Model, saved: Path) -> None:
    loaded = Model.load(saved)
    texts = ["iran welcome", "condemn syria nuclear", "", "unknown"]
    assert loaded.predict(texts) == tiny_model.predict(texts)
    assert loaded.topics == tiny_model.topics and loaded.tones == tiny_model.tones
    assert loaded.thresholds == tiny_model.thresholds
    meta = json.loads((saved / METADATA_FILE).read_text())
    assert meta["format"] == "stancelib-model" and meta["format_version"] == FORMAT_VERSION
    assert meta["files"][ARRAYS_FILE]["sha256"] == sha256_bytes((saved / ARRAYS_FILE).read_bytes())


def test_save_is_deterministic(tiny_model: Model, tmp_path: Path) -> None:
    a = tiny_model.save(tmp_path / "a")
    b = tiny_model.save(tmp_path / "b")
    assert (a / ARRAYS_FILE).read_bytes() == (b / ARRAYS_FILE).read_bytes()
    assert (a / METADATA_FILE).read_text() == (b / METADATA_FILE).read_text()


def test_save_over_existing_keeps_extra_files(tiny_model: Model, saved: Path) -> None:
    (saved / "NOTES.txt").write_text("mine")
    tiny_model.save(saved, extra_files={"MODEL_CARD.md": "# card"})
    assert (saved / "NOTES.txt").read_text() == "mine"
    assert (saved / "MODEL_CARD.md").read_text() == "# card"
    assert not list(saved.parent.glob(".tiny*"))


def _edit_meta(path: Path, **changes: object) -> None:
    meta = json.loads((path / METADATA_FILE).read_text())
    meta.update(changes)
    (path / METADATA_FILE).write_text(json.dumps(meta))


def _rewrite_arrays(path: Path, **changes: np.ndarray) -> None:
    """Replace arrays and fix the checksum, as a careless tool would."""
    with np.load(path / ARRAYS_FILE) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    np.savez_compressed(path / ARRAYS_FILE, **arrays)
    meta = json.loads((path / METADATA_FILE).read_text())
    meta["files"][ARRAYS_FILE]["sha256"] = sha256_bytes((path / ARRAYS_FILE).read_bytes())
    (path / METADATA_FILE).write_text(json.dumps(meta))


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no such model directory"):
        Model.load(tmp_path / "nope")


def test_missing_metadata(saved: Path) -> None:
    (saved / METADATA_FILE).unlink()
    with pytest.raises(ModelLoadError, match=r"model\.json: missing"):
        Model.load(saved)


def test_missing_arrays(saved: Path) -> None:
    (saved / ARRAYS_FILE).unlink()
    with pytest.raises(ModelLoadError, match=r"arrays\.npz: missing; copy the whole model directory"):
        Model.load(saved)


def test_truncated_arrays(saved: Path) -> None:
    data = (saved / ARRAYS_FILE).read_bytes()
    (saved / ARRAYS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match=r"arrays\.npz: checksum mismatch"):
        Model.load(saved)


def test_truncated_arrays_with_matching_checksum(saved: Path) -> None:
    data = (saved / ARRAYS_FILE).read_bytes()[:100]
    (saved / ARRAYS_FILE).write_bytes(data)
    meta = json.loads((saved / METADATA_FILE).read_text())
    meta["files"][ARRAYS_FILE]["sha256"] = sha256_bytes(data)
    (saved / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"arrays\.npz: not a readable \.npz file"):
        Model.load(saved)


def test_flipped_byte(saved: Path) -> None:
    data = bytearray((saved / ARRAYS_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (saved / ARRAYS_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match=r"checksum mismatch .* copy the model again or retrain"):
        Model.load(saved)


def test_bad_json(saved: Path) -> None:
    (saved / METADATA_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"model\.json: not valid JSON"):
        Model.load(saved)


def test_not_a_stancelib_model(saved: Path) -> None:
    _edit_meta(saved, format="something-else")
    with pytest.raises(ModelLoadError, match=r"not a stancelib model"):
        Model.load(saved)


def test_newer_format_version(saved: Path) -> None:
    _edit_meta(saved, format_version=FORMAT_VERSION + 1)
    with pytest.raises(ModelLoadError, match=r"newer than this stancelib reads .* upgrade stancelib"):
        Model.load(saved)


def test_unknown_label_in_thresholds(saved: Path) -> None:
    _edit_meta(saved, topics=["iran", "arms_control", "libya"])
    with pytest.raises(ModelLoadError, match=r"inconsistent"):
        Model.load(saved)


def test_extra_topic_mismatched_shape(saved: Path) -> None:
    _edit_meta(
        saved,
        topics=["iran", "arms_control", "syria", "libya"],
        thresholds={"iran": 0.5, "arms_control": 0.5, "syria": 0.5, "libya": 0.5},
    )
    with pytest.raises(ModelLoadError, match=r"array 'topic_coef' has shape \(6, 3\), expected \(6, 4\)"):
        Model.load(saved)


def test_mismatched_array_shape(saved: Path) -> None:
    _rewrite_arrays(saved, idf=np.ones(4))
    with pytest.raises(ModelLoadError, match=r"array 'idf' has shape"):
        Model.load(saved)


def test_missing_array(saved: Path) -> None:
    with np.load(saved / ARRAYS_FILE) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "tone_coef"}
    np.savez_compressed(saved / ARRAYS_FILE, **arrays)
    meta = json.loads((saved / METADATA_FILE).read_text())
    meta["files"][ARRAYS_FILE]["sha256"] = sha256_bytes((saved / ARRAYS_FILE).read_bytes())
    (saved / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"missing arrays \['tone_coef'\]"):
        Model.load(saved)


class Boom:
    """Unpickling this would run code: it records that it ran."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, ("import pathlib; pathlib.Path(__import__('os').environ['BOOM_FILE']).write_text('ran')",))


def test_pickled_npz_is_refused_and_runs_nothing(saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "boom.txt"
    monkeypatch.setenv("BOOM_FILE", str(marker))
    payload = np.empty(1, dtype=object)
    payload[0] = Boom()
    with np.load(saved / ARRAYS_FILE) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["vocab"] = payload
    np.savez(saved / ARRAYS_FILE, **arrays)  # numpy pickles object arrays
    with zipfile.ZipFile(saved / ARRAYS_FILE) as z:
        assert b"exec" in z.read("vocab.npy")  # the file really holds a pickle
    meta = json.loads((saved / METADATA_FILE).read_text())
    meta["files"][ARRAYS_FILE]["sha256"] = sha256_bytes((saved / ARRAYS_FILE).read_bytes())
    (saved / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"would need unpickling.*never unpickles"):
        Model.load(saved)
    assert not marker.exists()
    # Control: the same payload does run code when unpickled, so the check above means something.
    pickle.loads(pickle.dumps(Boom()))
    assert marker.read_text() == "ran"


def test_object_arrays_are_never_written(tiny_model: Model, tmp_path: Path) -> None:
    from stancelib import _modelfile as modelfile

    with pytest.raises(TypeError, match="dtype object"):
        modelfile.write(tmp_path / "m", {}, {"x": np.array([object()])})
    assert not (tmp_path / "m").exists()


def test_bad_array_file_name(saved: Path) -> None:
    meta = json.loads((saved / METADATA_FILE).read_text())
    meta["files"] = {"../evil.npz": meta["files"][ARRAYS_FILE]}
    (saved / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"bad array file name"):
        Model.load(saved)


def test_copy_of_shipped_model_loads_identically(shipped_model: Model, tmp_path: Path) -> None:
    from stancelib._loading import shipped_model_path

    target = tmp_path / "copy"
    shutil.copytree(shipped_model_path("fast"), target)
    loaded = Model.load(target)
    texts = ["Iran must return to the JCPOA.", "The ministers met in Geneva."]
    assert loaded.predict(texts) == shipped_model.predict(texts)
