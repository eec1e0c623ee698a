"""Scale-out bench: the same N passages through the plain Classifier (1 and 2 torch threads, one
process) and through secnews.ray with 1 and 2 single-threaded actors on a local 2-CPU Ray.

    python -m secnews.integrations.ray_bench [--n 4000] [--repeats 3] [--backend NAME] [--json OUT]

Each configuration runs `repeats` times and the fastest run counts. A Ray run is timed from
submitting the job to its last row materialised: actor start-up and model loading are included
(`ray.init` is not); "start-up" is the same job over one row per actor, and "after start-up"
rates take it off. Classifier runs exclude loading the model.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import ray

from secnews.backends import choose
from secnews.classifier import DEFAULT_MODEL_DIR
from secnews.hardware import describe
from secnews.inputs import iter_records
from secnews.integrations.ray import classify_dataset, load_classifier
from secnews.model_dir import ModelDir


def passages(path: str, n: int) -> list[str]:
    """The texts of `path`, cycled to exactly `n`."""
    texts = [row["text"] for _, row in iter_records(path) if isinstance(row.get("text"), str)]
    return list(itertools.islice(itertools.cycle(texts), n))


def plain(texts: list[str], model: str | None, backend: str, threads: int, repeats: int) -> float:
    """Fastest of `repeats` Classifier.classify calls over `texts` with `threads` threads, in seconds
    (in a fresh process, so the tokenizer's thread pool is sized like an actor's)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_plain, texts, model, backend, threads, repeats).result()


def _plain(texts: list[str], model: str | None, backend: str, threads: int, repeats: int) -> float:
    classifier = load_classifier(model, backend, threads)
    classifier.classify(texts[:32])  # warm-up
    return min(_seconds(lambda: classifier.classify(texts)) for _ in range(repeats))


def on_ray(texts: list[str], model: str | None, backend: str, actors: int, batch_size: int, repeats: int) -> float:
    """Fastest of `repeats` classify_dataset jobs over `texts` with `actors` single-threaded actors, in seconds."""
    rows = [{"text": t} for t in texts]

    def job() -> None:
        ds = ray.data.from_items(rows, override_num_blocks=max(actors, len(rows) // batch_size))
        classify_dataset(ds, model=model, backend=backend, batch_size=batch_size, concurrency=actors,
                         num_cpus=1).materialize()

    return min(_seconds(job) for _ in range(repeats))


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(n: int, data: str, model: str | None, backend: str, batch_size: int, repeats: int) -> dict[str, Any]:
    """Time every configuration; throughput, the 2-actor / 1-actor ratio and Ray's overhead."""
    texts = passages(data, n)
    if backend == "auto":
        backend = choose(ModelDir.read(model or DEFAULT_MODEL_DIR))
    report: dict[str, Any] = {"n": n, "dataset": data, "model": ModelDir.read(model or DEFAULT_MODEL_DIR).name,
                              "backend": backend, "batch_size": batch_size,
                              "repeats": repeats, "cpu": describe(), "cpus": len(os.sched_getaffinity(0)),
                              "load_average_before": os.getloadavg()[0], "runs": []}

    def record(name: str, threads: int, seconds: float, startup: float = 0.0) -> float:
        report["runs"].append({"run": name, "threads": threads, "seconds": seconds, "startup_seconds": startup,
                               "passages_per_second": n / seconds,
                               "after_startup_per_second": n / (seconds - startup)})
        return n / seconds

    plain_1 = record("Classifier, 1 thread", 1, plain(texts, model, backend, 1, repeats))
    plain_2 = record("Classifier, 2 threads", 2, plain(texts, model, backend, 2, repeats))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        rates = [record(f"Ray, {k} actor{'s' * (k > 1)} × 1 thread", k,
                        on_ray(texts, model, backend, k, batch_size, repeats),
                        on_ray(texts[:k], model, backend, k, batch_size, repeats)) for k in (1, 2)]
    finally:
        ray.shutdown()
    report.update(load_average_after=os.getloadavg()[0], two_actors_over_one=rates[1] / rates[0],
                  ray_overhead_1_thread=1 - rates[0] / plain_1, ray_overhead_2_threads=1 - rates[1] / plain_2)
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [f"{report['n']} passages from `{report['dataset']}`, {report['model']}, {report['backend']}, Ray batch "
             f"{report['batch_size']}, fastest of {report['repeats']}; {report['cpus']} CPUs ({report['cpu']}); "
             f"load average {report['load_average_before']:.2f} before, {report['load_average_after']:.2f} after", "",
             "| run | total threads | seconds | start-up (s) | passages/s | after start-up |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['run']} | {r['threads']} | {r['seconds']:.1f} | {r['startup_seconds']:.1f} | "
              f"{r['passages_per_second']:.1f} | {r['after_startup_per_second']:.1f} |" for r in report["runs"]]
    lines += ["", f"2 actors / 1 actor: {report['two_actors_over_one']:.2f}×; Ray overhead against the "
              f"Classifier at the same threads: {report['ray_overhead_1_thread']:+.1%} (1 thread), "
              f"{report['ray_overhead_2_threads']:+.1%} (2 threads)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m secnews.integrations.ray_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="passages per run (default 4000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per configuration; the fastest counts (default 3)")
    parser.add_argument("--data", default="training/data/test.jsonl", help="JSONL or CSV with a 'text' field")
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--batch-size", type=int, default=256, help="rows per actor call (default 256)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    report = run(args.n, args.data, args.model, args.backend, args.batch_size, args.repeats)
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
