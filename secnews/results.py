"""Prediction results for one passage and for a whole article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """Labels and scores for one passage.

    `threats` holds the labels whose score reaches the model's per-label threshold, highest
    score first; `stance_scores` are temperature-calibrated and sum to 1.
    """

    text: str
    threats: list[str]
    threat_scores: dict[str, float]
    stance: str
    stance_scores: dict[str, float]

    @property
    def cooperation(self) -> float:
        """P(cooperative) − P(contentious), in [−1, 1]."""
        return _cooperation(self.stance_scores)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every field and `cooperation`."""
        return {
            "text": self.text,
            "threats": list(self.threats),
            "threat_scores": dict(self.threat_scores),
            "stance": self.stance,
            "stance_scores": dict(self.stance_scores),
            "cooperation": self.cooperation,
        }


@dataclass(frozen=True)
class ArticlePrediction:
    """Per-paragraph predictions and their article-level aggregate.

    Article threat scores are the maximum over passages (a threat reported anywhere counts);
    article stance scores are the mean of passage stance scores weighted by passage length in
    words.
    """

    passages: list[Prediction]
    threats: list[str]
    threat_scores: dict[str, float]
    stance: str
    stance_scores: dict[str, float]
    text: str = field(repr=False, default="")

    @property
    def cooperation(self) -> float:
        """P(cooperative) − P(contentious) of the article's stance scores, in [−1, 1]."""
        return _cooperation(self.stance_scores)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with the article-level fields and every passage's dict."""
        return {
            "threats": list(self.threats),
            "threat_scores": dict(self.threat_scores),
            "stance": self.stance,
            "stance_scores": dict(self.stance_scores),
            "cooperation": self.cooperation,
            "passages": [p.to_dict() for p in self.passages],
        }


def _cooperation(stance_scores: dict[str, float]) -> float:
    value = stance_scores.get("cooperative", 0.0) - stance_scores.get("contentious", 0.0)
    return float(min(1.0, max(-1.0, value)))
