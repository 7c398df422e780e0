"""The reporting-frame scans against their plain definitions.

`_frame` finds speech verbs with one regular expression and lets
`content_tokens` visit only the words around special ones; the reference
functions below are the straightforward loops those replace (one string
search per verb, one step per token). Sentences built from frame cues must
come out the same, the corner cases of overlapping verbs included.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stancelib import _frame
from stancelib._frame import (
    _BEFORE_MONTH,
    _FUNCTION_WORDS,
    _MONTHS,
    _NEGATORS,
    _NT_STEMS,
    _PART_OF_DAY,
    _SCOPE,
    _SCOPE_STOP,
    _SPELLING,
    _TIME_WORDS,
    _VERBS,
    _WEEKDAYS,
    content_tokens,
)

WORDS = [
    *["said", "says", "say", "sa", "saying", "told", "reported", "reports", "added", "noted", "confirmed", "stated"],
    *["wrote", "announced", "according", "to", "that", "officials", "Iran's", "Minister", "the", "a", "who", "while"],
    *["on", "Monday", "may", "May", "march", "3", "12", "2024", "late", "early", "kiev", "morning", "citing"],
    *["not", "no", "didn", "t", "can", "without", "but", "and", ";", ",", ".", "(", ")", "\u201c", "TEHRAN", "-"],
    *["reporters", "talks", "went", "well"],
]
SEPARATORS = [" ", " ", " ", ", ", ",", "; ", "'", ". "]


def _first_verb(low: str, stop: int) -> int:
    first, end = stop, -1
    for v in _VERBS:
        i = low.find(v, 0, first)
        if i >= 0:
            first, end = i, i + len(v.rstrip())
    return end


def _last_verb(low: str, window: int) -> tuple[int, int]:
    v = e = -1
    for verb in _VERBS:
        i = low.rfind(verb, window)
        if i > v:
            v, e = i + 1, i + len(verb.rstrip())
    return v, e


def _content_tokens(tokens: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    last = len(tokens) - 1
    skip_number = skip_part = False
    negated = 0
    for i, t in enumerate(tokens):
        date = False
        if t in _WEEKDAYS:
            date = skip_part = True
        elif t in _MONTHS:
            prev = tokens[i - 1] if i else b""
            nxt = tokens[i + 1] if i < last else b""
            date = nxt.isdigit() or prev.isdigit() or prev in _BEFORE_MONTH
            skip_number = date
        if date:
            while out and (out[-1] in _TIME_WORDS or (out[-1].isdigit() and len(out[-1]) <= 2)):
                out.pop()
            continue
        if skip_number and t.isdigit() and len(t) in (1, 2, 4):
            continue
        if skip_part and t in _PART_OF_DAY:
            skip_part = False
            continue
        skip_number = skip_part = False
        t = _SPELLING.get(t, t)
        if negated:
            if t in _SCOPE_STOP or t in _NEGATORS:
                negated = 0
            else:
                if t not in _FUNCTION_WORDS:
                    negated -= 1
                out.append(b"n_" + t)
                continue
        out.append(t)
        if t in _NEGATORS or (t == b"t" and i and tokens[i - 1] in _NT_STEMS):
            negated = _SCOPE
    return out


sentences = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30).map(
    lambda parts: "".join(w + s for w, s in parts)
)


def test_overlapping_verbs() -> None:
    # " say " ends with the space another verb starts with.
    for low in ("they say said that", "they say says that", "they say say said that", "they say told that"):
        for stop in range(len(low) + 1):
            assert _frame._first_verb(low, stop) == _first_verb(low, stop), (low, stop)


@settings(max_examples=400, deadline=None)
@given(sentences, st.integers(0, 400))
def test_verb_scans_match_their_definitions(text: str, cut: int) -> None:
    low = text.lower()
    assert _frame._first_verb(low, cut) == _first_verb(low, cut)
    m = _frame._TAIL_VERB.search(low, cut)
    last = None
    while m is not None:
        last = m
        m = _frame._TAIL_VERB.search(low, m.start() + 1)
    found = (-1, -1) if last is None else (last.start() + 1, last.start() + len(last.group().rstrip()))
    assert found == _last_verb(low, cut)


@settings(max_examples=400, deadline=None)
@given(sentences)
def test_content_tokens_matches_its_definition(text: str) -> None:
    tokens = [w.encode() for w in text.lower().replace(",", " ").replace(";", " ").replace(".", " ").split()]
    assert content_tokens(list(tokens)) == _content_tokens(tokens)
