"""Who may see and change what, over real signed HTTP: escaping of data, private answers to
mentions, scoped buttons and forms, and the request path's refusals."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from bot.workspace import Workspace
from handlers.queue_data.generate import generate_decisions
from handlers.queue_data.ingest import ingest_decisions
from storage.engine import Database
from storage.migrate import upgrade
from tests.e2e.harness import eventually, quiet, running_bot, settled, texts
from tests.fakes import signing

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
DAY = date(2026, 11, 23)
PING = "<!channel>"
PHISH = "<https://x.example|Re-verify your login>"


def clock() -> datetime:
    return NOW


def hostile_workspace(workspace: Workspace) -> Workspace:
    """A workspace whose labels were written by someone careless (or worse), and no scheduled posts."""
    queues = [
        q.model_copy(update={"name": f"{PING} Hate"}) if q.id == "hate-en" else q for q in workspace.queues
    ]
    vendors = [v.model_copy(update={"name": PHISH}) if v.id == "northwind" else v for v in workspace.vendors]
    return workspace.model_copy(update={"queues": queues, "vendors": vendors, "digests": []})


async def load_hostile_csv(database_url: str, workspace: Workspace) -> None:
    """Decisions whose labeler and QA labels came from a CSV carrying a ping and a phishing link."""
    frame = generate_decisions(workspace, date(2026, 11, 20), 4, seed=7, scale=0.2)
    audited = frame["qa_decision"].notna()
    frame.loc[audited, "decision"] = PING
    frame.loc[audited, "qa_decision"] = PHISH
    db = Database(database_url)
    await upgrade(db)
    await ingest_decisions(db, workspace, frame.to_csv(index=False).encode(), "hostile.csv", now=NOW)
    await db.dispose()


def assert_inert(text: str) -> None:
    assert "&lt;!channel&gt;" in text
    assert PING not in text and "<https://" not in text


async def test_labels_from_files_and_the_workspace_reach_slack_as_text(workspace, database_url) -> None:
    ws = hostile_workspace(workspace)
    await load_hostile_csv(database_url, ws)
    async with running_bot(ws, database_url, clock=clock) as (_bot, slack):
        reply = await slack.command("/digest", f"post {DAY}", user="U0QALEAD1", channel="C0DIGEST1")
        assert reply.status == 200
        posts = await eventually(lambda: slack.fake.calls_to("chat.postMessage"))
        blocks = texts(posts[0].json("blocks"))
        assert_inert(blocks)
        assert "&lt;https://x.example|Re-verify your login&gt;" in blocks  # the QA label, shown as text
        assert "<" not in posts[0].args["text"]  # the notification fallback (escaping: unit tests)
        button = next(e for b in posts[0].json("blocks") if b["type"] == "actions" for e in b["elements"])
        await slack.action(
            button["action_id"], button["value"], user="U0QALEAD1", channel="C0DIGEST1",
            message_ts=posts[0].response["ts"],
        )  # fmt: skip
        breakdown = await eventually(
            lambda: [c for c in slack.fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]
        )
        shown = texts(breakdown[0].json("blocks"))
        assert "&lt;https://x.example|Re-verify your login&gt;" in shown and "<https://" not in shown


@pytest.fixture
async def loaded_url(workspace, database_url) -> str:
    """Four days of decisions; Bluebird's stop two days before Northwind's, so a hint about the
    latest day with data would tell a Bluebird lead about their competitor."""
    frame = generate_decisions(workspace, date(2026, 11, 20), 4, seed=11, scale=0.2)
    frame = frame[(frame["queue"] != "graphic-img") | (frame["completed_at"] < "2026-11-22")]
    db = Database(database_url)
    await upgrade(db)
    await ingest_decisions(db, workspace, frame.to_csv(index=False).encode(), "four-days.csv", now=NOW)
    await db.dispose()
    return database_url


def mention(slack, text: str, *, user: str, channel: str) -> dict:
    message = slack.fake.add_message(channel, user, text)
    return {"type": "app_mention", "user": user, "text": text, "channel": channel, "ts": message.ts}


def posts_in(slack, channel: str) -> list:
    return [c for c in slack.fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]


async def test_a_mention_answers_privately_and_posts_only_as_digest_post_may(workspace, loaded_url) -> None:
    async with running_bot(quiet(workspace), loaded_url, clock=clock) as (_bot, slack):
        asked = mention(slack, "<@UBOT0001> digest", user="U0TRAINER1", channel="C0NWIND01")
        await slack.event(asked, "EvPriv1")
        answer = await eventually(lambda: slack.fake.calls_to("chat.postEphemeral"))
        assert answer[0].args["user"] == "U0TRAINER1" and answer[0].args["thread_ts"] == asked["ts"]
        assert "Graphic imagery" in texts(answer[0].json("blocks"))  # a trainer sees every vendor, alone
        post = mention(slack, "<@UBOT0001> digest post", user="U0TRAINER1", channel="C0NWIND01")
        await slack.event(post, "EvPriv2")
        refused = await eventually(lambda: slack.fake.calls_to("chat.postEphemeral")[1:])
        assert "may run `/digest post`" in texts(refused[0].json("blocks"))
        own = mention(slack, "<@UBOT0001> digest post 2026-11-23", user="U0NWLEAD1", channel="C0NWIND01")
        await slack.event(own, "EvPriv3")
        posted = await eventually(lambda: posts_in(slack, "C0NWIND01"))
        assert "Hate speech EN" in texts(posted[0].json("blocks"))
        assert "Graphic imagery" not in texts(posted[0].json("blocks"))
        await asyncio.sleep(0.2)
        assert len(posts_in(slack, "C0NWIND01")) == 1  # the trainer's two mentions posted nothing


async def test_a_trainer_who_also_leads_a_vendor_posts_only_that_vendors_figures(
    workspace, loaded_url
) -> None:
    both = quiet(workspace).model_copy(update={"trainers": ["U0TRAINER1", "U0NWLEAD1"]})
    async with running_bot(both, loaded_url, clock=clock) as (_bot, slack):
        seen = (await slack.command("/digest", "2026-11-23", user="U0NWLEAD1", channel="C0BLUEB01")).json()
        assert "Graphic imagery" in texts(seen["blocks"])  # as a trainer they see every vendor, alone
        await slack.command("/digest", "post 2026-11-23", user="U0NWLEAD1", channel="C0BLUEB01")
        posted = await eventually(lambda: posts_in(slack, "C0BLUEB01"))
        assert "Hate speech EN" in texts(posted[0].json("blocks"))
        assert "Graphic imagery" not in texts(posted[0].json("blocks"))  # never a competitor's figures
        ts, value = await _digest_with_button(slack)
        await slack.action("digest:breakdown", value, user="U0NWLEAD1", channel="C0DIGEST1", message_ts=ts)
        await eventually(lambda: slack.fake.ephemeral_for("U0NWLEAD1"))
        assert breakdowns(slack, ts) == []  # the all-vendor breakdown goes to them only, not the thread


def breakdowns(slack, ts: str) -> list:
    return [m for m in slack.fake.messages_in("C0DIGEST1", thread_ts=ts) if "Breakdown" in (m.text or "")]


async def _digest_with_button(slack) -> tuple[str, str]:
    """An admin's all-queue digest in #queue-digest: its ts and its Breakdown button's value."""
    await slack.command("/digest", "post 2026-11-23", user="U0QALEAD1", channel="C0DIGEST1")
    post = (await eventually(lambda: posts_in(slack, "C0DIGEST1")))[0]
    button = next(e for b in post.json("blocks") if b["type"] == "actions" for e in b["elements"])
    return post.response["ts"], button["value"]


async def test_breakdown_values_are_checked_against_the_clicker(workspace, loaded_url) -> None:
    async with running_bot(quiet(workspace), loaded_url, clock=clock) as (_bot, slack):
        ts, value = await _digest_with_button(slack)
        assert value == "2026-11-23|Europe/Dublin|*"

        async def click(user: str, forged: str | None = None) -> str:
            before = len(slack.fake.ephemeral_for(user))
            await slack.action(
                "digest:breakdown", forged or value, user=user, channel="C0DIGEST1", message_ts=ts
            )
            answers = await eventually(lambda: slack.fake.ephemeral_for(user)[before:])
            return "\n".join(texts(m.blocks) + "\n" + (m.text or "") for m in answers)

        lead = await click("U0BBLEAD1")  # all queues asked, Bluebird's given, privately
        assert "Bluebird Moderation" in lead and "Northwind" not in lead and "lisbon" not in lead
        assert "Only admins (QA leads), trainers and vendor leads" in await click("U0LABEL01")
        assert "You lead bluebird" in await click("U0BBLEAD1", "2026-11-23|Europe/Dublin|hate-en")
        assert "I know no queue nosuch" in await click("U0QALEAD1", "2026-11-23|Europe/Dublin|nosuch")
        assert "no figures in the timezone" in await click("U0QALEAD1", "2026-11-23|America/Lima|*")
        assert "before 2000-01-01" in await click("U0QALEAD1", "0001-01-01|Europe/Dublin|*")
        assert "not one of mine" in await click("U0QALEAD1", "garbage")
        thread = [
            m for m in slack.fake.messages_in("C0DIGEST1", thread_ts=ts) if "Breakdown" in (m.text or "")
        ]
        assert thread == []  # nobody above could post it into the channel
        await slack.action("digest:breakdown", value, user="U0QALEAD1", channel="C0DIGEST1", message_ts=ts)
        posted = await eventually(
            lambda: [
                m for m in slack.fake.messages_in("C0DIGEST1", thread_ts=ts) if "Breakdown" in (m.text or "")
            ]
        )
        assert "Northwind Review Services" in texts(posted[0].blocks)


def _form_submission(user: str, queue: str, day: str) -> bytes:
    values = {
        "queue": {"value": {"type": "static_select", "selected_option": {"value": queue}}},
        "day": {"value": {"type": "plain_text_input", "value": day}},
    }
    view = {"id": "V1", "type": "modal", "callback_id": "digest:request", "state": {"values": values}}
    return signing.view_submission_body(user, view)


async def test_request_form_and_hints_keep_to_the_askers_vendor(workspace, loaded_url) -> None:
    async with running_bot(quiet(workspace), loaded_url, clock=clock) as (_bot, slack):
        await slack.action("digest:open-request", user="U0BBLEAD1", channel=None)
        form = (await eventually(lambda: slack.fake.calls_to("views.open")))[0].json("view")
        options = texts(form["blocks"])
        assert "Graphic imagery" in options and "Hate speech EN" not in options
        for user, queue, field in (
            ("U0BBLEAD1", "hate-en", "You lead bluebird"),
            ("U0BBLEAD1", "nosuch", "I know no queue nosuch"),
            ("U0LABEL01", "*", "Only admins (QA leads), trainers and vendor leads"),
            ("U0QALEAD1", "*", "before 2000-01-01"),
        ):
            day = "0001-01-01" if user == "U0QALEAD1" else "2026-11-21"
            reply = await slack.post("view_submission", _form_submission(user, queue, day))
            errors = json.loads(reply.text)["errors"]
            assert field in " ".join(errors.values()), (user, queue, errors)
        hint = (await slack.command("/digest", "2025-01-01", user="U0BBLEAD1")).json()
        assert "The latest day with data is 2026-11-21" in texts(hint["blocks"])
        await slack.event({"type": "app_home_opened", "user": "U0BBLEAD1", "tab": "home"}, "EvHome9")
        home = await eventually(lambda: slack.fake.calls_to("views.publish"))
        assert "Latest queue data: *2026-11-21*" in texts(home[0].json("view")["blocks"])


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31"])
async def test_absurd_dates_get_usage_not_an_error(workspace, sqlite_db, day) -> None:
    async with running_bot(quiet(workspace), str(sqlite_db.url), clock=clock) as (_bot, slack):
        body = (await slack.command("/digest", day, user="U0QALEAD1")).json()
        shown = texts(body["blocks"])
        assert f"{day} is before 2000-01-01" in shown and "/digest help" in shown
        assert "Something went wrong" not in shown


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc"},
        {"X-Slack-Request-Timestamp": "1e9"},
        {"X-Slack-Request-Timestamp": ""},
        {"X-Slack-Signature": "v0=\u00e9t\u00e9"},
        {"X-Slack-Signature": ""},
    ],
)
async def test_malformed_signature_headers_get_401(workspace, sqlite_db, headers) -> None:
    async with running_bot(quiet(workspace), str(sqlite_db.url)) as (_bot, slack):
        body = signing.slash_command_body("/digest", "help", "U0QALEAD1", "C0QAOPS01", "", "")
        sent = {**signing.signed_headers(signing_secret(), "slash_command", body), **headers}
        sent = {k: v for k, v in sent.items() if v != ""}  # an empty value stands for a missing header
        raw = [(k.encode(), v.encode("utf-8")) for k, v in sent.items()]
        assert await _status(slack.url, body, raw) == 401


def signing_secret() -> str:
    from tests.e2e.harness import SECRET

    return SECRET


async def _status(url: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """A raw HTTP/1.1 POST, since HTTP clients refuse to send some of these headers at all."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [b"POST /slack/events HTTP/1.1", b"Host: " + host_port.encode(), b"Connection: close"]
    lines += [k + b": " + v for k, v in headers] + [b"Content-Length: " + str(len(body)).encode()]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def test_bots_and_incomplete_events_are_never_answered(workspace, sqlite_db, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(quiet(workspace), str(sqlite_db.url)) as (bot, slack):
        await settled(bot)
        before = len(slack.fake.state.calls)
        base = mention(slack, "<@UBOT0001> digest help", user="U0LABEL01", channel="C0QAOPS01")
        other_bot = {**base, "bot_id": "B0OTHER1", "subtype": "bot_message", "user": "U0OTHERBOT"}
        itself = {**base, "user": signing.BOT_USER_ID}
        no_channel = {**base, "channel": ""}
        no_user = {k: v for k, v in base.items() if k != "user"}
        for number, event in enumerate((other_bot, itself, no_channel, no_user)):
            assert (await slack.event(event, f"EvBot{number}")).status == 200
        for number in range(2):  # an event type subscribed to but handled by nobody, twice
            other = {"type": "reaction_added", "user": "U0LABEL01", "reaction": "eyes"}
            assert (await slack.event(other, f"EvOther{number}")).status == 200
        await asyncio.sleep(0.3)
        await settled(bot)
        assert slack.fake.state.calls[before:] == []
    dropped = [r for r in caplog.records if "dropped a app_mention event without" in r.getMessage()]
    assert len(dropped) == 2
    ignored = [r for r in caplog.records if "ignoring reaction_added events" in r.getMessage()]
    assert len(ignored) == 1


async def test_clicks_claim_what_they_mean_not_each_delivery(workspace, loaded_url) -> None:
    async with running_bot(quiet(workspace), loaded_url, clock=clock) as (bot, slack):
        ts, value = await _digest_with_button(slack)
        before = len(slack.fake.ephemeral_for("U0QALEAD1"))
        for action_ts in ("1764000000.000001", "1764000000.500001"):
            await slack.action(
                "digest:breakdown", value, user="U0QALEAD1", channel="C0DIGEST1", message_ts=ts,
                action_ts=action_ts,
            )  # fmt: skip
        await settled(bot)  # both clicks' work is done
        # One click posts in the thread; the other is told so, privately.
        notes = [m.text or "" for m in slack.fake.ephemeral_for("U0QALEAD1")[before:]]
        assert len(notes) == 1 and "The breakdown is already" in notes[0]
        async with bot.db.transaction() as session:
            keys = [row[0] for row in await session.execute(text("SELECT key FROM claims"))]
        assert not [k for k in keys if k.startswith("action:")]
        assert sum(k.startswith("breakdown:C0DIGEST1:") for k in keys) == 1
        thread = [
            m for m in slack.fake.messages_in("C0DIGEST1", thread_ts=ts) if "Breakdown" in (m.text or "")
        ]
        assert len(thread) == 1


async def test_concurrent_role_lookups_share_one_usergroup_call(workspace, sqlite_db) -> None:
    from tests.e2e.harness import seeded_fake

    ws = quiet(workspace).model_copy(update={"trainers": ["S0TRAINERS"]})  # looked up on requests only
    fake = seeded_fake(ws)
    fake.add_usergroup("S0TRAINERS", ["U0TRAINER1"])
    async with running_bot(ws, str(sqlite_db.url), fake=fake) as (bot, slack):
        await settled(bot)
        before = len(fake.calls_to("usergroups.users.list"))
        assert before == 0
        users = ["U0LABEL01", "U0LABEL02", "U0TRAINER1", "U0NWLEAD1", "U0BBLEAD1", "U0RDONCALL"] * 4
        replies = await asyncio.gather(*(slack.command("/digest", "post", user=u) for u in users))
        assert all(r.status == 200 for r in replies)
        assert len(fake.calls_to("usergroups.users.list")) == 1
