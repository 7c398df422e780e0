"""In-memory batch scoring: many texts to probability arrays, optionally over worker processes.

`score_texts` is the array path for large jobs in Python; the file streaming
of `stancelib._stream` and the Dask integration build on the same
`Model.score_batch`. Worker processes hold one model each, set once by
`init_worker`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ._loading import load_model
from ._model import Model
from ._results import Scores
from ._text import as_text_list
from .errors import InputError

__all__ = ["score_texts", "resolve_n_jobs", "resolve_count", "worker_count", "cores", "init_worker", "worker_model"]

_worker_model: Model | None = None


def resolve_n_jobs(n_jobs: int) -> int:
    """Return the number of worker processes `n_jobs` asks for: -1 means all cores.

    Raises
    ------
    InputError
        For 0 or a count below -1, as scikit-learn does.
    """
    return resolve_count(n_jobs, "n_jobs")


def resolve_count(count: int, name: str) -> int:
    """Return a count of processes or threads: -1 means all cores; `name` is what messages call it.

    Raises
    ------
    InputError
        For a non-integer, 0 or a count below -1.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise InputError(f"{name} must be an int, got {type(count).__name__}")
    if count == -1:
        return os.cpu_count() or 1
    if count < 1:
        raise InputError(f"{name} must be at least 1, or -1 for all cores; got {count}")
    return count


def cores() -> int:
    """Return the number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(n_jobs: int, n_chunks: int) -> int:
    """Workers to start for `n_chunks` tasks: `n_jobs` resolved, capped at the cores and at `n_chunks`."""
    return max(1, min(resolve_n_jobs(n_jobs), cores(), n_chunks))


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone (even by SIGKILL): nothing to work for


def init_worker(model: Model | str) -> None:
    """Set up a worker process: default signal handling, exit with the parent, and load its model.

    The model is loaded from a name or path, or kept (a `Model`, pickled once).
    A worker ends by itself when its parent process disappears, however it
    ended: the kernel's parent-death signal where there is one, and a watcher
    thread everywhere.
    """
    global _worker_model
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends its workers
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="stancelib-parent-watch").start()
    if os.getppid() != parent:
        os._exit(1)
    _worker_model = load_model(model)


def worker_model(default: Model | str | None = None) -> Model:
    """Return the model set by `init_worker`, or load `default` if none was set."""
    return _worker_model if _worker_model is not None else load_model(default)


def _score_chunk(texts: list[str]) -> Scores:
    return worker_model().score_batch(texts)


def score_texts(
    texts: Iterable[str],
    *,
    model: Model | str | None = None,
    n_jobs: int = 1,
    chunk_size: int = 5000,
) -> Scores:
    """Probabilities for many texts as arrays, optionally over several processes.

    Parameters
    ----------
    texts : iterable of str
    model : Model, str or None
        As for `stancelib.predict`.
    n_jobs : int
        Worker processes; -1 for all cores. The model is handed to each
        worker once; texts travel in chunks and only arrays come back.
    chunk_size : int
        Texts per task sent to a worker.

    Returns
    -------
    Scores
        Equal to ``model.score_batch(list(texts))``, in input order.

    Raises
    ------
    InputError
        If `n_jobs` is 0 or below -1.

    Examples
    --------
    >>> s = score_texts(["Iran nuclear talks resumed.", "We condemn the strike."])
    >>> s.topic_probs.shape[0], s.tone_probs.shape[0]
    (2, 2)
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    m = load_model(model)
    items = as_text_list(texts)
    jobs = worker_count(n_jobs, -(-len(items) // chunk_size))
    if jobs == 1:
        return m.score_batch(items)
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=init_worker, initargs=(m,)) as pool:
        parts = list(pool.map(_score_chunk, chunks))
    return Scores(
        np.concatenate([p.topic_probs for p in parts]),
        np.concatenate([p.tone_probs for p in parts]),
        np.concatenate([p.n_known_features for p in parts]),
    )
