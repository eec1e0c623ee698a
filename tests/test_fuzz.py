"""Property-based robustness suite: arbitrary Unicode and bytes through every layer that takes input.

Each test asserts a result or the documented error, never a crash; Hypothesis's deadline catches
hangs. Most cases go to the cheap layers (segmentation, validation, readers), fewer through the
tiny model. Under CI (CI=true) the runs are derandomised, so a failure reproduces.
"""

import csv
import io
import json
import math
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secnews import Classifier
from secnews.inputs import InputError, Unreadable, as_text_list, csv_rows, jsonl_rows, lone_surrogate, read_rows, text_problem
from secnews.jobs import FIELD, Job, JobError
from secnews.segment import sentence_starts, split_paragraphs, windows


def fuzz(examples: int, seconds: float = 10):
    return settings(max_examples=examples, deadline=timedelta(seconds=seconds), database=None,
                    derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])


SPECIAL = ["", " ", "\t", "\n", "\r\n", "\r", "\n\n", "\x00", "\x07", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff",
           "\u200b", "\u202e", "\u0301", "\ud800", "\udfff", "😀", "👩‍👩‍👧", "مرحبا بالعالم. ", "שלום עולם", "中文文本。",
           "Текст. ", "¿Qué pasó? ¡Sí! ", ". ", "A. B. ", "...", "Sr. López", "“Quoted.” ", "x" * 300, "fentanyl "]
ANY_CHAR = st.characters(exclude_categories=())  # every code point: controls, lone surrogates, RTL marks, emoji
NASTY = st.lists(st.one_of(st.text(ANY_CHAR, max_size=30), st.sampled_from(SPECIAL)), max_size=25).map("".join)
SHORT = st.one_of(st.text(ANY_CHAR, max_size=8), st.sampled_from(SPECIAL))  # cheaper, for leaves and cells
CLEAN = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
LONG = ["x" * 200_000, "😀" * 200_000, ("A. " * 70_000)[:200_000], ("palabra שלום 😀\n" * 14_000)[:200_000],
        "\x00" * 200_000, " \n" * 100_000]
MODEL_LONG = ["x" * 200_000, "😀" * 200_000, ("Agents found fentanyl. " * 9_000)[:200_000]]
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | SHORT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(SHORT, inner, max_size=4),
                           max_leaves=12)


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def token_offsets(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\w+|[^\w\s]", text)]


def examples(*values):
    """Apply @example for each value (the long and odd inputs every run must survive)."""
    def wrap(test):
        for value in values:
            test = example(value)(test)
        return test
    return wrap


# --- segmentation -------------------------------------------------------------------------------

@fuzz(2500)
@given(NASTY)
@examples(*LONG)
def test_paragraphs_keep_every_word_and_sentences_start_in_order(text):
    paragraphs = split_paragraphs(text)
    assert all(p and p == " ".join(p.split()) for p in paragraphs)
    assert " ".join(paragraphs).split() == text.split()
    starts = sentence_starts(text)
    assert starts[0] == 0 and all(a < b <= len(text) for a, b in zip(starts, starts[1:]))


@fuzz(2500)
@given(NASTY, st.integers(1, 12))
@example(LONG[2], 7)
@example(LONG[3], 254)
def test_windows_keep_every_token_and_fit(text, max_tokens):
    parts = windows(text, token_offsets, max_tokens)
    assert [t for part in parts for t in tokens(part)] == tokens(text)
    assert all(0 < len(tokens(part)) <= max_tokens for part in parts)


# --- validation ---------------------------------------------------------------------------------

VALUES = st.one_of(NASTY, st.none(), st.integers(), st.floats(), st.binary(max_size=20),
                   st.lists(st.one_of(NASTY, st.none(), st.integers(), st.binary(max_size=5)), max_size=5),
                   st.tuples(NASTY, NASTY), st.dictionaries(CLEAN, NASTY, max_size=2))


@fuzz(3000)
@given(VALUES)
@examples(*LONG, ["ok", "\ud800"], ["ok", b"x"], bytearray(b"x"))
def test_validation_accepts_text_or_raises_the_documented_error(value):
    try:
        items, single = as_text_list(value)
    except TypeError as err:
        assert re.match(r"(expected a str or a sequence of str|item \d+ is \w+, expected str)", str(err))
    except ValueError as err:
        assert re.match(r"(text|item \d+) (is empty or whitespace only|holds a lone surrogate)", str(err))
    else:
        assert single == isinstance(value, str)
        assert all(text.strip() and lone_surrogate(text) is None for text in items)
    if isinstance(value, str):
        valid = bool(value.strip()) and lone_surrogate(value) is None
        assert (text_problem({"body": value}, "body") is None) == valid


# --- readers ------------------------------------------------------------------------------------

JSON_LINES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),  # ASCII, may hold escaped lone surrogates
    st.dictionaries(SHORT, JSON_VALUES, max_size=4).map(
        lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),  # raw surrogates: not UTF-8
    st.binary(max_size=60),
    st.integers(1, 2_000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([b"", b"\xef\xbb\xbf{}", b'{"text": "a"}\r', b"\xff\xfe", b"{}{}", b"null", b'{"a": NaN}',
                     b'{"n": ' + b"9" * 5_000 + b"}"]),
)
JSONL_FILES = st.tuples(st.lists(JSON_LINES, max_size=8), st.sampled_from([b"\n", b"\r\n"]), st.booleans()).map(
    lambda t: (b"\xef\xbb\xbf" if t[2] else b"") + t[1].join(t[0]))
