"""The accurate tier: the n-gram model plus a sentence encoder.

`AccurateModel` is a `Model` whose logits are the n-gram logits plus
``embedding @ encoder_coef``, where the embedding comes from the sentence
encoder of `stancelib._encoder`. This module imports only numpy and stancelib
at import time; torch, tokenizers and safetensors are imported by the encoder
when an accurate model is loaded, so ``import stancelib`` and the fast tier
never load them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _modelfile
from ._encoder import SentenceEncoder, require_extra, resolve_threads
from ._model import Model
from .errors import ModelLoadError

__all__ = ["AccurateModel"]


class AccurateModel(Model):
    """A `Model` whose logits add a linear map of a sentence embedding.

    The n-gram arrays are the n-gram part of the jointly fitted heads;
    ``encoder_coef`` (384 by topics + tones) maps the embedding to the rest
    of each logit. `extra_logits` returns ``embedding @ encoder_coef``; the
    base class adds it before the sigmoid and the softmax, in the single and
    the batch path alike, and `stancelib.explain` reports it as one
    ``[sentence encoder]`` contribution.

    Parameters
    ----------
    encoder_coef : ndarray of shape (384, n_topics + n_tones)
    encoder : mapping
        The encoder's identity (see `encoder_identity`); the installed
        encoder is checked against it.
    adapters : mapping of str to ndarray, optional
        A fine-tuned encoder's changes to its layers (see
        `stancelib._encoder`); checked against the SHA-256 in `encoder`.
    source : str, optional
        Where the model came from, for error messages.
    **arrays
        As for `Model`.

    Raises
    ------
    MissingExtraError
        If the ``accurate`` extra is not installed.
    ModelLoadError
        If the encoder differs from the one recorded, or the shapes do not fit.
    """

    has_extra_logits = True

    def __init__(
        self,
        *,
        encoder_coef: np.ndarray,
        encoder: Mapping[str, Any],
        adapters: Mapping[str, np.ndarray] | None = None,
        source: str = _modelfile.METADATA_FILE,
        **arrays: Any,
    ) -> None:
        require_extra()
        super().__init__(**arrays)
        self._encoder_identity = dict(encoder)
        width = len(self.topics) + len(self.tones)
        dim = int(self._encoder_identity.get("dim", 384))
        coef = np.asarray(encoder_coef, dtype=np.float64)
        if coef.shape != (dim, width):
            raise ModelLoadError(
                f"{source}: array 'encoder_coef' has shape {coef.shape}, expected {(dim, width)}; "
                "the model files do not belong together: retrain or copy again"
            )
        if not np.all(np.isfinite(coef)):
            raise ModelLoadError(f"{source}: 'encoder_coef' contains NaN or infinity; retrain the model")
        self._encoder_coef = np.ascontiguousarray(coef)
        # Rows of the transpose: one dot product per logit, the same call for
        # every sentence, so a batch sums exactly as a single sentence does.
        self._encoder_coef_t = np.ascontiguousarray(coef.T)
        self._adapters = {name: np.asarray(a) for name, a in (adapters or {}).items()}
        self._encoder = SentenceEncoder.open(self._encoder_identity, adapters=self._adapters, source=source)
        self._threads = resolve_threads(None)

    @property
    def threads(self) -> int:
        """Torch threads the encoder runs on: set by `with_threads`, else ``$STANCELIB_THREADS``, else 1."""
        return self._threads

    def with_threads(self, threads: int | None) -> AccurateModel:
        """Return a copy (same arrays, same encoder) that runs the encoder on `threads` threads.

        None reads ``$STANCELIB_THREADS`` (default 1); -1 is all cores. The
        results do not depend on it beyond float rounding (within 1e-6).
        """
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._threads = resolve_threads(threads)
        return copy

    @property
    def encoder(self) -> SentenceEncoder:
        """The sentence encoder (shared by every model in this process)."""
        return self._encoder

    @property
    def encoder_info(self) -> dict[str, Any]:
        """The encoder's identity as stored in ``model.json`` (a copy)."""
        return json.loads(json.dumps(self._encoder_identity))

    def extra_logits(self, texts: Sequence[str]) -> list[list[float]]:
        """``embedding @ encoder_coef`` for each text: topic logits, then tone logits."""
        if not texts:
            return []
        coef_t = self._encoder_coef_t
        return [(coef_t @ row).tolist() for row in self._encoder.encode(texts, threads=self._threads)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings of `texts` as the model's logits read them, shape (n, 384)."""
        return self._encoder.encode(list(texts), threads=self._threads)

    # ------------------------------------------------------------------ I/O
    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> AccurateModel:
        """Load an accurate model directory written by `save`.

        Raises
        ------
        MissingExtraError
            If the ``accurate`` extra is not installed.
        ModelLoadError
            If the directory is missing or damaged, has no encoder part, or
            the installed encoder is not the one the model was trained with.
        """
        require_extra()
        return cls.from_file(_modelfile.read(directory))

    @classmethod
    def from_file(cls, file: _modelfile.ModelFile) -> AccurateModel:
        """Build the model from a directory already read by `stancelib._modelfile.read`."""
        require_extra()
        identity = file.metadata.get("encoder")
        if not isinstance(identity, dict):
            raise ModelLoadError(
                f"{file.source}: no 'encoder' entry; this is not an accurate model: load it with load_model(path)"
            )
        return cls(
            encoder_coef=file.array("encoder_coef"),
            encoder=identity,
            adapters=file.adapters(),
            source=file.source,
            **file.arguments,
        )

    def arguments(self) -> dict[str, Any]:
        """Return the constructor arguments; a worker process re-opens and re-checks the encoder."""
        arguments = super().arguments()
        arguments["encoder_coef"] = self._encoder_coef
        arguments["encoder"] = self._encoder_identity
        if self._adapters:
            arguments["adapters"] = self._adapters
        return arguments

    def __repr__(self) -> str:
        return super().__repr__().replace("<stancelib.Model", "<stancelib.AccurateModel", 1)
