"""Vocabulary trimming: keep the unigram pieces English and Spanish text needs, prove coverage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from tokenizers import Tokenizer

from .convert import build_tokenizer

SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
MIN_WORD_AGREEMENT = 0.999
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
    """Sorted old ids to keep: specials, `used`, every one-character piece, every piece of digits and
    ASCII punctuation (numbers, dates, prices), and every piece holding a character that has no piece
    of its own (so nothing the full vocabulary covers becomes unknown)."""
    single = {p for p in pieces if len(p) == 1}
    keep = set(used) | {i for i, p in enumerate(pieces)
                        if len(p) == 1 or p in SPECIAL_PIECES or NUMERIC.fullmatch(p)}
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
