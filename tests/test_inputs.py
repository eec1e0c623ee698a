import json

import pytest

from secnews.inputs import InputError, as_text_list, read_jsonl, read_labelled
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
