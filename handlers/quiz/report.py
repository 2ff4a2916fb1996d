"""The quiz result report as data: finished attempts from the database through `analysis` into one dict.

The chat message, the chart, the CSV and `tsqa quiz report --json` all read this dict, so every place
shows the same figures. Each labeler's FIRST finished attempt counts for participation and item
statistics: later attempts have seen the questions and their answers, and would flatter both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib import import_module
from typing import Any

import pandas as pd
from sqlalchemy import select

from bot.workspace import Workspace
from handlers.quiz import analysis
from handlers.quiz.attempts import Plan
from handlers.quiz.bank import Question
from handlers.quiz.retention import retention
from handlers.quiz.store import question_from_json
from storage.engine import Database
from storage.models import QuizAnswer, QuizAttempt, QuizQuestion, QuizTopic

UNKNOWN = "unknown"
MOST_MISSED = 5
COUNTING = (
    "Each labeler's first finished attempt counts for participation, scores and question statistics; "
    "retakes are in the CSV only."
)

Where = tuple[str | None, str | None]  # (vendor, site); None where unknown
Placements = Callable[[list[str]], Awaitable[dict[str, Where]]]


class ReportError(Exception):
    """No report can be made (unknown topic); the message says why."""


def placement_lookup(db: Database, workspace: Workspace, services: Any = None) -> Placements:
    """Vendor and site of labelers: `handlers/quiz/people.py` (roster, workspace, vendor channels) when
    it is there, else the workspace file's vendor leads and contacts. The one place to change."""
    try:
        people = import_module("handlers.quiz.people")
    except ImportError:
        people = None

    async def lookup(users: list[str]) -> dict[str, Where]:
        if people is None:
            return {u: workspace_placement(workspace, u) for u in users}
        if services is not None:
            found = await people.placements_for(services, users)
        else:  # the CLI: no chat connection, so no usergroups or channel members
            found = await people.placements(
                db, workspace, users, members=_expand(workspace), channel_members=None
            )
        placed = {u: found.get(workspace.normal_user(u)) for u in users}
        return {u: (p.vendor, p.site) if p else (None, None) for u, p in placed.items()}

    return lookup


def _expand(workspace: Workspace) -> Callable[[Any], Awaitable[set[str]]]:
    async def members(refs: Any) -> set[str]:
        return set(workspace.expand(refs))

    return members


def workspace_placement(workspace: Workspace, user: str) -> Where:
    """A vendor's leads and contacts belong to it; its site is known only when it has one site."""
    for vendor in workspace.vendors:
        if user in workspace.expand([*vendor.leads, *vendor.contacts.everyone]):
            return vendor.id, vendor.sites[0] if len(vendor.sites) == 1 else None
    return None, None


@dataclass(frozen=True)
class Row:
    """One answer (or unanswered position) of one finished attempt, with who and where."""

    attempt: str
    user: str
    vendor: str
    site: str
    question: str
    version: int
    position: int
    answer: dict[str, Any] | None  # None: not answered before the attempt ended
    credit: float
    right: bool
    answered_at: datetime | None


@dataclass
class Loaded:
    """What the report is made of: counted attempts, every answer row, the questions asked."""

    topic: QuizTopic
    attempts: pd.DataFrame  # every finished attempt in scope: attempt_id, user_id, vendor, site, credit, …
    rows: list[Row]
    questions: dict[int, Question]  # by version id
    numbers: dict[int, int]  # version id → version number


def since_start(since: date | None) -> datetime | None:
    return datetime.combine(since, time.min, tzinfo=UTC) if since else None


