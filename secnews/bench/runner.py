"""`secnews bench`: score the model and baselines on a labelled set; the `--speed` comparison."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
from tqdm.auto import tqdm

from ..inputs import InputError, LabelledSet, iter_records, read_labelled
from .memory import PeakMemory
from .scoring import score


class System(Protocol):
    """What bench scores: Classifier and every baseline have these."""

    threat_labels: list[str]
    stance_labels: list[str]
    thresholds: dict[str, float]

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...


def languages(path: str | Path) -> list[str] | None:
    """Each row's `lang`, when every row of the labelled file has one."""
    langs = [row.get("lang") for _, row in iter_records(path)]
    return langs if langs and all(isinstance(l, str) and l for l in langs) else None


def evaluate(system: System, data: LabelledSet, batch_size: int = 32,
             langs: list[str] | None = None) -> dict[str, Any]:
    """Scores, calibration, throughput, batch latency and peak memory of one system on `data`;
    with `langs` (one per row), the scores again per language under "by_lang"."""
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
    thresholds = [system.thresholds[l] for l in system.threat_labels]
    result = score(system.threat_labels, system.stance_labels, thresholds,
                   threat_probs, threat_gold, stance_probs, stance_gold)
    if langs is not None and len(set(langs)) > 1:
        rows = np.array(langs)
        result["by_lang"] = {lang: score(system.threat_labels, system.stance_labels, thresholds, threat_probs[rows == lang],
                                         None if threat_gold is None else threat_gold[rows == lang],
                                         stance_probs[rows == lang],
                                         None if stance_gold is None else stance_gold[rows == lang])
                             for lang in sorted(set(langs))}
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
        batch_size: int = 32, backend: str = "auto") -> dict[str, Any]:
    """Bench the model (and baselines) on `data_path`; write report.json, report.md and plots to `out`.
    Every metric is also given per language when the rows carry a `lang` field."""
    from ..classifier import Classifier

    classifier = Classifier.load(model, batch_size=batch_size, backend=backend)
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
    langs = languages(data_path)
    results = {name: evaluate(system, data, batch_size, langs) for name, system in systems.items()}
    unsupported = [l for l, s in next(iter(results.values())).get("threats", {}).items() if s["support"] == 0]
    notes = list(data.notes)
    if unsupported:
        notes.append(f"no gold passages for {', '.join(unsupported)}: left out of macro-F1")
    report = {"dataset": str(data_path), "n": len(data), "notes": notes, "backend": classifier.backend,
              "systems": results}
    if langs is not None:
        report["languages"] = dict(sorted(Counter(langs).items()))
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
    counts = ", ".join(f"{n} {l}" for l, n in report.get("languages", {}).items())
    lines = [f"Dataset: `{report['dataset']}` ({report['n']} passages{': ' + counts if counts else ''}); "
             f"backend {report.get('backend', 'torch-fp32')}", ""]
    lines += [f"Note: {note}" for note in report["notes"]] + ([""] if report["notes"] else [])
    lines += [
        "| system | threat micro-F1 | threat macro-F1 | stance macro-F1 | stance acc. | threat ECE | stance ECE | passages/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in systems.items():
        lines.append(f"| {name} | {_cell(r, 'threat_micro_f1')} | {_cell(r, 'threat_macro_f1')} | "
                     f"{_cell(r, 'stance_macro_f1')} | {_cell(r, 'stance_accuracy')} | {_cell(r, 'threat_ece')} | "
                     f"{_cell(r, 'stance_ece')} | {r['passages_per_second']:.0f} |")
    by_lang = [n for n, r in systems.items() if "by_lang" in r]
    if by_lang:
        langs = list(systems[by_lang[0]]["by_lang"])
        lines += ["", "Per language:", "",
                  "| system | " + " | ".join(f"{m} ({l})" for l in langs for m in ("threat micro-F1", "stance macro-F1")) + " |",
                  "|---|" + "---:|" * (2 * len(langs))]
        for name in by_lang:
            r = systems[name]["by_lang"]
            lines.append(f"| {name} | " + " | ".join(f"{_cell(r[l], m)}" for l in langs
                                                     for m in ("threat_micro_f1", "stance_macro_f1")) + " |")
    first = next(iter(systems.values()))
    if "threats" in first:
        names = list(systems)
        lines += ["", "Per-label F1:", "", "| label | support | " + " | ".join(names) + " |",
                  "|---|---:|" + "---:|" * len(names)]
        for label, stats in first["threats"].items():
            lines.append(f"| {label} | {stats['support']} | "
                         + " | ".join(f"{systems[n]['threats'][label]['f1']:.3f}" for n in names) + " |")
    return "\n".join(lines)
