"""Neutral message parts → Adaptive Card elements, and a card that stays within its byte budget: when it
would not, trailing parts are dropped with a visible note."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards.core import Action as CardAction
from microsoft_teams.cards.core import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Column,
    ColumnSet,
    ExecuteAction,
    Image,
    Mention,
    OpenUrlAction,
    RichTextBlock,
    SubmitAction,
    TeamsCardProperties,
    TextRun,
)

from bot.chat import model as m
from bot.teams.card_text import Names, TextContext, clip, dump, heading, json_size, plain, texts

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TITLE_CHARS = 75
VALUE_CHARS = 2_000
CHOICES = 100
ACTIONS_PER_SET = 6  # Teams shows at most six actions in a row and hides the rest
ACTION_KEY, VALUE_KEY, INPUT_KEY = "tsqa_action", "tsqa_value", "tsqa_input"


def _chunks(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def choices(options: Sequence[m.Option]) -> list[Choice]:
    return [Choice(title=clip(o.label, TITLE_CHARS), value=o.value[:VALUE_CHARS]) for o in options[:CHOICES]]


_STYLES = {"primary": "positive", "danger": "destructive"}


def _button(button: m.Button) -> CardAction:
    title = clip(button.label, TITLE_CHARS)
    style = _STYLES.get(button.style or "")
    if button.url:
        return OpenUrlAction(title=title, url=button.url, style=style)
    data = {ACTION_KEY: button.action, VALUE_KEY: button.value[:VALUE_CHARS]}
    if button.opens_form:
        # Only Action.Submit can open a dialog (task/fetch); Execute would post the card back instead.
        return SubmitAction(title=title, style=style, data={"msteams": {"type": "task/fetch"}, **data})
    return ExecuteAction(title=title, style=style, verb=button.action, data=data)


def _apply(action: str, title: str) -> ActionSet:
    """The button that sends a Select's or Checkboxes' choice: card inputs have no change events."""
    data = {ACTION_KEY: action, INPUT_KEY: action}
    return ActionSet(actions=[ExecuteAction(title=title, verb=action, data=data)])


def _part(part: m.Part, ctx: TextContext) -> list[CardElement]:
    match part:
        case m.Header(text):
            # Never parsed as markdown: like Slack's plain_text header, it shows as typed.
            return [heading(plain(text, ctx))]
        case m.Text(text):
            return texts(text, ctx)
        case m.Fields(items):
            columns = [
                Column(width="stretch", items=[e for item in items[start::2] for e in texts(item, ctx)])
                for start in (0, 1)
                if items[start::2]
            ]
            return [ColumnSet(columns=columns)] if columns else []
        case m.ContextLine(items):
            return [e for item in items for e in texts(item, ctx, subtle=True)]
        case m.Divider():
            return []  # the next element draws the line (see _body)
        case m.Image(url, alt, title):
            image = Image(url=url, alt_text=clip(alt, 2000))
            if not title:
                return [image]
            return [RichTextBlock(inlines=[TextRun(text=clip(title, 2000), weight="Bolder")]), image]
        case m.Buttons(buttons):
            actions = [_button(b) for b in buttons]
            return [ActionSet(actions=group) for group in _chunks(actions, ACTIONS_PER_SET)]
        case m.Select(action, placeholder, options, initial):
            chooser = ChoiceSetInput(
                id=action,
                style="compact",
                placeholder=clip(placeholder, 150),
                choices=choices(options),
                value=initial,
            )
            return [chooser, _apply(action, "Choose")]
        case m.Checkboxes(action, options, initial):
            boxes = ChoiceSetInput(
                id=action,
                style="expanded",
                is_multi_select=True,
                choices=choices(options),
                value=",".join(initial) or None,
            )
            return [boxes, _apply(action, "Save")]
    raise TypeError(f"cannot render {type(part).__name__}")


@dataclass
class Rendered:
    """One part's elements, the mentions they declare and their JSON size, for fitting to a budget."""

    elements: list[CardElement]
    mentions: list[Mention]
    size: int


def render_parts(parts: Iterable[m.Part], names: Names) -> list[Rendered]:
    """Each part on its own, so trailing parts can be dropped with their mentions."""
    rendered, separate = [], False
    for part in parts:
        ctx = TextContext(names)
        elements = _part(part, ctx)
        if isinstance(part, m.Divider):
            separate = True
        elif elements and separate:
            elements[0].separator, separate = True, False
        dumped = [dump(e) for e in elements] + [dump(e) for e in ctx.mentions]
        rendered.append(Rendered(elements, ctx.mentions, json_size(dumped)))
    return rendered


def assemble(
    fallback: str, rendered: Sequence[Rendered], extra: Sequence[CardElement] = ()
) -> dict[str, Any]:
    """The card of these parts (then `extra`), declaring each mention once."""
    mentions: list[Mention] = []
    for r in rendered:
        mentions += [e for e in r.mentions if e not in mentions]
    return dump(
        AdaptiveCard(
            fallback_text=fallback,
            body=[e for r in rendered for e in r.elements] + list(extra),
            msteams=TeamsCardProperties(entities=mentions) if mentions else None,
        )
    )


def _note(hidden: int) -> RichTextBlock:
    text = f"{hidden} more parts not shown: ask for a narrower view."
    run = TextRun(text=text, italic=True, is_subtle=True, size="Small")
    return RichTextBlock(inlines=[run], separator=True)


def fitted(fallback: str, rendered: list[Rendered], budget: int) -> dict[str, Any]:
    """The card, or as many leading parts as fit with a note saying how many more there are."""
    whole = assemble(fallback, rendered)
    if json_size(whole) <= budget:
        return whole
    left = budget - json_size(assemble(fallback, [], [_note(len(rendered))]))
    keep = 0
    while keep < len(rendered) and rendered[keep].size + 2 <= left:
        left -= rendered[keep].size + 2  # + the separators between items
        keep += 1
    while True:  # the estimate is close; entities shared between parts can only make it smaller
        result = assemble(fallback, rendered[:keep], [_note(len(rendered) - keep)])
        if json_size(result) <= budget or keep == 0:
            return result
        keep -= 1


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}
