"""`python -m training.data check [DIR]`: validate the corpus and print its statistics (overall and per language).
`python -m training.data agree [FILE ...] [--data-dir DIR]`: agreement of a second annotation with it."""

from __future__ import annotations

import argparse
import sys

from secnews.inputs import InputError

from .agreement import SECOND_ANNOTATION, agreement, markdown
from .validate import DEFAULT_DIR, CorpusError, validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate train/dev/test.jsonl and print statistics")
    check.add_argument("directory", nargs="?", default=str(DEFAULT_DIR), help="corpus directory")
    agree = sub.add_parser("agree", help="score a second annotation against the corpus labels")
    agree.add_argument("annotation", nargs="*", default=[str(p) for p in SECOND_ANNOTATION],
                       help="JSONL files with id, threats, stance per line (default: the committed second "
                            "annotations of dev and test, English and Spanish)")
    agree.add_argument("--data-dir", default=str(DEFAULT_DIR), help="corpus directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "agree":
            print(markdown(agreement(args.annotation, args.data_dir)))
        else:
            print(validate(args.directory).statistics())
    except (CorpusError, InputError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
