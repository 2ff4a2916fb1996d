"""Reading one policy file: YAML front matter checked field by field, the Markdown body split into
sections at its headings.

Every problem is a PolicyFileError with the file, the line and what to change, so whoever edits the
library can fix it without reading code. Values are read from the composed YAML nodes, not from
YAML's own conversion: a version `2.10` stays "2.10" and a date like 2026-13-01 is our error, with
its line, not a crash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

import yaml

from bot.workspace import Workspace
from bot.workspace_ids import GROUP_PREFIX, SLACK_USER, SLACK_USERGROUP, SLUG, TEAMS_USER
from handlers.policy.model import Policy, Section

POLICY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID = 64  # the storage columns' width
FIELDS = ("id", "title", "version", "effective", "owners", "applies_to", "link")
REQUIRED = ("id", "title", "version", "effective", "owners")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
TAG = "tag:yaml.org,2002:"
PEOPLE = {"slack": (SLACK_USER, SLACK_USERGROUP), "teams": (TEAMS_USER,)}


class PolicyFileError(Exception):
    """One problem with one policy file: nothing from the file is used."""

    def __init__(self, file: str, line: int, reason: str):
        self.file = file
        self.line = line
        self.reason = reason
        super().__init__(f"{file}:{line}: {reason}")


@dataclass(frozen=True)
class FrontMatter:
    """The front matter's nodes by field, and the lines around it."""

    fields: dict[str, yaml.Node]
    start: int  # line of the opening ---
    body_start: int  # first line after the closing ---


def parse_policy(data: bytes, file: str, workspace: Workspace | None = None) -> Policy:
    """One file's bytes as a Policy; with a workspace, owners and applies_to must be known to it."""
    text = _decode(data, file)
    lines = text.splitlines()
    front = read_front_matter(lines, file)
    values = _Fields(front, file)
    policy_id = values.text("id")
    if not POLICY_ID.match(policy_id) or len(policy_id) > MAX_ID:
        values.fail("id", f"id {policy_id!r} must be lower-case letters, digits and single dashes, like spam")
    version = values.text("version", kinds=("str", "int", "float"))
    if len(version) > MAX_ID:
        values.fail("version", f"version must be at most {MAX_ID} characters")
    body = lines[front.body_start - 1 :]
    if not any(line.strip() for line in body):
        raise PolicyFileError(file, front.body_start, "the policy has no text after its front matter")
    title = values.text("title")
    return Policy(
        id=policy_id,
        title=title,
        version=version,
        effective=values.day("effective"),
        owners=values.owners(workspace),
        applies_to=values.applies_to(workspace),
        link=values.link(),
        sections=split_sections(body, front.body_start, title),
        source=file,
        digest=hashlib.sha256(data).hexdigest(),
    )


def field_line(data: bytes, name: str, file: str = "") -> int:
    """The line of one front-matter field of a file (of the front matter when the field is absent)."""
    return _Fields(read_front_matter(_decode(data, file).splitlines(), file), file).line(name)


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyFileError(file, line, "the file is not UTF-8 text: save it as UTF-8") from None


