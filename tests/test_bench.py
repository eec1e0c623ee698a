import json

import numpy as np
import pytest

from conftest import TINY_CORPUS
from secnews.bench import runner
from secnews.bench.baselines import LexiconBaseline, TfidfBaseline, load_baselines
from secnews.bench.metrics import load
from secnews.bench.tuning import best_threshold
from secnews.inputs import InputError
from secnews.labels import STANCES, THREATS


def test_multilabel_metric_matches_hand_counts():
    result = load("multilabel_prf").compute(predictions=[[1, 0], [1, 1], [0, 0]], references=[[1, 0], [0, 1], [0, 1]],
                                            label_names=["a", "b"])
    assert result["per_label"]["a"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert result["per_label"]["b"]["recall"] == 0.5
    assert result["micro_f1"] == pytest.approx(2 * 2 / (3 + 3))
    assert result["subset_accuracy"] == pytest.approx(1 / 3)


def test_stance_metric_and_confusion():
    result = load("stance_scores").compute(predictions=[0, 2, 2, 1], references=[0, 1, 2, 1], num_classes=3)
    assert result["accuracy"] == 0.75
    assert result["confusion"] == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_calibration_metric():
    perfect = load("calibration").compute(predictions=[1.0, 0.0, 1.0], references=[1, 0, 1])
    assert perfect["ece"] == 0.0 and perfect["brier"] == 0.0
    off = load("calibration").compute(predictions=[[0.9, 0.1], [0.9, 0.1]], references=[1, 1])
    assert off["ece"] == pytest.approx(0.9) and off["brier"] == pytest.approx(2 * 0.81)


def test_best_threshold_prefers_f1_then_closeness():
    scores = np.array([0.9, 0.8, 0.3, 0.2])
    gold = np.array([1, 1, 0, 0])
    assert best_threshold(scores, gold, np.array([0.1, 0.35, 0.5, 0.85]), prefer=0.5) == 0.5


def test_lexicon_baseline_reads_cues():
    threats, stances = LexiconBaseline().scores(["Huachicoleros tapped a pipeline.", "The governments agreed on joint patrols."])
    assert threats[0, THREATS.index("fuel_theft")] > 0.5 and threats[1].max() < 0.5
    assert STANCES[int(np.argmax(stances[1]))] == "cooperative"


def test_tfidf_baseline_round_trips_without_pickle(corpus_dir, tmp_path):
    train = [json.loads(line) for line in (corpus_dir / "train.jsonl").read_text().splitlines()]
    model = TfidfBaseline.fit(train * 3)
    model.save(tmp_path / "tfidf")
    assert {p.name for p in (tmp_path / "tfidf").iterdir()} == {"vocabulary.json", "arrays.npz"}
    loaded = TfidfBaseline.load(tmp_path / "tfidf")
    texts = ["Mexico blamed American gun laws.", "Fentanyl pills seized."]
    for a, b in zip(model.scores(texts), loaded.scores(texts)):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.fixture(scope="module")
def bench_report(tiny_model_dir, tmp_path_factory, monkeypatch_module):
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("bench")
    data = write_corpus(root / "corpus")
    monkeypatch_module.setenv("SECNEWS_CACHE", str(root / "cache"))
    report = runner.run(str(data / "test.jsonl"), model=str(tiny_model_dir), baselines=True,
                        train_path=str(data / "train.jsonl"), out=str(root / "out"), batch_size=2)
    return report, root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_report_has_every_system_and_the_documented_keys(bench_report):
    report, root = bench_report
    assert report["n"] == len(TINY_CORPUS["test"])
    assert set(report["systems"]) == {"model", "lexicon", "tfidf-logreg", "zero-shot-minilm"}
    for result in report["systems"].values():
        for key in ("threat_micro_f1", "threat_macro_f1", "threats", "stance_macro_f1", "stance_accuracy",
                    "stance_confusion", "ece", "passages_per_second", "latency_p50_ms", "latency_p95_ms", "peak_rss_mb"):
            assert key in result
        assert set(result["threats"]["drug_trafficking"]) == {"precision", "recall", "f1", "support"}
        assert np.array(result["stance_confusion"]).sum() == report["n"]
    saved = json.loads((root / "out" / "report.json").read_text())
    assert saved["systems"].keys() == report["systems"].keys()
    assert "| system |" in (root / "out" / "report.md").read_text()
    for png in ("stance_confusion.png", "reliability.png", "per_label_f1.png"):
        assert (root / "out" / png).read_bytes()[:4] == b"\x89PNG"
    assert list((root / "cache" / "baselines").iterdir())  # fitted baselines were cached


def test_cached_baselines_give_the_same_scores(bench_report):
    report, root = bench_report
    again = load_baselines(root / "corpus" / "train.jsonl")
    assert [b.name for b in again] == ["lexicon", "tfidf-logreg", "zero-shot-minilm"]


def test_bench_rejects_bad_sets(tiny_model_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "threats": ["piracy"], "stance": "neutral"}) + "\n")
    with pytest.raises(InputError, match=r"bad\.jsonl:1: unknown threat label\(s\) \['piracy'\]"):
        runner.run(str(bad), model=str(tiny_model_dir))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="no labelled rows"):
        runner.run(str(empty), model=str(tiny_model_dir))


