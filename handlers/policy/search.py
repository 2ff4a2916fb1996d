"""Policy search: BM25 (bm25s) over policy sections and verified answers, in memory.

Why these pieces: labelers ask in their own words, with abbreviations and typos, so the index stems
(Snowball English), drops stop words, folds every glossary term and its synonyms into one shared term
("CSAM" and "child sexual abuse material" match each other), and maps a query word it has never seen
to the closest known word a slip or two away. A verified answer (an owner's answer to an earlier
question) ranks first when it covers the question. `confident` decides whether the best hit is good
enough to show, so the bot can say it has no confident answer instead of guessing.

Build and search are plain, blocking functions: the bot runs them with `asyncio.to_thread`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from handlers.policy.model import Hit, Passage

# Share of the question's weight (IDF) that the best hit must cover to count as an answer. Tuned on
# examples/policies/eval.yml with benchmarks/policy_eval.py (2026-11-30): the unanswerable questions
# reach at most 0.37, so 0.45 rejects them all with a margin, and 85% of the answerable questions are
# still answered confidently with the right section first (0.40: 87%; 0.60: 66%).
CONFIDENCE_THRESHOLD = 0.45
# A verified answer ranks first when it covers at least this share of the question's weight and at
# least this many of its words: a question of one or two words is too vague to claim an answer's place.
VERIFIED_COVERAGE = 0.75
VERIFIED_MIN_TERMS = 3

# Words in how labelers phrase a question that say nothing about which section answers it.
_QUESTION_WORDS = {"can", "could", "would", "may", "might", "must", "ok", "okay", "please", "hi", "hey"}
STOP_WORDS = frozenset(STOPWORDS_EN_PLUS) | _QUESTION_WORDS
_WORD = re.compile(r"[^\W_]+")
_GROUP = "\x00g"  # prefix of a glossary group's shared term; no word can start with it
_TITLE_WEIGHT, _HEADING_WEIGHT = 1, 2


def words(text: str) -> list[tuple[int, int, str]]:
    """Every word of `text` as (start, end, lower-case word): the unit the index and excerpts share."""
    return [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]


@dataclass
class _Analyzer:
    """Turns text into index terms: lower-case words, no stop words, stemmed, glossary groups added."""

    stem: Callable[[str], str]
    phrases: dict[tuple[str, ...], str]  # stemmed phrase -> its group's shared term
    longest: int

    @classmethod
    def create(cls, glossary: dict[str, list[str]], stemming: bool) -> _Analyzer:
        stemmer = Stemmer.Stemmer("english") if stemming else None
        stem: Callable[[str], str] = stemmer.stemWord if stemmer else (lambda word: word)
        analyzer = cls(stem, {}, 1)
        for number, (term, synonyms) in enumerate(_merged_groups(glossary)):
            shared = f"{_GROUP}{number}:{term}"
            for phrase in (term, *synonyms):
                stems = tuple(analyzer.stems(phrase))
                if stems:
                    analyzer.phrases[stems] = shared
                    analyzer.longest = max(analyzer.longest, len(stems))
        return analyzer

    def stems(self, text: str) -> list[str]:
        return [self.stem(w) for _, _, w in words(text) if len(w) > 1 and w not in STOP_WORDS]

    def terms(self, stems: Sequence[str]) -> list[str]:
        """The stems, plus each glossary group's shared term wherever one of its phrases occurs."""
        out = list(stems)
        if not self.phrases:
            return out
        for i in range(len(stems)):
            for n in range(min(self.longest, len(stems) - i), 0, -1):
                shared = self.phrases.get(tuple(stems[i : i + n]))
                if shared:
                    out.append(shared)
                    break
        return out


