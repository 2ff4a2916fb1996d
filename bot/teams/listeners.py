"""Teams activities → neutral events, handed to the same dispatcher as Slack's.

Answer fast, work after: Teams retries an activity whose HTTP answer takes over 15 s, and an invoke
(a card button, a dialog) must be answered within a few seconds. Messages are de-duplicated by
activity ID with the same claims as Slack's retries.

What maps to what:
- a message in a personal chat (`digest spam-pt`) or a channel mention (`@tsqa digest spam-pt`) → the
  command it names, else free text (`direct` in the personal chat) for the text handlers, else the
  overview; private answers go to the asker's personal chat;
- `Action.Execute` (invoke `adaptiveCard/action`) → Action; `Action.Submit` with `task/fetch` → the
  Action of a button that opens a form, answered with the dialog; `task/submit` → FormSubmission;
- a message action ("Escalate this message" in a message's "More actions") → Shortcut: its
  `composeExtension/fetchTask` is answered with the dialog, and its `composeExtension/submitAction`
  is the same FormSubmission as `task/submit`;
- the app installed in a team or chat (`conversationUpdate`) → its reference stored; installed for a
  person → their home card; removed → the reference marked uninstalled;
- a file sent in a personal chat → FileShared.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from microsoft_teams.apps import App
from microsoft_teams.apps.routing.activity_context import ActivityContext

from bot.chat.events import Action, FileShared, FormSubmission, HomeOpened, Mention, Shortcut
from bot.chat.model import Form, Message, MessageRef, md
from bot.chat.model import user as user_ref
from bot.chat.port import ChatError
from bot.context import Responder
from bot.dispatch import Dispatcher
from bot.teams import dialogs, render
from bot.teams.directory import Where
from bot.teams.port import TeamsFile, TeamsPort, is_channel_id

log = logging.getLogger("tsqa.teams")

# A dialog must open within Teams' invoke timeout (about 5 s): leave room for the network.
DIALOG_BUDGET = 4.0
FILE_DOWNLOAD = "application/vnd.microsoft.teams.file.download.info"
_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<br\s*/?>|</(p|div|li|h[1-6])>", re.IGNORECASE)
_AT = re.compile(r"<at\b[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def where_from(activity: dict[str, Any]) -> Where | None:
    """Who and where, from an activity's own fields (Bot Framework sets `from`; nothing else trusted)."""
    conversation = activity.get("conversation") or {}
    sender = activity.get("from") or {}
    conversation_id = conversation.get("id")
    teams_user = sender.get("id")
    service_url = activity.get("serviceUrl")
    if not (
        isinstance(conversation_id, str) and isinstance(teams_user, str) and isinstance(service_url, str)
    ):
        return None
    base, _, thread = conversation_id.partition(";messageid=")
    data = activity.get("channelData") or {}
    team = data.get("team") or {}
    channel = data.get("channel") or {}
    tenant = conversation.get("tenantId") or (data.get("tenant") or {}).get("id")
    kind = conversation.get("conversationType") or kind_of(base)
    if kind is None:
        return None
    return Where(
        conversation=base,
        kind=kind,
        service_url=service_url,
        # The Entra object ID the workspace file uses (GUIDs lower-cased there too); without one, the
        # Teams ID as it is (case matters in it), which no role in the file can match.
        user=sender["aadObjectId"].lower() if isinstance(sender.get("aadObjectId"), str) else teams_user,
        teams_user=teams_user,
        thread=thread or None,
        tenant=tenant,
        team=team.get("id"),
        team_group=team.get("aadGroupId"),
        channel_name=channel.get("name") if channel.get("id") == base else None,
        user_name=sender.get("name"),
    )


def kind_of(conversation_id: str) -> str | None:
    """What a conversation is by its ID's shape, when Teams did not say: never a guess that would
    take a channel for someone's personal chat (their private answers would land there)."""
    if is_channel_id(conversation_id):
        return "channel"
    if conversation_id.startswith("19:") and conversation_id.endswith("@thread.v2"):
        return "groupChat"
    if conversation_id.startswith("a:"):
        return "personal"
    return None


