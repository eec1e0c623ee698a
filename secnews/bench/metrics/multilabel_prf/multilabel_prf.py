"""Multi-label precision, recall, F1 and support per label; micro/macro F1; subset accuracy."""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import precision_recall_fscore_support

_DESCRIPTION = """Per-label precision/recall/F1/support, micro and macro F1 and subset (exact
match) accuracy for multi-hot predictions and references. Macro F1 averages labels with support."""

_INPUTS = """predictions, references: lists of multi-hot 0/1 vectors of equal length.
label_names: optional names for the columns (default "0", "1", ...)."""


class MultilabelPrf(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("int32")),
                    "references": datasets.Sequence(datasets.Value("int32")),
                }
            ),
        )

    def _compute(self, predictions, references, label_names=None):
        pred = np.asarray(predictions, dtype=int)
        gold = np.asarray(references, dtype=int)
        names = list(label_names) if label_names is not None else [str(i) for i in range(gold.shape[1])]
        p, r, f, s = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
        _, _, micro, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
        supported = s > 0
        return {
            "micro_f1": float(micro),
            "macro_f1": float(f[supported].mean()) if supported.any() else 0.0,
            "subset_accuracy": float((pred == gold).all(axis=1).mean()),
            "per_label": {
                n: {"precision": float(a), "recall": float(b), "f1": float(c), "support": int(d)}
                for n, a, b, c, d in zip(names, p, r, f, s)
            },
        }
