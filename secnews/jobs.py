"""Batch jobs: records (dicts) in, the same records with predictions out, in input order.

Records are classified in chunks of `chunk_size` consecutive input positions, one classifier call
per chunk, so a record's scores depend only on the input, the model and the backend. That is what
lets a resumed job write the same bytes as an uninterrupted one.

JSONL output: each input record's fields unchanged, plus `"secnews"`: the prediction's `to_dict()`
(without the text) and the `model` and `backend` names. CSV output: the input columns, then
`secnews.results.flat_columns()` (lists joined with ';'), `secnews_model` and `secnews_backend`.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator, Mapping, TextIO

from tqdm.auto import tqdm

from .inputs import InputError, Row, Unreadable, lone_surrogate, text_problem
from .results import PREFIX, ArticlePrediction, Prediction, flat_columns

if TYPE_CHECKING:
    from .classifier import Classifier

CHUNK_SIZE = 64  # records per classifier call, and per flush of the output file
FIELD = "secnews"  # the output record's key for the predictions
REJECTED_SUFFIX = ".rejected.jsonl"
META_COLUMNS = (f"{PREFIX}model", f"{PREFIX}backend")


class JobError(ValueError):
    """An output file that cannot be started or resumed, or input fields that clash with the output."""


@dataclass
class JobStats:
    """What a run did. `kept`: records found in the output file from an earlier run; `written`:
    records this run classified; `rejected`: invalid records set aside, an earlier run's included."""

    kept: int = 0
    written: int = 0
    rejected: int = 0


def rejected_path(output: str | Path) -> Path:
    """Where a job writing `output` sets invalid records aside."""
    return Path(f"{output}{REJECTED_SUFFIX}")


def check_output(output: str | Path, *, resume: bool = False, overwrite: bool = False) -> None:
    """Raise JobError unless a job may write `output` with these options (nothing is touched)."""
    path = Path(output)
    if resume and overwrite:
        raise JobError("resume and overwrite exclude each other")
    if path.is_dir():
        raise JobError(f"{path}: is a directory")
    if not path.parent.is_dir():
        raise JobError(f"{path.parent}: no such directory")
    if not (resume or overwrite):
        for existing in (path, rejected_path(path)):
            if existing.exists():
                raise JobError(f"{existing} exists: resume that job (--resume) or replace it (--overwrite)")


