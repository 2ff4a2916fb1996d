"""A returned sample compared with QA's audits as stored, not with what an overturned appeal made of
them: sent again after an overturn, the file's unchanged verdicts are no change. And the read that lets
it: `decisions_between(outcomes=False)` gives the stored audit, the default the corrected label (on
SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from handlers.sampling.daily import draw_day
from handlers.sampling.draw import Pick
from handlers.sampling.returns import report_lines, take_back
from storage import queue_data
from storage.engine import Database
from storage.models.appeals import OPEN, OVERTURNED, Appeal
from tests.unit.sampling_fixtures import NOW, QUEUE, day_table, filled, load
from tests.unit.sampling_fixtures import ws as ws
from tests.unit.test_sampling_returns import stored_audits

DAY = date(2026, 11, 19)


async def appeal_on(db: Database, pick: Pick, qa: str, status: str, final: str | None) -> None:
    """An appeal on the picked decision as the appeals code stores it (the decided row, no chat)."""
    filed = NOW + timedelta(hours=1)
    async with db.transaction() as session:
        session.add(
            Appeal(
                completed_us=pick.completed_us, queue=pick.queue, item_id=pick.item_id,
                labeler_id=pick.labeler_id, vendor="northwind", site="lisbon", decision=pick.decision,
                qa_decision=qa, qa_auditor="qa-7", audited_at=NOW, user_id="U0LABEL01",
                reason="the policy allows it", policy_section="2.1", filed_at=filed,
                due_at=filed + timedelta(days=2), status=status,
                decided_at=None if status == OPEN else filed + timedelta(hours=2), final_label=final,
                corrected_at=filed + timedelta(hours=2) if status == OVERTURNED else None,
            )
        )  # fmt: skip


async def test_a_verdict_overturned_on_appeal_is_no_change_when_the_file_comes_back(db, ws) -> None:  # noqa: F811
    await load(db, day_table(DAY))  # every labeler said "allow"
    result = await draw_day(db, ws, QUEUE, DAY, NOW)
    assert result.stored is not None
    picks = result.stored.drawn.picks
    verdicts = {i: ("remove" if i < 3 else "allow") for i in range(12)}  # the first 3 disagree
    first = await take_back(db, ws, "back.csv", filled(result.csv(), verdicts), now=NOW)
    assert (first.filled, first.changed) == (12, [])
    # The labeler appealed the first disagreement and the reviewer overturned it to the labeler's label.
    await appeal_on(db, picks[0], "remove", OVERTURNED, "allow")
    again = await take_back(db, ws, "back.csv", filled(result.csv(), verdicts), now=NOW)
    assert (again.filled, again.already, again.changed) == (0, 12, [])
    assert not any("differ" in line for line in report_lines(again))
    # A verdict QA did change in the file is still named: the second row, line 3.
    changed = await take_back(db, ws, "back.csv", filled(result.csv(), {**verdicts, 1: "allow"}), now=NOW)
    assert changed.changed == [3]
    # Nothing was rewritten: the stored audits are still QA's own.
    assert await stored_audits(db) == {picks[i].item_id: verdicts[i] for i in range(12)}


async def test_decisions_between_gives_the_stored_audit_only_when_asked(db, ws) -> None:  # noqa: F811
    await load(db, day_table(DAY, per_labeler=2))
    result = await draw_day(db, ws, QUEUE, DAY, NOW)
    assert result.stored is not None
    picks = result.stored.drawn.picks
    await take_back(
        db, ws, "back.csv", filled(result.csv(), {0: "remove", 1: "remove", 2: "age_restrict"}), now=NOW
    )
    await appeal_on(db, picks[0], "remove", OVERTURNED, "allow")
    await appeal_on(db, picks[1], "remove", OPEN, "age_restrict")  # a label on an open appeal counts nowhere
    stored = {picks[0].item_id: "remove", picks[1].item_id: "remove", picks[2].item_id: "age_restrict"}
    corrected = {**stored, picks[0].item_id: "allow"}
    span = (picks[0].completed_us, picks[-1].completed_us + 1)
    async with db.transaction() as session:
        default = (await queue_data.decisions_between(session, *span)).sort_by("item_id")
        as_stored = (await queue_data.decisions_between(session, *span, outcomes=False)).sort_by("item_id")

    def audits(table: pa.Table) -> dict[str, str]:
        return {
            item: qa
            for item, qa in zip(table["item_id"].to_pylist(), table["qa_decision"].to_pylist(), strict=True)
            if qa
        }

    assert audits(default) == corrected
    assert audits(as_stored) == stored
    # Every other column is the same read either way.
    assert as_stored.drop_columns(["qa_decision"]).equals(default.drop_columns(["qa_decision"]))
    assert as_stored.schema == default.schema
