import io
import json

import pytest

from secnews.inputs import (InputError, Unreadable, as_text_list, csv_rows, folder_rows, jsonl_rows, read_jsonl,
                            read_labelled, read_rows, text_problem)
from secnews.labels import STANCES, THREATS


def test_single_text_and_sequences():
    assert as_text_list("a") == (["a"], True)
    assert as_text_list(["a", "b"]) == (["a", "b"], False)
    assert as_text_list(("a",)) == (["a"], False)


@pytest.mark.parametrize("bad", [None, 3, 2.5, b"bytes", {"text": "a"}])
def test_non_text_is_a_type_error(bad):
    with pytest.raises(TypeError):
        as_text_list(bad)


def test_type_error_names_the_index():
    with pytest.raises(TypeError, match="item 2 is bytes"):
        as_text_list(["a", "b", b"c"])
    with pytest.raises(TypeError, match="item 1 is NoneType"):
        as_text_list(["a", None])


def test_lone_surrogate_is_a_value_error():
    with pytest.raises(ValueError, match="item 1 holds a lone surrogate at index 2"):
        as_text_list(["ok", "ab\ud800c"])


def test_text_problem_names_the_field():
    assert text_problem({"body": "Peso rose."}, "body") is None
    assert text_problem({}, "body") == "missing or empty field 'body'"
    assert text_problem({"body": " \n"}, "body") == "missing or empty field 'body'"
    assert text_problem({"body": 3}, "body") == "field 'body' is int, expected a string"
    assert "lone surrogate" in text_problem({"body": "\udfff"}, "body")


def test_empty_text_is_a_value_error():
    with pytest.raises(ValueError, match="empty"):
        as_text_list("  \n")
    with pytest.raises(ValueError, match="item 1"):
        as_text_list(["ok", ""])


def test_read_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a"}\n\n{"text": \n')
    with pytest.raises(InputError, match=r"x\.jsonl:3: invalid JSON"):
        list(read_jsonl(path))
    path.write_text('[1, 2]\n')
    with pytest.raises(InputError, match=r"x\.jsonl:1: expected a JSON object"):
        list(read_jsonl(path))
    with pytest.raises(InputError, match="no such file"):
        list(read_jsonl(tmp_path / "missing.jsonl"))


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_read_labelled_jsonl_and_unknown_labels(tmp_path):
    good = write(tmp_path / "a.jsonl", [{"text": "x", "threats": ["fuel_theft"], "stance": "neutral"}])
    data = read_labelled(good, THREATS, STANCES)
    assert data.texts == ["x"] and data.threats == [["fuel_theft"]] and data.stances == ["neutral"]
    bad = write(tmp_path / "b.jsonl", [{"text": "x", "threats": ["piracy"], "stance": "neutral"}])
    with pytest.raises(InputError, match=r"b\.jsonl:1: unknown threat label\(s\) \['piracy'\]"):
        read_labelled(bad, THREATS, STANCES)
    bad = write(tmp_path / "c.jsonl", [{"text": "x", "stance": "hostile"}])
    with pytest.raises(InputError, match=r"c\.jsonl:1: unknown stance 'hostile'"):
        read_labelled(bad, THREATS, STANCES)


def test_read_labelled_subset_of_labels(tmp_path):
    path = write(tmp_path / "s.jsonl", [{"text": "x", "stance": "neutral"}, {"text": "y", "stance": "cooperative"}])
    data = read_labelled(path, THREATS, STANCES)
    assert data.threats is None and data.stances == ["neutral", "cooperative"]
    assert any("threat metrics skipped" in n for n in data.notes)


def test_read_labelled_rejects_mixed_rows_empty_sets_and_unlabelled_rows(tmp_path):
    mixed = write(tmp_path / "m.jsonl", [{"text": "x", "stance": "neutral"}, {"text": "y", "threats": [], "stance": "neutral"}])
    with pytest.raises(InputError, match=r"m\.jsonl:2: 'threats' present on some rows"):
        read_labelled(mixed, THREATS, STANCES)
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no labelled rows"):
        read_labelled(empty, THREATS, STANCES)
    bare = write(tmp_path / "n.jsonl", [{"text": "x"}])
    with pytest.raises(InputError, match=r"n\.jsonl:1: row has neither"):
        read_labelled(bare, THREATS, STANCES)
    notext = write(tmp_path / "t.jsonl", [{"text": " ", "stance": "neutral"}])
    with pytest.raises(InputError, match=r"t\.jsonl:1: missing or empty 'text'"):
        read_labelled(notext, THREATS, STANCES)


