"""Agreement of each backend with torch-fp32 on labelled splits: equal threat decisions, equal
stance labels, largest score difference; recorded in the model's backends.json."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..model_dir import ModelDir
from . import BACKENDS, REFERENCE, installed, load
from .record import MIN_AGREEMENT, write_record


def compare(reference: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray],
            thresholds: Sequence[float]) -> dict[str, Any]:
    """Share of (passage, label) threat decisions and of stance labels equal; max |Δ score|."""
    t = np.asarray(thresholds)
    decisions_equal = (reference[0] >= t) == (other[0] >= t)
    return {"n": int(len(reference[0])),
            "threat_agreement": float(decisions_equal.mean()),
            "passages_with_a_threat_change": int((~decisions_equal).any(axis=1).sum()),
            "stance_agreement": float((reference[1].argmax(1) == other[1].argmax(1)).mean()),
            "max_threat_score_diff": float(np.abs(reference[0] - other[0]).max()),
            "max_stance_score_diff": float(np.abs(reference[1] - other[1]).max())}


def measure(model: ModelDir, splits: Mapping[str, Sequence[str]], names: Sequence[str] | None = None,
            *, write: bool = True) -> dict[str, Any]:
    """Score every split with torch-fp32 and each backend in `names` (default: all installed ones),
    compare per split and over all splits together ("all"), and (with `write`) record the result
    beside the weights. A backend passes when, over all splits together, at least MIN_AGREEMENT of
    its threat decisions and of its stance labels equal torch-fp32's."""
    from ..classifier import Classifier

    names = [n for n in (names or BACKENDS) if n != REFERENCE and installed(n)]
    reference = Classifier(model, load(model, REFERENCE))
    expected = {split: reference.scores(list(texts)) for split, texts in splits.items()}
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classifier = Classifier(model, load(model, name))
        got = {split: classifier.scores(list(texts)) for split, texts in splits.items()}
        per_split = {split: compare(expected[split], got[split], model.thresholds) for split in splits}
        if len(splits) > 1:
            per_split["all"] = compare(*(tuple(np.concatenate([run[split][head] for split in splits])
                                               for head in (0, 1)) for run in (expected, got)), model.thresholds)
        pooled = per_split["all" if len(splits) > 1 else next(iter(splits))]
        per_split["passed"] = (pooled["threat_agreement"] >= MIN_AGREEMENT
                               and pooled["stance_agreement"] >= MIN_AGREEMENT)
        results[name] = per_split
    return write_record(model, results) if write else {"backends": results}


def markdown(record: dict[str, Any]) -> str:
    lines = ["| backend | split | passages | threat decisions equal | stance equal | max Δ threat score | max Δ stance score | passed |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for name, result in record["backends"].items():
        for split, r in result.items():
            if isinstance(r, dict):
                lines.append(f"| {name} | {split} | {r['n']} | {r['threat_agreement']:.2%} | {r['stance_agreement']:.2%} | "
                             f"{r['max_threat_score_diff']:.3f} | {r['max_stance_score_diff']:.3f} | "
                             f"{'yes' if result['passed'] else 'no'} |")
    return "\n".join(lines)
