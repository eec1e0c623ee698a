"""A secnews model directory read without torch: labels, thresholds, tokenizer, weights' digest."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_TYPE = "secnews"
WEIGHTS = "model.safetensors"
SHIPPED_DIR = Path(__file__).resolve().parent / "models"


def shipped_models() -> list[str]:
    """Names of the models inside the package (`secnews/models/<name>/`)."""
    return sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / "config.json").is_file())


def resolve(path_or_name: str | Path) -> Path:
    """A model directory: an existing path, else the name of a shipped model."""
    path = Path(path_or_name)
    if path.exists() or str(path_or_name) not in shipped_models():
        return path
    return SHIPPED_DIR / str(path_or_name)


@dataclass(frozen=True)
class ModelDir:
    """The parts of a model directory that inference needs before any backend loads."""

    path: Path
    config: dict[str, Any] = field(repr=False)

    @classmethod
    def read(cls, path: str | Path) -> "ModelDir":
        """Read a model directory, or a shipped model by name."""
        path = resolve(path)
        config_path = path / "config.json"
        if not config_path.is_file():
            raise FileNotFoundError(f"{path}: not a secnews model directory (no config.json); "
                                    f"shipped models: {', '.join(shipped_models())}")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{config_path}:{err.lineno}: invalid JSON: {err.msg}") from None
        if config.get("model_type") != MODEL_TYPE:
            raise ValueError(f"{path}: not a secnews model (model_type {config.get('model_type')!r}); "
                             "train one with training.train")
        for name in ("tokenizer.json", WEIGHTS):
            if not (path / name).is_file():
                raise FileNotFoundError(f"{path}: no {name} in the model directory")
        return cls(path, config)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def threat_labels(self) -> list[str]:
        return list(self.config["threat_labels"])

    @property
    def stance_labels(self) -> list[str]:
        return list(self.config["stance_labels"])

    @property
    def thresholds(self) -> list[float]:
        return [float(t) for t in self.config["threat_thresholds"]]

    @property
    def temperature(self) -> float:
        return float(self.config.get("stance_temperature", 1.0))

    @property
    def max_seq_length(self) -> int:
        return int(self.config["max_seq_length"])

    @property
    def encoder(self) -> dict[str, Any]:
        return dict(self.config["encoder"])

    def flops_per_token(self, context: int) -> float:
        """Encoder FLOPs for one token attending over `context` tokens (2 per multiply-add)."""
        e = self.encoder
        hidden, inner, layers = e["hidden_size"], e["intermediate_size"], e["num_hidden_layers"]
        return float(layers * (8 * hidden * hidden + 4 * hidden * inner + 4 * context * hidden))

    @functools.cached_property
    def weights_sha256(self) -> str:
        digest = hashlib.sha256()
        with (self.path / WEIGHTS).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def tokenizer(self):
        """The fast tokenizer (`tokenizers.Tokenizer`), no truncation or padding set."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def pad_id(self, tokenizer) -> int:
        """The padding token's id (from tokenizer_config.json; 0 when none is named)."""
        settings_path = self.path / "tokenizer_config.json"
        settings = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
        pad = settings.get("pad_token", "[PAD]")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        pad_id = tokenizer.token_to_id(pad) if isinstance(pad, str) else None
        return 0 if pad_id is None else pad_id
