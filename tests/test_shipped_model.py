"""Integration tests through the model shipped in the package."""

import json
from pathlib import Path

import pytest

import secnews
from secnews.classifier import DEFAULT_MODEL_DIR

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def test_report():
    from secnews.bench import runner

    return runner.run(str(REPO / "training" / "data" / "test.jsonl"))["systems"]["secnews-minilm-v1"]


def test_shipped_model_files():
    files = {p.name for p in DEFAULT_MODEL_DIR.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "metrics.json"} <= files
    assert (DEFAULT_MODEL_DIR / "model.safetensors").stat().st_size < 50 * 2**20
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    assert config["dtype"] == "float16" and config["threat_labels"] == list(secnews.THREATS)


def test_quality_floor_on_the_held_out_test_split(test_report):
    english = test_report["by_lang"]["en"]  # the default model is English-only
    assert english["threat_micro_f1"] >= 0.89
    assert english["stance_macro_f1"] >= 0.91


def test_scores_match_the_recipe_metrics(test_report):
    recorded = json.loads((DEFAULT_MODEL_DIR / "metrics.json").read_text())["test"]
    english = test_report["by_lang"]["en"]  # recorded on the v1.2 test split, the English part of v2.0's
    assert english["threat_micro_f1"] == pytest.approx(recorded["threat_micro_f1"], abs=0.01)
    assert english["stance_macro_f1"] == pytest.approx(recorded["stance_macro_f1"], abs=0.01)


BILINGUAL = "secnews-e5-bilingual-v2"


@pytest.fixture(scope="module")
def bilingual_report():
    from secnews.bench import runner

    return runner.run(str(REPO / "training" / "data" / "test.jsonl"), model=BILINGUAL, backend="torch-fp32")


def test_bilingual_model_floor_per_language(bilingual_report):
    result = bilingual_report["systems"][BILINGUAL]["by_lang"]
    # measured: en 0.917 / 0.933, es 0.867 / 0.847 (threat micro-F1 / stance macro-F1); see the model card
    assert result["es"]["threat_micro_f1"] >= 0.84 and result["es"]["stance_macro_f1"] >= 0.82
    assert result["en"]["threat_micro_f1"] >= 0.89 and result["en"]["stance_macro_f1"] >= 0.90


def test_bilingual_scores_match_the_recipe_per_language(bilingual_report):
    recorded = json.loads((DEFAULT_MODEL_DIR.parent / BILINGUAL / "metrics.json").read_text())["test"]["by_lang"]
    measured = bilingual_report["systems"][BILINGUAL]["by_lang"]
    for lang in ("en", "es"):
        for key in ("threat_micro_f1", "stance_macro_f1"):
            assert measured[lang][key] == pytest.approx(recorded[lang][key], abs=0.01), (lang, key)


def test_shipped_models_fit_the_package_budget():
    sizes = [p.stat().st_size for p in DEFAULT_MODEL_DIR.parent.glob("*/model.safetensors")]
    assert len(sizes) <= 2 and sum(sizes) <= 120 * 2**20


def test_module_level_api_on_unseen_sentences():
    clear = secnews.classify([
        "Soldiers found an illegal tap on a Pemex pipeline in Hidalgo and seized two tanker trucks of stolen gasoline.",
        "Mexico's president rejected any deployment of U.S. troops on Mexican soil, calling it a violation of sovereignty.",
        "The two governments signed an agreement to share intelligence on fentanyl labs and extradite traffickers.",
    ])
    assert "fuel_theft" in clear[0].threats
    assert clear[1].stance == "contentious" and clear[1].cooperation < 0
    assert clear[2].stance == "cooperative" and "drug_trafficking" in clear[2].threats
    calm = secnews.classify("Regular gasoline averaged just under 24 pesos a litre this month, little changed from September.")
    assert calm.threats == [] and calm.stance == "neutral"


def test_example_article():
    article = secnews.classify_article((REPO / "examples" / "article.txt").read_text())
    assert len(article.passages) == 7
    assert {"arms_trafficking", "fuel_theft"} <= set(article.threats)
    assert article.passages[-1].threats == []
