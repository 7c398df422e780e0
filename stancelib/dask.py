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

The columns and the policy for colliding input columns are those of
`stancelib.label_frame` (pandas only): ``topics``, ``tone``,
``topic_<name>``, ``tone_<name>``, ``model``; ``prefix=`` namespaces them.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Mapping
from typing import Any

from ._loading import DEFAULT_MODEL, load_model
from ._model import Model
from ._pandas import check_collisions, empty_labels, label_columns, label_frame, require_pandas
from ._text import as_text_list
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


def _thresholds(thresholds: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(dict(thresholds or {}).items()))


def _task_model(name: str, thresholds: tuple[tuple[str, float], ...]) -> Model:
    m = _worker_model(name)
    return m.with_thresholds(dict(thresholds)) if thresholds else m


def label_pandas(
    texts: Any,
    model: str | os.PathLike[str] | None = None,
    *,
    prefix: str | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Any:
    """Label a pandas Series of str; returns the label columns as a DataFrame with the same index.

    The columns of `stancelib.label_frame` (``topics``, ``tone``,
    ``topic_<name>``, ``tone_<name>``, ``model``). Without Dask, prefer
    `stancelib.label_frame`, which needs pandas only.
    """
    pd = require_pandas()
    m = _task_model(_model_name(model), _thresholds(thresholds))
    return pd.DataFrame(label_columns(m, as_text_list(texts.to_numpy(dtype=object)), prefix), index=texts.index)


def label_dataframe(
    frame: Any,
    text_field: str = "text",
    *,
    model: str | os.PathLike[str] | None = None,
    keep: bool = True,
    column: str | None = None,
    prefix: str | None = None,
    thresholds: Mapping[str, float] | None = None,
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
    prefix : str, optional
        Put before every label column's name, e.g. ``"stancelib_"``.
    thresholds : mapping of str to float, optional
        Per-topic threshold overrides (see `stancelib.Model.with_thresholds`).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; the columns of `stancelib.label_frame`, after the input
        columns if `keep`.

    Raises
    ------
    InputError
        Here, before anything is computed: no column `text_field`, an input
        column named like a label column (use `prefix`), or a bad threshold.
    """
    _require_dask()
    if column is not None:
        warnings.warn("label_dataframe(column=...) is deprecated; use text_field=...", DeprecationWarning, stacklevel=2)
        text_field = column
    if text_field not in frame.columns:
        raise InputError(f"no column {text_field!r}; the frame has {list(frame.columns)}")
    name = _model_name(model)
    limits = _thresholds(thresholds)
    local = load_model(name)
    if limits:
        local = local.with_thresholds(dict(limits))  # a bad threshold fails here, not on a worker
    if keep:
        check_collisions(frame.columns, local, prefix)
    labels_meta = empty_labels(local, prefix)
    meta = frame._meta.assign(**{c: labels_meta[c] for c in labels_meta.columns}) if keep else labels_meta

    def partition(part: Any) -> Any:
        if keep:
            return label_frame(part, text_field, model=_task_model(name, limits), prefix=prefix)
        return label_pandas(part[text_field], name, prefix=prefix, thresholds=dict(limits))

    return frame.map_partitions(partition, meta=meta)


def label_bag(
    bag: Any, *, model: str | os.PathLike[str] | None = None, thresholds: Mapping[str, float] | None = None
) -> Any:
    """Label a Dask Bag of str; each element becomes `Prediction.to_dict()`."""
    name = _model_name(model)
    limits = _thresholds(thresholds)
    if limits:
        load_model(name).with_thresholds(dict(limits))  # a bad threshold fails here, not on a worker

    def partition(texts: Any) -> list[dict[str, Any]]:
        return [p.to_dict() for p in _task_model(name, limits).predict(list(texts))]

    return bag.map_partitions(partition)
