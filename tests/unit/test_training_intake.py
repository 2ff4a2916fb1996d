"""A new cohort checked from form values, and the plan templates it picks from (the import CSV is in
test_training_intake_csv.py).

The calendar facts the expected days rest on (2026, Portugal, Lisbon works 09:00-17:30, 8h30 a day):
Tue 1 Dec is Restoration of Independence, Tue 8 Dec Immaculate Conception, Fri 25 Dec Christmas Day;
24 and 31 Dec are ordinary working days there. examples/training/new-labeler.yml is 2h + 3h + 3h of
sessions (8h, one day), then 4h + 3h + 1h (8h, the next working day), then 5 nesting days.
"""

from datetime import date
from pathlib import Path

import pytest

from bot.workspace import Person, Workspace
from handlers.quiz.assign import Target
from handlers.training.intake import NewCohort, check_cohort, day_name, targets
from handlers.training.plan import Plan, PlanError
from handlers.training.plans import available_plans, plan_by_id
from tests.unit.training_intake_fixtures import PLANS, TODAY
from tests.unit.training_intake_fixtures import teams as teams  # a fixture
from tests.unit.training_intake_fixtures import ws as ws  # a fixture


def _values(**changed: str) -> dict[str, str]:
    values = {
        "name": "lisbon-dec",
        "vendor": "northwind",
        "site": "lisbon",
        "queues": "hate-en",
        "plan": "new-labeler",
        "start": "2026-12-07",
        "target": "2026-12-31",
        "trainers": "U0TRAINER1",
        "labelers": "U0LABEL01 U0LABEL02",
    }
    return values | changed


def _cohort(ws: Workspace, **changed: str) -> NewCohort:
    found = check_cohort(_values(**changed), ws, PLANS, TODAY)
    assert isinstance(found, NewCohort), found
    return found


def _problems(ws: Workspace, **changed: str) -> dict[str, str]:
    found = check_cohort(_values(**changed), ws, PLANS, TODAY)
    assert isinstance(found, dict), found
    return found


def _days(cohort: NewCohort) -> dict[str, date]:
    return {s.id: s.day for s in cohort.layout.sessions}


# ----- the form's values -----


def test_a_cohort_that_fits_skips_immaculate_conception(ws: Workspace) -> None:
    cohort = _cohort(ws)
    assert (cohort.name, cohort.vendor, cohort.site, cohort.queues) == (
        "lisbon-dec",
        "northwind",
        "lisbon",
        ("hate-en",),
    )
    assert cohort.plan_id == "new-labeler" and cohort.plan.name == "New labeler onboarding"
    assert cohort.trainers == (Target("user", "U0TRAINER1"),)
    assert cohort.labelers == (Target("user", "U0LABEL01"), Target("user", "U0LABEL02"))
    assert cohort.labeler_ids == {} and cohort.notes == ()
    # Mon 7: the first 8h; Tue 8 is a holiday; Wed 9: the next 8h; nesting Thu 10, Fri 11, Mon 14-Wed 16.
    days = _days(cohort)
    assert days["policy-basics-1"] == date(2026, 12, 7)
    assert days["policy-reading-1"] == days["spam-check-1"] == date(2026, 12, 9)
    nesting = [d for s, d in days.items() if s.startswith("nesting-")]
    assert nesting == [date(2026, 12, d) for d in (10, 11, 14, 15, 16)]
    assert cohort.layout.go_live == date(2026, 12, 17)


def test_a_plan_that_cannot_fit_is_said_on_the_target(ws: Workspace) -> None:
    # Mon 21 and Tue 22 Dec take the sessions; nesting Wed 23, Thu 24, (Fri 25 is Christmas Day, the
    # weekend) Mon 28, Tue 29, Wed 30; go-live Thu 31 Dec. After the target Mon 28: 29, 30, 31 = 3 days.
    problems = _problems(ws, start="2026-12-21", target="2026-12-28")
    assert problems == {
        "target": "The plan needs until Thu 31 Dec 2026, 3 working days after the target Mon 28 Dec 2026: "
        "move the target or shorten the plan."
    }
    fits = _cohort(ws, start="2026-12-21", target="2026-12-31")
    assert fits.layout.go_live == date(2026, 12, 31)
    assert date(2026, 12, 25) not in _days(fits).values()


def test_one_working_day_over_is_said_in_the_singular(ws: Workspace) -> None:
    # Starting Mon 7 Dec the go-live is Thu 17 Dec (see the first test); a target of Wed 16 is 1 day short.
    assert "1 working day after the target Wed 16 Dec 2026" in _problems(ws, target="2026-12-16")["target"]


