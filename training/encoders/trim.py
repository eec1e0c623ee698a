"""Vocabulary trimming: keep the unigram pieces English and Spanish text needs, prove coverage."""

from __future__ import annotations

import base64
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tokenizers import Tokenizer

from .convert import build_tokenizer

SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
MIN_WORD_AGREEMENT = 0.999
EAST_ASIAN_START = 0x3000  # CJK punctuation, kana, CJK ideographs, Hangul: no English or Spanish text needs them
EMBEDDING_SUFFIX = "embeddings.word_embeddings.weight"
NUMERIC = re.compile(r"▁?[0-9.,:;%$/\-]+")


class CoverageError(ValueError):
    """The trimmed vocabulary tokenises too many words differently, or adds unknowns."""


@dataclass
class Coverage:
    words: int
    same_words: int
    texts: int
    new_unknowns: int
    examples: list[str]

    @property
    def word_agreement(self) -> float:
        return self.same_words / max(self.words, 1)

    def as_dict(self) -> dict:
        return {"words": self.words, "same_words": self.same_words, "word_agreement": self.word_agreement,
                "texts": self.texts, "texts_with_new_unknowns": self.new_unknowns, "examples": self.examples}


def read_word_list(path: str | Path) -> list[str]:
    """One word a line (a Debian word list such as /usr/share/dict/spanish); errors name file:line."""
    path = Path(path)
    words = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    words.append(line.strip())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such word list") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}:{number + 1}: not UTF-8 ({err.reason})") from None
    return words


def pieces_needed(tokenizer: Tokenizer, texts: Iterable[str], words: Sequence[str]) -> set[int]:
    """Ids the full tokenizer uses on `texts` and on each word as written and capitalised."""
    variants = list(words) + [w[:1].upper() + w[1:] for w in words]
    used: set[int] = set()
    for batch in (list(texts), variants):
        for encoding in tokenizer.encode_batch(batch, add_special_tokens=False):
            used.update(encoding.ids)
    return used


def keep_ids(pieces: Sequence[str], used: set[int]) -> np.ndarray:
    """Sorted old ids to keep: specials, `used`, every one-character piece below U+3000 (Latin,
    Greek, Cyrillic, other alphabets, punctuation, symbols; the East Asian scripts above it go), every
    piece of digits and ASCII punctuation (numbers, dates, prices), and every piece holding a
    character that has no piece of its own."""
    single = {p for p in pieces if len(p) == 1}
    keep = set(used) | {i for i, p in enumerate(pieces) if p in SPECIAL_PIECES or NUMERIC.fullmatch(p)
                        or (len(p) == 1 and ord(p) < EAST_ASIAN_START)}
    keep |= {i for i, p in enumerate(pieces) if any(ch not in single for ch in p) and p not in SPECIAL_PIECES
             and not (p.startswith("<") and p.endswith(">"))}
    return np.array(sorted(keep), dtype=np.int64)


def trimmed_tokenizer(pieces: Sequence[str], scores: np.ndarray, kept: np.ndarray, charsmap: bytes) -> Tokenizer:
    sub = [pieces[i] for i in kept]
    return build_tokenizer(sub, scores[kept], charsmap, sub.index("<unk>"))


def coverage(full: Tokenizer, trimmed: Tokenizer, texts: Sequence[str], words: Sequence[str]) -> Coverage:
    """Per word (each whitespace word of `texts` and each list word, tokenised alone): same pieces?
    Per text: does the trimmed vocabulary produce an unknown where the full one did not?"""
    all_words = sorted({w for t in texts for w in t.split()} | set(words))
    a = full.encode_batch(all_words, add_special_tokens=False)
    b = trimmed.encode_batch(all_words, add_special_tokens=False)
    differ = [w for w, x, y in zip(all_words, a, b) if x.tokens != y.tokens]
    unk_full, unk_trim = full.token_to_id("<unk>"), trimmed.token_to_id("<unk>")
    fa = full.encode_batch(list(texts), add_special_tokens=False)
    fb = trimmed.encode_batch(list(texts), add_special_tokens=False)
    new_unknowns = sum(y.ids.count(unk_trim) > x.ids.count(unk_full) for x, y in zip(fa, fb))
    return Coverage(len(all_words), len(all_words) - len(differ), len(texts), new_unknowns, differ[:20])


def check(result: Coverage, what: str) -> None:
    if result.word_agreement < MIN_WORD_AGREEMENT or result.new_unknowns:
        raise CoverageError(
            f"trimmed vocabulary fails its coverage check on {what}: {result.word_agreement:.4%} of "
            f"{result.words} words tokenised as with the full vocabulary (needs {MIN_WORD_AGREEMENT:.1%}), "
            f"{result.new_unknowns} text(s) with new unknowns; e.g. {result.examples[:5]}")


def unigram_parts(tokenizer_json: Path) -> tuple[list[str], np.ndarray, bytes]:
    """Pieces, scores and precompiled normaliser charsmap of a unigram tokenizer.json (ours)."""
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model = data.get("model", {})
    charsmaps = [n.get("precompiled_charsmap") for n in (data.get("normalizer") or {}).get("normalizers", [])
                 if n.get("type") == "Precompiled"]
    if model.get("type") != "Unigram" or len(charsmaps) != 1:
        raise ValueError(f"{tokenizer_json}: not a unigram tokenizer with a precompiled normaliser "
                         "(only directories written by `python -m training.encoders` can be re-trimmed)")
    pieces = [p for p, _ in model["vocab"]]
    return pieces, np.array([s for _, s in model["vocab"]], dtype=np.float64), base64.b64decode(charsmaps[0])


def retrim(source: Path, built: Path, train_texts: Sequence[str], all_texts: Sequence[str],
           words: Sequence[str]) -> dict:
    """Write `source` (an encoder or a trained model directory) to `built` with its vocabulary trimmed
    again by `keep_ids`: the embedding rows are re-indexed, every other tensor and file is kept, and
    coverage against `source`'s own tokenizer is checked on `all_texts` and `words`. The model's
    outputs are unchanged on every text whose pieces all survive."""
    full = Tokenizer.from_file(str(source / "tokenizer.json"))
    pieces, scores, charsmap = unigram_parts(source / "tokenizer.json")
    kept = keep_ids(pieces, pieces_needed(full, train_texts, words))
    tokenizer = trimmed_tokenizer(pieces, scores, kept, charsmap)
    result = coverage(full, tokenizer, all_texts, words)
    check(result, f"{len(all_texts)} texts and {len(words)} list words")
    with safe_open(str(source / "model.safetensors"), "pt") as weights:
        metadata = weights.metadata()
        state = {k: weights.get_tensor(k) for k in weights.keys()}
    [key] = [k for k in state if k.endswith(EMBEDDING_SUFFIX)] or [None]
    if key is None or state[key].shape[0] != len(pieces):
        raise ValueError(f"{source}/model.safetensors: no {EMBEDDING_SUFFIX} with one row per tokenizer piece")
    state[key] = state[key][torch.from_numpy(kept)].contiguous()
    built.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and path.name not in ("model.safetensors", "tokenizer.json", "config.json", "backends.json"):
            shutil.copy2(path, built / path.name)
    save_file(state, str(built / "model.safetensors"), metadata=metadata)
    tokenizer.save(str(built / "tokenizer.json"))
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    (config["encoder"] if "encoder" in config else config)["vocab_size"] = len(kept)
    (built / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"vocab_before": len(pieces), "vocab_after": len(kept), "coverage": result.as_dict()}
