"""Escalations read and scoped end to end: the impact pre-filled from the queue data (checked against
an independent count), who may raise on which queue, the list and the detail view by vendor scope, an
escalation with no configured contacts (posted, and the admins told exactly what is missing), and the
report with its chart and CSV."""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from bot.workspace_escalation import EscalationPlatform, VendorContacts
from handlers.escalate import contacts, views
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import BacklogSnapshot, Decision
from tests.e2e.escalate_flow import (
    ESCALATIONS,
    KAI,
    NICO,
    NOW,
    QA_OPS,
    QUINN,
    Clock,
    answer,
    click,
    dms,
    opened_view,
    raise_one,
    raise_values,
    submit,
    thread,
)
from tests.e2e.harness import eventually, quiet, running_bot, settled, texts

BEA = "U0BBLEAD1"  # Bluebird's lead


async def expected_impact(database_url: str, queue: str, now: datetime) -> tuple[int, int, int]:
    """(latest backlog, output in the last 3 h, the mean of the same 3 h on the 7 days before), from
    the raw rows with pandas: an independent count of what the form shows."""
    db = Database(database_url)
    async with db.transaction() as session:
        done = [
            r
            for (r,) in (await session.execute(select(Decision.completed_us).where(Decision.queue == queue)))
        ]
        snaps = (
            (await session.execute(select(BacklogSnapshot).where(BacklogSnapshot.queue == queue)))
            .scalars()
            .all()
        )
    await db.dispose()
    times = pd.to_datetime(pd.Series(done), unit="us", utc=True)
    ts = pd.Timestamp(now)
    recent = int(((times >= ts - pd.Timedelta(hours=3)) & (times < ts)).sum())
    usual = [
        int(((times >= ts - pd.Timedelta(days=k, hours=3)) & (times < ts - pd.Timedelta(days=k))).sum())
        for k in range(1, 8)
    ]
    latest = max((s for s in snaps if s.at_us <= int(ts.timestamp() * 1_000_000)), key=lambda s: s.at_us)
    return latest.backlog, recent, round(sum(usual) / len(usual))


async def test_the_form_is_prefilled_with_the_queues_impact(workspace, loaded_url) -> None:
    backlog, recent, usual = await expected_impact(loaded_url, "hate-en", NOW)
    assert usual > 0 and recent == 0  # the example data ends yesterday: the queue looks stopped
    async with running_bot(quiet(workspace), loaded_url, clock=Clock()) as (bot, slack):
        before = len(slack.fake.calls_to("views.open"))
        await slack.command("/escalate", "hate-en Labelling tool down", user=QUINN, channel=QA_OPS)
        view = await opened_view(slack, before)
        fields = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
        assert fields["title"]["initial_value"] == "Labelling tool down"
        assert fields["queue"]["initial_option"]["value"] == "hate-en"
        impact = fields["impact"]["initial_value"]
        assert f"Backlog {backlog:,} items" in impact
        assert f"Output last 3 h: 0 vs usual {usual:,} (−100%)." in impact
        assert "Active labelers last 3 h: 0." in impact
        # Submitted without an impact (e.g. another queue picked), it is filled in on submit.
        assert await submit(slack, view, QUINN, raise_values(impact="")) == {}
        await settled(bot)
        [root] = [m for m in slack.fake.messages_in(ESCALATIONS) if m.blocks]
        assert f"vs usual {usual:,}" in texts(root.blocks)


