"""Agreement of a second, independent annotation with the corpus labels (per split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from secnews.bench.scoring import score
from secnews.inputs import InputError, parse_gold, read_jsonl

from .validate import DEFAULT_DIR, Passage, validate

SECOND_ANNOTATION = (DEFAULT_DIR / "second_annotation.jsonl", DEFAULT_DIR / "second_annotation_es.jsonl")


def agreement(annotation: str | Path | Sequence[str | Path] = SECOND_ANNOTATION,
              data_dir: str | Path = DEFAULT_DIR) -> dict[str, Any]:
    """Score a second annotation (`{"id", "threats", "stance"}` per line, in one or more files)
    against the corpus labels.

    Returns the bench metrics per split the annotation covers, plus "all"; when it covers several
    languages, also per split and language ("dev (es)"). The corpus labels are the reference, the
    second annotation the prediction.
    """
    report = validate(data_dir)
    gold = {p.id: p for p in report.passages}
    rows: list[tuple[Passage, list[str], str]] = []
    seen: set[str] = set()
    files = [annotation] if isinstance(annotation, (str, Path)) else list(annotation)
    for path, number, row in ((f, n, r) for f in files for n, r in read_jsonl(f)):
        where = f"{path}:{number}"
        if set(row) != {"id", "threats", "stance"}:
            raise InputError(f"{where}: expected exactly the fields id, threats, stance")
        passage = gold.get(row["id"])
        if passage is None:
            raise InputError(f"{where}: id {row['id']!r} is not in the corpus")
        if row["id"] in seen:
            raise InputError(f"{where}: id {row['id']!r} appears twice")
        seen.add(row["id"])
        _, threats, stance = parse_gold(where, {**row, "text": passage.text},
                                        report.threat_labels, report.stance_labels)
        if threats is None or stance is None:
            raise InputError(f"{where}: 'threats' and 'stance' are both required")
        rows.append((passage, threats, stance))
    if not rows:
        raise InputError(f"{', '.join(map(str, files))}: no annotations")
    languages = sorted({p.lang for p, _, _ in rows})
    out = {}
    for split in sorted({p.split for p, _, _ in rows}) + ["all"]:
        part = [r for r in rows if split == "all" or r[0].split == split]
        out[split] = _score(part, report.threat_labels, report.stance_labels)
        for lang in languages if len(languages) > 1 else []:
            lang_part = [r for r in part if r[0].lang == lang]
            if lang_part:
                out[f"{split} ({lang})"] = _score(lang_part, report.threat_labels, report.stance_labels)
    return out


def _score(rows: list[tuple[Passage, list[str], str]], threat_labels: Sequence[str],
           stance_labels: Sequence[str]) -> dict[str, Any]:
    """Bench metrics with the second annotation as 0/1 "probabilities" (threshold 0.5)."""
    def onehot(labels: list[str], names: Sequence[str]) -> list[int]:
        return [int(name in labels) for name in names]

    return score(
        threat_labels, stance_labels, [0.5] * len(threat_labels),
        threat_probs=np.array([onehot(t, threat_labels) for _, t, _ in rows], dtype=float),
        threat_gold=np.array([onehot(p.threats, threat_labels) for p, _, _ in rows]),
        stance_probs=np.array([onehot([s], stance_labels) for _, _, s in rows], dtype=float),
        stance_gold=np.array([list(stance_labels).index(p.stance) for p, _, _ in rows]),
    )


def markdown(result: dict[str, Any]) -> str:
    """One row per split: threat micro/macro-F1, per-label F1, stance macro-F1 and accuracy."""
    labels = list(next(iter(result.values()))["threats"])
    head = ["split", "passages", "threat micro-F1", "threat macro-F1", *labels, "stance macro-F1", "stance acc."]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for split, r in result.items():
        cells = [split, str(r["n"]), f"{r['threat_micro_f1']:.3f}", f"{r['threat_macro_f1']:.3f}",
                 *(f"{r['threats'][label]['f1']:.3f}" for label in labels),
                 f"{r['stance_macro_f1']:.3f}", f"{r['stance_accuracy']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
