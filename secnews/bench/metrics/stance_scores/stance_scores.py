"""Single-label classification: accuracy, macro F1 and the confusion matrix."""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

_DESCRIPTION = """Accuracy, macro F1 (over classes present in references or predictions) and the
confusion matrix (rows: reference, columns: prediction) for integer class ids."""

_INPUTS = """predictions, references: lists of integer class ids.
num_classes: the number of classes, which fixes the confusion matrix's size."""


class StanceScores(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
            ),
        )

    def _compute(self, predictions, references, num_classes=None):
        pred = np.asarray(predictions, dtype=int)
        gold = np.asarray(references, dtype=int)
        k = num_classes if num_classes is not None else int(max(pred.max(), gold.max()) + 1)
        present = sorted(set(gold.tolist()))
        return {
            "accuracy": float(accuracy_score(gold, pred)),
            "macro_f1": float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)),
            "confusion": confusion_matrix(gold, pred, labels=list(range(k))).tolist(),
        }
