"""onnx-int8: the model exported to ONNX, dynamically quantised to int8, run by ONNX Runtime.

The export is cached under `cache_dir()/onnx/<weights sha256>/` and built on first use (building
needs torch once; running never imports it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..model_dir import ModelDir

FILE = "model-int8.onnx"


def cache_dir() -> Path:
    """$SECNEWS_CACHE, else $XDG_CACHE_HOME/secnews, else ~/.cache/secnews."""
    if os.environ.get("SECNEWS_CACHE"):
        return Path(os.environ["SECNEWS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "secnews"


def cached_path(model: ModelDir) -> Path:
    return cache_dir() / "onnx" / model.weights_sha256 / FILE


def session_options(threads: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0)
    options.inter_op_num_threads = 1
    return options


class OnnxInt8Backend:
    name = "onnx-int8"
    pad_multiple = 1

    def __init__(self, model: ModelDir, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        path = cached_path(model)
        if not path.is_file():
            from .onnx_export import export_int8

            export_int8(model, path)
        self.session = ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        threats, stances = self.session.run(
            ["threat_logits", "stance_logits"],
            {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)})
        return threats, stances
