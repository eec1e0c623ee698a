import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY_CORPUS, write_corpus
from secnews.inputs import InputError
from secnews.labels import STANCES, THREATS
from training.data import VERSION, CorpusError, dataset_name, validate
from training.data.agreement import agreement

REPO = Path(__file__).resolve().parents[1]


def rewrite(path: Path, line: int, change) -> None:
    rows = path.read_text().splitlines()
    rows[line - 1] = change(rows[line - 1])
    path.write_text("\n".join(rows) + "\n")


def problems(directory) -> list[str]:
    with pytest.raises(CorpusError) as info:
        validate(directory)
    return info.value.problems


def test_tiny_corpus_is_valid(corpus_dir):
    report = validate(corpus_dir)
    assert len(report.passages) == sum(len(v) for v in TINY_CORPUS.values())
    assert "| train | 10 | 5 |" in report.statistics()


def test_invalid_json_is_reported_with_file_and_line(corpus_dir):
    rewrite(corpus_dir / "dev.jsonl", 2, lambda s: s[:-3])
    assert any(re.search(r"dev\.jsonl:2: invalid JSON", p) for p in problems(corpus_dir))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.pop("story"), r"train\.jsonl:3: missing field\(s\) \['story'\]"),
        (lambda r: r.update(extra=1), r"train\.jsonl:3: extra field\(s\) \['extra'\]"),
        (lambda r: r.update(threats=["piracy"]), r"train\.jsonl:3: unknown threat label"),
        (lambda r: r.update(stance="friendly"), r"train\.jsonl:3: unknown stance 'friendly'"),
        (lambda r: r.update(text="   "), r"train\.jsonl:3: missing or empty 'text'"),
        (lambda r: r.update(source=""), r"train\.jsonl:3: 'source' must be a non-empty string"),
        (lambda r: r.update(id="t1"), r"train\.jsonl:3: duplicate id 't1' \(first at .*train\.jsonl:1\)"),
        (lambda r: r.update(story="s8"), r"story 's8' is in .* but also in"),
    ],
)
def test_each_kind_of_bad_record_is_named(corpus_dir, change, message):
    def edit(line):
        row = json.loads(line)
        change(row)
        return json.dumps(row)

    rewrite(corpus_dir / "train.jsonl", 3, edit)
    assert any(re.search(message, p) for p in problems(corpus_dir)), problems(corpus_dir)


def test_duplicate_and_near_duplicate_texts(tmp_path):
    corpus = {k: list(v) for k, v in TINY_CORPUS.items()}
    base = "Soldiers in Sinaloa dismantled a large synthetic drug laboratory hidden in the hills on Monday"
    corpus["train"] += [
        ("n1", "s1", base + " morning, officials said.", [], "neutral"),
        ("n2", "s1", base + " night, according to the navy.", [], "neutral"),
        ("n3", "s2", TINY_CORPUS["train"][0][2], [], "neutral"),
        ("n4", "s2", "A wholly different passage about water treaty talks in Chihuahua and Texas this week.", [], "neutral"),
    ]
    write_corpus(tmp_path, corpus)
    found = problems(tmp_path)
    assert any(re.search(r"train\.jsonl:12: near-duplicate of .*train\.jsonl:11", p) for p in found)
    assert any(re.search(r"train\.jsonl:13: duplicate text of .*train\.jsonl:1", p) for p in found)
    assert not any("train.jsonl:14" in p for p in found)


def test_missing_split_file(corpus_dir):
    (corpus_dir / "test.jsonl").unlink()
    assert any("test.jsonl: no such file" in p for p in problems(corpus_dir))


