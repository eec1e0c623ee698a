import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secnews import Classifier
from secnews.cli import main
from secnews.inputs import InputError, read_rows
from secnews.jobs import CHUNK_SIZE, FIELD, Job, JobError, rejected_path
from secnews.results import flat_columns

REPO = Path(__file__).resolve().parents[1]
PARAGRAPHS = [
    "Marines seized forty kilos of fentanyl pills at a warehouse in Culiacán.",
    "Both governments agreed to share intelligence on synthetic drug labs.",
    "Mexico blamed lax American gun laws for the rifles smuggled south.",
    "Thieves drilled an illegal tap into a Pemex pipeline in Hidalgo.",
    "Smugglers packed migrants into a stash house near the border.",
    "The peso rose after the central bank held interest rates.",
]


def article(i: int, paragraphs: int = 2) -> str:
    return "\n\n".join(f"{PARAGRAPHS[(i + j) % len(PARAGRAPHS)]} Report {i}." for j in range(paragraphs))


def export(n: int) -> list[dict]:
    """Records shaped like an analyst's export: id, date, url, outlet, body."""
    return [{"id": f"a{i}", "date": f"2024-01-{i % 28 + 1:02d}", "url": f"https://example.org/{i}",
             "outlet": ["Wire", "Diario", "Heraldo"][i % 3], "body": article(i, 1 + i % 3)} for i in range(n)]


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return Classifier.load(tiny_model_dir, backend="torch-fp32")


def job(clf, **options):
    return Job(clf, text_field="body", chunk_size=3, **options)


def test_records_come_back_unchanged_with_predictions_in_order(clf):
    records = export(7)
    out = list(job(clf).run(records))
    assert [{k: v for k, v in o.items() if k != FIELD} for o in out] == records
    labels = out[0][FIELD]
    assert set(labels) == {"threats", "threat_scores", "stance", "stance_scores", "cooperation", "passages", "model", "backend"}
    assert labels["backend"] == "torch-fp32" and [len(o[FIELD]["passages"]) for o in out[:3]] == [1, 2, 3]
    passages = list(job(clf, passages=True).run(records[:2]))
    assert "passages" not in passages[0][FIELD] and "text" not in passages[0][FIELD]


def test_scores_depend_only_on_input_position(clf):
    records = export(7)
    whole = list(job(clf).run(records))
    chunks = [clf.classify_articles([r["body"] for r in records[i : i + 3]]) for i in range(0, 7, 3)]
    expected = [p.to_dict() for chunk in chunks for p in chunk]
    assert [{k: v for k, v in o[FIELD].items() if k not in ("model", "backend")} for o in whole] == expected


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run_file(clf, source: Path, output: Path, **options) -> Job:
    j = job(clf, output=output, **options)
    list(j.run_located(read_rows(str(source), "jsonl")))
    return j


