"""The audited sample coming back: the file recognised by its header, every row checked (all or
nothing), who may send it, and its audits stored through the ingest with the sample days' figures (on
SQLite and PostgreSQL); sent twice, nothing is filled the second time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.roles import Role, UserRoles
from handlers.queue_data.uploads import upload_scope
from handlers.sampling import store
from handlers.sampling.cli import register
from handlers.sampling.daily import draw_day
from handlers.sampling.export import auditor_csv
from handlers.sampling.returns import (
    ReturnsRefused,
    is_returns_file,
    parse_returns,
    report_lines,
    take_back,
)
from storage.migrate import run_on_database
from storage.models import Decision
from tests.unit.cli_fixtures import tsqa_app, tsqa_env
from tests.unit.sampling_fixtures import DAY, NOW, QUEUE, csv_rows, day_table, load
from tests.unit.sampling_fixtures import filled as filled  # also for test_returns_after_appeal.py
from tests.unit.sampling_fixtures import ws as ws  # a fixture: in this module's names, pytest finds it

HEADER = "queue,item_id,completed_at,labeler_id,decision,link,qa_decision,qa_auditor\n"
T1 = "2026-11-19T08:00:00+00:00"


def test_the_file_is_known_by_the_exports_columns_link_optional() -> None:
    assert is_returns_file(HEADER.encode())
    assert is_returns_file(b"\xef\xbb\xbf" + HEADER.replace("link,", "").upper().encode())
    assert not is_returns_file(b"queue,item_id,completed_at,labeler_id,decision,qa_decision\n")  # no auditor
    assert not is_returns_file(b"item_id,enqueued_at,completed_at,queue,labeler_id,handle_seconds\n")
    assert not is_returns_file(b"\xff\xfe\x00")
    # a full decisions export naming its auditors is queue data, for the ingest
    full = "item_id,queue,vendor,site,labeler_id,enqueued_at,completed_at,handle_seconds,decision,qa_decision"
    assert not is_returns_file(f"{full},qa_auditor\n".encode())


def test_every_row_is_checked_and_each_problem_named_by_line_and_column(workspace) -> None:
    text = HEADER + (
        f"hate-en,a1,{T1},nr-1,allow,,remove,qa-7\n"  # line 2: fine
        f"nope,a2,{T1},nr-1,allow,,remove,\n"  # line 3: unknown queue
        "hate-en,a3,yesterday,nr-1,allow,,remove,\n"  # line 4: a time that is none
        f"hate-en,,{T1},nr-1,allow,,remove,\n"  # line 5: no item
        f"hate-en,a6,{T1},nr-1,allow,,delete,\n"  # line 6: not one of the queue's labels
        f"hate-en,a1,{T1},nr-1,allow,,allow,\n"  # line 7: line 2's decision again
        f"hate-en,a8,{T1},nr-1,allow,,,\n"  # line 8: not audited yet
    )
    parsed = parse_returns(text, workspace)
    assert parsed.problems == [
        "line 3: queue: no queue 'nope'; the queues are hate-en, spam-pt, graphic-img",
        "line 4: completed_at: 'yesterday' is not a time like 2026-11-23T08:15:00+00:00",
        "line 5: item_id: empty",
        "line 6: qa_decision: 'delete' is not one of hate-en's labels "
        "(allow, age_restrict, remove, escalate)",
        "line 7: item_id: the same decision as line 2",
    ]
    assert parsed.total == 7 and parsed.not_audited == 1
    assert [(r.line, r.item_id, r.qa_decision, r.qa_auditor) for r in parsed.rows] == [
        (2, "a1", "remove", "qa-7")
    ]
    # 2026-11-19 08:00 UTC since 1970, by hand: 56·365 + 14 leap days to 2026, 304 days to 1 November, 18
    # more: 20776 days and 8 hours
    assert parsed.rows[0].completed_us == (20776 * 86_400 + 8 * 3600) * 1_000_000


def test_labels_take_the_queues_spelling_and_quoted_formulas_their_text(workspace) -> None:
    text = HEADER + f"hate-en,'=1+2,{T1},nr-1,allow,,Age_Restrict,\n"
    parsed = parse_returns(text, workspace)
    assert parsed.problems == []
    assert (parsed.rows[0].item_id, parsed.rows[0].qa_decision) == ("=1+2", "age_restrict")
    # a queue listing no labels takes any verdict
    free = workspace.model_copy(
        update={"queues": [q.model_copy(update={"labels": []}) for q in workspace.queues]}
    )
    assert parse_returns(HEADER + f"hate-en,a,{T1},nr-1,allow,,whatever,\n", free).problems == []


def test_an_empty_file_is_refused(workspace) -> None:
    assert parse_returns(HEADER, workspace).problems == ["line 2: queue: the file has no rows"]


def test_vendor_leads_send_their_own_queues_only_and_labelers_none(workspace) -> None:
    queues = {q.id: q.vendor for q in workspace.queues}
    admin = upload_scope(queues, UserRoles("U0QALEAD1", frozenset({Role.ADMIN})))
    assert admin == (None, "")
    bluebird = upload_scope(
        queues, UserRoles("U0BBLEAD1", frozenset({Role.VENDOR_LEAD}), frozenset({"bluebird"}))
    )
    assert bluebird is not None and bluebird[0] == ["graphic-img"]
    text = HEADER + f"hate-en,a1,{T1},nr-1,allow,,remove,\ngraphic-img,g1,{T1},nr-9,allow,,allow,\n"
    parsed = parse_returns(text, workspace, bluebird[0], bluebird[1])
    assert parsed.problems == [
        "line 2: queue: hate-en is another vendor's queue: as a lead of bluebird you may load bluebird's "
        "queues only"
    ]
    assert upload_scope(queues, UserRoles("U0LABEL01", frozenset())) is None


async def stored_audits(db) -> dict[str, str]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(Decision.item_id, Decision.qa_decision).where(Decision.qa_decision.is_not(None))
        )
        return {item: verdict for item, verdict in rows.all() if verdict}


async def test_the_audits_are_stored_through_the_ingest_once(db, ws) -> None:
    await load(db, day_table(DAY))  # 1000 decisions, all "allow"
    result = await draw_day(db, ws, QUEUE, DAY, NOW)
    assert result.stored is not None and result.stored.drawn.size == 80
    picks = result.stored.drawn.picks
    # 12 audited: the first 3 disagree ("remove"), the next 9 agree; 68 left empty
    verdicts = {i: ("remove" if i < 3 else "allow") for i in range(12)}
    data = filled(result.csv(), verdicts)
    report = await take_back(db, ws, "back.csv", data, now=NOW)
    assert (report.total, report.filled, report.already, report.not_audited) == (80, 12, 0, 68)
    assert [(d.queue, d.day, d.drawn, d.audited, d.nonconforming, d.from_file) for d in report.days] == [
        (QUEUE, DAY, 80, 12, 3, 12)
    ]
    expected = {picks[i].item_id: verdicts[i] for i in range(12)}
    assert await stored_audits(db) == expected
    assert report_lines(report) == [
        "back.csv: 80 rows read; 12 audits filled, 0 already audited, 68 not audited yet",
        f"{QUEUE} {DAY}: 80 drawn for the plan, 12 of them audited now, 3 nonconforming so far "
        "(12 audits from this file)",
        "The lot is judged at the next draw.",
    ]
    # the same file again fills nothing; a verdict changed since is not taken either (an appeal is)
    again = await take_back(db, ws, "back.csv", filled(result.csv(), {**verdicts, 0: "allow"}), now=NOW)
    assert (again.filled, again.already, again.not_audited) == (0, 12, 68)
    assert again.days[0].from_file == 0 and again.days[0].audited == 12
    assert again.changed == [2]  # the first row, line 2 of the file
    assert report_lines(again)[1] == (
        "1 verdict differs from the audit stored before, kept as stored (line 2): a changed verdict "
        "is an appeal"
    )
    assert await stored_audits(db) == expected
    back = await store.returned(db, QUEUE, DAY)
    assert (back.audited, back.nonconforming) == (12, 3)


async def test_a_row_without_its_stored_decision_refuses_the_whole_file(db, ws) -> None:
    await load(db, day_table(DAY))
    result = await draw_day(db, ws, QUEUE, DAY, NOW)
    assert result.stored is not None
    rows = csv_rows(result.csv())
    good = rows[0]
    text = HEADER + "".join(
        ",".join([r["queue"], item, r["completed_at"], r["labeler_id"], r["decision"], "", "remove", ""])
        + "\n"
        for r, item in ((good, good["item_id"]), (rows[1], "not-stored"))
    )
    with pytest.raises(ReturnsRefused) as refused:
        await take_back(db, ws, "back.csv", text.encode(), now=NOW)
    assert refused.value.problems == [
        f"line 3: item_id: no stored decision 'not-stored' on {QUEUE} completed at "
        f"{datetime.fromisoformat(rows[1]['completed_at']).astimezone(UTC).isoformat()}"
    ]
    assert await stored_audits(db) == {}  # line 2 was fine, but nothing is stored


def test_the_cli_takes_the_file_back(tmp_path: Path, workspace) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"

    async def prepare(db) -> bytes:
        await load(db, day_table(DAY))
        result = await draw_day(db, workspace, QUEUE, DAY, NOW)  # the example's default plan: 80
        assert result.stored is not None
        return auditor_csv(result.stored.drawn, result.queue)

    data = run_on_database(url, prepare)
    file = tmp_path / "audit-sample-hate-en-2026-11-19.csv"
    file.write_bytes(filled(data, {0: "remove", 1: "allow"}))
    env = tsqa_env(url)
    root = tsqa_app(register)
    answer = CliRunner().invoke(root, ["sampling", "returns", str(file), "--json"], env=env)
    assert answer.exit_code == 0, answer.output
    said = json.loads(answer.stdout)
    assert (said["rows"], said["filled"], said["already_audited"], said["not_audited"]) == (80, 2, 0, 78)
    assert said["days"] == [
        {
            "queue": QUEUE,
            "day": "2026-11-19",
            "drawn": 80,
            "audited": 2,
            "nonconforming": 1,
            "extra": 0,
            "from_file": 2,
        }
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"hate-en,a1,{T1},nr-1,allow,,delete,\n")
    refused = CliRunner().invoke(root, ["sampling", "returns", str(bad)], env=env)
    assert refused.exit_code == 2
    assert "line 2: qa_decision: 'delete' is not one of hate-en's labels" in refused.output


async def test_a_row_the_ingest_refuses_is_named_by_its_line_in_the_returned_file(db, ws) -> None:
    await load(db, day_table(DAY))  # stored under northwind's lisbon site
    result = await draw_day(db, ws, QUEUE, DAY, NOW)
    assert result.stored is not None
    data = filled(result.csv(), {5: "allow", 9: "remove"})  # lines 7 and 11
    # the workspace file changed since: hate-en now sits at manila, so the stored rows contradict it
    moved = ws.model_copy(
        update={
            "queues": [q.model_copy(update={"site": "manila"}) if q.id == QUEUE else q for q in ws.queues]
        }
    )
    with pytest.raises(ReturnsRefused) as refused:
        await take_back(db, moved, "back.csv", data, now=NOW)
    reason = f"site: lisbon is not queue {QUEUE}'s site (manila)"
    assert refused.value.problems == [f"line 7: {reason}", f"line 11: {reason}"]
    assert await stored_audits(db) == {}
