"""The reporting frame: what a sentence wraps its content in.

Real reporting wraps the same content in a dateline (``TEHRAN, May 3 (Wire) -``),
attribution (``..., officials said on Monday``, ``According to a readout, ...``,
``X told reporters that ...``), quotation marks, weekdays and dates, and
different spellings of the same place (Kiev, Kyiv). By the label contract none
of these carries tone, so the tone head reads the sentence without them.

The topic head reads a little more: a frame that names its speaker ("Iran's
foreign ministry said that ...") tells what the content is about, so it is kept
for topics; an anonymous frame ("officials said") is cut for both heads.

`views` makes both texts with a few string scans; each step first looks for a
cheap cue (a capital letter, " that", a speech verb near the end), so a
sentence without a frame costs little more than its lower-casing.
"""

from __future__ import annotations

import re
from itertools import compress

from ._text import tokenize_bytes

__all__ = ["FRAME_RULES", "content_tokens", "frame_tokens", "views"]

#: Version of the rules below; a model file records the version it was trained with.
FRAME_RULES = 1

_QUOTES = str.maketrans({'"': None, "\u201c": None, "\u201d": None})
_DATELINE = re.compile(
    r"[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+){0,3}(?:,\s*[A-Z][A-Za-z.]*\.?(?:\s+\d{1,2})?)?"
    r"(?:\s*\([^)]{1,30}\))?\s*[-\u2013\u2014:]+\s+"
)
_VERBS = (
    " said",
    " says",
    " say ",
    " told",
    " reported",
    " reports",
    " added",
    " noted",
    " confirmed",
    " stated",
    " wrote",
    " announced",
)
# `_VERBS` as one pattern: one scan instead of one per verb (tests/test_frame.py
# holds them to the per-verb searches). At most one verb starts at any
# position, but " say " ends with the space the next verb starts with; the
# rules always read "say said" as "said", hence the lookahead in `_LEAD_VERB`.
_TAIL_VERB = re.compile(" (?:sa(?:id|ys|y )|told|report(?:ed|s)|added|noted|confirmed|stated|wrote|announced)")
_LEAD_VERB = re.compile(
    " (?:sa(?:id|ys|y (?!sa(?:id|ys)))|told|report(?:ed|s)|added|noted|confirmed|stated|wrote|announced)"
)
# Words that may follow the speech verb of a closing attribution ("..., X said on Monday, citing ...").
_AFTER_VERB = frozenset(
    (
        "on",
        "late",
        "early",
        "in",
        "at",
        "after",
        "before",
        "during",
        "without",
        "citing",
        "while",
        "when",
        "adding",
        "asking",
        "speaking",
        "via",
        "through",
        "from",
        "to",
        "who",
        "quoting",
        "according",
        "last",
        "this",
        "earlier",
        "later",
        "reporters",
        "journalists",
        "the",
        "a",
        "an",
        "by",
        "with",
        "as",
        "of",
    )
)
_NOT_A_SPEAKER = (
    "and ",
    "but ",
    "while ",
    "which ",
    "as ",
    "so ",
    "because ",
    "although ",
    "though ",
    "if ",
    "when ",
    "that ",
    "who ",
    "where ",
)
_CALENDAR = frozenset(
    (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "I",
        "A",
        "An",
        "The",
        "According",
        "In",
        "On",
        "Speaking",
        "Asked",
    )
)


def _first_verb(low: str, stop: int) -> int:
    """End of the first speech verb that ends by `stop`, or -1."""
    m = _LEAD_VERB.search(low, 0, stop)
    return -1 if m is None else m.start() + len(m.group().rstrip())


def _lead_end(low: str) -> int:
    """Where the content starts after a leading attribution; 0 when there is none."""
    if low.startswith("according to "):
        k = low.find(", ", 13, 175)
        if k > 0 and ";" not in low[:k]:
            return k + 2
    k = low.find(" that", 0, 300)
    if k < 0 or low[k + 5 : k + 6] not in (" ", ","):
        return 0
    end = _first_verb(low, k + 1)
    if end < 0 or k - end > 80 or ";" in low[:k]:
        return 0
    k += 5
    while k < len(low) and low[k] in " ,":
        k += 1
    return k