SCRATCH = Path(tempfile.mkdtemp(prefix="secnews-fuzz-"))


@fuzz(1000)
@given(JSONL_FILES)
@example(b"[" * 100_000)
@example(b'{"text": "' + "😀".encode() * 100_000 + b'"}\n' * 3)
@example(b'{"t": "' + b"y" * 1_000_000 + b'", "deep": ' + b"[" * 500 + b"]" * 500 + b"}\r\n")
def test_jsonl_reader_yields_objects_or_unreadable_lines(data):
    got = list(jsonl_rows(io.BytesIO(data), "f"))
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    assert [n for n, _ in got] == [n for n, line in enumerate(lines, 1) if line.strip()]
    assert all(isinstance(row, (dict, Unreadable)) for _, row in got)
    path = SCRATCH / "in.jsonl"
    path.write_bytes(data)
    assert repr(list(read_rows(str(path), "jsonl"))) == repr([(f"{path}:{n}", row) for n, row in got])


def csv_bytes(header: list[str], rows: list[list[str]], terminator: str, bom: bool) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8", "surrogatepass")


TABLES = st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.lists(SHORT, min_size=width, max_size=width, unique=True),
    st.lists(st.lists(SHORT, min_size=width, max_size=width), max_size=5),
    st.sampled_from(["\r\n", "\n"]), st.booleans()))


@fuzz(700)
@given(TABLES)
def test_csv_reader_round_trips_tables_or_names_the_line(table):
    header, rows, terminator, bom = table
    data = csv_bytes(header, rows, terminator, bom)
    try:
        got = list(csv_rows(io.BytesIO(data), "f"))
    except InputError as err:
        assert re.match(r"f:\d+: (not UTF-8 text|column .* appears twice)", str(err))
        return
    assert all(isinstance(row, (dict, Unreadable)) for _, row in got)
    cells = header + [cell for row in rows for cell in row]
    if (terminator == "\r\n" or "\r" not in "".join(cells)) and header != [""] and not header[0].startswith("\ufeff"):
        # (the csv module writes a lone \r bare; a blank header line is skipped; a leading U+FEFF is a BOM)
        assert [row for _, row in got] == [dict(zip(header, row)) for row in rows]


