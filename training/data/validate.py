"""Corpus validator: schema, labels, duplicates, near-duplicates, story leakage; statistics."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from secnews.inputs import InputError, parse_gold, read_jsonl
from secnews.labels import STANCES, THREATS

SPLITS = ("train", "dev", "test")
FIELDS = frozenset({"id", "text", "threats", "stance", "lang", "source", "story"})
SHINGLE = 8  # words in a shared run that counts towards a near-duplicate
LENGTH_BANDS = ((1, 25), (26, 50), (51, 80), (81, 120), (121, 180), (181, None))
DEFAULT_DIR = Path(__file__).resolve().parent
LANGUAGES = ("en", "es")  # ISO 639-1 codes the corpus may hold
VERSION = "2.0"  # the corpus release in DEFAULT_DIR; the data card's title names it


class CorpusError(ValueError):
    """The corpus failed validation; `problems` lists every 'file:line: reason'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the corpus:\n{shown}{more}")


@dataclass
class Passage:
    where: str
    split: str
    id: str
    story: str
    text: str
    threats: list[str]
    stance: str
    source: str
    lang: str


@dataclass
class CorpusReport:
    """The validated passages and the statistics printed by `check` and kept in the data card."""

    passages: list[Passage]
    threat_labels: Sequence[str]
    stance_labels: Sequence[str]
    problems: list[str] = field(default_factory=list)

    def statistics(self) -> str:
        """Markdown tables of counts per split, label, stance, register and length band: for the whole
        corpus, then for each language."""
        languages = sorted({p.lang for p in self.passages})
        sections = [_tables(self.passages, self.threat_labels, self.stance_labels)]
        for lang in languages if len(languages) > 1 else []:
            part = [p for p in self.passages if p.lang == lang]
            sections.append(f"### Language: {lang}\n\n" + _tables(part, self.threat_labels, self.stance_labels))
        return "\n\n".join(sections)


