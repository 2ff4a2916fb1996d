"""The second review's fixes: summaries end, trainers' marks survive a move, a cohort cannot start in
the site's past, names are not numbers, a zero nesting target counts, a pending go-live is not shown
as on time, a closed cohort says nothing more, and a channel that refuses the post still welcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.chat.model import MessageRef
from bot.chat.port import ChatError
from handlers.training import attendance, lifecycle, nesting, reminders, store
from handlers.training.intake import check_cohort
from handlers.training.plan import parse_plan
from handlers.training.schedule import move
from handlers.training.status_views import go_live_line
from storage import claims
from tests.conftest import ROOT
from tests.unit.test_training_lifecycle import NOW, _draft
from tests.unit.test_training_moves_and_claims import _made

PLANS = ROOT / "examples" / "training"


def _values(**given: str) -> dict[str, str]:
    values = {
        "name": "manila-dec", "vendor": "northwind", "site": "manila", "queues": "", "plan": "new-labeler",
        "start": "2026-12-02", "target": "2027-01-29", "trainers": "U0TRAINER1", "labelers": "U0LABEL01",
    }  # fmt: skip
    return {**values, **given}


def _manila_queue(workspace) -> str:  # noqa: ANN001
    return next(q.id for q in workspace.queues if q.vendor == "northwind" and q.site in (None, "manila"))


async def test_summaries_end_a_week_after_the_later_of_target_and_scheduled_go_live(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    cohort = await lifecycle.load(services, cid)
    site = workspace.site("lisbon")
    # Target 31 Dec; the last nesting day Fri 11 Dec, go-live Mon 14 Dec: the target is later.
    assert lifecycle.summaries_end(cohort, site) == date(2026, 12, 31) + timedelta(days=7)
    early = cohort.__class__(**{**cohort.__dict__, "target": date(2026, 12, 4)})
    assert lifecycle.summaries_end(early, site) == date(2026, 12, 14) + timedelta(days=7)


async def test_a_move_keeps_a_trainers_marks_and_drops_only_early_check_ins(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    cohort = await lifecycle.load(services, cid)
    await attendance.mark(db, cid, "policy-basics-1", "U0LABEL01", "excused", "U0TRAINER1", NOW)
    await attendance.check_in(db, cid, "process-1", "U0LABEL01", NOW)
    moved = move(cohort.layout(workspace.site("lisbon")), "process-1", datetime(2026, 12, 3, 9, 0))
    assert "policy-basics-1" in moved.changed
    await lifecycle.apply_move(services, "training-move:a", cohort, moved)
    kept = {(m.session_id, m.status) for m in await attendance.marks(db, cid)}
    assert kept == {("policy-basics-1", "excused")}


def test_a_first_session_already_past_at_the_site_is_refused_on_start(workspace) -> None:
    queue = _manila_queue(workspace)
    # Wed 2 Dec 17:00 UTC is Thu 3 Dec 01:00 in Manila: a start of 2 Dec lays sessions in its past.
    late = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    found = check_cohort(_values(queues=queue), workspace, PLANS, date(2026, 12, 2), now=late)
    assert isinstance(found, dict) and "passed there" in found["start"]
    # The same day at 07:00 Manila (Tue 1 Dec 23:00 UTC) is before the 08:00 opening: accepted.
    early = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert not isinstance(
        check_cohort(_values(queues=queue), workspace, PLANS, date(2026, 12, 2), now=early), dict
    )


def test_a_name_of_digits_only_is_refused(workspace) -> None:
    found = check_cohort(
        _values(name="2026", queues=_manila_queue(workspace)), workspace, PLANS, date(2026, 12, 1)
    )
    assert isinstance(found, dict) and "only digits" in found["name"]


def test_a_nesting_target_of_zero_is_a_target(workspace) -> None:
    plan = parse_plan(
        "name: Zero\nmodules:\n  - {id: nest, title: Nesting, kind: nesting, days: 1, quality_target: 0}\n",
        "z.yml",
    )
    cohort = lifecycle._shape(  # noqa: SLF001 - the draft as a cohort is what is asked about
        store.CohortDraft(**{**_draft(workspace).__dict__, "plan": plan})
    )
    assert nesting.nesting_target(cohort) == 0


def test_a_go_live_waiting_on_labelers_after_the_sessions_is_not_shown_as_on_time() -> None:
    figures = {
        "days_late": 0, "labelers": 3, "ready": 1, "as_of": "2026-12-14", "projected_go_live": "2026-12-14",
        "target": "2026-12-31",
    }  # fmt: skip
    assert "Go-live pending" in go_live_line(figures).plain and "2 of 3" in go_live_line(figures).plain
    on_time = {**figures, "as_of": "2026-12-10"}
    assert go_live_line(on_time).plain.startswith("✅")


async def test_a_closed_cohort_says_nothing_more(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    assert await store.close(db, cid) and not await store.close(db, cid)
    payload = {"cohort": cid, "session": "welcome-1", "sequence": 0, "lead": 15}
    taken = claims.Taken(f"training-remind:{cid}:welcome-1:0:15", True, payload=payload)
    assert await reminders.run_remind(services, taken) == "stale"
    assert [r.name for r in await store.listing(db)] == []


class _RefusingChannel:
    """A channel the bot is not in: posts fail as Slack says; DMs go through."""

    def __init__(self) -> None:
        self.dms: list[str] = []

    async def post(self, channel, message, *, key=None, look_first=False):  # noqa: ANN001, ANN201
        raise ChatError("not_in_channel", "invite the bot to the channel")

    async def dm(self, user, message, *, key=None, look_first=False):  # noqa: ANN001, ANN201
        self.dms.append(user)
        return MessageRef(f"D-{user}", f"{len(self.dms)}.0")


async def test_a_channel_that_refuses_the_post_still_welcomes_everyone(db, workspace) -> None:
    services, cid = await _made(db, workspace)
    services.port = _RefusingChannel()
    taken = claims.Taken(f"training-welcome:{cid}", True, payload={"cohort": cid, "notes": []})
    assert await reminders.run_welcome(services, taken) == "welcomed 2"
    # The creator (the trainer) hears why the post is missing, and both members are welcomed.
    assert sorted(services.port.dms) == ["U0LABEL01", "U0TRAINER1", "U0TRAINER1"]
