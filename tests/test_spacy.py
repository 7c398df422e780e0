"""The spaCy component, with a blank English pipeline (no model download)."""

from __future__ import annotations

import sys
import tomllib
from importlib import import_module
from typing import Any

import pytest

import stancelib
from stancelib import MissingExtraError

from .conftest import ROOT

pytestmark = pytest.mark.slow  # importing spaCy alone takes seconds


@pytest.fixture(scope="module")
def spacy() -> Any:
    """SpaCy, with stancelib's factory registered as the entry point registers it (imported here, not at collection)."""
    module = pytest.importorskip("spacy")
    import_module("stancelib._spacy")
    return module


DOC = (
    "We strongly condemn the missile launch by North Korea. The Security Council meets on Monday. We welcome the talks."
)


def test_entry_point_names_the_factory(spacy: Any) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["entry-points"]["spacy_factories"]["stancelib"]
    module, _, name = target.partition(":")
    assert getattr(import_module(module), name) is import_module("stancelib._spacy").make_component
    assert "stancelib" in spacy.registry.factories.get_all()
    assert project["project"]["optional-dependencies"]["spacy"]


def test_pipeline_sentences_get_predictions_and_the_doc_a_summary(spacy: Any) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("stancelib")
    doc = nlp(DOC)
    sents = list(doc.sents)
    assert len(sents) == 3
    expected = stancelib.predict([s.text for s in sents])
    assert [s._.stance for s in sents] == expected
    analysis = doc._.stance
    assert [(r.start, r.end) for r in analysis.sentences] == [(s.start_char, s.end_char) for s in sents]
    assert "north_korea" in analysis.topic_summaries and analysis.tone_score is not None
    assert analysis.tone == stancelib.analyze(DOC).tone


def test_pipeline_boundaries_win_over_the_segmenter(spacy: Any) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": ["|"]})  # one sentence per '|'
    nlp.add_pipe("stancelib")
    doc = nlp("We condemn the strike. Talks resume | The envoy arrives on Monday.")
    assert [s.text for s in doc.sents] == ["We condemn the strike. Talks resume |", "The envoy arrives on Monday."]
    assert len(doc._.stance.sentences) == 2


def test_without_sentence_boundaries_the_segmenter_cuts(spacy: Any) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("stancelib", config={"thresholds": {"north_korea": 1.0}})
    doc = nlp(DOC)
    assert len(doc._.stance.sentences) == 3
    assert "north_korea" not in doc._.stance.topic_summaries  # the threshold override applies


def test_missing_extra_message(spacy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)
    monkeypatch.setitem(sys.modules, "spacy.language", None)
    monkeypatch.delitem(sys.modules, "stancelib._spacy")
    with pytest.raises(MissingExtraError, match=r"stancelib\[spacy\]"):
        import_module("stancelib._spacy")
