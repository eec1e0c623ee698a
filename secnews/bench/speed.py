"""`secnews bench --speed`: a plain transformers loop and every backend on the same passages, with
tokens/s, achieved GFLOP/s against a matmul probe of this CPU, and per-backend peak RSS and cold
start measured in fresh processes."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

from ..hardware import describe
from ..inputs import InputError, iter_records
from ..model_dir import ModelDir

BATCH_SIZES = (1, 32)
COLD_START_TEXT = "Marines seized 300 kilos of fentanyl pills in Culiacán on Sunday, the navy said.\n"


def matmul_probe(n: int = 2048, seconds: float = 1.0) -> dict[str, float]:
    """GFLOP/s of an n×n matmul in fp32 and bf16 on torch's current threads."""
    import torch

    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b
        runs, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            a @ b
            runs += 1
        out[name] = 2 * n**3 * runs / (time.perf_counter() - started) / 1e9
    return out


def _work(model: ModelDir, classifier, texts: Sequence[str]) -> tuple[int, float]:
    """Real tokens and encoder FLOPs for one pass over `texts` (windows included, padding not)."""
    _, encoded = classifier.encode(texts)
    tokens = sum(len(ids) for ids in encoded)
    flops = sum(len(ids) * model.flops_per_token(len(ids)) for ids in encoded)
    return tokens, flops


def _timed(fn: Callable[[], Any]) -> float:
    fn()  # warm-up
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _plain_loop(model: ModelDir, texts: Sequence[str]) -> Callable[[int], Callable[[], None]]:
    """The loop a user would write: AutoModel + AutoTokenizer, fp32, padding to the batch's longest."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from .. import modeling  # noqa: F401  (registers SecnewsModel with the Auto classes)

    plain_model = AutoModel.from_pretrained(model.path, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(model.path)

    def at(batch_size: int) -> Callable[[], None]:
        def run() -> None:
            with torch.no_grad():
                for start in range(0, len(texts), batch_size):
                    batch = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                                      max_length=model.max_seq_length, return_tensors="pt")
                    plain_model(**batch)
        return run

    return at


def _classifier_at(classifier, texts: Sequence[str]) -> Callable[[int], Callable[[], Any]]:
    """`at(batch_size)`: a run of `classifier.scores` over `texts` at that batch size."""
    def at(batch_size: int) -> Callable[[], Any]:
        classifier.batch_size = batch_size
        return lambda: classifier.scores(texts)
    return at


def fresh_process(model: ModelDir, backend: str, data: str) -> dict[str, float]:
    """Peak RSS of classifying `data` with `backend` in a new process, and the cold start of
    `secnews classify` on one short file (wall time, imports and model load included)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    probe = subprocess.run([sys.executable, "-m", "secnews.bench.speed", "--probe", str(model.path), backend, data],
                           capture_output=True, text=True, env=env, check=False)
    if probe.returncode != 0:
        raise RuntimeError(f"speed probe for {backend} failed: {probe.stderr.strip()[-400:]}")
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "short.txt"
        short.write_text(COLD_START_TEXT, encoding="utf-8")
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "secnews", "classify", str(short), "--model", str(model.path),
                              "--backend", backend, "--format", "json"], capture_output=True, text=True, env=env)
        cold = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"secnews classify --backend {backend} failed: {run.stderr.strip()[-400:]}")
    return {**json.loads(probe.stdout.strip().splitlines()[-1]), "cold_start_seconds": cold}


