"""The digest over real signed HTTP: scheduled posts exactly once with a chart, /digest on demand,
/digest post with roles, Breakdown once, the request form, and CSVs uploaded into an ingest channel."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime

from bot.local.state import File
from handlers.queue_data.generate import generate_decisions
from tests.e2e.harness import eventually, running_bot, settled, texts
from tests.fakes import signing

# 10:15 in Dublin on 24 Nov 2026: every example digest (08:00-09:00 local) is due for the 23rd.
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
YESTERDAY = date(2026, 11, 23)


def clock() -> datetime:
    return NOW


def digest_posts(fake) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if "Queue digest" in (c.args.get("text") or "")]


async def test_due_digests_post_once_with_chart_even_across_restarts(workspace, loaded_url) -> None:
    async with running_bot(workspace, loaded_url, clock=clock) as (bot, slack):
        posts = await eventually(lambda: len(digest_posts(slack.fake)) == 3 and digest_posts(slack.fake), 20)
        assert sorted(p.args["channel"] for p in posts) == ["C0BLUEB01", "C0DIGEST1", "C0NWIND01"]
        uploads = await eventually(lambda: len(slack.fake.calls_to("files.completeUploadExternal")) == 3, 20)
        assert uploads
        files = list(slack.fake.state.files.values())
        assert all(f.data and f.data[:8] == b"\x89PNG\r\n\x1a\n" for f in files)
        main = next(p for p in posts if p.args["channel"] == "C0DIGEST1")
        thread = slack.fake.messages_in("C0DIGEST1", thread_ts=main.response["ts"])
        assert any(m.files for m in thread[1:])  # the chart sits in the digest's thread
        blocks = texts(main.json("blocks"))
        assert "Queue digest · all queues · 2026-11-23" in blocks and "Hate speech EN" in blocks
        # the job firing again (a retry, a second replica) posts nothing more
        from handlers.digest.posting import post_due

        await asyncio.gather(*(post_due(bot.services, workspace.digests[0]) for _ in range(3)))
        assert len(digest_posts(slack.fake)) == 3
        fake = slack.fake
    async with running_bot(workspace, loaded_url, clock=clock, fake=fake) as (bot, slack):
        await settled(bot)  # the start-up catch-up has run: a second post would be here
        assert len(digest_posts(slack.fake)) == 3


async def test_digest_command_answers_only_the_asker(workspace, loaded_url) -> None:
    trainer = "U0TRAINER1"
    async with running_bot(workspace, loaded_url, clock=clock) as (_bot, slack):
        body = (await slack.command("/digest", "hate-en 2026-11-20", user=trainer)).json()
        assert body["response_type"] == "ephemeral"
        assert "Queue digest · hate-en · 2026-11-20" in texts(body["blocks"])
        assert "Spam PT" not in texts(body["blocks"])
        bad = (await slack.command("/digest", "nonsense-queue", user=trainer)).json()
        assert "`nonsense-queue` is neither a queue or vendor" in texts(bad["blocks"])
        future = (await slack.command("/digest", "2027-01-01", user=trainer)).json()
        assert "is in the future" in texts(future["blocks"])
        empty = (await slack.command("/digest", "2025-01-01", user=trainer)).json()
        assert "No queue data for all queues on 2025-01-01" in texts(empty["blocks"])


async def test_vendors_see_their_own_figures_only(workspace, loaded_url) -> None:
    async with running_bot(workspace, loaded_url, clock=clock) as (_bot, slack):
        labeler = (await slack.command("/digest", "", user="U0LABEL01")).json()
        assert "Only admins (QA leads), trainers and vendor leads may run `/digest`" in texts(
            labeler["blocks"]
        )
        own = (await slack.command("/digest", "", user="U0BBLEAD1")).json()
        assert "Queue digest · bluebird" in texts(own["blocks"]) and "Graphic imagery" in texts(own["blocks"])
        assert "Hate speech EN" not in texts(own["blocks"])
        other = (await slack.command("/digest", "northwind", user="U0BBLEAD1")).json()
        assert "You lead bluebird: you can see and post its queues only" in texts(other["blocks"])


async def test_digest_post_respects_roles(workspace, loaded_url) -> None:
    async with running_bot(workspace, loaded_url, clock=clock) as (_bot, slack):
        await eventually(lambda: len(digest_posts(slack.fake)) == 3, 20)
        before = len(digest_posts(slack.fake))
        refused = (await slack.command("/digest", "post", user="U0LABEL01")).json()
        assert "Only admins (QA leads) and vendor leads may run `/digest post`" in texts(refused["blocks"])
        other = (
            await slack.command("/digest", "post graphic-img", user="U0NWLEAD1", channel="C0NWIND01")
        ).json()
        assert "You lead northwind" in texts(other["blocks"])
        own = (
            await slack.command("/digest", "post 2026-11-22", user="U0NWLEAD1", channel="C0NWIND01")
        ).json()
        assert "Posted the digest for northwind on 2026-11-22" in texts(own["blocks"])
        posts = await eventually(
            lambda: len(digest_posts(slack.fake)) == before + 1 and digest_posts(slack.fake)
        )
        assert posts[-1].args["channel"] == "C0NWIND01" and "Graphic imagery" not in texts(
            posts[-1].json("blocks")
        )


async def test_breakdown_replies_in_thread_once(workspace, loaded_url) -> None:
    async with running_bot(workspace, loaded_url, clock=clock) as (bot, slack):
        posts = await eventually(lambda: len(digest_posts(slack.fake)) == 3 and digest_posts(slack.fake), 20)
        main = next(p for p in posts if p.args["channel"] == "C0DIGEST1")
        button = next(e for b in main.json("blocks") if b["type"] == "actions" for e in b["elements"])
        ts = main.response["ts"]
        for action_ts in ("1764000000.000001", "1764000000.400002"):  # a double click: two action_ts
            reply = await slack.action(
                button["action_id"], button["value"], user="U0QALEAD1", channel="C0DIGEST1",
                message_ts=ts, action_ts=action_ts,
            )  # fmt: skip
            assert reply.status == 200
        await settled(bot)  # both clicks' work is done: a second reply would be here
        replies = [
            m for m in slack.fake.messages_in("C0DIGEST1", thread_ts=ts) if "Breakdown" in (m.text or "")
        ]
        assert len(replies) == 1
        assert "Northwind Review Services" in texts(replies[0].blocks) and "nairobi" in texts(
            replies[0].blocks
        )
        note = slack.fake.ephemeral_for("U0QALEAD1")
        assert len(note) == 1
        assert "The breakdown is already" in note[-1].text and "this digest's thread" in note[-1].text


async def test_request_form_validates_then_answers_by_dm(workspace, loaded_url) -> None:
    async with running_bot(workspace, loaded_url, clock=clock) as (_bot, slack):
        await slack.event({"type": "app_home_opened", "user": "U0QALEAD1", "tab": "home"}, "EvHome1")
        home = await eventually(lambda: slack.fake.calls_to("views.publish"))
        assert "Latest queue data: *2026-11-23*" in texts(home[0].json("view")["blocks"])
        await slack.action("digest:open-request", user="U0QALEAD1", channel=None)
        opened = await eventually(lambda: slack.fake.calls_to("views.open"))
        view = opened[0].json("view")
        assert view["callback_id"] == "digest:request"

        def submit(day: str) -> bytes:
            values = {
                "queue": {"value": {"type": "static_select", "selected_option": {"value": "spam-pt"}}},
                "day": {"value": {"type": "plain_text_input", "value": day}},
            }
            view_payload = {**view, "id": "V1", "state": {"values": values}}
            return signing.view_submission_body("U0QALEAD1", view_payload)

        invalid = await slack.post("view_submission", submit("23/11/2026"))
        assert invalid.status == 200
        assert json.loads(invalid.text) == {
            "response_action": "errors",
            "errors": {"day": "“23/11/2026” is not a date: use YYYY-MM-DD, e.g. 2026-11-23"},
        }
        valid = await slack.post("view_submission", submit("2026-11-21"))
        assert valid.status == 200 and valid.text == ""
        dm = slack.fake.dm_channel("U0QALEAD1")
        answer = await eventually(
            lambda: [m for m in slack.fake.messages_in(dm) if "spam-pt" in (m.text or "")]
        )
        assert "2026-11-21" in answer[0].text


async def test_csv_uploaded_into_ingest_channel_is_stored_and_answered_in_thread(
    workspace, database_url
) -> None:
    frame = generate_decisions(workspace, date(2026, 11, 20), 2, seed=5, scale=0.1)
    good = frame.to_csv(index=False).encode()
    bad = frame.drop(columns="handle_seconds").to_csv(index=False).encode()
    async with running_bot(workspace, database_url, clock=clock) as (_bot, slack):
        for event_id, name, data in (("EvF1", "monday.csv", good), ("EvF2", "broken.csv", bad)):
            file = File(
                slack.fake.state.new_id("F"), name, name, data=data, length=len(data), user="U0QALEAD1"
            )
            slack.fake.state.files[file.id] = file
            message = slack.fake.state.post(
                "C0QAOPS01", "U0QALEAD1", NOW.timestamp(), text="", files=[file.id]
            )
            file.channel = "C0QAOPS01"
            event = {
                "type": "file_shared",
                "channel_id": "C0QAOPS01",
                "file_id": file.id,
                "user_id": "U0QALEAD1",
                "file": {"id": file.id},
                "event_ts": message.ts,
            }
            await slack.event(event, event_id)
            await slack.event(event, event_id, retry=1)  # Slack's retry must not ingest twice
            replies = await eventually(
                lambda ts=message.ts: slack.fake.messages_in("C0QAOPS01", thread_ts=ts)[1:], 10
            )
            assert len(replies) == 1
            if name == "monday.csv":
                assert f"stored {len(frame):,} new decisions" in replies[0].text
            else:
                assert "refused, nothing stored" in replies[0].text and "'handle_seconds'" in replies[0].text
