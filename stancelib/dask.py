"""Labelling on Dask, partition by partition: ``pip install "stancelib[dask]"``.

Tasks carry the model's *name or path*, never the model: each worker process
loads it once (and keeps it) the first time one of its tasks runs.

Example
-------
::

    import dask.dataframe as dd
    from stancelib.dask import label_dataframe

    news = dd.read_parquet("news/*.parquet")
    labelled = label_dataframe(news, text_field="text")     # lazy
    labelled.groupby("tone").size().compute()
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any

import numpy as np

from ._loading import DEFAULT_MODEL, load_model
from ._model import Model
from .errors import InputError, MissingExtraError

__all__ = ["label_dataframe", "label_bag", "label_pandas"]


def _require_dask() -> Any:
    try:
        import dask.dataframe as dd
        import pandas as pd
    except ImportError:
        raise MissingExtraError('the Dask integration needs the dask extra: pip install "stancelib[dask]"') from None
    return dd, pd


@functools.lru_cache(maxsize=8)
def _worker_model(model: str) -> Model:
    # Cached per process: a worker loads each model once, whatever the number of tasks.
    return load_model(model)


def _model_name(model: str | os.PathLike[str] | None) -> str:
    if isinstance(model, Model):
        raise InputError(
            "pass the model's name or directory, not a loaded Model, so that workers load it once "
            "instead of receiving it with every task (save it first with Model.save(path))"
        )
    return DEFAULT_MODEL if model is None else os.fspath(model)


def _meta(model: Model, prefix_columns: Any = None) -> Any:
    _, pd = _require_dask()
    columns: dict[str, Any] = {} if prefix_columns is None else dict(prefix_columns)
    columns["topics"] = pd.Series([], dtype="string")
    for t in model.topics:
        columns[f"topic_{t}"] = pd.Series([], dtype="float64")
    columns["tone"] = pd.Series(pd.Categorical([], categories=list(model.tones)))
    for t in model.tones:
        columns[f"tone_{t}"] = pd.Series([], dtype="float64")
    columns["n_known_features"] = pd.Series([], dtype="int64")
    return pd.DataFrame(columns)


def label_pandas(texts: Any, model: str | os.PathLike[str] | None = None) -> Any:
    """Label a pandas Series of str; returns a DataFrame with the same index.

    Columns: ``topics`` (string, topic names joined by ``;``, empty for
    off-agenda), ``topic_<name>`` (float64 probabilities), ``tone``
    (categorical), ``tone_<name>`` (float64) and ``n_known_features`` (int64).
    """
    _, pd = _require_dask()
    m = _worker_model(_model_name(model))
    scores = m.score_batch(list(texts))
    thresholds = np.asarray(m.thresholds)
    flags = scores.topic_probs >= thresholds
    topics = [";".join(t for t, f in zip(m.topics, row) if f) for row in flags.tolist()]
    columns: dict[str, Any] = {"topics": pd.array(topics, dtype="string")}
    for j, t in enumerate(m.topics):
        columns[f"topic_{t}"] = scores.topic_probs[:, j]
    best = scores.tone_probs.argmax(axis=1) if len(topics) else np.zeros(0, dtype=np.int64)
    columns["tone"] = pd.Categorical.from_codes(best, categories=list(m.tones))
    for j, t in enumerate(m.tones):
        columns[f"tone_{t}"] = scores.tone_probs[:, j]
    columns["n_known_features"] = scores.n_known_features.astype("int64")
    return pd.DataFrame(columns, index=texts.index)


def label_dataframe(
    frame: Any,
    text_field: str = "text",
    *,
    model: str | os.PathLike[str] | None = None,
    keep: bool = True,
    column: str | None = None,
) -> Any:
    """Label the text column of a Dask DataFrame, partition by partition.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
    text_field : str
        The column holding the text (str; missing values are an error).
    model : str or path, optional
        Shipped model name or model directory; loaded once per worker.
    keep : bool
        Keep the input columns next to the labels.
    column : str, optional
        Deprecated name of `text_field`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; the label columns of `label_pandas`, after the input columns if
        `keep`.
    """
    _require_dask()
    if column is not None:
        warnings.warn("label_dataframe(column=...) is deprecated; use text_field=...", DeprecationWarning, stacklevel=2)
        text_field = column
    if text_field not in frame.columns:
        raise InputError(f"no column {text_field!r}; the frame has {list(frame.columns)}")
    name = _model_name(model)
    meta = _meta(load_model(name), frame._meta if keep else None)

    def partition(part: Any) -> Any:
        labels = label_pandas(part[text_field], name)
        return part.join(labels) if keep else labels

    return frame.map_partitions(partition, meta=meta)


def label_bag(bag: Any, *, model: str | os.PathLike[str] | None = None) -> Any:
    """Label a Dask Bag of str; each element becomes `Prediction.to_dict()`."""
    name = _model_name(model)

    def partition(texts: Any) -> list[dict[str, Any]]:
        return [p.to_dict() for p in _worker_model(name).predict(list(texts))]

    return bag.map_partitions(partition)
