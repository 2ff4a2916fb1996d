"""The workspace file's `training:` section: defaults, each check's message, and the plans folder."""

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.workspace_training import TrainingSettings, beside


def _problem(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        TrainingSettings.model_validate(values)
    return str(caught.value)


def test_defaults_when_the_section_is_empty() -> None:
    settings = TrainingSettings.model_validate({})
    assert settings.plans == "training"
    assert settings.reminders == [1440, 15]
    assert (settings.check_in_early, settings.min_audits) == (15, 20)
    assert (settings.summary_day, settings.summary_time) == ("mon", "09:00")
    assert settings.summary_weekday == 0
    assert settings.summary_at == time(9, 0)


def test_reminders_come_out_largest_lead_first() -> None:
    settings = TrainingSettings(reminders=[15, 2880, 60])
    assert settings.reminders == [2880, 60, 15]


@pytest.mark.parametrize(
    ("reminders", "said"),
    [
        ([0, 15], "from 1 to 20160 (two weeks), not 0"),
        ([-5, 30, -1], "not -5, -1"),
        ([30 * 24 * 60], "not 43200"),
        ([15, 60, 15], "15 appear more than once"),
        ([1, 2, 3, 4, 5, 6], "at most 5 reminders (there are 6)"),
    ],
)
def test_reminder_problems_say_which_value(reminders: list[int], said: str) -> None:
    assert said in _problem(reminders=reminders)


def test_no_reminders_at_all_is_allowed() -> None:
    assert TrainingSettings(reminders=[]).reminders == []


@pytest.mark.parametrize("value", ["9:00", "24:00", "09:60", "nine", "09:00:00"])
def test_summary_time_is_hh_mm(value: str) -> None:
    assert f"{value!r} is not a time of day" in _problem(summary_time=value)


@pytest.mark.parametrize("value", ["9:00", "24:00", "09:60", "nine", "09:00:00"])
def test_the_digest_and_escalation_times_are_checked_and_said_as_training_s(value: str) -> None:
    from bot.workspace import DigestSchedule
    from bot.workspace_escalation import EscalationSettings

    said = f'{value!r} is not a time of day like "09:00"'
    for model, key in ((DigestSchedule, "at"), (EscalationSettings, "business_day_start")):
        with pytest.raises(ValidationError) as caught:
            model.model_validate({"channel": "C0QAOPS01", key: value})
        assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [((key,), f"Value error, {said}")]
    assert said in _problem(summary_time=value)


def test_every_hh_mm_of_the_day_is_a_time_of_day() -> None:
    from bot.workspace import DigestSchedule
    from bot.workspace_escalation import EscalationSettings

    for hour, minute in ((0, 0), (9, 5), (19, 59), (23, 59)):
        text = f"{hour:02d}:{minute:02d}"
        assert DigestSchedule(channel="C0QAOPS01", at=text).at == text
        assert EscalationSettings(channel="C0QAOPS01", business_day_start=text).business_day_start == text
        assert TrainingSettings(summary_time=text).summary_at == time(hour, minute)


def test_summary_day_is_a_short_weekday() -> None:
    assert TrainingSettings(summary_day="fri").summary_weekday == 4
    assert "'mon'" in _problem(summary_day="monday")


def test_unknown_keys_and_out_of_range_numbers_are_refused() -> None:
    assert "reminder" in _problem(reminder=[15])
    assert "check_in_early" in _problem(check_in_early=-1)
    assert "min_audits" in _problem(min_audits=0)
    assert "folder of training plan files" in _problem(plans=" ")


def test_plans_folder_beside_the_workspace_file(tmp_path: Path) -> None:
    workspace_file = tmp_path / "conf" / "workspace.yml"
    assert TrainingSettings().folder(workspace_file) == tmp_path / "conf" / "training"
    assert TrainingSettings(plans="plans/new").folder(str(workspace_file)) == tmp_path / "conf/plans/new"
    assert TrainingSettings(plans=str(tmp_path / "abs")).folder(workspace_file) == tmp_path / "abs"
    assert beside("workspace.yml", "training") == Path("training")


def test_the_example_workspaces_name_the_example_plans() -> None:
    from bot.workspace import load_workspace

    root = Path(__file__).resolve().parents[2]
    for name in ("workspace.yml", "workspace-teams.yml"):
        path = root / "examples" / name
        settings = load_workspace(path).training
        assert settings.folder(path) == root / "examples" / "training"
        assert (settings.folder(path) / "new-labeler.yml").is_file()


def test_a_workspace_without_the_section_has_the_defaults_and_a_bad_one_is_positioned() -> None:
    from bot.workspace import WorkspaceError, parse_workspace

    base = "timezone: Europe/Dublin\nadmins: [U0QALEAD1]\n"
    assert parse_workspace(base, Path("ws.yml")).training == TrainingSettings()
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(base + "training:\n  summary_time: '9am'\n", Path("ws.yml"))
    assert caught.value.problems == [
        "ws.yml:line 4, column 17: training.summary_time: '9am' is not a time of day like \"09:00\""
    ]
