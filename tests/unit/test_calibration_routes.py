"""The calibration form as the handlers open it: the session's channel named when the results go
elsewhere (a quality recommendation), and a queue menu within what a menu holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.model import ChoiceInput, Form, FormErrors
from bot.roles import Role, UserRoles
from bot.slack import render as slack
from bot.workspace import Queue, Targets
from handlers.calibration import form, routes
from tests.e2e.harness import texts

TARGETS = Targets(daily_output=100, sla_seconds=3600, quality=0.95, aht_seconds=30)


def queue(n: int) -> Queue:
    return Queue(id=f"queue-{n}", name=f"Queue {n}", vendor="northwind", site="dublin", targets=TARGETS,
                 labels=["allow", "remove"])  # fmt: skip


@dataclass
class FakeWorkspace:
    queues: list[Queue]
    tz: ZoneInfo = ZoneInfo("Europe/Dublin")


@dataclass
class FakePort:
    forms: list[Form] = field(default_factory=list)

    async def open_form(self, trigger: str, form: Form) -> None:
        self.forms.append(form)


@dataclass
class FakeContext:
    """What the form's opening reads of a handler's context."""

    workspace: FakeWorkspace
    port: FakePort = field(default_factory=FakePort)
    said: list[Any] = field(default_factory=list)

    async def roles(self) -> UserRoles:
        return UserRoles("U0QALEAD1", frozenset({Role.ADMIN}))

    def now(self) -> datetime:
        return datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    async def respond(self, message: Any) -> None:  # noqa: ANN401
        self.said.append(message)


async def test_a_recommendations_form_names_the_channel_the_results_go_to() -> None:
    ctx = FakeContext(FakeWorkspace([queue(1)]))
    prefill = routes.Prefill("queue-1", ("allow", "remove"), "Queue 1: allow vs remove")
    await routes.open_prefilled(ctx, "trigger-1", "C0NWVEND1", prefill)  # type: ignore[arg-type]
    [form] = ctx.port.forms
    shown = texts(slack.form_view(form)["blocks"])
    assert "<#C0NWVEND1>" in shown and "this channel" not in shown


async def test_the_queue_menu_holds_at_most_a_hundred_queues() -> None:
    ctx = FakeContext(FakeWorkspace([queue(n) for n in range(130)]))
    await routes._open_form(ctx, "trigger-1", "C0QAOPS01")  # type: ignore[arg-type]
    [form] = ctx.port.forms
    [menu] = [i for i in form.inputs if isinstance(i, ChoiceInput) and i.name == "queue"]
    assert len(menu.options) == 100  # so Teams' dialog holds the same as Slack's select
    assert menu.options[0].value == "queue-0"


async def test_a_queue_with_more_labels_than_a_ballot_holds_is_refused_in_the_form() -> None:
    wide = queue(1).model_copy(update={"labels": [f"label_{n}" for n in range(21)]})
    ctx = FakeContext(FakeWorkspace([wide]))
    values = {"title": "Wide queue", "queue": "queue-1", "due": "2026-11-26 15:00", "participants": ""}
    checked = await form.check_new(ctx, values, [wide])  # type: ignore[arg-type]
    assert isinstance(checked, FormErrors)
    assert "has 21 labels" in checked.errors["queue"] and "at most 20" in checked.errors["queue"]
