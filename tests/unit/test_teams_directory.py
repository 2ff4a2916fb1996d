"""Who and where, in Teams: what the listeners read from an activity (place, sender, command text, the
de-duplication key), and the Directory that keeps it in the database for later sends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.teams.directory import Directory, Where
from bot.teams.listeners import command_text, event_key, where_from
from storage.engine import Database
from storage.models.teams import TeamsConversation
from tests.e2e.teams_harness import APP_ID, LEAD, teams_workspace
from tests.fakes import activities
from tests.fakes.activities import TENANT_ID, personal_conversation_id, user_id

SERVICE_URL = "https://smba.trafficmanager.net/emea/"
TEAM = "19:5e6f708192a3b4c5d6e7f8091a2b3c4d@thread.tacv2"  # made up; the team's General channel
CHANNEL = "19:6f708192a3b4c5d6e7f8091a2b3c4d5e@thread.tacv2"
OTHER_CHANNEL = "19:708192a3b4c5d6e7f8091a2b3c4d5e6f@thread.tacv2"
GROUP_CHAT = "19:meeting_9a8b7c6d5e4f@thread.v2"
GROUP_ID = "2e4c6a8b-1d3f-4a5b-9c7d-8e0f1a2b3c4d"
WHERE = {"service_url": SERVICE_URL, "app_id": APP_ID}


# ----- listeners.py: where_from -------------------------------------------------------------------


def test_a_channel_reply_is_the_channel_with_its_thread() -> None:
    activity = activities.channel_mention(
        "digest", LEAD, CHANNEL, TEAM, thread_root="1700000000001", channel_name="qa-reviews", **WHERE
    )
    activity["from"]["aadObjectId"] = LEAD.aad_object_id.upper()
    where = where_from(activity)
    assert where is not None
    assert (where.conversation, where.thread, where.kind) == (CHANNEL, "1700000000001", "channel")
    assert where.user == LEAD.aad_object_id  # Entra IDs compare lower-case, as the workspace file has them
    assert where.teams_user == user_id(LEAD.aad_object_id)
    assert (where.team, where.tenant, where.service_url) == (TEAM, TENANT_ID, SERVICE_URL)
    assert where.team_group == activity["channelData"]["team"]["aadGroupId"]
    assert (where.channel_name, where.user_name) == ("qa-reviews", LEAD.name)


def test_a_new_channel_post_is_its_own_thread_root() -> None:
    activity = activities.channel_mention("digest", LEAD, CHANNEL, TEAM, id="1700000000002", **WHERE)
    where = where_from(activity)
    assert where is not None and where.conversation == CHANNEL and where.thread == "1700000000002"


def test_a_channel_name_is_taken_only_for_the_channel_it_names() -> None:
    activity = activities.channel_mention("digest", LEAD, CHANNEL, TEAM, channel_name="qa-reviews", **WHERE)
    activity["channelData"]["channel"]["id"] = OTHER_CHANNEL
    where = where_from(activity)
    assert where is not None and where.channel_name is None


def test_a_personal_chat() -> None:
    where = where_from(activities.personal_message("help", LEAD, **WHERE))
    assert where is not None
    assert (where.conversation, where.kind, where.thread) == (
        personal_conversation_id(LEAD.aad_object_id),
        "personal",
        None,
    )
    assert (where.team, where.channel_name, where.tenant) == (None, None, TENANT_ID)


def test_a_group_chat() -> None:
    activity = activities.dialog_open({"tsqa_action": "x"}, LEAD, GROUP_CHAT, **WHERE)
    where = where_from(activity)
    assert where is not None
    assert (where.conversation, where.kind, where.thread, where.team) == (GROUP_CHAT, "groupChat", None, None)


def test_the_tenant_comes_from_channel_data_when_the_conversation_lacks_it() -> None:
    activity = activities.personal_message("help", LEAD, **WHERE)
    del activity["conversation"]["tenantId"]
    where = where_from(activity)
    assert where is not None and where.tenant == TENANT_ID


def test_without_an_entra_id_the_teams_id_stands_in() -> None:
    activity = activities.personal_message("help", LEAD, **WHERE)
    del activity["from"]["aadObjectId"]
    where = where_from(activity)
    assert where is not None and where.teams_user == user_id(LEAD.aad_object_id)


@pytest.mark.parametrize(
    "path",
    [("conversation",), ("conversation", "id"), ("from",), ("from", "id"), ("serviceUrl",)],
)
def test_an_activity_missing_where_or_who_is_none(path: tuple[str, ...]) -> None:
    activity = activities.personal_message("help", LEAD, **WHERE)
    holder: dict[str, Any] = activity
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    assert where_from(activity) is None


def test_an_id_that_is_not_a_string_is_none() -> None:
    activity = activities.personal_message("help", LEAD, **WHERE)
    activity["conversation"]["id"] = 42
    assert where_from(activity) is None


# ----- listeners.py: command_text and event_key ----------------------------------------------------


def mention_of(name: str, person_id: str) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": person_id, "name": name}}


def test_the_bots_mention_goes_and_other_mentions_stay_as_names() -> None:
    sam = user_id("1d6e9b40-7c2a-4e85-b3f7-90a4c6d21e58")
    activity = {
        "text": "<at>tsqa</at>&nbsp;digest   post <at>Sam Example</at>\n spam-pt",
        "recipient": {"id": activities.bot_id(APP_ID)},
        "entities": [mention_of("tsqa", activities.bot_id(APP_ID)), mention_of("Sam Example", sam)],
    }
    assert command_text(activity) == "digest post Sam Example spam-pt"


def test_markup_goes_and_entities_become_the_characters_typed() -> None:
    activity = {"text": "<p>digest <b>spam-pt</b> &amp; hate-en &lt;b&gt;x&lt;/b&gt;</p>", "entities": []}
    # What a person typed as `<b>` arrives escaped: it stays text, it is not taken for markup.
    assert command_text(activity) == "digest spam-pt & hate-en <b>x</b>"


def test_a_mention_of_someone_else_named_like_the_bot_stays() -> None:
    activity = {
        "text": "<at>tsqa</at> help",
        "recipient": {"id": activities.bot_id(APP_ID)},
        "entities": [mention_of("tsqa", user_id("6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"))],
    }
    assert command_text(activity) == "tsqa help"


@pytest.mark.parametrize("activity", [{}, {"text": None}, {"text": "   \n\t "}, {"text": "<at></at>"}])
def test_no_text_is_an_empty_command(activity: dict[str, Any]) -> None:
    assert command_text(activity) == ""


def where_in(conversation: str) -> Where:
    return Where(conversation, "personal", SERVICE_URL, LEAD.aad_object_id, user_id(LEAD.aad_object_id))


def test_event_keys_fit_the_claims_table_for_any_conversation() -> None:
    long_one = "a:1" + "x" * 2_000
    key = event_key(where_in(long_one), "1700000000003")
    assert len(key) <= 255
    assert key == event_key(where_in(long_one), "1700000000003")  # the retry finds the same key
    assert key != event_key(where_in(long_one + "y"), "1700000000003")
    assert key != event_key(where_in(long_one), "1700000000004")


def test_event_keys_fit_for_a_long_file_name_too() -> None:
    activity_id = "1700000000005"
    file_id = f"{activity_id}:{'quarterly-review-' * 20}.csv"  # what listeners.py:169 makes without uniqueId
    assert (
        len(event_key(where_in(personal_conversation_id(LEAD.aad_object_id)), f"{activity_id}:{file_id}"))
        <= 255
    )


# ----- directory.py: Directory on a migrated database ----------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(minutes=5)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def directory(db: Database, clock: Clock) -> Directory:
    """A Directory as a (re)started bot makes it: nothing cached."""
    return Directory(db, teams_workspace(), clock)


def in_channel(channel: str = CHANNEL, **changes: Any) -> Where:
    where = Where(
        conversation=channel,
        kind="channel",
        service_url=SERVICE_URL,
        user=LEAD.aad_object_id,
        teams_user=user_id(LEAD.aad_object_id),
        tenant=TENANT_ID,
        team=TEAM,
        team_group=GROUP_ID,
        channel_name="qa-reviews",
        user_name=LEAD.name,
    )
    return replace(where, **changes)


async def row(db: Database, conversation_id: str) -> TeamsConversation:
    async with db.transaction() as session:
        found = await session.get(TeamsConversation, conversation_id)
    assert found is not None
    return found


async def test_seen_writes_once_per_change(db: Database, clock: Clock) -> None:
    known = directory(db, clock)
    first = clock.now
    await known.seen(in_channel())
    assert (await row(db, CHANNEL)).updated_at == first
    clock.tick()
    await known.seen(in_channel())  # the same again: no write
    assert (await row(db, CHANNEL)).updated_at == first
    changed = clock.tick()
    await known.seen(in_channel(service_url="https://smba.trafficmanager.net/amer/"))
    stored = await row(db, CHANNEL)
    assert (stored.updated_at, stored.service_url) == (changed, "https://smba.trafficmanager.net/amer/")


async def test_a_later_activity_without_names_erases_nothing_stored(db: Database, clock: Clock) -> None:
    await directory(db, clock).seen(in_channel())
    clock.tick()
    await directory(db, clock).seen(in_channel(channel_name=None, team_group=None, user_name=None))
    restarted = directory(db, clock)
    conversation = await restarted.conversation(CHANNEL)
    assert conversation is not None and (conversation.name, conversation.team_group_id) == (
        "qa-reviews",
        GROUP_ID,
    )
    person = await restarted.person(LEAD.aad_object_id)
    assert person is not None and person.name == LEAD.name


async def test_a_later_activity_without_names_erases_nothing_in_memory(db: Database, clock: Clock) -> None:
    known = directory(db, clock)
    await known.seen(in_channel())
    await known.seen(in_channel(channel_name=None, team_group=None, user_name=None))
    conversation = await known.conversation(CHANNEL)
    assert conversation is not None and conversation.team_group_id == GROUP_ID
    assert known.channel_name(CHANNEL) == "qa-reviews"
    assert known.person_name(LEAD.aad_object_id) == LEAD.name


async def test_a_personal_chat_is_found_again_after_a_restart(db: Database, clock: Clock) -> None:
    chat = personal_conversation_id(LEAD.aad_object_id)
    personal = Where(
        chat, "personal", SERVICE_URL, LEAD.aad_object_id, user_id(LEAD.aad_object_id), tenant=TENANT_ID
    )
    await directory(db, clock).seen(in_channel())  # a channel message from the same person is not their chat
    await directory(db, clock).seen(personal)
    restarted = directory(db, clock)
    found = await restarted.personal(LEAD.aad_object_id)
    assert found is not None and (found.conversation_id, found.kind, found.service_url) == (
        chat,
        "personal",
        SERVICE_URL,
    )
    assert await restarted.personal("0a0b0c0d-0000-4000-8000-000000000000") is None
    person = await restarted.person(LEAD.aad_object_id)
    assert person is not None and person.teams_id == user_id(LEAD.aad_object_id)


async def test_a_personal_chat_the_bot_opened_is_found_again(db: Database, clock: Clock) -> None:
    await directory(db, clock).remember_personal(
        LEAD.aad_object_id, "a:1-opened-by-the-bot", SERVICE_URL, TENANT_ID
    )
    found = await directory(db, clock).personal(LEAD.aad_object_id)
    assert found is not None and found.conversation_id == "a:1-opened-by-the-bot"


async def test_remember_channel_takes_the_teams_tenant_and_group(db: Database, clock: Clock) -> None:
    known = directory(db, clock)
    await known.seen(in_channel(TEAM, channel_name="General"))
    await known.remember_channel(OTHER_CHANNEL, "escalations", TEAM, SERVICE_URL)
    for reader in (known, directory(db, clock)):
        channel = await reader.conversation(OTHER_CHANNEL)
        assert channel is not None
        assert (channel.kind, channel.team_id, channel.tenant_id, channel.team_group_id, channel.name) == (
            "channel",
            TEAM,
            TENANT_ID,
            GROUP_ID,
            "escalations",
        )
        assert channel.installed
    assert known.channel_name(OTHER_CHANNEL) == "escalations"


async def test_remember_channel_of_a_team_not_seen_yet(db: Database, clock: Clock) -> None:
    await directory(db, clock).remember_channel(OTHER_CHANNEL, None, TEAM, SERVICE_URL)
    channel = await directory(db, clock).conversation(OTHER_CHANNEL)
    assert channel is not None and (channel.team_id, channel.tenant_id, channel.name) == (TEAM, None, None)


async def test_uninstalled_marks_the_team_and_all_its_channels(db: Database, clock: Clock) -> None:
    known = directory(db, clock)
    await known.seen(in_channel(TEAM, channel_name="General"))
    await known.remember_channel(CHANNEL, "qa-reviews", TEAM, SERVICE_URL)
    await known.remember_channel(OTHER_CHANNEL, "escalations", TEAM, SERVICE_URL)
    elsewhere = "19:8192a3b4c5d6e7f8091a2b3c4d5e6f70@thread.tacv2"
    await known.remember_channel(elsewhere, "another team's", "19:another-team@thread.tacv2", SERVICE_URL)
    clock.tick()
    await known.uninstalled(TEAM)
    restarted = directory(db, clock)
    for channel_id in (TEAM, CHANNEL, OTHER_CHANNEL):
        channel = await restarted.conversation(channel_id)
        assert channel is not None and not channel.installed, channel_id
        assert (await row(db, channel_id)).updated_at == clock.now
    still = await restarted.conversation(elsewhere)
    assert still is not None and still.installed


async def test_an_activity_after_uninstalling_marks_it_installed_again(db: Database, clock: Clock) -> None:
    known = directory(db, clock)
    await known.seen(in_channel(TEAM))
    await known.uninstalled(TEAM)
    await known.seen(in_channel(TEAM))  # the app was added back: Teams sends activities from there again
    assert (await row(db, TEAM)).installed


async def test_uninstalled_is_seen_at_once_by_the_same_directory(db: Database, clock: Clock) -> None:
    known = directory(db, clock)
    await known.seen(in_channel(TEAM, channel_name="General"))
    await known.seen(in_channel(CHANNEL))
    await known.uninstalled(TEAM)
    channel = await known.conversation(CHANNEL)
    assert channel is not None and not channel.installed
