"""A cohort as the training modules read it: plain, frozen data loaded once per request by `store`.

Readiness, nesting, the report and the views take these rather than rows, so they are pure and a test
builds one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.workspace_training import Site
from handlers.training.plan import Plan
from handlers.training.schedule import Layout, Session

MemberRole = Literal["trainer", "labeler"]
MarkStatus = Literal["present", "absent", "excused"]


@dataclass(frozen=True)
class Member:
    """Someone in the cohort; `labeler_id` is their ID in the queue data (None: not known yet)."""

    user_id: str
    role: MemberRole
    labeler_id: str | None = None


@dataclass(frozen=True)
class Cohort:
    """A class of new labelers at one vendor site, its plan (a snapshot) and its sessions as stored."""

    id: int
    name: str
    vendor: str
    site: str
    queues: tuple[str, ...]
    plan: Plan
    start: date
    target: date
    channel: str | None
    created_by: str
    status: str
    sessions: tuple[Session, ...]
    members: tuple[Member, ...]
    moves: int = 0  # moves so far: a move is applied only to the sessions it was worked out from
    calendar_id: str = ""  # in every calendar UID: unique per cohort across installations and resets

    @property
    def trainers(self) -> list[str]:
        return [m.user_id for m in self.members if m.role == "trainer"]

    @property
    def labelers(self) -> list[Member]:
        return [m for m in self.members if m.role == "labeler"]

    def member(self, user_id: str) -> Member | None:
        return next((m for m in self.members if m.user_id == user_id), None)

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    def attended(self, session: Session) -> bool:
        """Sessions people sit in and check in to: a knowledge check with a quiz is passed instead,
        nesting is measured on the queue."""
        if session.kind in ("classroom", "virtual", "self_study"):
            return True
        module = self.plan.module(session.module_id)
        return session.kind == "knowledge_check" and (module is None or not module.quiz)

    def layout(self, site: Site) -> Layout:
        """The stored sessions as a layout, so a move re-packs from what is stored, not from the plan."""
        return Layout(plan=self.plan, site=site, start=self.start, target=self.target, sessions=self.sessions)


@dataclass(frozen=True)
class Mark:
    """Attendance of one person at one session: a check-in (present) or a trainer's mark."""

    session_id: str
    user_id: str
    status: MarkStatus
    marked_at: datetime
    marked_by: str


@dataclass(frozen=True)
class CheckResult:
    """A labeler's result on a knowledge check's quiz topic (finished quiz attempts only)."""

    topic: str
    user_id: str
    attempted: bool
    passed: bool
    best_score: float | None
    finished_at: datetime | None
