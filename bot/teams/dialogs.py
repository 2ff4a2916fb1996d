"""A dialog's form travels with the dialog, so a submission with errors can be shown again.

Slack keeps a modal's state and re-renders it with the errors; a Teams dialog answer must carry the
whole card again. The form is packed into the Submit action's data and comes back with the
submission. It is only ever used to show that same person their dialog again: the handler checks the
values as it always does, so a forged form fools nobody but its author.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import types
import typing
import zlib
from functools import cache
from typing import Any, Literal, Union

from bot.chat import model as m
from bot.teams import render

FIELD = "tsqa_dialog"
_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in vars(m).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == m.__name__
}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"~": type(value).__name__, **fields}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "~" in value:
        cls = _TYPES[value["~"]]  # a KeyError for a made-up type: unpack gives up
        return cls(**{k: _decode(v) for k, v in value.items() if k != "~"})
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _conforms(value: Any, hint: Any) -> bool:
    """True when a decoded value has the type the model declares: a form of the wrong shape (a known
    type where an input belongs, a number for a title) would make the dialog's answer fail."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_conforms(value, option) for option in typing.get_args(hint))
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(item, args[0]) for item in value)
        return len(value) == len(args) and all(map(_conforms, value, args))
    if dataclasses.is_dataclass(hint):
        return type(value) is hint and all(
            _conforms(getattr(value, name), field) for name, field in _hints(hint).items()
        )
    if hint is None or hint is type(None):
        return value is None
    return type(value) is hint


def pack(form: m.Form) -> str:
    raw = json.dumps(_encode(form), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()


def unpack(packed: Any) -> m.Form | None:
    """The form a submission came from, or None when it is missing or not one of ours."""
    if not isinstance(packed, str) or len(packed) > 200_000:
        return None
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(packed), 2_000_000)
        form = _decode(json.loads(raw))
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, RecursionError):
        return None
    return form if _conforms(form, m.Form) else None


def with_values(form: m.Form, values: dict[str, str | list[str] | None]) -> m.Form:
    """The form as submitted: what the person typed stays in the fields when it is shown again."""
    inputs: list[m.Input] = []
    for item in form.inputs:
        value = values.get(item.name)
        if isinstance(value, list):
            # A multi-select shows its choices again the way Adaptive Cards take them: comma-joined.
            value = ",".join(value) if value else None
        inputs.append(dataclasses.replace(item, initial=value) if hasattr(item, "initial") else item)
    return dataclasses.replace(form, inputs=tuple(inputs))


def response(form: m.Form, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The invoke answer that shows the dialog, its form packed into every Submit action."""
    answer = render.dialog_response(form, errors)
    card = answer["task"]["value"]["card"]["content"]
    packed = pack(form)
    for action in card.get("actions") or []:
        if action.get("type") == "Action.Submit":
            action.setdefault("data", {})[FIELD] = packed
    return answer
