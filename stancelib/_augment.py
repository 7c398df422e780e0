"""Label-preserving augmentation: the same sentence in the frames real reporting wraps it in.

By the label contract an attribution ("..., a ministry official explained"),
a lead-in ("Diplomats briefed on the exchange said ...") or page furniture
("(Compiled by the news desk)") changes neither tone nor topic. Training on
each sentence once more inside such a frame teaches the model that.

These phrasings belong to training alone. The behavioural suite
(``benchmarks/behaviour``) measures the same invariances with its own,
disjoint phrasings, so that it measures generalisation and not memory; a test
checks that no word trigram is shared.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ._dataset import Record

__all__ = ["PHRASINGS", "augment"]

_TAILS = (
    ", an official of the diplomatic service explained in a written reply.",
    ", the presidential press service stated.",
    ", people with knowledge of the discussions said privately.",
    ", state radio announced in its morning bulletin.",
    ", diplomats in New York noted.",
    ", one participant recalled afterwards.",
    ", the newspaper wrote in its Saturday edition.",
    ", a parliamentary aide confirmed by text message.",
)

_LEADS = (
    "Speaking to a small group of journalists, the envoy said ",
    "In an interview broadcast overnight, the minister stated that ",
    "Diplomats briefed on the exchange said ",
    "As one official put it in a background briefing, ",
    "A memo seen by this newspaper says that ",
    "Asked about the matter during the daily briefing, the spokesman replied that ",
)

_FURNITURE = (
    " (Additional reporting by the Paris bureau)",
    " -- Developing story.",
    " Read the full text on the government website.",
    " (Compiled by the news desk)",
    " Subscribe to our newsletter for daily briefings.",
    " [Photo: archive]",
    " (Updates with fresh comment in paragraph four)",
    " Copyright 2026.",
)

_NAMED_LEADS = (
    "Australia's top diplomat argued in Canberra that ",
    "The Swiss president remarked to journalists in Bern that ",
    "Speaking in Nairobi, Kenya's cabinet secretary for diplomacy stated that ",
    "Indonesia's department of foreign affairs wrote on its website that ",
    "Chile's president told lawmakers that ",
    "Russian Foreign Minister Sergei Lavrov declared that ",
    "Kremlin aide Yuri Ushakov told reporters that ",
    "China's top diplomat Wang Yi stressed that ",
    "Japan's chief cabinet secretary told a regular briefing that ",
    "The US secretary of state told reporters travelling with him that ",
    "Britain's prime minister argued in the House of Commons that ",
)

_NAMED_TAILS = (
    ", Canada's prime minister told parliament.",
    ", Ireland's minister for foreign affairs remarked after the meeting.",
    ", South Africa's presidency wrote in a communique.",
    ", Norway's deputy head of diplomacy noted.",
    ", Ankara's diplomatic service noted.",
    ", Hungary's top diplomat posted on social media.",
    ", Italy's prime minister remarked after talks in Rome.",
    ", Riyadh's diplomatic service announced through the state news agency.",
)

#: Every phrasing, by kind.
PHRASINGS: dict[str, tuple[str, ...]] = {
    "tail": _TAILS,
    "lead": _LEADS,
    "furniture": _FURNITURE,
    "named_lead": _NAMED_LEADS,
    "named_tail": _NAMED_TAILS,
}


def _wrap(text: str, kind: str, phrase: str) -> str:
    text = text.rstrip()
    if kind in ("tail", "named_tail"):
        return (text[:-1] if text.endswith(".") else text) + phrase
    if kind in ("lead", "named_lead"):
        return phrase + text
    return text + phrase


def augment(records: Sequence[Record], seed: int = 0) -> list[Record]:
    """One framed copy of every record, with the record's labels.

    Parameters
    ----------
    records : sequence of Record
    seed : int
        Chooses the frames; the same seed gives the same copies.

    Returns
    -------
    list of Record
        ``len(records)`` new records, in the same order.

    Examples
    --------
    >>> copy = augment([Record("Talks resumed.", (), "neutral")], seed=1)[0]
    >>> copy.text != "Talks resumed." and copy.tone == "neutral"
    True
    """
    rng = random.Random(seed)
    kinds = sorted(PHRASINGS)
    out = []
    for r in records:
        kind = rng.choice(kinds)
        out.append(Record(_wrap(r.text, kind, rng.choice(PHRASINGS[kind])), r.topics, r.tone))
    return out
