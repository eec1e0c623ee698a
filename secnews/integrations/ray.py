"""Ray Data adapter: label a `ray.data.Dataset` with `map_batches`, one model per actor.

Reading and writing stay Ray's own (`ray.data.read_json`, `read_parquet`, `write_parquet`).
Import it as `secnews.ray` (extra: `pip install 'secnews[ray]'`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

try:
    import pyarrow as pa
    import ray.data
except ImportError as err:  # the optional extra is missing
    raise ImportError("secnews.ray needs Ray Data: pip install 'secnews[ray]'") from err

from secnews.classifier import Classifier
from secnews.inputs import text_problem
from secnews.integrations.tables import UNITS, column_names, predict_columns
from secnews.results import PREFIX

REJECTED = f"{PREFIX}rejected"


def load_classifier(model: str | Path | None, backend: str, threads: int) -> Classifier:
    """`Classifier.load`, with the backend held to `threads` intra-op threads."""
    os.environ["RAYON_NUM_THREADS"] = str(threads)  # the tokenizer's pool; read on its first use
    classifier = Classifier.load(model, backend=backend)
    if classifier.backend == "onnx-int8":  # Classifier.load takes no thread count: rebuild the session
        from secnews.backends.onnx_int8 import OnnxInt8Backend

        classifier.runner = OnnxInt8Backend(classifier.model_dir, threads=threads)
    else:
        import torch

        torch.set_num_threads(threads)
    return classifier


def output_schema(classifier: Classifier) -> pa.Schema:
    """The columns classify_dataset adds: `flat_columns()` typed for Arrow, then `secnews_rejected`."""
    types = {f"{PREFIX}threats": pa.list_(pa.string()), f"{PREFIX}stance": pa.string()}
    return pa.schema([(name, types.get(name, pa.float64())) for name in column_names(classifier)]
                     + [(REJECTED, pa.string())])


class _Labeller:
    """One Ray actor: loads the model once, then labels Arrow batches."""

    def __init__(self, model: str | Path | None, backend: str, threads: int, text_column: str, unit: str) -> None:
        self.classifier = load_classifier(model, backend, threads)
        self.schema = output_schema(self.classifier)
        self.text_column = text_column
        self.unit = unit

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.text_column not in batch.column_names:
            raise ValueError(f"no text column {self.text_column!r}; columns: {batch.column_names}")
        taken = [c for c in batch.column_names if c.startswith(PREFIX)]
        if taken:
            raise ValueError(f"the dataset already has prediction columns {taken}; drop them first")
        texts = batch.column(self.text_column).to_pylist()
        reasons = [text_problem({self.text_column: text}, self.text_column) for text in texts]
        kept = [i for i, reason in enumerate(reasons) if reason is None]
        predicted = predict_columns(self.classifier, [texts[i] for i in kept], self.unit)
        for field in self.schema:
            values = reasons if field.name == REJECTED else [None] * len(texts)
            for i, value in zip(kept, predicted.get(field.name, ())):
                values[i] = value
            batch = batch.append_column(field, pa.array(values, type=field.type))
        return batch


def classify_dataset(
    ds: ray.data.Dataset,
    *,
    text_column: str = "text",
    unit: Literal["passage", "article"] = "passage",
    model: str | Path | None = None,
    backend: str = "auto",
    batch_size: int = 256,
    concurrency: int | tuple[int, int] | None = None,
    num_cpus: float = 1,
) -> ray.data.Dataset:
    """Label every row of `ds`; lazy, like any Ray Data transform.

    Every input column is kept and the `secnews.results.flat_columns()` columns are added
    (`secnews_threats` list<string>, `secnews_stance` string, `secnews_cooperation` and the
    `secnews_threat_<label>` / `secnews_stance_<label>` scores float64), plus `secnews_rejected`:
    null for a classified row, else the reason a row is kept but not classified (null, empty or
    blank text: "missing or empty field 'text'"; a non-string: "field 'text' is int, expected a
    string"), with its prediction columns null. A dataset without `text_column`, or with a
    column already named `secnews_*`, fails with ValueError (raised inside the job).

    `unit`: "passage" (Classifier.classify per row) or "article" (Classifier.classify_article).
    `model`: None for the shipped model in the installed package, else a model directory every
    worker can read at that path. `backend`: as in Classifier.load. `batch_size`: rows per actor
    call. `concurrency`: actors (n, or (min, max) to autoscale; None: Ray's autoscaling pool).
    `num_cpus`: CPUs reserved per actor, which is also its thread count (at least 1).
    Rows come out in input order only with Ray's
    `DataContext.get_current().execution_options.preserve_order = True`.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if isinstance(concurrency, tuple):
        compute = ray.data.ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    else:
        compute = ray.data.ActorPoolStrategy(size=concurrency)
    return ds.map_batches(
        _Labeller,
        fn_constructor_kwargs={"model": None if model is None else str(model), "backend": backend,
                               "threads": max(1, int(num_cpus)), "text_column": text_column, "unit": unit},
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=compute,
        num_cpus=num_cpus,
        udf_modifying_row_count=False,
    )
