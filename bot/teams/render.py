"""Neutral model → Adaptive Card 1.5, through microsoft_teams.cards so every element is a typed model.

Teams does not speak the neutral markup, so it is parsed (bot/chat/markup.py) into TextRuns, which Teams
never reads as markdown: text from data or people cannot become markup, a mention or a link. Only a
line that mentions someone is a markdown TextBlock (Teams requires it), with all its other text escaped.
Long texts are clipped and a card over its byte budget loses trailing parts, with a visible note.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

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
    MentionedEntity,
    OpenUrlAction,
    QueryData,
    RichTextBlock,
    SubmitAction,
    TeamsCardProperties,
    TextBlock,
    TextInput,
    TextRun,
)

from bot.chat import markup
from bot.chat import model as m

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_BUDGET = 40_000  # bytes of card JSON: the whole bot message must stay well under Teams' ~100 KB
IMAGE_CARD_BUDGET = 80_000
TITLE_CHARS = 75
VALUE_CHARS = 2_000
LABEL_CHARS = 2_000
PART_CHARS = 10_000  # one huge Text would otherwise push every later part off the card
CHOICES = 100
ACTIONS_PER_SET = 6  # Teams shows at most six actions in a row and hides the rest
USERS_DATASET = "graph.microsoft.com/users"  # Teams' people picker for Input.ChoiceSet
FORM_KEY, STATE_KEY, MULTI_KEY, INPUTS_KEY = "tsqa_form", "tsqa_state", "tsqa_multi", "tsqa_inputs"
ACTION_KEY, VALUE_KEY, INPUT_KEY = "tsqa_action", "tsqa_value", "tsqa_input"


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


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True)


@dataclass
class _Context:
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


def _text_run(run: markup.Run, ctx: _Context, subtle: bool) -> TextRun:
    return TextRun(
        text=ctx.shown(run),
        weight="Bolder" if run.bold else None,
        italic=run.italic or None,
        strikethrough=run.strike or None,
        font_type="Monospace" if run.code or run.kind == m.COMMAND else None,
        is_subtle=subtle or None,
        size="Small" if subtle else None,
    )


def _markdown_run(run: markup.Run, ctx: _Context) -> str:
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


def _line(runs: list[markup.Run], ctx: _Context, subtle: bool) -> CardElement:
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


def _texts(text: m.Rich, ctx: _Context, subtle: bool = False) -> list[CardElement]:
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


def _plain(text: m.Rich, ctx: _Context) -> str:
    """Text shown as typed, markup characters included (headers): references by name."""
    if isinstance(text, str):
        return text
    return "".join(
        piece if kind == m.MARKUP else ctx.shown(markup.Run(piece, kind)) for kind, piece in text.pieces
    )


def _title(text: str) -> RichTextBlock:
    return RichTextBlock(inlines=[TextRun(text=clip(text, 150), weight="Bolder", size="Large")])


def _chunks(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _choices(options: Sequence[m.Option]) -> list[Choice]:
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


def _part(part: m.Part, ctx: _Context) -> list[CardElement]:
    match part:
        case m.Header(text):
            # Never parsed as markdown: like Slack's plain_text header, it shows as typed.
            return [_title(_plain(text, ctx))]
        case m.Text(text):
            return _texts(text, ctx)
        case m.Fields(items):
            columns = [
                Column(width="stretch", items=[e for item in items[start::2] for e in _texts(item, ctx)])
                for start in (0, 1)
                if items[start::2]
            ]
            return [ColumnSet(columns=columns)] if columns else []
        case m.ContextLine(items):
            return [e for item in items for e in _texts(item, ctx, subtle=True)]
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
                choices=_choices(options),
                value=initial,
            )
            return [chooser, _apply(action, "Choose")]
        case m.Checkboxes(action, options, initial):
            boxes = ChoiceSetInput(
                id=action,
                style="expanded",
                is_multi_select=True,
                choices=_choices(options),
                value=",".join(initial) or None,
            )
            return [boxes, _apply(action, "Save")]
    raise TypeError(f"cannot render {type(part).__name__}")


@dataclass
class _Rendered:
    elements: list[CardElement]
    mentions: list[Mention]
    size: int


def _render(parts: Iterable[m.Part], names: Names) -> list[_Rendered]:
    """Each part on its own, so trailing parts can be dropped with their mentions."""
    rendered, separate = [], False
    for part in parts:
        ctx = _Context(names)
        elements = _part(part, ctx)
        if isinstance(part, m.Divider):
            separate = True
        elif elements and separate:
            elements[0].separator, separate = True, False
        dumped = [_dump(e) for e in elements] + [_dump(e) for e in ctx.mentions]
        rendered.append(_Rendered(elements, ctx.mentions, json_size(dumped)))
    return rendered


def _card(fallback: str, rendered: Sequence[_Rendered], extra: Sequence[CardElement] = ()) -> dict[str, Any]:
    mentions: list[Mention] = []
    for r in rendered:
        mentions += [e for e in r.mentions if e not in mentions]
    return _dump(
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


def _fitted(fallback: str, rendered: list[_Rendered], budget: int) -> dict[str, Any]:
    """The card, or as many leading parts as fit with a note saying how many more there are."""
    whole = _card(fallback, rendered)
    if json_size(whole) <= budget:
        return whole
    left = budget - json_size(_card(fallback, [], [_note(len(rendered))]))
    keep = 0
    while keep < len(rendered) and rendered[keep].size + 2 <= left:
        left -= rendered[keep].size + 2  # + the separators between items
        keep += 1
    while True:  # the estimate is close; entities shared between parts can only make it smaller
        result = _card(fallback, rendered[:keep], [_note(len(rendered) - keep)])
        if json_size(result) <= budget or keep == 0:
            return result
        keep -= 1


def fallback_text(message: m.Message, names: Names = NO_NAMES) -> str:
    """The summary as plain text, for notifications and clients that cannot show the card."""
    ctx = _Context(names)
    lines = ("".join(ctx.shown(run) for run in runs) for runs in markup.lines(message.summary))
    return clip("\n".join(lines).strip(), 1_000)


def card(message: m.Message, names: Names) -> dict[str, Any]:
    """The Adaptive Card for a message, within CARD_BUDGET bytes."""
    return _fitted(fallback_text(message, names), _render(message.parts, names), CARD_BUDGET)


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}


def home_card(home: m.Home, names: Names) -> dict[str, Any]:
    """Teams has no home tab: the home is a card like any message (sent in the personal chat)."""
    return card(m.Message(summary="Home", parts=home.parts), names)


def image_card(title: str, png: bytes, alt: str) -> dict[str, Any]:
    """A chart inline as a data URI (Teams shows those in bot cards; no file upload needed)."""
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    chart = Image(url=url, alt_text=clip(alt, 2000))
    result = _dump(AdaptiveCard(fallback_text=clip(title, 1_000), body=[_title(title), chart]))
    if (size := json_size(result)) > IMAGE_CARD_BUDGET:
        raise ValueError(f"chart card is {size:,} bytes; Teams cards here stay under {IMAGE_CARD_BUDGET:,}")
    return result


def _input(item: m.Input) -> list[CardElement]:
    label = clip(item.label, LABEL_CHARS)
    required = not item.optional or None
    needed = f"{label} is required." if required else None
    match item:
        case m.TextInput():
            field_ = TextInput(
                id=item.name,
                label=label,
                is_multiline=item.multiline or None,
                max_length=item.max_length,
                placeholder=clip(item.placeholder, 150) if item.placeholder else None,
                value=item.initial,
                is_required=required,
                error_message=needed,
            )
            if item.hint:
                hint = TextRun(text=clip(item.hint, LABEL_CHARS), is_subtle=True, size="Small")
                return [field_, RichTextBlock(inlines=[hint], spacing="Small")]
            return [field_]
        case m.ChoiceInput():
            return [
                ChoiceSetInput(
                    id=item.name,
                    label=label,
                    style="compact",
                    is_multi_select=item.multiple or None,
                    choices=_choices(item.options),
                    value=item.initial,
                    is_required=required,
                    error_message=needed,
                )
            ]
        case m.UserInput():
            people = QueryData(dataset=USERS_DATASET)
            return [
                ChoiceSetInput(
                    id=item.name,
                    label=label,
                    choices=[],
                    choices_data=people,
                    is_required=required,
                    error_message=needed,
                )
            ]
    raise TypeError(f"cannot render {type(item).__name__}")


def _error(text: str) -> TextBlock:
    return TextBlock(text=escape(clip(text, LABEL_CHARS)), color="Attention", wrap=True)


def dialog(form: m.Form, errors: dict[str, str] | None = None, names: Names = NO_NAMES) -> dict[str, Any]:
    """The card of a Teams dialog (task module): intro, inputs with their errors above them, submit."""
    errors = errors or {}
    names_in_form = {i.name for i in form.inputs}
    # An error for no input in particular (or a renamed one) must still be seen: it goes on top.
    on_top = [_error(text) for key, text in errors.items() if key not in names_in_form]
    rendered = [_Rendered(on_top, [], 0), *_render(form.intro, names)]
    body: list[CardElement] = []
    for item in form.inputs:
        if item.name in errors:
            body.append(_error(errors[item.name]))
        body += _input(item)
    data = {
        FORM_KEY: form.form_id,
        STATE_KEY: form.state,
        MULTI_KEY: [i.name for i in form.inputs if isinstance(i, m.ChoiceInput) and i.multiple],
        # Teams leaves empty inputs out of the submission: this says which ones to report as empty.
        INPUTS_KEY: [i.name for i in form.inputs],
    }
    result = _card(clip(form.title, 1_000), rendered, body)
    result["actions"] = [_dump(SubmitAction(title=clip(form.submit, TITLE_CHARS), data=data))]
    return result


def dialog_response(
    form: m.Form, errors: dict[str, str] | None = None, names: Names = NO_NAMES
) -> dict[str, Any]:
    """The invoke answer that shows (or shows again, with errors) a form as a dialog."""
    card_ = attachment(dialog(form, errors, names))
    return {"task": {"type": "continue", "value": {"title": clip(form.title, 100), "card": card_}}}


def dialog_message(text: str) -> dict[str, Any]:
    """The invoke answer that closes a dialog with a short message."""
    return {"task": {"type": "message", "value": text}}


def form_values(data: dict[str, Any]) -> dict[str, str | list[str] | None]:
    """A task/submit's data → {input name: value}, like Slack's form_values."""
    multi = set(data.get(MULTI_KEY) or ())
    values: dict[str, str | list[str] | None] = {
        name: [] if name in multi else None for name in [*(data.get(INPUTS_KEY) or ()), *sorted(multi)]
    }
    for key, value in data.items():
        if key.startswith("tsqa_") or key == "msteams":
            continue
        text = "" if value is None else value if isinstance(value, str) else str(value)
        if key in multi:
            values[key] = text.split(",") if text else []  # Teams joins a multi-select with commas
        else:
            values[key] = text or None
    return values