class Job:
    """Classify records chunk by chunk; optionally write them to a file (or stream) as it goes.

    `output`: a path (JSONL, or CSV when `output_format` is "csv" or the name ends in .csv), a
    text stream, or None to only yield. With a path, `resume=True` keeps the complete records an
    earlier run left there, drops a torn last line, and classifies the rest; an existing file is
    never replaced without `overwrite=True`. An invalid record (unreadable line, missing or empty
    text field, a value the output cannot hold) raises InputError naming it, after every earlier
    chunk is written; with `skip_invalid=True` it goes to `FILE.rejected.jsonl` instead (without
    a path: to `Job.rejected`). `passages=True` classifies each record's text as one passage
    rather than as an article. `evidence=True` adds each label's evidence sentence (JSONL only).
    """

    def __init__(self, classifier: "Classifier", *, text_field: str = "text", passages: bool = False,
                 output: str | Path | TextIO | None = None, output_format: str | None = None,
                 resume: bool = False, overwrite: bool = False, skip_invalid: bool = False,
                 chunk_size: int = CHUNK_SIZE, progress: bool = False, evidence: bool = False) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.classifier = classifier
        self.text_field = text_field
        self.passages = passages
        self.output = output
        self.resume = resume
        self.overwrite = overwrite
        self.skip_invalid = skip_invalid
        self.chunk_size = chunk_size
        self.progress = progress
        self.evidence = evidence
        self.meta = {"model": classifier.name, "backend": classifier.backend}
        is_path = isinstance(output, (str, Path))
        self.format_name = output_format or ("csv" if is_path and str(output).lower().endswith(".csv") else "jsonl")
        if self.format_name not in ("jsonl", "csv"):
            raise ValueError(f"output_format must be 'jsonl' or 'csv', got {output_format!r}")
        if is_path:
            check_output(output, resume=resume, overwrite=overwrite)
        self.stats = JobStats()
        self.rejected: list[dict[str, Any]] = []

    def run(self, records: Iterable[Mapping[str, Any]], *, total: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield each valid record with its predictions under "secnews", in input order.

        With resume, records already in the output file are not yielded again.
        """
        rows = ((f"record {i}", _as_row(record)) for i, record in enumerate(records, 1))
        for _, record in self.run_located(rows, total=total):
            yield record

    def run_located(self, rows: Iterable[Row], *, total: int | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """`run` for (where, row) pairs from the `secnews.inputs` readers; yields (where, record)."""
        fmt = _Csv(self) if self.format_name == "csv" else _Jsonl(self)
        sink = self._sink(fmt)
        bar = tqdm(total=total, unit="record", desc="secnews", disable=not self.progress)
        try:
            iterator = iter(rows)
            while chunk := list(islice(iterator, self.chunk_size)):
                yield from self._chunk([self._entry(where, row, fmt) for where, row in chunk], fmt, sink)
                bar.update(len(chunk))
            sink.finish()
        finally:
            sink.close()
            bar.close()
        self.stats.kept = sink.kept_count
        self.stats.rejected += sink.rejected_kept

    def _sink(self, fmt: "_Jsonl | _Csv") -> "_Sink":
        if isinstance(self.output, (str, Path)):
            return _FileSink(Path(self.output), fmt, resume=self.resume, overwrite=self.overwrite)
        return _Sink(fmt, self.output)

    def _entry(self, where: str, row: "dict[str, Any] | Unreadable", fmt: "_Jsonl | _Csv") -> "_Entry":
        if isinstance(row, Unreadable):
            return _Entry(where, None, row.reason, row.raw)
        clash = fmt.reserved & set(row)
        if clash:
            raise JobError(f"{where}: input field(s) {sorted(clash)} would clash with the predictions; rename or drop them")
        return _Entry(where, row, text_problem(row, self.text_field) or fmt.check(row))

    def _chunk(self, entries: list["_Entry"], fmt: "_Jsonl | _Csv", sink: "_Sink") -> Iterator[tuple[str, dict[str, Any]]]:
        todo = [e for e in entries if not sink.done(e)]
        bad = [e for e in todo if e.reason]
        if bad and not self.skip_invalid:
            raise InputError(f"{bad[0].where}: {bad[0].reason}")
        good = [e for e in entries if not e.reason]
        predictions = self._classify([e.fields[self.text_field] for e in good]) if len(bad) < len(todo) else []
        by_entry = {id(e): p for e, p in zip(good, predictions)}
        out = [(e, self._record(e.fields, by_entry[id(e)]), by_entry[id(e)]) for e in todo if not e.reason]
        rejected = [e.rejected() for e in bad]
        sink.write("".join(fmt.encode(record, p) for _, record, p in out), [_rejected_line(r) for r in rejected])
        if not isinstance(sink, _FileSink):
            self.rejected += rejected
        self.stats.written += len(out)
        self.stats.rejected += len(rejected)
        for entry, record, _ in out:
            yield entry.where, record

    def _classify(self, texts: list[str]) -> "list[Prediction] | list[ArticlePrediction]":
        if self.passages:
            return self.classifier.classify(texts, evidence=self.evidence)
        return self.classifier.classify_articles(texts, evidence=self.evidence)

    def _record(self, fields: dict[str, Any], prediction: "Prediction | ArticlePrediction") -> dict[str, Any]:
        labels = prediction.to_dict()
        labels.pop("text", None)
        return {**fields, FIELD: {**labels, **self.meta}}


def classify_records(records: Iterable[Mapping[str, Any]], classifier: "Classifier | None" = None, **options: Any) -> Iterator[dict[str, Any]]:
    """`Job(classifier, **options).run(records)`; the default classifier is the shipped model."""
    if classifier is None:
        from .classifier import default_classifier

        classifier = default_classifier()
    return Job(classifier, **options).run(records)


def _as_row(record: Any) -> "dict[str, Any] | Unreadable":
    if isinstance(record, Mapping):
        return dict(record)
    return Unreadable(f"expected a mapping (dict), got {type(record).__name__}", repr(record))


@dataclass
class _Entry:
    """One input position: the record's fields, or why it cannot be classified."""

    where: str
    fields: dict[str, Any] | None
    reason: str | None
    raw: Any = None

    def rejected(self) -> dict[str, Any]:
        extra = {"record": self.fields} if self.fields is not None else {"raw": self.raw} if self.raw is not None else {}
        return {"where": self.where, "reason": self.reason, **extra}


def _json_line(value: Any, **options: Any) -> str:
    """One JSON line: non-ASCII kept as is, unless the value holds lone surrogates (then escaped)."""
    line = json.dumps(value, ensure_ascii=False, **options)
    if lone_surrogate(line) is not None:
        line = json.dumps(value, **options)
    return line + "\n"


def _rejected_line(rejected: dict[str, Any]) -> str:
    try:
        return _json_line(rejected, default=repr)
    except (ValueError, RecursionError):
        return _json_line({"where": rejected["where"], "reason": rejected["reason"]})


class _Jsonl:
    """JSON Lines output: the input fields, then FIELD."""

    def __init__(self, job: Job) -> None:
        self.meta = job.meta
        self.reserved = {FIELD}

    def check(self, fields: dict[str, Any]) -> str | None:
        try:
            _json_line(fields)
        except (TypeError, ValueError, RecursionError) as err:
            return f"cannot be written as JSON: {err}"
        return None

    def header(self) -> str:
        return ""

    def encode(self, record: dict[str, Any], prediction: Any) -> str:
        return _json_line(record)

    def kept(self, path: Path) -> "_KeptReader":
        return _KeptLines(path)

    def matches(self, kept: "_Kept", entry: "_Entry") -> str | None:
        """Why the kept record is not what this job writes for `entry`, or None."""
        labels = kept.value.get(FIELD) if isinstance(kept.value, dict) else None
        if not isinstance(labels, dict) or _json_line({**entry.fields, FIELD: labels}) != kept.text:
            return _mismatch(entry)
        return _meta_problem({k: labels.get(k) for k in self.meta}, self.meta)


class _Csv:
    """CSV output: the input columns (those of the first record), then the prediction columns."""

    def __init__(self, job: Job) -> None:
        self.meta = job.meta
        clf = job.classifier
        example = Prediction(text="", threats=[], threat_scores=dict.fromkeys(clf.threat_labels, 0.0),
                             stance=clf.stance_labels[0], stance_scores=dict.fromkeys(clf.stance_labels, 0.0))
        self.ours = [*flat_columns(example), *META_COLUMNS]
        self.reserved = {FIELD, *self.ours}
        self.columns: list[Any] | None = None

    def check(self, fields: dict[str, Any]) -> str | None:
        if self.columns is not None and set(fields) != set(self.columns):
            extra, missing = sorted(map(str, set(fields) - set(self.columns))), sorted(map(str, set(self.columns) - set(fields)))
            return f"fields differ from the first record's (extra: {extra}, missing: {missing})"
        try:
            cells = [str(c) for c in fields] + [_input_cell(v) for v in fields.values()]
        except (TypeError, ValueError, RecursionError) as err:
            return f"cannot be written as CSV: {err}"
        if any(lone_surrogate(c) is not None for c in cells):
            return "holds a lone surrogate: cannot be written as UTF-8 CSV"
        if self.columns is None:
            self.columns = list(fields)
        return None

    def header(self) -> str:
        return _csv_line([str(c) for c in self.columns or []] + self.ours)

    def encode(self, record: dict[str, Any], prediction: Any) -> str:
        flat = [";".join(v) if isinstance(v, list) else v for v in flat_columns(prediction).values()]
        return _csv_line(self.input_cells(record) + flat + list(self.meta.values()))

    def input_cells(self, fields: dict[str, Any]) -> list[str]:
        return [_input_cell(fields[c]) for c in self.columns or []]

    def kept(self, path: Path) -> "_KeptReader":
        kept = _KeptCsv(path)
        if kept.header is not None:
            if kept.header[len(kept.header) - len(self.ours):] != self.ours:
                raise JobError(f"{path}:1: header does not end with this model's columns {self.ours}")
            self.columns = kept.header[: len(kept.header) - len(self.ours)]
        return kept

    def matches(self, kept: "_Kept", entry: "_Entry") -> str | None:
        """Why the kept row is not what this job writes for `entry`, or None."""
        if kept.value[: len(self.columns or [])] != self.input_cells(entry.fields):
            return _mismatch(entry)
        return _meta_problem(dict(zip(self.meta, kept.value[-len(META_COLUMNS):])), self.meta)


def _input_cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def _mismatch(entry: "_Entry") -> str:
    return f"does not match input {entry.where}: the input or the job's options changed since it was written"


def _meta_problem(found: dict[str, Any], wanted: dict[str, str]) -> str | None:
    if found == wanted:
        return None
    return (f"was written with model {found.get('model')!r} on backend {found.get('backend')!r}, "
            f"this job uses {wanted['model']!r} on {wanted['backend']!r}: resume with the same ones")


@dataclass
class _Kept:
    """One complete record found in an output file: its number, end offset, text and parsed value."""

    number: int
    end: int
    text: str
    value: Any


class _KeptReader:
    """The complete records of an earlier run's file, read one at a time; a torn tail is left out."""

    header: list[str] | None = None

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: BinaryIO | None = path.open("rb") if path.exists() else None
        self.end = 0  # byte offset just past the last record taken (or the header)
        self.taken = 0
        self._next: _Kept | None = None

    def peek(self) -> _Kept | None:
        if self._next is None and self.handle is not None:
            self._next = self._read()
            if self._next is None:
                self.close()
        return self._next

    def take(self) -> None:
        assert self._next is not None
        self.end = self._next.end
        self.taken += 1
        self._next = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _read(self) -> _Kept | None:
        raise NotImplementedError

    def _corrupt(self, number: int, what: str) -> JobError:
        return JobError(f"{self.path}:{number}: {what}; cannot resume (--overwrite starts again)")


class _KeptLines(_KeptReader):
    """Complete lines of a JSON Lines file."""

    number = 0
    offset = 0  # bytes read so far

    def _read(self) -> _Kept | None:
        assert self.handle is not None
        raw = self.handle.readline()
        if not raw.endswith(b"\n"):
            return None
        self.number += 1
        self.offset += len(raw)
        try:
            text = raw.decode("utf-8")
            return _Kept(self.number, self.offset, text, json.loads(text))
        except (ValueError, RecursionError):
            raise self._corrupt(self.number, "not a complete JSON record") from None


class _KeptCsv(_KeptReader):
    """Complete rows of a CSV output file; the first one is its header."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.offset = 0  # bytes handed to the csv reader so far
        self.last = b""
        self.reader = csv.reader(self._lines(), strict=True)
        first = self.peek()
        if first is not None:
            self.header = first.value
            self.take()
            self.taken = 0

    def _lines(self) -> Iterator[str]:
        for raw in self.handle or ():
            self.offset += len(raw)
            self.last = raw
            yield raw.decode("utf-8", "surrogateescape")

    def _read(self) -> _Kept | None:
        try:
            cells = next(self.reader)
        except StopIteration:
            return None
        except csv.Error as err:
            if "unexpected end of data" in str(err):
                return None
            raise self._corrupt(self.reader.line_num, f"bad CSV ({err})") from None
        if not self.last.endswith(b"\n"):
            return None
        if not self.last.endswith(b"\r\n") or (self.header is not None and len(cells) != len(self.header)):
            raise self._corrupt(self.reader.line_num, "not a complete row")
        return _Kept(self.reader.line_num, self.offset, "", cells)


class _Sink:
    """Where a job's records go without an output file: a text stream, or nowhere."""

    kept_count = 0
    rejected_kept = 0

    def __init__(self, fmt: "_Jsonl | _Csv", stream: TextIO | None = None) -> None:
        self.fmt = fmt
        self.stream = stream
        self.has_header = False

    def done(self, entry: _Entry) -> bool:
        """Whether an earlier run already wrote `entry` (resume)."""
        return False

    def write(self, text: str, rejected: list[str]) -> None:
        """Write one chunk's records (and rejected lines), then flush."""
        if text and not self.has_header:
            text = self.fmt.header() + text
            self.has_header = True
        if text:
            self._put(text)

    def _put(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()

    def finish(self) -> None:
        """Called once every input row is done."""

    def close(self) -> None:
        """Release files, whether the job ended or failed."""


class _FileSink(_Sink):
    """An output file (and its rejected file) written chunk by chunk, resumable."""

    def __init__(self, path: Path, fmt: "_Jsonl | _Csv", *, resume: bool, overwrite: bool) -> None:
        super().__init__(fmt)
        self.path = path
        self.rejected_path = rejected_path(path)
        if not (resume or overwrite):
            try:
                path.open("xb").close()
            except FileExistsError:
                raise JobError(f"{path} exists: resume that job (--resume) or replace it (--overwrite)") from None
        self.out: BinaryIO = path.open("ab")
        try:
            fcntl.flock(self.out, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by the kernel however the job ends
        except BlockingIOError:
            self.out.close()
            raise JobError(f"{path} is being written by another job") from None
        if not resume:
            self.out.truncate(0)
            self.rejected_path.unlink(missing_ok=True)
        self.kept = fmt.kept(path)
        self.kept_rejected = _KeptLines(self.rejected_path)
        self.resuming = True
        self.rej: BinaryIO | None = None

    def done(self, entry: _Entry) -> bool:
        if not self.resuming:
            return False
        reader = self.kept_rejected if entry.reason else self.kept
        kept = reader.peek()
        if kept is None:
            self._start_writing()
            return False
        problem = _rejected_problem(kept, entry) if entry.reason else self.fmt.matches(kept, entry)
        if problem:
            raise JobError(f"{reader.path}:{kept.number}: {problem} (--overwrite starts again)")
        reader.take()
        return True

    def _start_writing(self) -> None:
        """Cut both files after the last record kept (dropping any torn tail) and open them to append."""
        self.resuming = False
        self.kept.close()
        self.kept_rejected.close()
        self.kept_count, self.rejected_kept = self.kept.taken, self.kept_rejected.taken
        self.has_header = self.kept.header is not None
        self.out.truncate(self.kept.end)
        if self.kept_rejected.end:
            os.truncate(self.rejected_path, self.kept_rejected.end)
        else:
            self.rejected_path.unlink(missing_ok=True)

    def write(self, text: str, rejected: list[str]) -> None:
        if rejected:
            if self.rej is None:
                self.rej = self.rejected_path.open("ab")
            self.rej.write("".join(rejected).encode("utf-8"))
            self.rej.flush()
        super().write(text, rejected)

    def _put(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))
        self.out.flush()

    def finish(self) -> None:
        if self.resuming:
            if self.kept.peek() or self.kept_rejected.peek():
                raise JobError(f"{self.path} holds more records than the input; was it written from another input? "
                               "(--overwrite starts again)")
            self._start_writing()

    def close(self) -> None:
        for handle in (self.kept, self.kept_rejected, self.rej, self.out):
            if handle is not None:
                handle.close()


def _rejected_problem(kept: _Kept, entry: _Entry) -> str | None:
    """Why a kept rejected line is not the one this job writes for `entry`, or None."""
    want = json.loads(_rejected_line(entry.rejected()))
    found = kept.value if isinstance(kept.value, dict) else {}
    same = _json_line({k: v for k, v in found.items() if k != "where"}) == _json_line({k: v for k, v in want.items() if k != "where"})
    return None if same else _mismatch(entry)
