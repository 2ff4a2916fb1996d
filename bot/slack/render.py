"""Neutral model → Block Kit, through slack_sdk.models so Slack's own limits are checked.

Text is clipped to Slack's limits and long messages are split or truncated with a visible note, so
a large digest never turns into a Slack error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks import Option as SlackOption
from slack_sdk.models.views import View

from bot.chat import model as m

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VALUE_FIELD = "value"


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    # Never leave half an escape (`&am`) at the cut: Slack would show it as typed.
    return _HALF_ENTITY.sub("", text[: limit - 1]) + "…"


_HALF_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?$")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Slack's rule for text that is not markup: only &, < and > are control characters."""
    return text.translate(_ESCAPES)


def _piece(kind: m.PieceKind, text: str) -> str:
    if kind == m.MARKUP:
        return text
    if kind == m.USER:  # a usergroup (S…) is a group mention; an ID can hold no markup either way
        return f"<!subteam^{escape(text)}>" if text.startswith("S") else f"<@{escape(text)}>"
    if kind == m.CHANNEL:
        return f"<#{escape(text)}>"
    if kind == m.COMMAND:
        return escape(f"/{text}")
    return escape(text)


def mrkdwn(text: m.Rich) -> str:
    """A part's text as mrkdwn: the handler's markup as written (the neutral dialect is mrkdwn's),
    plain pieces escaped, people and channels as Slack's references."""
    if isinstance(text, str):
        return text
    return "".join(_piece(kind, piece) for kind, piece in text.pieces)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _option(option: m.Option) -> SlackOption:
    return SlackOption(text=PlainTextObject(text=clip(option.label, 75)), value=option.value[:150])


def _button(button: m.Button) -> ButtonElement:
    return ButtonElement(
        text=clip(button.label, 75),
        action_id=button.action[:255],
        value=button.value[:2000] or None,
        style=button.style,
        url=button.url,
    )


def _part(part: m.Part) -> list[Block]:
    match part:
        case m.Header(text):
            # A header is plain_text: Slack shows it as typed, so nothing to escape.
            return [HeaderBlock(text=clip(m.readable(text), 150))]
        case m.Text(markdown):
            return [SectionBlock(text=MarkdownTextObject(text=clip(mrkdwn(markdown), 3000)))]
        case m.Fields(items):
            fields = [MarkdownTextObject(text=clip(mrkdwn(f), 2000)) for f in items]
            return [SectionBlock(fields=list(group)) for group in _chunks(fields, 10)]
        case m.ContextLine(items):
            texts = [MarkdownTextObject(text=clip(mrkdwn(t), 3000)) for t in items]
            return [ContextBlock(elements=list(group)) for group in _chunks(texts, 10)]
        case m.Divider():
            return [DividerBlock()]
        case m.Image(url, alt, title):
            return [
                ImageBlock(
                    image_url=url, alt_text=clip(alt, 2000), title=clip(title, 2000) if title else None
                )
            ]
        case m.Buttons(buttons, block_id):
            elements = [_button(b) for b in buttons]
            return [ActionsBlock(elements=list(g), block_id=block_id) for g in _chunks(elements, 25)]
        case m.Select(action, placeholder, options, initial, block_id):
            opts = [_option(o) for o in options[:100]]
            chosen = next((o for o, src in zip(opts, options, strict=False) if src.value == initial), None)
            element = StaticSelectElement(
                action_id=action, placeholder=clip(placeholder, 150), options=opts, initial_option=chosen
            )
            return [ActionsBlock(elements=[element], block_id=block_id)]
        case m.Checkboxes(action, options, initial, block_id):
            opts = [_option(o) for o in options[:10]]
            chosen = [o for o, src in zip(opts, options, strict=False) if src.value in initial] or None
            element = CheckboxesElement(action_id=action, options=opts, initial_options=chosen)
            return [ActionsBlock(elements=[element], block_id=block_id)]
    raise TypeError(f"cannot render {type(part).__name__}")


@lru_cache(maxsize=512)
def _rendered(part: m.Part) -> tuple[dict[str, Any], ...]:
    # Parts are frozen, and help texts and usage repeat on every request: validate each once.
    return tuple(block.to_dict() for block in _part(part))


