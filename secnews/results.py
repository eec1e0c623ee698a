"""Prediction results for one passage and for a whole article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """The sentence that most supports one label: `text` is `source[start:end]`, where `source` is
    the passage text (for an article, the text of passage number `passage`, counted from 0);
    `score` is the model's score for the label on that sentence alone."""

    start: int
    end: int
    text: str
    score: float
    passage: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; `passage` only when set."""
        d: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text, "score": self.score}
        if self.passage is not None:
            d["passage"] = self.passage
        return d


@dataclass(frozen=True)
class Prediction:
    """Labels and scores for one passage.

    `threats` holds the labels whose score reaches the model's per-label threshold, highest
    score first; `stance_scores` are temperature-calibrated and sum to 1. `evidence` (only when
    asked for) maps each predicted threat and the stance to its Evidence.
    """

    text: str
    threats: list[str]
    threat_scores: dict[str, float]
    stance: str
    stance_scores: dict[str, float]
    evidence: dict[str, Evidence] | None = None

    @property
    def cooperation(self) -> float:
        """P(cooperative) − P(contentious), in [−1, 1]."""
        return _cooperation(self.stance_scores)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every field and `cooperation`; `evidence` only when set."""
        return _with_evidence({
            "text": self.text,
            "threats": list(self.threats),
            "threat_scores": dict(self.threat_scores),
            "stance": self.stance,
            "stance_scores": dict(self.stance_scores),
            "cooperation": self.cooperation,
        }, self.evidence)


@dataclass(frozen=True)
class ArticlePrediction:
    """Per-paragraph predictions and their article-level aggregate.

    Article threat scores are the maximum over passages (a threat reported anywhere counts);
    article stance scores are the mean of passage stance scores weighted by passage length in
    words. `evidence` (only when asked for) maps each article threat and the article stance to the
    best-supporting sentence of any passage (its Evidence names the passage).
    """

    passages: list[Prediction]
    threats: list[str]
    threat_scores: dict[str, float]
    stance: str
    stance_scores: dict[str, float]
    text: str = field(repr=False, default="")
    evidence: dict[str, Evidence] | None = None

    @property
    def cooperation(self) -> float:
        """P(cooperative) − P(contentious) of the article's stance scores, in [−1, 1]."""
        return _cooperation(self.stance_scores)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with the article-level fields and every passage's dict; `evidence` only
        when set."""
        return _with_evidence({
            "threats": list(self.threats),
            "threat_scores": dict(self.threat_scores),
            "stance": self.stance,
            "stance_scores": dict(self.stance_scores),
            "cooperation": self.cooperation,
            "passages": [p.to_dict() for p in self.passages],
        }, self.evidence)


PREFIX = "secnews_"  # flat prediction columns start with this, so they never collide with input fields


def flat_columns(prediction: "Prediction | ArticlePrediction") -> dict[str, Any]:
    """The prediction as flat, typed columns for tables (CSV, pandas, datasets, Arrow):
    `secnews_threats` (list of str), `secnews_stance` (str), `secnews_cooperation` (float),
    `secnews_threat_<label>` and `secnews_stance_<label>` (float scores)."""
    return {
        f"{PREFIX}threats": list(prediction.threats),
        f"{PREFIX}stance": prediction.stance,
        f"{PREFIX}cooperation": float(prediction.cooperation),
        **{f"{PREFIX}threat_{label}": float(v) for label, v in prediction.threat_scores.items()},
        **{f"{PREFIX}stance_{label}": float(v) for label, v in prediction.stance_scores.items()},
    }


def _with_evidence(d: dict[str, Any], evidence: dict[str, Evidence] | None) -> dict[str, Any]:
    if evidence is not None:
        d["evidence"] = {label: e.to_dict() for label, e in evidence.items()}
    return d


def _cooperation(stance_scores: dict[str, float]) -> float:
    value = stance_scores.get("cooperative", 0.0) - stance_scores.get("contentious", 0.0)
    return float(min(1.0, max(-1.0, value)))