def read_front_matter(lines: list[str], file: str) -> FrontMatter:
    """The YAML between a first line `---` and the next `---` line, as nodes keyed by field."""
    if not lines or lines[0].rstrip() != "---":
        raise PolicyFileError(
            file,
            1,
            "no front matter: the file must start with a line '---', then id, title, version, "
            "effective and owners, then another '---'",
        )
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise PolicyFileError(file, 1, "the front matter opened on line 1 is never closed by a line '---'")
    try:
        root = yaml.compose("\n".join(lines[1:end]), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise PolicyFileError(
            file, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise PolicyFileError(file, 1, "the front matter must be fields like 'id: spam', one per line")
    fields: dict[str, yaml.Node] = {}
    for key, value in root.value:
        name = str(key.value)
        line = key.start_mark.line + 2
        if name not in FIELDS:
            raise PolicyFileError(file, line, f"unknown field {name!r} (fields: {', '.join(FIELDS)})")
        if name in fields:
            raise PolicyFileError(file, line, f"field {name!r} appears twice")
        fields[name] = value
    return FrontMatter(fields, 1, end + 2)


class _Fields:
    """Typed reads of the front matter's fields, each failing with the field's own line."""

    def __init__(self, front: FrontMatter, file: str):
        self.front = front
        self.file = file

    def line(self, name: str) -> int:
        node = self.front.fields.get(name)
        return node.start_mark.line + 2 if node is not None else self.front.start

    def fail(self, name: str, reason: str) -> NoReturn:
        raise PolicyFileError(self.file, self.line(name), reason)

    def node(self, name: str) -> yaml.Node | None:
        node = self.front.fields.get(name)
        if node is None or _kind(node) == "null":
            if name in REQUIRED:
                raise PolicyFileError(self.file, self.line(name), f"missing field {name!r}")
            return None
        return node

    def text(self, name: str, kinds: tuple[str, ...] = ("str",)) -> str:
        node = self.node(name)
        value = node.value.strip() if isinstance(node, yaml.ScalarNode) else ""
        if node is None or _kind(node) not in kinds or not value:
            what = "text or a number" if "int" in kinds else "text"
            self.fail(name, f"{name} must be {what}")
        return value

    def day(self, name: str) -> date:
        value = self.text(name, kinds=("str", "timestamp"))
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{name} {value!r} is not a date like 2026-11-01")

    def items(self, name: str) -> list[tuple[int, str]]:
        """A list field's entries with their lines; absent or null is empty."""
        node = self.node(name)
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(name, f"{name} must be a list like [a, b]")
        found = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or _kind(item) != "str" or not item.value.strip():
                raise PolicyFileError(self.file, item.start_mark.line + 2, f"{name}: each entry must be text")
            found.append((item.start_mark.line + 2, item.value.strip()))
        return found

    def owners(self, workspace: Workspace | None) -> tuple[str, ...]:
        entries = self.items("owners")
        if not entries:
            self.fail("owners", "owners must name at least one person or group:<id>")
        known = _known_people(workspace) if workspace else None
        for line, ref in entries:
            if problem := _owner_problem(ref, workspace, known):
                raise PolicyFileError(self.file, line, f"owners: {problem}")
        return tuple(ref for _, ref in entries)

    def applies_to(self, workspace: Workspace | None) -> tuple[str, ...]:
        entries = self.items("applies_to")
        known = {q.id for q in workspace.queues} | {v.id for v in workspace.vendors} if workspace else None
        for line, ref in entries:
            if not re.match(SLUG, ref) or (known is not None and ref not in known):
                listed = ", ".join(sorted(known or ())) or "none"
                raise PolicyFileError(
                    self.file,
                    line,
                    f"applies_to: {ref!r} is not a queue or vendor id of the workspace (known: {listed})",
                )
        return tuple(ref for _, ref in entries)

    def link(self) -> str | None:
        if self.node("link") is None:
            return None
        value = self.text("link")
        if not re.match(r"^https?://\S+$", value):
            self.fail("link", f"link {value!r} must be a web address starting with https://")
        return value


def _kind(node: yaml.Node) -> str:
    """The YAML type a plain scalar resolves to (str, int, float, bool, null, timestamp)."""
    if isinstance(node, yaml.MappingNode):
        return "map"
    if isinstance(node, yaml.SequenceNode):
        return "seq"
    return str(node.tag).removeprefix(TAG)


def _known_people(workspace: Workspace) -> set[str]:
    """Every person or usergroup the workspace file names, wherever it names them."""
    refs = [*workspace.admins, *workspace.trainers, *(p.id for p in workspace.people)]
    for vendor in workspace.vendors:
        refs += [*vendor.leads, *vendor.contacts.everyone]
    for group in workspace.groups:
        refs += group.members
    return {workspace.normal_user(ref) for ref in refs}


def _owner_problem(ref: str, workspace: Workspace | None, known: set[str] | None) -> str | None:
    """Why `ref` cannot be an owner, or None."""
    if ref.startswith(GROUP_PREFIX):
        name = ref.removeprefix(GROUP_PREFIX)
        if not re.match(SLUG, name):
            return f"{ref!r} is not a group reference like group:policy-owners"
        if workspace is not None and workspace.group(name) is None:
            defined = ", ".join(g.id for g in workspace.groups) or "none yet"
            return f"unknown group {name!r}: add it under groups: in the workspace file (defined: {defined})"
        return None
    platforms = [workspace.platform] if workspace else ["slack", "teams"]
    if not any(p.match(ref) for name in platforms for p in PEOPLE[name]):
        return f"{ref!r} is not a person ID or group:<id>"
    if known is not None and workspace is not None and workspace.normal_user(ref) not in known:
        return f"{ref!r} is not in the workspace file: add them under people:, or name a group:<id>"
    return None


def slug(heading: str) -> str:
    """Lower-case words joined by dashes: "Quoted slurs in news" -> "quoted-slurs-in-news"."""
    return "-".join(re.findall(r"[^\W_]+", heading.lower())) or "section"


def _blocks(lines: list[str], first_line: int) -> Iterator[tuple[int, int, str]]:
    """(file line, level, heading) of each ATX heading outside fenced code blocks."""
    fence: str | None = None
    for offset, line in enumerate(lines):
        if match := FENCE.match(line):
            marker = match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker) :]:
                fence = None
            continue
        if fence is None and (match := HEADING.match(line)):
            heading = CLOSING_HASHES.sub("", match.group(2) or "").strip()
            yield first_line + offset, len(match.group(1)), heading


def split_sections(lines: list[str], first_line: int, title: str) -> tuple[Section, ...]:
    """The body's sections: a level-0 "intro" (headed by the title) for text before the first heading,
    then one per heading, anchors made unique with -2, -3 suffixes."""
    headings = list(_blocks(lines, first_line))
    sections: list[Section] = []
    used: set[str] = set()

    def body(start: int, end: int) -> str:
        return "\n".join(lines[start - first_line : end - first_line]).strip("\n").rstrip()

    end_of_intro = headings[0][0] if headings else first_line + len(lines)
    intro = body(first_line, end_of_intro)
    if intro.strip():
        blank = next(i for i, line in enumerate(lines) if line.strip())
        sections.append(Section("intro", title, 0, intro, first_line + blank))
        used.add("intro")
    ends = [h[0] for h in headings[1:]] + [first_line + len(lines)]
    for (line, level, heading), end in zip(headings, ends, strict=True):
        base = slug(heading)
        anchor, n = base, 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        sections.append(Section(anchor, heading, level, body(line + 1, end), line))
    return tuple(sections)
