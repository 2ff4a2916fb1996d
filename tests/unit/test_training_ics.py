"""The cohort's calendar file: parses back, keeps UIDs across moves, bumps SEQUENCE, site-local times."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from handlers.training.ics import session_uid, to_ics
from handlers.training.plan import parse_plan
from handlers.training.schedule import Layout, lay_out, move
from tests.unit.test_training_schedule import LISBON, MANILA, PLAN

STAMP = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _parse(layout: Layout, cohort: str = "nw-lisbon-dec", **kwargs: object) -> Calendar:
    return Calendar.from_ical(to_ics(layout, cohort, stamp=STAMP, **kwargs))


def _by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(e.get("uid")): e for e in calendar.events}


def test_one_event_per_session_in_the_sites_zone() -> None:
    layout = lay_out(PLAN, MANILA, date(2026, 12, 29), date(2027, 1, 15))
    calendar = _parse(layout, "nw-manila-jan")
    assert str(calendar.get("method")) == "PUBLISH" and str(calendar.get("version")) == "2.0"
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Manila"]
    events = calendar.events
    assert [str(e.get("uid")) for e in events] == [f"nw-manila-jan-{s.id}@tsqa" for s in layout.sessions]
    for event, session in zip(events, layout.sessions, strict=True):
        assert event.get("dtstart").params["TZID"] == "Asia/Manila"
        assert event.start == session.start and event.end == session.end
        assert event.start.tzinfo == ZoneInfo("Asia/Manila")
        assert int(event.get("sequence")) == 0
        assert event.decoded("dtstamp") == STAMP
    assert b"DTSTART;TZID=Asia/Manila:20270104T080000" in to_ics(layout, "nw-manila-jan", stamp=STAMP)


def test_the_vtimezone_gives_the_same_offsets_as_the_site() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 10, 22), date(2026, 12, 31))  # across the end of summer time
    calendar = _parse(layout)
    (zone,) = calendar.timezones
    tz = zone.to_tz()
    for session in layout.sessions:
        local = session.start.replace(tzinfo=None)
        assert local.replace(tzinfo=tz).utcoffset() == session.start.utcoffset()
    offsets = {s.start.utcoffset() for s in layout.sessions}
    assert len(offsets) == 2  # the file really spans both offsets


def test_a_move_keeps_every_uid_and_raises_sequence_only_where_times_changed() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 14))
    before = _by_uid(_parse(layout))
    moved = move(layout, "check-1", datetime(2026, 12, 9, 15, tzinfo=ZoneInfo("Europe/Lisbon")))
    after = _by_uid(_parse(moved))
    assert list(after) == list(before)
    sequences = {uid: int(e.get("sequence")) for uid, e in after.items()}
    assert sequences == {uid: (1 if uid == "nw-lisbon-dec-check-1@tsqa" else 0) for uid in before}
    check = after["nw-lisbon-dec-check-1@tsqa"]
    assert check.start == datetime(2026, 12, 9, 15, tzinfo=ZoneInfo("Europe/Lisbon"))
    again = _by_uid(
        _parse(move(moved, "check-1", datetime(2026, 12, 9, 16, tzinfo=ZoneInfo("Europe/Lisbon"))))
    )
    assert int(again["nw-lisbon-dec-check-1@tsqa"].get("sequence")) == 2


def test_summaries_name_the_part_and_descriptions_stay_neutral() -> None:
    plan = parse_plan(
        "name: Onboarding\nmodules:\n  - {id: deep, title: Deep dive, kind: self_study, duration: 10}\n"
        "  - {id: nest, title: Nesting, kind: nesting, days: 2, quality_target: 0.9}\n",
        "p.yml",
    )
    calendar = _parse(
        lay_out(plan, LISBON, date(2026, 12, 14), date(2026, 12, 31)), cohort_name="Lisbon, December"
    )
    summaries = [str(e.get("summary")) for e in calendar.events]
    assert summaries == [
        "Deep dive (part 1 of 2)",
        "Deep dive (part 2 of 2)",
        "Nesting (day 1 of 2)",
        "Nesting (day 2 of 2)",
    ]
    description = str(calendar.events[2].get("description"))
    assert (
        description == "Nesting of the Onboarding plan for the Lisbon, December cohort, "
        "at the lisbon site (Europe/Lisbon)."
    )
    assert str(calendar.get("x-wr-calname")) == "Training: Lisbon, December"


def test_uids_stay_usable_whatever_the_cohort_is_called() -> None:
    assert session_uid("Lisbon Dec / 2026", "intro-1") == "Lisbon-Dec-2026-intro-1@tsqa"
    assert session_uid("nw-lisbon-dec", "nesting-3") == "nw-lisbon-dec-nesting-3@tsqa"
