"""Reading one policy file: front matter field by field, sections at headings, every problem with its line."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from bot.workspace import Workspace, load_workspace, parse_workspace
from bot.workspace_policy import PolicySettings
from handlers.policy.library import PolicyFileError, field_line, parse_policy, slug

ROOT = Path(__file__).resolve().parents[2]

FRONT = """\
---
id: spam
title: Spam and platform manipulation
version: 2
effective: 2026-11-01
owners: [U0QALEAD1, group:policy-owners]
applies_to: [spam-pt, northwind]
link: https://policies.example.com/spam
---
"""
BODY = """\
Applies to every public surface.

# Spam and platform manipulation
Unsolicited repeated content.

## Repeated identical posts
The same text posted many times in a short span.

```markdown
# an example inside a fence, not a heading
```

## Repeated identical posts ##
A second section with the same heading.

### Links to lookalike sites
Label as spam.
"""
GOOD = FRONT + BODY

WORKSPACE = """\
timezone: Europe/Dublin
admins: [U0QALEAD1]
groups:
  - {id: policy-owners, name: Policy owners, members: [U0POLICY1]}
vendors:
  - {id: northwind, name: Northwind, channel: C0NWIND01}
queues:
  - id: spam-pt
    name: Spam PT
    vendor: northwind
    site: manila
    targets: {daily_output: 900, sla_seconds: 28800, quality: 0.95, aht_seconds: 25}
