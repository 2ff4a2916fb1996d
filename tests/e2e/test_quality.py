"""`/quality` end to end over signed HTTP against the Slack fake: the report in a DM (figures checked
against an independent count of the stored audits), its trend chart, heatmaps and formula-safe CSV,
vendor scope for vendor leads, a standout pair recommended with its policy section and refresher quiz,
and the refresher assigned from the button."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.policy.store import load_dir
from handlers.quality import views
from handlers.queue_data.ingest import ingest_decisions
from handlers.quiz import store as quiz_store
from handlers.quiz.formats import parse_bank
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import Decision
from tests.conftest import ROOT
from tests.e2e.harness import eventually, quiet, running_bot, settled, texts

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # the report covers 2 to 29 November
QUINN = "U0QALEAD1"
NICO = "U0NWLEAD1"
KAI = "U0LABEL02"
QA_OPS = "C0QAOPS01"


def clock() -> datetime:
    return NOW


def decisions_csv(seed: int = 7, start: datetime = datetime(2026, 11, 8, 8, 0, tzinfo=UTC)) -> bytes:
    """Three weeks of audited decisions: spam-pt's labelers allow what QA removes far more often than
    the other queues with the same labels do (a standout), every other error pair alike."""
    rng = random.Random(seed)
    rows = [
        "item_id,queue,vendor,site,labeler_id,enqueued_at,completed_at,handle_seconds,decision,qa_decision"
    ]
    sites = {
        "hate-en": ("northwind", "lisbon"),
        "spam-pt": ("northwind", "manila"),
        "graphic-img": ("bluebird", "nairobi"),
    }
    labels = ["allow", "age_restrict", "remove", "escalate"]
    number = 0
    for queue, (vendor, site) in sites.items():
        for i in range(900):
            number += 1
            done = start + timedelta(minutes=33 * i)
            qa = rng.choice(labels)
            wrong = rng.random() < (0.25 if queue == "spam-pt" and qa == "remove" else 0.04)
            decision = "allow" if wrong and qa != "allow" else ("remove" if wrong else qa)
            rows.append(
                f"IT-{number},{queue},{vendor},{site},LB-{queue[:4]}-{i % 9},"
                f"{(done - timedelta(minutes=20)).isoformat()},{done.isoformat()},40,{decision},{qa}"
            )
    return ("\n".join(rows) + "\n").encode()


async def seeded(url: str, workspace, now: datetime = NOW) -> None:  # noqa: ANN001
    """The audits of decisions_csv, the policy library and the spam quiz; the audits end the day
    before `now` (a test on the real clock passes it)."""
    db = Database(url)
    await upgrade(db)
    start = datetime(2026, 11, 8, 8, 0, tzinfo=UTC) + (now - NOW)
    report = await ingest_decisions(db, workspace, decisions_csv(start=start), "audits.csv", now=now)
    assert report.stored > 0, report
    await load_dir(db, ROOT / "examples" / "policies", NOW)
    bank = ROOT / "examples" / "quiz" / "spam-basics.yml"
    await quiz_store.import_bank(db, parse_bank(bank.name, bank.read_bytes(), topic=None), NOW)
    await db.dispose()


async def audited(url: str, queue: str | None = None, since: datetime | None = None) -> tuple[int, int]:
    """(audited, agreed) in the report's period, counted from the stored rows."""
    db = Database(url)
    start = int((since or datetime(2026, 11, 2, tzinfo=UTC)).timestamp() * 1e6)
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(Decision.queue, Decision.decision, Decision.qa_decision, Decision.completed_us)
            )
        ).all()
    await db.dispose()
    kept = [
        r
        for r in rows
        if r.qa_decision is not None and r.completed_us >= start and (queue is None or r.queue == queue)
    ]
    return len(kept), sum(r.decision == r.qa_decision for r in kept)


async def report_of(slack, bot, user: str, text: str) -> list:  # noqa: ANN001
    """`/quality TEXT` by `user`: the report in their DM (a list of one), its files sent too."""
    await slack.command("/quality", text, user=user, channel=QA_OPS)
    found = await eventually(lambda: [m for m in dm_of(slack, user) if "Quality" in texts(m.blocks)], 20)
    await settled(bot)
    return found


