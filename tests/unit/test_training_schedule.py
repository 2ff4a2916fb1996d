"""Plans on a site's calendar: working days, public holidays, working hours, fitting the target, moves.

Every expected date below was checked by hand against the 2026 calendars: Portugal's Restoration of
Independence (Tue 1 Dec) and Immaculate Conception (Tue 8 Dec); the Philippines' Rizal Day (Wed 30 Dec),
New Year's Eve (Thu 31 Dec, a special non-working day) and New Year's Day (Fri 1 Jan 2027).
"""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.workspace import WorkspaceError, parse_workspace
from bot.workspace_training import Site
from handlers.training.plan import parse_plan
from handlers.training.schedule import ScheduleError, lay_out, move

LISBON = Site(id="lisbon", timezone="Europe/Lisbon", country="PT", hours="09:00-17:30")
MANILA = Site(id="manila", timezone="Asia/Manila", country="PH", hours="08:00-16:30")

PLAN = parse_plan(
    """\
name: Holiday check
modules:
  - {id: process, title: Process, kind: classroom, duration: 8.5}
  - {id: policy, title: Policy, kind: virtual, duration: 3}
  - {id: check, title: Check, kind: knowledge_check, duration: 1, quiz: spam-basics}
  - {id: nesting, title: Nesting, kind: nesting, days: 2, quality_target: 0.9}
""",
    "plan.yml",
)


def _at(site: Site, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(site.timezone))


def _times(layout) -> dict[str, tuple[datetime, datetime]]:  # noqa: ANN001
    return {s.id: (s.start, s.end) for s in layout.sessions}


def test_portugal_skips_immaculate_conception() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 18))
    assert LISBON.holiday(date(2026, 12, 8)) == "Immaculate Conception"
    assert _times(layout) == {
        "process-1": (_at(LISBON, 2026, 12, 7, 9), _at(LISBON, 2026, 12, 7, 17, 30)),
        "policy-1": (_at(LISBON, 2026, 12, 9, 9), _at(LISBON, 2026, 12, 9, 12)),
        "check-1": (_at(LISBON, 2026, 12, 9, 12), _at(LISBON, 2026, 12, 9, 13)),
        "nesting-1": (_at(LISBON, 2026, 12, 10, 9), _at(LISBON, 2026, 12, 10, 17, 30)),
        "nesting-2": (_at(LISBON, 2026, 12, 11, 9), _at(LISBON, 2026, 12, 11, 17, 30)),
    }
    assert layout.go_live == date(2026, 12, 14)
    assert layout.fits and layout.days_over == 0
    assert layout.sessions[0].start.utcoffset() == timedelta(0)  # Lisbon in winter


def test_philippines_skips_rizal_day_and_the_new_year() -> None:
    layout = lay_out(PLAN, MANILA, date(2026, 12, 29), date(2027, 1, 15))
    assert MANILA.holiday(date(2026, 12, 30)) == "Rizal Day"
    assert [s.day for s in layout.sessions] == [
        date(2026, 12, 29),
        date(2027, 1, 4),
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 6),
    ]
    assert layout.session("policy-1").start == _at(MANILA, 2027, 1, 4, 8)
    assert layout.session("policy-1").start.utcoffset() == timedelta(hours=8)
    assert layout.go_live == date(2027, 1, 7)


def test_a_start_on_a_weekend_or_holiday_begins_the_next_working_day() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 11, 28), date(2026, 12, 31))  # a Saturday
    assert layout.sessions[0].day == date(2026, 11, 30)
    assert layout.session("policy-1").day == date(2026, 12, 2)  # Tue 1 Dec is a holiday in Portugal


def test_a_plan_that_cannot_fit_says_by_how_many_working_days() -> None:
    # Goes live Mon 14 Dec: Thu 10, Fri 11 and Mon 14 are working days after a Wednesday target.
    late = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 9))
    assert not late.fits and late.days_over == 3
    assert lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 12)).days_over == 1  # a Saturday target
    exact = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 14))
    assert exact.fits and exact.days_over == 0
    # The holiday between target and go-live is not counted as a day over.
    short = parse_plan("name: s\nmodules:\n  - {id: a, title: A, kind: classroom, duration: 2}\n", "s.yml")
    over_holiday = lay_out(short, LISBON, date(2026, 12, 7), date(2026, 12, 7))
    assert over_holiday.go_live == date(2026, 12, 9) and over_holiday.days_over == 1


