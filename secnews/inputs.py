"""Input validation for texts, and readers: plain text, folders, JSONL, CSV, `datasets` dirs.

Record readers yield `(where, row)`: `where` is "file:line" and `row` a dict, or an `Unreadable`
for a line that cannot be read as a record (the reader goes on after it).
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Sequence

CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default (128 KiB per cell) is too small for articles


class InputError(ValueError):
    """A bad input file or record; the message names the file and line."""


@dataclass(frozen=True)
class Unreadable:
    """A line or file that could not be read as a record: why, and its raw content if any."""

    reason: str
    raw: Any = None


Row = tuple[str, "dict[str, Any] | Unreadable"]


def as_text_list(texts: Any) -> tuple[list[str], bool]:
    """Validate `texts` (one string or a sequence of strings); return (list, was_single).

    Non-strings raise TypeError; empty or whitespace-only text, or text holding a lone
    surrogate (not valid Unicode), raises ValueError naming the item.
    """
    if isinstance(texts, str):
        _check_text(texts, None)
        return [texts], True
    if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Sequence):
        raise TypeError(f"expected a str or a sequence of str, got {type(texts).__name__}")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"item {i} is {type(text).__name__}, expected str")
        _check_text(text, i)
    return items, False


def _check_text(text: str, index: int | None) -> None:
    where = "text" if index is None else f"item {index}"
    if not text.strip():
        raise ValueError(f"{where} is empty or whitespace only")
    surrogate = lone_surrogate(text)
    if surrogate is not None:
        raise ValueError(f"{where} holds a lone surrogate at index {surrogate}: not valid Unicode")


def lone_surrogate(text: str) -> int | None:
    """Index of the first lone surrogate in `text` (which UTF-8 cannot encode), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return err.start
    return None


def text_problem(row: dict[str, Any], text_field: str) -> str | None:
    """Why `row[text_field]` cannot be classified, or None when it can."""
    text = row.get(text_field)
    if text is not None and not isinstance(text, str):
        return f"field {text_field!r} is {type(text).__name__}, expected a string"
    if text is None or not text.strip():
        return f"missing or empty field {text_field!r}"
    surrogate = lone_surrogate(text)
    if surrogate is not None:
        return f"field {text_field!r} holds a lone surrogate at index {surrogate}: not valid Unicode"
    return None


def text_rows(name: str, *, passages: bool = False, source: str | None = None) -> Iterator[Row]:
    """One {"source", "text"} row for a text file ('-': stdin), or one per non-blank line with `passages`.

    A file that is not UTF-8 or holds no text is Unreadable; a missing one raises InputError.
    """
    source = source or name
    data = sys.stdin.buffer.read() if name == "-" else _read_bytes(Path(name))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        yield name, Unreadable(f"not UTF-8 text (byte {err.start})")
        return
    if not passages:
        yield name, ({"source": source, "text": text} if text.strip() else Unreadable("empty input"))
        return
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if line.strip():
            yield f"{name}:{number}", {"source": f"{source}:{number}", "text": line.strip()}


def folder_rows(directory: str | Path, pattern: str = "**/*.txt", *, passages: bool = False) -> Iterator[Row]:
    """text_rows for each file under `directory` matching `pattern`, sorted; `source` is the relative path."""
    directory = Path(directory)
    paths = sorted((p for p in directory.glob(pattern) if p.is_file()), key=lambda p: p.relative_to(directory).as_posix())
    for path in paths:
        yield from text_rows(str(path), passages=passages, source=path.relative_to(directory).as_posix())


def read_rows(name: str, input_format: str, *, passages: bool = False, pattern: str = "**/*.txt") -> Iterator[Row]:
    """Rows from one input: `input_format` "text" (a file, '-' or a folder), "jsonl" or "csv".

    A missing file raises InputError at once; the rows are read lazily.
    """
    path = Path(name)
    if name != "-" and not path.exists():
        raise InputError(f"{name}: no such file")
    if input_format == "text":
        return folder_rows(path, pattern, passages=passages) if path.is_dir() else text_rows(name, passages=passages)
    if path.is_dir():
        raise InputError(f"{name}: is a directory, expected a {input_format.upper()} file")
    label = "<stdin>" if name == "-" else name
    reader = jsonl_rows if input_format == "jsonl" else csv_rows
    return ((f"{label}:{number}", row) for number, row in reader(_binary_lines(name), label))


