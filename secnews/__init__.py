"""secnews: label news passages on US–Mexico security by threat type and cooperation stance.

`import secnews` is light: torch and the model load on the first call that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .labels import STANCES, THREATS
from .results import ArticlePrediction, Prediction

__version__ = "0.1.0"
__all__ = [
    "THREATS",
    "STANCES",
    "Prediction",
    "ArticlePrediction",
    "Classifier",
    "classify",
    "classify_article",
]

if TYPE_CHECKING:
    from .classifier import Classifier, classify, classify_article


def __getattr__(name: str) -> Any:
    if name in ("Classifier", "classify", "classify_article"):
        from . import classifier

        return getattr(classifier, name)
    raise AttributeError(f"module 'secnews' has no attribute {name!r}")
