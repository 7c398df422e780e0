"""The behavioural suite: does the model read the stance, or the surface?

``python -m benchmarks.behaviour [--model fast] [--model accurate]`` prints one
table per tier. Three kinds of test, in the spirit of CheckList:

* **invariance**: label-preserving edits of the kind real reporting is full of
  (attribution tails and lead-ins, reported-speech chains, datelines, quote
  wrapping, weekdays and dates, transliteration variants, all-caps headlines,
  trailing boilerplate) applied to the dev sets' sentences; the labels must not
  change. Stability is reported on all sentences and on the cooperative and
  critical ones, with tone accuracy before and after each edit, so that a model
  that drifts to neutral cannot pass;
* **directional**: negation, "but" clauses and main-versus-subordinate clauses
  move the tone as ``training/LABELS.md`` says;
* **minimum functionality**: short unambiguous cases that any usable model gets
  right.

The suite's phrasings live in ``benchmarks/behaviour/`` and nowhere else: the
training augmentation has its own, disjoint phrasings, and the suite's
sentences are kept out of the training data (both checked by
``tests/test_behaviour.py``), so the suite measures generalisation, not memory.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "behaviour"
DEV_FILES = (ROOT / "training" / "data" / "dev.jsonl", ROOT / "training" / "data" / "dev_wire.jsonl")
SEED = 20261202

#: Agenda capitals used as a mere dateline, and the topic a model might wrongly add.
CAPITAL_TOPIC = {
    "TEHRAN": "iran",
    "KYIV": "ukraine",
    "KIEV": "ukraine",
    "CARACAS": "venezuela",
    "DAMASCUS": "syria",
    "PYONGYANG": "north_korea",
    "MOSCOW": "ukraine",
}
_LOWER_FIRST = re.compile(r"^(The|A|An|This|That|These|Those|It|Its|There|Both|Some|Many|Most|Several|All)\b")


def load_frames() -> dict[str, Any]:
    """The suite's phrasings (``behaviour/frames.json``)."""
    return json.loads((DATA / "frames.json").read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _body(text: str) -> str:
    """The sentence without its final full stop, for appending a clause."""
    text = text.rstrip()
    return text[:-1] if text.endswith((".", "!")) else text


def _lead(text: str) -> str:
    """The sentence as the continuation of a lead-in ("... said that the talks ...")."""
    return _LOWER_FIRST.sub(lambda m: m.group(0).lower(), text, count=1)


# Each edit: (sentence, rng, frames) -> edited sentence, or None when it does not apply.
Edit = Callable[[str, random.Random, dict[str, Any]], "str | None"]


def _tail(key: str) -> Edit:
    return lambda s, rng, fr: _body(s) + rng.choice(fr[key])


def _prefix(key: str, lower: bool = True) -> Edit:
    return lambda s, rng, fr: rng.choice(fr[key]) + (_lead(s) if lower else s)


def _quote(s: str, rng: random.Random, fr: dict[str, Any]) -> str:
    return "\u201c" + rng.choice(fr["quote_wrap"]).format(q=_body(s) + ",").replace('"', "\u201d")


def _translit(s: str, rng: random.Random, fr: dict[str, Any]) -> str | None:
    for old, new in fr["transliteration"]:
        if old in s:
            return s.replace(old, new)
    return None


def _caps(s: str, rng: random.Random, fr: dict[str, Any]) -> str:
    return _body(s).upper()


INVARIANCE: dict[str, Edit] = {
    "attribution tail": _tail("attribution_tail"),
    "attribution lead-in": _prefix("attribution_lead"),
    "reported-speech chain": _prefix("reported_chain"),
    "named-speaker lead-in": _prefix("named_attribution"),
    "named-speaker tail": _tail("named_tail"),
    "dateline": _prefix("dateline", lower=False),
    "agenda-capital dateline": _prefix("agenda_capital_dateline", lower=False),
    "quote wrapping": _quote,
    "weekday": _prefix("weekday_lead"),
    "date": _prefix("date_lead"),
    "transliteration": _translit,
    "all-caps headline": _caps,
    "trailing boilerplate": lambda s, rng, fr: s.rstrip() + rng.choice(fr["boilerplate_tail"]),
}


@dataclass
class FamilyResult:
    """Invariance results of one edit family."""

    name: str
    n: int = 0
    tone_same: int = 0
    n_cc: int = 0  # gold cooperative or critical
    tone_same_cc: int = 0
    topics_same: int = 0
    acc_before: int = 0
    acc_after: int = 0
    n_offagenda: int = 0
    offagenda_no_topic_added: int = 0

    def row(self) -> dict[str, Any]:
        pct = lambda a, b: a / b if b else float("nan")  # noqa: E731
        return {
            "family": self.name,
            "n": self.n,
            "tone_unchanged": pct(self.tone_same, self.n),
            "tone_unchanged_coop_crit": pct(self.tone_same_cc, self.n_cc),
            "topics_unchanged": pct(self.topics_same, self.n),
            "tone_acc_before": pct(self.acc_before, self.n),
            "tone_acc_after": pct(self.acc_after, self.n),
            "offagenda_no_topic_added": pct(self.offagenda_no_topic_added, self.n_offagenda),
        }


@dataclass
class SuiteResult:
    """Everything the suite measured for one model."""

    model: str
    invariance: list[FamilyResult] = field(default_factory=list)
    directional: list[dict[str, Any]] = field(default_factory=list)
    mft: list[dict[str, Any]] = field(default_factory=list)

    def family(self, name: str) -> dict[str, Any]:
        return next(f.row() for f in self.invariance if f.name == name)


def _predict(model: Any, texts: Sequence[str]) -> list[Any]:
    return list(model.predict(list(texts)))


def run_invariance(model: Any, records: Sequence[dict[str, Any]], frames: dict[str, Any]) -> list[FamilyResult]:
    base = _predict(model, [r["text"] for r in records])
    results = []
    for name, edit in INVARIANCE.items():
        rng = random.Random(f"{SEED}:{name}")
        fam = FamilyResult(name)
        pairs = []
        for r, p in zip(records, base):
            edited = edit(r["text"], rng, frames)
            if edited is not None and edited != r["text"]:
                pairs.append((r, p, edited))
        after = _predict(model, [e for _, _, e in pairs])
        for (r, p, _edited), q in zip(pairs, after):
            fam.n += 1
            same = p.tone == q.tone
            fam.tone_same += same
            fam.topics_same += set(p.topics) == set(q.topics)
            fam.acc_before += p.tone == r["tone"]
            fam.acc_after += q.tone == r["tone"]
            if r["tone"] in ("cooperative", "critical"):
                fam.n_cc += 1
                fam.tone_same_cc += same
            if not r["topics"] and not p.topics:
                fam.n_offagenda += 1
                fam.offagenda_no_topic_added += not q.topics
        results.append(fam)
    return results


def _tone_ok(tone: str, case: dict[str, Any], prefix: str) -> bool:
    want, avoid = case.get(f"{prefix}tone"), case.get(f"{prefix}tone_not")
    return (want is None or tone == want) and (avoid is None or tone != avoid)


def run_directional(model: Any, records: Sequence[dict[str, Any]], frames: dict[str, Any]) -> list[dict[str, Any]]:
    """Hand-written pairs, plus "but" clauses appended to dev sentences."""
    rows = []
    pairs = read_jsonl(DATA / "directional.jsonl")
    preds = _predict(model, [c["base"] for c in pairs] + [c["edited"] for c in pairs])
    by_family: dict[str, list[bool]] = {}
    for c, pb, pe in zip(pairs, preds[: len(pairs)], preds[len(pairs) :]):
        by_family.setdefault(c["family"], []).append(_tone_ok(pb.tone, c, "base_") and _tone_ok(pe.tone, c, "edited_"))
    for fam, oks in by_family.items():
        rows.append({"test": f"{fam} (written pairs)", "n": len(oks), "pass": sum(oks) / len(oks)})
    # Appended "but" clauses on dev sentences: the clause after "but" sets the tone.
    for target, key, sources in (
        ("critical", "but_critical", ("cooperative", "neutral")),
        ("cooperative", "but_cooperative", ("critical", "neutral")),
    ):
        rng = random.Random(f"{SEED}:{key}")
        chosen = [r for r in records if r["tone"] in sources]
        texts = [f"{_body(r['text'])}, {rng.choice(frames[key])}." for r in chosen]
        before = _predict(model, [r["text"] for r in chosen])
        after = _predict(model, texts)
        moved = sum(q.tone_scores[target] > p.tone_scores[target] for p, q in zip(before, after))
        label = sum(q.tone == target for q in after)
        rows.append(
            {"test": f"', but' + {target} clause: P({target}) rises", "n": len(chosen), "pass": moved / len(chosen)}
        )
        rows.append(
            {"test": f"', but' + {target} clause: labelled {target}", "n": len(chosen), "pass": label / len(chosen)}
        )
    return rows


def run_mft(model: Any) -> list[dict[str, Any]]:
    cases = read_jsonl(DATA / "mft.jsonl")
    preds = _predict(model, [c["text"] for c in cases])
    out = []
    for c, p in zip(cases, preds):
        ok_topics = sorted(p.topics) == sorted(c["topics"])
        ok = ok_topics and _tone_ok(p.tone, c, "")
        out.append(
            {
                "text": c["text"],
                "ok": ok,
                "want": (c["topics"], c.get("tone") or f"not {c.get('tone_not')}"),
                "got": (list(p.topics), p.tone),
                "source": c.get("source", ""),
            }
        )
    return out


def dev_records(paths: Iterable[Path] = DEV_FILES) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in paths:
        if path.exists():
            records.extend(read_jsonl(path))
    return records


def run_suite(model: Any, records: Sequence[dict[str, Any]] | None = None, name: str = "") -> SuiteResult:
    """Run every test of the suite on `model` (anything with a ``predict(list)``)."""
    frames = load_frames()
    records = dev_records() if records is None else records
    return SuiteResult(
        model=name,
        invariance=run_invariance(model, records, frames),
        directional=run_directional(model, records, frames),
        mft=run_mft(model),
    )


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def format_tables(result: SuiteResult) -> str:
    lines = [
        f"### Behavioural suite: `{result.model}`",
        "",
        "| invariance family | n | tone unchanged | tone unchanged (coop/crit) | topics unchanged "
        "| tone acc. before | tone acc. after | off-agenda: no topic added |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in result.invariance:
        r = f.row()
        lines.append(
            f"| {r['family']} | {r['n']} | {_fmt(r['tone_unchanged'])} | {_fmt(r['tone_unchanged_coop_crit'])} "
            f"| {_fmt(r['topics_unchanged'])} | {_fmt(r['tone_acc_before'])} | {_fmt(r['tone_acc_after'])} "
            f"| {_fmt(r['offagenda_no_topic_added'])} |"
        )
    lines += ["", "| directional test | n | pass |", "|---|---:|---:|"]
    lines += [f"| {d['test']} | {d['n']} | {_fmt(d['pass'])} |" for d in result.directional]
    passed = sum(c["ok"] for c in result.mft)
    lines += ["", f"Minimum functionality: {passed}/{len(result.mft)} cases right."]
    for c in result.mft:
        if not c["ok"]:
            lines.append(f"- wrong: {c['text']!r}: want {c['want']}, got {c['got']}")
    return "\n".join(lines)


BEGIN = "<!-- behaviour:begin (generated by python -m benchmarks.behaviour --update; do not edit) -->"
END = "<!-- behaviour:end -->"


def with_block(document: str, block: str) -> str:
    """`document` with the text between the suite's markers replaced by `block` (appended if absent)."""
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return f"{head}{BEGIN}\n{block}\n{END}{tail}"
    return f"{document.rstrip()}\n\n{BEGIN}\n{block}\n{END}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.behaviour", description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", help="model name or directory (repeatable; default: fast)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--update",
        metavar="FILE",
        action="append",
        default=[],
        help="write the tables between the suite's markers of FILE (e.g. README.md, a MODEL_CARD.md)",
    )
    args = parser.parse_args(argv)
    import stancelib

    out = {}
    tables = []
    for name in args.model or ["fast"]:
        result = run_suite(stancelib.load_model(name), name=name)
        tables.append(format_tables(result))
        print(tables[-1], end="\n\n")
        out[name] = {
            "invariance": [f.row() for f in result.invariance],
            "directional": result.directional,
            "mft": result.mft,
        }
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    for file in args.update:
        path = Path(file)
        path.write_text(with_block(path.read_text(encoding="utf-8"), "\n\n".join(tables)), encoding="utf-8")
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