def speed(model_path: str | None, data_path: str | None, backends: Sequence[str] | None = None) -> dict[str, Any]:
    """Every figure of the speed report, measured in one run."""
    import torch

    from .. import backends as registry
    from ..classifier import DEFAULT_MODEL_DIR, Classifier

    model = ModelDir.read(model_path or DEFAULT_MODEL_DIR)
    path = data_path or "training/data/test.jsonl"
    texts = [row["text"] for _, row in iter_records(path) if isinstance(row.get("text"), str) and row["text"].strip()]
    if not texts:
        raise InputError(f"{path}: no texts")
    names = [n for n in (backends or registry.BACKENDS) if registry.installed(n)]
    default = registry.choose(model)
    probe = matmul_probe()
    report: dict[str, Any] = {"dataset": path, "n": len(texts), "model": model.name, "cpu": describe(),
                              "torch_threads": torch.get_num_threads(), "matmul_gflops": probe,
                              "default_backend": default, "runs": {}, "processes": {}}
    tokens = flops = None
    plain = _plain_loop(model, texts)
    for name in [*names, "transformers loop"]:
        if name == "transformers loop":
            runner = plain
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                classifier = Classifier.load(model.path, backend=name)
            if tokens is None:
                tokens, flops = _work(model, classifier, texts)
            runner = _classifier_at(classifier, texts)
        for batch_size in BATCH_SIZES:
            seconds = _timed(runner(batch_size))
            report["runs"][f"{name}, batch {batch_size}"] = {
                "backend": name, "batch_size": batch_size, "seconds": seconds,
                "passages_per_second": len(texts) / seconds, "tokens_per_second": tokens / seconds,
                "gflops": flops / seconds / 1e9,
                "share_of_fp32_ceiling": flops / seconds / 1e9 / probe["fp32"],
                "share_of_bf16_ceiling": flops / seconds / 1e9 / probe["bf16"]}
    for name in names:
        report["processes"][name] = fresh_process(model, name, path)
    report["tokens"], report["gflop"] = tokens, flops / 1e9
    for batch_size in BATCH_SIZES:
        base = report["runs"][f"transformers loop, batch {batch_size}"]["passages_per_second"]
        report[f"speedup_batch_{batch_size}"] = {
            n: report["runs"][f"{n}, batch {batch_size}"]["passages_per_second"] / base for n in names}
    return report


def markdown(report: dict[str, Any]) -> str:
    p = report["matmul_gflops"]
    lines = [f"Speed of `{report['model']}` on `{report['dataset']}` ({report['n']} passages, {report['tokens']} "
             f"tokens, {report['gflop']:.0f} GFLOP per pass); CPU: {report['cpu']}, {report['torch_threads']} threads; "
             f"default backend here: **{report['default_backend']}**.", "",
             f"Matmul ceiling on these threads: fp32 {p['fp32']:.0f} GFLOP/s, bf16 {p['bf16']:.0f} GFLOP/s.", "",
             "| run | passages/s | tokens/s | GFLOP/s | % of fp32 ceiling | % of bf16 ceiling | × plain loop |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in report["runs"].items():
        base = report["runs"][f"transformers loop, batch {r['batch_size']}"]["passages_per_second"]
        lines.append(f"| {name} | {r['passages_per_second']:.1f} | {r['tokens_per_second']:.0f} | {r['gflops']:.0f} | "
                     f"{r['share_of_fp32_ceiling']:.0%} | {r['share_of_bf16_ceiling']:.0%} | "
                     f"{r['passages_per_second'] / base:.2f} |")
    lines += ["", "Fresh process per backend (classify the whole set; `secnews classify` of one short file):", "",
              "| backend | peak RSS (MiB) | cold start (s) |", "|---|---:|---:|"]
    for name, r in report["processes"].items():
        lines.append(f"| {name} | {r['peak_rss_mb']:.0f} | {r['cold_start_seconds']:.2f} |")
    return "\n".join(lines)


def write(report: dict[str, Any], out: str | Path) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "speed.md").write_text(markdown(report) + "\n", encoding="utf-8")


def _probe(model_path: str, backend: str, data: str) -> None:
    from ..classifier import Classifier

    texts = [row["text"] for _, row in iter_records(data) if isinstance(row.get("text"), str) and row["text"].strip()]
    Classifier.load(model_path, backend=backend).scores(texts)
    print(json.dumps({"peak_rss_mb": _peak_rss_mb()}))


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; getrusage's maxrss would include the parent's, kept across exec)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__" and sys.argv[1:2] == ["--probe"]:
    _probe(*sys.argv[2:5])
