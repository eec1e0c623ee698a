import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTICLE = "Fuel thieves tapped a pipeline in Puebla.\n\nBoth nations agreed to share intelligence.\n"


def secnews(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "secnews", *map(str, args)], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return tiny_model_dir


def test_classify_article_file_as_json(model, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE)
    run = secnews("classify", path, "--model", model, "--format", "json")
    assert run.returncode == 0, run.stderr
    [record] = json.loads(run.stdout)
    assert record["source"] == str(path) and len(record["passages"]) == 2
    assert record["stance"] in ("cooperative", "contentious", "neutral")


def test_classify_passages_from_stdin_as_csv_and_table(model):
    run = secnews("classify", "-", "--passages", "--model", model, "--format", "csv", stdin="one line\n\ntwo line\n")
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [r["text"] for r in rows] == ["one line", "two line"] and rows[1]["source"] == "-:3"
    table = secnews("classify", "-", "--passages", "--model", model, stdin="hello there\n")
    assert table.returncode == 0 and "hello there" in table.stdout and "stance" in table.stdout


def test_classify_jsonl_with_text_field(model, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"body": "Agents found fentanyl."}) + "\n" + json.dumps({"body": "Peso rose."}) + "\n")
    run = secnews("classify", path, "--input-format", "jsonl", "--text-field", "body", "--passages",
                  "--model", model, "--format", "jsonl")
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["body"] for o in out] == ["Agents found fentanyl.", "Peso rose."]  # input fields pass through
    assert set(out[0]) == {"body", "secnews"} and out[0]["secnews"]["stance"] in ("cooperative", "contentious", "neutral")


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["classify", "missing.txt"], "missing.txt: no such file"),
        ("bad.jsonl", ["classify", "{p}", "--input-format", "jsonl"], "bad.jsonl:2: invalid JSON"),
        ("nofield.jsonl", ["classify", "{p}", "--input-format", "jsonl"], "nofield.jsonl:1: missing or empty field 'text'"),
        ("empty.txt", ["classify", "{p}"], "empty.txt: empty input"),
        ("latin1.txt", ["classify", "{p}"], "not UTF-8"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(model, tmp_path, setup, args, message):
    contents = {"bad.jsonl": b'{"text": "ok"}\n{broken\n', "nofield.jsonl": b'{"body": "x"}\n',
                "empty.txt": b"  \n", "latin1.txt": "Peña".encode("latin-1")}
    path = tmp_path / (setup or "none")
    if setup:
        path.write_bytes(contents[setup])
    run = secnews(*[a.format(p=path) for a in args], "--model", model)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_bad_model_dir(tmp_path):
    run = secnews("classify", "-", "--model", tmp_path, stdin="text\n")
    assert run.returncode == 2 and "not a secnews model directory" in run.stderr


def test_info(model):
    run = secnews("info", "--model", model)
    assert run.returncode == 0, run.stderr
    assert "drug_trafficking (≥" in run.stdout and "temperature" in run.stdout and "test split:" in run.stdout


def test_bench_from_the_command_line(model, corpus_dir, tmp_path):
    run = secnews("bench", corpus_dir / "test.jsonl", "--model", model, "--out", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert "| system |" in run.stdout and (tmp_path / "out" / "report.json").exists()
    missing = secnews("bench", "--model", model)
    assert missing.returncode == 2 and "bench needs DATA" in missing.stderr
