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

import errno
import hashlib
import io
import json
import math
import os
import stat
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _json
from ._features import FeatureSpec
from .errors import InputTypeError, ModelLoadError, OutputError, OutputWriteError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "ARRAYS_FILE",
    "MAX_METADATA_BYTES",
    "MAX_ARRAYS_BYTES",
    "NGRAM_ARRAYS",
    "ADAPTER_PREFIX",
    "ModelFile",
    "read",
    "contents",
    "saved_metadata",
    "write",
    "check_destination",
    "is_model_directory",
    "sha256_bytes",
]

FORMAT_NAME = "stancelib-model"
FORMAT_VERSION = 1
METADATA_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
#: The arrays of every model: the vocabulary (UTF-8 bytes), IDF and both heads.
#: Prefix of the arrays holding a fine-tuned encoder's changes (the accurate tier).
ADAPTER_PREFIX = "adapter."
NGRAM_ARRAYS = ("vocab", "idf", "topic_coef", "topic_intercept", "tone_coef", "tone_intercept")
#: The largest ``model.json`` read (bytes).
MAX_METADATA_BYTES = 1 << 20
#: The largest array file read, and the most its members may unpack to (bytes).
MAX_ARRAYS_BYTES = 256 << 20
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

    def adapters(self) -> dict[str, np.ndarray]:
        """Return the encoder adapters among the arrays (`ADAPTER_PREFIX` removed); empty for a frozen encoder."""
        n = len(ADAPTER_PREFIX)
        return {k[n:]: v for k, v in self.arrays.items() if k.startswith(ADAPTER_PREFIX)}

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
        topics = _names(metadata["topics"], "topics")
        tones = _names(metadata["tones"], "tones")
        thresholds_map = metadata["thresholds"]
        if not isinstance(thresholds_map, dict):
            raise TypeError(f"'thresholds' must be an object, got {type(thresholds_map).__name__}")
        thresholds = [_threshold(thresholds_map[t], t) for t in topics]
        if not isinstance(metadata["features"], dict):
            raise TypeError("'features' must be an object")
        spec = FeatureSpec.from_dict(metadata["features"], source=source)
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"no entry {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise ModelLoadError(
            f"{source}: label sets, thresholds or feature settings are missing, invalid or inconsistent ({detail}); "
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


def _names(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t and "\x00" not in t for t in value):
        raise TypeError(f"{key!r} must be a list of label names")
    return list(value)


def _threshold(value: Any, topic: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"the threshold of {topic!r} must be a number from 0 to 1, got {value!r}")
    return float(value)


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
        for name, value in (arguments.get("adapters") or {}).items():
            arrays[ADAPTER_PREFIX + name] = value
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
    # The directory is opened once and every file read relative to it, so a
    # model replaced meanwhile (see `write`) is read wholly old or wholly new.
    for attempt in range(3):
        try:
            fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise ModelLoadError(
                f"{root}: no such model directory; pass the directory that holds {METADATA_FILE} "
                "and arrays.npz, or call load_model() with no argument for the shipped model"
            ) from None
        except OSError as exc:
            raise ModelLoadError(f"{root}: cannot be opened ({exc.strerror}); check its permissions") from None
        except ValueError:
            raise ModelLoadError(f"{str(root)!r}: not a usable path (it contains a NUL character)") from None
        try:
            return _read_checked_at(root, fd)
        except ModelLoadError:
            if attempt < 2 and _replaced(root, fd):
                continue
            raise
        finally:
            os.close(fd)
    raise AssertionError("unreachable")


def _replaced(root: Path, fd: int) -> bool:
    """Whether `root` now names another directory than the one open as `fd`."""
    try:
        return os.stat(root).st_ino != os.fstat(fd).st_ino
    except OSError:
        return True


def _read_checked_at(root: Path, fd: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    meta_path = root / METADATA_FILE
    raw = _read_regular(
        fd,
        root,
        METADATA_FILE,
        MAX_METADATA_BYTES,
        missing=f"{meta_path}: missing; a model directory needs {METADATA_FILE} and its array files "
        "(copy the whole directory, or re-save the model)",
    )
    metadata = _parse_json(raw, meta_path)
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
        arrays.update(_read_arrays(fd, root, name, info))
    return metadata, arrays


def _parse_json(raw: bytes, path: Path) -> Any:
    """Parse ``model.json``: strict UTF-8, finite numbers only, bounded nesting."""
    fix = "the file is damaged or was not written by stancelib: copy it again or re-save the model"
    try:
        return _json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ModelLoadError(f"{path}: not UTF-8 (byte {exc.start}); {fix}") from None
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc}); {fix}") from None
    except RecursionError:
        raise ModelLoadError(f"{path}: JSON nested too deeply; {fix}") from None
    except ValueError as exc:  # huge integers, 1e400, NaN, Infinity
        raise ModelLoadError(f"{path}: unreadable JSON value ({exc}); {fix}") from None


