"""Command line: `secnews classify | bench | info`. Argument parsing, I/O formats, exit codes."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from .inputs import InputError, parse_jsonl, read_jsonl

PROGRESS_MIN = 64  # show a progress bar from this many passages on


class CliError(Exception):
    """An error reported as one line on stderr with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CliError, InputError, FileNotFoundError, ValueError, TypeError) as err:
        print(f"secnews: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secnews", description="Label US–Mexico security news by threat type and cooperation stance.")
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("classify", help="classify articles or passages from files or stdin")
    c.add_argument("paths", nargs="+", metavar="PATH", help="input files; '-' reads stdin")
    c.add_argument("--passages", action="store_true", help="each line (or JSONL record) is one passage, not an article")
    c.add_argument("--input-format", choices=("text", "jsonl"), default="text", help="plain text (default) or JSON Lines")
    c.add_argument("--text-field", default="text", help="JSONL field holding the text (default: text)")
    c.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table", help="output format")
    c.add_argument("--model", help="model directory (default: the shipped model)")
    c.add_argument("--batch-size", type=int, default=32, help="passages per forward pass")
    c.set_defaults(func=_classify)

    b = sub.add_parser("bench", help="score models and baselines on a labelled set")
    b.add_argument("data", nargs="?", help="labelled JSONL/CSV file or datasets save_to_disk directory")
    b.add_argument("--model", help="model directory (default: the shipped model)")
    b.add_argument("--baselines", action="store_true", help="also score the lexicon, TF-IDF and zero-shot baselines")
    b.add_argument("--train", default="training/data/train.jsonl", help="training file for the baselines")
    b.add_argument("--out", help="directory for report.json, report.md and plots")
    b.add_argument("--speed", action="store_true", help="compare Classifier speed with a plain transformers loop")
    b.add_argument("--batch-size", type=int, default=32, help="passages per forward pass")
    b.set_defaults(func=_bench)

    i = sub.add_parser("info", help="show the model's name, labels, thresholds and headline metrics")
    i.add_argument("--model", help="model directory (default: the shipped model)")
    i.set_defaults(func=_info)
    return parser


def _read_units(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(source, text) units: articles, or passages with --passages."""
    units: list[tuple[str, str]] = []
    for name in args.paths:
        if args.input_format == "jsonl":
            units += _jsonl_units(name, args.text_field)
            continue
        text = _read_text(name)
        if args.passages:
            units += [(f"{name}:{n}", line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        elif text.strip():
            units.append((name, text))
        else:
            raise CliError(f"{name}: empty input")
    if not units:
        raise CliError("no text to classify")
    return units


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if not path.exists():
        raise CliError(f"{name}: no such file")
    if path.is_dir():
        raise CliError(f"{name}: is a directory")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise CliError(f"{name}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise CliError(f"{name}: cannot read: {err.strerror}") from None


def _jsonl_units(name: str, field: str) -> list[tuple[str, str]]:
    rows = parse_jsonl(io.StringIO(sys.stdin.read()), "<stdin>") if name == "-" else read_jsonl(name)
    units = []
    for number, row in rows:
        text = row.get(field)
        if not isinstance(text, str) or not text.strip():
            raise CliError(f"{name}:{number}: missing or empty field {field!r}")
        units.append((f"{name}:{number}", text))
    return units


def _load(args: argparse.Namespace):
    from .classifier import Classifier

    return Classifier.load(args.model, batch_size=getattr(args, "batch_size", 32))


def _classify(args: argparse.Namespace) -> int:
    units = _read_units(args)
    classifier = _load(args)
    sources, texts = [u[0] for u in units], [u[1] for u in units]
    if args.passages:
        results = classifier.classify(texts, progress=len(texts) >= PROGRESS_MIN)
    else:
        results = classifier.classify_articles(texts, progress=len(texts) >= PROGRESS_MIN // 8)
    records = [{"source": s, **r.to_dict()} for s, r in zip(sources, results)]
    _write(records, args.format, classifier.threat_labels, args.passages)
    return 0


def _write(records: list[dict[str, Any]], fmt: str, threat_labels: list[str], passages: bool) -> None:
    out = sys.stdout
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
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


def _signed(value: float) -> str:
    return f"{0.0 if abs(value) < 0.005 else value:+.2f}"


def _info(args: argparse.Namespace) -> int:
    from .classifier import DEFAULT_MODEL_DIR

    directory = Path(args.model) if args.model else DEFAULT_MODEL_DIR
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CliError(f"{directory}: not a secnews model directory (no config.json)")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    print(f"model:      {directory.name}  ({directory})")
    print(f"encoder:    {config['encoder'].get('model_type')}, {config['encoder'].get('num_hidden_layers')} layers, "
          f"hidden {config['encoder'].get('hidden_size')}; max {config['max_seq_length']} tokens per window")
    print("threats:    " + ", ".join(f"{l} (≥{t:.2f})" for l, t in zip(config["threat_labels"], config["threat_thresholds"])))
    print(f"stances:    {', '.join(config['stance_labels'])} (temperature {config['stance_temperature']:.3f})")
    metrics_path = directory / "metrics.json"
    if metrics_path.is_file():
        m = json.loads(metrics_path.read_text(encoding="utf-8"))
        t = m["test"]
        print(f"test split: threat micro-F1 {t['threat_micro_f1']:.3f}, macro-F1 {t['threat_macro_f1']:.3f}; "
              f"stance macro-F1 {t['stance_macro_f1']:.3f}, accuracy {t['stance_accuracy']:.3f} (n={t['n']})")
        print(f"model card: model_cards/{m['model_name']}.md")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import runner

    if args.speed:
        report = runner.speed(args.model, args.data)
        print(runner.speed_markdown(report))
        if args.out:
            runner.write_json(report, Path(args.out) / "speed.json")
        return 0
    if not args.data:
        raise CliError("bench needs DATA (a labelled file or directory), or --speed")
    report = runner.run(args.data, model=args.model, baselines=args.baselines, train_path=args.train,
                        out=args.out, batch_size=args.batch_size)
    print(runner.markdown(report))
    return 0