def command_text(activity: dict[str, Any]) -> str:
    """The text with the bot's own mention removed, others' mentions as their names, no markup."""
    text = activity.get("text") or ""
    bot_id = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        if entity.get("type") == "mention" and (entity.get("mentioned") or {}).get("id") == bot_id:
            text = text.replace(entity.get("text") or "\0", " ")
    text = _TAGS.sub(" ", text)
    return " ".join(html.unescape(text).split())


def html_text(content: str) -> str:
    """A Teams message's HTML body as plain text: paragraphs and breaks as lines, mentions as @name."""
    text = _AT.sub(lambda m: "@" + m.group(1), content)
    text = _TAGS.sub("", _BREAKS.sub("\n", text))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def shortcut_from(activity: dict[str, Any], where: Where, trigger: str) -> Shortcut:
    """A message action's fetchTask as the neutral event. `messagePayload` is what the person's client
    sent about the message: its author (an Entra user, lower-cased like everyone's, or an app) and text."""
    value = activity.get("value") or {}
    payload = value.get("messagePayload") or {}
    body = payload.get("body") or {}
    content = str(body.get("content") or "")
    sender = payload.get("from") or {}
    author = (sender.get("user") or {}).get("id") or (sender.get("application") or {}).get("id")
    if isinstance(author, str) and (sender.get("user") or {}).get("userIdentityType") == "aadUser":
        author = author.lower()
    link = payload.get("linkToMessage")
    return Shortcut(
        name=str(value.get("commandId") or ""),
        user=where.user,
        channel=where.conversation,
        message_ts=str(payload.get("id") or activity.get("replyToId") or ""),
        text=html_text(content) if body.get("contentType") == "html" else " ".join(content.split()),
        author=author if isinstance(author, str) else None,
        trigger=trigger,
        permalink=link if isinstance(link, str) else None,
    )


def event_key(where: Where, activity_id: str) -> str:
    """A delivery's key, short enough for any conversation ID or file name: the same activity retried
    finds it."""
    digest = hashlib.sha256(where.conversation.encode()).hexdigest()[:16]
    if len(activity_id) > 64:
        activity_id = hashlib.sha256(activity_id.encode()).hexdigest()
    return f"teams:{digest}:{activity_id}"


