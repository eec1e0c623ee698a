"""Command line: `secnews classify | trend | bench | info | check-backends`. Argument parsing, I/O formats,
exit codes."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from itertools import chain
from pathlib import Path
from typing import Any, Iterator, Sequence

from .inputs import InputError, Row, read_rows

PROGRESS_MIN = 64  # a job writing to stdout shows a progress bar from this many records on


class CliError(Exception):
    """An error reported as one line on stderr with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CliError, InputError, OSError, ValueError, TypeError, RuntimeError) as err:
        print(f"secnews: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secnews", description="Label US–Mexico security news by threat type and cooperation stance.")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("classify", help="classify articles or passages from files, folders or stdin")
    c.add_argument("paths", nargs="+", metavar="PATH", help="input files or folders; '-' reads stdin")
    c.add_argument("--passages", action="store_true", help="each line (or record) is one passage, not an article")
    c.add_argument("--input-format", choices=("text", "jsonl", "csv"), default="text",
                   help="plain text files or folders (default), JSON Lines or CSV records")
    c.add_argument("--text-field", default="text", help="JSONL/CSV field holding the text (default: text)")
    c.add_argument("--glob", default="**/*.txt", help="files to read under a folder (default: **/*.txt)")
    c.add_argument("--format", choices=("table", "json", "jsonl", "csv"),
                   help="output format: table (default), json, jsonl or csv; with --output jsonl or csv")
    c.add_argument("--output", "-o", metavar="FILE", help="write records to FILE as the job goes (JSONL, or CSV for *.csv)")
    c.add_argument("--resume", action="store_true", help="continue the job that was writing FILE")
    c.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    c.add_argument("--skip-invalid", action="store_true",
                   help="set invalid records aside (in FILE.rejected.jsonl) instead of stopping")
    c.add_argument("--model", help="model directory or shipped model name (default: secnews-minilm-v1)")
    c.add_argument("--batch-size", type=int, default=32, help="passages per forward pass")
    c.add_argument("--evidence", action="store_true",
                   help="add the sentence behind each label (scores every sentence too: about 1.8x the time)")
    _backend_option(c)
    c.set_defaults(func=_classify)

    _trend_parser(sub)

    b = sub.add_parser("bench", help="score models and baselines on a labelled set")
    b.add_argument("data", nargs="?", help="labelled JSONL/CSV file or datasets save_to_disk directory")
    b.add_argument("--model", help="model directory or shipped model name (default: secnews-minilm-v1)")
    b.add_argument("--baselines", action="store_true", help="also score the lexicon, TF-IDF and zero-shot baselines")
    b.add_argument("--train", default="training/data/train.jsonl", help="training file for the baselines")
    b.add_argument("--out", help="directory for report.json, report.md and plots")
    b.add_argument("--speed", action="store_true", help="every backend against a plain transformers loop and this CPU's matmul ceiling")
    b.add_argument("--ablation", action="store_true", help="the torch speed changes one at a time (bf16, SDPA, padding multiple, threads, torch.compile)")
    b.add_argument("--batch-size", type=int, default=32, help="passages per forward pass")
    _backend_option(b)
    b.set_defaults(func=_bench)

    i = sub.add_parser("info", help="show the model's name, labels, thresholds and headline metrics")
    i.add_argument("--model", help="model directory or shipped model name (default: secnews-minilm-v1)")
    i.set_defaults(func=_info)

    k = sub.add_parser("check-backends", help="measure each backend's agreement with torch-fp32 and record it")
    k.add_argument("data", nargs="+", metavar="FILE", help="labelled or plain JSONL/CSV files (e.g. dev and test splits)")
    k.add_argument("--model", help="model directory or shipped model name (default: secnews-minilm-v1)")
    k.add_argument("--backends", nargs="*", help="backends to check (default: every installed one)")
    k.set_defaults(func=_check_backends)
    return parser


