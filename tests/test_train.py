import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY_CORPUS, recipe_config, write_corpus
from training.train import RecipeError, load_config, main, resolve_base, train

REPO = Path(__file__).resolve().parents[1]


def test_recipe_writes_a_loadable_model_with_tuned_calibration(tiny_model_dir):
    files = {p.name for p in tiny_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "metrics.json"} <= files
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in files)
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["model_type"] == "secnews" and config["dtype"] == "float16"
    assert all(0.3 <= t <= 0.7 for t in config["threat_thresholds"])
    assert config["stance_temperature"] > 0
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert metrics["data"] == {"train": 10, "dev": 3, "test": 3}
    assert metrics["dataset"] == "corpus"  # a user's data directory is named by its folder
    assert set(metrics["test"]["threats"]) == set(config["threat_labels"])
    assert 0.0 <= metrics["test"]["threat_micro_f1"] <= 1.0
    card = (tiny_model_dir.parent / "card.md").read_text()
    assert card.startswith("---\nlanguage: [en]") and "## Evaluation" in card and "## Backends" in card
    assert "datasets: [corpus]" in card and "secnews-corpus" not in card


@pytest.mark.parametrize("key, value, message", [
    ("languages", ["en", "fr"], "'languages' must be a non-empty list of en, es"),
    ("languages", [], "'languages' must be a non-empty list"),
    ("precision", "fp8", "'precision' must be one of auto, bf16, fp32"),
])
def test_config_values_are_checked(tmp_path, key, value, message):
    config = json.loads((REPO / "training" / "configs" / "default.json").read_text())
    config[key] = value
    path = tmp_path / "c.json"
    path.write_text(json.dumps(config))
    with pytest.raises(RecipeError, match=message):
        load_config(path)


def test_standardised_pooling_is_fitted_and_saved_in_fp32(tmp_path, tiny_encoder):
    from safetensors import safe_open

    from secnews import Classifier

    config = recipe_config(tmp_path, write_corpus(tmp_path / "corpus"), tiny_encoder)
    config.update(standardize_pooled=True, precision="bf16", epochs=1)
    metrics = train(config)
    assert metrics["training"]["precision"] == "bf16 autocast"
    with safe_open(str(tmp_path / "model" / "model.safetensors"), "pt") as weights:
        mean, std = weights.get_tensor("pooled_mean"), weights.get_tensor("pooled_std")
    assert str(mean.dtype) == "torch.float32" and mean.abs().sum() > 0 and (std > 0).all()
    assert Classifier.load(tmp_path / "model", backend="torch-fp32").classify("Fentanyl in a truck.").stance


def test_card_says_what_threshold_tuning_did_to_test_f1():
    from training.model_card import _tuning_effect

    assert _tuning_effect(0.8801, 0.8766) == (
        "Tuning the thresholds on dev moved test threat micro-F1 from 0.880 (all thresholds 0.5) to 0.877.")
    assert "left test threat micro-F1 at 0.901" in _tuning_effect(0.90126, 0.90131)


def test_recipe_output_feeds_the_classifier(tiny_model_dir):
    from secnews import Classifier

    prediction = Classifier.load(tiny_model_dir).classify("Agents found fentanyl in a truck.")
    assert prediction.stance in ("cooperative", "contentious", "neutral")
    assert abs(sum(prediction.stance_scores.values()) - 1.0) < 1e-5


def test_training_refuses_invalid_data(tmp_path, tiny_encoder):
    data = write_corpus(tmp_path / "corpus")
    (data / "dev.jsonl").write_text('{"id": "x"}\n')
    with pytest.raises(RecipeError, match=r"(?s)training refused: .*dev\.jsonl:1: missing field"):
        train(recipe_config(tmp_path, data, tiny_encoder))
    assert not (tmp_path / "model").exists()


def test_custom_labels_come_from_the_config(tmp_path, tiny_encoder):
    data = write_corpus(tmp_path / "corpus")
    config = recipe_config(tmp_path, data, tiny_encoder)
    config["threat_labels"] = ["drug_trafficking", "arms_trafficking"]
    with pytest.raises(RecipeError, match="unknown threat label"):
        train(config)


