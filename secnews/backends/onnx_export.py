"""Build the onnx-int8 artefact: torch.onnx export (dynamic batch and length), a check that the
ONNX graph masks padding exactly as torch does, then ONNX Runtime's dynamic int8 quantiser
(per-channel weights: per-tensor scales moved stance decisions on ~3 % of dev passages)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..model_dir import ModelDir

OPSET = 17


class ExportError(RuntimeError):
    """The export failed or its output does not match torch."""


def export_int8(model: ModelDir, target: Path) -> Path:
    """Export `model` to ONNX, check it, quantise it to int8 and move it to `target` atomically."""
    try:
        import torch
    except ImportError:
        raise ExportError(f"building the onnx-int8 export of {model.name} needs torch once: "
                          "pip install torch, or copy a cache built elsewhere") from None
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from .torch_backend import TorchBackend

    reference = TorchBackend(model)

    class Heads(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.threat_logits, out.stance_logits

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        ids = torch.tensor([[5, 6, 7, 8], [5, 6, 0, 0]])
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
        with torch.inference_mode():
            torch.onnx.export(Heads(reference.model).eval(), (ids, mask), str(fp32), dynamo=False,
                              input_names=["input_ids", "attention_mask"],
                              output_names=["threat_logits", "stance_logits"], opset_version=OPSET,
                              dynamic_axes={"input_ids": {0: "batch", 1: "length"},
                                            "attention_mask": {0: "batch", 1: "length"},
                                            "threat_logits": {0: "batch"}, "stance_logits": {0: "batch"}})
        check_masks(reference, fp32, vocab_size=model.encoder["vocab_size"])
        int8 = Path(tmp) / "model-int8.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8, target)
    return target


def check_masks(reference, onnx_path: Path, *, vocab_size: int, tolerance: float = 1e-3) -> None:
    """The fp32 ONNX graph must give torch's logits, and padding must not change a row's result."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    lengths = [3, 9, 17, 30]
    ids = np.zeros((len(lengths), max(lengths)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(min(5, vocab_size - 1), vocab_size, size=n)
        mask[row, :n] = 1
    got = session.run(None, {"input_ids": ids, "attention_mask": mask})
    want = reference(ids, mask)
    alone = [session.run(None, {"input_ids": ids[r:r + 1, :n], "attention_mask": mask[r:r + 1, :n]})
             for r, n in enumerate(lengths)]
    for head in (0, 1):
        if not np.allclose(got[head], want[head], atol=tolerance):
            raise ExportError(f"ONNX export differs from torch by {np.abs(got[head] - want[head]).max():.2e}")
        padded_vs_alone = np.abs(got[head] - np.concatenate([a[head] for a in alone])).max()
        if padded_vs_alone > tolerance:
            raise ExportError(f"ONNX export does not mask padding (difference {padded_vs_alone:.2e})")
