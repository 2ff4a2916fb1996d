"""The daily draw stored: once per queue and day, reproducible, nesting labelers owed more, and the
switching rules moved on by the audits that come back (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from handlers.sampling import store
from handlers.sampling.cli import register
from handlers.sampling.daily import draw_day, nesting_labelers
from handlers.sampling.draw import DrawRule, draw
from handlers.sampling.plans import single_plan
from handlers.sampling.switching import SwitchState
from storage.migrate import run_on_database
from storage.models import SamplingDraw, SamplingDrawnItem, TrainingCohort, TrainingMember, TrainingSession
from tests.unit.cli_fixtures import tsqa_app, tsqa_env
from tests.unit.sampling_fixtures import LABELERS, NOW, QUEUE, audit, csv_rows, day_table, drawn_keys, load
from tests.unit.sampling_fixtures import ws as ws  # a fixture: in this module's names, pytest finds it


async def return_audits(db, day: date, disagree: int, *, only: int | None = None) -> None:
    """QA audits the day's drawn decisions (the first `only` of them): the first `disagree` differ.
    Stands in for the audited file coming back through the ingest."""
    drawn = (await drawn_keys(db, day))[:only]
    await audit(db, {key: "remove" if index < disagree else "allow" for index, key in enumerate(drawn)})


async def test_a_draw_is_stored_once_per_queue_and_day(db) -> None:
    plan = single_plan(1000, 1.0)
    table = day_table(date(2026, 11, 19))
    first = draw(table, DrawRule(80, 2, 5, seed=1), set(), day=date(2026, 11, 19))
    other = draw(table, DrawRule(80, 2, 5, seed=2), set(), day=date(2026, 11, 19))
    assert first.picks != other.picks  # different seeds, different samples
    stored, won = await store.save_draw(db, "northwind", plan, first, NOW)
    again, won_again = await store.save_draw(db, "northwind", plan, other, NOW + timedelta(hours=1))
    assert (won, won_again) == (True, False)
    assert again.drawn.picks == first.picks == stored.drawn.picks
    assert again.drawn.labelers == first.labelers and again.drawn.notes == first.notes
    assert (again.sample_size, again.accept, again.reject, again.inspection) == (80, 2, 3, "normal")
    assert again.created_at == NOW
    async with db.transaction() as session:
        count = len((await session.scalars(select(SamplingDrawnItem))).all())
    assert count == 80


async def test_draw_day_uses_the_plan_for_the_lot_and_reuses_the_stored_draw(db, ws) -> None:
    day = date(2026, 11, 19)
    await load(db, day_table(day), day_table(day - timedelta(days=1), per_labeler=10))
    result = await draw_day(db, ws, QUEUE, day, NOW)
    stored = result.stored
    assert result.new and stored is not None
    # 1000 decisions at AQL 1.0, level II, normal: code letter J, sample 80, Ac 2, Re 3 (Table II-A)
    assert (stored.lot_size, stored.sample_size, stored.accept, stored.reject) == (1000, 80, 2, 3)
    assert stored.drawn.size == 80
    assert {p.labeler_id for p in stored.drawn.picks} == set(LABELERS)
    assert all(p.completed_at.startswith("2026-11-19") for p in stored.drawn.picks)  # that day only
    rows = csv_rows(result.csv())
    assert len(rows) == 80 and {r["qa_decision"] for r in rows} == {""}
    again = await draw_day(db, ws, QUEUE, day, NOW + timedelta(days=1))
    assert not again.new and again.csv() == result.csv()
    # the same data and seed in a fresh database draw the same sample (reproducible, not just stored)
    async with db.transaction() as session:
        await session.execute(SamplingDrawnItem.__table__.delete())
        await session.execute(SamplingDraw.__table__.delete())
    fresh = await draw_day(db, ws, QUEUE, day, NOW)
    assert fresh.new and fresh.csv() == result.csv()


async def test_no_decisions_draws_nothing_and_says_so(db, ws) -> None:
    result = await draw_day(db, ws, QUEUE, date(2026, 11, 19), NOW)
    assert result.stored is None and "no decisions on hate-en on 2026-11-19" in result.note
    assert await store.load_draw(db, QUEUE, date(2026, 11, 19)) is None


async def add_nesting(db, labeler: str, when: datetime, queues: str = '["hate-en"]') -> None:
    async with db.transaction() as session:
        cohort = TrainingCohort(
            name="c-1", created_key="k-1", vendor="northwind", site="lisbon", queues=queues, plan_name="p",
            plan="{}", start=date(2026, 11, 2), target=date(2026, 11, 30), channel=None,
            created_by="U0TRAINER1", created_at=NOW, status="active", moves=0,
        )  # fmt: skip
        session.add(cohort)
        await session.flush()
        session.add(
            TrainingSession(
                cohort_id=cohort.cohort_id,
                session_id="nest-1",
                position=0,
                module_id="nest",
                occurrence=1,
                parts=1,
                title="Nesting",
                kind="nesting",
                start_at=when,
                end_at=when + timedelta(hours=8),
                sequence=0,
            )  # fmt: skip
        )
        session.add(TrainingMember(cohort_id=cohort.cohort_id, user_id="U0LABEL01", role="labeler",
                                   labeler_id=labeler, added_at=NOW))  # fmt: skip
        session.add(TrainingMember(cohort_id=cohort.cohort_id, user_id="U0TRAINER1", role="trainer",
                                   labeler_id=None, added_at=NOW))  # fmt: skip


async def test_labelers_nesting_that_day_get_the_nesting_minimum(db, ws) -> None:
    day = date(2026, 11, 19)
    # Lisbon 09:00 on the 19th is 09:00 UTC: a nesting day for nr-3 on hate-en
    await add_nesting(db, "nr-3", datetime(2026, 11, 19, 9, tzinfo=UTC))
    assert await nesting_labelers(db, ws, QUEUE, day) == {"nr-3"}
    assert await nesting_labelers(db, ws, QUEUE, day + timedelta(days=1)) == set()
    assert await nesting_labelers(db, ws, "spam-pt", day) == set()
    await load(db, day_table(day))
    stored = (await draw_day(db, ws, QUEUE, day, NOW)).stored
    assert stored is not None
    counts = {who.labeler_id: who.drawn for who in stored.drawn.labelers}
    # 20 for nr-3, 2 for each other, 52 left of 80 spread over 180 + 4 x 198 remaining by share
    assert counts["nr-3"] >= 20 and all(counts[w] >= 2 for w in LABELERS)
    assert sum(counts.values()) == 80
    assert [w.nesting for w in stored.drawn.labelers] == [w == "nr-3" for w in sorted(LABELERS)]


async def test_returned_audits_switch_to_tightened_and_say_why(db, ws) -> None:
    days = [date(2026, 11, 2) + timedelta(days=i) for i in range(5)]
    await load(db, *(day_table(d) for d in days))
    clock = NOW
    # Normal, J: 80 drawn, Ac 2, Re 3. Lots: 3 nonconforming (not accepted), 0 (accepted), 3 (not accepted)
    for day, disagree in zip(days[:3], [3, 0, 3], strict=True):
        result = await draw_day(db, ws, QUEUE, day, clock)
        assert result.stored is not None and result.stored.inspection == "normal"
        await return_audits(db, day, disagree)
        clock += timedelta(days=1)
    fourth = await draw_day(db, ws, QUEUE, days[3], clock)
    assert fourth.stored is not None
    # the third lot makes it 2 not accepted of the last 3: tightened from the next draw (J: 80, Ac 1, Re 2)
    plan = fourth.stored
    assert (plan.inspection, plan.sample_size, plan.accept, plan.reject) == ("tightened", 80, 1, 2)
    lots = await store.lots(db, QUEUE)
    assert [(lot.day, lot.nonconforming, lot.accepted) for lot in lots] == [
        (days[0], 3, False), (days[1], 0, True), (days[2], 3, False),
    ]  # fmt: skip
    switched = [lot for lot in lots if lot.change]
    assert len(switched) == 1 and switched[0].day == days[2]
    change = switched[0].change
    assert (change.before, change.after, change.lot) == ("normal", "tightened", "2026-11-04")
    assert "2 of the last 3 lots were not accepted" in change.reason
    assert "2026-11-02, 2026-11-04" in change.reason
    state = await store.load_state(db, "northwind", QUEUE)
    assert state is not None and state.inspection == "tightened"
    # judging again changes nothing: each lot counts once
    again = await draw_day(db, ws, QUEUE, days[3], clock)
    assert again.judged.lots == () and len(await store.lots(db, QUEUE)) == 3


async def test_a_day_still_being_audited_holds_the_later_days(db, ws) -> None:
    days = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    await load(db, *(day_table(d) for d in days))
    await draw_day(db, ws, QUEUE, days[0], NOW)
    await draw_day(db, ws, QUEUE, days[1], NOW)
    await return_audits(db, days[0], 3, only=50)  # 50 of 80 back
    await return_audits(db, days[1], 3)  # all back, but after a day still open
    result = await draw_day(db, ws, QUEUE, days[2], NOW)
    assert result.judged.lots == ()
    assert result.judged.waiting is not None
    waiting_day, back = result.judged.waiting
    assert (waiting_day, back.drawn, back.audited, back.nonconforming) == (days[0], 80, 50, 3)
    await return_audits(db, days[0], 3)
    later = await draw_day(db, ws, QUEUE, days[2], NOW)
    assert [lot.day for lot in later.judged.lots] == days[:2]
    assert later.judged.lots[1].change is not None  # two lots not accepted of two: tightened


# ----- tsqa sampling draw -----


def cli_env(tmp_path: Path, name: str) -> dict[str, str]:
    """A database holding 1000 hate-en and 250 spam-pt decisions on 2026-11-19."""
    url = f"sqlite+aiosqlite:///{tmp_path / name}"
    day = date(2026, 11, 19)
    run_on_database(url, lambda db: load(db, day_table(day), day_table(day, per_labeler=50, queue="spam-pt")))
    return tsqa_env(url)


def cli(env: dict[str, str], *args: str):
    return CliRunner().invoke(tsqa_app(register), ["sampling", "draw", *args], env=env)


def test_the_cli_draw_is_stored_once_and_reproducible(tmp_path: Path) -> None:
    env = cli_env(tmp_path, "a.db")
    first = cli(env, "--date", "2026-11-19", "--out", str(tmp_path / "one"), "--json")
    assert first.exit_code == 0, first.output
    answers = {a["queue"]: a for a in json.loads(first.stdout)}
    assert set(answers) == {"hate-en", "spam-pt", "graphic-img"}
    hate = answers["hate-en"]
    assert hate["drawn_now"] and hate["draw"]["seed"] == 2859  # the workspace's default seed
    # 1000 at AQL 1.0 II normal: J, 80, Ac 2, Re 3. 250 spam-pt: letter G, whose AQL 1.0 cell is an
    # arrow down to H: 50, Ac 1, Re 2 (Table II-A by hand)
    keys = ("lot_size", "sample_size", "accept", "reject", "drawn")
    assert [hate["draw"][k] for k in keys] == [1000, 80, 2, 3, 80]
    assert [answers["spam-pt"]["draw"][k] for k in keys] == [250, 50, 1, 2, 50]
    assert answers["graphic-img"]["draw"] is None and "no decisions" in answers["graphic-img"]["note"]
    file = Path(hate["file"])
    assert file.name == "audit-sample-hate-en-2026-11-19.csv" and len(csv_rows(file.read_bytes())) == 80
    again = cli(env, "--date", "2026-11-19", "--queue", "hate-en", "--out", str(tmp_path / "two"))
    assert again.exit_code == 0, again.output
    assert "drawn before (the stored sample)" in again.stdout
    assert (tmp_path / "two" / file.name).read_bytes() == file.read_bytes()
    # another database with the same decisions and seed: the same sample
    other = cli(
        cli_env(tmp_path, "b.db"), "--date", "2026-11-19", "--queue", "hate-en", "--out", str(tmp_path / "3")
    )
    assert other.exit_code == 0, other.output
    assert (tmp_path / "3" / file.name).read_bytes() == file.read_bytes()


def test_the_cli_draw_refuses_a_bad_date_or_queue(tmp_path: Path) -> None:
    env = cli_env(tmp_path, "c.db")
    bad_day = cli(env, "--date", "19/11/2026")
    assert bad_day.exit_code == 2 and "is not a date like" in bad_day.output
    bad_queue = cli(env, "--date", "2026-11-19", "--queue", "nope")
    assert bad_queue.exit_code == 2 and "no queue 'nope'" in bad_queue.output


async def test_a_day_whose_audits_never_all_come_back_is_passed_over_after_two_weeks(db, ws) -> None:
    days = [date(2026, 11, 2), date(2026, 11, 3)]
    await load(db, *(day_table(d) for d in days))
    for day in days:  # drawn the next morning
        await draw_day(db, ws, QUEUE, day, datetime.combine(day + timedelta(days=1), time(6), UTC))
    await return_audits(db, days[0], 3, only=79)  # one never comes back
    await return_audits(db, days[1], 3)
    on_the_16th = await draw_day(db, ws, QUEUE, days[1], datetime(2026, 11, 16, 7, tzinfo=UTC))
    assert (
        on_the_16th.judged.lots == () and on_the_16th.judged.waiting is not None
    )  # 14 days: still waited for
    later = await draw_day(db, ws, QUEUE, days[1], datetime(2026, 11, 17, 7, tzinfo=UTC))
    skipped, judged = later.judged.lots
    assert (skipped.day, skipped.judged, skipped.accepted, skipped.change) == (days[0], False, False, None)
    assert (judged.day, judged.judged, judged.accepted) == (days[1], True, False)
    # only one lot counted as not accepted: normal inspection stays
    assert judged.change is None and later.judged.state.inspection == "normal"
    assert later.judged.state.recent == (("2026-11-03", False),)


def test_a_discontinued_inspection_resumes_on_tightened_from_the_cli(tmp_path: Path) -> None:
    env = cli_env(tmp_path, "d.db")
    never = cli(
        env, "--date", "2026-11-19", "--queue", "hate-en", "--out", str(tmp_path)
    )  # no lot judged yet
    assert never.exit_code == 0
    root = tsqa_app(register)

    def resume(queue: str):
        return CliRunner().invoke(root, ["sampling", "resume", "--queue", queue], env=env)

    assert resume("hate-en").exit_code == 2  # nothing judged: nothing to resume
    stopped = SwitchState(inspection="discontinued")
    run_on_database(env["DATABASE_URL"], lambda db: store.put_state(db, "northwind", QUEUE, stopped, NOW))
    done = resume("hate-en")
    assert done.exit_code == 0, done.output
    assert "discontinued → tightened: corrective action taken" in done.stdout
    state = run_on_database(env["DATABASE_URL"], lambda db: store.load_state(db, "northwind", QUEUE))
    assert state == SwitchState(inspection="tightened")
    again = resume("hate-en")
    assert again.exit_code == 2 and "not discontinued" in again.output


async def test_while_discontinued_audits_go_on_under_the_tightened_plan(db, ws) -> None:
    day = date(2026, 11, 19)
    await load(db, day_table(day))
    await store.put_state(db, "northwind", QUEUE, SwitchState(inspection="discontinued"), NOW)
    result = await draw_day(db, ws, QUEUE, day, NOW)
    assert result.stored is not None
    assert (result.stored.inspection, result.stored.accept, result.stored.reject) == ("tightened", 1, 2)
    assert "inspection is discontinued until corrective action" in result.note