def test_a_start_on_a_holiday_says_when_the_plan_starts(ws: Workspace) -> None:
    cohort = _cohort(ws, start="2026-12-08")
    assert cohort.notes == (
        "Starts Wed 9 Dec 2026: Tue 8 Dec 2026 is Immaculate Conception, a public holiday in PT at lisbon.",
    )
    assert cohort.layout.sessions[0].day == date(2026, 12, 9)
    assert cohort.start == date(2026, 12, 8)


def test_a_start_on_a_weekend_says_when_the_plan_starts(ws: Workspace) -> None:
    assert _cohort(ws, start="2026-12-05").notes == (
        "Starts Mon 7 Dec 2026: Sat 5 Dec 2026 is a Saturday at lisbon.",
    )


def test_every_missing_field_is_said_at_once(ws: Workspace) -> None:
    problems = check_cohort({}, ws, PLANS, TODAY)
    assert isinstance(problems, dict)
    assert set(problems) == {
        "name",
        "vendor",
        "site",
        "queues",
        "plan",
        "start",
        "target",
        "trainers",
        "labelers",
    }
    assert problems["vendor"] == "Pick a vendor (northwind, bluebird)."
    assert problems["plan"] == "Pick a training plan (new-labeler)."
    assert problems["start"] == "Give the first day of training, like 2026-12-07 (YYYY-MM-DD)."


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (
            "Lisbon Dec!",
            "“Lisbon Dec!” is not a name like lisbon-dec: use lower-case letters, digits, - and _: "
            "try lisbon-dec.",
        ),
        ("-dec", "“-dec” is not a name like lisbon-dec"),
        ("x" * 61, "Keep the name to 60 characters (it has 61)."),
    ],
)
def test_the_name_is_a_short_slug(ws: Workspace, name: str, said: str) -> None:
    assert _problems(ws, name=name)["name"].startswith(said)


def test_a_name_in_capitals_is_read_lower_case(ws: Workspace) -> None:
    assert _cohort(ws, name=" Lisbon-Dec ").name == "lisbon-dec"


def test_vendor_site_and_queues_must_belong_together(ws: Workspace) -> None:
    assert (
        _problems(ws, vendor="acme")["vendor"]
        == "There is no vendor “acme” in the workspace file (vendors: northwind, bluebird)."
    )
    assert (
        _problems(ws, site="nairobi")["site"]
        == "northwind does not work at nairobi (its sites: lisbon, manila)."
    )
    assert (
        _problems(ws, site="porto")["site"]
        == "There is no site “porto” in the workspace file (sites: lisbon, manila, nairobi)."
    )
    # spam-pt is Northwind's, but worked at Manila; graphic-img is Bluebird's; nope does not exist.
    said = _problems(ws, queues="hate-en, spam-pt; graphic-img nope")["queues"]
    assert said == (
        "There is no queue nope in the workspace file; spam-pt is worked at manila, not lisbon; "
        "graphic-img is bluebird's queue, not northwind's (queues of northwind at lisbon: hate-en)."
    )
    assert _cohort(ws, site="manila", queues="spam-pt").queues == ("spam-pt",)


def test_a_workspace_without_sites_says_to_add_them(ws: Workspace) -> None:
    bare = ws.model_copy(update={"sites": []})
    assert "lists no sites: add a sites: section" in _problems(bare)["site"]


def test_days_must_be_calendar_days_from_today_with_the_target_after_the_start(ws: Workspace) -> None:
    assert (
        _problems(ws, start="7/12/2026")["start"] == "“7/12/2026” is not a day like 2026-12-07 (YYYY-MM-DD)."
    )
    assert _problems(ws, target="2026-02-30")["target"] == "“2026-02-30” is not a day of the calendar."
    assert (
        _problems(ws, start="2026-11-29")["start"]
        == "2026-11-29 has passed: start today (2026-11-30) or later."
    )
    assert (
        _problems(ws, target="2026-12-07")["target"]
        == "The target go-live day must come after the start (2026-12-07)."
    )
    assert _cohort(ws, start="2026-11-30", target="2026-12-31").start == TODAY


def test_an_unknown_plan_names_the_plans_there_are(ws: Workspace) -> None:
    assert (
        _problems(ws, plan="veteran")["plan"] == "There is no training plan “veteran” (plans: new-labeler)."
    )


def test_people_channels_and_groups_are_read_and_unknown_words_named(ws: Workspace) -> None:
    cohort = _cohort(
        ws,
        trainers="<@U0TRAINER1|tara>, Quinn Lead",
        labelers="#vendor-northwind group:policy-owners and Lee Labeler",
    )
    assert cohort.trainers == (Target("user", "U0TRAINER1"), Target("user", "U0QALEAD1"))
    assert cohort.labelers == (
        Target("channel", "C0NWIND01"),
        Target("group", "group:policy-owners"),
        Target("user", "U0LABEL01"),
    )
    said = _problems(ws, labelers="U0LABEL01 somebody group:nobody")["labelers"]
    assert said.startswith("I don't know whom somebody, group:nobody means:")
    assert (
        _problems(ws, trainers="  ")["trainers"]
        == "Name at least one trainer: a person, a channel or a group."
    )


