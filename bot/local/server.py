"""The local workspace as one piece: the Web API fake, the page, the link to the bot, and its storage.

`mount(app)` adds everything to the bot's own aiohttp server, so one port serves the bot, the Slack
stand-in and the browser. The state is loaded when that server starts and saved when it stops.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web

from bot.local.bridge import BotLink
from bot.local.guard import local_only
from bot.local.interact import SLACKBOT, Interactions, MenuShortcut
from bot.local.persist import DebouncedSaver, SnapshotStore
from bot.local.ui import UiRoutes
from bot.local.webapi import SlackWebAPI
from bot.workspace import Workspace
from storage.engine import Database

log = logging.getLogger("tsqa.local")

BOT_NAME = "tsqa"
KEEP_CALLS = 500


def _handles(workspace: Workspace) -> dict[str, str]:
    """Slack-style user names: the first name in lower case, or the full name where that is taken."""
    firsts = [p.name.split()[0].lower() for p in workspace.people if p.name.split()]
    out = {}
    for person in workspace.people:
        words = person.name.lower().split() or [person.id.lower()]
        out[person.id] = words[0] if firsts.count(words[0]) == 1 else ".".join(words)
    return out


def seed(api: SlackWebAPI, workspace: Workspace) -> None:
    """Add the workspace file's people, channels and usergroups that the state does not have yet."""
    st = api.state
    if st.bot_user_id not in st.users:
        api.add_user(st.bot_user_id, BOT_NAME, real_name=BOT_NAME, is_bot=True)
    if SLACKBOT not in st.users:
        api.add_user(SLACKBOT, "slackbot", real_name="Slackbot", is_bot=True)
    handles = _handles(workspace)
    for person in workspace.people:
        if person.id not in st.users:
            api.add_user(
                person.id,
                handles[person.id],
                real_name=person.name,
                email=person.email,
                tz=workspace.timezone,
            )
    people = [p.id for p in workspace.people]
    for channel in workspace.channels:
        if channel.id in st.channels:
            st.channels[channel.id].members.update(people)
        else:
            api.add_channel(channel.id, channel.name, members=people)
    refs = list(workspace.admins) + list(workspace.trainers)
    for vendor in workspace.vendors:
        refs += list(vendor.leads) + vendor.contacts.everyone
    for ref in refs:  # usergroups without known members still answer, as an empty group would
        if ref.startswith("S") and ref not in st.usergroups:
            api.add_usergroup(ref, [])


class LocalWorkspace:
    """Everything `tsqa run --local` adds to the bot's server; `mount` is one of `TsqaBot.mounts`."""

    def __init__(
        self,
        workspace: Workspace,
        db: Database,
        *,
        bot_token: str,
        signing_secret: str,
        base_url: str,
        commands: Iterable[str],
        shortcuts: Iterable[MenuShortcut] = (),
        save_delay: float = 0.5,
    ) -> None:
        """`base_url` is where the bot's server is reached from this process (its /slack/events too);
        `shortcuts` are the message shortcuts the page offers on every message."""
        self.workspace = workspace
        self.db = db
        self.api = SlackWebAPI(bot_token=bot_token, bot_name=BOT_NAME, keep_calls=KEEP_CALLS)
        self.api.base_url = base_url
        self.link = BotLink(f"{base_url}/slack/events", signing_secret)
        self.interactions = Interactions(self.api, self.link, commands, shortcuts)
        self.ui = UiRoutes(self)
        self.store = SnapshotStore(db)
        self.save_delay = save_delay
        self.saver: DebouncedSaver | None = None

    def mount(self, app: web.Application) -> None:
        """The guard covers the whole server: the bot's own routes answer only the same loopback callers."""
        app.middlewares.append(local_only)
        app.add_routes(self.api.routes())
        app.add_routes(self.ui.routes())
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)

    async def _on_startup(self, _app: web.Application) -> None:
        await self.load()

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.close()

    async def load(self) -> None:
        """Restore the saved state (the database is migrated by now), then add what the file adds."""
        restored = await self.store.load()
        if restored is not None:
            self.api.state = restored
            log.info(
                "local workspace restored: %d messages in %d conversations",
                len(restored.messages),
                len(restored.channels),
            )
        seed(self.api, self.workspace)
        self.saver = DebouncedSaver(self.store, self.api.state, delay=self.save_delay)
        self.api.listeners.append(self.saver.schedule)
        self.saver.schedule()

    async def close(self) -> None:
        await self.link.close()
        if self.saver is not None:
            self.api.listeners.remove(self.saver.schedule)
            await self.saver.close()
            self.saver = None