async def load(
    db: Database,
    topic_id: str,
    placement: Placements,
    *,
    vendor: str | None = None,
    since: date | None = None,
) -> Loaded:
    """Finished quiz attempts of the topic since the day (UTC), of the vendor's labelers if given."""
    async with db.transaction() as session:
        topic = await session.get(QuizTopic, topic_id)
        if topic is None:
            raise ReportError(f"I know no quiz {topic_id!r}")
        query = select(QuizAttempt).where(
            QuizAttempt.topic_id == topic_id,
            QuizAttempt.kind == "quiz",
            QuizAttempt.finished_at.is_not(None),
        )
        if start := since_start(since):
            query = query.where(QuizAttempt.finished_at >= start)
        found = (await session.execute(query)).scalars().all()
        ids = [a.attempt_id for a in found]
        answers = (
            (await session.execute(select(QuizAnswer).where(QuizAnswer.attempt_id.in_(ids)))).scalars().all()
            if ids
            else []
        )
        plans = {a.attempt_id: Plan.load(a.plan).items for a in found}
        version_ids = sorted({item["version"] for items in plans.values() for item in items})
        stored = (
            (await session.execute(select(QuizQuestion).where(QuizQuestion.version_id.in_(version_ids))))
            .scalars()
            .all()
            if version_ids
            else []
        )
    questions = {q.version_id: question_from_json(q.content) for q in stored}
    numbers = {q.version_id: q.version for q in stored}
    placed = await placement(sorted({a.user_id for a in found}))
    where = {u: (v or UNKNOWN, s or UNKNOWN) for u, (v, s) in placed.items()}
    kept = [a for a in found if vendor is None or where[a.user_id][0] == vendor]
    by_key = {(a.attempt_id, a.position): a for a in answers}
    rows = []
    for a in kept:
        for position, item in enumerate(plans[a.attempt_id]):
            got = by_key.get((a.attempt_id, position))
            rows.append(
                Row(
                    a.attempt_id,
                    a.user_id,
                    *where[a.user_id],
                    questions[item["version"]].id,
                    item["version"],
                    position,
                    json.loads(got.answer) if got else None,
                    got.credit if got else 0.0,
                    bool(got.right) if got else False,
                    got.answered_at if got else None,
                )
            )
    frame = pd.DataFrame(
        [
            {
                "attempt_id": a.attempt_id,
                "user_id": a.user_id,
                "vendor": where[a.user_id][0],
                "site": where[a.user_id][1],
                "credit": float(a.credit or 0.0),
                "passed": bool(a.passed),
                "started_at": a.started_at,
                "finished_at": a.finished_at,
            }
            for a in kept
        ],
        columns=["attempt_id", "user_id", "vendor", "site", "credit", "passed", "started_at", "finished_at"],
    )
    return Loaded(topic, frame, rows, questions, numbers)


def first_attempts(attempts: pd.DataFrame) -> pd.DataFrame:
    """Each labeler's first finished attempt (by finish time; the attempt id breaks a tie)."""
    ordered = attempts.sort_values(["user_id", "finished_at", "started_at", "attempt_id"])
    return ordered.drop_duplicates("user_id", keep="first").reset_index(drop=True)