"""


@pytest.fixture
def ws() -> Workspace:
    return parse_workspace(WORKSPACE, Path("w.yml"))


def error(text: str, workspace: Workspace | None = None) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(text.encode(), "spam.md", workspace)
    assert caught.value.file == "spam.md"
    return caught.value


def test_front_matter_fields_are_read_as_written(ws: Workspace) -> None:
    policy = parse_policy(GOOD.encode(), "spam.md", ws)
    assert (policy.id, policy.title, policy.version) == ("spam", "Spam and platform manipulation", "2")
    assert policy.effective == date(2026, 11, 1)
    assert policy.owners == ("U0QALEAD1", "group:policy-owners")
    assert policy.applies_to == ("spam-pt", "northwind")
    assert policy.link == "https://policies.example.com/spam"
    assert policy.source == "spam.md"
    assert policy.digest == hashlib.sha256(GOOD.encode()).hexdigest()


def test_a_version_keeps_its_spelling_and_optional_fields_may_be_absent() -> None:
    text = GOOD.replace("version: 2", "version: 2.10").replace("applies_to: [spam-pt, northwind]\n", "")
    policy = parse_policy(text.replace("link: https://policies.example.com/spam\n", "").encode(), "s.md")
    assert policy.version == "2.10"  # not the float 2.1
    assert policy.applies_to == () and policy.link is None
    quoted = parse_policy(GOOD.replace("effective: 2026-11-01", 'effective: "2026-11-01"').encode(), "s.md")
    assert quoted.effective == date(2026, 11, 1)


def test_sections_split_at_headings_outside_fences_with_unique_anchors() -> None:
    sections = parse_policy(GOOD.encode(), "spam.md").sections
    assert [(s.anchor, s.level, s.line) for s in sections] == [
        ("intro", 0, 10),
        ("spam-and-platform-manipulation", 1, 12),
        ("repeated-identical-posts", 2, 15),
        ("repeated-identical-posts-2", 2, 22),
        ("links-to-lookalike-sites", 3, 25),
    ]
    intro, _, first, second, last = sections
    assert (
        intro.text == "Applies to every public surface." and intro.heading == "Spam and platform manipulation"
    )
    assert "# an example inside a fence, not a heading" in first.text
    assert first.text.startswith("The same text") and first.text.endswith("```")
    assert second.heading == "Repeated identical posts"  # closing #s dropped
    assert last.text == "Label as spam."


def test_no_intro_when_the_body_starts_with_a_heading() -> None:
    sections = parse_policy((FRONT + "\n# Title\nText.\n").encode(), "s.md").sections
    assert [(s.anchor, s.heading, s.text, s.line) for s in sections] == [("title", "Title", "Text.", 11)]


def test_slugs_are_lower_case_words_joined_by_dashes() -> None:
    assert slug("Quoted slurs in news (2026 update)") == "quoted-slurs-in-news-2026-update"
    assert slug("Self-harm & suicide") == "self-harm-suicide"
    assert slug("???") == "section"


def test_a_natural_slug_is_not_taken_by_a_suffix() -> None:
    body = "# Notes\na\n# Notes 2\nb\n# Notes\nc\n"
    anchors = [s.anchor for s in parse_policy((FRONT + body).encode(), "s.md").sections]
    assert anchors == ["notes", "notes-2", "notes-3"]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (BODY, 1, "no front matter"),
        ("---\nid: spam\n" + BODY, 1, "never closed"),
        (FRONT.replace("title: Spam and", "title: Spam: and"), 3, "not valid YAML"),
        ("---\n- id\n---\n" + BODY, 1, "must be fields"),
        (FRONT.replace("owners:", "owner:"), 6, "unknown field 'owner'"),
        (FRONT.replace("link:", "title:"), 8, "field 'title' appears twice"),
        (FRONT.replace("title: Spam and platform manipulation\n", "") + BODY, 1, "missing field 'title'"),
        (FRONT.replace("version: 2", "version:") + BODY, 4, "missing field 'version'"),
        (FRONT.replace("version: 2", "version: true") + BODY, 4, "version must be text or a number"),
        (
            FRONT.replace("title: Spam and platform manipulation", "title: [a]") + BODY,
            3,
            "title must be text",
        ),
        (FRONT.replace("id: spam", "id: Spam_Policy") + BODY, 2, "id 'Spam_Policy' must be lower-case"),
        (FRONT.replace("2026-11-01", "2026-13-01") + BODY, 5, "is not a date"),
        (FRONT.replace("2026-11-01", "next week") + BODY, 5, "is not a date"),
        (FRONT.replace("owners: [U0QALEAD1, group:policy-owners]", "owners: U0QALEAD1") + BODY, 6, "a list"),
        (FRONT.replace("owners: [U0QALEAD1, group:policy-owners]", "owners: []") + BODY, 6, "at least one"),
        (FRONT.replace("U0QALEAD1,", "someone@example.com,") + BODY, 6, "is not a person ID"),
        (FRONT.replace("[spam-pt, northwind]", "[Spam PT]") + BODY, 7, "not a queue or vendor"),
        (FRONT.replace("https://policies", "policies") + BODY, 8, "must be a web address"),
        (FRONT + "\n\n  \n", 10, "no text after its front matter"),
    ],
)
def test_every_problem_names_its_line(text: str, line: int, reason: str) -> None:
    problem = error(text)
    assert (problem.line, reason in problem.reason) == (line, True), problem.reason


def test_a_list_entry_names_its_own_line() -> None:
    text = FRONT.replace("owners: [U0QALEAD1, group:policy-owners]", "owners:\n  - U0QALEAD1\n  - 42")
    assert error(text + BODY).line == 8


def test_bytes_that_are_not_utf8_name_their_line() -> None:
    with pytest.raises(PolicyFileError) as caught:
        parse_policy(GOOD.encode() + b"\nbad \xff byte\n", "spam.md")
    assert caught.value.line == GOOD.count("\n") + 2 and "UTF-8" in caught.value.reason


def test_with_a_workspace_owners_and_scope_must_be_known_to_it(ws: Workspace) -> None:
    assert "not in the workspace file" in error(GOOD.replace("U0QALEAD1", "U0STRANGER"), ws).reason
    unknown_group = error(GOOD.replace("group:policy-owners", "group:legal"), ws)
    assert (unknown_group.line, "unknown group 'legal'" in unknown_group.reason) == (6, True)
    teams_id = error(GOOD.replace("U0QALEAD1", "3c0f6e2a-7b41-4d8e-9a15-0000000a0001"), ws)
    assert "is not a person ID" in teams_id.reason  # a Teams ID in a Slack workspace
    assert "not a queue or vendor" in error(GOOD.replace("spam-pt,", "video-en,"), ws).reason
    # without a workspace only the shape is checked
    assert parse_policy(GOOD.replace("U0QALEAD1", "U0STRANGER").encode(), "spam.md").owners[0] == "U0STRANGER"


def test_group_members_and_vendor_leads_count_as_known_people() -> None:
    workspace = load_workspace(ROOT / "examples" / "workspace.yml")
    text = GOOD.replace("[U0QALEAD1, group:policy-owners]", "[U0NWLEAD1, U0TRAINER1]")
    assert parse_policy(text.encode(), "spam.md", workspace).owners == ("U0NWLEAD1", "U0TRAINER1")


def test_field_line_finds_a_field_of_a_valid_file() -> None:
    assert field_line(GOOD.encode(), "version") == 4
    assert field_line(GOOD.encode(), "missing") == 1


def test_workspace_policy_settings_resolve_the_folder_and_normalise_the_glossary(tmp_path: Path) -> None:
    settings = PolicySettings(dir="library", glossary={"CSAM": [" Child sexual abuse material "]})
    assert settings.folder(tmp_path / "workspace.yml") == tmp_path / "library"
    assert settings.glossary == {"csam": ["child sexual abuse material"]} and settings.confidence == 0.0
    example = load_workspace(ROOT / "examples" / "workspace.yml")
    assert example.policy is not None and example.channel_name(example.policy.owners_channel or "")
    assert {"suicide", "self-injury"} <= set(example.policy.glossary["self-harm"])


def test_workspace_policy_section_errors_name_key_and_line() -> None:
    from bot.workspace import WorkspaceError

    bad = WORKSPACE + "policy:\n  owners_channel: policy-owners\n  glossary: {ncii: ['']}\n  confidence: -1\n"
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(bad, Path("w.yml"))
    problems = "\n".join(caught.value.problems)
    assert "policy.owners_channel" in problems and "line 15" in problems
    assert "policy.glossary" in problems and "policy.confidence" in problems