async def test_who_may_raise_and_see_follows_roles_and_vendor_scope(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        assert "Escalations are raised by" in await answer(slack, "hate-en Tool down", KAI)
        # A vendor's contact is offered their own vendor's queues only, and a forged queue is refused.
        before = len(slack.fake.calls_to("views.open"))
        await slack.command("/escalate", "Tool down", user=NICO, channel=QA_OPS)
        view = await opened_view(slack, before)
        queue = next(b for b in view["blocks"] if b.get("block_id") == "queue")
        offered = {o["value"] for o in queue["element"]["options"]}
        assert offered == {"hate-en", "spam-pt", "-"}
        refused = await submit(slack, view, NICO, raise_values(queue="graphic-img"))
        assert refused["response_action"] == "errors" and "queue" in refused["errors"]
        assert await submit(slack, view, NICO, raise_values(queue="spam-pt")) == {}
        await settled(bot)
        assert [m for m in slack.fake.messages_in(ESCALATIONS) if m.blocks]

        assert "ESC-1" in await answer(slack, "list", NICO)
        assert "ESC-1" in await answer(slack, "list all", QUINN)
        assert "ESC-1" not in await answer(slack, "list", BEA) and "No escalations" in await answer(
            slack, "list", BEA
        )
        assert "not yours to see" in await answer(slack, "ESC-1", BEA)
        detail = await answer(slack, "ESC-1", QUINN)
        assert "Timeline" in detail and "opened" in detail and "Spam PT" in detail
        assert "ESC-1" in await answer(slack, "list mine", NICO)
        assert "No escalations" in await answer(slack, "list mine", QUINN)
        assert "Say" in await answer(slack, "list everything", QUINN)


async def test_no_contacts_configured_still_posts_and_tells_the_admins(workspace, database_url) -> None:
    bare = EscalationPlatform(id="tool-x", name="Tool X")
    vendors = [v.model_copy(update={"contacts": VendorContacts()}) if v.id == "bluebird" else v
               for v in workspace.vendors]  # fmt: skip
    ws = quiet(workspace).model_copy(update={"platforms": [bare], "vendors": vendors})
    async with running_bot(ws, database_url, clock=Clock()) as (bot, slack):
        root = await raise_one(
            slack, bot, text="graphic-img Tool X down", queue="graphic-img", platform="tool-x"
        )
        assert "ESC-1" in texts(root.blocks)
        [first] = await eventually(lambda: thread(slack, ESCALATIONS, root))
        assert "No R&D on-call is configured for Tool X" in texts(first.blocks)
        assert "No BPO contacts are configured for Bluebird Moderation" in texts(first.blocks)
        told = html.unescape(texts([b for m in dms(slack, QUINN) for b in m.blocks]))  # Slack's &amp;
        assert "Tool X (tool-x) has no R&D on-call (rd_oncall)" in told
        assert "has no R&D escalation (rd_escalation)" in told
        assert "vendor bluebird has no BPO operations contacts" in told


async def test_the_report_comes_as_a_dm_with_chart_and_csv(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        await raise_one(slack, bot, title='=HYPERLINK("http://x")')
        clock.advance(minutes=3)
        root = [m for m in slack.fake.messages_in(ESCALATIONS) if m.blocks][-1]
        await click(slack, root, views.ACK, "U0RDONCALL")
        await settled(bot)
        assert "⛔" in await answer(slack, "report", KAI)
        assert "in our DM" in await answer(slack, "report", QUINN)
        await settled(bot)
        report = next(m for m in dms(slack, QUINN) if "Escalations since" in texts(m.blocks))
        assert "3 min" in texts(report.blocks)
        assert await eventually(lambda: len(slack.fake.calls_to("files.completeUploadExternal")) == 2, 10)
        by_name = {f.name: f for f in slack.fake.state.files.values()}
        since = (clock.now - timedelta(days=30)).astimezone(workspace.tz).date().isoformat()
        png, table = by_name[f"escalations-{since}.png"], by_name[f"escalations-{since}.csv"]
        assert png.data[:4] == b"\x89PNG" and {png.thread_ts, table.thread_ts} == {report.ts}
        [row] = list(csv.DictReader(io.StringIO(table.data.decode())))
        assert not row["title"].startswith("=")


async def test_imported_contacts_replace_the_files_for_their_roles(workspace, database_url) -> None:
    """`tsqa contacts import`'s rows win over the workspace file for the roles they name only."""
    db = Database(database_url)
    await upgrade(db)
    csv_text = (
        "scope,id,role,people\n"
        "vendor,northwind,workforce,U0LABEL01\n"
        "platform,media-service,rd_oncall,U0TRAINER1\n"
    )
    await contacts.import_file(db, csv_text, workspace, by="test", now=NOW)
    await db.dispose()
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        root = await raise_one(slack, bot)
        [first] = await eventually(lambda: thread(slack, ESCALATIONS, root))
        said = texts(first.blocks)
        assert "<@U0TRAINER1>" in said and "<@U0RDONCALL>" not in said  # rd_oncall replaced
        assert f"<@{NICO}>" in said and "<@U0LABEL01>" in said  # operations kept, workforce added


async def test_the_home_tab_lists_open_escalations_by_scope(workspace, database_url) -> None:
    async with running_bot(quiet(workspace), database_url, clock=Clock()) as (bot, slack):
        await raise_one(slack, bot, title="Labelling tool slow")

        async def home_of(user: str, event_id: str) -> str:
            before = len(slack.fake.calls_to("views.publish"))
            await slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id)
            published = await eventually(lambda: slack.fake.calls_to("views.publish")[before:])
            return texts(published[-1].json("view")["blocks"])

        assert "ESC-1" in await home_of(NICO, "EvEscHome1") and "Labelling tool slow" in await home_of(
            QUINN, "EvEscHome2"
        )
        bea = await home_of(BEA, "EvEscHome3")
        assert (
            "ESC-1" not in bea
            and "No open escalations you follow" in bea
            and "Open the escalation form" in bea
        )
        kai = await home_of(KAI, "EvEscHome4")
        assert "ESC-1" not in kai and "Open the escalation form" not in kai


async def test_the_queues_digest_lists_its_open_escalation(workspace, loaded_url) -> None:
    """Raised on hate-en: the digest for hate-en's vendor lists it until it is resolved."""
    async with running_bot(quiet(workspace), loaded_url, clock=Clock()) as (bot, slack):
        await raise_one(slack, bot, title="Media not loading")
        await raise_one(slack, bot, title="Graphic queue idle", queue="graphic-img", text="graphic-img Idle")
        northwind = await answer_digest(slack, "northwind")
        assert (
            "Open escalations" in northwind and "ESC-1 SEV2 Media not loading (not acknowledged)" in northwind
        )
        assert "ESC-2" not in northwind  # another vendor's queue
        everyone = await answer_digest(slack, "")
        assert "ESC-1" in everyone and "ESC-2" in everyone


async def answer_digest(slack, scope: str) -> str:  # noqa: ANN001
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command("/digest", scope, user=QUINN, channel=QA_OPS)
    if reply.text and (reply.json() or {}).get("blocks"):
        return texts(reply.json()["blocks"])
    said = await eventually(lambda: slack.fake.calls_to("response_url")[before:], 20)
    return texts(said[-1].args.get("blocks"))