def _backend_option(parser: argparse.ArgumentParser) -> None:
    from .backends import BACKENDS

    parser.add_argument("--backend", default="auto", help="inference backend: auto (default), " + ", ".join(BACKENDS))


def _rows(args: argparse.Namespace) -> Iterator[Row]:
    """(where, row) for every input in order; a missing file fails here, before any work."""
    readers = [read_rows(name, args.input_format, passages=args.passages, pattern=args.glob) for name in args.paths]
    return chain.from_iterable(readers)


def _count(args: argparse.Namespace) -> int | None:
    """How many rows the inputs hold (None when one is stdin, which can be read only once)."""
    return None if "-" in args.paths else sum(1 for _ in _rows(args))


def _load(args: argparse.Namespace):
    from .classifier import Classifier

    return Classifier.load(args.model, backend=args.backend, batch_size=getattr(args, "batch_size", 32))


def _classify(args: argparse.Namespace) -> int:
    from . import jobs

    if args.evidence and (args.format or ("csv" if (args.output or "").lower().endswith(".csv") else "")) == "csv":
        raise CliError("--evidence is written in the table, json and jsonl formats, not csv")
    if args.output:
        return _classify_to_file(args)
    if args.resume or args.overwrite:
        raise CliError("--resume and --overwrite need --output FILE")
    records = args.input_format != "text"
    fmt = args.format or "table"
    total = _count(args)
    classifier = _load(args)
    stream = sys.stdout if records and fmt in ("jsonl", "csv") else None
    job = jobs.Job(classifier, text_field=_text_field(args), passages=args.passages, output=stream,
                   output_format=fmt if stream else None, skip_invalid=args.skip_invalid,
                   progress=(total or 0) >= PROGRESS_MIN, evidence=args.evidence)
    labelled = job.run_located(_rows(args), total=total)
    if stream is not None:
        count = sum(1 for _ in labelled)
    else:
        labelled = list(labelled)
        count = len(labelled)
    for rejected in job.rejected:
        print(f"secnews: skipped {rejected['where']}: {rejected['reason']}", file=sys.stderr)
    if not count and not job.rejected:
        raise CliError("no text to classify")
    if stream is None and records and fmt == "json":
        _write_json([record for _, record in labelled])
    elif stream is None:
        rows = [_legacy(where if records else r["source"], r[job.text_field], r[jobs.FIELD], args.passages)
                for where, r in labelled]
        _write(rows, fmt, classifier.threat_labels, args.passages)
    return 0


def _text_field(args: argparse.Namespace) -> str:
    return args.text_field if args.input_format != "text" else "text"


def _classify_to_file(args: argparse.Namespace) -> int:
    from . import jobs

    fmt = args.format or ("csv" if args.output.lower().endswith(".csv") else "jsonl")
    if fmt not in ("jsonl", "csv"):
        raise CliError("--output writes jsonl or csv (--format)")
    jobs.check_output(args.output, resume=args.resume, overwrite=args.overwrite)
    total = _count(args)
    job = jobs.Job(_load(args), text_field=_text_field(args), passages=args.passages, output=args.output, output_format=fmt,
                   resume=args.resume, overwrite=args.overwrite, skip_invalid=args.skip_invalid, progress=True,
                   evidence=args.evidence)
    for _ in job.run_located(_rows(args), total=total):
        pass
    stats = job.stats
    kept = f" ({stats.kept} kept from the earlier run)" if stats.kept else ""
    rejected = f"; {stats.rejected} rejected, see {jobs.rejected_path(args.output)}" if stats.rejected else ""
    print(f"secnews: {args.output}: {stats.kept + stats.written} records{kept}{rejected}", file=sys.stderr)
    return 0


def _legacy(source: str, text: str, labels: dict[str, Any], passages: bool) -> dict[str, Any]:
    """A row of the stdout formats for plain-text input: source, the passage text, the predictions."""
    labels = {k: v for k, v in labels.items() if k not in ("model", "backend")}
    return {"source": source, **({"text": text} if passages else {}), **labels}


