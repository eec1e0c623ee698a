"""Post-training tuning on dev: per-label threat thresholds and the stance temperature."""

from __future__ import annotations

import numpy as np
import torch

from secnews.bench.tuning import best_threshold

# With 20-50 positives per label in dev, unconstrained F1 maxima land on extreme thresholds that
# do not carry over to new text; the search stays within 0.30-0.70.
THRESHOLD_GRID = np.round(np.arange(0.30, 0.701, 0.01), 2)


def tune_thresholds(probs: np.ndarray, gold: np.ndarray) -> list[float]:
    """Per label, the grid threshold with the highest dev F1 (ties: nearest 0.5); 0.5 without positives."""
    out = []
    for j in range(gold.shape[1]):
        if gold[:, j].sum() == 0:
            out.append(0.5)
            continue
        out.append(best_threshold(probs[:, j], gold[:, j], THRESHOLD_GRID, prefer=0.5))
    return out


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature T > 0 minimising dev negative log-likelihood of softmax(logits / T)."""
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(gold, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))
