"""`tsqa training …`: a cohort CSV imported once and all or nothing (every problem by line), the calendar
on stdout with one stable UID per session, the report's JSON equal to the status figures, the roster and
the plan templates. The clock is pinned so the example file's January 2027 dates stay in the future."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from icalendar import Calendar
from sqlalchemy import func, select
from typer.testing import CliRunner

import bot.cli
from bot.workspace import load_workspace
from handlers.training import cli, lifecycle, store, summary
from handlers.training.cohort import Cohort
from storage.engine import Database
from storage.migrate import run_on_database
from storage.models import Claim, TrainingCohort, TrainingMember, TrainingSession

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "examples" / "workspace.yml"
EXAMPLE = ROOT / "examples" / "training" / "cohorts.csv"
ROSTER = ROOT / "examples" / "training" / "roster.csv"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HEADER = "cohort,vendor,site,queues,plan,start,target,trainers,labeler,labeler_id\n"
LISBON = "lisbon-feb,northwind,lisbon,hate-en,new-labeler,2027-02-01,2027-02-26,U0TRAINER1,"

# By hand from examples/training/new-labeler.yml at a site with 8.5 working hours a day: the six
# sessions (2+3+3 hours, then 4+3+1) fill two days, then five nesting days: 11 sessions per cohort.
# Timers per cohort: reminders 1440 and 15 minutes before the 6 sessions and the first nesting day
# (2 x 7 = 14), 1 knowledge check, 5 roll calls (classroom, virtual, self-study), 1 welcome, 1 summary.
SESSIONS = 11
TIMERS = 14 + 1 + 5 + 1 + 1


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_now", lambda: NOW)


def tsqa(url: str, *args: str, workspace: Path = WORKSPACE) -> Result:
    env = {"DATABASE_URL": url, "TSQA_WORKSPACE": str(workspace)}
    return CliRunner().invoke(bot.cli.app, ["training", *args], env=env)


def csv_file(tmp_path: Path, text: str, name: str = "cohorts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def counts(url: str) -> dict[str, int]:
    """Rows per table, and training timers (claims) per cohort name."""

    async def count(db: Database) -> dict[str, int]:
        async with db.transaction() as session:
            found = {
                model.__tablename__: await session.scalar(select(func.count()).select_from(model)) or 0
                for model in (TrainingCohort, TrainingSession, TrainingMember)
            }
            for cohort_id, name in (
                await session.execute(select(TrainingCohort.cohort_id, TrainingCohort.name))
            ).all():
                found[name] = sum(
                    1
                    for key in await session.scalars(select(Claim.key).where(Claim.key.like("training-%")))
                    if key.split(":")[1] == str(cohort_id)
                )
        return found

    return run_on_database(url, count)


def cohort(url: str, name: str) -> Cohort:
    workspace = load_workspace(WORKSPACE)
    found = run_on_database(url, lambda db: store.find(db, name, lifecycle.zones(workspace)))
    assert found is not None
    return found


# ----- cohort import -----


def test_import_stores_cohorts_with_their_timers_and_a_second_import_makes_nothing(
    database_url: str,
) -> None:
    first = tsqa(database_url, "cohort", "import", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    assert "lisbon-jan: created (#" in first.output and "3 labelers" in first.output
    assert "nairobi-jan: created (#" in first.output and "2 labelers" in first.output
    assert "go-live Wed 20 Jan 2027 (fits, target Fri 29 Jan 2027)" in first.output
    assert "the bot sends them when it runs" in first.output
    stored = counts(database_url)
    # lisbon-jan: 1 trainer + 3 labelers; nairobi-jan: 1 trainer + 2 labelers
    assert (stored["training_cohorts"], stored["training_members"]) == (2, 4 + 3)
    assert stored["training_sessions"] == 2 * SESSIONS
    assert (stored["lisbon-jan"], stored["nairobi-jan"]) == (TIMERS, TIMERS)
    lisbon = cohort(database_url, "lisbon-jan")
    assert {m.user_id: m.labeler_id for m in lisbon.labelers} == {
        "U0LABEL01": "nw-1001",
        "U0LABEL03": "nw-1002",
        "U0LABEL04": None,
    }
    assert lisbon.trainers == ["U0TRAINER1"] and lisbon.channel is None

    again = tsqa(database_url, "cohort", "import", str(EXAMPLE))
    assert again.exit_code == 0, again.output
    assert "lisbon-jan: already imported" in again.output
    assert "0 cohort(s) created, 2 already imported" in again.output
    assert counts(database_url) == stored


def test_dry_run_says_what_it_would_make_and_stores_nothing(database_url: str) -> None:
    result = tsqa(database_url, "cohort", "import", str(EXAMPLE), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "lisbon-jan: would be created: 3 labelers" in result.output
    assert counts(database_url)["training_cohorts"] == 0


def test_a_bad_file_lists_every_problem_by_line_and_stores_nothing(database_url: str, tmp_path: Path) -> None:
    good = "good-one,northwind,lisbon,hate-en,new-labeler,2027-02-01,2027-02-26,U0TRAINER1,U0LABEL01,\n"
    bad = (
        "bad-one,acme,lisbon,hate-en,new-labeler,2027-02-01,2027-02-26,U0TRAINER1,U0LABEL02,\n"
        "bad-one,,,,,,,,Nobody Known,\n"
        "third,northwind,lisbon,hate-en,new-labeler,2027-02-31,2027-03-26,U0TRAINER1,U0LABEL03,\n"
    )
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, HEADER + good + bad)))
    assert result.exit_code == 1
    assert "3 problem(s), nothing imported" in result.output
    assert "line 3: vendor: There is no vendor “acme”" in result.output
    assert "line 4: labeler: I don't know whom “Nobody Known” means" in result.output
    assert "line 5: start: “2027-02-31” is not a day of the calendar." in result.output
    assert counts(database_url)["training_cohorts"] == 0  # good-one was fine, and is not stored either


def test_a_plan_that_cannot_fit_is_said_on_its_line(database_url: str, tmp_path: Path) -> None:
    # 2 days of sessions and 5 of nesting from Mon 1 Feb: go-live Wed 10 Feb, 3 working days after Fri 5 Feb.
    text = HEADER + "short,northwind,lisbon,hate-en,new-labeler,2027-02-01,2027-02-05,U0TRAINER1,U0LABEL01,\n"
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, text)))
    assert result.exit_code == 1
    assert (
        "line 2: target: The plan needs until Wed 10 Feb 2027, 3 working days after the target Fri 5 Feb 2027"
        in result.output
    )
    assert counts(database_url)["training_cohorts"] == 0


def test_a_channel_cannot_be_read_offline_and_is_a_problem_on_its_line(
    database_url: str, tmp_path: Path
) -> None:
    text = HEADER + LISBON + "U0LABEL01,\n" + "lisbon-feb,,,,,,,,#qa-ops,\n"
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, text)))
    assert result.exit_code == 1, result.output
    assert "line 3: labeler: a channel: the command line cannot read chat" in result.output
    assert counts(database_url)["training_cohorts"] == 0


def test_a_workspace_group_is_expanded_to_its_people(database_url: str, tmp_path: Path) -> None:
    text = HEADER + LISBON.replace("U0TRAINER1", "group:policy-owners") + "U0LABEL01,\n"
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert cohort(database_url, "lisbon-feb").trainers == ["U0QALEAD1"]  # the group's one member


def test_a_name_another_cohort_holds_stores_nothing_from_the_file(database_url: str, tmp_path: Path) -> None:
    assert tsqa(database_url, "cohort", "import", str(EXAMPLE)).exit_code == 0
    before = counts(database_url)
    text = HEADER + LISBON + "U0LABEL05,\n" + LISBON.replace("lisbon-feb", "lisbon-jan") + "U0LABEL06,\n"
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, text)))
    assert result.exit_code == 1, result.output
    assert "line 3: cohort: there is a cohort named lisbon-jan already" in result.output
    assert counts(database_url) == before  # lisbon-feb was fine, and is not stored either


# ----- calendar, report, roster -----


def test_calendar_prints_one_event_per_session_with_stable_uids(database_url: str) -> None:
    assert tsqa(database_url, "cohort", "import", str(EXAMPLE)).exit_code == 0
    lisbon = cohort(database_url, "lisbon-jan")
    result = tsqa(database_url, "calendar", "lisbon-jan")
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.stdout_bytes)
    events = calendar.walk("VEVENT")
    assert len(events) == SESSIONS
    assert [str(e["UID"]) for e in events] == [f"{lisbon.calendar_id}-{s.id}@tsqa" for s in lisbon.sessions]
    assert str(events[0]["UID"]).startswith(f"{lisbon.id}-") and str(events[0]["UID"]).endswith(
        "-welcome-1@tsqa"
    )
    first = events[0].decoded("DTSTART")
    assert (first.isoformat(), str(first.tzinfo)) == ("2027-01-11T09:00:00+00:00", "Europe/Lisbon")
    again = Calendar.from_ical(tsqa(database_url, "calendar", str(lisbon.id)).stdout_bytes)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in events]


def test_an_unknown_cohort_exits_1(database_url: str) -> None:
    for command in (
        ["calendar", "nope"],
        ["report", "nope", "--json"],
        ["roster", "import", "nope", str(ROSTER)],
    ):
        result = tsqa(database_url, *command)
        assert result.exit_code == 1, command
        assert "No training cohort 'nope'" in result.output


def test_report_json_is_the_status_figures(database_url: str) -> None:
    assert tsqa(database_url, "cohort", "import", str(EXAMPLE)).exit_code == 0
    result = tsqa(database_url, "report", "lisbon-jan", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    # Nothing has happened yet: three labelers, none ready, go-live as laid out.
    assert (figures["labelers"], figures["ready"], figures["projected_go_live"]) == (3, 0, "2027-01-20")
    workspace = load_workspace(WORKSPACE)
    lisbon = cohort(database_url, "lisbon-jan")
    site = workspace.site("lisbon")
    assert site is not None
    gathered = run_on_database(database_url, lambda db: summary.gather(db, workspace, lisbon, site, NOW))
    assert figures == json.loads(json.dumps(gathered.figures))

    table = tsqa(database_url, "report", "lisbon-jan")
    assert table.exit_code == 0, table.output
    assert (
        "0 of 3 labelers ready" in table.output and "projected go-live 2027-01-20 (on time)" in table.output
    )


def test_roster_import_sets_labeler_ids_and_a_stranger_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    assert tsqa(database_url, "cohort", "import", str(EXAMPLE)).exit_code == 0
    result = tsqa(database_url, "roster", "import", "lisbon-jan", str(ROSTER))
    assert result.exit_code == 0, result.output
    assert "labeler IDs set for 1 labeler(s) of cohort lisbon-jan" in result.output
    ids = {m.user_id: m.labeler_id for m in cohort(database_url, "lisbon-jan").labelers}
    assert ids["U0LABEL04"] == "nw-1003"

    stranger = csv_file(tmp_path, "user,labeler_id\nU0LABEL01,nw-9001\nU0LABEL05,nw-9002\n", "roster.csv")
    refused = tsqa(database_url, "roster", "import", "lisbon-jan", str(stranger))
    assert refused.exit_code == 1
    assert "user: U0LABEL05 is not a labeler of lisbon-jan" in refused.output
    assert {m.user_id: m.labeler_id for m in cohort(database_url, "lisbon-jan").labelers} == ids

    broken = csv_file(tmp_path, "user,labeler_id\nU0LABEL01,\n", "broken.csv")
    bad = tsqa(database_url, "roster", "import", "lisbon-jan", str(broken))
    assert bad.exit_code == 1 and "line 2: labeler_id: empty" in bad.output


# ----- plans -----


def test_plans_lists_the_templates_and_a_broken_one_exits_1(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    listed = tsqa(url, "plans")
    assert listed.exit_code == 0, listed.output
    # 2+3+3+4+3+1 hours of sessions, 5 nesting days
    assert (
        "new-labeler: New labeler onboarding: 7 modules, 16 hours of sessions, 5 nesting day(s)"
        in listed.output
    )

    shutil.copytree(ROOT / "examples", tmp_path / "ws", ignore=shutil.ignore_patterns("data", "inbox"))
    (tmp_path / "ws" / "training" / "broken.yml").write_text("name: Broken\nmodules: []\n")
    result = tsqa(url, "plans", workspace=tmp_path / "ws" / "workspace.yml")
    assert result.exit_code == 1, result.output
    assert (
        "broken: cannot be used:" in result.output and "new-labeler: New labeler onboarding" in result.output
    )


def test_a_name_taken_during_the_import_rolls_back_the_cohorts_before_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before storing is skipped, as when another import takes the name in between: the
    cohort stored first in the same transaction goes too."""
    assert tsqa(database_url, "cohort", "import", str(EXAMPLE)).exit_code == 0
    before = counts(database_url)

    async def nothing_taken(db: Database, wanted: object) -> dict[str, str]:
        return {}

    monkeypatch.setattr(cli.store, "held_names", nothing_taken)
    text = HEADER + LISBON + "U0LABEL05,\n" + LISBON.replace("lisbon-feb", "lisbon-jan") + "U0LABEL06,\n"
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, text)))
    assert result.exit_code == 1, result.output
    assert "line 3: cohort: there is a cohort named lisbon-jan already" in result.output
    assert counts(database_url) == before


