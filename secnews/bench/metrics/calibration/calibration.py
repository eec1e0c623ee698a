"""Calibration of predicted probabilities: expected calibration error and Brier score."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """Expected calibration error (equal-width confidence bins, weighted by bin size)
and Brier score. Binary mode (predictions: P(positive), references: 0/1) for multi-label threats,
flattened; multi-class mode (predictions: probability vectors, references: class ids) uses the
top-label confidence for ECE and the multi-class Brier score. Also returns the reliability curve."""

_INPUTS = """predictions: probabilities (floats, or lists of floats in multi-class mode).
references: 0/1 outcomes, or class ids. n_bins: number of bins (default 10)."""


class Calibration(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=[
                datasets.Features(
                    {"predictions": datasets.Value("float32"), "references": datasets.Value("int32")}
                ),
                datasets.Features(
                    {
                        "predictions": datasets.Sequence(datasets.Value("float32")),
                        "references": datasets.Value("int32"),
                    }
                ),
            ],
        )

    def _compute(self, predictions, references, n_bins=10):
        probs = np.asarray(predictions, dtype=np.float64)
        gold = np.asarray(references, dtype=int)
        if probs.ndim == 1:
            confidence, correct = probs, gold.astype(np.float64)
            brier = float(np.mean((probs - gold) ** 2))
        else:
            confidence = probs.max(axis=1)
            correct = (probs.argmax(axis=1) == gold).astype(np.float64)
            onehot = np.eye(probs.shape[1])[gold]
            brier = float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))
        bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
        ece, curve = 0.0, []
        for b in range(n_bins):
            in_bin = bins == b
            if not in_bin.any():
                continue
            conf, acc = float(confidence[in_bin].mean()), float(correct[in_bin].mean())
            ece += in_bin.mean() * abs(conf - acc)
            curve.append({"confidence": conf, "frequency": acc, "count": int(in_bin.sum())})
        return {"ece": float(ece), "brier": brier, "reliability": curve}
