"""`secnews bench`: score the model and baselines on a labelled set; the `--speed` comparison."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
from tqdm.auto import tqdm

from ..inputs import InputError, LabelledSet, read_labelled
from .memory import PeakMemory
from .scoring import score


class System(Protocol):
    """What bench scores: Classifier and every baseline have these."""

    threat_labels: list[str]
    stance_labels: list[str]
    thresholds: dict[str, float]

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...


def evaluate(system: System, data: LabelledSet, batch_size: int = 32) -> dict[str, Any]:
    """Scores, calibration, throughput, batch latency and peak memory of one system on `data`."""
    threat_parts, stance_parts, latencies = [], [], []
    with PeakMemory() as memory:
        started = time.perf_counter()
        for start in tqdm(range(0, len(data), batch_size), desc=getattr(system, "name", "system"),
                          unit="batch", leave=False):
            t0 = time.perf_counter()
            threats, stances = system.scores(data.texts[start:start + batch_size])
            latencies.append(time.perf_counter() - t0)
            threat_parts.append(threats)
            stance_parts.append(stances)
        elapsed = time.perf_counter() - started
    threat_probs, stance_probs = np.concatenate(threat_parts), np.concatenate(stance_parts)
    threat_gold = stance_gold = None
    if data.threats is not None:
        threat_gold = np.array([[l in ts for l in system.threat_labels] for ts in data.threats], dtype=int)
    if data.stances is not None:
        stance_gold = np.array([system.stance_labels.index(s) for s in data.stances], dtype=int)
    result = score(system.threat_labels, system.stance_labels, [system.thresholds[l] for l in system.threat_labels],
                   threat_probs, threat_gold, stance_probs, stance_gold)
    result["ece"] = {name: result[key] for name, key in (("threats", "threat_ece"), ("stance", "stance_ece"))
                     if key in result}
    result.update(
        stance_labels=list(system.stance_labels),
        passages_per_second=len(data) / elapsed,
        batch_size=batch_size,
        latency_p50_ms=float(np.percentile(latencies, 50) * 1000),
        latency_p95_ms=float(np.percentile(latencies, 95) * 1000),
        peak_rss_mb=memory.peak_mb,
    )
    return result


def run(data_path: str, *, model: str | None = None, baselines: bool = False,
        train_path: str = "training/data/train.jsonl", out: str | None = None,
        batch_size: int = 32) -> dict[str, Any]:
    """Bench the model (and baselines) on `data_path`; write report.json, report.md and plots to `out`."""
    from ..classifier import Classifier

    classifier = Classifier.load(model, batch_size=batch_size)
    data = read_labelled(data_path, classifier.threat_labels, classifier.stance_labels)
    systems: dict[str, System] = {classifier.name: classifier}
    if baselines:
        from ..labels import STANCES, THREATS
        from .baselines import load_baselines

        if list(THREATS) != classifier.threat_labels or list(STANCES) != classifier.stance_labels:
            raise InputError("baselines use the v1 label scheme; this model's labels differ")
        if not Path(train_path).is_file():
            raise InputError(f"{train_path}: no such file (baselines train on it; pass --train)")
        for baseline in load_baselines(train_path):
            systems[baseline.name] = baseline
    results = {name: evaluate(system, data, batch_size) for name, system in systems.items()}
    unsupported = [l for l, s in next(iter(results.values())).get("threats", {}).items() if s["support"] == 0]
    notes = list(data.notes)
    if unsupported:
        notes.append(f"no gold passages for {', '.join(unsupported)}: left out of macro-F1")
    report = {"dataset": str(data_path), "n": len(data), "notes": notes, "systems": results}
    if out:
        from .plots import write_plots

        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json(report, out_dir / "report.json")
        (out_dir / "report.md").write_text(markdown(report) + "\n", encoding="utf-8")
        write_plots(report, out_dir)
    return report


def write_json(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _cell(result: dict[str, Any], key: str, digits: int = 3) -> str:
    value = result.get(key)
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    """One side-by-side table of the systems, then per-label F1."""
    systems = report["systems"]
    lines = [f"Dataset: `{report['dataset']}` ({report['n']} passages)", ""]
    lines += [f"Note: {note}" for note in report["notes"]] + ([""] if report["notes"] else [])
    lines += [
        "| system | threat micro-F1 | threat macro-F1 | stance macro-F1 | stance acc. | threat ECE | stance ECE | passages/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in systems.items():
        lines.append(f"| {name} | {_cell(r, 'threat_micro_f1')} | {_cell(r, 'threat_macro_f1')} | "
                     f"{_cell(r, 'stance_macro_f1')} | {_cell(r, 'stance_accuracy')} | {_cell(r, 'threat_ece')} | "
                     f"{_cell(r, 'stance_ece')} | {r['passages_per_second']:.0f} |")
    first = next(iter(systems.values()))
    if "threats" in first:
        names = list(systems)
        lines += ["", "Per-label F1:", "", "| label | support | " + " | ".join(names) + " |",
                  "|---|---:|" + "---:|" * len(names)]
        for label, stats in first["threats"].items():
            lines.append(f"| {label} | {stats['support']} | "
                         + " | ".join(f"{systems[n]['threats'][label]['f1']:.3f}" for n in names) + " |")
    return "\n".join(lines)


def speed(model: str | None, data_path: str | None) -> dict[str, Any]:
    """Classifier vs a plain transformers loop over the same weights, batch 1 and 32, one run."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from ..classifier import DEFAULT_MODEL_DIR, Classifier
    from ..inputs import iter_records

    model_dir = Path(model) if model else DEFAULT_MODEL_DIR
    path = data_path or "training/data/test.jsonl"
    texts = [row["text"] for _, row in iter_records(path) if isinstance(row.get("text"), str)]
    if not texts:
        raise InputError(f"{path}: no texts")
    plain_model = AutoModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    def plain(batch_size: int) -> None:
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                  max_length=plain_model.config.max_seq_length, return_tensors="pt")
                plain_model(**batch)

    results: dict[str, Any] = {"dataset": path, "n": len(texts), "torch_threads": torch.get_num_threads(), "runs": {}}
    classifier = Classifier.load(model_dir)
    for batch_size in (1, 32):
        classifier.batch_size = batch_size
        per_second = {}
        for who, fn in (("transformers loop", lambda: plain(batch_size)),
                        ("secnews Classifier", lambda: classifier.scores(texts))):
            fn()  # warm-up
            with PeakMemory() as memory:
                t0 = time.perf_counter()
                fn()
                seconds = time.perf_counter() - t0
            per_second[who] = len(texts) / seconds
            results["runs"][f"{who}, batch {batch_size}"] = {"passages_per_second": per_second[who],
                                                             "seconds": seconds, "peak_rss_mb": memory.peak_mb}
        results[f"speedup_batch_{batch_size}"] = per_second["secnews Classifier"] / per_second["transformers loop"]
    return results


def speed_markdown(report: dict[str, Any]) -> str:
    lines = [f"Speed on `{report['dataset']}` ({report['n']} passages, {report['torch_threads']} torch threads)", "",
             "| run | passages/s | seconds | peak RSS (MiB) |", "|---|---:|---:|---:|"]
    for name, r in report["runs"].items():
        lines.append(f"| {name} | {r['passages_per_second']:.1f} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} |")
    lines += ["", f"Classifier / plain loop: {report['speedup_batch_1']:.2f}× at batch 1, "
              f"{report['speedup_batch_32']:.2f}× at batch 32."]
    return "\n".join(lines)
