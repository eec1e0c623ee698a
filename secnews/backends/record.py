"""`backends.json` beside a model's weights: each backend's measured agreement with torch-fp32."""

from __future__ import annotations

import json
from typing import Any

from ..model_dir import ModelDir

RECORD = "backends.json"
MIN_AGREEMENT = 0.995


def read_record(model: ModelDir) -> dict[str, Any] | None:
    """The record, or None when absent or written for other weights (stale)."""
    path = model.path / RECORD
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    return record if record.get("weights_sha256") == model.weights_sha256 else None


def passed(record: dict[str, Any] | None, name: str) -> bool:
    """Recorded as passing its agreement check (see `agreement.measure`) for these weights."""
    if name == "torch-fp32":
        return True
    return bool(((record or {}).get("backends", {}).get(name) or {}).get("passed"))


def write_record(model: ModelDir, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    record = {"weights_sha256": model.weights_sha256, "reference": "torch-fp32",
              "min_agreement": MIN_AGREEMENT, "backends": results}
    (model.path / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
