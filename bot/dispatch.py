"""Routes neutral events to the handlers that registered for them, checks roles, logs each request.

Adapters (Slack, the local workspace, later Teams) translate their payloads into events and call
these methods; handlers never see the platform.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import NamedTuple

from bot.chat.events import Action, Command, FileShared, FormSubmission, HomeOpened, Mention, Shortcut
from bot.chat.model import FormErrors, Message, command, md
from bot.context import Context, Responder, Services
from bot.logs import log_request
from bot.routing import CommandSpec, Router, Subcommand, UsageError
from bot.usage import failed, home, overview, refused, unknown_command, usage
from storage.claims import claim

log = logging.getLogger("tsqa.dispatch")


class Answer(NamedTuple):
    """A command that needs no handler: what to say, the logged outcome and name."""

    message: Message
    outcome: str
    name: str


class Run(NamedTuple):
    """A command its subcommand's handler answers."""

    spec: CommandSpec
    sub: Subcommand
    args: list[str]
    name: str


class Dispatcher:
    def __init__(self, router: Router, services: Services):
        self.router = router
        self.services = services
        self._help: dict[str, Message] = {}

    def context(
        self, user: str | None, channel: str | None = None, responder: Responder | None = None
    ) -> Context:
        return Context(self.services, user=user, channel=channel, responder=responder)

    async def first_time(self, key: str | None, kind: str) -> bool:
        """False when this delivery was already handled (a Slack retry, a repeated click)."""
        return key is None or await claim(self.services.db, key, kind, self.services.clock())

    def immediate(self, cmd: Command) -> Message | None:
        """The answer when no handler has to run (help, usage, an unknown command), logged here;
        None when one does. Adapters give it at once, with no background work: most commands that
        arrive in a burst are `help`."""
        start = time.perf_counter()
        routed = self._route(cmd)
        if isinstance(routed, Run):
            return None
        log_request("command", routed.name, cmd.user, (time.perf_counter() - start) * 1000, routed.outcome)
        return routed.message

    async def command(self, cmd: Command, responder: Responder) -> None:
        start = time.perf_counter()
        ctx = self.context(cmd.user, cmd.channel, responder)
        name = f"/{cmd.name}"
        outcome = "ok"
        try:
            outcome, name = await self._command(ctx, cmd)
        except Exception:
            outcome = "error"
            await self._fail(ctx, name)
        finally:
            log_request("command", name, cmd.user, (time.perf_counter() - start) * 1000, outcome)

    def _route(self, cmd: Command) -> Answer | Run:
        spec = self.router.commands.get(cmd.name)
        if spec is None:
            return Answer(unknown_command(cmd.name, self.router.commands), "unknown", f"/{cmd.name}")
        words = cmd.words
        first = words[0].lower() if words else ""
        if first in ("help", "?"):
            helped = self._help.get(cmd.name)
            if helped is None:  # the router is complete before requests arrive: help never changes
                helped = self._help[cmd.name] = usage(spec)
            return Answer(helped, "help", f"/{cmd.name} help")
        sub = spec.find(first)
        args = words[1:] if sub else words
        sub = sub or spec.default
        if sub is None:
            problem = md("I don't know `{}`.", command(f"{cmd.name} {first}")) if first else None
            return Answer(usage(spec, problem), "usage", f"/{cmd.name}")
        return Run(spec, sub, args, f"/{cmd.name} {sub.name}".rstrip())

    async def _command(self, ctx: Context, cmd: Command) -> tuple[str, str]:
        routed = self._route(cmd)
        if isinstance(routed, Answer):
            await ctx.respond(routed.message)
            return routed.outcome, routed.name
        spec, sub, args, name = routed
        if sub.roles and not (await ctx.roles()).has(*sub.roles):
            await ctx.respond(refused(name.lstrip("/"), sub.roles))
            return "refused", name
        try:
            await sub.handler(ctx, cmd, args)
        except UsageError as exc:
            await ctx.respond(usage(spec, exc.args[0] if exc.args else None))
            return "usage", name
        except Exception:
            await self._fail(ctx, name)
            return "error", name
        return "ok", name

    async def action(self, action: Action, responder: Responder) -> None:
        """Clicks carry no delivery key worth claiming: handlers claim what a click means."""
        start = time.perf_counter()
        ctx = self.context(action.user, action.channel, responder)
        handler = self.router.find_action(action.action)
        outcome = "ok"
        try:
            if handler is None:
                outcome = "unhandled"
            else:
                await handler(ctx, action)
        except Exception:
            outcome = "error"
            await self._fail(ctx, action.action)
        finally:
            log_request("action", action.action, action.user, (time.perf_counter() - start) * 1000, outcome)

    async def shortcut(self, event: Shortcut, responder: Responder) -> None:
        """A message shortcut; like a click, nothing to claim: opening a form twice changes nothing."""
        start = time.perf_counter()
        ctx = self.context(event.user, event.channel, responder)
        spec = self.router.shortcuts.get(event.name)
        outcome = "ok"
        try:
            if spec is None:
                outcome = "unhandled"
            else:
                await spec.handler(ctx, event)
        except Exception:
            outcome = "error"
            await self._fail(ctx, event.name)
        finally:
            log_request("shortcut", event.name, event.user, (time.perf_counter() - start) * 1000, outcome)

    async def form(self, submission: FormSubmission) -> FormErrors | None:
        start = time.perf_counter()
        ctx = self.context(submission.user)
        handler = self.router.forms.get(submission.form_id)
        outcome = "ok"
        try:
            if handler is None:
                outcome = "unhandled"
                return None
            result = await handler(ctx, submission)
            outcome = "invalid" if result and result.errors else "ok"
            return result
        except Exception:
            outcome = "error"
            await self._fail(ctx, submission.form_id)
            return None
        finally:
            log_request(
                "form", submission.form_id, submission.user, (time.perf_counter() - start) * 1000, outcome
            )

    async def mention(self, mention: Mention, responder: Responder, event_id: str | None = None) -> None:
        """`@tsqa digest …` runs that command, answering as privately as the slash command would;
        other text goes to the capabilities that answer free text (policy questions); what none
        answers gets the overview, in the thread for all to see (it tells nobody's figures)."""
        kind = "message" if mention.direct else "app_mention"
        if not await self.first_time(event_id and f"event:{event_id}", "event"):
            log_request("event", kind, mention.user, 0.0, "duplicate")
            return
        words = mention.text.split()
        name = words[0].lstrip("/").lower() if words else ""
        if name in self.router.commands:
            text = " ".join(words[1:])
            cmd = Command(
                name, text, mention.user, mention.channel, thread_ts=mention.thread_ts or mention.ts
            )
            await self.command(cmd, responder)
            return
        start = time.perf_counter()
        ctx = self.context(mention.user, mention.channel, responder)
        try:
            for handler in self.router.text_handlers:
                if await handler(ctx, mention):
                    log_request("event", kind, mention.user, (time.perf_counter() - start) * 1000, "ok")
                    return
        except Exception:
            await self._fail(ctx, kind)
            log_request("event", kind, mention.user, (time.perf_counter() - start) * 1000, "error")
            return
        await ctx.respond(overview(self.router.commands.values()), ephemeral=False)
        log_request("event", kind, mention.user, (time.perf_counter() - start) * 1000, "overview")

    async def home_opened(self, event: HomeOpened, event_id: str | None = None) -> None:
        start = time.perf_counter()
        ctx = self.context(event.user)
        outcome = "ok"
        try:
            if not await self.first_time(event_id and f"event:{event_id}", "event"):
                outcome = "duplicate"
                return
            sections = [await section(ctx) for section in self.router.home_sections]
            await ctx.port.publish_home(event.user, home(self.router.commands.values(), sections))
        except Exception:
            outcome = "error"
            log.exception("home tab for %s failed", event.user)
        finally:
            log_request("event", "app_home_opened", event.user, (time.perf_counter() - start) * 1000, outcome)

    async def file_shared(self, event: FileShared, event_id: str | None = None) -> None:
        start = time.perf_counter()
        ctx = self.context(event.user, event.channel)
        outcome = "ignored"
        try:
            if not await self.first_time(event_id and f"event:{event_id}", "event"):
                outcome = "duplicate"
                return
            for handler in self.router.file_handlers:
                if await handler(ctx, event):
                    outcome = "ok"
                    break
        except Exception:
            outcome = "error"
            log.exception("file %s failed", event.file_id)
        finally:
            log_request("event", "file_shared", event.user, (time.perf_counter() - start) * 1000, outcome)

    async def _fail(self, ctx: Context, name: str) -> None:
        reference = uuid.uuid4().hex[:8]
        log.exception("%s failed (ref %s)", name, reference)
        try:
            await ctx.respond(failed(reference))
        except Exception:
            log.exception("could not tell %s that %s failed", ctx.user, name)
