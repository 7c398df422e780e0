"""The model directory layout: ``model.json`` plus ``arrays.npz``, read, verified and written here only.

The directory is data only. ``model.json`` declares the format and its
version, the label sets, thresholds, feature settings, training provenance,
metrics and the SHA-256 of every array file; ``arrays.npz`` holds numeric
arrays and the vocabulary as UTF-8 bytes. Loading never unpickles
(``allow_pickle=False``) and refuses a file whose checksum does not match.

This module is the one place that knows how a model's constructor arguments
map to files and back (`contents` and `read`), so that the vocabulary is
encoded and decoded in one place and a directory is read, and checksummed,
once per load.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._features import FeatureSpec
from .errors import InputTypeError, ModelLoadError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "ARRAYS_FILE",
    "NGRAM_ARRAYS",
    "ModelFile",
    "read",
    "contents",
    "saved_metadata",
    "write",
    "sha256_bytes",
]

FORMAT_NAME = "stancelib-model"
FORMAT_VERSION = 1
METADATA_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
#: The arrays of every model: the vocabulary (UTF-8 bytes), IDF and both heads.
NGRAM_ARRAYS = ("vocab", "idf", "topic_coef", "topic_intercept", "tone_coef", "tone_intercept")
#: Metadata keys that `write` sets itself.
_WRITTEN_KEYS = ("format", "format_version", "files")


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of `data`, as stored in ``model.json``."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ModelFile:
    """A model directory as read and checked by `read`.

    Attributes
    ----------
    directory : Path
    metadata : dict
        The parsed ``model.json``.
    arguments : dict
        Keyword arguments of `Model` for the n-gram part: vocabulary, arrays,
        label sets, thresholds, feature settings and metadata.
    arrays : dict of str to ndarray
        Every array of the directory, including those of other tiers.
    """

    directory: Path
    metadata: dict[str, Any]
    arguments: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def source(self) -> str:
        """The path of ``model.json``, for messages."""
        return str(self.directory / METADATA_FILE)

    @property
    def has_encoder(self) -> bool:
        """Whether the model records a sentence encoder (the accurate tier)."""
        return "encoder" in self.metadata

    def array(self, name: str) -> np.ndarray:
        """One stored array, or a `ModelLoadError` naming the file if it is missing."""
        if name not in self.arrays:
            raise ModelLoadError(f"{self.directory / ARRAYS_FILE}: missing array {name!r}; retrain the model")
        return self.arrays[name]


def read(directory: str | os.PathLike[str]) -> ModelFile:
    """Read, verify and decode a model directory (once).

    Raises
    ------
    ModelLoadError
        If anything is missing, damaged, inconsistent, of another format or
        of a newer format version; the message names the file and the fix.
    """
    root = Path(directory)
    metadata, arrays = _read_checked(root)
    source = str(root / METADATA_FILE)
    missing = [key for key in NGRAM_ARRAYS if key not in arrays]
    if missing:
        raise ModelLoadError(f"{root / ARRAYS_FILE}: missing arrays {missing}; retrain the model")
    try:
        topics = [str(t) for t in metadata["topics"]]
        tones = [str(t) for t in metadata["tones"]]
        thresholds_map = metadata["thresholds"]
        thresholds = [float(thresholds_map[t]) for t in topics]
        spec = FeatureSpec.from_dict(metadata["features"], source=source)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(
            f"{source}: label sets, thresholds or feature settings are missing or inconsistent ({exc!r}); "
            "retrain or copy the model again"
        ) from None
    arguments = {
        "vocabulary": _decode_vocabulary(arrays["vocab"], source),
        "idf": arrays["idf"],
        "topic_coef": arrays["topic_coef"],
        "topic_intercept": arrays["topic_intercept"],
        "tone_coef": arrays["tone_coef"],
        "tone_intercept": arrays["tone_intercept"],
        "topics": topics,
        "tones": tones,
        "thresholds": thresholds,
        "spec": spec,
        "metadata": metadata,
    }
    return ModelFile(root, metadata, arguments, arrays)


def _encode_vocabulary(vocabulary: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(vocabulary).encode("utf-8"), dtype=np.uint8)


def _decode_vocabulary(vocab_bytes: np.ndarray, source: str) -> list[str]:
    if vocab_bytes.dtype != np.uint8 or vocab_bytes.ndim != 1:
        raise ModelLoadError(f"{source}: the vocabulary array must be UTF-8 bytes (uint8)")
    try:
        text = vocab_bytes.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(f"{source}: the vocabulary is not valid UTF-8; copy the model again") from None
    return text.split("\n") if text else []


def contents(arguments: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return what `write` stores for a model: its metadata and its arrays.

    The inverse of `read`: `arguments` are a model's constructor arguments
    (see `Model.arguments`); an ``encoder`` and ``encoder_coef`` among them
    (the accurate tier) are stored too.
    """
    vocabulary = list(arguments["vocabulary"])
    topics, tones = list(arguments["topics"]), list(arguments["tones"])
    metadata = {k: v for k, v in arguments["metadata"].items() if k not in _WRITTEN_KEYS}
    metadata.update(
        {
            "topics": topics,
            "tones": tones,
            "thresholds": dict(zip(topics, arguments["thresholds"])),
            "features": arguments["spec"].to_dict(),
            "n_features": len(vocabulary),
        }
    )
    arrays: dict[str, np.ndarray] = {
        "vocab": _encode_vocabulary(vocabulary),
        "idf": arguments["idf"],
        "topic_coef": arguments["topic_coef"],
        "topic_intercept": arguments["topic_intercept"],
        "tone_coef": arguments["tone_coef"],
        "tone_intercept": arguments["tone_intercept"],
    }
    if "encoder" in arguments:
        metadata["encoder"] = arguments["encoder"]
        arrays["encoder_coef"] = arguments["encoder_coef"]
    return metadata, arrays


