"""The reveal: the votes frozen, then the session's statistics in its channel, a thread per item to
discuss, and the kept result for the trend.

Privacy: the channel sees per-item vote counts and the session's statistics, never who voted what.
Each participant's accuracy and Cohen's kappa against the reference go to the facilitator alone, in a
DM, so they serve coaching rather than a public ranking.

Everything after the freeze is claimed under its own key (`calibrate-results:{id}`,
`calibrate-discuss:{id}:{position}`, `calibrate-private:{id}`), so a retried timer, the button and the
due time together, or two replicas, say each thing once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot import once
from bot.chat.model import MessageRef, channel, md
from bot.chat.port import ChatError
from bot.context import Services
from bot.workspace import Queue
from handlers.calibration import lifecycle, store
from handlers.calibration import results_views as rv
from handlers.calibration import views as v
from handlers.calibration.agreement import AgreementReport, ItemAgreement, session_statistics
from handlers.policy.index import current_index
from handlers.policy.model import Hit
from handlers.policy.search import PolicyIndex
from storage import claims
from storage.models import CalibrationItem, CalibrationResult, CalibrationSession

log = logging.getLogger("tsqa.calibration")


@dataclass(frozen=True)
class Statistics:
    items: list[CalibrationItem]
    report: AgreementReport
    raters: int

    @property
    def mean_accuracy(self) -> float | None:
        shares = [r.accuracy for r in self.report.raters if r.accuracy is not None]
        return sum(shares) / len(shares) if shares else None

    def of(self, item: CalibrationItem) -> ItemAgreement | None:
        return next((s for s in self.report.items if s.item_id == item.item_id), None)


async def statistics(services: Services, row: CalibrationSession) -> Statistics:
    """The session's agreement from its stored votes (every item, voted or not, with its reference)."""
    items = await store.items(services.db, row.session_id)
    votes = await store.votes(services.db, row.session_id)
    by_position = {item.position: item for item in items}
    ratings = [(by_position[vote.position].item_id, vote.user_id, vote.label) for vote in votes]
    references = {item.item_id: item.reference for item in items}
    report = await asyncio.to_thread(session_statistics, ratings, references, row.threshold)
    return Statistics(items, report, len({vote.user_id for vote in votes}))


def _questions(queue: Queue | None, item: CalibrationItem, stats: ItemAgreement | None) -> list[str]:
    """The queue's name, the labels involved and the note; then without the labels, which every policy
    shares and which on their own pull a generic section ("What to remove") to the top."""
    labels = [*(stats.votes if stats else {}), *([item.reference] if item.reference else [])]
    named = " ".join(dict.fromkeys(label.replace("_", " ") for label in labels))
    name = queue.name if queue else ""
    asked = [f"{name} {named} {item.note or ''}".strip()]
    if item.note:
        asked.append(f"{name} {item.note}".strip())
    return asked


async def policy_section(
    services: Services, queue: Queue | None, item: CalibrationItem, stats: ItemAgreement | None
) -> Hit | None:
    """The policy section the item's confusion concerns, when the library answers confidently and the
    policy applies to the queue (or to everything)."""
    try:
        built = await current_index(services)
        for question in _questions(queue, item, stats):
            hits = await asyncio.to_thread(built.index.search, question, 5)
            for hit in hits:
                policy = built.policies.get(hit.passage.policy_id)
                scope = policy.applies_to if policy else ()
                applies = not scope or queue is None or queue.id in scope or queue.vendor in scope
                if applies and PolicyIndex.confident([hit]):
                    return hit
    except Exception:  # no library, or it cannot be read now: the thread goes without a section
        log.warning("policy search failed for %s", item.item_id, exc_info=True)
    return None


