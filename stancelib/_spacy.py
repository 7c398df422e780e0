"""A spaCy pipeline component: ``nlp.add_pipe("stancelib")`` (needs the ``spacy`` extra).

Registered through spaCy's ``spacy_factories`` entry point, so an installed
stancelib is found by name without an import. The component labels every
sentence span and sets

- ``span._.stance``: the sentence's `stancelib.Prediction`;
- ``doc._.stance``: the document's `stancelib.DocumentAnalysis` (per-topic
  summaries, overall tone and score; sentence indices count from 0 in the
  order of ``doc.sents``).

Sentence boundaries are the pipeline's own when it has them (a
``sentencizer``, a parser, ``senter``); otherwise stancelib's segmenter cuts
the text and the cuts are aligned to tokens. Example::

    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("stancelib", config={"model": "fast", "thresholds": {"iran": 0.3}})
    doc = nlp("We condemn the launch. Talks resume on Monday.")
    [s._.stance.tone for s in doc.sents], doc._.stance.tone
"""

from __future__ import annotations

from typing import Any

from ._document import summarize
from ._loading import load_model
from ._segment import segment
from .errors import MissingExtraError

try:
    from spacy.language import Language
    from spacy.tokens import Doc, Span
except ImportError:  # pragma: no cover - exercised by the message test
    raise MissingExtraError('the spaCy component needs the spacy extra: pip install "stancelib[spacy]"') from None

__all__ = ["StanceComponent", "make_component"]

if not Span.has_extension("stance"):
    Span.set_extension("stance", default=None)
if not Doc.has_extension("stance"):
    Doc.set_extension("stance", default=None)


class StanceComponent:
    """Label each sentence of a `Doc` and summarise the document (see the module's description)."""

    def __init__(self, model: str = "fast", thresholds: dict[str, float] | None = None) -> None:
        m = load_model(model)
        self.model = m.with_thresholds(thresholds) if thresholds else m

    def sentences(self, doc: Any) -> list[Any]:
        """Return the sentence spans: the pipeline's own, or stancelib's segmenter aligned to tokens."""
        if doc.has_annotation("SENT_START"):
            return list(doc.sents)
        spans = []
        for start, end in segment(doc.text):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                spans.append(span)
        return spans

    def __call__(self, doc: Any) -> Any:
        """Set ``span._.stance`` on every sentence and ``doc._.stance`` on the document."""
        spans = self.sentences(doc)
        predictions = self.model.predict([s.text for s in spans])
        for span, p in zip(spans, predictions):
            span._.stance = p
        doc._.stance = summarize(self.model, [(s.start_char, s.end_char) for s in spans], predictions)
        return doc


@Language.factory("stancelib", default_config={"model": "fast", "thresholds": None})
def make_component(nlp: Any, name: str, model: str, thresholds: dict[str, float] | None) -> StanceComponent:
    """Build the component: `model` is a shipped model name or a model directory."""
    return StanceComponent(model, thresholds)