def dm_of(slack, user: str) -> list:  # noqa: ANN001
    return [m for m in slack.fake.messages_in(slack.fake.dm_channel(user)) if m.blocks]


async def test_the_report_with_its_files_and_a_recommendation(workspace, database_url) -> None:
    await seeded(database_url, workspace)
    total, agreed = await audited(database_url)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        reply = await slack.command("/quality", "", user=QUINN, channel=QA_OPS)
        assert "on its way" in texts(reply.json()["blocks"])
        report = await eventually(
            lambda: [m for m in dm_of(slack, QUINN) if "Quality" in texts(m.blocks)], 20
        )
        await settled(bot)
        shown = texts(report[0].blocks)
        assert f"{agreed / total:.1%}" in shown and f"of {total:,} audited" in shown, shown
        assert "What to do next" in shown and "spam" in shown.lower()
        assert "labeler *allow* where QA said *remove*" in shown
        # QA sees the reference's figure, even when it is one other vendor's (bluebird's graphic-img).
        assert re.search(r"against \d+\.\d% on the other queues with the same labels", shown), shown
        names = {f.name for f in slack.fake.state.files.values()}
        assert any(n.endswith("-trend.png") for n in names) and any(
            n.endswith("-confusion.png") for n in names
        )
        table = next(f for f in slack.fake.state.files.values() if f.name.endswith("-errors.csv"))
        rows = list(csv.DictReader(io.StringIO(table.data.decode())))
        assert rows and len(rows) == total - agreed
        buttons = {
            e["action_id"]: e for b in report[0].blocks if b["type"] == "actions" for e in b["elements"]
        }
        assert views.CALIBRATE in buttons
        refresher = buttons.get(views.REFRESHER)
        assert refresher is not None and refresher["value"].startswith("spam-basics|northwind")
        await slack.action(
            views.REFRESHER, refresher["value"], user=QUINN, channel=slack.fake.dm_channel(QUINN)
        )
        await settled(bot)
        said = [texts(c.args.get("blocks")) for c in slack.fake.calls_to("response_url")]
        assert any("spam" in s.lower() for s in said), said


async def test_vendor_leads_read_their_own_vendor_only(workspace, database_url) -> None:
    await seeded(database_url, workspace)
    total, agreed = await audited(database_url, "graphic-img")
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        refused = await slack.command("/quality", "graphic-img", user=NICO, channel=QA_OPS)
        assert "own vendor" in texts(refused.json()["blocks"])
        labeler = await slack.command("/quality", "", user=KAI, channel=QA_OPS)
        assert "⛔" in texts(labeler.json()["blocks"])
        bad = await slack.command("/quality", "nowhere", user=QUINN, channel=QA_OPS)
        assert "not a queue, vendor or site" in texts(bad.json()["blocks"])
        await slack.command("/quality", "", user=NICO, channel=QA_OPS)
        mine = await eventually(lambda: [m for m in dm_of(slack, NICO) if "Quality" in texts(m.blocks)], 20)
        assert "Northwind Review Services" in texts(mine[0].blocks)
        assert "graphic" not in texts(mine[0].blocks).lower()
        # The reference pools bluebird alone (northwind's own hate-en is not in it): its rate would be
        # bluebird's own, so the lead reads the standout without it.
        lead = texts(mine[0].blocks)
        assert "labeler *allow* where QA said *remove*" in lead, lead
        assert "stands out against the other vendors' queues with the same labels" in lead, lead
        assert "on the other queues with the same labels" not in lead
        await settled(bot)


async def test_a_period_beyond_the_kept_decisions_starts_on_the_first_kept_day(
    workspace, database_url
) -> None:
    """Raw decisions are kept 35 days: `since 2026-08-01` reports from 26 Oct (30 Nov − 35 days) and
    says so, instead of 35 days under a heading that says 1 Aug."""
    await seeded(database_url, workspace)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        report = await report_of(slack, bot, QUINN, "since 2026-08-01")
    shown = texts(report[0].blocks)
    assert "26 Oct – 29 Nov 2026" in shown and "01 Aug" not in shown, shown
    assert "Raw decisions are kept 35 days: the report starts on 2026-10-26 (asked from 2026-08-01)" in shown


