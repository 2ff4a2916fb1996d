"""Retrieval quality of policy search on the example library's evaluation set.

Prints recall@1, recall@3, MRR and the share of unanswerable questions that come out "no confident
answer", for the full search and with the glossary, stemming or typo tolerance taken away, so each
one's contribution shows. Then sweeps the confidence threshold (what search.CONFIDENCE_THRESHOLD was
chosen from). Target: recall@3 >= 0.9 for the full search.

    python benchmarks/policy_eval.py [--policies examples/policies] [--workspace examples/workspace.yml]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.policy.index import policy_passages  # noqa: E402
from handlers.policy.library import parse_policy  # noqa: E402
from handlers.policy.model import Passage, Policy  # noqa: E402
from handlers.policy.search import CONFIDENCE_THRESHOLD, PolicyIndex  # noqa: E402

POLICIES = ROOT / "examples" / "policies"
WORKSPACE = ROOT / "examples" / "workspace.yml"


@dataclass(frozen=True)
class Question:
    text: str
    expect: str | None  # "policy_id#anchor", or None when the library does not answer it


@dataclass(frozen=True)
class Scores:
    recall_at_1: float
    recall_at_3: float
    mrr: float
    negatives_rejected: float  # share of unanswerable questions that are not confident
    answered: float  # share of answerable questions that are confident with the right section first


def load_policies(folder: Path = POLICIES) -> list[Policy]:
    return [parse_policy(f.read_bytes(), f.name) for f in sorted(folder.glob("*.md"))]


def in_effect(policies: list[Policy], day: date) -> list[Policy]:
    """Each policy's version in effect on `day`: the latest one effective on or before it."""
    current: dict[str, Policy] = {}
    for p in policies:
        if p.effective <= day and (p.id not in current or p.effective > current[p.id].effective):
            current[p.id] = p
    return list(current.values())


def passages(policies: list[Policy]) -> list[Passage]:
    """Every section of these versions, as the bot indexes them."""
    return [passage for policy in policies for passage in policy_passages(policy)]


def load_glossary(workspace: Path = WORKSPACE) -> dict[str, list[str]]:
    """The workspace file's `policy.glossary`: a term and the words that mean the same."""
    data = yaml.safe_load(workspace.read_text(encoding="utf-8")) or {}
    glossary = (data.get("policy") or {}).get("glossary") or {}
    return {str(term): [str(s) for s in synonyms or []] for term, synonyms in glossary.items()}


def load_questions(folder: Path = POLICIES) -> tuple[date, list[Question]]:
    data = yaml.safe_load((folder / "eval.yml").read_text(encoding="utf-8"))
    questions = [Question(q["q"], None if q["expect"] == "none" else q["expect"]) for q in data["questions"]]
    return data["as_of"], questions


def evaluate(
    index: PolicyIndex, questions: list[Question], threshold: float = CONFIDENCE_THRESHOLD
) -> Scores:
    answerable = [q for q in questions if q.expect]
    negatives = [q for q in questions if not q.expect]
    hit1 = hit3 = answered = 0
    reciprocal = 0.0
    for q in answerable:
        hits = index.search(q.text, k=3)
        found = [f"{h.passage.policy_id}#{h.passage.anchor}" for h in hits]
        if q.expect in found:
            rank = found.index(q.expect) + 1
            hit1 += rank == 1
            hit3 += 1
            reciprocal += 1 / rank
            answered += rank == 1 and index.confident(hits, threshold)
    rejected = sum(not index.confident(index.search(q.text, k=3), threshold) for q in negatives)
    n = max(len(answerable), 1)
    return Scores(hit1 / n, hit3 / n, reciprocal / n, rejected / max(len(negatives), 1), answered / n)


def variants(passages: list[Passage], glossary: dict[str, list[str]]) -> dict[str, PolicyIndex]:
    return {
        "full": PolicyIndex.build(passages, glossary),
        "without glossary": PolicyIndex.build(passages, {}),
        "without stemming": PolicyIndex.build(passages, glossary, stemming=False),
        "without typo tolerance": PolicyIndex.build(passages, glossary, typo_tolerance=False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=Path, default=POLICIES)
    parser.add_argument("--workspace", type=Path, default=WORKSPACE)
    parser.add_argument("--misses", action="store_true", help="list the questions the full search misses")
    args = parser.parse_args()
    as_of, questions = load_questions(args.policies)
    library = passages(in_effect(load_policies(args.policies), as_of))
    glossary = load_glossary(args.workspace)
    n_neg = sum(not q.expect for q in questions)
    answerable = len(questions) - n_neg
    print(f"{len(library)} sections, {answerable} questions + {n_neg} unanswerable, as of {as_of}")
    print(f"glossary: {len(glossary)} entries from {args.workspace.name}")
    print(f"{'variant':24} {'R@1':>6} {'R@3':>6} {'MRR':>6} {'neg. rejected':>14} {'answered':>9}")
    indexes = variants(library, glossary)
    for name, index in indexes.items():
        s = evaluate(index, questions)
        print(
            f"{name:24} {s.recall_at_1:6.3f} {s.recall_at_3:6.3f} {s.mrr:6.3f} "
            f"{s.negatives_rejected:14.3f} {s.answered:9.3f}"
        )
    print(f"\nconfidence threshold sweep (full; in use: {CONFIDENCE_THRESHOLD})")
    print(f"{'threshold':>9} {'neg. rejected':>14} {'answered':>9}")
    for step in range(6, 19):
        s = evaluate(indexes["full"], questions, step / 20)
        print(f"{step / 20:9.2f} {s.negatives_rejected:14.3f} {s.answered:9.3f}")
    if args.misses:
        full = indexes["full"]
        print("\nmisses and unanswerable questions, with the best hit's coverage:")
        for q in questions:
            hits = full.search(q.text, k=3)
            found = [f"{h.passage.policy_id}#{h.passage.anchor}" for h in hits]
            if q.expect and q.expect in found[:1] and full.confident(hits):
                continue
            cover = hits[0].coverage if hits else 0.0
            print(f"  {cover:.2f} {q.text!r}: expected {q.expect}, got {found}")


if __name__ == "__main__":
    main()