def _write_json(records: list[dict[str, Any]]) -> None:
    json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _write(records: list[dict[str, Any]], fmt: str, threat_labels: list[str], passages: bool) -> None:
    out = sys.stdout
    if fmt == "json":
        _write_json(records)
    elif fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        rows = records if passages else [
            {"source": f"{r['source']}#{i}", **p} for r in records for i, p in enumerate(r["passages"], 1)
        ]
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(["source", "text", "threats", "stance", "cooperation", *threat_labels])
            for r in rows:
                writer.writerow([r["source"], r["text"], ";".join(r["threats"]), r["stance"], f"{r['cooperation']:.4f}",
                                 *(f"{r['threat_scores'][l]:.4f}" for l in threat_labels)])
        else:
            _table(records, rows, passages)


def _table(records: list[dict[str, Any]], rows: list[dict[str, Any]], passages: bool) -> None:
    if passages:
        _table_rows(rows)
        return
    for record in records:
        _table_rows([{**p, "source": f"#{i}"} for i, p in enumerate(record["passages"], 1)])
        print(f"= {record['source']}: article stance {record['stance']}, cooperation {_signed(record['cooperation'])}; "
              f"threats: {', '.join(record['threats']) or 'none'}\n")


def _table_rows(rows: list[dict[str, Any]]) -> None:
    source_width = min(28, max(6, *(len(r["source"]) for r in rows)))
    threat_width = max(7, *(len(", ".join(r["threats"])) for r in rows))
    print(f"{'source':<{source_width}} {'threats':<{threat_width}} {'stance':<11} {'coop':>5}  text")
    for r in rows:
        snippet = " ".join(r["text"].split())
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
        print(f"{r['source']:<{source_width}.{source_width}} {', '.join(r['threats']) or '-':<{threat_width}} "
              f"{r['stance']:<11} {_signed(r['cooperation'])}  {snippet}")
        for label, e in r.get("evidence", {}).items():
            print(f"{'':<{source_width}}   evidence {label} {e['score']:.2f}: “{_clip(e['text'], 90)}”")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _signed(value: float) -> str:
    return f"{0.0 if abs(value) < 0.005 else value:+.2f}"


def _info(args: argparse.Namespace) -> int:
    from .classifier import DEFAULT_MODEL_DIR

    from .model_dir import resolve

    directory = resolve(args.model) if args.model else DEFAULT_MODEL_DIR
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CliError(f"{directory}: not a secnews model directory (no config.json)")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    print(f"model:      {directory.name}  ({directory})")
    print(f"encoder:    {config['encoder'].get('model_type')}, {config['encoder'].get('num_hidden_layers')} layers, "
          f"hidden {config['encoder'].get('hidden_size')}; max {config['max_seq_length']} tokens per window")
    print("threats:    " + ", ".join(f"{l} (≥{t:.2f})" for l, t in zip(config["threat_labels"], config["threat_thresholds"])))
    print(f"stances:    {', '.join(config['stance_labels'])} (temperature {config['stance_temperature']:.3f})")
    print(f"languages:  {', '.join(config.get('languages') or ['not recorded'])}")
    metrics_path = directory / "metrics.json"
    if metrics_path.is_file():
        m = json.loads(metrics_path.read_text(encoding="utf-8"))
        t = m["test"]
        print(f"test split: threat micro-F1 {t['threat_micro_f1']:.3f}, macro-F1 {t['threat_macro_f1']:.3f}; "
              f"stance macro-F1 {t['stance_macro_f1']:.3f}, accuracy {t['stance_accuracy']:.3f} (n={t['n']})")
        for lang, r in m["test"].get("by_lang", {}).items():
            print(f"  test ({lang}): threat micro-F1 {r['threat_micro_f1']:.3f}, stance macro-F1 {r['stance_macro_f1']:.3f} (n={r['n']})")
        print(f"model card: model_cards/{m['model_name']}.md")
    return 0


