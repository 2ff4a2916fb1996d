"""The policy library's shapes, shared by loading (library, store), search and the chat views.

A policy is one Markdown file with YAML front matter; its sections are split at headings. A section's
`anchor` is stable across versions (the heading's slug, made unique within the file), so a question's
expected section, a verified answer and a diff between versions can all name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Section:
    anchor: str  # slug of the heading, unique in the policy: "quoted-slurs-in-news"
    heading: str  # as written, without the leading #s
    level: int  # 1 for "#", 2 for "##", …; 0 for text before the first heading
    text: str  # the section's Markdown body, without its heading line
    line: int  # 1-based line of the heading in the file (of the body when level is 0)


@dataclass(frozen=True)
class Policy:
    id: str  # "hate-speech": lower-case letters, digits and dashes
    title: str
    version: str  # as the file says it: "3", "2026.2"
    effective: date  # the day this version applies from
    owners: tuple[str, ...]  # people or group:<id>, as in the workspace file
    applies_to: tuple[str, ...] = ()  # queue or vendor ids; empty: everywhere
    link: str | None = None
    sections: tuple[Section, ...] = ()
    source: str = ""  # file name it was read from, for messages
    digest: str = ""  # sha256 of the file's bytes: an unchanged file is a no-op


@dataclass(frozen=True)
class Passage:
    """One searchable unit: a section of the version in effect, or a verified answer."""

    key: str  # "policy:hate-speech#quoted-slurs-in-news" or "answer:17"
    policy_id: str
    anchor: str
    title: str  # the policy's title
    heading: str
    text: str
    version: str = ""
    effective: date | None = None
    link: str | None = None
    verified: bool = False  # a verified answer ranks first for its question and close variants


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    matched: tuple[str, ...] = field(default_factory=tuple)  # the words to show in bold
    # Share (0..1) of the question's weight this passage covers: search.confident checks it.
    coverage: float = 0.0
