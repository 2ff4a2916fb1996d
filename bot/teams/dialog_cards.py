"""A neutral Form as a Teams dialog (task module) card, and its submission back as form values.

The form's id, state and input names travel in the submit button's data, so the submission can be
read (and the dialog shown again with errors) without anything kept on the server.
"""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards.core import (
    CardElement,
    ChoiceSetInput,
    QueryData,
    RichTextBlock,
    SubmitAction,
    TextBlock,
    TextInput,
    TextRun,
)

from bot.chat import model as m
from bot.teams.card_parts import TITLE_CHARS, Rendered, assemble, attachment, choices, render_parts
from bot.teams.card_text import NO_NAMES, Names, clip, dump, escape

LABEL_CHARS = 2_000
USERS_DATASET = "graph.microsoft.com/users"  # Teams' people picker for Input.ChoiceSet
FORM_KEY, STATE_KEY, MULTI_KEY, INPUTS_KEY = "tsqa_form", "tsqa_state", "tsqa_multi", "tsqa_inputs"


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
                    choices=choices(item.options),
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
    rendered = [Rendered(on_top, [], 0), *render_parts(form.intro, names)]
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
    result = assemble(clip(form.title, 1_000), rendered, body)
    result["actions"] = [dump(SubmitAction(title=clip(form.submit, TITLE_CHARS), data=data))]
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