def test_bad_base_and_config_keys_are_named(tmp_path):
    with pytest.raises(RecipeError, match="not a model directory"):
        resolve_base(str(tmp_path))
    config = json.loads((REPO / "training/configs/default.json").read_text())
    del config["seed"]
    (tmp_path / "c.json").write_text(json.dumps(config))
    with pytest.raises(RecipeError, match="missing config key\\(s\\): seed"):
        load_config(tmp_path / "c.json")
    config["seed"], config["sede"] = 1, 2
    (tmp_path / "c.json").write_text(json.dumps(config))
    with pytest.raises(RecipeError, match="unknown config key\\(s\\): sede"):
        load_config(tmp_path / "c.json")


def test_existing_output_is_not_overwritten(tmp_path, tiny_encoder, capsys):
    config = recipe_config(tmp_path, write_corpus(tmp_path / "corpus"), tiny_encoder)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "keep.txt").write_text("mine")
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert main(["--config", str(tmp_path / "config.json")]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "model" / "keep.txt").read_text() == "mine"


def test_resume_continues_from_checkpoints(tmp_path, tiny_encoder):
    config = recipe_config(tmp_path, write_corpus(tmp_path / "corpus"), tiny_encoder)
    with pytest.raises(RecipeError, match="no checkpoint to resume from"):
        train(config, resume=True)
    config["epochs"] = 1
    train(config)
    assert list((tmp_path / "checkpoints").glob("checkpoint-*"))
    shutil.rmtree(tmp_path / "model")  # as if interrupted before the model was written
    (tmp_path / "card.md").unlink()
    config["epochs"] = 2
    with pytest.raises(RecipeError, match="holds checkpoints"):
        train(config, overwrite=False)
    metrics = train(config, resume=True)
    assert metrics["training"]["epochs_run"] == pytest.approx(2.0)


def test_help_lists_every_option():
    out = subprocess.run([sys.executable, "-m", "training.train", "--help"], cwd=REPO, capture_output=True,
                         text=True).stdout
    for option in ("--config", "--base", "--data-dir", "--output-dir", "--resume", "--overwrite", "head_learning_rate"):
        assert option in out


def test_per_language_metrics_follow_each_row_not_the_file_order(tmp_path, tiny_encoder):
    # Trainer's length-grouped sampler reorders evaluation rows too; the long Spanish rows come
    # first in its order and last in the file, so a language read from file order would be wrong.
    from secnews.labels import STANCES

    spanish = {
        "dev": [
            ("x1", "s20", "La Guardia Nacional aseguró un cargamento de fentanilo en una bodega de Culiacán, "
             "según informó la fiscalía estatal en un comunicado difundido el martes por la noche.", ["drug_trafficking"], "contentious"),
            ("x2", "s20", "El gobierno mexicano rechazó de nuevo la presencia de agentes extranjeros armados en "
             "territorio nacional y calificó la propuesta de Washington como una injerencia inaceptable.", [], "contentious"),
        ],
        "test": [
            ("y1", "s21", "Autoridades de ambos países acordaron en Monterrey un mecanismo conjunto para rastrear "
             "las armas que cruzan la frontera, aunque la cancillería insistió en sus reclamos.", ["arms_trafficking"], "contentious"),
            ("y2", "s21", "La Secretaría de Hacienda congeló las cuentas de una red de empresas fachada que lavaba "
             "dinero para un grupo criminal, y Washington criticó la lentitud del proceso.", ["illicit_finance"], "contentious"),
        ],
    }
    corpus = {split: rows + spanish.get(split, []) for split, rows in TINY_CORPUS.items()}
    data = write_corpus(tmp_path / "corpus", corpus)
    for split in spanish:
        path = data / f"{split}.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        for row in rows[-2:]:
            row["lang"] = "es"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    config = recipe_config(tmp_path, data, tiny_encoder)
    config.update(languages=["en", "es"], epochs=1)
    metrics = train(config)
    for split in spanish:
        rows = [json.loads(line) for line in (data / f"{split}.jsonl").read_text().splitlines()]
        for lang in ("en", "es"):
            confusion = metrics[split]["by_lang"][lang]["stance_confusion"]
            gold = [sum(r["stance"] == s for r in rows if r["lang"] == lang) for s in STANCES]
            assert [sum(row) for row in confusion] == gold, (split, lang)
