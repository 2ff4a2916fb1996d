"""Policy cascades, the command: the sections that changed since the previous version, a few lines of
the changed text in the post, and the targets and ack-by day read against the workspace file."""

from __future__ import annotations

from datetime import date

import pytest

from bot.routing import UsageError
from handlers.policy import cascade, cascade_targets, store
from storage.engine import Database
from tests.unit.policy_cascade_fixtures import ADMIN, BLUEBIRD, NORTHWIND, NOW, QA_OPS, members_port, services
from tests.unit.policy_cascade_fixtures import library as library  # a fixture
from tests.unit.policy_cascade_fixtures import workspace as workspace  # a fixture, in place of conftest's
from tests.unit.test_quiz_assign import texts


async def test_the_changes_are_the_sections_added_changed_and_removed_since_the_previous_version(
    library: Database,
) -> None:
    versions = await store.versions(library, "spam")
    v2 = versions[-1]
    found = cascade.changes(cascade.previous_version(versions, v2), v2)
    assert found.added == ("Engagement bait",) and found.changed == ("Repeated identical posts",)
    assert found.removed == () and not found.first
    assert cascade.changes(None, versions[0]).first
    back = cascade.changes(v2, versions[0])
    assert back.removed == ("Engagement bait",)
    # A few lines of the changed text itself, added and removed lines only, none empty or long.
    assert found.diff and len(found.diff) <= cascade.DIFF_LINES
    assert all(
        line[0] in "+-" and line[1:].strip() and len(line) <= cascade.DIFF_WIDTH for line in found.diff
    )


async def test_the_post_shows_a_few_lines_of_the_changed_text(library: Database, workspace) -> None:  # noqa: ANN001
    port = members_port()
    svc = services(library, port, [NOW], workspace)
    await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
    )
    versions = await store.versions(library, "spam")
    diff = cascade.changes(versions[0], versions[1]).diff
    assert diff[0] in texts(port.posts[0][1])


@pytest.mark.parametrize("token", ["C0NOTLISTED", "<#C0NOTLISTED|elsewhere>", "<@U0LABEL01>", "U0LABEL01"])
def test_only_channels_the_workspace_file_lists_are_targets(workspace, token: str) -> None:  # noqa: ANN001
    with pytest.raises(UsageError) as refused:
        cascade_targets.parse(f"spam --to {token} --ack-by 2026-12-10", workspace, date(2026, 12, 1))
    assert "I know no vendor or channel" in refused.value.args[0].plain


def test_vendors_channel_mentions_names_and_ids_are_read_with_the_ack_by_day(workspace) -> None:  # noqa: ANN001
    got = cascade_targets.parse(
        "Spam --to northwind <#C0BLUEB01|vendor-bluebird> #qa-ops C0NWIND01 --ack-by 2026-12-10 --quiz Spam",
        workspace,
        date(2026, 12, 1),
    )
    assert got.policy_id == "spam" and got.ack_by == date(2026, 12, 10) and got.quiz == "spam"
    assert [(t.channel, t.vendor) for t in got.targets] == [
        (NORTHWIND, "northwind"),
        (BLUEBIRD, "bluebird"),
        (QA_OPS, None),
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("--to northwind", "Name the policy"),
        ("spam --to northwind", "--ack-by"),
        ("spam --to nowhere --ack-by 2026-12-10", "nowhere"),
        ("spam --ack-by 2026-12-10", "where to post"),
        ("spam --to northwind --ack-by 2026-11-30", "has passed"),
        ("spam --to northwind --ack-by soon", "not a day like"),
        ("spam --to northwind --ack-by 2026-12-10 --every-day", "--every-day"),
    ],
)
def test_a_command_without_targets_or_a_good_day_is_refused_saying_why(
    workspace, text: str, said: str
) -> None:  # noqa: ANN001
    with pytest.raises(UsageError) as refused:
        cascade_targets.parse(text, workspace, date(2026, 12, 1))
    assert said in refused.value.args[0].plain
