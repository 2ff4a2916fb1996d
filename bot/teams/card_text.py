"""Neutral text → Adaptive Card text elements, and the helpers every Teams card shares.

Teams does not speak the neutral markup, so it is parsed (bot/chat/markup.py) into TextRuns, which Teams
never reads as markdown: text from data or people cannot become markup, a mention or a link. Only a
line that mentions someone is a markdown TextBlock (Teams requires it), with all its other text escaped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from microsoft_teams.cards.core import (
    CardElement,
    Mention,
    MentionedEntity,
    RichTextBlock,
    TextBlock,
    TextRun,
)

from bot.chat import markup
from bot.chat import model as m

PART_CHARS = 10_000  # one huge Text would otherwise push every later part off the card


class Names(Protocol):
    """Display names for the IDs in references; None when unknown (the ID is shown instead)."""

    def person(self, user_id: str) -> str | None: ...

    def channel(self, channel_id: str) -> str | None: ...


class _NoNames:
    def person(self, user_id: str) -> str | None:
        return None

    def channel(self, channel_id: str) -> str | None:
        return None


NO_NAMES: Names = _NoNames()


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_size(value: Any) -> int:
    """Bytes of JSON as measured everywhere here: ASCII-escaped, so never less than what is sent."""
    return len(json.dumps(value).encode())


# The markdown punctuation, and `:` so that a URL from data is not turned into a link either.
_MARKDOWN_ESCAPES = str.maketrans({**{c: "\\" + c for c in "\\*_~`[]()#+-.!<>|:"}, "&": "&amp;"})


def escape(text: str) -> str:
    """Text for a markdown TextBlock, shown as typed: no emphasis, link, heading, list or `<at>`."""
    return text.translate(_MARKDOWN_ESCAPES)


def dump(model: Any) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True)


@dataclass
class TextContext:
    """What rendering collects besides elements: the mentions the card must declare."""

    names: Names
    mentions: list[Mention] = field(default_factory=list)

    def mention(self, user_id: str) -> str:
        # Inside <at> nothing can be escaped (the entity's text must match it exactly), so the
        # characters that could end the tag or start an entity are dropped from the name.
        name = "".join(c for c in (self.names.person(user_id) or user_id) if c not in "<>&") or user_id
        tag = f"<at>{name}</at>"
        if not any(e.text == tag and e.mentioned and e.mentioned.id == user_id for e in self.mentions):
            self.mentions.append(Mention(text=tag, mentioned=MentionedEntity(id=user_id, name=name)))
        return tag

    def shown(self, run: markup.Run) -> str:
        """A run's text as Teams shows it: channels by name, commands as typed to the bot."""
        if run.kind == m.CHANNEL:
            name = self.names.channel(run.text)
            return f"#{name}" if name else run.text
        if run.kind == m.USER:
            return self.names.person(run.text) or run.text
        return run.text


def _text_run(run: markup.Run, ctx: TextContext, subtle: bool) -> TextRun:
    return TextRun(
        text=ctx.shown(run),
        weight="Bolder" if run.bold else None,
        italic=run.italic or None,
        strikethrough=run.strike or None,
        font_type="Monospace" if run.code or run.kind == m.COMMAND else None,
        is_subtle=subtle or None,
        size="Small" if subtle else None,
    )


def _markdown_run(run: markup.Run, ctx: TextContext) -> str:
    if run.kind == m.USER:
        return ctx.mention(run.text)
    text = escape(ctx.shown(run))
    core = text.strip()
    if not core or not (run.bold or run.italic):
        # Teams' card markdown has no strikethrough or inline code: those runs show plain.
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if run.italic:
        core = f"_{core}_"
    if run.bold:
        core = f"**{core}**"
    return lead + core + trail


def _line(runs: list[markup.Run], ctx: TextContext, subtle: bool) -> CardElement:
    if any(run.kind == m.USER for run in runs):
        return TextBlock(
            text="".join(_markdown_run(run, ctx) for run in runs),
            wrap=True,
            is_subtle=subtle or None,
            size="Small" if subtle else None,
        )
    return RichTextBlock(inlines=[_text_run(run, ctx, subtle) for run in runs])


def _clipped_lines(text: m.Rich) -> list[list[markup.Run]]:
    """The lines of a text, cut after PART_CHARS characters (references are never cut)."""
    left, result = PART_CHARS, []
    for line in markup.lines(text):
        kept = []
        for run in line:
            if left <= 0:
                break
            if run.kind == m.TEXT and len(run.text) > left:
                run = replace(run, text=clip(run.text, left))
            left -= len(run.text)
            kept.append(run)
        result.append(kept)
        if left <= 0:
            break
    return result


def texts(text: m.Rich, ctx: TextContext, subtle: bool = False) -> list[CardElement]:
    elements: list[CardElement] = []
    gap = False
    for runs in _clipped_lines(text):
        if not runs:  # a blank line: the next paragraph keeps its distance
            gap = bool(elements)
            continue
        element = _line(runs, ctx, subtle)
        if gap:
            element.spacing, gap = "Medium", False
        elements.append(element)
    return elements


def plain(text: m.Rich, ctx: TextContext) -> str:
    """Text shown as typed, markup characters included (headers): references by name."""
    if isinstance(text, str):
        return text
    return "".join(
        piece if kind == m.MARKUP else ctx.shown(markup.Run(piece, kind)) for kind, piece in text.pieces
    )


def heading(text: str) -> RichTextBlock:
    return RichTextBlock(inlines=[TextRun(text=clip(text, 150), weight="Bolder", size="Large")])


def fallback_text(message: m.Message, names: Names = NO_NAMES) -> str:
    """The summary as plain text, for notifications and clients that cannot show the card."""
    ctx = TextContext(names)
    lines = ("".join(ctx.shown(run) for run in runs) for runs in markup.lines(message.summary))
    return clip("\n".join(lines).strip(), 1_000)