def blocks(parts: Iterable[m.Part]) -> list[dict[str, Any]]:
    """Every part as Block Kit dicts; `to_dict` validates each block against Slack's limits.

    The dicts are shared with the cache: callers serialise them and must not change them."""
    return [block for part in parts for block in _rendered(part)]


def _note(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=text)]).to_dict()


def message_pages(message: m.Message) -> list[list[dict[str, Any]]]:
    """Blocks split into messages of at most 50; each page but the last says more follows."""
    rendered = blocks(message.parts)
    if len(rendered) <= MESSAGE_BLOCKS:
        return [rendered]
    pages, size = [], MESSAGE_BLOCKS - 1
    for start in range(0, len(rendered), size):
        pages.append(rendered[start : start + size])
    for number, page in enumerate(pages[:-1], start=1):
        page.append(_note(f"_Continued in the next message ({number + 1} of {len(pages)})._"))
    return pages


def message_truncated(message: m.Message, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """For places that take one message only (ephemeral, update, respond): cut with a visible note."""
    rendered = blocks(message.parts)
    if len(rendered) <= limit:
        return rendered
    hidden = len(rendered) - (limit - 1)
    return rendered[: limit - 1] + [_note(f"_{hidden} more blocks not shown: ask for a narrower view._")]


def fallback_text(message: m.Message) -> str:
    return clip(mrkdwn(message.summary), 3000)


def _input(item: m.Input) -> InputBlock:
    element: Any
    match item:
        case m.TextInput():
            element = PlainTextInputElement(
                action_id=VALUE_FIELD,
                multiline=item.multiline,
                initial_value=item.initial,
                placeholder=clip(item.placeholder, 150) if item.placeholder else None,
                max_length=item.max_length,
            )
        case m.ChoiceInput():
            opts = [_option(o) for o in item.options[:100]]
            chosen = next(
                (o for o, src in zip(opts, item.options, strict=False) if src.value == item.initial), None
            )
            cls = StaticMultiSelectElement if item.multiple else StaticSelectElement
            kwargs = {"initial_options": [chosen]} if item.multiple and chosen else {"initial_option": chosen}
            element = cls(action_id=VALUE_FIELD, options=opts, **({} if chosen is None else kwargs))
        case m.UserInput():
            element = UserSelectElement(action_id=VALUE_FIELD)
    return InputBlock(
        block_id=item.name,
        label=clip(item.label, 2000),
        element=element,
        optional=item.optional,
        hint=clip(item.hint, 2000) if isinstance(item, m.TextInput) and item.hint else None,
    )


def form_view(form: m.Form) -> dict[str, Any]:
    if len(form.state) > 3000:
        raise ValueError(f"form {form.form_id}: state is {len(form.state)} chars, Slack allows 3,000")
    view_blocks = blocks(form.intro) + [_input(i).to_dict() for i in form.inputs]
    return View(
        type="modal",
        callback_id=form.form_id,
        title=clip(form.title, 24),
        submit=clip(form.submit, 24),
        close="Cancel",
        private_metadata=form.state or None,
        blocks=view_blocks[:VIEW_BLOCKS],
    ).to_dict()


def home_view(home: m.Home) -> dict[str, Any]:
    rendered = message_truncated(m.Message(summary="", parts=home.parts), VIEW_BLOCKS)
    return View(type="home", blocks=rendered).to_dict()


def form_values(state_values: dict[str, dict[str, Any]]) -> dict[str, str | list[str] | None]:
    """Slack's view.state.values → {input name: value}, whatever the element type."""
    values: dict[str, str | list[str] | None] = {}
    for block_id, actions in state_values.items():
        element = actions.get(VALUE_FIELD) or next(iter(actions.values()), {})
        kind = element.get("type")
        if kind in ("static_select", "external_select"):
            chosen = element.get("selected_option")
            values[block_id] = chosen["value"] if chosen else None
        elif kind in ("multi_static_select", "checkboxes"):
            values[block_id] = [o["value"] for o in element.get("selected_options") or []]
        elif kind == "users_select":
            values[block_id] = element.get("selected_user")
        else:
            values[block_id] = element.get("value")
    return values
