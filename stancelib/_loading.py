"""Loading models: shipped ones by name (cached once per process), others by path."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

from . import _modelfile
from ._model import Model
from .errors import ModelLoadError

__all__ = ["DEFAULT_MODEL", "SHIPPED_MODELS", "load_model", "default_model", "shipped_model_path"]

DEFAULT_MODEL = "fast"
SHIPPED_MODELS = ("fast", "accurate", "fast-1", "accurate-1")
#: How each shipped model is rebuilt, for the message when it is missing.
_RETRAIN = {
    "fast": "python -m training.train",
    "accurate": "python -m training.finetune --out RUN, then python -m training.train_accurate RUN",
    "fast-1": "reinstall stancelib (fast-1 is kept as shipped, not rebuilt)",
    "accurate-1": "reinstall stancelib (accurate-1 is kept as shipped, not rebuilt)",
}
#: Previous versions kept loadable for one release, with what replaces them.
_PREVIOUS = {"fast-1": "fast", "accurate-1": "accurate"}

_cache: dict[str, Model] = {}
_lock = threading.Lock()


def shipped_model_path(name: str) -> Path:
    """Return the directory of a shipped model, installed (inside the package) or in a source checkout."""
    # The wheel puts the models inside the package directory; a plain path
    # (rather than importlib.resources) keeps `import stancelib` light.
    packaged = Path(__file__).resolve().parent / "models" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "models" / name


def load_model(model: str | os.PathLike[str] | Model | None = None) -> Model:
    """Load a model: the shipped default, a shipped one by name, or a directory.

    Shipped models are loaded once per process and cached, so repeated calls
    are cheap and return the same object; the first load happens under a lock,
    so many threads asking at once still load it only once. A directory path
    is read afresh on every call.

    Parameters
    ----------
    model : str, path-like or Model, optional
        ``None`` or ``"fast"`` for the shipped model, ``"fast-1"`` for its
        previous version (kept for one release; warns), ``"accurate"`` for the
        shipped model with a sentence encoder (needs the ``accurate`` extra),
        or the path of a directory written by `Model.save`. A `Model` is
        returned as it is.

    Raises
    ------
    ModelLoadError
        If the model cannot be found or read.
    MissingExtraError
        If ``"accurate"`` (or a directory of such a model) is asked for
        without the extra: ``pip install "stancelib[accurate]"``, after
        torch's CPU build (``pip install torch==2.13.0``).

    Examples
    --------
    >>> m = load_model()
    >>> "iran" in m.topics and m.tones == ("cooperative", "critical", "neutral")
    True
    """
    if isinstance(model, Model):
        return model
    if model is None:
        model = DEFAULT_MODEL
    if isinstance(model, str) and model in SHIPPED_MODELS:
        if model in _PREVIOUS:
            warnings.warn(
                f"{model!r} is the previous version of the shipped {_PREVIOUS[model]!r} model, kept for one "
                f"release so that earlier results can be reproduced; use {_PREVIOUS[model]!r}",
                DeprecationWarning,
                stacklevel=2,
            )
        cached = _cache.get(model)
        if cached is not None:
            return cached
        with _lock:
            cached = _cache.get(model)
            if cached is None:
                path = shipped_model_path(model)
                if not path.is_dir():
                    raise ModelLoadError(
                        f"the shipped model {model!r} is missing ({path}); reinstall stancelib, "
                        f"or retrain it with: {_RETRAIN[model]}"
                    )
                cached = _cache[model] = _load_directory(path)
            return cached
    if not isinstance(model, (str, os.PathLike)):
        raise ModelLoadError(f"model must be a name, a path or a Model, got {type(model).__name__}")
    return _load_directory(model)


def _load_directory(path: str | os.PathLike[str]) -> Model:
    """Read a model directory once and build a `Model`, or an `AccurateModel` if it records an encoder.

    The accurate tier's module (and through it torch) is imported only here,
    and only for a model whose ``model.json`` names an encoder.
    """
    file = _modelfile.read(path)
    if not file.has_encoder:
        return Model.from_file(file)
    from ._accurate import AccurateModel

    return AccurateModel.from_file(file)


def default_model() -> Model:
    """Return the cached shipped default model."""
    return load_model(None)
