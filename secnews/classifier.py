"""Classifier: load a model directory, batch passages, predict; shared default instance."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, overload

import numpy as np
from tqdm.auto import tqdm

from . import backends
from .analysis.evidence import SentenceScores, article_evidence, score_sentences, with_evidence
from .inputs import as_text_list
from .model_dir import ModelDir
from .results import ArticlePrediction, Prediction
from .segment import split_paragraphs, windows

if TYPE_CHECKING:
    import datasets
    import pandas

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "secnews-minilm-v1"


class Classifier:
    """Threat and stance classifier: a model directory, its tokenizer and an inference backend.

    Long passages are cut into sentence-bounded windows; a passage's threat scores are the
    maximum over its windows and its stance scores the token-weighted mean.
    """

    def __init__(self, model: ModelDir, backend: backends.Backend, *, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_dir = model
        self.runner = backend
        self.tokenizer = model.tokenizer()
        self.pad_id = model.pad_id(self.tokenizer)
        self.specials = self.tokenizer.post_processor.num_special_tokens_to_add(False) if self.tokenizer.post_processor else 0
        self.batch_size = batch_size
        self.max_seq_length = model.max_seq_length

    @classmethod
    def load(cls, path: str | Path | None = None, *, backend: str = "auto", device: str = "cpu",
             batch_size: int = 32) -> "Classifier":
        """Load the default shipped model, another shipped model by name, or a model directory
        written by the recipe.

        `backend`: "auto" (the fastest one recorded as agreeing with torch-fp32 on this CPU),
        "torch-fp32", "torch-bf16" or "onnx-int8"; `Classifier.backend` names the one in use.
        """
        model = ModelDir.read(path if path is not None else DEFAULT_MODEL_DIR)
        return cls(model, backends.load(model, backend, device=device), batch_size=batch_size)

    @property
    def backend(self) -> str:
        return self.runner.name

    @property
    def name(self) -> str:
        return self.model_dir.name

    @property
    def threat_labels(self) -> list[str]:
        return self.model_dir.threat_labels

    @property
    def stance_labels(self) -> list[str]:
        return self.model_dir.stance_labels

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(self.threat_labels, self.model_dir.thresholds))

    def encode(self, texts: Sequence[str]) -> tuple[list[int], list[list[int]]]:
        """Token ids per model input (long texts cut into windows) and the text each one belongs to."""
        owners: list[int] = []
        encoded: list[list[int]] = []
        whole = [e.ids for e in self.tokenizer.encode_batch(list(texts))] if texts else []
        for index, (text, ids) in enumerate(zip(texts, whole)):
            parts = [ids] if len(ids) <= self.max_seq_length else self._window_ids(text)
            owners += [index] * len(parts)
            encoded += parts
        return owners, encoded

    def scores(self, texts: Sequence[str], *, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Threat probabilities (n, threats) and calibrated stance probabilities (n, stances)."""
        owners, encoded = self.encode(texts)
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
        room = self.max_seq_length - self.specials
        out = []
        for e in self.tokenizer.encode_batch(windows(text, self._offsets, room), add_special_tokens=False):
            e.truncate(room)  # over only if cut inside a word or a group of tokens sharing characters
            out.append(self.tokenizer.post_process(e).ids)
        return out

    def _offsets(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer.encode(text, add_special_tokens=False).offsets

    def _forward(self, encoded: list[list[int]], *, progress: bool) -> tuple[np.ndarray, np.ndarray]:
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        threat_out = np.zeros((len(encoded), len(self.threat_labels)), dtype=np.float32)
        stance_out = np.zeros((len(encoded), len(self.stance_labels)), dtype=np.float32)
        temperature = self.model_dir.temperature
        starts = range(0, len(order), self.batch_size)
        for start in tqdm(starts, desc="classifying", unit="batch", disable=not progress, leave=False):
            batch_ids = order[start : start + self.batch_size]
            width = -(-len(encoded[batch_ids[-1]]) // self.runner.pad_multiple) * self.runner.pad_multiple
            ids = np.full((len(batch_ids), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch_ids), width), dtype=np.int64)
            for row, i in enumerate(batch_ids):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1
            threat_logits, stance_logits = self.runner(ids, mask)
            threat_out[batch_ids] = 1.0 / (1.0 + np.exp(-threat_logits))
            z = stance_logits / temperature
            e = np.exp(z - z.max(axis=1, keepdims=True))
            stance_out[batch_ids] = e / e.sum(axis=1, keepdims=True)
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
    def classify(self, texts: str, *, progress: bool = ..., evidence: bool = ...) -> Prediction: ...
    @overload
    def classify(self, texts: Sequence[str], *, progress: bool = ..., evidence: bool = ...) -> list[Prediction]: ...

    def classify(self, texts: Any, *, progress: bool = False, evidence: bool = False) -> Prediction | list[Prediction]:
        """Classify one passage (returns a Prediction) or a sequence (a list, same order).

        `evidence=True` also scores each sentence on its own and sets `Prediction.evidence`.
        """
        items, single = as_text_list(texts)
        if not items:
            return []
        threats, stances = self.scores(items, progress=progress)
        predictions = [self._prediction(t, a, b) for t, a, b in zip(items, threats, stances)]
        if evidence:
            sentences = self._sentence_scores(items, threats, stances, progress)
            predictions = [with_evidence(p, s) for p, s in zip(predictions, sentences)]
        return predictions[0] if single else predictions

    def classify_article(self, text: str, *, progress: bool = False, evidence: bool = False) -> ArticlePrediction:
        """Classify each paragraph of an article, then aggregate (see ArticlePrediction)."""
        if not isinstance(text, str):
            raise TypeError(f"expected a str article, got {type(text).__name__}")
        return self.classify_articles([text], progress=progress, evidence=evidence)[0]

    def classify_articles(self, texts: Sequence[str], *, progress: bool = False,
                          evidence: bool = False) -> list[ArticlePrediction]:
        """classify_article for many articles, batched together; `evidence` as in classify."""
        items, _ = as_text_list(texts)
        paragraphs = [split_paragraphs(text) for text in items]
        flat = [p for ps in paragraphs for p in ps]
        threats, stances = self.scores(flat, progress=progress)
        sentences = self._sentence_scores(flat, threats, stances, progress) if evidence else None
        out, start = [], 0
        for text, ps in zip(items, paragraphs):
            rows = slice(start, start + len(ps))
            start += len(ps)
            passages = [self._prediction(p, a, b) for p, a, b in zip(ps, threats[rows], stances[rows])]
            lengths = np.array([len(p.split()) for p in ps], dtype=np.float64)
            article = self._prediction(text, threats[rows].max(axis=0), lengths @ stances[rows] / lengths.sum())
            found = None
            if sentences is not None:
                passages = [with_evidence(p, s) for p, s in zip(passages, sentences[rows])]
                found = article_evidence(passages, sentences[rows], article)
            out.append(
                ArticlePrediction(
                    passages=passages,
                    threats=article.threats,
                    threat_scores=article.threat_scores,
                    stance=article.stance,
                    stance_scores=article.stance_scores,
                    text=text,
                    evidence=found,
                )
            )
        return out

    def classify_frame(self, frame: "pandas.DataFrame", text_column: str = "text",
                       unit: str = "passage") -> "pandas.DataFrame":
        """`frame` with the `secnews_*` prediction columns added; see integrations.tables."""
        from .integrations.tables import classify_frame

        return classify_frame(self, frame, text_column, unit)

    def classify_dataset(self, dataset: "datasets.Dataset", text_column: str = "text",
                         unit: str = "passage") -> "datasets.Dataset":
        """`dataset` with the `secnews_*` prediction columns added; see integrations.tables."""
        from .integrations.tables import classify_dataset

        return classify_dataset(self, dataset, text_column, unit)

    def _sentence_scores(self, texts: list[str], threats: np.ndarray, stances: np.ndarray,
                         progress: bool) -> list[SentenceScores]:
        return score_sentences(texts, threats, stances, lambda s: self.scores(s, progress=progress))


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


def classify(texts: Any, *, evidence: bool = False) -> Prediction | list[Prediction]:
    """Classify passages with the shipped model; see Classifier.classify."""
    return default_classifier().classify(texts, evidence=evidence)


def classify_article(text: str, *, evidence: bool = False) -> ArticlePrediction:
    """Classify an article with the shipped model; see Classifier.classify_article."""
    return default_classifier().classify_article(text, evidence=evidence)
