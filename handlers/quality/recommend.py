"""What to do next, from an error analysis: the vendor–queue error pairs that stand out against the
other vendors, the policy section each concerns, and the actions that follow (a calibration session
on those items, the refresher quiz of that policy, a question to the policy's owners when the QA
auditors themselves disagree)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.context import Services
from handlers.calibration import agreement
from handlers.calibration import store as calibration_store
from handlers.policy import index as policy_index
from handlers.policy.model import Passage
from handlers.policy.search import PolicyIndex
from handlers.quality.report import QualityReport, Standout
from storage.models import PolicyCascade, QuizTopic

log = logging.getLogger("tsqa.quality")

SHOWN = 3  # recommendations per report: the strongest first; the rest are in the JSON
# Krippendorff's own guide: below 0.667 even tentative conclusions are not warranted.
AUDITORS_AGREE = 0.667


@dataclass(frozen=True)
class Recommendation:
    standout: Standout
    section: Passage | None  # the policy section the pair concerns, when the library has one
    quiz_topic: str | None  # that policy's refresher quiz, when one exists
    auditors_alpha: float | None  # the QA team's agreement in the queue's latest calibration, if any

    @property
    def auditors_disagree(self) -> bool:
        return self.auditors_alpha is not None and self.auditors_alpha < AUDITORS_AGREE


def _query(standout: Standout, queue_name: str) -> str:
    """What to search the policy library for: the queue and the two labels, as words."""
    return " ".join([queue_name, standout.decision.replace("_", " "), standout.qa_decision.replace("_", " ")])


async def _section(services: Services, standout: Standout) -> Passage | None:
    """The policy section the pair concerns, only when the library answers confidently (the same
    check the policy answers and calibration's reveal use) and the policy applies to the queue or
    vendor; none when unsure. The search is CPU work, so it runs in a thread."""
    ws = services.workspace
    if ws.policy is None:
        return None
    queue = ws.queue(standout.queue)
    try:
        built = await policy_index.current_index(services)
        question = _query(standout, queue.name if queue else standout.queue)
        hits = await asyncio.to_thread(built.index.search, question, 10)
    except Exception:  # a library that cannot load must not stop the quality report
        log.exception("policy library unavailable for recommendations")
        return None
    for hit in hits:
        policy = built.policies.get(hit.passage.policy_id)
        if policy is None or hit.passage.verified:
            continue
        if not policy.applies_to or {standout.queue, standout.vendor} & set(policy.applies_to):
            return hit.passage if PolicyIndex.confident([hit]) else None
    return None


async def _quiz_topic(services: Services, policy_id: str) -> str | None:
    """The quiz the policy was last cascaded with; else a quiz named after the policy (`spam-basics`
    for `spam`)."""
    async with services.db.transaction() as session:
        cascaded = await session.scalar(
            select(PolicyCascade.quiz_topic)
            .where(PolicyCascade.policy_id == policy_id, PolicyCascade.quiz_topic.is_not(None))
            .order_by(PolicyCascade.published_at.desc())
            .limit(1)
        )
        if cascaded:
            return cascaded
        topics = (await session.scalars(select(QuizTopic.topic_id))).all()
    named = sorted(t for t in topics if t == policy_id or t.startswith(f"{policy_id}-"))
    return named[0] if named else None


async def _auditors_alpha(services: Services, queue: str) -> float | None:
    """Krippendorff's alpha among the QA team (admins and trainers) in the queue's latest revealed
    calibration session; None without one or with fewer than two of them rating in it."""
    found = await calibration_store.latest_revealed(services.db, queue)
    if found is None:
        return None
    ws = services.workspace
    qa = await services.roles.members([*ws.admins, *ws.trainers])
    votes = [v for v in await calibration_store.votes(services.db, found.session_id) if v.user_id in qa]
    if len({v.user_id for v in votes}) < 2:
        return None
    alpha, _ = agreement.krippendorff_alpha_nominal((str(v.position), v.user_id, v.label) for v in votes)
    return alpha


async def recommendations(services: Services, report: QualityReport) -> list[Recommendation]:
    """The strongest standouts (widest gap between the vendor's lower bound and the reference's
    upper bound first), each with its section, quiz and auditors' agreement."""
    ranked = sorted(report.standouts, key=lambda s: s.low - s.reference_high, reverse=True)[:SHOWN]
    found = []
    for standout in ranked:
        section = await _section(services, standout)
        quiz = await _quiz_topic(services, section.policy_id) if section else None
        found.append(Recommendation(standout, section, quiz, await _auditors_alpha(services, standout.queue)))
    return found
