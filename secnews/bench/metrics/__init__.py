"""The project's metrics as local `evaluate` modules, loaded by path (no hub)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """Load one of `multilabel_prf`, `stance_scores`, `calibration` with `evaluate.load`."""
    import evaluate

    path = _HERE / name
    if not (path / f"{name}.py").is_file():
        raise ValueError(f"no local metric named {name!r}")
    return evaluate.load(str(path))
