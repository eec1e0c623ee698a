"""Inference backends: token ids and mask in, threat and stance logits out (numpy float32).

`torch-fp32` is the reference; `torch-bf16` runs bf16 weights and compute (CPUs with AMX or
AVX512-BF16); `onnx-int8` runs a cached ONNX export with dynamic int8 quantisation on ONNX Runtime
and never imports torch. `auto` picks the fastest backend this CPU supports among those recorded
as agreeing with `torch-fp32` for this model (`backends.json` beside the weights).
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Protocol

import numpy as np

from ..hardware import native_bf16
from ..model_dir import ModelDir
from .record import MIN_AGREEMENT, passed, read_record

BACKENDS = ("torch-fp32", "torch-bf16", "onnx-int8")
REFERENCE = "torch-fp32"


class Backend(Protocol):
    name: str
    pad_multiple: int  # batches are padded to a multiple of this many tokens (masked; AMX bf16 tiles like 16)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


class BackendError(ValueError):
    """An unknown backend, or one that cannot run here; the message says what to do."""


def installed(name: str) -> bool:
    """Whether the packages `name` needs are importable."""
    module = "onnxruntime" if name == "onnx-int8" else "torch"
    return importlib.util.find_spec(module) is not None


def supported(name: str) -> bool:
    """Whether this CPU runs `name` at speed (bf16 needs native bf16)."""
    return name != "torch-bf16" or native_bf16()


def choose(model: ModelDir) -> str:
    """`auto`: the first of the preference order that is installed, supported, and recorded as passing."""
    record = read_record(model)
    preference = ("torch-bf16", "onnx-int8") if native_bf16() else ("onnx-int8",)
    for name in preference:
        if installed(name) and supported(name) and passed(record, name):
            if name == "onnx-int8" and not installed("torch"):
                from .onnx_int8 import cached_path

                if not cached_path(model).is_file():
                    continue
            return name
    if installed("torch"):
        return REFERENCE
    raise BackendError("no backend can run: install torch (pip install secnews) or onnxruntime "
                       "(pip install 'secnews[onnx]') with an exported model")


def load(model: ModelDir, name: str = "auto", *, device: str = "cpu") -> Backend:
    """Load backend `name` (or `auto`) for `model`."""
    if name == "auto":
        name = choose(model)
    elif name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; available: auto, {', '.join(BACKENDS)}")
    if not installed(name):
        extra = "onnx" if name == "onnx-int8" else "torch"
        package = "onnxruntime" if name == "onnx-int8" else "torch"
        raise BackendError(f"backend {name!r} needs {package}: pip install 'secnews[{extra}]'")
    if name != REFERENCE:
        record = read_record(model)
        if not passed(record, name):
            result = (record or {}).get("backends", {}).get(name)
            measured = (f"measured agreement: {_agreement_line(result)}" if result else
                        "no agreement check recorded for these weights (run: secnews check-backends)")
            warnings.warn(f"backend {name!r} is not recorded at ≥ {MIN_AGREEMENT:.1%} agreement with "
                          f"{REFERENCE} for {model.name}; {measured}", stacklevel=2)
        if not supported(name):
            warnings.warn(f"backend {name!r}: this CPU has no native bf16, so it will be slow", stacklevel=2)
    if name == "onnx-int8":
        from .onnx_int8 import OnnxInt8Backend

        return OnnxInt8Backend(model)
    from .torch_backend import TorchBackend

    return TorchBackend(model, bf16=name == "torch-bf16", device=device)


def _agreement_line(result: dict) -> str:
    return "; ".join(f"{split}: threats {r['threat_agreement']:.2%}, stance {r['stance_agreement']:.2%}"
                     for split, r in result.items() if isinstance(r, dict) and "threat_agreement" in r)