class TeamsListeners:
    """One middleware for every activity: the SDK's routing stays out of the way of the dispatcher."""

    def __init__(self, dispatcher: Dispatcher, port: TeamsPort, tenant: str):
        self.dispatcher = dispatcher
        self.port = port
        self.tenant = tenant.lower()
        self.background = dispatcher.services.background

    def register(self, app: App) -> None:
        app.use(self.on_activity)

    async def on_activity(self, ctx: ActivityContext[Any]) -> Any:
        activity = ctx.activity.model_dump(by_alias=True, exclude_none=True)
        where = where_from(activity)
        if where is None:
            log.warning(
                "dropped a Teams %s activity without conversation, sender or service URL",
                activity.get("type"),
            )
            return None
        if (activity.get("from") or {}).get("role") == "bot":
            return None
        # A valid Bot Framework token also comes with Web Chat and Direct Line, whose clients choose
        # `from` themselves: only Teams, in this organisation's tenant, says who someone is.
        if activity.get("channelId") != "msteams" or (where.tenant or "").lower() != self.tenant:
            log.warning(
                "refused a %s activity from channel %r, tenant %r: only Teams in this tenant is served",
                activity.get("type"),
                activity.get("channelId"),
                where.tenant,
            )
            return None
        kind = activity.get("type")
        if not _removal(activity):  # a removal must not be undone by this write racing it
            self.background.spawn(self.port.directory.seen(where), "teams directory")
        if kind == "message":
            return await self.on_message(activity, where)
        if kind == "invoke":
            name = activity.get("name")
            if name == "adaptiveCard/action":
                return self.on_card_action(activity, where)
            if name == "task/fetch":
                return await self.on_dialog_open(activity, where)
            if name == "composeExtension/fetchTask":
                return await self.on_shortcut(activity, where)
            # A message action's dialog submits as a dialog opened by a button does: `value.data`.
            if name in ("task/submit", "composeExtension/submitAction"):
                return await self.on_dialog_submit(activity, where)
            return None
        if kind in ("conversationUpdate", "installationUpdate"):
            return await self.on_installation(activity, where)
        return None

    # --- messages --------------------------------------------------------------------------

    def answer_in(self, where: Where, user: str, thread: MessageRef | None) -> Responder:
        """Private answers to the personal chat; public ones into the reply chain (or the chat)."""
        port = self.port

        async def answer(message: Message, ephemeral: bool) -> None:
            if where.kind == "personal":
                await port.post(where.conversation, message)
            elif ephemeral:
                try:
                    await port.dm(user, message)
                except ChatError as exc:
                    if exc.code != "not_installed_for_user":
                        raise
                    # The answer stays private; the asker learns in the thread how to receive it.
                    text = md("{} I answer privately, in our personal chat: {}.", user_ref(user), exc.hint)
                    hint = Message.text(text)
                    await (port.reply(thread, hint) if thread else port.post(where.conversation, hint))
            elif thread is not None:
                await port.reply(thread, message)
            else:
                await port.post(where.conversation, message)

        return answer

    async def on_message(self, activity: dict[str, Any], where: Where) -> None:
        activity_id = str(activity.get("id") or "")
        if where.kind == "personal":
            files = [a for a in activity.get("attachments") or [] if a.get("contentType") == FILE_DOWNLOAD]
            if files:
                self._files(files, activity_id, where)
                return None
        text = command_text(activity)
        if not text:  # a card's Submit, a reaction, an edit: nothing was asked
            return None
        root = where.thread or activity_id
        thread = MessageRef(where.conversation, root) if where.kind == "channel" and root else None
        # In channels and group chats the bot hears only @mentions; the personal chat is all for it.
        direct = where.kind == "personal"
        mention = Mention(text, where.user, where.conversation, activity_id, where.thread, direct)
        responder = self.answer_in(where, where.user, thread)
        key = event_key(where, activity_id) if activity_id else None
        self.background.spawn(self.dispatcher.mention(mention, responder, key), "teams message")
        return None

    def _files(self, attachments: list[dict[str, Any]], activity_id: str, where: Where) -> None:
        for attachment in attachments:
            content = attachment.get("content") or {}
            file_id = content.get("uniqueId") or f"{activity_id}:{attachment.get('name')}"
            url = content.get("downloadUrl")
            if not isinstance(url, str):
                continue
            name = str(attachment.get("name") or "file")
            size = int(content.get("size") or 0) if str(content.get("size") or "0").isdigit() else 0
            ref = MessageRef(where.conversation, activity_id)
            self.port.remember_file(file_id, TeamsFile(name, url, size, ref))
            shared = FileShared(
                file_id, where.user, where.conversation, name=name, url=url, ts=activity_id, direct=True
            )
            key = event_key(where, f"{activity_id}:{file_id}")
            self.background.spawn(self.dispatcher.file_shared(shared, key), "teams file")

    # --- buttons ---------------------------------------------------------------------------

    def _action(
        self, activity: dict[str, Any], where: Where, data: dict[str, Any], trigger: str | None
    ) -> Action:
        card_id = activity.get("replyToId")
        selected: tuple[str, ...] = ()
        if isinstance(field := data.get("tsqa_input"), str):
            raw = data.get(field)
            selected = tuple(v for v in str(raw or "").split(",") if v)
        return Action(
            action=str(data.get("tsqa_action") or ""),
            value=str(data.get("tsqa_value") or (selected[0] if selected else "")),
            user=where.user,
            channel=where.conversation,
            message_ts=card_id,
            thread_ts=where.thread if where.thread and where.thread != card_id else None,
            trigger=trigger,
            selected=selected,
        )

    def on_card_action(self, activity: dict[str, Any], where: Where) -> dict[str, Any]:
        value = activity.get("value") or {}
        data = (value.get("action") or {}).get("data") or {}
        action = self._action(activity, where, data, None)
        thread = MessageRef(where.conversation, action.thread_ts or action.message_ts or "")
        responder = self.answer_in(where, where.user, thread if where.kind == "channel" else None)
        self.background.spawn(self.dispatcher.action(action, responder), "teams action")
        return {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": "Working on it…",
        }

    async def on_dialog_open(self, activity: dict[str, Any], where: Where) -> dict[str, Any]:
        data = (activity.get("value") or {}).get("data") or {}

        def run(trigger: str, answer: Responder) -> Coroutine[Any, Any, None]:
            return self.dispatcher.action(self._action(activity, where, data, trigger), answer)

        return await self._dialog(where, run, "teams dialog")

    async def on_shortcut(self, activity: dict[str, Any], where: Where) -> dict[str, Any]:
        """A message action chosen on a message: the shortcut's handler opens the dialog."""

        def run(trigger: str, answer: Responder) -> Coroutine[Any, Any, None]:
            return self.dispatcher.shortcut(shortcut_from(activity, where, trigger), answer)

        return await self._dialog(where, run, "teams shortcut")

    async def _dialog(
        self, where: Where, run: Callable[[str, Responder], Coroutine[Any, Any, None]], name: str
    ) -> dict[str, Any]:
        """Run the handler until it opens a form (answered with the dialog) or says something first
        (shown in the dialog's place); what it says after goes to the personal chat."""
        trigger, opened = self.port.dialogs.expect()
        first_answer: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        private = self.answer_in(where, where.user, None)

        async def answer(message: Message, ephemeral: bool) -> None:
            if not first_answer.done():  # shown in the dialog's place, to this person only
                first_answer.set_result(message)
            else:
                await private(message, ephemeral)

        work = self.background.spawn(run(trigger, answer), name)
        try:
            await asyncio.wait(
                {opened, first_answer, work}, timeout=DIALOG_BUDGET, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self.port.dialogs.forget(trigger)
        if opened.done() and not opened.cancelled():
            return dialogs.response(opened.result())
        if first_answer.done():
            return render.dialog_message(render.fallback_text(first_answer.result(), self.port.names))
        if work.done():  # the handler ended without opening a form or saying why
            return render.dialog_message("There is nothing to open for that here.")
        return render.dialog_message("That took too long to open: please click again.")

    async def on_dialog_submit(self, activity: dict[str, Any], where: Where) -> dict[str, Any] | None:
        data = (activity.get("value") or {}).get("data") or {}
        activity_id = str(activity.get("id") or "")
        if activity_id and not await self.dispatcher.first_time(event_key(where, activity_id), "event"):
            return None  # Teams retried a submission already taken: the dialog closes, nothing twice
        form: Form | None = dialogs.unpack(data.get(dialogs.FIELD))
        try:
            values = render.form_values(data)
        except (TypeError, ValueError, AttributeError):
            return render.dialog_message("That form came back malformed: please open it again.")
        submission = FormSubmission(
            form_id=str(data.get("tsqa_form") or ""),
            user=where.user,
            values=values,
            state=str(data.get("tsqa_state") or ""),
        )
        result = await self.dispatcher.form(submission)
        if result and result.errors:
            if form is None:
                return render.dialog_message("; ".join(result.errors.values()))
            return dialogs.response(dialogs.with_values(form, submission.values), result.errors)
        return None

    # --- installation ----------------------------------------------------------------------

    async def on_installation(self, activity: dict[str, Any], where: Where) -> None:
        bot_id = (activity.get("recipient") or {}).get("id")
        added = any(m.get("id") == bot_id for m in activity.get("membersAdded") or [])
        removed = any(m.get("id") == bot_id for m in activity.get("membersRemoved") or [])
        action = activity.get("action")
        if removed or action == "remove":
            self.background.spawn(self.port.directory.uninstalled(where.conversation), "teams uninstall")
            return None
        if (added or action == "add") and where.kind == "personal":
            # Teams sends two activities for one install (installationUpdate and conversationUpdate):
            # keyed by what they mean, the person gets one welcome a day however many arrive.
            services = self.dispatcher.services
            day = services.clock().astimezone(services.workspace.tz).date().isoformat()
            key = event_key(where, f"welcome:{day}")
            self.background.spawn(self.dispatcher.home_opened(HomeOpened(where.user), key), "teams home")
        elif (added or action == "add") and where.team:
            self.background.spawn(self.port.learn_team(where.team, where.service_url), "teams team")
        return None


def _removal(activity: dict[str, Any]) -> bool:
    bot_id = (activity.get("recipient") or {}).get("id")
    removed = any(m.get("id") == bot_id for m in activity.get("membersRemoved") or [])
    return removed or (activity.get("type") == "installationUpdate" and activity.get("action") == "remove")