def _check_backends(args: argparse.Namespace) -> int:
    from .backends import agreement
    from .classifier import DEFAULT_MODEL_DIR
    from .inputs import iter_records
    from .model_dir import ModelDir

    model = ModelDir.read(args.model or DEFAULT_MODEL_DIR)
    splits = {}
    for name in args.data:
        texts = [row["text"] for _, row in iter_records(name) if isinstance(row.get("text"), str) and row["text"].strip()]
        if not texts:
            raise CliError(f"{name}: no texts")
        splits[Path(name).stem] = texts
    record = agreement.measure(model, splits, args.backends)
    print(agreement.markdown(record))
    print(f"recorded in {model.path / 'backends.json'}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import runner

    if args.speed:
        from .bench import speed

        report = speed.speed(args.model, args.data, None if args.backend == "auto" else [args.backend])
        print(speed.markdown(report))
        if args.out:
            speed.write(report, args.out)
        return 0
    if args.ablation:
        from .bench import ablation

        report = ablation.ablation(args.model, args.data)
        print(ablation.markdown(report))
        if args.out:
            ablation.write(report, args.out)
        return 0
    if not args.data:
        raise CliError("bench needs DATA (a labelled file or directory), --speed or --ablation")
    report = runner.run(args.data, model=args.model, baselines=args.baselines, train_path=args.train,
                        out=args.out, batch_size=args.batch_size, backend=args.backend)
    print(runner.markdown(report))
    return 0


def _trend_parser(sub: Any) -> None:
    from .analysis import PERIODS, RESAMPLES

    t = sub.add_parser("trend", help="per-period threat shares and cooperation index of a classify job's output")
    t.add_argument("results", metavar="RESULTS", help="JSONL or CSV written by secnews classify --output")
    t.add_argument("--date-field", default="date", help="field holding each article's date (default: date)")
    t.add_argument("--by", choices=tuple(PERIODS), default="month", help="period length (default: month)")
    t.add_argument("--group-by", metavar="FIELD", help="one series per value of this field (e.g. outlet, lang)")
    t.add_argument("--out", metavar="DIR", help="write trend.csv, trend.json, cooperation.png and threats.png here")
    t.add_argument("--skip-invalid", action="store_true", help="skip and count records with a missing or unparseable date (or group)")
    t.add_argument("--model-name", help="model named in the plot caption (default: the one the records name)")
    t.add_argument("--resamples", type=int, default=RESAMPLES, help=f"bootstrap resamples (default: {RESAMPLES})")
    t.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    t.set_defaults(func=_trend)


def _trend(args: argparse.Namespace) -> int:
    try:
        from .analysis import trend
        from .analysis.trend_plots import plot_trend
    except ImportError as err:
        raise CliError(f"secnews trend needs pandas and matplotlib ({err.name} is missing): "
                       "pip install 'secnews[analysis]'") from None

    table = trend.trend(args.results, args.date_field, by=args.by, group_by=args.group_by,
                        skip_invalid=args.skip_invalid, resamples=args.resamples, seed=args.seed)
    if args.model_name:
        table.attrs["model"] = args.model_name
    if table.attrs["skipped"]:
        invalid = "date or group" if args.group_by else "date"
        print(f"secnews: skipped {table.attrs['skipped']} record(s) with no valid {invalid}, e.g. "
              f"{', '.join(table.attrs['skipped_at'][:3])}", file=sys.stderr)
    shown = table[["period", *([args.group_by] if args.group_by else []), "articles", "cooperation_mean",
                   "cooperation_low", "cooperation_high", "share_cooperative", "share_contentious"]]
    signed = {c: "{:+.2f}".format for c in ("cooperation_mean", "cooperation_low", "cooperation_high")}
    percent = {c: "{:.0%}".format for c in ("share_cooperative", "share_contentious")}
    print(shown.to_string(index=False, formatters={**signed, **percent}, na_rep="-"))
    if args.out:
        for path in trend.write_tables(table, args.out) + plot_trend(table, args.out):
            print(f"wrote {path}")
    return 0
