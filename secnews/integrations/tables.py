"""Prediction columns for tables: pandas.DataFrame and datasets.Dataset.

Columns are exactly `secnews.results.flat_columns()`: `secnews_threats` (list of str),
`secnews_stance` (str), `secnews_cooperation` and one float per threat and stance score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..results import PREFIX, Prediction, flat_columns

if TYPE_CHECKING:
    import datasets
    import pandas

    from ..classifier import Classifier

UNITS = ("passage", "article")


def column_names(classifier: "Classifier") -> list[str]:
    """The prediction column names for `classifier`'s labels, in order."""
    blank = Prediction(text="", threats=[], threat_scores=dict.fromkeys(classifier.threat_labels, 0.0),
                       stance=classifier.stance_labels[0], stance_scores=dict.fromkeys(classifier.stance_labels, 0.0))
    return list(flat_columns(blank))


def predict_columns(classifier: "Classifier", texts: Sequence[str], unit: str = "passage") -> dict[str, list[Any]]:
    """Classify one batch of texts; return {column: values in input order} (see flat_columns).

    `unit`: "passage" (each text is one passage) or "article" (split into paragraphs and
    aggregated). The per-batch function behind classify_frame, classify_dataset and the Ray adapter.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be 'passage' or 'article', got {unit!r}")
    names = column_names(classifier)
    if not texts:
        return {name: [] for name in names}
    texts = list(texts)
    predictions = classifier.classify(texts) if unit == "passage" else classifier.classify_articles(texts)
    rows = [flat_columns(p) for p in predictions]
    return {name: [row[name] for row in rows] for name in names}


def classify_frame(classifier: "Classifier", frame: "pandas.DataFrame", text_column: str = "text",
                   unit: str = "passage") -> "pandas.DataFrame":
    """A copy of `frame` (same index, columns and row order) with the prediction columns added."""
    _check_columns(list(frame.columns), text_column)
    texts = frame[text_column].tolist()
    _check_texts(texts, text_column, range(len(texts)))
    out = frame.copy()
    for name, values in predict_columns(classifier, texts, unit).items():
        out[name] = values
    return out


def classify_dataset(classifier: "Classifier", dataset: "datasets.Dataset", text_column: str = "text",
                     unit: str = "passage", batch_size: int = 1000) -> "datasets.Dataset":
    """`dataset` with the prediction columns added by a batched map (original columns and order
    kept); `secnews_threats` is a list of strings, scores float64, `secnews_stance` a string."""
    import datasets
    from datasets.fingerprint import Hasher

    _check_columns(list(dataset.column_names), text_column)
    features = dataset.features.copy()
    for name in column_names(classifier):
        features[name] = (datasets.Sequence(datasets.Value("string")) if name == f"{PREFIX}threats"
                          else datasets.Value("string") if name == f"{PREFIX}stance" else datasets.Value("float64"))

    def batch(rows: dict[str, list[Any]], indices: list[int]) -> dict[str, list[Any]]:
        _check_texts(rows[text_column], text_column, indices)
        return predict_columns(classifier, rows[text_column], unit)

    fingerprint = Hasher.hash([dataset._fingerprint, classifier.model_dir.weights_sha256, classifier.model_dir.config,
                               classifier.backend, text_column, unit])
    return dataset.map(batch, batched=True, batch_size=batch_size, with_indices=True, features=features,
                       new_fingerprint=fingerprint, desc="secnews")


def _check_columns(columns: list[str], text_column: str) -> None:
    if text_column not in columns:
        raise ValueError(f"no text column {text_column!r}; columns: {columns}")
    taken = [c for c in columns if c.startswith(PREFIX)]
    if taken:
        raise ValueError(f"the table already has prediction columns {taken}; drop them first")


def _check_texts(texts: list[Any], text_column: str, rows: Sequence[int]) -> None:
    for row, text in zip(rows, texts):
        if not isinstance(text, str) or not text.strip():
            problem = "empty" if isinstance(text, str) else f"{type(text).__name__}, not text"
            raise ValueError(f"row {row}: {text_column!r} is {problem}")