def test_stance_only_set_is_scored_with_a_note(tiny_model_dir, tmp_path):
    path = tmp_path / "stance.csv"
    path.write_text("text,stance\nBoth nations agreed.,cooperative\nThe peso rose.,neutral\n")
    report = runner.run(str(path), model=str(tiny_model_dir))
    result = report["systems"]["model"]
    assert "stance_macro_f1" in result and "threat_micro_f1" not in result
    assert any("threat metrics skipped" in note for note in report["notes"])
    assert "–" in runner.markdown(report)


def test_speed_puts_every_backend_beside_a_plain_loop_and_the_matmul_ceiling(tiny_model_dir, corpus_dir, tmp_path):
    from secnews.bench import speed

    report = speed.speed(str(tiny_model_dir), str(corpus_dir / "test.jsonl"), ["torch-fp32", "torch-bf16"])
    assert report["n"] == len(TINY_CORPUS["test"]) and report["tokens"] > 0 and report["gflop"] > 0
    assert set(report["runs"]) == {f"{who}, batch {b}" for who in ("transformers loop", "torch-fp32", "torch-bf16")
                                   for b in (1, 32)}
    run = report["runs"]["torch-fp32, batch 32"]
    assert run["gflops"] == pytest.approx(report["gflop"] / run["seconds"])
    assert run["share_of_bf16_ceiling"] == pytest.approx(run["gflops"] / report["matmul_gflops"]["bf16"])
    assert set(report["processes"]) == {"torch-fp32", "torch-bf16"}
    assert all(p["peak_rss_mb"] > 50 and p["cold_start_seconds"] > 0 for p in report["processes"].values())
    speed.write(report, tmp_path)
    assert json.loads((tmp_path / "speed.json").read_text())["n"] == report["n"]
    assert "| torch-bf16, batch 32 |" in (tmp_path / "speed.md").read_text()


def test_ablation_changes_one_thing_per_row_and_restores_threads(tiny_model_dir, corpus_dir, tmp_path, monkeypatch):
    import torch

    from secnews.bench import ablation

    steps = tuple(s for s in ablation.STEPS if "torch.compile" not in s[0])  # compiling takes a minute
    monkeypatch.setattr(ablation, "STEPS", steps)
    threads = torch.get_num_threads()
    report = ablation.ablation(str(tiny_model_dir), str(corpus_dir / "test.jsonl"))
    assert torch.get_num_threads() == threads
    assert list(report["steps"]) == ["transformers loop", *(s[0] for s in steps)]
    for name, row in report["steps"].items():
        assert row["from"] is None or row["from"] in report["steps"]
        assert row["batch_1"] > 0 and row["batch_32"] > 0
    ablation.write(report, tmp_path)
    table = (tmp_path / "ablation.md").read_text()
    assert all(f"| {name} |" in table for name in report["steps"])


def test_bench_reports_every_metric_per_language(tiny_model_dir, tmp_path):
    rows = [("Agents found fentanyl in a truck.", ["drug_trafficking"], "neutral", "en"),
            ("Mexico rejected foreign troops.", [], "contentious", "en"),
            ("La Marina aseguró fentanilo en Culiacán.", ["drug_trafficking"], "neutral", "es"),
            ("México rechazó tropas extranjeras.", [], "contentious", "es")]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps({"text": t, "threats": th, "stance": s, "lang": l}) + "\n"
                            for t, th, s, l in rows))
    report = runner.run(str(path), model=str(tiny_model_dir), backend="torch-fp32")
    by_lang = report["systems"]["model"]["by_lang"]
    assert set(by_lang) == {"en", "es"} and by_lang["es"]["n"] == 2 and report["languages"] == {"en": 2, "es": 2}
    assert "stance macro-F1 (es)" in runner.markdown(report)
