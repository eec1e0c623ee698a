"""Compare two ways of finding a label's evidence sentence, and what evidence costs.

Methods: "sentence" (each sentence scored on its own; what secnews ships) and "leave-one-out"
(the drop in the passage's score when the sentence is removed). Agreement with passage labels is
a pointing game: consecutive test passages of one story are joined into one passage, and a label
the model predicts on the join counts as a hit when its evidence sentence comes from a part whose
gold labels hold it (only labels some parts have and others lack are counted). Cost: seconds for
`classify` on the test passages without and with evidence, interleaved in one run.

    .venv/bin/python examples/evidence_methods.py [--data training/data/test.jsonl] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

import numpy as np

from secnews import Classifier
from secnews.analysis.evidence import SentenceScores, score_sentences, sentence_spans, with_evidence


def leave_one_out(texts, threats, stances, scorer) -> list[SentenceScores]:
    """Score of each sentence = passage score minus the score of the passage without it."""
    spans = [sentence_spans(t) for t in texts]
    pending = [" ".join((t[:a] + " " + t[b:]).split()) for t, ss in zip(texts, spans) if len(ss) > 1 for a, b in ss]
    without_t, without_s = scorer(pending) if pending else (None, None)
    out, row = [], 0
    for i, ss in enumerate(spans):
        if len(ss) > 1:
            rows = slice(row, row + len(ss))
            row += len(ss)
            out.append(SentenceScores(ss, threats[i] - without_t[rows], stances[i] - without_s[rows]))
        else:
            out.append(SentenceScores(ss, threats[i : i + 1], stances[i : i + 1]))
    return out


def joins(rows, size):
    """Runs of `size` consecutive passages of one story: (text, [(start, end, threats, stance)])."""
    by_story = defaultdict(list)
    for r in rows:
        by_story[r["story"]].append(r)
    out = []
    for parts in by_story.values():
        for i in range(len(parts) - size + 1):
            text, pieces = "", []
            for r in parts[i : i + size]:
                start = len(text) + (1 if text else 0)
                text = f"{text} {r['text']}" if text else r["text"]
                pieces.append((start, len(text), set(r["threats"]), r["stance"]))
            out.append((text, pieces))
    return out


def pointing(clf, composites, method):
    texts = [c[0] for c in composites]
    threats, stances = clf.scores(texts)
    tables = method(texts, threats, stances, clf.scores)
    hits = defaultdict(list)
    chance = defaultdict(list)
    for (text, pieces), t, s, table in zip(composites, threats, stances, tables):
        p = with_evidence(clf._prediction(text, t, s), table)
        owner = [next(k for k, (a, b, _, _) in enumerate(pieces) if start < b) for start, _ in table.spans]
        for label, ev in p.evidence.items():
            kind = "stance" if label in clf.stance_labels else "threat"
            has = [label == piece[3] if kind == "stance" else label in piece[2] for piece in pieces]
            if all(has) or not any(has):
                continue
            hits[kind].append(has[owner[table.spans.index((ev.start, ev.end))]])
            chance[kind].append(np.mean([has[o] for o in owner]))
    return {k: {"n": len(v), "hit_rate": float(np.mean(v)), "chance": float(np.mean(chance[k]))} for k, v in hits.items()}


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="training/data/test.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="torch-fp32")
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.data, encoding="utf-8") if line.strip()]
    clf = Classifier.load(backend=args.backend)
    composites = joins(rows, 2) + joins(rows, 3)
    report = {"data": args.data, "backend": clf.backend, "passages": len(rows), "joined_passages": len(composites),
              "pointing": {"sentence": pointing(clf, composites, score_sentences),
                           "leave-one-out": pointing(clf, composites, leave_one_out)}}
    texts = [r["text"] for r in rows]
    clf.classify(texts[:32])  # warm-up

    def loo():
        threats, stances = clf.scores(texts)
        leave_one_out(texts, threats, stances, clf.scores)

    runs = {"plain": [], "sentence": [], "leave-one-out": []}
    for _ in range(args.rounds):
        runs["plain"].append(timed(lambda: clf.classify(texts)))
        runs["sentence"].append(timed(lambda: clf.classify(texts, evidence=True)))
        runs["leave-one-out"].append(timed(loo))
    report["seconds"] = {k: statistics.median(v) for k, v in runs.items()}
    report["seconds_all"] = runs
    print(json.dumps(report, indent=2))
    plain = report["seconds"]["plain"]
    print(f"\n{len(rows)} passages, {len(composites)} joined passages, backend {clf.backend}, median of {args.rounds}\n")
    print("| method | threat hits | stance hits | seconds | x plain |\n|---|---:|---:|---:|---:|")
    print(f"| none | | | {plain:.1f} | 1.00 |")
    for name, scores in report["pointing"].items():
        t, st = scores["threat"], scores["stance"]
        print(f"| {name} | {t['hit_rate']:.3f} (n={t['n']}, chance {t['chance']:.2f}) | "
              f"{st['hit_rate']:.3f} (n={st['n']}, chance {st['chance']:.2f}) | "
              f"{report['seconds'][name]:.1f} | {report['seconds'][name] / plain:.2f} |")


if __name__ == "__main__":
    main()
