"""PNG plots for a bench report: stance confusion matrices, reliability diagrams, per-label F1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def write_plots(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the plots that the report's labels allow; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    systems = report["systems"]
    first = next(iter(systems.values()))
    written = []
    if "stance_confusion" in first:
        written.append(_confusion(systems, out_dir / "stance_confusion.png"))
    written.append(_reliability(systems, out_dir / "reliability.png"))
    if "threats" in first:
        written.append(_per_label_f1(systems, out_dir / "per_label_f1.png"))
    return written


def _confusion(systems: dict[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(systems), figsize=(3.6 * len(systems), 3.4), squeeze=False)
    for ax, (name, r) in zip(axes[0], systems.items()):
        matrix = np.array(r["stance_confusion"])
        ax.imshow(matrix, cmap="Blues")
        labels = r["stance_labels"]
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        for i, j in np.ndindex(matrix.shape):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black", fontsize=9)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("gold", fontsize=8)
    fig.suptitle("Stance confusion matrices")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _reliability(systems: dict[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, key, title in ((axes[0], "threat_reliability", "Threats: P(label) vs frequency"),
                           (axes[1], "stance_reliability", "Stance: top-label confidence vs accuracy")):
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
        for name, r in systems.items():
            curve = r.get(key)
            if curve:
                ax.plot([b["confidence"] for b in curve], [b["frequency"] for b in curve], marker="o", label=name)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted probability", ylabel="observed frequency", title=title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _per_label_f1(systems: dict[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    labels = list(next(iter(systems.values()))["threats"])
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(10, 4))
    for k, (name, r) in enumerate(systems.items()):
        ax.bar(np.arange(len(labels)) + k * width, [r["threats"][l]["f1"] for l in labels], width, label=name)
    ax.set_xticks(np.arange(len(labels)) + width * (len(systems) - 1) / 2, labels, rotation=20, ha="right")
    ax.set(ylim=(0, 1), ylabel="F1", title="Per-label threat F1 by system")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