def test_read_labelled_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('text,threats,stance\n"Guns, fuel",arms_trafficking;fuel_theft,contentious\nCalm day,,neutral\n')
    data = read_labelled(path, THREATS, STANCES)
    assert data.threats == [["arms_trafficking", "fuel_theft"], []]
    path.write_text("text,threats,stance\nx,,neutral,extra\n")
    with pytest.raises(InputError, match=r"d\.csv:2: more cells"):
        read_labelled(path, THREATS, STANCES)


def test_read_labelled_datasets_directory(tmp_path):
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_list([{"text": "x", "threats": ["fuel_theft"], "stance": "neutral"}])
    ds.save_to_disk(str(tmp_path / "ds"))
    data = read_labelled(tmp_path / "ds", THREATS, STANCES)
    assert data.texts == ["x"] and data.threats == [["fuel_theft"]]
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not a `datasets` save_to_disk directory"):
        read_labelled(tmp_path / "plain", THREATS, STANCES)


def rows(reader, data: bytes):
    return list(reader(io.BytesIO(data).readlines(), "f"))


def test_jsonl_rows_go_on_after_a_bad_line():
    data = b'\xef\xbb\xbf{"a": 1}\r\n\n{bad\n\xff{"a": 2}\n[1]\n' + b"[" * 100_000 + b"\n{\"a\": 3}"
    got = rows(jsonl_rows, data)
    assert [n for n, _ in got] == [1, 3, 4, 5, 6, 7]
    assert got[0][1] == {"a": 1} and got[-1][1] == {"a": 3}
    reasons = [r.reason for _, r in got[1:5]]
    assert reasons[0].startswith("invalid JSON") and reasons[1] == "not UTF-8 text (byte 0)"
    assert reasons[2] == "expected a JSON object, got list" and reasons[3] == "invalid JSON: nested too deeply"
    assert all(isinstance(r, Unreadable) for _, r in got[1:5])


def test_csv_rows_bom_crlf_multiline_short_and_long_rows():
    data = '\ufeffid,body\r\n1,"two\r\nlines, and ""quotes"""\r\n\r\n2\r\n3,x,extra\r\n4,' + "y" * 300_000 + "\r\n"
    got = rows(csv_rows, data.encode())
    assert got[0] == (2, {"id": "1", "body": 'two\r\nlines, and "quotes"'})
    assert got[1] == (5, {"id": "2", "body": None})
    assert isinstance(got[2][1], Unreadable) and got[2][1].reason == "more cells than header columns"
    assert got[3][1]["body"] == "y" * 300_000


def test_csv_rows_reject_bad_bytes_and_duplicate_columns():
    with pytest.raises(InputError, match=r"f:2: not UTF-8 text \(byte 2\)"):
        rows(csv_rows, b"a,b\n1,\xff\n")
    with pytest.raises(InputError, match=r"f:1: column 'a' appears twice"):
        rows(csv_rows, b"a,a\n1,2\n")


def test_read_rows_names_file_and_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,text\n7,hello\n")
    assert list(read_rows(str(path), "csv")) == [(f"{path}:2", {"id": "7", "text": "hello"})]
    with pytest.raises(InputError, match="no such file"):
        read_rows(str(tmp_path / "missing.jsonl"), "jsonl")
    with pytest.raises(InputError, match="is a directory"):
        list(read_rows(str(tmp_path), "jsonl"))


def test_text_rows_for_files_and_passages(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfFirst line.\r\n\r\nSecond line.\n")
    [(where, row)] = read_rows(str(path), "text")
    assert where == str(path) and row == {"source": str(path), "text": "First line.\r\n\r\nSecond line.\n"}
    lines = list(read_rows(str(path), "text", passages=True))
    assert [r for _, r in lines] == [{"source": f"{path}:1", "text": "First line."}, {"source": f"{path}:3", "text": "Second line."}]
    (tmp_path / "bad.txt").write_bytes(b"Pe\xf1a")
    (tmp_path / "empty.txt").write_text(" \n")
    assert list(read_rows(str(tmp_path / "bad.txt"), "text"))[0][1] == Unreadable("not UTF-8 text (byte 2)")
    assert list(read_rows(str(tmp_path / "empty.txt"), "text"))[0][1] == Unreadable("empty input")


def test_folder_rows_are_recursive_sorted_and_relative(tmp_path):
    for name in ("b.txt", "a/z.txt", "a/b/c.txt", "notes.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"Text of {name}.")
    got = list(folder_rows(tmp_path))
    assert [r["source"] for _, r in got] == ["a/b/c.txt", "a/z.txt", "b.txt"]
    assert got[0] == (str(tmp_path / "a/b/c.txt"), {"source": "a/b/c.txt", "text": "Text of a/b/c.txt."})
    assert [r["source"] for _, r in read_rows(str(tmp_path), "text", pattern="*.md")] == ["notes.md"]
