"""Appeals end to end on Slack (signed HTTP against the real Bolt app, the Slack fake, a real database):
a labeler lists their audited disagreements, appeals one, a late appeal is refused with the date, the
auditor is refused as reviewer, another reviewer overturns it, the labeler is told once, and the digest's
quality for that day changes by exactly that verdict and says so."""

from __future__ import annotations

from typing import Any

from handlers.appeals import store
from handlers.appeals.store import Ruling
from handlers.digest.service import digest_for_day
from storage import claims
from storage.models.appeals import Appeal
from tests.e2e.appeals_flow import (
    DAY,
    LABELER,
    QUINN,
    REVIEWS,
    TARA,
    ap001_appealed,
    appeal_values,
    decisions_csv,
    on_roster,
    with_appeals,
)
from tests.e2e.escalate_flow import (
    Clock,
    buttons,
    choice,
    dms,
    opened_view,
    posts,
    run_timers,
    submit,
    text_value,
    thread,
)
from tests.e2e.harness import EXAMPLE_NOW, SlackSide, eventually, running_bot, texts
from tests.e2e.test_ingest_uploads import thread_reply, upload


async def said(slack: SlackSide, command: str, text: str, user: str) -> dict[str, Any]:
    """A slash command's private answer (the ack, or its response URL): the Block Kit JSON."""
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command(command, text, user=user)
    assert reply.status == 200
    if reply.text and (reply.json() or {}).get("blocks"):
        return reply.json()
    answered = await eventually(lambda: slack.fake.calls_to("response_url")[before:], 10)
    assert answered, f"no answer to {command} {text}"
    return answered[-1].args


async def pressed(slack: SlackSide, action: str, value: str, user: str, channel: str = "C0QAOPS01") -> str:
    """A button pressed; the private answer's text, or "" when the bot opened a form instead. Waits for
    whichever comes first, so a slow answer is neither missed nor left to land in the next press."""
    before = len(slack.fake.state.calls)
    reply = await slack.action(action, value, user=user, channel=channel)
    assert reply.status == 200
    came = await eventually(
        lambda: [c for c in slack.fake.state.calls[before:] if c.method in ("response_url", "views.open")], 10
    )
    assert came, f"neither an answer nor a form for {action} by {user}"
    return texts(came[0].args.get("blocks")) if came[0].method == "response_url" else ""


async def quality_of(bot: Any, workspace: Any) -> dict[str, Any]:
    digest = await digest_for_day(bot.db, workspace, DAY, queues=["hate-en"])
    return {"queue": digest["queues"][0], "overturned": digest["overturned"]}