def test_platform_usergroups_cannot_be_read_offline_directly_or_through_a_group(
    database_url: str, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "ws", ignore=shutil.ignore_patterns("data", "inbox"))
    workspace = tmp_path / "ws" / "workspace.yml"
    text = workspace.read_text()
    workspace.write_text(text.replace("members: [U0TRAINER1]", "members: [U0TRAINER1, S0TRAINERS]", 1))
    rows = (
        LISBON.replace("U0TRAINER1", "U0TRAINER1 S0COACHES")
        + "U0LABEL01,\n"
        + LISBON.replace("lisbon-feb", "other-feb").replace("U0TRAINER1", "group:wellbeing-owners")
        + "U0LABEL02,\n"
    )
    result = tsqa(
        database_url, "cohort", "import", str(csv_file(tmp_path, HEADER + rows)), workspace=workspace
    )
    assert result.exit_code == 1, result.output
    assert "line 2: trainers: a platform usergroup: the command line cannot read chat" in result.output
    assert (
        "line 3: trainers: group:wellbeing-owners, which holds S0TRAINERS: the command line cannot read chat"
        in result.output
    )
    assert counts(database_url)["training_cohorts"] == 0


def test_a_start_on_a_public_holiday_is_noted(database_url: str, tmp_path: Path) -> None:
    # Tue 8 Dec 2026 is a public holiday in Portugal: two session days Wed 9 and Thu 10, nesting Fri 11
    # and Mon 14 to Thu 17, go-live Fri 18.
    text = (
        HEADER
        + "lisbon-dec,northwind,lisbon,hate-en,new-labeler,2026-12-08,2026-12-31,U0TRAINER1,U0LABEL01,\n"
    )
    result = tsqa(database_url, "cohort", "import", str(csv_file(tmp_path, text)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "go-live Fri 18 Dec 2026 (fits, target Thu 31 Dec 2026)" in result.output
    assert "note: Starts Wed 9 Dec 2026: Tue 8 Dec 2026 is Immaculate Conception" in result.output