def _binary_lines(name: str) -> Iterator[bytes]:
    if name == "-":
        yield from sys.stdin.buffer
        return
    with _open(Path(name)) as handle:
        yield from handle


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; InputError names file:line."""
    path = Path(path)
    with _open(path) as handle:
        for number, row in jsonl_rows(handle, str(path)):
            if isinstance(row, Unreadable):
                raise InputError(f"{path}:{number}: {row.reason}")
            yield number, row


def jsonl_rows(lines: Iterable[bytes], name: str) -> Iterator[tuple[int, "dict[str, Any] | Unreadable"]]:
    """(line number, object or Unreadable) for each non-blank line of UTF-8 JSON Lines."""
    for number, raw in enumerate(lines, 1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            yield number, Unreadable(f"not UTF-8 text (byte {err.start})", raw.decode("utf-8", "replace"))
            continue
        yield number, _json_object(line)


def _json_object(line: str) -> "dict[str, Any] | Unreadable":
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return Unreadable(f"invalid JSON: {err.msg}", line)
    except RecursionError:
        return Unreadable("invalid JSON: nested too deeply", line)
    except ValueError as err:  # e.g. an integer longer than Python converts
        return Unreadable(f"invalid JSON: {err}", line)
    if not isinstance(row, dict):
        return Unreadable(f"expected a JSON object, got {type(row).__name__}", line)
    return row


def csv_rows(lines: Iterable[bytes], name: str) -> Iterator[tuple[int, "dict[str, Any] | Unreadable"]]:
    """(first line number, row or Unreadable) for each data row of a UTF-8 CSV file with a header.

    Short rows are filled with None; a row with more cells than the header is Unreadable.
    Non-UTF-8 bytes or a bad header raise InputError. Raises the csv module's cell-size limit.
    """
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.reader(_decoded(lines, name), strict=True)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield start, Unreadable(f"bad CSV: {err}")
            continue
        if not cells:
            continue
        if header is None:
            header = _header(cells, f"{name}:{start}")
        elif len(cells) > len(header):
            yield start, Unreadable("more cells than header columns", cells)
        else:
            yield start, dict(zip(header, cells + [None] * (len(header) - len(cells))))


def _decoded(lines: Iterable[bytes], name: str) -> Iterator[str]:
    for number, raw in enumerate(lines, 1):
        try:
            yield (raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{name}:{number}: not UTF-8 text (byte {err.start})") from None


def _header(cells: list[str], where: str) -> list[str]:
    seen: set[str] = set()
    for cell in cells:
        if cell in seen:
            raise InputError(f"{where}: column {cell!r} appears twice in the header")
        seen.add(cell)
    return cells


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open(path) as handle:
        for number, row in csv_rows(handle, str(path)):
            if isinstance(row, Unreadable):
                raise InputError(f"{path}:{number}: {row.reason}")
            if row.get("threats") is not None:
                row["threats"] = _threat_cell(row["threats"], f"{path}:{number}")
            yield number, row


def _threat_cell(cell: str, where: str) -> Any:
    cell = cell.strip()
    if not cell.startswith("["):
        return [t.strip() for t in cell.replace(",", ";").split(";") if t.strip()]
    try:
        return json.loads(cell)
    except (ValueError, RecursionError):
        raise InputError(f"{where}: 'threats' is not a JSON list") from None


def _open(path: Path) -> BinaryIO:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file")
    try:
        return path.open("rb")
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None


def _read_bytes(path: Path) -> bytes:
    with _open(path) as handle:
        try:
            return handle.read()
        except OSError as err:
            raise InputError(f"{path}: cannot read: {err.strerror}") from None


@dataclass
class LabelledSet:
    """Texts with gold threats and/or stances; `notes` says what the set lacks."""

    name: str
    texts: list[str]
    threats: list[list[str]] | None
    stances: list[str] | None
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


def iter_records(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ("file:line", row) from a JSONL or CSV file, or a `datasets` save_to_disk dir."""
    path = Path(path)
    if path.is_dir():
        if not (path / "dataset_info.json").exists() and not (path / "dataset_dict.json").exists():
            raise InputError(f"{path}: directory is not a `datasets` save_to_disk directory")
        import datasets

        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            raise InputError(f"{path}: holds several splits ({', '.join(loaded)}); name one split's directory")
        for index, row in enumerate(loaded):
            yield f"{path}[{index}]", dict(row)
        return
    rows = _read_csv(path) if path.suffix.lower() == ".csv" else read_jsonl(path)
    for number, row in rows:
        yield f"{path}:{number}", row


def parse_gold(
    where: str, row: dict[str, Any], threat_labels: Sequence[str], stance_labels: Sequence[str]
) -> tuple[str, list[str] | None, str | None]:
    """Check one labelled row; return (text, threats or None, stance or None)."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: missing or empty 'text'")
    threats = row.get("threats")
    if threats is not None:
        if not isinstance(threats, list) or not all(isinstance(t, str) for t in threats):
            raise InputError(f"{where}: 'threats' must be a list of label strings")
        unknown = sorted(set(threats) - set(threat_labels))
        if unknown:
            raise InputError(f"{where}: unknown threat label(s) {unknown}; known: {list(threat_labels)}")
        if len(set(threats)) != len(threats):
            raise InputError(f"{where}: 'threats' repeats a label")
    stance = row.get("stance")
    if stance is not None and stance not in stance_labels:
        raise InputError(f"{where}: unknown stance {stance!r}; known: {list(stance_labels)}")
    return text, threats, stance


def read_labelled(
    path: str | Path, threat_labels: Sequence[str], stance_labels: Sequence[str]
) -> LabelledSet:
    """Read a labelled set; every row must carry the same label fields (threats, stance or both)."""
    texts: list[str] = []
    threats: list[list[str] | None] = []
    stances: list[str | None] = []
    for where, row in iter_records(path):
        text, gold_threats, gold_stance = parse_gold(where, row, threat_labels, stance_labels)
        if texts and (gold_threats is None) != (threats[0] is None):
            raise InputError(f"{where}: 'threats' present on some rows and missing on others")
        if texts and (gold_stance is None) != (stances[0] is None):
            raise InputError(f"{where}: 'stance' present on some rows and missing on others")
        if not texts and gold_threats is None and gold_stance is None:
            raise InputError(f"{where}: row has neither 'threats' nor 'stance' labels")
        texts.append(text)
        threats.append(gold_threats)
        stances.append(gold_stance)
    if not texts:
        raise InputError(f"{path}: no labelled rows")
    notes = []
    has_threats = threats[0] is not None
    has_stance = stances[0] is not None
    if not has_threats:
        notes.append("no 'threats' field: threat metrics skipped")
    if not has_stance:
        notes.append("no 'stance' field: stance metrics skipped")
    return LabelledSet(
        name=str(path),
        texts=texts,
        threats=threats if has_threats else None,  # type: ignore[arg-type]
        stances=stances if has_stance else None,  # type: ignore[arg-type]
        notes=notes,
    )
