"""Audits that come back for decisions already stored (an audited sample re-ingested) are filled in, and
the day's figures follow them; an audit already stored is never overwritten by a re-ingest."""

from __future__ import annotations

from datetime import date

from handlers.digest.service import digest_for_day, digest_from_file
from handlers.queue_data.ingest import ingest_decisions
from tests.unit.test_digest_ingest import NOW, csv_bytes, decisions, stored_count  # noqa: F401 - a fixture

DAYS = (date(2026, 11, 4), date(2026, 11, 9))


async def test_returned_audits_are_filled_in_and_the_figures_follow(db, workspace, decisions) -> None:  # noqa: F811
    audited = decisions["qa_decision"].notna() & (decisions["qa_decision"] != "")
    held_back = audited & (decisions.index % 2 == 0)  # half the audits are not back yet
    first = decisions.copy()
    first.loc[held_back, [c for c in ("qa_decision", "qa_auditor") if c in first]] = None
    await ingest_decisions(db, workspace, csv_bytes(first), "before-audit.csv", now=NOW)
    for day in DAYS:
        assert await digest_for_day(db, workspace, day) == digest_from_file(workspace, csv_bytes(first), day)

    back = await ingest_decisions(db, workspace, csv_bytes(decisions), "audited.csv", now=NOW)
    assert (back.stored, back.already, back.audits_added) == (0, len(decisions), int(held_back.sum()))
    assert "got their QA audit" in back.summary()
    assert await stored_count(db) == len(decisions)
    for day in DAYS:
        assert await digest_for_day(db, workspace, day) == digest_from_file(
            workspace, csv_bytes(decisions), day
        )

    again = await ingest_decisions(db, workspace, csv_bytes(decisions), "audited.csv", now=NOW)
    assert again.audits_added == 0  # nothing left to fill


async def test_a_stored_audit_is_not_overwritten_by_a_reingest(db, workspace, decisions) -> None:  # noqa: F811
    await ingest_decisions(db, workspace, csv_bytes(decisions), "d.csv", now=NOW)
    audited = decisions["qa_decision"].notna() & (decisions["qa_decision"] != "")
    changed = decisions.copy()
    changed.loc[audited, "qa_decision"] = "a-different-label"
    report = await ingest_decisions(db, workspace, csv_bytes(changed), "changed.csv", now=NOW)
    assert report.audits_added == 0
    for day in DAYS:
        assert await digest_for_day(db, workspace, day) == digest_from_file(
            workspace, csv_bytes(decisions), day
        )
