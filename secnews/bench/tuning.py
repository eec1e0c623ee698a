"""Threshold search shared by the recipe and the baselines."""

from __future__ import annotations

import numpy as np


def binary_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    """F1 of boolean predictions against boolean gold (0 when both are empty)."""
    tp = float((pred & gold).sum())
    denominator = float(pred.sum() + gold.sum())
    return 2 * tp / denominator if denominator else 0.0


def best_threshold(scores: np.ndarray, gold: np.ndarray, grid: np.ndarray, prefer: float) -> float:
    """The grid value with the highest F1 of `scores >= t`; ties go to the value nearest `prefer`."""
    gold = gold.astype(bool)
    return float(max(grid, key=lambda t: (binary_f1(scores >= t, gold), -abs(t - prefer))))
