"""Question banks in the database: imports as new versions, topics, the questions an attempt asks.

An import is one transaction: a file that fails half-way stores nothing. A question whose id exists
with other content becomes a new version (attempts keep the version they were asked); the same
content again changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import URL, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.quiz.bank import Answer, Choice, ImportedBank, NumericAnswer, Pair, Question, Topic
from storage.engine import Database, Executor
from storage.models import QuizQuestion, QuizTopic

DEFAULT_PASS_MARK = 0.8

Status = Literal["imported", "updated", "skipped"]


def question_json(question: Question) -> str:
    data = dataclasses.asdict(question)
    data.pop("line", None)  # where it sat in a file is not part of the question
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def question_from_json(text: str) -> Question:
    data = json.loads(text)
    return Question(
        id=data["id"],
        type=data["type"],
        text=data["text"],
        title=data.get("title", ""),
        choices=tuple(Choice(**c) for c in data.get("choices", ())),
        numeric=tuple(NumericAnswer(**n) for n in data.get("numeric", ())),
        pairs=tuple(Pair(**p) for p in data.get("pairs", ())),
        explanation=data.get("explanation", ""),
        policy=data.get("policy"),
        tags=tuple(data.get("tags", ())),
        text_format=data.get("text_format", "moodle"),
    )


def answer_json(answer: Answer) -> str:
    return json.dumps(dataclasses.asdict(answer), separators=(",", ":"))


@dataclass(frozen=True)
class ImportLine:
    """What became of one question of the file."""

    status: Status
    topic: str
    question_id: str
    line: int
    reason: str = ""
    version: int | None = None


@dataclass
class ImportReport:
    lines: list[ImportLine]

    def count(self, status: Status) -> int:
        return sum(1 for line in self.lines if line.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.count("imported"),
            "updated": self.count("updated"),
            "skipped": self.count("skipped"),
            "questions": [dataclasses.asdict(line) for line in self.lines],
        }


async def import_bank(db: Database, bank: ImportedBank, now: datetime) -> ImportReport:
    """Store every question of `bank` (one transaction); skipped ones are reported with their reason."""
    lines = [ImportLine("skipped", "", s.title or "", s.line, s.reason) for s in bank.skipped]
    async with db.transaction() as session:
        for topic_id, questions in bank.topics.items():
            await _upsert_topic(session, topic_id, bank, now)
            for position, question in enumerate(questions):
                lines.append(await _store_question(session, topic_id, position, question, now))
    return ImportReport(sorted(lines, key=lambda line: line.line))


async def _upsert_topic(session: AsyncSession, topic_id: str, bank: ImportedBank, now: datetime) -> None:
    _TOPICS.pop((_database(session), topic_id), None)
    row = await session.get(QuizTopic, topic_id)
    title = bank.titles.get(topic_id) or (row.title if row else topic_id)
    pass_mark = bank.pass_marks.get(topic_id, row.pass_mark if row else DEFAULT_PASS_MARK)
    limit = bank.time_limits.get(topic_id, row.time_limit_seconds if row else None)
    if row is None:
        session.add(
            QuizTopic(
                topic_id=topic_id, title=title, pass_mark=pass_mark, time_limit_seconds=limit, updated_at=now
            )
        )
    else:
        row.title, row.pass_mark, row.time_limit_seconds, row.updated_at = title, pass_mark, limit, now
    await session.flush()


async def _store_question(
    session: AsyncSession, topic_id: str, position: int, question: Question, now: datetime
) -> ImportLine:
    content = question_json(question)
    digest = hashlib.sha256(content.encode()).hexdigest()
    current = (
        await session.execute(
            select(QuizQuestion).where(
                QuizQuestion.topic_id == topic_id,
                QuizQuestion.question_id == question.id,
                QuizQuestion.active.is_(True),
            )
        )
    ).scalar_one_or_none()
    if current is not None and current.content_hash == digest:
        current.position = position
        return ImportLine("skipped", topic_id, question.id, question.line, "unchanged since the last import")
    latest = (
        await session.execute(
            select(func.max(QuizQuestion.version)).where(
                QuizQuestion.topic_id == topic_id, QuizQuestion.question_id == question.id
            )
        )
    ).scalar_one()
    if current is not None:
        current.active = False
    version = (latest or 0) + 1
    session.add(
        QuizQuestion(
            topic_id=topic_id,
            question_id=question.id,
            version=version,
            position=position,
            content=content,
            content_hash=digest,
            active=True,
            created_at=now,
        )
    )
    await session.flush()
    status: Status = "updated" if latest else "imported"
    return ImportLine(status, topic_id, question.id, question.line, version=version)


@dataclass(frozen=True)
class TopicInfo:
    topic: Topic
    questions: int


async def topics(db: Database) -> list[TopicInfo]:
    """Every topic with its number of active questions, by title."""
    async with db.transaction() as session:
        counts = dict(
            (
                await session.execute(
                    select(QuizQuestion.topic_id, func.count())
                    .where(QuizQuestion.active.is_(True))
                    .group_by(QuizQuestion.topic_id)
                )
            ).all()
        )
        rows = (await session.execute(select(QuizTopic).order_by(QuizTopic.title))).scalars().all()
    return [TopicInfo(topic_of(row), counts.get(row.topic_id, 0)) for row in rows]


def topic_of(row: QuizTopic) -> Topic:
    return Topic(row.topic_id, row.title, (), row.pass_mark, row.time_limit_seconds)


# Read on every answer; changed only by imports. This process forgets a topic when it imports it;
# another replica's import shows here within TOPIC_SECONDS.
_TOPICS: dict[tuple[URL, str], tuple[float, Topic]] = {}
TOPIC_SECONDS = 30.0


def _database(executor: Executor) -> URL:
    """Which database a cache entry belongs to (tests run several in one process). The URL itself,
    not its text: rendering it on every answer cost more than the lookup."""
    engine = executor.get_bind() if isinstance(executor, AsyncSession) else executor.engine
    return engine.url


async def topic(session: Executor, topic_id: str) -> Topic | None:
    key = (_database(session), topic_id)
    cached = _TOPICS.get(key)
    if cached is not None and time.monotonic() - cached[0] < TOPIC_SECONDS:
        return cached[1]
    columns = (QuizTopic.topic_id, QuizTopic.title, QuizTopic.pass_mark, QuizTopic.time_limit_seconds)
    row = (await session.execute(select(*columns).where(QuizTopic.topic_id == topic_id))).first()
    if row is None:
        return None
    found = topic_of(row)
    if len(_TOPICS) > 10_000:
        _TOPICS.clear()
    _TOPICS[key] = (time.monotonic(), found)
    return found


async def active_questions(session: AsyncSession, topic_id: str) -> list[tuple[int, Question]]:
    """(version id, question) of every active question of a topic, in the file's order."""
    rows = (
        await session.execute(
            select(QuizQuestion)
            .where(QuizQuestion.topic_id == topic_id, QuizQuestion.active.is_(True))
            .order_by(QuizQuestion.position, QuizQuestion.question_id)
        )
    ).scalars()
    return [(row.version_id, question_from_json(row.content)) for row in rows]


# A version is never changed once stored: each is read and parsed once per process (and database).
_VERSIONS: dict[tuple[URL, int], Question] = {}
MAX_CACHED_VERSIONS = 20_000


async def versions(session: Executor, version_ids: list[int]) -> dict[int, Question]:
    database = _database(session)
    found = {v: _VERSIONS[(database, v)] for v in version_ids if (database, v) in _VERSIONS}
    missing = [v for v in version_ids if v not in found]
    if missing:
        query = select(QuizQuestion.version_id, QuizQuestion.content).where(
            QuizQuestion.version_id.in_(missing)
        )
        for row in await session.execute(query):
            found[row.version_id] = question_from_json(row.content)
        if len(_VERSIONS) + len(missing) > MAX_CACHED_VERSIONS:
            _VERSIONS.clear()
        _VERSIONS.update({(database, v): found[v] for v in missing if v in found})
    return found
