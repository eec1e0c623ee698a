"""Evidence: the sentence of a passage that most supports each predicted label.

Each sentence of a passage is scored by the model on its own (a one-sentence passage reuses its
own scores); a label's evidence is the sentence with the highest score for that label.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from ..results import Evidence, Prediction
from ..segment import sentence_starts

Scorer = Callable[[list[str]], tuple[np.ndarray, np.ndarray]]
"""Texts -> threat probabilities (n, threats) and stance probabilities (n, stances)."""


@dataclass(frozen=True)
class SentenceScores:
    """The sentences of one passage, as character spans, and each one's scores on its own."""

    spans: list[tuple[int, int]]
    threats: np.ndarray
    stances: np.ndarray


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character span of each sentence of `text`, surrounding whitespace left out."""
    bounds = [*sentence_starts(text), len(text)]
    spans = []
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        start, end = a + len(piece) - len(piece.lstrip()), a + len(piece.rstrip())
        if end > start:
            spans.append((start, end))
    return spans


def score_sentences(texts: Sequence[str], threats: np.ndarray, stances: np.ndarray,
                    scorer: Scorer) -> list[SentenceScores]:
    """Score every sentence of every text on its own, in one `scorer` call.

    `threats` and `stances` are the texts' own scores, reused for one-sentence texts.
    """
    spans = [sentence_spans(text) for text in texts]
    pending = [text[a:b] for text, ss in zip(texts, spans) if len(ss) > 1 for a, b in ss]
    if pending:
        sentence_threats, sentence_stances = scorer(pending)
    out, row = [], 0
    for index, ss in enumerate(spans):
        if len(ss) > 1:
            rows = slice(row, row + len(ss))
            row += len(ss)
            out.append(SentenceScores(ss, sentence_threats[rows], sentence_stances[rows]))
        else:
            out.append(SentenceScores(ss, threats[index : index + 1], stances[index : index + 1]))
    return out


def with_evidence(prediction: Prediction, sentences: SentenceScores) -> Prediction:
    """`prediction` with evidence for each of its threats and its stance."""
    return replace(prediction, evidence=_pick(prediction, [prediction.text], [sentences]))


def article_evidence(passages: Sequence[Prediction], sentences: Sequence[SentenceScores],
                     article: Prediction) -> dict[str, Evidence]:
    """Evidence for the article-level labels of `article`: the best sentence of any passage."""
    return _pick(article, [p.text for p in passages], sentences, named=True)


def _pick(prediction: Prediction, texts: Sequence[str], sentences: Sequence[SentenceScores],
          named: bool = False) -> dict[str, Evidence]:
    threat_labels, stance_labels = list(prediction.threat_scores), list(prediction.stance_scores)
    wanted = [(label, "threats", threat_labels.index(label)) for label in prediction.threats]
    wanted.append((prediction.stance, "stances", stance_labels.index(prediction.stance)))
    evidence = {}
    for label, kind, column in wanted:
        score, passage, row = max(((float(getattr(s, kind)[r, column]), p, r)
                                   for p, s in enumerate(sentences) for r in range(len(s.spans))),
                                  key=lambda candidate: candidate[0])
        start, end = sentences[passage].spans[row]
        evidence[label] = Evidence(start, end, texts[passage][start:end], score, passage if named else None)
    return evidence