def _number(value: Any) -> float | None:
    """JSON has no NaN: an undefined statistic is null."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _chosen(answer: dict[str, Any] | None) -> tuple[int, ...] | None:
    return tuple(answer.get("chosen") or ()) if answer else None


def build(loaded: Loaded, *, vendor: str | None = None, since: date | None = None) -> dict[str, Any]:
    """The report: participation and scores per vendor and site, item statistics, flags, to-do."""
    topic = loaded.topic
    counted = first_attempts(loaded.attempts)
    ids = set(counted["attempt_id"])
    rows = [r for r in loaded.rows if r.attempt in ids]
    notes = [COUNTING]
    overall = analysis.summary(counted, topic.pass_mark, by=())
    groups = analysis.summary(counted, topic.pass_mark)
    items = _items(loaded, rows, list(counted["attempt_id"]), notes)
    return {
        "topic": topic.topic_id,
        "title": topic.title,
        "pass_mark": topic.pass_mark,
        "vendor": vendor,
        "since": since.isoformat() if since else None,
        "participation": {
            "labelers": int(counted["user_id"].nunique()),
            "finished_attempts": len(loaded.attempts),
            "counted_attempts": len(counted),
        },
        "overall": _summary_rows(overall)[0] if len(overall) else None,
        "groups": _summary_rows(groups),
        **items,
        "notes": notes,
    }


def _summary_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict("records"):
        row = {k: record[k] for k in ("vendor", "site") if k in record}
        row.update(
            attempts=int(record["attempts"]),
            labelers=int(record["labelers"]),
            mean=_number(record["mean"]),
            median=_number(record["median"]),
            pass_rate=_number(record["pass_rate"]),
        )
        out.append(row)
    return out


def _items(loaded: Loaded, rows: list[Row], attempt_ids: list[str], notes: list[str]) -> dict[str, Any]:
    """Per question p over the attempts asked it; D, r, distractors and KR-20 over the attempts that
    were asked every question (with `/quiz TOPIC N` attempts may take a subset: a question never
    asked is not a wrong answer)."""
    if not rows:
        return {"item_attempts": 0, "kr20": None, "questions": [], "flags": [], "most_missed": []}
    right = pd.DataFrame([(r.attempt, r.question, float(r.right)) for r in rows], columns=["a", "q", "x"])
    matrix = right.pivot(index="a", columns="q", values="x").reindex(attempt_ids)
    order = sorted(matrix.columns)  # by question id: the same order whatever the shuffles were
    matrix = matrix[order]
    p = pd.Series({q: analysis.difficulty(matrix[[q]].dropna())[q] for q in order}, dtype=float)
    complete = matrix.dropna()
    if len(complete) < len(matrix):
        notes.append(
            f"{len(matrix) - len(complete)} counted attempt(s) took a subset of the questions: p uses every "
            f"attempt asked the question; D, point-biserial, distractors and KR-20 use the {len(complete)} "
            "attempt(s) asked all of them."
        )
    d = analysis.discrimination(complete)
    rpb = analysis.point_biserial(complete)
    totals = complete.sum(axis=1)
    by_question: dict[str, list[Row]] = {}
    for r in rows:
        by_question.setdefault(r.question, []).append(r)
    questions = []
    for q in order:
        asked = by_question[q]
        version = max({r.version for r in asked}, key=lambda v: loaded.numbers[v])  # the newest asked
        question = loaded.questions[version]
        questions.append(
            {
                "question": q,
                "version": loaded.numbers[version],
                "type": question.type,
                "text": question.text,
                "policy": question.policy,
                "asked": len(asked),
                "p": _number(p[q]),
                "d": _number(d.get(q)),
                "rpb": _number(rpb.get(q)),
                "distractors": _distractors(question, q, version, asked, totals),
            }
        )
    flags = analysis.flags(p, d.reindex(order), rpb.reindex(order))
    missed = sorted((x for x in questions if x["p"] is not None and x["p"] < 1), key=lambda x: x["p"])
    return {
        "item_attempts": len(complete),
        "kr20": _number(analysis.kr20(complete)) if len(complete) else None,
        "questions": questions,
        "flags": [{"question": f.question, "reasons": list(f.reasons)} for f in flags],
        "most_missed": [
            {"question": x["question"], "p": x["p"], "policy": x["policy"], "text": x["text"]}
            for x in missed[:MOST_MISSED]
        ],
    }


def _distractors(
    question: Question, q: str, version: int, asked: list[Row], totals: pd.Series
) -> list[dict[str, Any]]:
    """Upper/lower shares per wrong option of the current version, over the complete attempts that saw
    that version (an older version's options may differ); ORIGINAL option indexes, as stored."""
    wrong = analysis.wrong_options(question)
    seen = {r.attempt: _chosen(r.answer) for r in asked if r.version == version and r.attempt in totals.index}
    if not wrong or len(seen) < 2:
        return []
    choices = pd.DataFrame({q: pd.Series(seen, dtype=object)})
    table = analysis.distractors(choices, totals.reindex(choices.index), {q: wrong})
    return [
        {
            "option": int(row.option),
            "text": question.choices[int(row.option)].text,
            "upper": _number(row.upper),
            "lower": _number(row.lower),
            "all": _number(row.all),
        }
        for row in table.itertuples()
    ]


async def report(
    db: Database,
    topic_id: str,
    placement: Placements,
    *,
    vendor: str | None = None,
    since: date | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], Loaded]:
    """The report dict and the loaded rows (for the CSV) in one read; with the retention of what was
    missed, in the same vendor scope."""
    loaded = await load(db, topic_id, placement, vendor=vendor, since=since)
    data = build(loaded, vendor=vendor, since=since)
    kept = await retention(db, topic_id, now=now or datetime.now(UTC), placement=placement, vendor=vendor)
    data["retention"] = kept.as_dict()
    return data, loaded
