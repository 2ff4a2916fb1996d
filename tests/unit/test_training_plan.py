"""Training plan templates: the example loads, and every mistake names the key and the line."""

from pathlib import Path

import pytest

from handlers.training.plan import PlanError, load_plan, parse_plan

EXAMPLE = Path(__file__).parents[2] / "examples" / "training" / "new-labeler.yml"

GOOD = """\
name: Short plan
modules:
  - id: intro
    title: Introduction
    kind: classroom
    duration: 2.5
  - id: check
    title: Check
    kind: knowledge_check
    duration: 1
    quiz: spam-basics
  - id: nesting
    title: Nesting
    kind: nesting
    days: 3
    quality_target: 0.9
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plan.yml")
    return caught.value.problems


def test_example_plan_loads_in_order() -> None:
    plan = load_plan(EXAMPLE)
    kinds = [m.kind for m in plan.modules]
    assert kinds[0] == "classroom" and kinds[-1] == "nesting"
    assert set(kinds) == {"classroom", "virtual", "self_study", "knowledge_check", "nesting"}
    check = next(m for m in plan.modules if m.kind == "knowledge_check")
    assert check.quiz == "spam-basics"
    assert plan.modules[-1].nesting_days == 5 and plan.modules[-1].quality_target == 0.9


def test_durations_are_hours_for_sessions_and_days_for_nesting() -> None:
    plan = parse_plan(GOOD, "plan.yml")
    assert [m.minutes for m in plan.modules] == [150, 60, 0]
    assert [m.nesting_days for m in plan.modules] == [0, 0, 3]
    same = parse_plan(GOOD.replace("    days: 3\n", "    duration: 3\n"), "plan.yml")
    assert same.module("nesting").nesting_days == 3


def test_wrong_kind_names_the_module_and_its_line() -> None:
    problems = _problems(GOOD.replace("kind: knowledge_check", "kind: quizz"))
    assert len(problems) == 1
    assert problems[0].startswith("plan.yml:line 9, column 11: modules[1].kind:")
    assert "knowledge_check" in problems[0]


def test_nesting_without_a_quality_target_is_refused_at_its_module() -> None:
    (problem,) = _problems(GOOD.replace("    quality_target: 0.9\n", ""))
    assert problem.startswith("plan.yml:line 12, column 5: modules[2]:")
    assert "quality_target" in problem


def test_session_without_duration_and_misplaced_keys() -> None:
    problems = _problems(GOOD.replace("    duration: 2.5\n", "    days: 2\n"))
    assert problems == [
        "plan.yml:line 3, column 5: modules[0]: a classroom module needs duration (hours, e.g. 3)"
    ]
    (quiz,) = _problems(GOOD.replace("    kind: knowledge_check\n", "    kind: virtual\n"))
    assert "modules[1]: quiz belongs to knowledge_check modules only" in quiz


def test_unknown_key_and_bad_values_each_named() -> None:
    bad = GOOD.replace("    duration: 2.5\n", "    duration: 2.5\n    room: 4B\n").replace(
        "quality_target: 0.9", "quality_target: 90"
    )
    problems = _problems(bad)
    assert any(p.startswith("plan.yml:line 7, column 11: modules[0].room: Extra inputs") for p in problems)
    assert any(p.startswith("plan.yml:line 17, column 21: modules[2].quality_target:") for p in problems)


def test_days_and_duration_must_agree_for_nesting() -> None:
    (problem,) = _problems(GOOD.replace("    days: 3\n", "    days: 3\n    duration: 4\n"))
    assert "days (3) and duration (4) disagree" in problem


def test_repeated_module_ids_and_empty_plans_are_refused() -> None:
    (problem,) = _problems(GOOD.replace("id: check", "id: intro"))
    assert (
        problem.startswith("plan.yml:line 3, column 3: modules:") and "intro appear more than once" in problem
    )
    (empty,) = _problems("name: Nothing\nmodules: []\n")
    assert empty.startswith("plan.yml:line 2, column 10: modules:")


def test_not_yaml_and_not_a_mapping() -> None:
    (broken,) = _problems("name: x\nmodules: [\n")
    assert broken.startswith("plan.yml:line 3") and "not valid YAML" in broken
    assert _problems("- just a list\n") == ["plan.yml: expected a mapping with name and modules"]


def test_missing_file_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan file"):
        load_plan(tmp_path / "absent.yml")