def _read_regular(fd: int, root: Path, name: str, limit: int, *, missing: str) -> bytes:
    """Read one file of a model directory: a regular file inside it, at most `limit` bytes.

    Symbolic links are followed only when they stay inside the directory;
    directories, devices, FIFOs and sockets are refused before opening, so a
    damaged model never hangs or reads without end.
    """
    path = root / name
    try:
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            real = Path(os.path.realpath(path))
            if root.resolve() not in real.parents:
                raise ModelLoadError(
                    f"{path}: a symbolic link leading out of the model directory (to {real}); "
                    "a model directory holds its own files only: copy the file in instead"
                )
            info = os.stat(name, dir_fd=fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, FIFO or socket)"
            raise ModelLoadError(f"{path}: {kind}; a model directory holds regular files only: copy the model again")
        if info.st_size > limit:
            raise ModelLoadError(
                f"{path}: {info.st_size:,} bytes, over the {limit:,}-byte limit for this file; "
                "it is not a stancelib model file: copy the model again"
            )
        # O_NONBLOCK: a FIFO swapped in after the check still cannot hang the open.
        handle = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
        with open(handle, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise ModelLoadError(missing) from None
    except PermissionError:
        raise ModelLoadError(f"{path}: permission denied; make the model files readable (chmod a+r)") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot be read ({exc.strerror}); copy the model again") from None
    if len(data) > limit:
        raise ModelLoadError(f"{path}: over the {limit:,}-byte limit for this file; copy the model again")
    return data


def _read_arrays(fd: int, root: Path, name: str, info: Any) -> dict[str, np.ndarray]:
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name.startswith(".")
        or len(name) > 255
    ):
        raise ModelLoadError(f"{root / METADATA_FILE}: bad array file name {name!r}; re-save the model")
    path = root / name
    expected = info.get("sha256") if isinstance(info, dict) else None
    if not isinstance(expected, str):
        raise ModelLoadError(f"{root / METADATA_FILE}: no sha256 for {name}; re-save the model")
    data = _read_regular(
        fd,
        root,
        name,
        MAX_ARRAYS_BYTES,
        missing=f"{path}: missing; copy the whole model directory, not only {METADATA_FILE}",
    )
    actual = sha256_bytes(data)
    if actual != expected:
        raise ModelLoadError(
            f"{path}: checksum mismatch (expected sha256 {expected[:12]}..., got {actual[:12]}...); "
            "the file is damaged or was changed: copy the model again or retrain it"
        )
    return _decode_npz(data, path)


def _decode_npz(data: bytes, path: Path) -> dict[str, np.ndarray]:
    """Decode an ``.npz`` archive member by member, checking sizes and dtypes before any array is built."""
    fix = "copy the model again or re-save it with Model.save"
    if data.startswith(b"\x93NUMPY"):
        raise ModelLoadError(f"{path}: a single .npy array, not an .npz archive of the model's arrays; {fix}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ModelLoadError(f"{path}: not a readable .npz file ({exc}); {fix}") from None
    declared = sum(m.file_size for m in members)
    if declared > MAX_ARRAYS_BYTES:
        raise ModelLoadError(
            f"{path}: its members unpack to {declared:,} bytes, over the {MAX_ARRAYS_BYTES:,}-byte limit "
            f"for a model's arrays; {fix}"
        )
    arrays: dict[str, np.ndarray] = {}
    for member in members:
        key = member.filename[:-4] if member.filename.endswith(".npy") else ""
        if not key or member.is_dir():
            raise ModelLoadError(f"{path}: unexpected member {member.filename!r}; {fix}")
        try:
            raw = archive.read(member)
            arrays[key] = _decode_npy(raw, f"{path}[{key}]")
        except ModelLoadError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise ModelLoadError(f"{path}: member {member.filename!r} is damaged ({exc}); {fix}") from None
    return arrays


def _decode_npy(raw: bytes, where: str) -> np.ndarray:
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise ModelLoadError(
            f"{where}: holds Python objects, which would need unpickling; stancelib never unpickles: "
            "re-save the model with Model.save"
        )
    if dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "iuf":
        raise ModelLoadError(
            f"{where}: dtype {dtype} is not a plain integer or float type; model arrays are numeric: "
            "re-save the model with Model.save"
        )
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw) - stream.tell():
        raise ModelLoadError(
            f"{where}: its header declares shape {shape} ({count * dtype.itemsize:,} bytes) but it holds "
            f"{len(raw) - stream.tell():,} bytes; copy the model again"
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell())
    return array.reshape(shape, order="F" if fortran else "C").copy()