def test_a_module_that_does_not_fit_the_day_starts_the_next_and_long_ones_split() -> None:
    plan = parse_plan(
        """\
name: Packing
modules:
  - {id: a, title: A, kind: classroom, duration: 6}
  - {id: b, title: B, kind: classroom, duration: 3}
  - {id: long, title: Long, kind: self_study, duration: 20}
  - {id: c, title: C, kind: virtual, duration: 2}
  - {id: nest, title: Nest, kind: nesting, days: 1, quality_target: 0.8}
""",
        "p.yml",
    )
    layout = lay_out(plan, LISBON, date(2026, 11, 16), date(2026, 12, 31))
    assert _times(layout) == {
        "a-1": (_at(LISBON, 2026, 11, 16, 9), _at(LISBON, 2026, 11, 16, 15)),
        "b-1": (_at(LISBON, 2026, 11, 17, 9), _at(LISBON, 2026, 11, 17, 12)),
        "long-1": (_at(LISBON, 2026, 11, 18, 9), _at(LISBON, 2026, 11, 18, 17, 30)),
        "long-2": (_at(LISBON, 2026, 11, 19, 9), _at(LISBON, 2026, 11, 19, 17, 30)),
        "long-3": (_at(LISBON, 2026, 11, 20, 9), _at(LISBON, 2026, 11, 20, 12)),
        "c-1": (_at(LISBON, 2026, 11, 20, 12), _at(LISBON, 2026, 11, 20, 14)),
        "nest-1": (_at(LISBON, 2026, 11, 23, 9), _at(LISBON, 2026, 11, 23, 17, 30)),
    }
    assert [s.parts for s in layout.sessions if s.module_id == "long"] == [3, 3, 3]


def test_sessions_keep_local_hours_across_a_clock_change() -> None:
    plan = parse_plan("name: d\nmodules:\n  - {id: a, title: A, kind: classroom, duration: 17}\n", "d.yml")
    layout = lay_out(plan, LISBON, date(2026, 10, 23), date(2026, 12, 31))  # summer time ends Sun 25 Oct
    first, second = layout.sessions
    assert (first.start.hour, first.start.utcoffset()) == (9, timedelta(hours=1))
    assert (second.day, second.start.hour, second.start.utcoffset()) == (date(2026, 10, 26), 9, timedelta(0))


def test_moving_a_session_shifts_the_rest_and_names_exactly_those_changed() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 14))
    moved = move(layout, "policy-1", _at(LISBON, 2026, 12, 9, 14))
    assert moved.changed == ("policy-1", "check-1", "nesting-1", "nesting-2")
    assert _times(moved) == {
        "process-1": _times(layout)["process-1"],
        "policy-1": (_at(LISBON, 2026, 12, 9, 14), _at(LISBON, 2026, 12, 9, 17)),
        "check-1": (
            _at(LISBON, 2026, 12, 10, 9),
            _at(LISBON, 2026, 12, 10, 10),
        ),  # 17:00-18:00 is past closing
        "nesting-1": (_at(LISBON, 2026, 12, 11, 9), _at(LISBON, 2026, 12, 11, 17, 30)),
        "nesting-2": (_at(LISBON, 2026, 12, 14, 9), _at(LISBON, 2026, 12, 14, 17, 30)),
    }
    assert [s.sequence for s in moved.sessions] == [0, 1, 1, 1, 1]
    assert moved.go_live == date(2026, 12, 15) and moved.days_over == 1


def test_a_move_that_leaves_later_sessions_in_place_reports_only_itself() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 14))
    later_same_day = move(layout, "check-1", _at(LISBON, 2026, 12, 9, 15))
    assert later_same_day.changed == ("check-1",)
    assert later_same_day.session("nesting-1") == layout.session("nesting-1")
    last = move(layout, "nesting-2", datetime(2026, 12, 14, 11, 0))  # no zone: the site's; nesting: whole day
    assert last.changed == ("nesting-2",)
    assert last.session("nesting-2").start == _at(LISBON, 2026, 12, 14, 9)
    assert move(layout, "check-1", layout.session("check-1").start).changed == ()


