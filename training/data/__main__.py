"""`python -m training.data check [DIR]`: validate the corpus and print its statistics."""

from __future__ import annotations

import argparse
import sys

from .validate import DEFAULT_DIR, CorpusError, validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate train/dev/test.jsonl and print statistics")
    check.add_argument("directory", nargs="?", default=str(DEFAULT_DIR), help="corpus directory")
    args = parser.parse_args(argv)
    try:
        report = validate(args.directory)
    except CorpusError as err:
        print(err, file=sys.stderr)
        return 1
    print(report.statistics())
    return 0


if __name__ == "__main__":
    sys.exit(main())