def is_model_directory(directory: str | os.PathLike[str]) -> bool:
    """Whether `directory` holds a ``model.json`` of this format (a directory `write` may replace)."""
    path = Path(directory) / METADATA_FILE
    try:
        if not path.is_file() or path.stat().st_size > MAX_METADATA_BYTES:
            return False
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT_NAME


def _package_models() -> Path:
    return Path(__file__).resolve().parent / "models"


def check_destination(directory: str | os.PathLike[str]) -> Path:
    """Return the absolute path `write` would fill, or refuse it before any work is done.

    A model is written to a new directory, an empty one, or one that already
    holds a stancelib model (replaced as a whole; other files beside it are
    kept). Anything else is refused, so that saving never deletes what is not
    a model.

    Raises
    ------
    OutputError
        For an existing file, a non-empty directory that is not a model
        directory, the current directory or one above it, or a directory
        inside the installed package's shipped models.
    """
    shown = os.fspath(directory)
    if not shown or "\x00" in shown:
        raise OutputError(f"{shown!r}: not a usable directory name")
    root = Path(os.path.abspath(shown))
    real = root.resolve()
    if root.is_symlink() and not root.is_dir():
        raise OutputError(f"{shown}: a link that is not a directory; give a directory path")
    if root.is_symlink() and root.is_dir():
        root = real  # replace the directory the link points to, not the link
    if root.exists():
        if not root.is_dir():
            raise OutputError(
                f"{shown}: exists and is not a directory; a model is a directory: choose another path "
                "or remove the file yourself"
            )
        try:
            non_empty = any(os.scandir(root))
        except OSError as exc:
            raise OutputError(f"{shown}: cannot be listed ({exc.strerror}); choose another directory") from None
        if non_empty and not is_model_directory(root):
            raise OutputError(
                f"{shown}: a non-empty directory that is not a stancelib model directory (no {METADATA_FILE} "
                "of this format); saving would replace it: give a new or empty directory"
            )
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise OutputError(
            f"{shown}: is the current directory or one above it, which a save would replace; "
            f"name a model directory inside it, e.g. {os.path.join(shown, 'model')}"
        )
    shipped = _package_models()
    if shipped.is_dir() and (real == shipped or shipped in real.parents):
        raise OutputError(
            f"{shown}: inside the installed package's shipped models ({shipped}); "
            "save your model to a directory of your own"
        )
    return root


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux ``renameat2``); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP if hasattr(errno, "ENOTSUP") else errno.EINVAL):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _install(tmp: Path, root: Path) -> None:
    """Put the finished directory `tmp` at `root`, replacing a model there without a moment of absence."""
    import shutil
    import tempfile

    for _ in range(20):
        if not root.exists():
            try:
                tmp.rename(root)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                continue  # another writer got there first: replace its model
        try:
            if _exchange(tmp, root):
                shutil.rmtree(tmp, ignore_errors=True)  # now the old model
                return
        except FileNotFoundError:
            continue  # removed meanwhile: rename instead
        # No atomic exchange here: move the old one aside, then the new one in.
        old = Path(tempfile.mkdtemp(prefix=f".{root.name[:40]}.", suffix=".old", dir=root.parent))
        try:
            os.rename(root, old / "model")
        except FileNotFoundError:
            shutil.rmtree(old, ignore_errors=True)
            continue
        try:
            tmp.rename(root)
        finally:
            shutil.rmtree(old, ignore_errors=True)
        return
    raise OutputWriteError(errno.EBUSY, f"{root}: replaced by other writers again and again; try again")


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

    root = check_destination(directory)
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
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name[:40]}.", suffix=".tmp", dir=root.parent))
    except OSError as exc:
        raise OutputError(f"{root.parent}: cannot create the model directory here ({exc.strerror})") from None
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a model directory is meant to be shared
        (tmp / ARRAYS_FILE).write_bytes(data)
        (tmp / METADATA_FILE).write_text(
            json.dumps(meta, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        if root.is_dir():
            # Keep what a user placed beside the model (notes, a README, folders).
            for entry in os.scandir(root):
                target = tmp / entry.name
                if target.exists() or target.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.copytree(entry.path, target, symlinks=True)
                else:
                    shutil.copy2(entry.path, target, follow_symlinks=False)
        _install(tmp, root)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OutputWriteError):
            raise
        raise OutputWriteError(
            exc.errno, f"{root}: the model could not be written ({exc.strerror}); nothing was changed"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
