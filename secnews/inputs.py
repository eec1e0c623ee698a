"""Input validation for texts, and readers for labelled files (JSONL, CSV, `datasets` dirs)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence


class InputError(ValueError):
    """A bad input file or record; the message names the file and line."""


def as_text_list(texts: Any) -> tuple[list[str], bool]:
    """Validate `texts` (one string or a sequence of strings); return (list, was_single)."""
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
    if not text.strip():
        where = "text" if index is None else f"item {index}"
        raise ValueError(f"{where} is empty or whitespace only")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; InputError names file:line."""
    path = Path(path)
    with _open(path) as handle:
        yield from parse_jsonl(handle, str(path))


def parse_jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parse JSON Lines from any iterable of lines; errors name `name`:line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{name}:{number}: invalid JSON: {err.msg}") from None
        if not isinstance(row, dict):
            raise InputError(f"{name}:{number}: expected a JSON object, got {type(row).__name__}")
        yield number, row


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if None in row:
                raise InputError(f"{path}:{reader.line_num}: more cells than header columns")
            threats = row.get("threats")
            if threats is not None:
                threats = threats.strip()
                row["threats"] = json.loads(threats) if threats.startswith("[") else [
                    t.strip() for t in threats.replace(",", ";").split(";") if t.strip()
                ]
            yield reader.line_num, row


def _open(path: Path, **kwargs: Any):
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file")
    try:
        return path.open(encoding="utf-8", **kwargs)
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
