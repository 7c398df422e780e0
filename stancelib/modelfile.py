"""Reading and writing a model directory: ``model.json`` plus ``arrays.npz``.

The directory is data only. ``model.json`` declares the format and its
version, the label sets, thresholds, feature settings, training provenance,
metrics and the SHA-256 of every array file; ``arrays.npz`` holds numeric
arrays and the vocabulary as UTF-8 bytes. Loading never unpickles
(``allow_pickle=False``) and refuses a file whose checksum does not match.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelLoadError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "METADATA_FILE", "ARRAYS_FILE", "read", "write"]

FORMAT_NAME = "stancelib-model"
FORMAT_VERSION = 1
METADATA_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(directory: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check a model directory.

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
    root = Path(directory)
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
            raise TypeError(f"array {key!r} has dtype object; model files hold numeric data only")
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
