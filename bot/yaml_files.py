"""YAML files people write (the workspace file, training plans): read and validated with pydantic,
every problem said with its key path and its line and column, so the file can be fixed without guessing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class YamlProblems(Exception):
    """The file cannot be used; `problems` are one line each, positioned."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest YAML node along a pydantic error location, for its line and column."""
    node = root
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:
                return node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node


def _describe(path: Path, root: yaml.Node | None, error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "(top level)"
    node = _node_at(root, loc)
    where = f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}" if node else "?"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}:{where}: {key}: {message}"


def read_model(text: str, path: Path, model: type[Model], expected: str) -> Model:
    """`text` as `model`; `expected` names the top-level keys for a file that is no mapping at all."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise YamlProblems([f"{path}:{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise YamlProblems([f"{path}: expected a mapping with {expected}"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise YamlProblems([_describe(path, root, e) for e in exc.errors()]) from None