def saved_metadata(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Return the metadata as `write` stores it (without the checksums), for a model card."""
    return {**contents(arguments)[0], "format_version": FORMAT_VERSION}


def _read_checked(root: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check a model directory's files.

    Returns
    -------
    metadata : dict
        The parsed ``model.json``.
    arrays : dict of str to ndarray
        Every array of every array file named in the metadata.

    Raises
    ------
    ModelLoadError
        If anything is missing, damaged, of another format or of a newer
        format version; the message names the file and the fix.
    """
    if not root.is_dir():
        raise ModelLoadError(
            f"{root}: no such model directory; pass the directory that holds {METADATA_FILE} "
            "and arrays.npz, or call load_model() with no argument for the shipped model"
        )
    meta_path = root / METADATA_FILE
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(
            f"{meta_path}: missing; a model directory needs {METADATA_FILE} and its array files "
            "(copy the whole directory, or re-save the model)"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(
            f"{meta_path}: not valid JSON ({exc}); the file is damaged: copy it again or re-save the model"
        ) from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelLoadError(f'{meta_path}: not a stancelib model (expected "format": "{FORMAT_NAME}")')
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelLoadError(f"{meta_path}: 'format_version' must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelLoadError(
            f"{meta_path}: model format version {version} is newer than this stancelib reads "
            f"(up to {FORMAT_VERSION}); upgrade stancelib (pip install -U stancelib) to load it"
        )
    if version < 1:
        raise ModelLoadError(f"{meta_path}: unknown model format version {version}")
    files = metadata.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelLoadError(f"{meta_path}: no 'files' table with checksums; re-save the model")
    arrays: dict[str, np.ndarray] = {}
    for name, info in files.items():
        arrays.update(_read_arrays(root, name, info))
    return metadata, arrays


def _read_arrays(root: Path, name: str, info: Any) -> dict[str, np.ndarray]:
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        raise ModelLoadError(f"{root / METADATA_FILE}: bad array file name {name!r}")
    path = root / name
    expected = info.get("sha256") if isinstance(info, dict) else None
    if not isinstance(expected, str):
        raise ModelLoadError(f"{root / METADATA_FILE}: no sha256 for {name}; re-save the model")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing; copy the whole model directory, not only {METADATA_FILE}") from None
    actual = sha256_bytes(data)
    if actual != expected:
        raise ModelLoadError(
            f"{path}: checksum mismatch (expected sha256 {expected[:12]}..., got {actual[:12]}...); "
            "the file is damaged or was changed: copy the model again or retrain it"
        )
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        # numpy raises ValueError for object arrays when allow_pickle=False.
        raise ModelLoadError(
            f"{path}: holds data that would need unpickling ({exc}); stancelib never unpickles: "
            "re-save the model with Model.save"
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelLoadError(f"{path}: not a readable .npz file ({exc}); copy the model again") from None


def write(
    directory: str | os.PathLike[str],
    metadata: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write a model directory atomically.

    The files are written to a temporary directory beside `directory`, which
    then replaces it, so a failure never leaves a half-written model.
    `extra_files` maps file names to text written beside the model (a model
    card); other files already in `directory` are kept.
    """
    import shutil  # the write path only; loading stays light
    import tempfile

    root = Path(directory)
    for key, array in arrays.items():
        if array.dtype == object:
            raise InputTypeError(f"array {key!r} has dtype object; model files hold numeric data only")
    buffer = io.BytesIO()
    # Fixed zip timestamps are not settable through numpy, but savez writes
    # none that vary, so the same arrays give the same bytes.
    # Uncompressed: loading skips inflating, which is most of the read time.
    np.savez(buffer, **dict(sorted(arrays.items())))  # type: ignore[arg-type]
    data = buffer.getvalue()
    meta = dict(metadata)
    meta["format"] = FORMAT_NAME
    meta["format_version"] = FORMAT_VERSION
    meta["files"] = {ARRAYS_FILE: {"sha256": sha256_bytes(data), "bytes": len(data)}}
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a model directory is meant to be shared
        (tmp / ARRAYS_FILE).write_bytes(data)
        (tmp / METADATA_FILE).write_text(
            json.dumps(meta, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        existing = list(root.iterdir()) if root.is_dir() else []
        for path in existing:
            # Keep files a user placed beside the model (notes, a README).
            if not (tmp / path.name).exists() and path.is_file():
                shutil.copy2(path, tmp / path.name)
        if root.exists():
            old = root.with_name(f".{root.name}.old")
            if old.exists():
                shutil.rmtree(old)
            root.rename(old)
            tmp.rename(root)
            shutil.rmtree(old)
        else:
            tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
