"""The neutral markup parsed into styled runs, for platforms that do not speak it (Teams).

Only the handler's own markup is parsed: each piece from data or people, and each reference, stands in
the text as one private-use character while parsing, so a `*` or a backtick inside a queue name or a
form answer can never open a style or close one. Slack needs none of this: the dialect is its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.chat import model as m

MARKERS = {"*": "bold", "_": "italic", "~": "strike", "`": "code"}
FENCE = "```"
_FIRST_SLOT = 0xF0000  # Supplementary Private Use Area-A: never in handler markup


@dataclass(frozen=True)
class Run:
    """A stretch of one style; `kind` is TEXT for words, or USER, CHANNEL, COMMAND for a reference
    (then `text` is its ID or command line)."""

    text: str
    kind: m.PieceKind = m.TEXT
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False


def _can_open(s: str, i: int, marker: str) -> bool:
    before_ok = i == 0 or not s[i - 1].isalnum()
    after = s[i + 1] if i + 1 < len(s) else ""
    return before_ok and after != "" and not after.isspace() and after != marker


def _closer(s: str, start: int, marker: str) -> int | None:
    """Where a style opened just before `start` ends, on the same line, or None (then the marker is
    a plain character, as in Slack: `2 * 3`, `snake_case`)."""
    for j in range(start, len(s)):
        if s[j] == "\n":
            return None
        closes = s[j] == marker and j > start and not s[j - 1].isspace()
        if closes and (j + 1 == len(s) or not s[j + 1].isalnum()):
            return j
    return None


def _parse(s: str, style: Run) -> list[Run]:
    runs: list[Run] = []
    text = ""
    i = 0

    def flush() -> None:
        nonlocal text
        if text:
            runs.append(replace(style, text=text))
            text = ""

    while i < len(s):
        if s.startswith(FENCE, i) and (end := s.find(FENCE, i + 3)) != -1:
            flush()
            runs.append(replace(style, text=s[i + 3 : end].strip("\n"), code=True))
            i = end + 3
            continue
        char = s[i]
        if char in MARKERS and _can_open(s, i, char) and (end := _closer(s, i + 1, char)) is not None:
            flush()
            inner = s[i + 1 : end]
            if char == "`":
                runs.append(replace(style, text=inner, code=True))
            else:
                runs += _parse(inner, replace(style, **{MARKERS[char]: True}))
            i = end + 1
            continue
        text += char
        i += 1
    flush()
    return runs


def _restore(runs: list[Run], slots: dict[str, tuple[m.PieceKind, str]]) -> list[Run]:
    """Put each piece back where its stand-in character is, with the style around it."""
    restored: list[Run] = []
    for run in runs:
        text = ""
        for char in run.text:
            if char in slots:
                if text:
                    restored.append(replace(run, text=text))
                    text = ""
                kind, value = slots[char]
                restored.append(replace(run, text=value, kind=kind))
            else:
                text += char
        if text:
            restored.append(replace(run, text=text))
    return restored


def runs(text: m.Rich) -> list[Run]:
    """The text as styled runs; newlines stay inside TEXT runs (see `lines`)."""
    pieces = ((m.MARKUP, text),) if isinstance(text, str) else text.pieces
    slots: dict[str, tuple[m.PieceKind, str]] = {}
    source = ""
    for kind, piece in pieces:
        if kind == m.MARKUP:
            source += piece
        else:
            slot = chr(_FIRST_SLOT + len(slots))
            slots[slot] = (kind, piece)
            source += slot
    return _restore(_parse(source, Run("")), slots)


def lines(text: m.Rich) -> list[list[Run]]:
    """The runs split into lines (a line break inside a code block too): one paragraph each."""
    result: list[list[Run]] = [[]]
    for run in runs(text):
        parts = run.text.split("\n") if run.kind == m.TEXT else [run.text]
        for index, part in enumerate(parts):
            if index:
                result.append([])
            if part:
                result[-1].append(replace(run, text=part))
    return result
