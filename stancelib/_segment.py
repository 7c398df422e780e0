"""Sentence segmentation for diplomatic and political documents.

`segment` returns character spans, so callers can map each sentence back to
the original document; `sentences` returns the strings themselves. Both take
any `str` (empty, lone surrogates, control characters, emoji, any script) and
run in time linear in the length of the text.

Conventions
-----------
A *segment* is a sentence, or a line-level unit that is not a sentence but
must not be merged with its neighbours (a headline, a byline, a list item).
Spans never include surrounding whitespace.

Layout

* A blank line (a line holding only whitespace) always ends a segment.
* A single line break inside a paragraph is treated as a space: a sentence
  wrapped over several lines is one segment.
* A line without final punctuation that looks like a headline, byline or
  heading is its own segment (for example a short line followed by a long
  one, an all-capital line such as ``JOINT STATEMENT``, a title-case line, a
  line starting ``By Name``, or a line followed by a dateline or by a line
  starting with a typical sentence opener such as ``The``). A line ending in
  a comma, a hyphen or dash, or a function word such as ``the`` or ``with``,
  or followed by a line starting in lower case, is always continued.
* A line that ends with a colon and is followed by a line starting in upper
  case ends a segment (the lead-in of a list or of a quoted block).
* Each list item (a line starting ``- ``, ``• ``, ``* ``, ``– ``, ``1. ``,
  ``1) ``, ``a) ``, ``(a) ``, ``iv) `` ...) starts a new segment; the marker
  stays in the segment, and an item holding several sentences is split into
  them.
* A speaker label at the start of a line (``QUESTION:``, ``MR PRICE:``,
  ``Q:``, ``A:``, ``SECRETARY BLINKEN:``) starts a new segment and stays with
  its first sentence; inside a line the label follows the normal rules.
* A dateline stays with the first sentence of the story: ``MOSCOW, May 14
  (Reuters) —``, ``May 11, 2019 (AGENCY)—`` and ``SOCHI, May 14. /TASS/.``
  are never segments of their own.

Punctuation

* A sentence ends at ``.``, ``!``, ``?``, ``…`` or a run of them (``?!``,
  ``....``), together with any closing quotes and brackets that follow, when
  whitespace and then the start of a new sentence follow: an upper-case or
  uncased letter, a digit, or an opening quote or bracket, currency sign or
  emoji before one of those. A lower-case continuation never starts a new
  sentence, so ``"Why?" he asked.`` and ``The talks... will continue.`` are
  one sentence each. Without whitespace after it a full stop is never a
  boundary (decimals, domain names, ``U.S.-led``); ``。``, ``！`` and ``？``
  end a sentence even without a following space.
* Quotation marks do not protect their contents: ``"We will not wait. We
  never have," he said.`` is two sentences, split after ``wait.``.
* ``"Is this acceptable?" Blinken asked.`` is one sentence: after a question
  or exclamation mark that closes a quotation, a capitalised name followed by
  a speech verb continues the sentence.
* An ellipsis followed by an upper-case word ends a sentence.
* Titles (``Mr.``, ``Mrs.``, ``Dr.``, ``Gen.``, ``Sen.``, ``Lt. Col.``,
  ``Amb.`` ...) and ``e.g.``, ``i.e.``, ``vs.``, ``approx.``, ``cf.`` never
  end a sentence. ``No.``, ``Art.``, ``para.``, ``p.``, ``Fig.`` and month
  abbreviations do not before a number (``No. 2254``, ``Jan. 6``).
* Place abbreviations (``U.S.``, ``U.K.``, ``U.N.``, ``E.U.``, ``D.C.`` ...)
  end a sentence before a capitalised word unless that word commonly
  continues the name (``U.S. Navy``, ``U.N. Security Council``, ``U.S.
  President``). ``a.m.``/``p.m.`` end a sentence before a capitalised word
  other than a time zone, weekday, month or ``<Place> time``. ``etc.`` ends a
  sentence before any capitalised word.
* Other abbreviations with inner dots (``Ph.D.``), single-letter initials
  (``John F. Kennedy``) and ``Inc.``, ``Ltd.``, ``Jr.``, ``St.`` ... end a
  sentence only before a typical sentence opener (``The``, ``It``, ``He``
  ...).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InputTypeError

__all__ = ["segment", "sentences"]

Span = tuple[int, int]

# A run of terminators plus the closing quotes/brackets that belong to it.
_TERMINATOR = re.compile(r"[.!?…‽。！？؟]+[\"'”’»)\]}]*")
_CJK_STOPS = frozenset("。！？")
_CLOSING_QUOTES = frozenset("\"'”’»")
_OPENERS = frozenset("\"'“‘«„‚([{¿¡")
_NON_SPACE = re.compile(r"\S")
# Letters-and-dots abbreviations (Ph.D, J.R); not decimals, domains or URLs.
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}\Z")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")

_BULLET = re.compile(
    r"[ \t\f\v\r]*(?:[-•*–—▪◦·‣]|\d{1,2}[.)]|[a-z][.)]|[A-Z]\)|[ivx]{1,5}[.)]"
    r"|\((?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,5})\))[ \t]+(?=\S)"
)
_SPEAKER = re.compile(r"[ \t\f\v\r]*(?:[A-Z][\w'’.\-]*[ \t]+){0,3}[A-Z][\w'’.\-]*:(?=\s|$)")
_DATELINE = re.compile(r"[A-Z][A-Z'.\-]+(?:[ \t]+[A-Z][A-Z'.\-]+){0,3}(?:,|[ \t]+\(|[ \t]*[-–—])")
_BYLINE = re.compile(r"By[ \t]+[A-Z]")
_HEAD = 80


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_TITLES = _words(
    "mr mrs ms messrs mmes mme mlle dr prof gen lt col maj capt cmdr adm sgt cpl pvt brig sen rep gov"
    " pres amb sec hon rev fr supt insp det atty rt"
)
_ALWAYS_CONTINUE = _words("e.g eg i.e ie vs v approx appr cf viz ca incl esp resp excl nr")
_BEFORE_NUMBER = _words("no nos art arts para paras p pp vol vols fig figs ch chap ref tel op")
_MONTHS = _words("jan feb mar apr jun jul aug sep sept oct nov dec")
_AM_PM = frozenset(["a.m", "p.m"])
_PLACES = _words("u.s u.k u.n e.u u.a.e u.s.a u.s.s.r d.c p.r.c d.p.r.k r.o.k n.y")
_COMPANY_LIKE = _words("inc ltd co corp jr sr st bros dept govt plc llc mt ft ave blvd")

# Capitalised words that start a sentence far more often than they continue
# a name, used where an abbreviation could either end a sentence or not.
_STARTERS = _words(
    """the a an it its he she we they you this that these those there here but and or so yet
    however in on at for as if when while after before since although though meanwhile also his
    her our their my your no yes some many most all both each every one another other such several
    what why how who whose where which will would is are was were do does did can could should may
    might must has have had thank thanks then still further furthermore moreover instead under with
    without during last next earlier later today yesterday tomorrow now not only even despite
    following among according asked speaking to from by"""
)
# Words that commonly follow U.S., U.N., E.U. ... inside one name.
_PLACE_FOLLOWERS = _words(
    """navy army air force forces marine marines coast guard president vice secretary senate senator
    congress congressman congresswoman house capitol embassy consulate ambassador envoy special
    department defense defence state treasury trade representative representatives supreme court
    district attorney national federal central deputy under assistant chief joint government
    administration mission agency dollar dollars security general human high relief office
    children's development charter convention peacekeeping peacekeepers food world refugee
    population environment resolution council commission parliament foreign prime home ministry
    democrats republicans intelligence officials forces command military border customs citizens
    open women economic"""
)
_TIME_FOLLOWERS = _words(
    """gmt utc cet cest eet eest bst est edt cst cdt pst pdt mst mdt msk ist jst kst et pt ct
    eastern pacific central mountain greenwich local monday tuesday wednesday thursday friday
    saturday sunday january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec"""
)
_SPEECH_VERBS = _words(
    """said says asked asks told tells added adds wrote writes replied replies insisted insists
    stressed stresses noted notes warned warns declared declares continued continues demanded
    demands exclaimed shouted chanted cried urged urges argued argues answered responded
    remarked recalled explained"""
)
# A line ending in one of these is a wrapped line, never a headline.
_FUNCTION_WORDS = _words(
    """the a an of and or but to in on at by for from with without into onto over under between
    among about against as that which who whom whose its their his her our your this these those
    is are was were be been has have had will would shall should can could may might must not
    than then so if when while after before since during including such said told per via de
    del la le von van"""
)
_CONTINUING_LINE_ENDS = frozenset(",;(-–—/&+=")
_LINE_TERMINATORS = frozenset(".!?…‽。！？؟")
_LINE_CLOSERS = frozenset("\"'”’»)]}")


def segment(text: str) -> list[Span]:
    """Split `text` into sentences and return their character spans.

    Parameters
    ----------
    text : str
        Any string: a whole document, a paragraph or a single sentence.

    Returns
    -------
    list of tuple of (int, int)
        ``(start, end)`` offsets such that ``text[start:end]`` is a sentence
        without surrounding whitespace; in order and non-overlapping. An
        empty or all-whitespace text gives ``[]``.

    Raises
    ------
    InputTypeError
        If `text` is not a `str`.

    Examples
    --------
    >>> text = "The U.S. envoy met Mr. Lavrov at 10 a.m. GMT. Talks resume today."
    >>> segment(text)
    [(0, 45), (46, 65)]
    >>> [text[s:e] for s, e in segment(text)]
    ['The U.S. envoy met Mr. Lavrov at 10 a.m. GMT.', 'Talks resume today.']
    """
    if not isinstance(text, str):
        raise InputTypeError(f"segment() expects a str, not {type(text).__name__}")
    spans: list[Span] = []
    for chunk_start, chunk_end, scan_from in _chunks(text):
        _split_chunk(text, chunk_start, chunk_end, scan_from, spans)
    return spans


def sentences(text: str) -> list[str]:
    r"""Split `text` into sentences.

    Parameters
    ----------
    text : str
        Any string.

    Returns
    -------
    list of str
        The sentences of `text`, stripped of surrounding whitespace.

    Examples
    --------
    >>> sentences("QUESTION: Is the deal dead?\nMR PRICE: No. Talks go on.")
    ['QUESTION: Is the deal dead?', 'MR PRICE: No.', 'Talks go on.']
    """
    return [text[start:end] for start, end in segment(text)]


# --------------------------------------------------------------------------
# Layout: lines, paragraphs and line-level units


def _lines(text: str) -> list[Span]:
    """Return the stripped content span of every line ((x, x) for a blank line)."""
    out: list[Span] = []
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        start = pos
        while start < end and text[start].isspace():
            start += 1
        stop = end
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        out.append((start, stop))
        if nl < 0:
            break
        pos = nl + 1
    return out


def _chunks(text: str) -> list[tuple[int, int, int]]:
    """Cut `text` at paragraph and line-level breaks.

    Returns ``(start, end, scan_from)`` triples: the stripped chunk and the
    offset after any list marker, where punctuation scanning starts.
    """
    chunks: list[tuple[int, int, int]] = []
    lines = _lines(text)
    i = 0
    while i < len(lines):
        if lines[i][0] == lines[i][1]:
            i += 1
            continue
        j = i
        width = 0
        while j < len(lines) and lines[j][0] < lines[j][1]:
            width = max(width, lines[j][1] - lines[j][0])
            j += 1
        # lines[i:j] is one paragraph.
        start = lines[i][0]
        end = lines[i][1]
        scan_from = _after_marker(text, start, end)
        for k in range(i + 1, j):
            prev, cur = lines[k - 1], lines[k]
            if _line_starts_segment(text, prev, cur, width):
                chunks.append((start, end, scan_from))
                start = cur[0]
                scan_from = _after_marker(text, cur[0], cur[1])
            end = cur[1]
        chunks.append((start, end, scan_from))
        i = j
    return chunks


def _after_marker(text: str, start: int, end: int) -> int:
    m = _BULLET.match(text, start, min(end, start + _HEAD))
    return m.end() if m else start


def _first_letter_is_lower(text: str, start: int, end: int) -> bool:
    for k in range(start, min(end, start + 6)):
        ch = text[k]
        if ch.isalpha():
            return ch.islower()
        if ch.isdigit():
            return False
    return False


def _line_starts_segment(text: str, prev: Span, cur: Span, width: int) -> bool:
    cur_start, cur_end = cur
    # Markers, labels and datelines are short; bounding the match keeps a
    # huge line from costing more than one bounded look.
    cur_head = min(cur_end, cur_start + _HEAD)
    if _BULLET.match(text, cur_start, cur_head) or _SPEAKER.match(text, cur_start, cur_head):
        return True
    prev_start, prev_end = prev
    last = text[prev_end - 1]
    k = prev_end - 1
    while k > prev_start and text[k] in _LINE_CLOSERS:
        k -= 1
    if text[k] in _LINE_TERMINATORS:
        # The line ends a sentence or not by the punctuation rules, which
        # see the line break as a space.
        return False
    if _first_letter_is_lower(text, cur_start, cur_end):
        return False
    if last == ":":
        return True
    if last in _CONTINUING_LINE_ENDS:
        return False
    # Only the tail of the line matters; bounding it keeps huge lines cheap.
    tail_start = max(prev_start, prev_end - 40)
    tail_words = _WORD.findall(text, tail_start, prev_end)
    if tail_words and tail_words[-1].lower() in _FUNCTION_WORDS:
        return False
    if _BULLET.match(text, prev_start, min(prev_end, prev_start + _HEAD)):
        return True
    if _DATELINE.match(text, cur_start, cur_head):
        return True
    prev_len = prev_end - prev_start
    if prev_len < 80 and _BYLINE.match(text, prev_start, prev_end):
        return True
    head = _WORD.match(text, cur_start, min(cur_end, cur_start + 40))
    if head and head.group().lower() in _STARTERS and head.group() != "I":
        return True
    if prev_len <= 200:
        line = text[prev_start:prev_end]
        if any(c.isalpha() for c in line) and not any(c.islower() for c in line):
            return True
        if _is_title_case(line):
            return True
    return prev_len < 0.6 * width


def _is_title_case(line: str) -> bool:
    words = [w for w in _WORD.findall(line) if len(w) >= 4]
    if len(words) < 2:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= 0.75 * len(words)


# --------------------------------------------------------------------------
# Punctuation inside a chunk


def _split_chunk(text: str, start: int, end: int, scan_from: int, spans: list[Span]) -> None:
    seg_start = start
    for m in _TERMINATOR.finditer(text, scan_from, end):
        stop = m.end()
        if stop >= end:
            break
        term = m.group().rstrip("\"'”’»)]}")
        cjk = any(c in _CJK_STOPS for c in term)
        if not cjk and not text[stop].isspace():
            continue
        nxt = _NON_SPACE.search(text, stop, end)
        if nxt is None:
            break
        if _is_boundary(text, m.start(), m.start() + len(term), stop, nxt.start(), end, cjk):
            if stop > seg_start:
                spans.append((seg_start, stop))
            seg_start = nxt.start()
    if end > seg_start:
        spans.append((seg_start, end))


def _next_start_kind(text: str, pos: int, end: int) -> str:
    """Classify what follows a terminator: 'upper', 'lower', 'digit' or 'other'."""
    k = pos
    limit = min(end, pos + 6)
    while k < limit:
        ch = text[k]
        if ch in _OPENERS or unicodedata.category(ch)[0] in "SM" or (k > pos and ch.isspace()):
            k += 1
            continue
        break
    else:
        return "other"
    ch = text[k]
    if ch.isdigit():
        return "digit"
    if ch.isalpha():
        return "lower" if ch.islower() else "upper"
    return "other"


def _words_after(text: str, pos: int, end: int, count: int) -> list[str]:
    return _WORD.findall(text, pos, min(end, pos + 80))[:count]


def _is_boundary(text: str, term_start: int, term_end: int, stop: int, nxt: int, end: int, cjk: bool) -> bool:
    kind = _next_start_kind(text, nxt, end)
    if cjk:
        return kind != "lower"
    if kind in ("lower", "other"):
        return False
    term = text[term_start:term_end]
    closers = text[term_end:stop]
    if "?" in term or "!" in term or "‽" in term:
        if closers and any(c in _CLOSING_QUOTES for c in closers):
            return not _speech_verb_follows(text, nxt, end)
        return True
    if "…" in term or ".." in term:
        return True
    return _period_is_boundary(text, term_start, nxt, end, kind)


def _speech_verb_follows(text: str, pos: int, end: int) -> bool:
    for word in _words_after(text, pos, end, 6):
        lower = word.lower()
        if lower in _SPEECH_VERBS:
            return True
        if not word[0].isupper() or lower in _STARTERS:
            return False
    return False


def _previous_token(text: str, term_start: int) -> str:
    k = term_start
    limit = max(0, term_start - 40)
    while k > limit and not text[k - 1].isspace():
        k -= 1
    return text[k:term_start].lstrip("\"'“‘«„([{¿¡")


def _period_is_boundary(text: str, term_start: int, nxt: int, end: int, kind: str) -> bool:
    token = _previous_token(text, term_start)
    if not token:
        return True
    if token.endswith("/"):
        # Agency tags such as "/TASS/." close a dateline.
        return False
    lower = token.lower()
    if lower in _TITLES or lower in _ALWAYS_CONTINUE:
        return False
    if kind == "digit" and (lower in _BEFORE_NUMBER or lower in _MONTHS):
        return False
    following = _words_after(text, nxt, end, 3)
    first = following[0] if following else ""
    first_lower = first.lower()
    if lower in _AM_PM:
        if kind == "digit":
            return False
        if first_lower in _TIME_FOLLOWERS or (first.isupper() and 2 <= len(first) <= 5):
            return False
        return not (len(following) > 1 and following[1].lower() == "time")
    if lower in _PLACES:
        if kind == "digit":
            return False
        if first_lower in _STARTERS or first_lower in _TITLES:
            return True
        if not first:
            return True
        return first_lower.split("-")[0] not in _PLACE_FOLLOWERS
    if lower == "etc":
        return True
    is_initial = len(token) == 1 and token.isupper()
    if _DOTTED.match(token) or is_initial or lower in _COMPANY_LIKE or lower in _MONTHS:
        return first_lower in _STARTERS or first_lower in _TITLES
    return True