async def test_an_appeal_filed_refused_when_late_reviewed_by_another_and_overturned(
    workspace, loaded_url
) -> None:
    ws = with_appeals(workspace)
    clock = Clock(EXAMPLE_NOW)
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack):
        await on_roster(bot.db, LABELER)
        ts = await upload(slack, QUINN, "audits.csv", decisions_csv())
        loaded = await thread_reply(slack, ts)
        assert "3 rows" in loaded, loaded
        before = await quality_of(bot, ws)
        assert before["overturned"] == 0

        # the labeler's own audited disagreements: two, each with an Appeal button
        mine = await said(slack, "/quality", "mine", LABELER)
        text = texts(mine["blocks"])
        assert "`ap-001` on Hate speech EN" in text and "you: *remove* · QA: *allow*" in text
        assert "ap-002" in text and "ap-003" not in text  # QA agreed with ap-003: nothing to appeal
        values = appeal_values(mine["blocks"])
        assert len(values) == 2
        first = next(v for v in values if v.endswith("|ap-001"))
        second = next(v for v in values if v.endswith("|ap-002"))

        # someone else cannot appeal the labeler's decision, even holding the button's value
        refused = await pressed(slack, "appeal.open", first, "U0LABEL02")
        assert "You can appeal audits of your own decisions only" in refused

        # the labeler appeals ap-001: a form, submitted twice (a double click), filed once
        opened = len(slack.fake.calls_to("views.open"))
        assert await pressed(slack, "appeal.open", first, LABELER) == ""
        view = await opened_view(slack, opened)
        values_in = {"reason": text_value("Policy 4.2 allows removal here."), "section": text_value("4.2")}
        assert await submit(slack, view, LABELER, values_in) == {}
        assert await submit(slack, view, LABELER, values_in) == {}
        await run_timers(bot)
        roots = posts(slack, REVIEWS)
        assert len(roots) == 1
        root = roots[0]
        assert "Appeal #1" in texts(root.blocks) and "qa-01" in texts(root.blocks)
        filed = [m for m in dms(slack, LABELER) if "is filed" in (m.text or "")]
        assert len(filed) == 1

        # eight days later the second audit is past its window: refused, with the date
        clock.advance(days=8)
        late = await pressed(slack, "appeal.open", second, LABELER)
        assert "closed at the end of 2026-12-01 (the audit was on 2026-11-24)" in late

        # the auditor (qa-01 is Quinn) may not review; Tara overturns
        refused = await pressed(slack, "appeal.overturn", "1", QUINN, REVIEWS)
        assert "You audited this decision (qa-01)" in refused
        assert await pressed(slack, "appeal.overturn", "1", LABELER, REVIEWS) != ""  # not a reviewer
        opened = len(slack.fake.calls_to("views.open"))
        assert await pressed(slack, "appeal.overturn", "1", TARA, REVIEWS) == ""
        view = await opened_view(slack, opened)
        note = {
            "note": text_value("Section 4.2 covers this: the removal was right."),
            **choice("label", "remove"),
        }
        assert await submit(slack, view, TARA, note) == {}
        assert await submit(slack, view, TARA, note) == {}  # the same submit again: nothing more
        await run_timers(bot)

        async with bot.db.transaction() as session:
            appeal = await session.get(Appeal, 1)
        assert appeal.status == "overturned" and appeal.reviewer == TARA and appeal.final_label == "remove"
        updated = next(m for m in slack.fake.messages_in(REVIEWS) if m.ts == root.ts)
        assert "*Overturned* by" in texts(updated.blocks) and buttons(updated.blocks) == {}
        told = [m for m in dms(slack, LABELER) if "overturned" in (m.text or "")]
        assert len(told) == 1
        assert len([m for m in thread(slack, REVIEWS, root) if "Overturned" in (m.text or "")]) == 1

        # the digest's quality moves by exactly that verdict, and says so
        after = await quality_of(bot, ws)
        was, now = before["queue"], after["queue"]
        assert now["audited"] == was["audited"]
        assert now["output"] == was["output"]
        assert (
            round(now["quality_score"] * now["audited"]) == round(was["quality_score"] * was["audited"]) + 1
        )
        assert after["overturned"] == 1
        digest = await said(slack, "/digest", f"hate-en {DAY.isoformat()}", QUINN)
        assert "Quality counts 1 QA verdict overturned on appeal." in texts(digest.get("blocks"))
        assert await claims.state(bot.db, "appeal-told:1") is not None


async def test_the_report_in_chat_for_leads_and_each_vendor_lead_alone(workspace, loaded_url) -> None:
    ws = with_appeals(workspace)
    clock = Clock(EXAMPLE_NOW)
    async with running_bot(ws, loaded_url, clock=clock) as (bot, slack):
        await ap001_appealed(bot, slack, ws, clock())
        clock.advance(hours=6)
        await store.decide(bot.db, 1, Ruling("overturned", TARA, "4.2 covers it."), clock())

        lead = texts((await said(slack, "/appeals", "report since 2026-11-20", QUINN))["blocks"])
        assert "Appeals · 20 Nov – 24 Nov 2026" in lead
        assert "*Hate speech EN*: 1 appeal of" in lead and "1 decided, overturned 100.0%" in lead
        assert "median 6.0 h to decide" in lead
        assert "Quinn Lead (qa-01)" in lead  # the auditor by name, never a mention
        bluebird = texts((await said(slack, "/appeals", "report since 2026-11-20", "U0BBLEAD1"))["blocks"])
        assert "Bluebird Moderation" in bluebird
        assert "Northwind" not in bluebird and "Hate speech EN" not in bluebird
        # auditors audit every vendor: here qa-01's figures count Bluebird's decisions only (no appeal)
        assert "(qa-01)*: 0 appeals of" in bluebird
        refused = texts((await said(slack, "/appeals", "report", LABELER)).get("blocks"))
        assert "appeals report" in refused and "1 appeal of" not in refused
        wrong = texts((await said(slack, "/appeals", "report since 2026-13-01", QUINN)).get("blocks"))
        assert "“2026-13-01” is not a day like 2026-11-01." in wrong
