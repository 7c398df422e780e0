"""Adversarial suite, model directories: every damaged, hostile or oversized model gives one `ModelLoadError`.

Each case starts from a good saved model and breaks one thing; where the
attack is on the array file, the checksum in ``model.json`` is recomputed,
so the attack reaches the decoder instead of stopping at the checksum. Each
case is loaded twice: by `Model.load` (a `ModelLoadError` naming the
directory's file) and by the command line (exit status 1, one line on
stderr, no traceback). Nothing may hang: FIFOs and ``/dev/zero`` are among
the files.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stancelib import Model, ModelLoadError
from stancelib._cli import main
from stancelib._modelfile import ARRAYS_FILE, MAX_ARRAYS_BYTES, MAX_METADATA_BYTES, METADATA_FILE, sha256_bytes

from .conftest import make_tiny_model

Attack = Callable[[Path], None]


def _meta(d: Path) -> dict[str, Any]:
    return json.loads((d / METADATA_FILE).read_text())


def _put_meta(d: Path, meta: Any) -> None:
    (d / METADATA_FILE).write_text(json.dumps(meta))


def _edit(**changes: Any) -> Attack:
    def attack(d: Path) -> None:
        meta = _meta(d)
        meta.update(changes)
        _put_meta(d, meta)

    return attack


def _raw_meta(text: str | bytes) -> Attack:
    def attack(d: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (d / METADATA_FILE).write_bytes(data)

    return attack


def _meta_with(fragment: str) -> Attack:
    """Put a raw JSON fragment (not expressible through json.dumps) into model.json under "name"."""

    def attack(d: Path) -> None:
        text = (d / METADATA_FILE).read_text().replace('"name": "tiny"', f'"name": {fragment}', 1)
        (d / METADATA_FILE).write_text(text)

    return attack


def _meta_value(path: tuple[str, ...], raw: str) -> Attack:
    """Replace one value of model.json with a raw JSON text (e.g. 1e400, NaN)."""

    def attack(d: Path) -> None:
        meta = _meta(d)
        target = meta
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "@@VALUE@@"
        (d / METADATA_FILE).write_text(json.dumps(meta).replace('"@@VALUE@@"', raw))

    return attack


def _with_arrays_bytes(data: bytes) -> Attack:
    """Replace arrays.npz and recompute its checksum, so only the decoder can object."""

    def attack(d: Path) -> None:
        (d / ARRAYS_FILE).write_bytes(data)
        meta = _meta(d)
        meta["files"][ARRAYS_FILE]["sha256"] = sha256_bytes(data)
        _put_meta(d, meta)

    return attack


def _npz(arrays: dict[str, np.ndarray], *, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, value, allow_pickle=allow_pickle)
            z.writestr(f"{key}.npy", member.getvalue())
    return buf.getvalue()


def _good_arrays(**changes: np.ndarray | None) -> Attack:
    def attack(d: Path) -> None:
        with np.load(d / ARRAYS_FILE) as npz:
            arrays = {k: npz[k] for k in npz.files}
        for key, value in changes.items():
            if value is None:
                del arrays[key]
            else:
                arrays[key] = value
        allow = any(a.dtype == object for a in arrays.values())
        _with_arrays_bytes(_npz(arrays, allow_pickle=allow))(d)

    return attack


def _declared_size(size: int) -> Attack:
    """A zip whose central directory declares a huge unpacked size (a zip bomb's signature)."""

    def attack(d: Path) -> None:
        data = bytearray((d / ARRAYS_FILE).read_bytes())
        at = data.find(b"PK\x01\x02")
        struct.pack_into("<I", data, at + 24, size)
        _with_arrays_bytes(bytes(data))(d)

    return attack


def _huge_shape(d: Path) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("idf.npy", header.getvalue() + b"\0" * 64)
    _with_arrays_bytes(buf.getvalue())(d)


def _bare_npy(d: Path) -> None:
    buf = io.BytesIO()
    np.save(buf, np.ones(6))
    _with_arrays_bytes(buf.getvalue())(d)


def _replace(name: str, make: Callable[[Path], None]) -> Attack:
    def attack(d: Path) -> None:
        (d / name).unlink()
        make(d / name)

    return attack


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dir(path: Path) -> None:
    path.mkdir()


def _link_to(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def _link_outside(name: str) -> Attack:
    def attack(d: Path) -> None:
        outside = d.parent / f"outside-{name}"
        outside.write_bytes((d / name).read_bytes())
        (d / name).unlink()
        (d / name).symlink_to(outside)

    return attack


def _sparse(name: str, size: int) -> Attack:
    def attack(d: Path) -> None:
        with open(d / name, "r+b") as f:
            f.truncate(size)

    return attack


def _deep_json(d: Path) -> None:
    meta = (d / METADATA_FILE).read_text()
    (d / METADATA_FILE).write_text(meta.replace('"name": "tiny"', '"name": ' + "[" * 100_000 + "]" * 100_000, 1))


def _zeros_vocab(d: Path) -> None:
    _good_arrays(vocab=np.frombuffer(b"iran\nnuclear\nwelcome\ncondemn\nmeeting\niran", dtype=np.uint8))(d)


ATTACKS: dict[str, Attack] = {
    # -- model.json: syntax and numbers
    "json-deep-nesting": _deep_json,
    "json-5000-digit-integer": _meta_with("1" * 5000),
    "json-1e400": _meta_value(("thresholds", "iran"), "1e400"),
    "json-NaN": _meta_value(("thresholds", "iran"), "NaN"),
    "json-Infinity": _meta_value(("thresholds", "iran"), "-Infinity"),
    "json-not-utf8": _raw_meta(b'{"format": "stancelib-model", "name": "\xff\xfe"}'),
    "json-empty": _raw_meta(""),
    "json-truncated": lambda d: _raw_meta((d / METADATA_FILE).read_bytes()[:50])(d),
    "json-a-list": _raw_meta("[]"),
    "json-other-format": _edit(format="something-else"),
    "json-version-string": _edit(format_version="1"),
    "json-version-bool": _edit(format_version=True),
    "json-version-newer": _edit(format_version=99),
    "json-version-zero": _edit(format_version=0),
    "json-huge-version": _meta_value(("format_version",), "9" * 5000),
    # -- model.json: the files table
    "files-not-a-table": _edit(files=["arrays.npz"]),
    "files-empty": _edit(files={}),
    "files-nul-in-name": _edit(files={"arr\x00ays.npz": {"sha256": "0" * 64}}),
    "files-path-escape": _edit(files={"../arrays.npz": {"sha256": "0" * 64}}),
    "files-hidden-name": _edit(files={".arrays.npz": {"sha256": "0" * 64}}),
    "files-name-too-long": _edit(files={"a" * 300 + ".npz": {"sha256": "0" * 64}}),
    "files-no-sha256": _edit(files={ARRAYS_FILE: {}}),
    "files-sha256-number": _edit(files={ARRAYS_FILE: {"sha256": 12}}),
    "files-checksum-mismatch": _edit(files={ARRAYS_FILE: {"sha256": "0" * 64}}),
    # -- model.json: labels, thresholds, feature settings
    "topics-a-string": _edit(topics="iran"),
    "topics-with-number": _edit(topics=["iran", 3, "syria"]),
    "topics-repeated": _edit(topics=["iran", "iran", "syria"]),
    "tones-only-one": _edit(tones=["neutral"]),
    "thresholds-not-a-table": _edit(thresholds=[0.5, 0.5, 0.5]),
    "threshold-negative": _edit(thresholds={"iran": -5, "arms_control": 0.5, "syria": 0.5}),
    "threshold-above-one": _edit(thresholds={"iran": 1.5, "arms_control": 0.5, "syria": 0.5}),
    "threshold-bool": _edit(thresholds={"iran": True, "arms_control": 0.5, "syria": 0.5}),
    "threshold-string": _edit(thresholds={"iran": "0.5", "arms_control": 0.5, "syria": 0.5}),
    "threshold-missing-topic": _edit(thresholds={"iran": 0.5}),
    "features-ngrams-fraction": _edit(features={"word_ngrams": 2.9, "prefix_len": 0}),
    "features-ngrams-string": _edit(features={"word_ngrams": "2", "prefix_len": 0}),
    "features-ngrams-seven": _edit(features={"word_ngrams": 7, "prefix_len": 0}),
    "features-prefix-negative": _edit(features={"word_ngrams": 1, "prefix_len": -1}),
    "features-a-list": _edit(features=[1, 0]),
    "features-missing": _edit(features={}),
    # -- model.json: what the file is
    "meta-over-size-cap": _sparse(METADATA_FILE, MAX_METADATA_BYTES + 1),
    "meta-is-a-directory": _replace(METADATA_FILE, _dir),
    "meta-is-a-fifo": _replace(METADATA_FILE, _fifo),
    "meta-link-to-dev-zero": _replace(METADATA_FILE, _link_to("/dev/zero")),
    "meta-link-outside": _link_outside(METADATA_FILE),
    "meta-missing": lambda d: (d / METADATA_FILE).unlink(),
    # -- arrays.npz: what the file is
    "arrays-is-a-directory": _replace(ARRAYS_FILE, _dir),
    "arrays-is-a-fifo": _replace(ARRAYS_FILE, _fifo),
    "arrays-link-to-dev-zero": _replace(ARRAYS_FILE, _link_to("/dev/zero")),
    "arrays-link-outside": _link_outside(ARRAYS_FILE),
    "arrays-over-size-cap": _sparse(ARRAYS_FILE, MAX_ARRAYS_BYTES + 1),
    "arrays-missing": lambda d: (d / ARRAYS_FILE).unlink(),
    # -- arrays.npz: its contents, checksum recomputed
    "arrays-bare-npy": _bare_npy,
    "arrays-text-file": _with_arrays_bytes(b"this is not a zip archive\n"),
    "arrays-empty-file": _with_arrays_bytes(b""),
    "arrays-truncated-zip": lambda d: _with_arrays_bytes((d / ARRAYS_FILE).read_bytes()[:300])(d),
    "arrays-zip-bomb-declared": _declared_size(0xFFFFFFF0),
    "arrays-huge-declared-shape": _huge_shape,
    "arrays-unexpected-member": lambda d: _with_arrays_bytes(_npz({}) + b"")(d),
    "arrays-object-dtype": _good_arrays(idf=np.array([1, "x", None, 1, 1, 1], dtype=object)),
    "arrays-string-dtype": _good_arrays(idf=np.array(["1"] * 6)),
    "arrays-structured-dtype": _good_arrays(idf=np.zeros(6, dtype=[("a", "f8"), ("b", "i4")])),
    "arrays-complex-dtype": _good_arrays(idf=np.ones(6, dtype=complex) + 1j),
    "arrays-bool-dtype": _good_arrays(idf=np.ones(6, dtype=bool)),
    "arrays-missing-idf": _good_arrays(idf=None),
    "arrays-wrong-shape": _good_arrays(idf=np.ones(7)),
    "arrays-idf-all-zero": _good_arrays(idf=np.zeros(6)),
    "arrays-idf-negative": _good_arrays(idf=-np.ones(6)),
    "arrays-huge-coefficients": _good_arrays(tone_coef=np.full((6, 3), 1e300)),
    "arrays-nan-coefficient": _good_arrays(topic_coef=np.full((6, 3), np.nan)),
    "arrays-inf-intercept": _good_arrays(tone_intercept=np.array([np.inf, 0.0, 0.0])),
    "vocab-float-dtype": _good_arrays(vocab=np.ones(10)),
    "vocab-not-utf8": _good_arrays(vocab=np.frombuffer(b"iran\n\xff\xfe\nx\ny\nz\nw", dtype=np.uint8)),
    "vocab-repeated-entry": _zeros_vocab,
}


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    return make_tiny_model().save(tmp_path / "model")


@pytest.mark.parametrize("name", list(ATTACKS))
def test_damaged_model_gives_one_model_load_error(name: str, saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ATTACKS[name](saved)
    with pytest.raises(ModelLoadError) as info:
        Model.load(saved)
    message = str(info.value)
    assert "\n" not in message
    assert str(saved) in message, message  # names the file
    assert main(["info", "--model", str(saved)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("stancelib: error: "), err
    assert "Traceback" not in err


def test_link_inside_the_directory_is_followed(saved: Path) -> None:
    # The policy allows links that stay inside the model directory.
    (saved / "real.npz").write_bytes((saved / ARRAYS_FILE).read_bytes())
    (saved / ARRAYS_FILE).unlink()
    (saved / ARRAYS_FILE).symlink_to("real.npz")
    assert Model.load(saved).predict("iran").topics == ("iran",)


def test_huge_coefficient_model_never_returns_nan(tmp_path: Path) -> None:
    # At the bound itself the model loads, and its scores stay finite for any text.
    base = make_tiny_model()
    args = base.arguments()
    args["tone_coef"] = np.full((6, 3), 1e6) * np.array([1.0, -1.0, 0.5])
    m = Model(**args)
    for text in ["welcome " * 1000, "iran condemn meeting", ""]:
        p = m.predict(text)
        assert all(np.isfinite(v) for v in p.tone_scores.values())
        s = m.score_batch([text])
        assert np.isfinite(s.tone_probs).all() and np.isfinite(s.topic_probs).all()


def test_zip_bomb_is_refused_before_inflating(saved: Path) -> None:
    # A real deflated member that declares more than the cap.
    big = MAX_ARRAYS_BYTES + 1024
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z,
        z.open("idf.npy", "w", force_zip64=True) as f,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(big // len(block) + 1):
            f.write(block)
    data = buf.getvalue()
    assert len(data) < MAX_ARRAYS_BYTES // 50  # small on disk
    _with_arrays_bytes(data)(saved)
    with pytest.raises(ModelLoadError, match="unpack to"):
        Model.load(saved)


test_zip_bomb_is_refused_before_inflating = pytest.mark.slow(test_zip_bomb_is_refused_before_inflating)


@pytest.mark.parametrize("path", ["a\x00b", "/dev/null", "/dev/zero", "/proc/self", __file__])
def test_model_path_that_is_not_a_model_directory(path: str) -> None:
    with pytest.raises(ModelLoadError) as info:
        Model.load(path)
    assert "\n" not in str(info.value)