async def run_reveal(services: Services, taken: claims.Taken) -> str:
    """The `calibrate.reveal` timer: due at the due time, or moved to now by Reveal now. What does not
    need the channel comes first (the kept figures, the facilitator's private figures, the closed
    ballots), so a channel the bot cannot post in holds back only the channel's posts."""
    row, _ = await store.reveal(services.db, int((taken.payload or {})["session"]), services.clock(), None)
    if row is None:
        return "gone"
    stats = await statistics(services, row)
    assert row.revealed_at is not None
    compared = stats.raters >= rv.MIN_RATERS  # one person's accuracy is not the session's
    await store.keep_result(
        services.db,
        CalibrationResult(
            session_id=row.session_id,
            vendor=row.vendor,
            queue=row.queue,
            alpha=stats.report.alpha if compared else None,
            fleiss=stats.report.fleiss if compared else None,
            mean_accuracy=stats.mean_accuracy if compared else None,
            items=len(stats.items),
            participants=stats.raters,
            revealed_at=row.revealed_at,
        ),
    )
    try:
        await once.dm(
            services,
            f"calibrate-private:{row.session_id}",
            "calibration",
            row.facilitator,
            rv.private_message(row, stats.report),
        )
    except ChatError as exc:  # the channel's results do not wait on the facilitator's DM
        log.info("could not send the private figures of %s: %s", v.session_id(row.session_id), exc)
    await lifecycle.refresh_progress(services, row.session_id)
    await _close_ballots(services, row)
    return await post_results(services, row, stats)


async def run_post(services: Services, taken: claims.Taken) -> str:
    """The `calibrate.post` timer: "Post the results again" after the reveal could not post them."""
    row = await store.get(services.db, int((taken.payload or {})["session"]))
    if row is None:
        return "gone"
    if row.status != store.REVEALED:
        return "not revealed"
    return await post_results(services, row, await statistics(services, row))


async def post_results(services: Services, row: CalibrationSession, stats: Statistics) -> str:
    """The results in the session's channel, then a thread per item to discuss; each once, whoever
    runs it (the reveal, its retries, a re-post). Raises when the channel cannot be posted in."""
    queue = services.workspace.queue(row.queue)
    sid = row.session_id

    async def recorded(sent: MessageRef) -> None:
        await store.record_reveal_post(services.db, sid, sent.ts)

    results = rv.reveal_message(row, queue, stats.items, stats.report, stats.raters)
    posted = await once.post_recorded(
        services, f"calibrate-results:{sid}", "calibration", row.channel, results, recorded
    )
    if posted is None:
        raise claims.Held(f"calibrate-results:{sid}", services.clock() + claims.LEASE)
    if stats.raters < rv.MIN_RATERS:
        return "revealed: fewer than two raters"
    discussed = [(item, found) for item in stats.items if (found := stats.of(item)) and found.discuss]
    for item, found in discussed[: rv.MAX_THREADS]:
        section = await policy_section(services, queue, item, found)
        message = rv.discussion_message(row, item, found, section)
        await once.post(
            services, f"calibrate-discuss:{sid}:{item.position}", "calibration", row.channel, message
        )
    return f"revealed {len(stats.report.discussion)} to discuss"


async def reveal_failed(services: Services, taken: claims.Taken, error: str) -> None:
    """The results could not be posted after every retry: the facilitator hears why and what to do,
    with a button that tries again (the next attempt's number: a second click on it does nothing)."""
    payload = taken.payload or {}
    row = await store.get(services.db, int(payload["session"]))
    if row is None:
        return
    where = channel(row.channel)
    text = md("⚠️ I could not post the results of {} *{}* in {}: {}.", v.session_id(row.session_id), row.title,
              where, error[:300])  # fmt: skip
    if "not_in_channel" in error or "channel_not_found" in error:
        text += md(" ") + services.port.join_hint(where)
    attempt = int(payload.get("attempt", 0)) + 1
    message = rv.results_not_posted(row, text, attempt)
    await once.dm(services, f"{taken.key}:failed", "calibration", row.facilitator, message)


async def _close_ballots(services: Services, row: CalibrationSession) -> None:
    """Every ballot says votes are closed (an update in place: repeating it changes nothing)."""
    closed = v.revealed_ballot(row)
    for member in await store.participants(services.db, row.session_id):
        if member.dm_channel and member.dm_ts:
            try:
                await services.port.update(MessageRef(member.dm_channel, member.dm_ts), closed)
            except ChatError as exc:
                log.info("could not close the ballot of %s: %s", member.user_id, exc)
