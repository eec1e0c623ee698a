"""`secnews bench --ablation`: the speed changes to the torch backends measured one at a time, at
batch 1 and 32, on the same passages and in one process, against the plain transformers loop."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

from ..hardware import describe
from ..inputs import InputError, iter_records
from ..model_dir import ModelDir
from .speed import BATCH_SIZES, _plain_loop, _timed

# (name, backend, change applied to the loaded Classifier); each row changes one thing from the row named
STEPS: tuple[tuple[str, str, str], ...] = (
    ("torch-fp32 (length-sorted batches, inference_mode, SDPA)", "torch-fp32", "transformers loop"),
    ("torch-bf16, batches padded to the longest passage", "torch-bf16", "torch-fp32 (length-sorted batches, inference_mode, SDPA)"),
    ("torch-bf16, eager attention instead of SDPA", "torch-bf16", "torch-bf16, batches padded to the longest passage"),
    ("torch-bf16, padded to a multiple of 16 tokens (shipped)", "torch-bf16", "torch-bf16, batches padded to the longest passage"),
    ("torch-bf16, shipped, 1 thread instead of all", "torch-bf16", "torch-bf16, padded to a multiple of 16 tokens (shipped)"),
    ("torch-bf16, shipped, torch.compile (inductor, freezing)", "torch-bf16", "torch-bf16, padded to a multiple of 16 tokens (shipped)"),
)


def _configure(classifier, step: str) -> float:
    """Apply `step`'s change to `classifier`; return seconds spent compiling (0 for other steps)."""
    import torch

    model = classifier.runner.model
    if "padded to the longest" in step or "eager" in step:
        classifier.runner.pad_multiple = 1
    if "eager" in step:
        model.encoder.set_attn_implementation("eager")
    if "1 thread" in step:
        torch.set_num_threads(1)
    if "torch.compile" in step:
        import torch._inductor.config as inductor

        inductor.freezing = True
        started = time.perf_counter()
        classifier.runner.model = torch.compile(model, dynamic=True)
        for batch_size in BATCH_SIZES:  # compile for both shapes the bench will use
            classifier.batch_size = batch_size
            classifier.scores(["Marines seized fentanyl pills in Culiacán, the navy said on Sunday."] * 2)
        return time.perf_counter() - started
    return 0.0


def ablation(model_path: str | None, data_path: str | None) -> dict[str, Any]:
    """Passages/s of every step at every batch size, in this process."""
    import torch

    from ..classifier import DEFAULT_MODEL_DIR, Classifier

    model = ModelDir.read(model_path or DEFAULT_MODEL_DIR)
    path = data_path or "training/data/test.jsonl"
    texts = [row["text"] for _, row in iter_records(path) if isinstance(row.get("text"), str) and row["text"].strip()]
    if not texts:
        raise InputError(f"{path}: no texts")
    threads = torch.get_num_threads()
    report: dict[str, Any] = {"dataset": path, "n": len(texts), "model": model.name, "cpu": describe(),
                              "torch_threads": threads, "steps": {}}
    plain = _plain_loop(model, texts)
    report["steps"]["transformers loop"] = {"from": None, **{f"batch_{b}": len(texts) / _timed(plain(b)) for b in BATCH_SIZES}}
    for step, backend, base in STEPS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classifier = Classifier.load(model.path, backend=backend)
        compile_seconds = _configure(classifier, step)
        row: dict[str, Any] = {"from": base, "compile_seconds": compile_seconds}
        for batch_size in BATCH_SIZES:
            classifier.batch_size = batch_size
            row[f"batch_{batch_size}"] = len(texts) / _timed(lambda: classifier.scores(texts))
        report["steps"][step] = row
        torch.set_num_threads(threads)
        torch._dynamo.reset()
    return report


def markdown(report: dict[str, Any]) -> str:
    steps = report["steps"]
    lines = [f"One change at a time: `{report['model']}` on `{report['dataset']}` ({report['n']} passages); "
             f"CPU: {report['cpu']}, {report['torch_threads']} threads. Each row changes one thing from the "
             "row named in 'from'; the ratio compares it with that row.", "",
             "| run | from | passages/s, batch 1 | ratio | passages/s, batch 32 | ratio | compile (s) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, r in steps.items():
        base = steps.get(r["from"]) if r["from"] else None
        ratio: Callable[[str], str] = lambda k: f"{r[k] / base[k]:.2f}" if base else "–"
        lines.append(f"| {name} | {r['from'] or '–'} | {r['batch_1']:.1f} | {ratio('batch_1')} | "
                     f"{r['batch_32']:.1f} | {ratio('batch_32')} | {r.get('compile_seconds', 0):.1f} |")
    return "\n".join(lines)


def write(report: dict[str, Any], out: str | Path) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "ablation.md").write_text(markdown(report) + "\n", encoding="utf-8")
