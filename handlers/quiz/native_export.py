"""Questions written back out: a topic as native YAML that `parse_yaml` reads again (export, editing), and
a question as stored, every answer with its weight (`tsqa quiz export --json`)."""

from __future__ import annotations

from typing import Any

import yaml

from handlers.quiz.bank import Question, Topic
from handlers.quiz.intake import QuestionError, choice_weights

_STR = "tag:yaml.org,2002:str"


class _Flow(list):
    """A short list written on one line: `[0, 2]`, `[links, phishing]`."""


class _Dumper(yaml.SafeDumper):
    """Multi-line text as `|` blocks and short lists on one line: an export reads like a written bank."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    return dumper.represent_scalar(_STR, text, style="|" if "\n" in text else None)


def _represent_flow(dumper: yaml.SafeDumper, items: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Flow, _represent_flow)


def dump_topic(topic: Topic) -> str:
    """A topic as native YAML that `parse_yaml` reads back to the same questions (export, editing)."""
    data: dict[str, Any] = {"topic": topic.id, "title": topic.title or topic.id, "pass_mark": topic.pass_mark}
    if topic.time_limit_seconds is not None:
        data["time_limit"] = topic.time_limit_seconds
    data["questions"] = [_written(q) for q in topic.questions]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _written(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "type": q.type}
    if q.title:
        out["title"] = q.title
    if q.text_format != "plain":
        out["format"] = q.text_format
    out["text"] = q.text
    if q.type in ("single", "multiple"):
        out["options"] = [c.text for c in q.choices]
        weights = [c.weight for c in q.choices]
        right = [i for i, w in enumerate(weights) if w > 0]
        multiple = q.type == "multiple"
        try:
            even = weights == choice_weights(len(weights), right, multiple=multiple, line=q.line)
        except QuestionError:
            even = False
        if even:
            out["correct"] = _Flow(right) if multiple else right[0]
        else:
            out["weights"] = _Flow(weights)
    elif q.type == "truefalse":
        out["answer"] = bool(q.choices) and q.choices[0].right
    elif q.type == "short":
        out["answers"] = [c.text if c.weight == 1.0 and not c.feedback else vars(c).copy() for c in q.choices]
    elif q.type == "numeric":
        first = q.numeric[0] if len(q.numeric) == 1 else None
        if first is not None and first.weight == 1.0 and not first.feedback:
            out["number"] = _plain(first.value)
            if first.tolerance:
                out["tolerance"] = _plain(first.tolerance)
        else:
            out["numbers"] = [_unusual(vars(a)) for a in q.numeric]
    elif q.type == "matching":
        out["pairs"] = [_Flow([p.item, p.match]) for p in q.pairs]
    if q.type in ("single", "multiple", "truefalse") and any(c.feedback for c in q.choices):
        out["feedback"] = [c.feedback for c in q.choices]
    out.update({key: getattr(q, key) for key in ("explanation", "policy") if getattr(q, key)})
    if q.tags:
        out["tags"] = _Flow(q.tags)
    return out


def _unusual(entry: dict[str, Any]) -> dict[str, Any]:
    """A number's fields without the ones at their default, so `numbers:` stays short."""
    usual = {"tolerance": 0.0, "weight": 1.0, "feedback": ""}
    return {k: _plain(v) for k, v in entry.items() if k not in usual or usual[k] != v}


def _plain(value: Any) -> Any:
    """1822 rather than 1822.0 in a written bank."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def question_dict(q: Question) -> dict[str, Any]:
    """A question as stored, for `tsqa quiz export --json`: every answer with its correctness and weight."""
    out: dict[str, Any] = {"id": q.id, "type": q.type, "title": q.title, "text": q.text}
    out["format"] = q.text_format
    if q.type in ("single", "multiple", "truefalse", "short"):
        # an option of a multiple question is right when it earns credit; elsewhere, with full credit
        right = [c.weight > 0 if q.type == "multiple" else c.right for c in q.choices]
        key = "answers" if q.type == "short" else "options"
        out[key] = [{"text": c.text, "right": r} | vars(c) for c, r in zip(q.choices, right, strict=True)]
    if q.type == "numeric":
        out["numbers"] = [vars(a).copy() for a in q.numeric]
    if q.type == "matching":
        out["pairs"] = [{"item": p.item, "match": p.match} for p in q.pairs]
    out |= {"explanation": q.explanation, "policy": q.policy, "tags": list(q.tags)}
    return out
