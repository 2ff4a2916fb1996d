"""Where Teams conversations live and who people are, learnt from activities and kept in the database.

Bot Framework tells the bot a conversation's service URL and a person's Teams ID only inside the
activities it sends. Every activity refreshes them (a write only when something changed or an hour
has passed), so a scheduled digest or a DM can be sent later, from any replica, after any restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select, update

from bot.workspace import Workspace
from storage.claims import insert_ignoring
from storage.engine import Database
from storage.models.teams import TeamsConversation, TeamsPerson

REWRITE_SECONDS = 3600.0
# Another replica may learn of an uninstall or a new personal chat: read again after this long.
CACHE_SECONDS = 300.0

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """A dict whose entries count as known for CACHE_SECONDS; names may be read however old."""

    def __init__(self) -> None:
        self._items: dict[K, tuple[V, float]] = {}

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        return found[0] if found and time.monotonic() - found[1] < CACHE_SECONDS else None

    def peek(self, key: K) -> V | None:
        found = self._items.get(key)
        return found[0] if found else None

    def __setitem__(self, key: K, value: V) -> None:
        self._items[key] = (value, time.monotonic())

    def pop(self, key: K) -> None:
        self._items.pop(key, None)

    def drop(self, unwanted: Callable[[V], bool]) -> list[K]:
        """Forget every entry whose value is unwanted; returns their keys."""
        keys = [k for k, (v, _) in self._items.items() if unwanted(v)]
        for key in keys:
            del self._items[key]
        return keys


@dataclass(frozen=True)
class Where:
    """Where an activity came from, in the bot's terms: `conversation` is a channel's ID (without the
    `;messageid=` of a reply chain, which is `thread`) or a chat's; `user` is the person's Entra
    object ID (the ID the workspace file uses), `teams_user` their Teams ID (29:…)."""

    conversation: str
    kind: str
    service_url: str
    user: str
    teams_user: str
    thread: str | None = None
    tenant: str | None = None
    team: str | None = None
    team_group: str | None = None
    channel_name: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    kind: str
    service_url: str
    tenant_id: str | None
    team_id: str | None
    team_group_id: str | None
    name: str | None
    installed: bool


@dataclass(frozen=True)
class Person:
    user_id: str
    teams_id: str
    name: str | None
    tenant_id: str | None
    service_url: str | None


class Directory:
    """Conversation references and people: read through a small cache, written when they change."""

    def __init__(self, db: Database, workspace: Workspace, clock: Callable[[], datetime]):
        self.db = db
        self.workspace = workspace
        self.clock = clock
        self._written: dict[tuple[str, str], tuple[tuple[Any, ...], float]] = {}
        self._conversations: Recent[str, Conversation] = Recent()
        self._personal: Recent[str, str] = Recent()  # user → their personal chat's conversation ID
        self._people: Recent[str, Person] = Recent()

    # --- learning ---------------------------------------------------------------------------

    async def seen(self, where: Where) -> None:
        """Remember where an activity came from; cheap when nothing changed."""
        now = self.clock()
        known = self._conversations.peek(where.conversation)
        conversation = Conversation(
            where.conversation,
            where.kind,
            where.service_url,
            where.tenant or (known and known.tenant_id),
            where.team or (known and known.team_id),
            where.team_group or (known and known.team_group_id),
            _clip(where.channel_name) or (known and known.name),
            True,
        )
        seen_before = self._people.peek(where.user)
        name = _clip(where.user_name) or (seen_before and seen_before.name)
        person = Person(where.user, where.teams_user, name, where.tenant, where.service_url)
        # Cached before any await: work dispatched for this same activity finds it at once.
        self._conversations[where.conversation] = conversation
        self._people[where.user] = person
        if where.kind == "personal":
            self._personal[where.user] = where.conversation
        if self._fresh(key := ("conversation", where.conversation), astuple(conversation)):
            owner = where.user if where.kind == "personal" else None
            await self._written_or_retried(key, self._upsert_conversation(conversation, owner, now))
        if self._fresh(key := ("person", where.user), astuple(person)):
            await self._written_or_retried(key, self._upsert_person(person, now))

    async def _written_or_retried(self, key: tuple[str, str], write: Any) -> None:
        """A failed write is tried again by the next activity, not an hour later."""
        try:
            await write
        except BaseException:
            self._written.pop(key, None)
            raise

    def _fresh(self, key: tuple[str, str], values: tuple[Any, ...]) -> bool:
        """True when the row must be written: new, changed, or last written over an hour ago."""
        last = self._written.get(key)
        now = time.monotonic()
        if last is not None and last[0] == values and now - last[1] < REWRITE_SECONDS:
            return False
        self._written[key] = (values, now)
        return True

    async def _upsert_conversation(self, c: Conversation, user: str | None, now: datetime) -> None:
        values = {
            "kind": c.kind,
            "service_url": c.service_url,
            "tenant_id": c.tenant_id,
            "team_id": c.team_id,
            "team_group_id": c.team_group_id,
            "name": c.name,
            "user_id": user,
            "installed": True,
            "updated_at": now,
        }
        # Later activities may lack a name or team: never overwrite what is known with nothing.
        changing = {k: v for k, v in values.items() if v is not None}
        async with self.db.transaction() as session:
            stmt = insert_ignoring(session, TeamsConversation).values(
                conversation_id=c.conversation_id, **values
            )
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["conversation_id"], set_=changing)
            )

    async def _upsert_person(self, p: Person, now: datetime) -> None:
        values = {
            "teams_id": p.teams_id,
            "name": p.name,
            "tenant_id": p.tenant_id,
            "service_url": p.service_url,
            "updated_at": now,
        }
        changing = {k: v for k, v in values.items() if v is not None}
        async with self.db.transaction() as session:
            stmt = insert_ignoring(session, TeamsPerson).values(user_id=p.user_id, **values)
            await session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=changing))

    async def remember_personal(
        self, user: str, conversation_id: str, service_url: str, tenant: str | None
    ) -> None:
        """A personal chat the bot opened itself (a first DM)."""
        where = Conversation(conversation_id, "personal", service_url, tenant, None, None, None, True)
        await self._upsert_conversation(where, user, self.clock())
        self._conversations[conversation_id] = where
        self._personal[user] = conversation_id

    async def remember_channel(self, channel_id: str, name: str | None, team: str, service_url: str) -> None:
        """A channel of a team the app is in, listed by Teams when the app was added."""
        known = await self.conversation(team)
        tenant = known.tenant_id if known else None
        group = known.team_group_id if known else None
        where = Conversation(channel_id, "channel", service_url, tenant, team, group, name, True)
        await self._upsert_conversation(where, None, self.clock())
        self._conversations[channel_id] = where

    async def uninstalled(self, conversation_id: str) -> None:
        """The app was removed from a team or chat: setup checks say so, posts there stop being tried."""
        gone = self._conversations.drop(lambda c: conversation_id in (c.conversation_id, c.team_id))
        for key in {conversation_id, *gone}:
            self._written.pop(("conversation", key), None)
        async with self.db.transaction() as session:
            await session.execute(
                update(TeamsConversation)
                .where(
                    (TeamsConversation.conversation_id == conversation_id)
                    | (TeamsConversation.team_id == conversation_id)
                )
                .values(installed=False, updated_at=self.clock())
            )

    # --- looking up -------------------------------------------------------------------------

    async def conversation(self, conversation_id: str) -> Conversation | None:
        cached = self._conversations.get(conversation_id)
        if cached is not None:
            return cached
        async with self.db.transaction() as session:
            row = await session.get(TeamsConversation, conversation_id)
        if row is None:
            return None
        found = Conversation(
            row.conversation_id,
            row.kind,
            row.service_url,
            row.tenant_id,
            row.team_id,
            row.team_group_id,
            row.name,
            row.installed,
        )
        self._conversations[conversation_id] = found
        return found

    async def personal(self, user: str) -> Conversation | None:
        """The person's personal chat with the bot, if the bot has one."""
        if (conversation_id := self._personal.get(user)) is not None:
            return await self.conversation(conversation_id)
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(TeamsConversation.conversation_id)
                    .where(TeamsConversation.user_id == user, TeamsConversation.kind == "personal")
                    .order_by(TeamsConversation.updated_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        if row is None:
            return None
        self._personal[user] = row
        return await self.conversation(row)

    async def person(self, user: str) -> Person | None:
        if (cached := self._people.get(user)) is not None:
            return cached
        async with self.db.transaction() as session:
            row = await session.get(TeamsPerson, user)
        if row is None:
            return None
        found = Person(row.user_id, row.teams_id, row.name, row.tenant_id, row.service_url)
        self._people[user] = found
        return found

    async def any_service_url(self) -> str | None:
        """A service URL Teams gave in any activity: the one for this tenant's region."""
        async with self.db.transaction() as session:
            return (
                await session.execute(
                    select(TeamsConversation.service_url)
                    .order_by(TeamsConversation.updated_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()

    # --- names, for the renderer (synchronous: from the workspace file and what was seen) ------

    def person_name(self, user_id: str) -> str | None:
        named = self.workspace.person_name(user_id)
        if named:
            return named
        person = self._people.peek(user_id)
        return person.name if person else None

    def channel_name(self, channel_id: str) -> str | None:
        named = self.workspace.channel_name(channel_id)
        if named:
            return named
        conversation = self._conversations.peek(channel_id)
        return conversation.name if conversation else None


class DirectoryNames:
    """The renderer's `Names` from a Directory."""

    def __init__(self, directory: Directory):
        self._directory = directory

    def person(self, user_id: str) -> str | None:
        return self._directory.person_name(user_id)

    def channel(self, channel_id: str) -> str | None:
        return self._directory.channel_name(channel_id)


def _clip(name: str | None) -> str | None:
    """Names as Teams sends them fit the column; anything longer is cut, never refused."""
    return name[:255] if name else name