def _tail_start(low: str, start: int) -> int:
    """Where a closing attribution begins (its comma); ``len(low)`` when there is none."""
    n = len(low)
    window = max(start, n - 220)
    if "," not in low:  # both kinds of closing attribution start at a comma
        return n
    if ", according to " in low:
        k = low.rfind(", according to ", window)
        if k >= 0 and ";" not in low[k:]:
            return k
    # The last speech verb in the window (at most one starts at any position).
    m = _TAIL_VERB.search(low, window)
    if m is None:
        return n
    while (later := _TAIL_VERB.search(low, m.start() + 1)) is not None:
        m = later
    v, e = m.start() + 1, m.start() + len(m.group().rstrip())
    c = low.rfind(",", start, v)
    if c < 0 or v - c > 95:
        return n
    speaker = low[c + 1 : v].strip()
    if not speaker:  # "..., said Peskov."
        return c if low.startswith(("said", "says"), v) and ";" not in low[e:] else n
    if speaker.startswith(_NOT_A_SPEAKER) or ";" in speaker:
        return n
    after = low[e:].strip(" .!")
    if after:
        if ";" in after or " that " in f" {after} ":
            return n
        if not after.startswith(",") and after.split(" ", 1)[0] not in _AFTER_VERB:
            return n
    return c


def _named(frame: str) -> bool:
    """Whether a frame names its speaker: a capitalised word other than calendar words."""
    if frame.islower():  # no upper-case character at all (the usual anonymous frame)
        return False
    return any(w[:1].isupper() and w.strip(",.'") not in _CALENDAR for w in frame.split())


def views(text: str) -> tuple[str, str]:
    """Return the sentence as the topic head and as the tone head read it.

    Both are lower-cased, without quotation marks and without a leading
    dateline. The tone view also drops every leading and closing attribution;
    the topic view drops only those that name no speaker.

    Examples
    --------
    >>> views("KYIV, May 3 (Wire) - Talks went well, officials said on Monday.")
    ('talks went well', 'talks went well')
    >>> views("Iran's foreign ministry said that talks went well.")
    ("iran's foreign ministry said that talks went well.", 'talks went well.')
    """
    if '"' in text or "\u201c" in text or "\u201d" in text:
        text = text.translate(_QUOTES)
    if text[:2].isupper() and not text[2:40].isupper():
        m = _DATELINE.match(text)
        if m:
            text = text[m.end() :]
    low = text.lower()
    start = 0
    if " that" in low or low.startswith("according to "):
        start = _lead_end(low)
        if low.startswith("according to ", start):
            start = start + _lead_end(low[start:])
    end = _tail_start(low, start)
    if low.endswith(")") and end == len(low):
        k = low.rfind("(")
        if k > start and end - k < 90:  # trailing page furniture: "(Reporting by ...)"
            end = k
    if start == 0 and end == len(low):
        return low, low
    tone = low[start:end].strip()
    if len(tone.split(None, 2)) < 3:  # too little left to label: keep the whole sentence
        return low, low
    if len(low) != len(text):  # lower() changed lengths (rare scripts): keep speakers for topics
        return low, tone
    topic_start = 0 if start and _named(text[:start]) else start
    topic_end = len(low) if end != len(low) and _named(text[end:]) else end
    return low[topic_start:topic_end].strip(), tone


