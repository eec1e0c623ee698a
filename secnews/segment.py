"""Article -> paragraphs -> sentence-bounded windows that fit the model."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Callable, Sequence

_BLANK_LINE = re.compile(r"\n\s*\n")
_SENTENCE_START = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[¿¡]?[A-Z0-9ÁÉÍÓÚÑ])")
_LINE_END = re.compile(r"[.!?…:;\"'”’)\]]$")
_WORD_SEARCH = 32  # how many tokens back a long sentence's cut may move to reach a word start

Offsets = Sequence[tuple[int, int]]


def split_paragraphs(article: str) -> list[str]:
    """Paragraphs of an article.

    Blank lines always separate paragraphs. Inside a block, lines are joined when the block is
    hard-wrapped (most of its lines stop mid-sentence); otherwise each line is a paragraph.
    """
    text = article.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs: list[str] = []
    for block in _BLANK_LINE.split(text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        open_lines = sum(not _LINE_END.search(line) for line in lines[:-1])
        if lines and open_lines * 2 > len(lines) - 1:
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return paragraphs


def sentence_starts(text: str) -> list[int]:
    """Character offsets at which the sentences of `text` start (0 first)."""
    return [0] + [m.end() for m in _SENTENCE_START.finditer(text)]


def windows(text: str, token_offsets: Callable[[str], Offsets], max_tokens: int) -> list[str]:
    """Cut `text` into runs of whole sentences of at most `max_tokens` tokens each.

    `token_offsets` maps text to the (start, end) character span of each token; a span may take
    in the whitespace before its word, and several tokens may share characters. A sentence longer
    than the limit is cut at a word start. Tokens sharing characters stay in one window, which
    exceeds the limit only when such a group alone does. Whitespace-only windows are dropped.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    offsets = list(token_offsets(text))
    if len(offsets) <= max_tokens:
        return [text.strip()] if text.strip() else []
    starts = [end - len(text[start:end].lstrip()) for start, end in offsets]  # first non-space character
    n = len(offsets)
    bounds = {0, n}
    for c in sentence_starts(text):
        i = bisect_left(starts, c)
        if 0 < i < n and offsets[i - 1][1] <= c:  # no token runs across the sentence start
            bounds.add(i)
    bounds = sorted(bounds)
    cuts = [0]
    for begin, end in zip(bounds, bounds[1:]):  # `begin`: the sentence boundary just before `end`
        if end - cuts[-1] <= max_tokens:
            continue
        if begin > cuts[-1]:
            cuts.append(begin)
        while end - cuts[-1] > max_tokens:
            cuts.append(_word_cut(text, offsets, starts, cuts[-1], cuts[-1] + max_tokens))
    cuts.append(n)
    parts = (text[starts[a] : offsets[b - 1][1]].strip() for a, b in zip(cuts, cuts[1:]) if b > a)
    return [part for part in parts if part]


def _word_cut(text: str, offsets: Offsets, starts: list[int], low: int, cut: int) -> int:
    """Where to end a window that starts at token `low` and may run to token `cut`.

    Never between tokens that share characters. The latest word start within `_WORD_SEARCH`
    tokens of `cut`; else the latest cut after `low`; else the first cut after `cut`.
    """
    latest = None
    for i in range(cut, low, -1):
        if latest and cut - i >= _WORD_SEARCH:
            break
        if offsets[i - 1][1] > starts[i]:  # shares characters with token i - 1
            continue
        if starts[i] > 0 and text[starts[i] - 1].isspace() and starts[i - 1] < offsets[i - 1][1]:
            return i  # a word start not preceded by a whitespace-only token, which goes with its word
        latest = latest or i
    if latest:
        return latest
    return next((i for i in range(cut + 1, len(offsets)) if offsets[i - 1][1] <= starts[i]), len(offsets))
