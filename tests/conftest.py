"""Shared fixtures: a tiny corpus written for the tests and a tiny BERT built on the spot."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("SECNEWS_CACHE", tempfile.mkdtemp(prefix="secnews-test-cache-"))  # ONNX exports stay out of ~/.cache

TINY_CORPUS = {
    "train": [
        ("t1", "s1", "Marines seized forty kilos of fentanyl pills at a warehouse in Culiacán.", ["drug_trafficking"], "neutral"),
        ("t2", "s1", "Both governments agreed to share intelligence on synthetic drug labs.", ["drug_trafficking"], "cooperative"),
        ("t3", "s2", "Mexico blamed lax American gun laws for the rifles smuggled south.", ["arms_trafficking"], "contentious"),
        ("t4", "s2", "A straw buyer in Tucson admitted purchasing pistols for a trafficking ring.", ["arms_trafficking"], "neutral"),
        ("t5", "s3", "Thieves drilled an illegal tap into a Pemex pipeline in Hidalgo.", ["fuel_theft"], "neutral"),
        ("t6", "s3", "Tomato exporters welcomed the new trade agreement signed in Washington.", [], "cooperative"),
        ("t7", "s4", "Smugglers packed migrants into a stash house near the border.", ["human_smuggling"], "neutral"),
        ("t8", "s4", "Treasury froze accounts of a cartel laundering network and its cash couriers.", ["illicit_finance", "organized_crime"], "neutral"),
        ("t9", "s5", "Washington threatened tariffs unless Mexico stopped the cartels.", ["organized_crime"], "contentious"),
        ("t10", "s5", "The peso rose after the central bank held interest rates.", [], "neutral"),
    ],
    "dev": [
        ("d1", "s6", "Agents found fentanyl hidden in a truck at the Nogales crossing.", ["drug_trafficking"], "neutral"),
        ("d2", "s6", "Mexico rejected any deployment of foreign troops on its soil.", [], "contentious"),
        ("d3", "s7", "The two countries signed a joint plan against gun trafficking.", ["arms_trafficking"], "cooperative"),
    ],
    "test": [
        ("e1", "s8", "Police discovered a fuel theft tap and a tanker truck in Puebla.", ["fuel_theft"], "neutral"),
        ("e2", "s8", "Officials from both nations pledged joint work against migrant smuggling.", ["human_smuggling"], "cooperative"),
        ("e3", "s9", "Mexico accused Washington of ignoring the cartels laundering money in banks.", ["illicit_finance"], "contentious"),
    ],
}


def write_corpus(directory: Path, corpus: dict = TINY_CORPUS) -> Path:
    """Write `corpus` as train/dev/test.jsonl in the project's record format."""
    directory.mkdir(parents=True, exist_ok=True)
    for split, rows in corpus.items():
        with (directory / f"{split}.jsonl").open("w", encoding="utf-8") as handle:
            for id_, story, text, threats, stance in rows:
                record = {"id": id_, "text": text, "threats": threats, "stance": stance,
                          "lang": "en", "source": "wire report", "story": story}
                handle.write(json.dumps(record) + "\n")
    return directory


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with a vocabulary made from the tiny corpus, saved as a local directory."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory = tmp_path_factory.mktemp("tiny-bert")
    words = sorted({w for rows in TINY_CORPUS.values() for row in rows for w in re.findall(r"\w+|[^\w\s]", row[2].lower())})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(directory)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_encoder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory written by the real recipe (1 epoch on the tiny corpus)."""
    from training.train import train

    root = tmp_path_factory.mktemp("recipe")
    config = recipe_config(root, write_corpus(root / "corpus"), tiny_encoder)
    train(config)
    return Path(config["output_dir"])


def recipe_config(root: Path, data_dir: Path, base: Path | None) -> dict:
    config = json.loads(Path("training/configs/default.json").read_text())
    config.update(
        base=str(base) if base else None, data_dir=str(data_dir), output_dir=str(root / "model"),
        checkpoint_dir=str(root / "checkpoints"), model_card=str(root / "card.md"),
        epochs=2, batch_size=4, max_seq_length=64, early_stopping_patience=1,
    )
    return config