_WEEKDAYS = frozenset((b"monday", b"tuesday", b"wednesday", b"thursday", b"friday", b"saturday", b"sunday"))
_MONTHS = frozenset(
    (
        b"january",
        b"february",
        b"march",
        b"april",
        b"may",
        b"june",
        b"july",
        b"august",
        b"september",
        b"october",
        b"november",
        b"december",
        b"jan",
        b"feb",
        b"mar",
        b"apr",
        b"jun",
        b"jul",
        b"aug",
        b"sep",
        b"sept",
        b"oct",
        b"nov",
        b"dec",
    )
)
_BEFORE_MONTH = frozenset((b"early", b"late", b"mid", b"last"))
# Words that only place a date in time: "late on Friday", "in early June", "since 3 May".
_TIME_WORDS = frozenset(
    (b"on", b"in", b"late", b"early", b"mid", b"last", b"next", b"this", b"by", b"until", b"since", b"from", b"of")
)
_PART_OF_DAY = frozenset((b"morning", b"afternoon", b"evening", b"night"))
_SPELLING = {
    b"kiev": b"kyiv",
    b"zelenskiy": b"zelensky",
    b"zelenskyy": b"zelensky",
    b"kharkov": b"kharkiv",
    b"odessa": b"odesa",
    b"lugansk": b"luhansk",
    b"zaporozhye": b"zaporizhzhia",
    b"teheran": b"tehran",
}
# Negation: the words a negator governs are read as negated ("ended without
# agreement" does not count as "agreement"), up to three content words or a
# contrast word, whichever comes first.
_NEGATORS = frozenset((b"no", b"not", b"without", b"never", b"nor", b"cannot", b"neither"))
_NT_STEMS = frozenset(
    (
        b"didn",
        b"doesn",
        b"don",
        b"isn",
        b"wasn",
        b"weren",
        b"won",
        b"hasn",
        b"haven",
        b"hadn",
        b"can",
        b"couldn",
        b"wouldn",
        b"shouldn",
        b"aren",
        b"mustn",
    )
)  # "didn't" is cut into "didn" and "t"
_SCOPE_STOP = frozenset((b"but", b"yet", b"however", b"although", b"though", b"while", b"whereas", b"and"))
_FUNCTION_WORDS = frozenset(
    (
        b"the",
        b"a",
        b"an",
        b"of",
        b"any",
        b"its",
        b"their",
        b"his",
        b"her",
        b"our",
        b"this",
        b"that",
        b"these",
        b"those",
        b"to",
        b"for",
        b"with",
        b"on",
        b"in",
        b"at",
        b"by",
        b"be",
        b"been",
        b"being",
        b"is",
        b"are",
        b"was",
        b"were",
        b"has",
        b"have",
        b"had",
    )
)
_SCOPE = 3
_SPECIAL = _WEEKDAYS | _MONTHS | frozenset(_SPELLING) | _NEGATORS | {b"t"}


def content_tokens(tokens: list[bytes]) -> list[bytes]:
    """Drop weekdays and calendar dates with the words that place them, spell places one way, mark negation.

    A month name counts as a date next to a number or after early/late/mid/last,
    so the verb "may" and a protest "march" stay. Words governed by a negator
    get the prefix ``n_`` (which the tokenizer never produces), so that they
    learn weights of their own.

    Examples
    --------
    >>> content_tokens([b"late", b"on", b"monday", b"in", b"kiev", b"you", b"may", b"go", b"on", b"3", b"may"])
    [b'in', b'kyiv', b'you', b'may', b'go']
    >>> content_tokens(b"talks ended without the usual exchange of accusations but".split())
    [b'talks', b'ended', b'without', b'n_the', b'n_usual', b'n_exchange', b'n_of', b'n_accusations', b'but']
    """
    if _SPECIAL.isdisjoint(tokens):
        return tokens
    # Only special words start a change, so the loop visits them and the few
    # words after them that a date or a negation still reaches; the runs in
    # between are copied whole.
    specials = compress(range(len(tokens)), map(_SPECIAL.__contains__, tokens))
    out: list[bytes] = []
    last = len(tokens) - 1
    skip_number = skip_part = False
    negated = 0
    i = 0
    for special in specials:
        if special < i:
            continue
        out += tokens[i:special]
        i = special
        while i <= last:
            t = tokens[i]
            i += 1
            date = False
            if t in _WEEKDAYS:
                date = skip_part = True
            elif t in _MONTHS:
                prev = tokens[i - 2] if i > 1 else b""
                nxt = tokens[i] if i <= last else b""
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
            if t in _NEGATORS or (t == b"t" and i > 1 and tokens[i - 2] in _NT_STEMS):
                negated = _SCOPE
            elif not negated:
                break  # nothing pending: copy up to the next special word
    out += tokens[i:]
    return out


def frame_tokens(text: str) -> tuple[list[bytes], list[bytes]]:
    """Tokens of `text` for the topic head and for the tone head.

    The second list is the first object itself when both views agree, which
    callers use to do the work once.

    Examples
    --------
    >>> frame_tokens("Talks resumed in Kiev on Monday, officials said.")
    ([b'talks', b'resumed', b'in', b'kyiv'], [b'talks', b'resumed', b'in', b'kyiv'])
    """
    topic_text, tone_text = views(text)
    topic = content_tokens(tokenize_bytes(topic_text))
    if tone_text == topic_text:
        return topic, topic
    return topic, content_tokens(tokenize_bytes(tone_text))