def _tables(ps: list[Passage], threat_labels: Sequence[str], stance_labels: Sequence[str]) -> str:
    words = [len(p.text.split()) for p in ps]
    by_split = Counter(p.split for p in ps)
    stories = {s: len({p.story for p in ps if p.split == s}) for s in SPLITS}
    lines = [
        f"Passages: {len(ps)} in {len({p.story for p in ps})} stories. "
        f"Words per passage: min {min(words)}, median {statistics.median(words):g}, max {max(words)}.",
        "",
        "| split | passages | stories |",
        "|---|---:|---:|",
        *[f"| {s} | {by_split[s]} | {stories[s]} |" for s in SPLITS],
        "",
        "| threat label | train | dev | test | total |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in threat_labels:
        counts = [sum(label in p.threats for p in ps if p.split == s) for s in SPLITS]
        lines.append(f"| {label} | {' | '.join(map(str, counts))} | {sum(counts)} |")
    for name, test in (
        ("(no threat)", lambda p: not p.threats),
        ("(two or more)", lambda p: len(p.threats) > 1),
    ):
        counts = [sum(test(p) for p in ps if p.split == s) for s in SPLITS]
        lines.append(f"| {name} | {' | '.join(map(str, counts))} | {sum(counts)} |")
    lines += ["", "| stance | train | dev | test | total |", "|---|---:|---:|---:|---:|"]
    for label in stance_labels:
        counts = [sum(p.stance == label for p in ps if p.split == s) for s in SPLITS]
        lines.append(f"| {label} | {' | '.join(map(str, counts))} | {sum(counts)} |")
    lines += ["", "| register (`source`) | passages |", "|---|---:|"]
    for source, count in sorted(Counter(p.source for p in ps).items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {source} | {count} |")
    lines += ["", "| length (words) | passages |", "|---|---:|"]
    for low, high in LENGTH_BANDS:
        count = sum(low <= w and (high is None or w <= high) for w in words)
        lines.append(f"| {low}–{high if high else ''} | {count} |")
    return "\n".join(lines)


def validate(
    directory: str | Path = DEFAULT_DIR,
    threat_labels: Sequence[str] = THREATS,
    stance_labels: Sequence[str] = STANCES,
) -> CorpusReport:
    """Check train/dev/test.jsonl in `directory`; raise CorpusError listing every problem."""
    directory = Path(directory)
    passages: list[Passage] = []
    problems: list[str] = []
    for split in SPLITS:
        path = directory / f"{split}.jsonl"
        try:
            for number, row in read_jsonl(path):
                where = f"{path}:{number}"
                passage = _check_row(where, split, row, threat_labels, stance_labels, problems)
                if passage is not None:
                    passages.append(passage)
        except InputError as err:
            problems.append(str(err))
    problems += _duplicate_ids(passages)
    problems += _near_duplicates(passages)
    problems += _split_stories(passages)
    if not passages and not problems:
        problems.append(f"{directory}: the corpus is empty")
    if problems:
        raise CorpusError(problems)
    return CorpusReport(passages, threat_labels, stance_labels)


def _check_row(where, split, row, threat_labels, stance_labels, problems) -> Passage | None:
    missing, extra = sorted(FIELDS - set(row)), sorted(set(row) - FIELDS)
    if missing or extra:
        parts = ([f"missing field(s) {missing}"] if missing else []) + (
            [f"extra field(s) {extra}"] if extra else []
        )
        problems.append(f"{where}: {'; '.join(parts)}")
        return None
    try:
        text, threats, stance = parse_gold(where, row, threat_labels, stance_labels)
    except InputError as err:
        problems.append(str(err))
        return None
    if threats is None or stance is None:
        problems.append(f"{where}: 'threats' must be a list and 'stance' a label")
        return None
    for name in ("id", "story", "lang", "source"):
        if not isinstance(row[name], str) or not row[name].strip():
            problems.append(f"{where}: '{name}' must be a non-empty string")
            return None
    if row["lang"] not in LANGUAGES:
        problems.append(f"{where}: 'lang' {row['lang']!r} is not one of the corpus languages {', '.join(LANGUAGES)}")
        return None
    return Passage(where, split, row["id"], row["story"], text, threats, stance, row["source"], row["lang"])


def _duplicate_ids(passages: list[Passage]) -> list[str]:
    first: dict[str, str] = {}
    out = []
    for p in passages:
        if p.id in first:
            out.append(f"{p.where}: duplicate id {p.id!r} (first at {first[p.id]})")
        else:
            first[p.id] = p.where
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _near_duplicates(passages: list[Passage]) -> list[str]:
    """Pairs whose shared 8-word runs cover more than half of the shorter passage."""
    tokens = [_words(p.text) for p in passages]
    grams = [[tuple(t[i : i + SHINGLE]) for i in range(len(t) - SHINGLE + 1)] for t in tokens]
    index: dict[tuple[str, ...], set[int]] = defaultdict(set)
    exact: dict[tuple[str, ...], int] = {}
    out = []
    for i, t in enumerate(tokens):
        key = tuple(t)
        if key in exact:
            j = exact[key]
            out.append(f"{passages[i].where}: duplicate text of {passages[j].where}")
            continue
        exact[key] = i
        for g in grams[i]:
            index[g].add(i)
    pairs = {(min(a, b), max(a, b)) for ids in index.values() for a in ids for b in ids if a != b}
    for a, b in sorted(pairs):
        short, other = (a, b) if len(tokens[a]) <= len(tokens[b]) else (b, a)
        shared = set(grams[other])
        covered: set[int] = set()
        for pos, g in enumerate(grams[short]):
            if g in shared:
                covered.update(range(pos, pos + SHINGLE))
        if len(covered) * 2 > len(tokens[short]):
            out.append(
                f"{passages[b].where}: near-duplicate of {passages[a].where} "
                f"(shared 8-word runs cover {len(covered)}/{len(tokens[short])} words)"
            )
    return out


def _split_stories(passages: list[Passage]) -> list[str]:
    seen: dict[str, Passage] = {}
    out = []
    for p in passages:
        first = seen.setdefault(p.story, p)
        if first.split != p.split:
            out.append(
                f"{p.where}: story {p.story!r} is in {p.split} but also in {first.split} ({first.where})"
            )
    return out


def dataset_name(data_dir: str | Path) -> str:
    """Name for model cards: secnews-corpus-v<VERSION> for the project corpus, else the directory name."""
    path = Path(data_dir).resolve()
    return f"secnews-corpus-v{VERSION}" if path == DEFAULT_DIR else path.name