def _merged_groups(glossary: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """Glossary entries that share a phrase become one group: "a: [b]" and "b: [c]" make a, b, c one."""
    groups: list[set[str]] = []
    for term, synonyms in glossary.items():
        group = {p.strip().lower() for p in (term, *synonyms) if p and p.strip()}
        for other in [g for g in groups if g & group]:
            group |= other
            groups.remove(other)
        groups.append(group)
    return [(min(g, key=len), sorted(g)) for g in groups]


class _Typos:
    """Maps an unknown word to a known one a slip or two away (a symmetric delete index, cheap to probe)."""

    def __init__(self, vocabulary: Counter[str]) -> None:
        self.frequency = vocabulary
        self.deletes: dict[str, list[str]] = {}
        for word in vocabulary:
            if len(word) >= 4 and not word.isdigit():
                for variant in {word, *_deletes(word)}:
                    self.deletes.setdefault(variant, []).append(word)

    def correct(self, word: str) -> str | None:
        if len(word) < 4 or word.isdigit():
            return None
        allowed = 1 if len(word) < 8 else 2  # a long word may carry two slips ("harrasment")
        candidates = {
            c for v in {word, *_deletes(word)} for c in self.deletes.get(v, ()) if _edits(word, c) <= allowed
        }
        if not candidates:
            return None
        return max(
            sorted(candidates),
            key=lambda c: (SequenceMatcher(None, word, c).ratio(), self.frequency[c]),
        )


def _deletes(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _edits(a: str, b: str) -> int:
    """Edits from a to b: insertions, deletions, substitutions and swaps of neighbours (OSA distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


@dataclass
class _Query:
    terms: list[str]  # distinct index terms, unknown ones included (they lower the coverage)
    weights: dict[str, float]  # IDF of each term; an unknown term weighs as a term seen nowhere


class PolicyIndex:
    """An in-memory BM25 index over passages; build once per library version, search many times."""

    def __init__(
        self,
        passages: Sequence[Passage],
        analyzer: _Analyzer,
        retriever: bm25s.BM25,
        doc_terms: list[set[str]],
        document_frequency: Counter[str],
        typos: _Typos | None,
    ) -> None:
        self.passages = list(passages)
        self._analyzer = analyzer
        self._retriever = retriever
        self._doc_terms = doc_terms
        self._df = document_frequency
        self._typos = typos
        self._stem_vocabulary = set(document_frequency)

    @classmethod
    def build(
        cls,
        passages: Iterable[Passage],
        glossary: dict[str, list[str]] | None = None,
        *,
        stemming: bool = True,
        typo_tolerance: bool = True,
    ) -> PolicyIndex:
        """Index `passages`; `glossary` maps a term to its synonyms and abbreviations (phrases allowed)."""
        passages = list(passages)
        analyzer = _Analyzer.create(glossary or {}, stemming)
        corpus: list[list[str]] = []
        surface: Counter[str] = Counter()
        for p in passages:
            body = " ".join([p.title] * _TITLE_WEIGHT + [p.heading] * _HEADING_WEIGHT + [p.text])
            surface.update(w for _, _, w in words(body) if len(w) > 1 and w not in STOP_WORDS)
            corpus.append(analyzer.terms(analyzer.stems(body)))
        for phrase in analyzer.phrases:
            surface.update(w for w in phrase if w not in surface)
        doc_terms = [set(terms) for terms in corpus]
        df: Counter[str] = Counter(t for terms in doc_terms for t in terms)
        retriever = bm25s.BM25()
        retriever.index(corpus or [[""]], show_progress=False)
        typos = _Typos(surface) if typo_tolerance else None
        return cls(passages, analyzer, retriever, doc_terms, df, typos)

    def _idf(self, term: str) -> float:
        n = max(len(self.passages), 1)
        return math.log(1 + (n - self._df.get(term, 0) + 0.5) / (self._df.get(term, 0) + 0.5))

    def _query(self, question: str) -> _Query:
        stems: list[str] = []
        for _, _, word in words(question):
            if len(word) < 2 or word in STOP_WORDS:
                continue
            stem = self._analyzer.stem(word)
            if stem not in self._stem_vocabulary and self._typos is not None:
                corrected = self._typos.correct(word)
                if corrected:
                    stem = self._analyzer.stem(corrected)
            stems.append(stem)
        terms = list(dict.fromkeys(self._analyzer.terms(stems)))
        # A glossary group's words stand for the group: count the group once, not each of its words.
        grouped = {s for t in terms if t.startswith(_GROUP) for s in self._group_stems(t)}
        weights = {t: self._idf(t) for t in terms if t not in grouped}
        return _Query(terms, weights)

    def _group_stems(self, shared: str) -> set[str]:
        return {s for phrase, g in self._analyzer.phrases.items() if g == shared for s in phrase}

    def coverage(self, query: _Query, index: int) -> float:
        """Share of the question's IDF weight found in passage `index`: 1.0 means every term is there."""
        total = sum(query.weights.values())
        if total <= 0:
            return 0.0
        found = sum(w for t, w in query.weights.items() if t in self._doc_terms[index])
        return found / total

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The `k` best passages for `question`, verified answers that cover it first."""
        if not self.passages:
            return []
        query = self._query(question)
        known = [t for t in query.terms if t in self._stem_vocabulary]
        if not known:
            return []
        scores = self._retriever.get_scores(known)
        pool = min(len(scores), max(k * 10, 30))
        top = np.argpartition(-scores, pool - 1)[:pool] if pool < len(scores) else np.arange(len(scores))
        ranked = []
        for i in top:
            if scores[i] <= 0:
                continue
            cover = self.coverage(query, int(i))
            first = (
                self.passages[i].verified
                and cover >= VERIFIED_COVERAGE
                and sum(t in self._doc_terms[i] for t in query.weights) >= VERIFIED_MIN_TERMS
            )
            ranked.append((first, float(scores[i]), cover, int(i)))
        ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
        return [
            Hit(self.passages[i], score, self._matched(query, self.passages[i]), coverage=cover)
            for _, score, cover, i in ranked[:k]
        ]

    def _matched(self, query: _Query, passage: Passage) -> tuple[str, ...]:
        """The passage's own words that the question matched, lower-case, to show in bold."""
        wanted = set(query.terms)
        text_words = [w for _, _, w in words(f"{passage.heading} {passage.text}")]
        bold = {w for w in text_words if w not in STOP_WORDS and self._analyzer.stem(w) in wanted}
        groups = [t for t in query.terms if t.startswith(_GROUP)]
        if groups:
            stems = [(w, self._analyzer.stem(w)) for w in text_words if len(w) > 1 and w not in STOP_WORDS]
            for phrase, shared in self._analyzer.phrases.items():
                if shared not in groups:
                    continue
                n = len(phrase)
                for i in range(len(stems) - n + 1):
                    if tuple(s for _, s in stems[i : i + n]) == phrase:
                        bold.update(w for w, _ in stems[i : i + n])
        return tuple(sorted(bold))

    @staticmethod
    def confident(hits: Sequence[Hit], threshold: float = CONFIDENCE_THRESHOLD) -> bool:
        """True when the best hit covers enough of the question to be shown as an answer."""
        return bool(hits) and hits[0].coverage >= threshold


def excerpt(passage: Passage, matched: Iterable[str], width: int = 240) -> list[tuple[str, bool]]:
    """About `width` characters of the passage's text around its densest run of matched words.

    Returns spans (text, bold): matched words bold, the rest plain; cut at word boundaries, with "…"
    where text was left out.
    """
    text = " ".join(passage.text.split())
    bold = {m.lower() for m in matched}
    tokens = words(text)
    hits = [(s, e) for s, e, w in tokens if w in bold]
    start = 0
    if hits:
        best = max(range(len(hits)), key=lambda i: sum(1 for s, _ in hits[i:] if s < hits[i][0] + width))
        start = max(0, hits[best][0] - width // 6)
    end = min(len(text), start + width)
    if end == len(text):  # short tail: show more of what leads to it
        start = max(0, end - width)
    if start > 0:  # begin at the start of a word
        start = next((s for s, _, _ in tokens if s >= start), start)
    if end < len(text):  # end at the end of a word
        end = max((e for s, e, _ in tokens if e <= end and s >= start), default=end)
    spans: list[tuple[str, bool]] = []

    def add(piece: str, is_bold: bool) -> None:
        if not piece:
            return
        if spans and spans[-1][1] == is_bold and not is_bold:
            spans[-1] = (spans[-1][0] + piece, False)
        else:
            spans.append((piece, is_bold))

    add("…" if start > 0 else "", False)
    cursor = start
    for s, e, w in tokens:
        if s < start or e > end or w not in bold:
            continue
        add(text[cursor:s], False)
        add(text[s:e], True)
        cursor = e
    add(text[cursor:end], False)
    add("…" if end < len(text) else "", False)
    return spans