@fuzz(800)
@given(st.binary(max_size=200))
@example(b"a,b\r\n\"unterminated\r\n")
@example(b"a,b\n1,\x00,2\n" + b"z" * 200_000)
def test_csv_reader_survives_arbitrary_bytes(data):
    try:
        got = list(csv_rows(io.BytesIO(data), "f"))
    except InputError as err:
        assert re.match(r"f:\d+: (not UTF-8 text|column .* appears twice)", str(err))
    else:
        assert all(isinstance(row, (dict, Unreadable)) for _, row in got)


# --- the tiny model -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return Classifier.load(tiny_model_dir, backend="torch-fp32")


def check_labels(clf, labels: dict) -> None:
    """`labels`: a prediction's to_dict(), or a job record's "secnews" value."""
    assert set(labels["threat_scores"]) == set(clf.threat_labels)
    assert all(0.0 <= v <= 1.0 for v in labels["threat_scores"].values())
    assert abs(sum(labels["stance_scores"].values()) - 1.0) < 1e-4 and math.isfinite(labels["cooperation"])
    assert labels["stance"] in clf.stance_labels and set(labels["threats"]) <= set(clf.threat_labels)


def acceptable(value) -> bool:
    return isinstance(value, str) and bool(value.strip()) and lone_surrogate(value) is None


@fuzz(300, seconds=60)
@given(st.one_of(NASTY, NASTY, NASTY, st.none(), st.integers(), st.binary(max_size=8)))
@examples(*MODEL_LONG, "\x00", "\ufeff", "\u202eevil", "\ud800")
def test_classify_gives_a_prediction_or_the_documented_error(clf, text):
    try:
        prediction = clf.classify(text)
    except TypeError:
        assert not isinstance(text, str)
    except ValueError:
        assert isinstance(text, str) and not acceptable(text)
    else:
        assert acceptable(text) and prediction.text == text
        check_labels(clf, prediction.to_dict())


@fuzz(200, seconds=60)
@given(st.one_of(NASTY, NASTY, NASTY, st.none(), st.lists(NASTY, max_size=2)))
@examples(*MODEL_LONG, "a\n\nb\r\n\r\nc", "\n\n\n", "\x00\n\n\x00")
def test_classify_article_gives_a_prediction_or_the_documented_error(clf, text):
    try:
        article = clf.classify_article(text)
    except TypeError:
        assert not isinstance(text, str)
    except ValueError:
        assert isinstance(text, str) and not acceptable(text)
    else:
        assert acceptable(text) and [p.text for p in article.passages] == split_paragraphs(text)
        check_labels(clf, article.to_dict())
        for p in article.passages:
            check_labels(clf, p.to_dict())


RECORDS = st.lists(st.dictionaries(SHORT, JSON_VALUES, max_size=3).flatmap(
    lambda d: st.one_of(NASTY, st.none(), st.integers()).map(lambda text: {**d, "body": text})), max_size=6)


@fuzz(100, seconds=60)
@given(RECORDS, st.sampled_from(["jsonl", "csv"]), st.booleans())
def test_jobs_label_valid_records_and_set_the_rest_aside(clf, records, fmt, passages):
    stream = io.StringIO()
    job = Job(clf, text_field="body", passages=passages, output=stream, output_format=fmt, skip_invalid=True, chunk_size=4)
    try:
        out = list(job.run(records))
    except JobError as err:
        assert "would clash with the predictions" in str(err)
        return
    assert len(out) + len(job.rejected) == len(records)
    assert all(acceptable(r["body"]) for r in out)
    assert all(not acceptable(r["record"]["body"]) or "cannot be written" in r["reason"] or "fields differ" in r["reason"]
               or "lone surrogate" in r["reason"] for r in job.rejected)
    if fmt == "jsonl":
        written = [json.loads(line) for line in stream.getvalue().split("\n")[:-1]]  # not splitlines(): U+2028 and co.
        assert [json.dumps(w) for w in written] == [json.dumps(o) for o in out]
    else:
        assert len(list(csv.reader(io.StringIO(stream.getvalue(), newline="")))) == (len(out) + 1 if out else 0)
    for record in out:
        check_labels(clf, record[FIELD])
