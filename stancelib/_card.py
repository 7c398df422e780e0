"""The model card written beside a trained model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._metrics import format_report

__all__ = ["model_card"]


def model_card(metadata: Mapping[str, Any]) -> str:
    """Markdown model card from a model's metadata."""
    training = metadata.get("training", {})
    chosen = training.get("selection", {}).get("chosen", {})
    dev = metadata.get("metrics", {}).get("dev")
    topics = metadata.get("topics", [])
    tones = metadata.get("tones", [])
    thresholds = metadata.get("thresholds", {})
    config = training.get("config", {})
    selection = training.get("selection", {})
    name = metadata.get("name", "unnamed")
    version = metadata.get("version", "1")
    lines = [
        f"# Model card: {name}, version {version}",
        "",
        f"stancelib {metadata.get('library_version', '?')}, model format {metadata.get('format_version', '?')}.",
        f"Outputs name this model as `{name}@{version}+<first 12 hex digits of the arrays' SHA-256>`",
        "(the full checksum is in `model.json` and `stancelib info`).",
        "",
        "## Intended use",
        "",
        "Labelling English sentences of diplomatic and political text (news wires, official",
        "readouts and statements, briefings, speeches, commentary) with agenda topics and tone,",
        "for aggregate analysis of many sentences. Scores are probabilities a caller can",
        "threshold. Not for decisions about individual people, and not a fact checker.",
        "",
        "## Model",
        "",
        "Word counts (unigrams"
        + (", word bigrams" if chosen.get("word_ngrams", 1) >= 2 else "")
        + (", trigrams" if chosen.get("word_ngrams", 1) >= 3 else "")
        + (f", {chosen['prefix_len']}-character word prefixes" if chosen.get("prefix_len") else "")
        + ") weighted by IDF and normalised (plain L2-normalised TF-IDF when nothing repeats);",
        f"a topic head of {len(topics)} independent logistic regressions (C={chosen.get('topic_C')}) with",
        f"per-topic thresholds tuned on out-of-fold predictions, and a softmax tone head (C={chosen.get('tone_C')}).",
        f"{metadata.get('n_features', '?')} features. Selected by {config.get('folds', '?')}-fold "
        "cross-validation on the training data.",
        *(
            [
                "",
                "The features read the sentence through the reporting-frame rules (version "
                f"{metadata.get('features', {}).get('frame')}): datelines, quotation marks, dates and spelling",
                "variants are cut for both heads; leading and closing attribution is cut for the tone head (and for",
                "the topic head when it names no speaker); words governed by a negator are marked as negated.",
            ]
            if metadata.get("features", {}).get("frame")
            else []
        ),
        *(
            ["", "Each training sentence was also seen once inside a reporting frame (label-preserving augmentation)."]
            if config.get("augment")
            else []
        ),
        *(
            [
                "",
                f"Tone probabilities are calibrated: logits divided by a temperature of "
                f"{selection['tone_temperature']:.3f} fitted on out-of-fold predictions (expected calibration error "
                f"out of fold {selection.get('cv_tone_calibration_error', float('nan')):.3f}).",
            ]
            if selection.get("tone_temperature") not in (None, 1.0)
            else []
        ),
        "",
        "| topic | threshold |",
        "|---|---|",
        *[f"| {t} | {thresholds.get(t, 0):.2f} |" for t in topics],
        "",
        "## Data",
        "",
        f"{training.get('records', '?')} hand-written training sentences (sha256 "
        f"`{str(training.get('data_sha256', '?'))[:16]}…`); see `training/data/DATASHEET.md` in the",
        "source repository for how they were written and their counts.",
        "",
        "## Metrics",
        "",
    ]
    if dev:
        lines += [
            f"On {dev['n']} separately written dev sentences (never used for selection):",
            "",
            "```",
            format_report(dev, tones),
            "```",
        ]
    else:
        lines.append("No dev set was given when this model was trained.")
    for key, held_out in metadata.get("metrics", {}).items():
        if key == "dev" or not isinstance(held_out, Mapping) or "n" not in held_out:
            continue
        lines += ["", f"On `{key}` ({held_out['n']} sentences, never used for training or selection):", "", "```"]
        lines += [format_report(dict(held_out), tones), "```"]
    lines += [
        "",
        "## Limits",
        "",
        "- English only; other scripts get the model's prior or, without any word, a neutral result.",
        "- Trained on written sentences of 2014-2026 events; new names and events not in the",
        "  vocabulary are invisible to it, and scores on real-world text are lower than on the dev set.",
        "- Tone rests on words and short phrases: sarcasm, long-range negation and tone carried by",
        "  context outside the sentence are often missed.",
        "- A linear bag-of-n-grams model: explanations (`stancelib explain`) are exact, but the model",
        "  has no notion of who says what to whom.",
        "",
    ]
    return "\n".join(lines)
