"""`python -m training.encoders.probe DIR [DIR ...]`: how well an encoder's mean-pooled vectors
read two labels before any fine-tuning (logistic regression on the first 600 train passages,
F1 on the first 238 dev passages: the English ones), and how much of the pooled norm is the
vectors' common mean."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training.data.validate import DEFAULT_DIR

LABELS = ("drug_trafficking", "organized_crime")


def pooled(encoder_dir: str, texts: list[str]) -> np.ndarray:
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(encoder_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), 32):
            batch = tokenizer(texts[start:start + 32], padding=True, truncation=True, max_length=256, return_tensors="pt")
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out.append(((model(**batch).last_hidden_state * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(out)


def probe(encoder_dir: str, data_dir: Path = DEFAULT_DIR) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    def rows(split: str, n: int) -> list[dict]:
        with (data_dir / f"{split}.jsonl").open(encoding="utf-8") as handle:
            return [json.loads(line) for line, _ in zip(handle, range(n))]

    train, dev = rows("train", 600), rows("dev", 238)
    x_train, x_dev = pooled(encoder_dir, [r["text"] for r in train]), pooled(encoder_dir, [r["text"] for r in dev])
    result = {"pooled_norm": float(np.linalg.norm(x_train, axis=1).mean()),
              "mean_vector_norm": float(np.linalg.norm(x_train.mean(0)))}
    for label in LABELS:
        fit = LogisticRegression(max_iter=2000).fit(x_train, [label in r["threats"] for r in train])
        result[f"{label}_f1"] = float(f1_score([label in r["threats"] for r in dev], fit.predict(x_dev)))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.encoders.probe", description=__doc__)
    parser.add_argument("encoders", nargs="+", help="encoder directories (from training.encoders convert)")
    for directory in parser.parse_args(argv).encoders:
        print(directory, json.dumps({k: round(v, 3) for k, v in probe(directory).items()}))


if __name__ == "__main__":
    main()
