"""`tsqa sampling draw` and `resume`: the day's draws for a terminal or a script, read through the same
`daily.draw_day` the job uses, so the file a command writes is the sample the channel got."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from bot.workspace import Workspace
from handlers.sampling import store
from handlers.sampling.daily import DayDraw, day_decisions, draw_day
from handlers.sampling.switching import Change, resume
from storage.engine import Database


async def draw_days(
    db: Database, workspace: Workspace, day: date, queues: list[str], now: datetime
) -> list[DayDraw]:
    """`tsqa sampling draw`: each queue's draw for `day`, their decisions of the day read once for all."""
    decisions = await day_decisions(db, workspace, day, queues)
    return [await draw_day(db, workspace, queue, day, now, decisions) for queue in queues]


async def resume_inspection(db: Database, workspace: Workspace, queue_id: str, now: datetime) -> Change:
    """After the vendor's corrective action, a discontinued inspection resumes on tightened
    (ISO 2859-1 9.4); ValueError when the queue's inspection is not discontinued."""
    queue = workspace.queue(queue_id)
    if queue is None:
        raise ValueError(f"no queue {queue_id}")
    state = await store.load_state(db, queue.vendor, queue_id)
    if state is None:
        raise ValueError(f"{queue_id} has no lots judged yet: its inspection is as configured")
    resumed, change = resume(state)
    await store.put_state(db, queue.vendor, queue_id, resumed, now)
    return change


def as_json(result: DayDraw, file: str | None) -> dict[str, Any]:
    """What `--json` prints for one queue: the plan, the sample's shares, the lots judged first."""
    judged = result.judged
    answer: dict[str, Any] = {
        "queue": result.queue.id,
        "day": result.day.isoformat(),
        "drawn_now": result.new,
        "note": result.note or None,
        "inspection_now": judged.state.inspection,
        "lots_judged": [
            {
                "day": lot.day.isoformat(),
                "sample": lot.sample,
                "nonconforming": lot.nonconforming,
                "accepted": lot.accepted,
                "judged": lot.judged,
                "audited": lot.audited,
                "change": asdict(lot.change) if lot.change else None,
            }  # fmt: skip
            for lot in judged.lots
        ],
        "waiting_for": None,
        "draw": None,
        "file": file,
    }
    if judged.waiting is not None:
        waiting_day, back = judged.waiting
        answer["waiting_for"] = {"day": waiting_day.isoformat(), "drawn": back.drawn, "audited": back.audited}
    if (stored := result.stored) is not None:
        answer["draw"] = {
            "seed": stored.drawn.seed, "inspection": stored.inspection, "aql": stored.aql,
            "level": stored.level, "lot_size": stored.lot_size, "sample_size": stored.sample_size,
            "accept": stored.accept,
            "reject": stored.reject, "drawn": stored.drawn.size, "plan_note": stored.plan_note,
            "notes": list(stored.drawn.notes), "labelers": [asdict(w) for w in stored.drawn.labelers],
        }  # fmt: skip
    return answer


def summary_lines(result: DayDraw, file: str | None) -> list[str]:
    """The same for a terminal."""
    lines = []
    for lot in result.judged.lots:
        if not lot.judged:
            lines.append(f"Lot {lot.day}: only {lot.audited} of {lot.sample} audited in time, not judged")
            continue
        verdict = "accepted" if lot.accepted else "not accepted"
        lines.append(f"Lot {lot.day}: {lot.nonconforming} nonconforming of {lot.sample}, {verdict}")
        if lot.change is not None:
            lines.append(f"  {lot.change.before} → {lot.change.after}: {lot.change.reason}")
    if result.judged.waiting is not None:
        waiting_day, back = result.judged.waiting
        lines.append(f"Waiting for the audits of {waiting_day}: {back.audited} of {back.drawn} back")
    stored = result.stored
    if stored is None:
        lines.append(f"{result.queue.id} {result.day}: {result.note}")
        return lines
    drawn = stored.drawn
    how = "drawn now" if result.new else "drawn before (the stored sample)"
    lines.append(
        f"{result.queue.id} {result.day}: {drawn.size} of {stored.lot_size} decisions, {how}; "
        f"{stored.inspection} inspection, AQL {stored.aql:g}, level {stored.level}, "
        f"sample {stored.sample_size}, Ac {stored.accept}, Re {stored.reject}, seed {drawn.seed}"
    )
    for who in drawn.labelers:
        nesting = ", nesting" if who.nesting else ""
        lines.append(f"  {who.labeler_id}: {who.drawn} of {who.population} (minimum {who.minimum}{nesting})")
    lines.extend(f"  {note}" for note in [*drawn.notes, *([result.note] if result.note else [])])
    if file:
        lines.append(f"  wrote {file}")
    return lines