def test_command_line_check(corpus_dir):
    ok = subprocess.run([sys.executable, "-m", "training.data", "check", str(corpus_dir)], cwd=REPO,
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "| stance | train | dev | test | total |" in ok.stdout
    rewrite(corpus_dir / "test.jsonl", 1, lambda s: "{oops")
    bad = subprocess.run([sys.executable, "-m", "training.data", "check", str(corpus_dir)], cwd=REPO,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "test.jsonl:1: invalid JSON" in bad.stderr


def test_committed_corpus_passes_and_meets_coverage():
    report = validate(REPO / "training" / "data")
    ps = report.passages
    assert len(ps) >= 2000
    for label in report.threat_labels:
        assert sum(label in p.threats for p in ps) >= 150, label
    assert sum(not p.threats for p in ps) >= 300
    assert sum(len(p.threats) > 1 for p in ps) >= 250
    for stance in report.stance_labels:
        assert sum(p.stance == stance for p in ps) >= 400, stance
    assert len({p.source for p in ps}) >= 8


def test_committed_spanish_passages_meet_the_v2_targets():
    es = [p for p in validate(REPO / "training" / "data").passages if p.lang == "es"]
    assert len(es) >= 1000
    for label in THREATS:
        assert sum(label in p.threats for p in es) >= 100, label
    assert sum(not p.threats for p in es) >= 200 and sum(len(p.threats) > 1 for p in es) >= 150
    for stance in STANCES:
        assert sum(p.stance == stance for p in es) >= 200, stance
    assert {p.split for p in es} == {"train", "dev", "test"}
    assert len({p.source for p in es}) >= 10


def test_statistics_are_given_per_language(corpus_dir):
    rewrite(corpus_dir / "train.jsonl", 1, lambda s: s.replace('"lang": "en"', '"lang": "es"'))
    stats = validate(corpus_dir).statistics()
    assert "### Language: en" in stats and "### Language: es" in stats
    assert stats.split("### Language: es")[1].split("\n\n")[1].startswith("Passages: 1 in 1 stories")


def test_an_unknown_language_is_named_with_file_and_line(corpus_dir):
    rewrite(corpus_dir / "dev.jsonl", 2, lambda s: s.replace('"lang": "en"', '"lang": "pt"'))
    assert any("dev.jsonl:2: 'lang' 'pt' is not one of the corpus languages en, es" in p for p in problems(corpus_dir))


def test_data_card_matches_the_validator():
    card = (REPO / "training" / "data" / "README.md").read_text(encoding="utf-8")
    block = card.split("<!-- stats:begin -->")[1].split("<!-- stats:end -->")[0].strip()
    assert block == validate(REPO / "training" / "data").statistics()


def test_dataset_name_and_card_title_carry_the_corpus_version(tmp_path):
    assert dataset_name(REPO / "training" / "data") == f"secnews-corpus-v{VERSION}"
    assert dataset_name(tmp_path / "my-labels") == "my-labels"
    title = (REPO / "training" / "data" / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert title == f"# secnews corpus v{VERSION} — data card"


def _second_annotation(path, rows):
    path.write_text("".join(json.dumps(dict(zip(("id", "threats", "stance"), r))) + "\n" for r in rows))
    return path


def test_agreement_scores_a_second_annotation_per_split(corpus_dir, tmp_path):
    same = [(i, t, s) for i, _, _, t, s in TINY_CORPUS["train"]]
    perfect = agreement(_second_annotation(tmp_path / "a.jsonl", same), corpus_dir)
    assert list(perfect) == ["train", "all"] and perfect["all"]["n"] == 10
    assert perfect["train"]["threat_micro_f1"] == 1.0 and perfect["train"]["stance_macro_f1"] == 1.0
    flipped = [("t1", ["arms_trafficking"], "cooperative"), *same[1:]]
    worse = agreement(_second_annotation(tmp_path / "b.jsonl", flipped), corpus_dir)
    assert worse["train"]["threat_micro_f1"] < 1.0 and worse["train"]["stance_accuracy"] == 0.9
    assert worse["train"]["threats"]["drug_trafficking"]["recall"] == 0.5


@pytest.mark.parametrize("row, message", [
    (("nope", [], "neutral"), r"b\.jsonl:2: id 'nope' is not in the corpus"),
    (("t2", ["drugs"], "neutral"), r"b\.jsonl:2: unknown threat label"),
    (("t1", [], "neutral"), r"b\.jsonl:2: id 't1' appears twice"),
    (("t2", [], "friendly"), r"b\.jsonl:2: unknown stance"),
])
def test_agreement_names_the_bad_line(corpus_dir, tmp_path, row, message):
    path = _second_annotation(tmp_path / "b.jsonl", [("t1", [], "neutral"), row])
    with pytest.raises(InputError, match=message):
        agreement(path, corpus_dir)


def test_committed_second_annotations_cover_dev_and_test_in_both_languages():
    report = validate(REPO / "training" / "data")
    result = agreement()
    for split in ("dev", "test"):
        for lang in ("en", "es"):
            assert result[f"{split} ({lang})"]["n"] == sum(p.split == split and p.lang == lang for p in report.passages)
    assert result["all"]["n"] == sum(p.split != "train" for p in report.passages)
    shown = subprocess.run([sys.executable, "-m", "training.data", "agree"], capture_output=True, text=True,
                           cwd=REPO, check=True).stdout
    assert shown.startswith("| split | passages | threat micro-F1") and "| test (es) | 124 |" in shown


def test_committed_v12_review_covers_the_new_training_passages():
    result = agreement(REPO / "training" / "data" / "review_v1.2.jsonl")
    assert {split: r["n"] for split, r in result.items()} == {"train": 351, "all": 351}
