"""Scores for one system on one labelled set, through the local `evaluate` metric modules."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .metrics import load as load_metric


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature."""
    z = logits / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def score(
    threat_labels: Sequence[str],
    stance_labels: Sequence[str],
    thresholds: Sequence[float],
    threat_probs: np.ndarray | None = None,
    threat_gold: np.ndarray | None = None,
    stance_probs: np.ndarray | None = None,
    stance_gold: np.ndarray | None = None,
) -> dict[str, Any]:
    """Threat metrics (when threat gold is given) and stance metrics (when stance gold is given)."""
    out: dict[str, Any] = {}
    calibration = load_metric("calibration")
    if threat_probs is not None and threat_gold is not None:
        prf = load_metric("multilabel_prf").compute(
            predictions=(threat_probs >= np.asarray(thresholds)).astype(int).tolist(),
            references=threat_gold.astype(int).tolist(),
            label_names=list(threat_labels),
        )
        cal = calibration.compute(predictions=threat_probs.ravel().tolist(),
                                  references=threat_gold.astype(int).ravel().tolist())
        out.update(
            n=int(len(threat_gold)),
            threat_micro_f1=prf["micro_f1"],
            threat_macro_f1=prf["macro_f1"],
            threat_subset_accuracy=prf["subset_accuracy"],
            threats=prf["per_label"],
            threat_ece=cal["ece"],
            threat_brier=cal["brier"],
            threat_reliability=cal["reliability"],
        )
    if stance_probs is not None and stance_gold is not None:
        stance = load_metric("stance_scores").compute(
            predictions=stance_probs.argmax(axis=1).tolist(),
            references=stance_gold.tolist(),
            num_classes=len(stance_labels),
        )
        cal = calibration.compute(predictions=stance_probs.tolist(), references=stance_gold.tolist())
        out.update(
            n=int(len(stance_gold)),
            stance_accuracy=stance["accuracy"],
            stance_macro_f1=stance["macro_f1"],
            stance_confusion=stance["confusion"],
            stance_ece=cal["ece"],
            stance_brier=cal["brier"],
            stance_reliability=cal["reliability"],
        )
    return out