def cut_points(data: bytes) -> list[int]:
    """Offsets to cut a finished file at: every record boundary, one byte either side, mid-record."""
    ends = [i + 1 for i, b in enumerate(data) if b == ord("\n")]
    starts = [0] + ends[:-1]
    points = {0, len(data) - 1} | set(ends) | {e - 1 for e in ends} | {e + 1 for e in ends}
    points |= {(s + e) // 2 for s, e in zip(starts, ends)}
    return sorted(p for p in points if 0 <= p < len(data))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_any_cut_writes_the_same_bytes(clf, tmp_path, fmt):
    records = export(8)
    records[4] = {**records[4], "body": ""}  # rejected: the rejected file must resume too
    records[1]["body"] = 'Quotes "inside", commas,\r\nand a CRLF — ñ 😀 in a multi-line cell.'
    source = write_jsonl(tmp_path / "in.jsonl", records)
    full = tmp_path / f"full.{fmt}"
    first = run_file(clf, source, full, skip_invalid=True)
    assert (first.stats.written, first.stats.rejected) == (7, 1)
    data, rejected = full.read_bytes(), rejected_path(full).read_bytes()
    for cut in cut_points(data):
        out = tmp_path / f"cut{cut}.{fmt}"
        out.write_bytes(data[:cut])
        rejected_path(out).write_bytes(rejected if cut > len(data) // 2 else b"")
        resumed = run_file(clf, source, out, skip_invalid=True, resume=True)
        assert out.read_bytes() == data, f"cut at byte {cut}"
        assert rejected_path(out).read_bytes() == rejected
        assert resumed.stats.kept + resumed.stats.written == 7 and resumed.stats.rejected == 1


def test_csv_output_flattens_predictions(clf, tmp_path):
    records = export(4)
    out = tmp_path / "out.csv"
    run_file(clf, write_jsonl(tmp_path / "in.jsonl", records), out)
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    predictions = clf.classify_articles([r["body"] for r in records[:3]])
    flat = flat_columns(predictions[0])
    assert list(rows[0]) == [*records[0], *flat, "secnews_model", "secnews_backend"]
    assert {k: rows[0][k] for k in records[0]} == records[0]
    assert rows[0]["secnews_threats"] == ";".join(flat["secnews_threats"])
    assert float(rows[0]["secnews_cooperation"]) == flat["secnews_cooperation"]
    assert rows[0]["secnews_backend"] == "torch-fp32" and len(rows) == 4


def test_stream_output_matches_file_output(clf, tmp_path):
    records = export(5)
    out = tmp_path / "out.jsonl"
    list(job(clf, output=out).run(records))
    stream = io.StringIO()
    yielded = list(job(clf, output=stream).run(records))
    assert stream.getvalue().encode() == out.read_bytes()
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == yielded


def test_existing_output_is_never_overwritten_silently(clf, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    with pytest.raises(JobError, match="exists: resume that job"):
        job(clf, output=out)
    with pytest.raises(JobError, match="exclude each other"):
        job(clf, output=out, resume=True, overwrite=True)
    list(job(clf, output=out, overwrite=True).run(export(2)))
    assert len(out.read_text().splitlines()) == 2


def test_two_jobs_cannot_write_one_file(clf, tmp_path):
    out = tmp_path / "out.jsonl"
    running = job(clf, output=out).run(export(7))
    next(running)
    with pytest.raises(JobError, match="is being written by another job"):
        list(job(clf, output=out, resume=True).run(export(7)))
    assert len(list(running)) == 6 and len(out.read_text().splitlines()) == 7


def test_invalid_record_stops_the_job_leaving_the_file_resumable(clf, tmp_path):
    records = export(8)
    records[7] = {**records[7], "body": 42}
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match=r"in\.jsonl:8: field 'body' is int, expected a string"):
        run_file(clf, source, out)
    assert len(out.read_text().splitlines()) == 6  # the two complete chunks before the bad one
    records[7]["body"] = "Fixed text about fuel theft."
    write_jsonl(source, records)
    resumed = run_file(clf, source, out, resume=True)
    reference = tmp_path / "ref.jsonl"
    run_file(clf, source, reference)
    assert out.read_bytes() == reference.read_bytes() and (resumed.stats.kept, resumed.stats.written) == (6, 2)


def test_skip_invalid_sets_records_aside_with_reasons(clf, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1, "body": "Agents found fentanyl."}\n{"id": 2}\n{broken\n'
                       b'{"id": 3, "body": ["a list"]}\n\xff\xfe\n{"id": 4, "body": "  "}\n')
    out = tmp_path / "out.jsonl"
    j = run_file(clf, source, out, skip_invalid=True)
    rejected = [json.loads(line) for line in rejected_path(out).read_text().splitlines()]
    assert [r["where"] for r in rejected] == [f"{source}:{n}" for n in (2, 3, 4, 5, 6)]
    assert [r["reason"] for r in rejected] == [
        "missing or empty field 'body'", "invalid JSON: Expecting property name enclosed in double quotes",
        "field 'body' is list, expected a string", "not UTF-8 text (byte 0)", "missing or empty field 'body'"]
    assert rejected[0]["record"] == {"id": 2} and rejected[1]["raw"] == "{broken\n"
    assert (j.stats.written, j.stats.rejected) == (1, 5)
    in_memory = job(clf, skip_invalid=True)
    assert len(list(in_memory.run([{"body": "ok"}, {"body": None}, "not a dict"]))) == 1
    assert [r["reason"] for r in in_memory.rejected] == ["missing or empty field 'body'", "expected a mapping (dict), got str"]


def test_fields_that_clash_with_the_predictions_are_refused(clf, tmp_path):
    with pytest.raises(JobError, match=r"record 1: input field\(s\) \['secnews'\] would clash"):
        list(job(clf).run([{"body": "x", "secnews": 1}]))
    with pytest.raises(JobError, match="secnews_stance"):
        list(job(clf, output=tmp_path / "o.csv").run([{"body": "x", "secnews_stance": "mine"}]))


def test_resume_refuses_a_file_from_another_input_or_model(clf, tmp_path):
    records = export(4)
    out = tmp_path / "out.jsonl"
    list(job(clf, output=out).run(records))
    data = out.read_bytes()
    with pytest.raises(JobError, match=r"out\.jsonl:1: does not match input record 1"):
        list(job(clf, output=out, resume=True).run([{**records[0], "id": "other"}] + records[1:]))
    out.write_bytes(data.replace(b'"backend": "torch-fp32"', b'"backend": "onnx-int8"', 1))
    with pytest.raises(JobError, match="on backend 'onnx-int8', this job uses"):
        list(job(clf, output=out, resume=True).run(records))
    out.write_bytes(data)
    with pytest.raises(JobError, match="holds more records than the input"):
        list(job(clf, output=out, resume=True).run(records[:2]))
    out.write_bytes(b"not json\n" + data)
    with pytest.raises(JobError, match=r"out\.jsonl:1: not a complete JSON record"):
        list(job(clf, output=out, resume=True).run(records))


def test_cli_folder_and_csv_jobs(tiny_model_dir, tmp_path, capsys):
    folder = tmp_path / "articles"
    for name in ("b.txt", "a/one.txt", "a/skip.md"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(article(len(name)), encoding="utf-8")
    model = ["--model", str(tiny_model_dir), "--backend", "torch-fp32"]
    out = tmp_path / "folder.jsonl"
    assert main(["classify", str(folder), "--output", str(out), *model]) == 0
    assert [json.loads(line)["source"] for line in out.read_text().splitlines()] == ["a/one.txt", "b.txt"]
    assert f"{out}: 2 records" in capsys.readouterr().err
    assert main(["classify", str(folder), "--output", str(out), *model]) == 2
    assert "exists: resume that job (--resume) or replace it (--overwrite)" in capsys.readouterr().err

    table = tmp_path / "export.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "date", "body"])
        writer.writeheader()
        writer.writerows([{"id": "1", "date": "2024-02-01", "body": article(1)}, {"id": "2", "date": "", "body": ""},
                          {"id": "3", "date": "2024-02-03", "body": "Guns, fuel and \"cash\"."}])
    labelled = tmp_path / "labelled.csv"
    args = ["classify", str(table), "--input-format", "csv", "--text-field", "body", "--output", str(labelled), *model]
    assert main(args) == 2
    assert f"{table}:5: missing or empty field 'body'" in capsys.readouterr().err  # row 1 spans lines 2-4
    assert main([*args, "--resume", "--skip-invalid"]) == 0
    assert "2 records; 1 rejected" in capsys.readouterr().err
    rows = list(csv.DictReader(labelled.open(newline="", encoding="utf-8")))
    assert [(r["id"], r["date"], r["body"]) for r in rows] == [("1", "2024-02-01", article(1)), ("3", "2024-02-03", 'Guns, fuel and "cash".')]
    assert main(["classify", str(table), "--input-format", "csv", "--text-field", "body", "--skip-invalid",
                 "--format", "csv", *model]) == 0
    stdout = capsys.readouterr()
    assert stdout.out.encode() == labelled.read_bytes() and f"skipped {table}:5" in stdout.err


def lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def start(args: list[str], stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "secnews", "classify", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=stderr)


def kill_when(proc: subprocess.Popen, ready, timeout: float = 240) -> None:
    """SIGKILL `proc` as soon as `ready()` holds; fail if the job finishes first."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the job finished before the kill point"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


def test_killed_cli_job_resumes_to_the_same_bytes(tiny_model_dir, tmp_path):
    """SIGKILL a real job before its first flush, mid-file and during its last chunk, then resume."""
    n = 5 * CHUNK_SIZE  # the first and last chunks hold longer articles, so killing inside them is easy
    records = [{**r, "body": article(i, 6)} if i < CHUNK_SIZE or i >= n - CHUNK_SIZE else r
               for i, r in enumerate(export(n))]
    source = write_jsonl(tmp_path / "export.jsonl", records)
    base = [str(source), "--input-format", "jsonl", "--text-field", "body",
            "--model", str(tiny_model_dir), "--backend", "torch-fp32"]
    reference, out = tmp_path / "reference.jsonl", tmp_path / "out.jsonl"
    with (tmp_path / "reference.err").open("w") as err:
        assert start([*base, "--output", str(reference)], stderr=err).wait() == 0
    assert f"{n}/{n}" in (tmp_path / "reference.err").read_text() and "record/s" in (tmp_path / "reference.err").read_text()

    kill_when(start([*base, "--output", str(out)]), out.exists)
    assert lines_in(out) == 0  # before the first flush
    kill_when(start([*base, "--output", str(out), "--resume"]), lambda: lines_in(out) >= 2 * CHUNK_SIZE)
    assert 2 * CHUNK_SIZE <= lines_in(out) < n  # mid-file
    data = out.read_bytes()
    out.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 40])  # and a torn last line
    kill_when(start([*base, "--output", str(out), "--resume"]), lambda: lines_in(out) >= n - CHUNK_SIZE)
    assert n - CHUNK_SIZE <= lines_in(out) < n  # during the last chunk
    with (tmp_path / "resume.err").open("w") as err:
        assert start([*base, "--output", str(out), "--resume"], stderr=err).wait() == 0
    assert out.read_bytes() == reference.read_bytes()
    assert f"{out}: {n} records ({n - CHUNK_SIZE} kept from the earlier run)" in (tmp_path / "resume.err").read_text()