def test_teams_ids_and_names(teams: Workspace) -> None:
    values = _values(
        trainers="3C0F6E2A-7B41-4D8E-9A15-0000000A0002",
        labelers="Lee Labeler Kai Labeler 19:2b3c4d5e6f708192a3b4c5d6e7f80912@thread.tacv2",
    )
    cohort = check_cohort(values, teams, PLANS, TODAY)
    assert isinstance(cohort, NewCohort), cohort
    assert cohort.trainers == (Target("user", "3c0f6e2a-7b41-4d8e-9a15-0000000a0002"),)
    assert cohort.labelers == (
        Target("user", "3c0f6e2a-7b41-4d8e-9a15-0000000c0001"),
        Target("user", "3c0f6e2a-7b41-4d8e-9a15-0000000c0002"),
        Target("channel", "19:2b3c4d5e6f708192a3b4c5d6e7f80912@thread.tacv2"),
    )
    assert "U0LABEL01" in check_cohort(_values(labelers="U0LABEL01"), teams, PLANS, TODAY)["labelers"]


def test_the_longest_listed_name_is_read_first(ws: Workspace) -> None:
    """Slack too (spreadsheets have names); a one-word name does not cut a longer one short."""
    wider = ws.model_copy(update={"people": [*ws.people, Person(id="U0LEE0001", name="Lee")]})
    found, unknown = targets("Lee Labeler and @Lee; Lee Labeler nobody", wider)
    assert found == [Target("user", "U0LABEL01"), Target("user", "U0LEE0001")]
    assert unknown == ["nobody"]


def test_a_multi_select_given_as_a_list(ws: Workspace) -> None:
    values: dict[str, object] = {**_values(), "labelers": ["U0LABEL01", "U0LABEL02"], "queues": ("hate-en",)}
    cohort = check_cohort(values, ws, PLANS, TODAY)
    assert isinstance(cohort, NewCohort), cohort
    assert cohort.labelers == (Target("user", "U0LABEL01"), Target("user", "U0LABEL02"))


def test_day_name_spells_the_weekday() -> None:
    assert day_name(date(2026, 12, 8)) == "Tue 8 Dec 2026"


# ----- the plan templates -----

GOOD = "name: Short\nmodules:\n  - {id: intro, title: Intro, kind: classroom, duration: 2}\n"


def test_plans_by_file_stem_with_broken_files_reported(tmp_path: Path) -> None:
    (tmp_path / "short.yml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text("name: Broken\nmodules: []\n")
    (tmp_path / "Bad Name.yml").write_text(GOOD)
    (tmp_path / "notes.txt").write_text("not a plan")
    plans = available_plans(tmp_path)
    assert list(plans) == ["Bad Name", "broken", "short"]
    assert isinstance(plans["short"], Plan) and plans["short"].name == "Short"
    assert isinstance(plans["broken"], PlanError) and "modules" in str(plans["broken"])
    assert "the file name is the plan's id" in str(plans["Bad Name"])
    assert available_plans(tmp_path / "missing") == {}


def test_plan_by_id_names_the_known_plans(tmp_path: Path) -> None:
    (tmp_path / "short.yml").write_text(GOOD)
    (tmp_path / "broken.yml").write_text("name: Broken\n")
    assert plan_by_id(tmp_path, "short").name == "Short"
    with pytest.raises(PlanError, match=r"there is no training plan 'long' \(plans: short\)"):
        plan_by_id(tmp_path, "long")
    with pytest.raises(PlanError, match="modules"):
        plan_by_id(tmp_path, "broken")
    with pytest.raises(PlanError, match="none yet: add plan files"):
        plan_by_id(tmp_path / "empty", "short")


def test_plans_are_read_again_only_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "short.yml"
    path.write_text(GOOD)
    first = plan_by_id(tmp_path, "short")
    assert plan_by_id(tmp_path, "short") is first  # unchanged: the cached plan itself
    path.write_text(GOOD.replace("Short", "Shorter"))
    assert plan_by_id(tmp_path, "short").name == "Shorter"  # the size changed: read again


def test_a_broken_plan_is_said_on_the_plan_field(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("name: Broken\nmodules: []\n")
    found = check_cohort(_values(plan="broken"), ws, tmp_path, TODAY)
    assert isinstance(found, dict) and found["plan"].startswith("The plan file of broken cannot be used:")
