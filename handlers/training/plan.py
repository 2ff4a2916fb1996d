"""The training plan template (YAML): modules in order, each a session kind with a duration.

Errors name the key and the line, the way the workspace file's do, so a trainer fixes the file unaided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.workspace_ids import SLUG
from bot.yaml_files import YamlProblems, read_model

ModuleKind = Literal["classroom", "virtual", "self_study", "knowledge_check", "nesting"]
KIND_NAMES: dict[str, str] = {
    "classroom": "Classroom session",
    "virtual": "Virtual session",
    "self_study": "Self-study",
    "knowledge_check": "Knowledge check",
    "nesting": "Nesting",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Module(_Model):
    """One step of the plan. `duration` is hours for sessions; for nesting it is days (or give `days`)."""

    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    kind: ModuleKind
    duration: float | None = Field(default=None, gt=0)
    quiz: str | None = None
    days: int | None = Field(default=None, gt=0)
    quality_target: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _fits_kind(self) -> Module:
        if self.kind == "nesting":
            if self.days is None and self.duration is None:
                raise ValueError("a nesting module needs days (whole working days on the queue)")
            if self.duration is not None and (self.duration != int(self.duration)):
                raise ValueError("a nesting module's duration is whole days, e.g. 5")
            if self.days is not None and self.duration is not None and self.days != self.duration:
                raise ValueError(f"days ({self.days}) and duration ({self.duration:g}) disagree: give one")
            if self.quality_target is None:
                raise ValueError("a nesting module needs quality_target (e.g. 0.9)")
        else:
            if self.duration is None:
                raise ValueError(f"a {self.kind} module needs duration (hours, e.g. 3)")
            if self.days is not None or self.quality_target is not None:
                raise ValueError("days and quality_target belong to nesting modules only")
        if self.quiz is not None and self.kind != "knowledge_check":
            raise ValueError("quiz belongs to knowledge_check modules only")
        return self

    @property
    def nesting_days(self) -> int:
        """Whole working days on the queue (0 for a session module)."""
        if self.kind != "nesting":
            return 0
        return self.days if self.days is not None else int(self.duration or 0)

    @property
    def minutes(self) -> int:
        """A session module's length in minutes (0 for nesting, which takes whole days)."""
        return 0 if self.kind == "nesting" else round((self.duration or 0) * 60)


class Plan(_Model):
    """A plan template: a cohort is laid out from it, modules in the order given."""

    name: str = Field(min_length=1)
    description: str = ""
    modules: list[Module] = Field(min_length=1)

    @field_validator("modules")
    @classmethod
    def _unique(cls, modules: list[Module]) -> list[Module]:
        ids = [m.id for m in modules]
        if repeated := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"module ids must be unique: {', '.join(repeated)} appear more than once")
        return modules

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)


class PlanError(Exception):
    """The plan file cannot be used; `problems` lists each one with its position."""

    def __init__(self, name: str, problems: list[str]):
        self.name = name
        self.problems = problems
        super().__init__(f"{name}: " + "; ".join(problems))


def parse_plan(text: str, name: str) -> Plan:
    """The plan in `text`; `name` (the file's name) starts every error message."""
    try:
        return read_model(text, Path(name), Plan, "name and modules")
    except YamlProblems as exc:
        raise PlanError(name, exc.problems) from None


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(str(path), [f"{path}: cannot read the plan file ({exc.strerror})"]) from None
    return parse_plan(text, str(path))
