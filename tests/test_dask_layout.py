"""The Dask functions share `label_frame`'s layout, collision policy and thresholds (synchronous scheduler)."""

from __future__ import annotations

import pytest

import stancelib
from stancelib import InputError

dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from stancelib.dask import label_bag, label_dataframe, label_pandas  # noqa: E402

TEXTS = [
    "Iran exceeded the deal's enrichment cap, the IAEA said.",
    "We welcome the prisoner exchange between Kyiv and Moscow.",
    "The delegations will meet in Geneva on Tuesday.",
]


def test_same_columns_and_values_as_label_frame() -> None:
    frame = pd.DataFrame({"id": range(6), "text": TEXTS * 2})
    lazy = label_dataframe(dd.from_pandas(frame, npartitions=2))
    out = lazy.compute(scheduler="sync")
    expected = stancelib.label_frame(frame)
    assert list(lazy.columns) == list(expected.columns) == list(out.columns)
    labels = list(expected.columns)[2:]  # the input's own dtypes are Dask's business (it makes text "string")
    assert dict(lazy.dtypes[labels].astype(str)) == dict(expected.dtypes[labels].astype(str))
    pd.testing.assert_frame_equal(out[labels], expected[labels])
    assert list(out["id"]) == list(range(6))


def test_collisions_are_refused_when_defined_not_when_computed() -> None:
    frame = dd.from_pandas(pd.DataFrame({"text": TEXTS, "topics": ["a", "b", "c"]}), npartitions=1)
    with pytest.raises(InputError, match=r"\['topics'\].*prefix="):
        label_dataframe(frame)
    out = label_dataframe(frame, prefix="sl_").compute(scheduler="sync")
    assert list(out["topics"]) == ["a", "b", "c"] and "sl_topics" in out.columns
    assert "topics" in label_dataframe(frame, keep=False).columns  # labels alone cannot collide


def test_repeated_index_across_partitions() -> None:
    base = pd.DataFrame({"text": TEXTS})
    frame = pd.concat([base, base, base])  # index 0,1,2 three times
    out = label_dataframe(dd.from_pandas(frame, npartitions=3, sort=False)).compute(scheduler="sync")
    assert len(out) == 9
    expected = [p.tone for p in stancelib.predict(list(frame["text"]))]
    assert list(out["tone"]) == expected
    series = label_pandas(frame["text"])
    assert len(series) == 9 and list(series["tone"]) == expected


def test_thresholds_in_dataframe_and_bag() -> None:
    frame = dd.from_pandas(pd.DataFrame({"text": TEXTS}), npartitions=1)
    plain = label_dataframe(frame).compute(scheduler="sync")
    high = label_dataframe(frame, thresholds={"iran": 1.0}).compute(scheduler="sync")
    assert "iran" in plain["topics"][0].split(";") and "iran" not in high["topics"][0].split(";")
    db = pytest.importorskip("dask.bag")
    bag = label_bag(db.from_sequence(TEXTS, npartitions=1), thresholds={"iran": 1.0}).compute(scheduler="sync")
    assert "iran" not in bag[0]["topics"]
    with pytest.raises(InputError, match="unknown topic"):
        label_dataframe(frame, thresholds={"irn": 0.2})