def test_moving_back_restores_the_times_and_sequence_keeps_counting() -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 14))
    away = move(layout, "policy-1", _at(LISBON, 2026, 12, 10, 9))
    back = move(
        away, "policy-1", datetime(2026, 12, 9, 9, tzinfo=ZoneInfo("UTC"))
    )  # 09:00 UTC = 09:00 Lisbon
    assert _times(back) == _times(layout)
    assert [s.sequence for s in back.sessions] == [0, 2, 2, 2, 2]


@pytest.mark.parametrize(
    ("session", "when", "message"),
    [
        (
            "policy-1",
            (2026, 12, 8, 9),
            "Tue 08 Dec 2026 is not a working day at lisbon: Immaculate Conception",
        ),
        ("policy-1", (2026, 12, 12, 9), "Sat 12 Dec 2026 is not a working day at lisbon: a weekend"),
        ("policy-1", (2026, 12, 9, 15), "does not fit in lisbon's working hours 09:00-17:30"),
        ("policy-1", (2026, 12, 9, 8), "does not fit in lisbon's working hours"),
        ("check-1", (2026, 12, 7, 10), "check-1 cannot start before policy-1 ends"),
        ("lunch-1", (2026, 12, 9, 9), "there is no session 'lunch-1' in this cohort (sessions: process-1,"),
    ],
)
def test_moves_the_calendar_cannot_take_say_why(session: str, when: tuple[int, ...], message: str) -> None:
    layout = lay_out(PLAN, LISBON, date(2026, 12, 7), date(2026, 12, 14))
    with pytest.raises(ScheduleError) as caught:
        move(layout, session, _at(LISBON, *when))
    assert message in str(caught.value)


SITES_WORKSPACE = """\
timezone: Europe/Dublin
admins: [U0ADMIN1]
sites:
  - {id: s1, timezone: Asia/Manila, country: ph}
vendors:
  - {id: acme, name: Acme, channel: C0ACME001, sites: [s1]}
queues:
  - id: q1
    name: Queue one
    vendor: acme
    site: s1
    targets: {daily_output: 100, sla_seconds: 3600, quality: 0.9, aht_seconds: 30}
"""


def test_workspace_sites_are_looked_up_and_checked() -> None:
    ws = parse_workspace(SITES_WORKSPACE, Path("w.yml"))
    site = ws.site("s1")
    assert (
        site is not None and site.country == "PH" and site.hours == "09:00-17:00" and site.day_minutes == 480
    )
    assert ws.site("elsewhere") is None
    with pytest.raises(WorkspaceError, match=r"queues\[0\].site 'q-site' is not one of the sites \['s1'\]"):
        parse_workspace(SITES_WORKSPACE.replace("site: s1", "site: q-site"), Path("w.yml"))
    with pytest.raises(WorkspaceError, match=r"vendors\[0\].sites \['s2'\] are not among the sites"):
        parse_workspace(SITES_WORKSPACE.replace("sites: [s1]", "sites: [s1, s2]"), Path("w.yml"))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{id: s1, timezone: Asia/Manilla, country: PH}",
            "line 4, column 24: sites[0].timezone: unknown timezone",
        ),
        ("{id: s1, timezone: Asia/Manila, country: ZZ}", "sites[0].country: 'ZZ' is not a country"),
        (
            "{id: s1, timezone: Asia/Manila, country: PH, hours: 17-9}",
            "sites[0].hours: '17-9' is not working hours",
        ),
        ("{id: s1, timezone: Asia/Manila, country: PH, hours: '17:00-09:00'}", "must close after they open"),
    ],
)
def test_bad_sites_name_key_and_line(entry: str, message: str) -> None:
    text = SITES_WORKSPACE.replace("{id: s1, timezone: Asia/Manila, country: ph}", entry)
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(text, Path("w.yml"))
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_example_workspaces_list_the_vendor_sites(workspace) -> None:  # noqa: ANN001
    assert {s.id: s.country for s in workspace.sites} == {"lisbon": "PT", "manila": "PH", "nairobi": "KE"}
    assert all(workspace.site(q.site) for q in workspace.queues)
