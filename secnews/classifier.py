"""Classifier: load a model directory, batch passages, predict; shared default instance."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Sequence, overload

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from .inputs import as_text_list
from .modeling import SecnewsConfig, SecnewsModel
from .results import ArticlePrediction, Prediction
from .segment import split_paragraphs, windows

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "secnews-minilm-v1"


class Classifier:
    """Threat and stance classifier over a SecnewsModel and its tokenizer.

    Long passages are cut into sentence-bounded windows; a passage's threat scores are the
    maximum over its windows and its stance scores the token-weighted mean.
    """

    def __init__(
        self,
        model: SecnewsModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        device: str = "cpu",
        batch_size: int = 32,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = model.config.max_seq_length

    @classmethod
    def load(
        cls, path: str | Path | None = None, *, device: str = "cpu", batch_size: int = 32
    ) -> "Classifier":
        """Load the shipped model (default) or a model directory written by the recipe."""
        path = Path(path) if path is not None else DEFAULT_MODEL_DIR
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path}: not a secnews model directory (no config.json)")
        model_type = json.loads((path / "config.json").read_text(encoding="utf-8")).get("model_type")
        if model_type != SecnewsConfig.model_type:
            raise ValueError(f"{path}: not a secnews model (model_type {model_type!r}); train one with training.train")
        previous = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            model = SecnewsModel.from_pretrained(path, dtype=torch.float32, use_safetensors=True)
            tokenizer = AutoTokenizer.from_pretrained(path)
        finally:
            if previous:
                hf_logging.enable_progress_bar()
        return cls(model, tokenizer, device=device, batch_size=batch_size)

    @property
    def name(self) -> str:
        return Path(self.model.config.name_or_path or "secnews").name

    @property
    def threat_labels(self) -> list[str]:
        return list(self.model.config.threat_labels)

    @property
    def stance_labels(self) -> list[str]:
        return list(self.model.config.stance_labels)

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(self.threat_labels, self.model.config.threat_thresholds))

    def scores(self, texts: Sequence[str], *, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Threat probabilities (n, threats) and calibrated stance probabilities (n, stances)."""
        owners: list[int] = []
        encoded: list[list[int]] = []
        whole = self.tokenizer(list(texts), verbose=False)["input_ids"] if texts else []
        for index, (text, ids) in enumerate(zip(texts, whole)):
            parts = [ids] if len(ids) <= self.max_seq_length else self._window_ids(text)
            owners += [index] * len(parts)
            encoded += parts
        threat_probs, stance_probs = self._forward(encoded, progress=progress)
        n = len(texts)
        threats = np.zeros((n, len(self.threat_labels)), dtype=np.float32)
        stance_sum = np.zeros((n, len(self.stance_labels)), dtype=np.float64)
        weight = np.zeros(n, dtype=np.float64)
        for row, owner in enumerate(owners):
            threats[owner] = np.maximum(threats[owner], threat_probs[row])
            stance_sum[owner] += len(encoded[row]) * stance_probs[row]
            weight[owner] += len(encoded[row])
        stances = (stance_sum / weight[:, None]).astype(np.float32)
        return threats, stances

    def _window_ids(self, text: str) -> list[list[int]]:
        parts = windows(text, self._offsets, self.max_seq_length - self.tokenizer.num_special_tokens_to_add())
        return self.tokenizer(parts, truncation=True, max_length=self.max_seq_length, verbose=False)["input_ids"]

    def _offsets(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )["offset_mapping"]

    @torch.inference_mode()
    def _forward(self, encoded: list[list[int]], *, progress: bool) -> tuple[np.ndarray, np.ndarray]:
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        threat_out = np.zeros((len(encoded), len(self.threat_labels)), dtype=np.float32)
        stance_out = np.zeros((len(encoded), len(self.stance_labels)), dtype=np.float32)
        temperature = self.model.config.stance_temperature
        starts = range(0, len(order), self.batch_size)
        for start in tqdm(starts, desc="classifying", unit="batch", disable=not progress, leave=False):
            batch_ids = order[start : start + self.batch_size]
            batch = self.tokenizer.pad([{"input_ids": encoded[i]} for i in batch_ids], return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
            output = self.model(**batch)
            threat_out[batch_ids] = torch.sigmoid(output.threat_logits).float().cpu().numpy()
            stance_out[batch_ids] = (
                torch.softmax(output.stance_logits / temperature, dim=-1).float().cpu().numpy()
            )
        return threat_out, stance_out

    def _prediction(self, text: str, threat_row: np.ndarray, stance_row: np.ndarray) -> Prediction:
        threat_scores = {label: float(p) for label, p in zip(self.threat_labels, threat_row)}
        chosen = [l for l, t in self.thresholds.items() if threat_scores[l] >= t]
        chosen.sort(key=lambda l: -threat_scores[l])
        stance_scores = {label: float(p) for label, p in zip(self.stance_labels, stance_row)}
        return Prediction(
            text=text,
            threats=chosen,
            threat_scores=threat_scores,
            stance=self.stance_labels[int(np.argmax(stance_row))],
            stance_scores=stance_scores,
        )

    @overload
    def classify(self, texts: str, *, progress: bool = ...) -> Prediction: ...
    @overload
    def classify(self, texts: Sequence[str], *, progress: bool = ...) -> list[Prediction]: ...

    def classify(self, texts: Any, *, progress: bool = False) -> Prediction | list[Prediction]:
        """Classify one passage (returns a Prediction) or a sequence (a list, same order)."""
        items, single = as_text_list(texts)
        if not items:
            return []
        threats, stances = self.scores(items, progress=progress)
        predictions = [self._prediction(t, a, b) for t, a, b in zip(items, threats, stances)]
        return predictions[0] if single else predictions

    def classify_article(self, text: str, *, progress: bool = False) -> ArticlePrediction:
        """Classify each paragraph of an article, then aggregate (see ArticlePrediction)."""
        if not isinstance(text, str):
            raise TypeError(f"expected a str article, got {type(text).__name__}")
        return self.classify_articles([text], progress=progress)[0]

    def classify_articles(self, texts: Sequence[str], *, progress: bool = False) -> list[ArticlePrediction]:
        """classify_article for many articles, batched together."""
        items, _ = as_text_list(texts)
        paragraphs = [split_paragraphs(text) for text in items]
        flat = [p for ps in paragraphs for p in ps]
        threats, stances = self.scores(flat, progress=progress)
        out, start = [], 0
        for text, ps in zip(items, paragraphs):
            rows = slice(start, start + len(ps))
            start += len(ps)
            passages = [self._prediction(p, a, b) for p, a, b in zip(ps, threats[rows], stances[rows])]
            lengths = np.array([len(p.split()) for p in ps], dtype=np.float64)
            article = self._prediction(text, threats[rows].max(axis=0), lengths @ stances[rows] / lengths.sum())
            out.append(
                ArticlePrediction(
                    passages=passages,
                    threats=article.threats,
                    threat_scores=article.threat_scores,
                    stance=article.stance,
                    stance_scores=article.stance_scores,
                    text=text,
                )
            )
        return out


_default: Classifier | None = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    """The shipped model, loaded once on first use (thread-safe)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Classifier.load()
    return _default


def classify(texts: Any) -> Prediction | list[Prediction]:
    """Classify passages with the shipped model; see Classifier.classify."""
    return default_classifier().classify(texts)


def classify_article(text: str) -> ArticlePrediction:
    """Classify an article with the shipped model; see Classifier.classify_article."""
    return default_classifier().classify_article(text)
