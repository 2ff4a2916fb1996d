"""The workspace file: valid example, and errors that name the key and the position."""

from pathlib import Path

import pytest

from bot.workspace import WorkspaceError, load_workspace, parse_workspace

GOOD = """\
timezone: Europe/Dublin
admins: [U0ADMIN1]
vendors:
  - {id: acme, name: Acme, channel: C0ACME001, leads: [U0LEAD01]}
queues:
  - id: q1
    name: Queue one
    vendor: acme
    site: s1
    targets: {daily_output: 100, sla_seconds: 3600, quality: 0.9, aht_seconds: 30}
"""


def test_example_workspace_is_valid(workspace) -> None:
    assert workspace.queue("hate-en").targets.daily_output == 1200
    assert {q.vendor for q in workspace.queues} <= {v.id for v in workspace.vendors}


def test_minimal_workspace_parses() -> None:
    ws = parse_workspace(GOOD, Path("w.yml"))
    assert ws.vendor("acme").leads == ["U0LEAD01"]
    assert ws.queue("q1").targets.sla_adherence == 0.95


def test_errors_name_key_and_line() -> None:
    bad = GOOD.replace("quality: 0.9", "quality: 1.5").replace(
        "timezone: Europe/Dublin", "timezone: Mars/Base"
    )
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(bad, Path("w.yml"))
    problems = caught.value.problems
    assert any(
        p.startswith("w.yml:line 1, column 11: timezone: unknown timezone 'Mars/Base'") for p in problems
    )
    assert any("queues[0].targets.quality" in p and "line 10" in p for p in problems), problems


def test_unknown_vendor_and_bad_ids_are_reported() -> None:
    bad = GOOD.replace("vendor: acme", "vendor: nobody").replace("[U0ADMIN1]", "[someone@example.com]")
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(bad, Path("w.yml"))
    text = " ".join(caught.value.problems)
    assert "admins[0]" in text and "not a Slack user or usergroup ID" in text


def test_unknown_queue_vendor_is_reported_when_ids_are_fine() -> None:
    with pytest.raises(WorkspaceError, match="vendor 'nobody' is not one of the vendors"):
        parse_workspace(GOOD.replace("vendor: acme", "vendor: nobody"), Path("w.yml"))


def test_missing_required_key_and_unknown_key() -> None:
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(GOOD.replace("    site: s1\n", "    sight: s1\n"), Path("w.yml"))
    text = " ".join(caught.value.problems)
    assert "queues[0].site: Field required" in text
    assert "queues[0].sight: Extra inputs are not permitted" in text


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("timezone: [unclosed\n")
    with pytest.raises(WorkspaceError, match=r"line \d+, column \d+: not valid YAML"):
        load_workspace(path)


def test_missing_file() -> None:
    with pytest.raises(WorkspaceError, match="cannot read the workspace file"):
        load_workspace("/nonexistent/w.yml")


def test_a_queue_item_link_needs_a_url_with_the_item_id(tmp_path) -> None:  # noqa: ANN001
    from bot.workspace import Queue, Targets

    targets = Targets(daily_output=1, sla_seconds=1, quality=0.9, aht_seconds=1)
    queue = Queue(id="q", name="Q", vendor="v", site="s", targets=targets,
                  item_link="https://tool.example/items/{item_id}?view=qa")  # fmt: skip
    assert queue.link_to("A 1/2") == "https://tool.example/items/A%201%2F2?view=qa"
    assert Queue(id="q", name="Q", vendor="v", site="s", targets=targets).link_to("A") is None
    for bad in ("https://tool.example/items/", "tool.example/{item_id}"):
        try:
            Queue(id="q", name="Q", vendor="v", site="s", targets=targets, item_link=bad)
        except ValueError as exc:
            assert "{item_id}" in str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")