async def test_calibrate_on_a_recommendations_items(workspace, database_url) -> None:
    """The recommendation's button opens the session form with its queue, a title and items to pick
    from the audits; the session made from it rates mostly that error pair's items, QA's label as
    the reference, and its results go to the vendor's channel."""
    from handlers.calibration import views as calibration_views
    from storage.models import CalibrationItem, CalibrationSession
    from tests.e2e.calibration_flow import form_values
    from tests.e2e.escalate_flow import opened_view, submit

    await seeded(database_url, workspace)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        report = await report_of(slack, bot, QUINN, "spam-pt")
        buttons = {
            e["action_id"]: e for b in report[0].blocks if b["type"] == "actions" for e in b["elements"]
        }
        before = len(slack.fake.calls_to("views.open"))
        dm = slack.fake.dm_channel(QUINN)
        await slack.action(views.CALIBRATE, buttons[views.CALIBRATE]["value"], user=KAI, channel=dm)
        await settled(bot)
        assert len(slack.fake.calls_to("views.open")) == before  # a labeler cannot
        await slack.action(views.CALIBRATE, buttons[views.CALIBRATE]["value"], user=QUINN, channel=dm)
        view = await opened_view(slack, before)
        fields = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
        assert fields["queue"]["initial_option"]["value"] == "spam-pt"
        assert fields["source"]["initial_option"]["value"] == calibration_views.SOURCE_AUDITS
        title = fields["title"]["initial_value"]
        assert title == "Spam PT calibration (quality report 2026-11-30)", title  # no hint of the pair
        values = form_values(title=title, queue="spam-pt", participants=f"{NICO} {KAI}",
                             due="2026-12-02 15:00", source=calibration_views.SOURCE_AUDITS, items="",
                             count="9", days="35")  # fmt: skip
        assert await submit(slack, view, QUINN, values) == {}
        await settled(bot)
    db = Database(database_url)
    async with db.transaction() as session:
        [made] = (await session.scalars(select(CalibrationSession))).all()
        items = (await session.scalars(select(CalibrationItem))).all()
    await db.dispose()
    assert made.queue == "spam-pt" and made.channel == "C0NWIND01"  # Northwind's channel
    assert len(items) == 9 and sum(i.reference == "remove" for i in items) >= 6


async def test_auditors_who_disagree_are_sent_to_the_policy_owner(workspace, database_url) -> None:
    """The QA team (an admin and a trainer) rated spam-pt's items in a session and split on every one:
    the recommendation says so and offers to ask the policy's owners, asked once however often."""
    from handlers.calibration import views as calibration_views
    from tests.e2e.calibration_flow import TARA, click, create, dms_of, vote_all

    await seeded(database_url, workspace)
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        made = await create(
            slack, bot, queue="spam-pt", participants=f"{QUINN} {TARA}", due="2026-12-02 15:00"
        )
        assert made == {}
        await vote_all(slack, bot, {QUINN: ["remove", "allow", "allow"], TARA: ["allow", "remove", "remove"]})
        panel = next(m for m in dms_of(slack, QUINN) if "Reveal now" in texts(m.blocks))
        await click(slack, QUINN, panel, calibration_views.REVEAL)
        await settled(bot)
        report = await report_of(slack, bot, QUINN, "spam-pt")
        assert "QA auditors disagree among themselves" in texts(report[0].blocks)
        buttons = {
            e["action_id"]: e for b in report[0].blocks if b["type"] == "actions" for e in b["elements"]
        }
        ask = buttons[views.ASK_OWNER]
        dm = slack.fake.dm_channel(QUINN)
        await slack.action(views.ASK_OWNER, ask["value"], user=KAI, channel=dm)
        for _ in range(2):
            await slack.action(views.ASK_OWNER, ask["value"], user=QUINN, channel=dm)
        await settled(bot)
        asked = [m for m in slack.fake.messages_in("C0POLOWN1") if "disagree among themselves" in m.text]
        assert len(asked) == 1 and "spam-pt" in asked[0].text
