"""The Dask integration against a real LocalCluster with two worker processes."""

from __future__ import annotations

import pytest

import stancelib

dd = pytest.importorskip("dask.dataframe")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from stancelib.dask import label_bag, label_dataframe  # noqa: E402

pytestmark = pytest.mark.slow

TEXTS = [
    "Iran must stop enriching uranium beyond the limits of the deal.",
    "We welcome the prisoner exchange between Kyiv and Moscow.",
    "The delegations will meet in Geneva on Tuesday.",
    "Maduro's government released several political prisoners.",
    "",
    "Pyongyang fired two ballistic missiles into the sea.",
    "Turkey hosts millions of Syrian refugees.",
] * 30


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_dataframe_equals_predict(client) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"id": range(len(TEXTS)), "text": TEXTS})
    ddf = dd.from_pandas(frame, npartitions=6)
    out = label_dataframe(ddf, "text").compute()
    assert list(out["id"]) == list(range(len(TEXTS)))
    expected = stancelib.predict(TEXTS)
    assert list(out["tone"]) == [p.tone for p in expected]
    assert list(out["topics"]) == [";".join(p.topics) for p in expected]
    for t in stancelib.load_model().topics:
        assert list(out[f"topic_{t}"]) == pytest.approx([p.topic_scores[t] for p in expected], rel=1e-12, abs=1e-15)
    for t in stancelib.load_model().tones:
        assert list(out[f"tone_{t}"]) == pytest.approx([p.tone_scores[t] for p in expected], rel=1e-12, abs=1e-15)
    assert str(out["tone"].dtype) == "category" and out["topic_iran"].dtype == "float64"
    workers = client.run(lambda: __import__("stancelib.dask", fromlist=["x"])._worker_model.cache_info().misses)
    assert len(workers) == 2 and all(m <= 1 for m in workers.values())


def test_bag_equals_predict(client) -> None:  # type: ignore[no-untyped-def]
    bag = db.from_sequence(TEXTS, npartitions=4)
    out = label_bag(bag).compute()
    assert out == [p.to_dict() for p in stancelib.predict(TEXTS)]


def test_loaded_model_is_refused() -> None:
    from stancelib import InputError

    ddf = dd.from_pandas(pd.DataFrame({"text": ["a b c"]}), npartitions=1)
    with pytest.raises(InputError, match="not a loaded Model"):
        label_dataframe(ddf, model=stancelib.load_model())  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no column 'body'"):
        label_dataframe(ddf, "body")
