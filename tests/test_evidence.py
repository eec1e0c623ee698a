"""Evidence: the sentence behind each label, scored on its own by the model."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import secnews
from secnews import Classifier, classifier as classifier_module
from secnews.analysis.evidence import sentence_spans

REPO = Path(__file__).resolve().parents[1]
PASSAGES = [
    "Marines seized forty kilos of fentanyl pills at a warehouse in Culiacán. The peso rose after the central bank held interest rates.",
    "  Thieves drilled an illegal tap into a Pemex pipeline in Hidalgo.  Both governments agreed to share intelligence on synthetic drug labs.\n",
    "Smugglers packed migrants into a stash house near the border.",
    "Mexico blamed lax American gun laws for the rifles smuggled south! Washington threatened tariffs unless Mexico stopped the cartels? Tomato exporters welcomed the new trade agreement signed in Washington.",
]
ARTICLE = "Agents found fentanyl hidden in a truck at the Nogales crossing. The peso rose.\n\nMexico rejected any deployment of foreign troops on its soil. The two countries signed a joint plan against gun trafficking.\n"


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return Classifier.load(tiny_model_dir, backend="torch-fp32", batch_size=3)


def test_sentence_spans_leave_out_whitespace():
    text = "  First one. Second one!  ¿Tercera? Fourth\n"
    assert [text[a:b] for a, b in sentence_spans(text)] == ["First one.", "Second one!", "¿Tercera?", "Fourth"]


def test_passage_evidence_is_a_slice_of_the_passage_scored_on_its_own(clf):
    for p in clf.classify(PASSAGES, evidence=True):
        assert list(p.evidence) == [*p.threats, p.stance]
        for label, e in p.evidence.items():
            assert 0 <= e.start < e.end <= len(p.text) and p.text[e.start : e.end] == e.text and e.passage is None
            assert (e.start, e.end) in sentence_spans(p.text)
            alone = clf.classify(e.text)
            scores = alone.stance_scores if label in clf.stance_labels else alone.threat_scores
            assert e.score == pytest.approx(scores[label], abs=1e-5)
            others = [clf.classify(p.text[a:b]) for a, b in sentence_spans(p.text)]
            best = max((o.stance_scores if label in clf.stance_labels else o.threat_scores)[label] for o in others)
            assert e.score == pytest.approx(best, abs=1e-5)


def test_evidence_changes_nothing_else_and_is_off_by_default(clf):
    plain, with_evidence = clf.classify(PASSAGES), clf.classify(PASSAGES, evidence=True)
    assert all(p.evidence is None and "evidence" not in p.to_dict() for p in plain)
    for a, b in zip(plain, with_evidence):
        assert {k: v for k, v in b.to_dict().items() if k != "evidence"} == a.to_dict()
    one = clf.classify(PASSAGES[2], evidence=True)
    assert one.evidence[one.stance].text == PASSAGES[2]
    assert one.evidence[one.stance].score == pytest.approx(one.stance_scores[one.stance], abs=1e-6)


def test_article_evidence_names_the_passage(clf):
    a = clf.classify_article(ARTICLE, evidence=True)
    assert list(a.evidence) == [*a.threats, a.stance]
    for e in a.evidence.values():
        assert a.passages[e.passage].text[e.start : e.end] == e.text
    assert all(p.evidence is not None for p in a.passages)
    d = json.loads(json.dumps(a.to_dict()))
    assert d["evidence"][a.stance]["passage"] in (0, 1) and "evidence" in d["passages"][0]
    assert clf.classify_article(ARTICLE).evidence is None


def test_module_functions_take_evidence(clf, monkeypatch):
    monkeypatch.setattr(classifier_module, "_default", clf)
    assert secnews.classify(PASSAGES[0], evidence=True).evidence is not None
    assert secnews.classify_article(ARTICLE, evidence=True).evidence is not None
    assert secnews.classify(PASSAGES[0]).evidence is None


def test_cli_evidence_in_table_and_json(tiny_model_dir, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "secnews", "classify", str(path), "--model", str(tiny_model_dir),
                               "--backend", "torch-fp32", "--evidence", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=300)

    table = run()
    assert table.returncode == 0, table.stderr
    assert table.stdout.count("evidence") >= 2
    [record] = json.loads(run("--format", "json").stdout)
    assert record["evidence"] and all("evidence" in p for p in record["passages"])
    bad = run("--format", "csv")
    assert bad.returncode == 2 and "--evidence" in bad.stderr
