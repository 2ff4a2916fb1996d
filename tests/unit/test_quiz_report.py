"""The quiz report on a real database: attempts made through `attempts.start/answer`, figures checked
against plain loops over the same scripted answers; first attempts only, vendor and since filters,
who may see what, the CSV neutralised, and the handler's chart, CSV and Teams fallback."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import random
import statistics
from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

import bot.cli
from bot.chat.events import Command
from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatError
from bot.context import Context, Services
from bot.roles import Role, RoleResolver, UserRoles
from bot.workspace import load_workspace
from handlers.quiz import attempts, report, reporting
from handlers.quiz.bank import Answer
from storage.engine import Database
from storage.migrate import upgrade
from tests.conftest import ROOT
from tests.unit.quiz_report_helpers import (
    NOW,
    PASS_MARK,
    QUESTIONS,
    TOPIC,
    USERS,
    WHERE,
    lookup,
    seeded,
)

# ----- an independent computation over the scripts -----


def group_mean(column: list[int], totals: list[int], size: int, top: bool) -> float:
    """The group's mean, averaged over every way of breaking the tie at the cut."""
    order = sorted(range(len(column)), key=lambda i: totals[i], reverse=top)
    cut = totals[order[size - 1]]
    sure = [i for i in order if (totals[i] > cut if top else totals[i] < cut)]
    tied = [i for i in order if totals[i] == cut]
    means = [
        sum(column[i] for i in [*sure, *c]) / size for c in itertools.combinations(tied, size - len(sure))
    ]
    return sum(means) / len(means)


def expected(answers: dict[str, dict[str, int]], users: list[str]) -> dict:
    rows = [[int(answers[u][q] == 0) for q in QUESTIONS] for u in users]
    n, k = len(rows), len(QUESTIONS)
    totals = [sum(r) for r in rows]
    size = max(1, int(n * 0.27 + 0.5))
    x = np.array(rows, dtype=float)
    out: dict = {"p": {}, "d": {}, "r": {}, "distractors": {}}
    for j, q in enumerate(QUESTIONS):
        column = [r[j] for r in rows]
        out["p"][q] = sum(column) / n
        out["d"][q] = group_mean(column, totals, size, True) - group_mean(column, totals, size, False)
        rest = x.sum(axis=1) - x[:, j]
        out["r"][q] = np.corrcoef(x[:, j], rest)[0, 1] if x[:, j].std() and rest.std() else None
        for option in (1, 2, 3):
            picked = [int(answers[u][q] == option) for u in users]
            out["distractors"][(q, option)] = (
                group_mean(picked, totals, size, True),
                group_mean(picked, totals, size, False),
            )
    # Cronbach's alpha with sample variances: another route to KR-20 for 0/1 items.
    out["kr20"] = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    scores = [t / k for t in totals]
    out["mean"], out["median"] = statistics.mean(scores), statistics.median(scores)
    out["pass_rate"] = sum(s >= PASS_MARK for s in scores) / n
    out["scores"] = dict(zip(users, scores, strict=True))
    return out


def check_items(data: dict, want: dict) -> None:
    assert [q["question"] for q in data["questions"]] == list(QUESTIONS)
    for item in data["questions"]:
        q = item["question"]
        assert item["p"] == pytest.approx(want["p"][q])
        assert item["d"] == pytest.approx(want["d"][q])
        assert item["rpb"] == pytest.approx(want["r"][q])
        got = {d["option"]: (d["upper"], d["lower"]) for d in item["distractors"]}
        assert sorted(got) == [1, 2, 3]
        for option, shares in got.items():
            assert shares == pytest.approx(want["distractors"][(q, option)])
    assert data["kr20"] == pytest.approx(want["kr20"])


async def test_figures_match_a_plain_computation_on_first_attempts(db: Database) -> None:
    answers = await seeded(db)
    data, loaded = await report.report(db, TOPIC, lookup, since=date(2026, 11, 1))
    want = expected(answers, USERS)
    assert data["participation"] == {"labelers": 14, "finished_attempts": 15, "counted_attempts": 14}
    assert data["overall"]["mean"] == pytest.approx(want["mean"])
    assert data["overall"]["median"] == pytest.approx(want["median"])
    assert data["overall"]["pass_rate"] == pytest.approx(want["pass_rate"])
    check_items(data, want)
    groups = {(g["vendor"], g["site"]): g for g in data["groups"]}
    assert set(groups) == {("northwind", "lisbon"), ("northwind", "manila"), ("bluebird", "nairobi"),
                           ("unknown", "unknown")}  # fmt: skip
    for (vendor, site), group in groups.items():
        members = [u for u in USERS if WHERE.get(u, ("unknown", "unknown")) == (vendor, site)]
        scores = [want["scores"][u] for u in members]
        assert group["labelers"] == len(members)
        assert group["mean"] == pytest.approx(statistics.mean(scores))
        assert group["median"] == pytest.approx(statistics.median(scores))
        assert group["pass_rate"] == pytest.approx(sum(s >= PASS_MARK for s in scores) / len(scores))
    flagged = {f["question"]: f["reasons"] for f in data["flags"]}
    for q in QUESTIONS:
        should = want["p"][q] < 0.3 or want["d"][q] < 0.2 or (want["r"][q] or 0) < 0
        assert (q in flagged) == should
    assert "q5" in flagged  # the scripted item that the weaker labelers get right
    lowest = min(QUESTIONS, key=lambda q: want["p"][q])
    assert data["most_missed"][0]["question"] == lowest
    assert data["most_missed"][0]["policy"] == f"mod#section-{QUESTIONS.index(lowest) + 1}"
    assert any("first finished attempt" in note for note in data["notes"])
    assert len(loaded.rows) == 15 * len(QUESTIONS)  # the retake's answers stay in the CSV


async def test_vendor_and_since_narrow_what_counts(db: Database) -> None:
    answers = await seeded(db)
    data, _ = await report.report(db, TOPIC, lookup, vendor="northwind")
    northwind = [u for u in USERS if WHERE.get(u, ("",))[0] == "northwind"]
    assert data["participation"]["labelers"] == len(northwind)
    assert {g["vendor"] for g in data["groups"]} == {"northwind"}
    check_items(data, expected(answers, northwind))
    # Retention counts the review cards of northwind's misses only: one per person and missed question.
    missed = {(u, q) for u in northwind for q in QUESTIONS if answers[u][q] != 0}
    kept = data["retention"]
    assert set(kept["vendors"]) == {"northwind"} and kept["overall"]["cards"] == len(missed)
    assert kept["overall"]["people"] == len({u for u, _ in missed})
    everything, _ = await report.report(db, TOPIC, lookup)
    assert everything["participation"]["labelers"] == 15  # the early attempt counts without `since`
    later, _ = await report.report(db, TOPIC, lookup, since=date(2026, 11, 25))
    assert later["participation"] == {"labelers": 0, "finished_attempts": 0, "counted_attempts": 0}
    assert later["questions"] == [] and later["overall"] is None


async def test_unknown_topic(db: Database) -> None:
    with pytest.raises(report.ReportError):
        await report.report(db, "nope", lookup)


async def test_the_csv_lists_every_answer_neutralised(db: Database) -> None:
    await seeded(db)
    _, loaded = await report.report(db, TOPIC, lookup, since=date(2026, 11, 1))
    rows = list(csv.DictReader(io.StringIO(reporting.csv_bytes(loaded).decode())))
    assert tuple(rows[0]) == reporting.CSV_COLUMNS
    assert len(rows) == 15 * len(QUESTIONS)
    risky = [r for r in rows if "SUM(A1)" in r["answer"]]
    assert risky and all(r["answer"] == "'=SUM(A1)" for r in risky)
    first = [r for r in rows if r["user"] == USERS[0]]
    assert {r["vendor"] for r in first} == {"northwind"} and {r["version"] for r in first} == {"1"}
    assert all(r["right"] in ("true", "false") for r in rows)


@pytest.mark.parametrize(
    "roles,lead_of,asked,result",
    [
        ({Role.TRAINER}, (), None, (True, None)),
        ({Role.ADMIN}, (), "bluebird", (True, "bluebird")),
        ({Role.VENDOR_LEAD}, ("northwind",), None, (True, "northwind")),
        ({Role.VENDOR_LEAD}, ("northwind",), "northwind", (True, "northwind")),
        ({Role.VENDOR_LEAD}, ("northwind",), "bluebird", (False, None)),
        ({Role.VENDOR_LEAD}, ("northwind", "bluebird"), None, (False, None)),
        (set(), (), None, (False, None)),
    ],
)
def test_who_may_see_which_vendor(roles, lead_of, asked, result) -> None:  # noqa: ANN001
    who = UserRoles("U0SOMEONE1", frozenset({Role.LABELER, *roles}), frozenset(lead_of))
    assert reporting.allowed_vendor(who, asked)[:2] == result


def test_arguments_in_any_order() -> None:
    vendors = {"northwind", "bluebird"}
    assert reporting.parse_args(["MOD", "since", "2026-11-01", "northwind"], vendors) == (
        "mod",
        "northwind",
        date(2026, 11, 1),
    )
    with pytest.raises(reporting.UsageError):
        reporting.parse_args(["mod", "somewhere"], vendors)
    with pytest.raises(reporting.UsageError):
        reporting.parse_args([], vendors)


class FakePort:
    """Records what the handler sends; `files` False behaves like Teams (images only)."""

    def __init__(self, files: bool = True) -> None:
        self.files = files
        self.sent: list[tuple[str, object]] = []

    async def dm(self, user: str, message: Message, **_: object) -> MessageRef:
        self.sent.append(("dm", message))
        return MessageRef("D0DM00001", "1.0")

    async def reply(self, thread: MessageRef, message: Message, **_: object) -> MessageRef:
        self.sent.append(("reply", message))
        return MessageRef(thread.channel, "2.0")

    async def channel_members(self, channel: str) -> list[str]:
        return []

    async def upload_file(self, channel: str, filename: str, content: bytes, **kw: object) -> None:
        if not self.files and not filename.endswith(".png"):
            raise ChatError("files_not_supported")
        self.sent.append(("file", (filename, content, kw.get("thread"))))


def context(db: Database, workspace, user: str, port: FakePort) -> tuple[Context, list[Message]]:  # noqa: ANN001
    said: list[Message] = []

    async def respond(message: Message, ephemeral: bool) -> None:
        said.append(message)

    services = Services(port=port, db=db, workspace=workspace, roles=RoleResolver(workspace, _no_groups),
                        settings=None, clock=lambda: NOW + timedelta(days=5))  # type: ignore[arg-type]  # fmt: skip
    return Context(services, user=user, channel="C0QAOPS01", responder=respond), said


async def _no_groups(group: str) -> list[str]:
    return []


@pytest.mark.parametrize("files", [True, False])
async def test_the_handler_dms_the_report_chart_and_csv(db: Database, workspace, files: bool) -> None:  # noqa: ANN001
    await seeded(db)
    port = FakePort(files)
    ctx, said = context(db, workspace, "U0TRAINER1", port)
    await reporting.report_command(ctx, Command("quiz", "report mod", "U0TRAINER1", "C0QAOPS01"), ["mod"])
    assert "in our DM" in said[0].summary.plain
    kinds = [kind for kind, _ in port.sent]
    assert kinds == ["dm", "file", "file" if files else "reply"]
    report_text = " ".join(getattr(p, "markdown", getattr(p, "text", "")).plain for p in port.sent[0][1].parts
                           if hasattr(getattr(p, "markdown", getattr(p, "text", None)), "plain"))  # fmt: skip
    assert "Moderation basics" in report_text and "KR-20" in report_text and "q5" in report_text
    name, png, thread = port.sent[1][1]
    assert name.endswith(".png") and png.startswith(b"\x89PNG") and thread == MessageRef("D0DM00001", "1.0")
    if not files:
        assert "tsqa quiz report mod --csv FILE" in port.sent[2][1].summary.plain


async def test_the_handler_refuses_labelers_and_other_vendors(db: Database, workspace) -> None:  # noqa: ANN001
    await seeded(db)
    port = FakePort()
    ctx, said = context(db, workspace, "U0LAB0001", port)
    await reporting.report_command(ctx, Command("quiz", "report mod", "U0LAB0001", "C0X"), ["mod"])
    ctx, said2 = context(db, workspace, "U0NWLEAD1", port)
    await reporting.report_command(ctx, Command("quiz", "", "U0NWLEAD1", "C0X"), ["mod", "bluebird"])
    assert port.sent == []
    assert "⛔" in said[0].summary.plain and "own vendor" in said2[0].summary.plain


def test_the_cli_prints_the_same_report_and_writes_the_csv(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite+aiosqlite:///{tmp_path}/q.db"

    async def prepare() -> dict:
        db = Database(url)
        await upgrade(db)
        await seeded(db)
        placed = report.placement_lookup(db, load_workspace(ROOT / "examples" / "workspace.yml"))
        data, _ = await report.report(db, TOPIC, placed, since=date(2026, 11, 1))
        await db.dispose()
        return data

    want = asyncio.run(prepare())
    out = tmp_path / "answers.csv"
    env = {"DATABASE_URL": url}
    result = CliRunner().invoke(
        bot.cli.app, ["quiz", "report", "mod", "--since", "2026-11-01", "--json", "--csv", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(want))
    assert len(out.read_text().splitlines()) == 1 + 15 * len(QUESTIONS)
    missing = CliRunner().invoke(bot.cli.app, ["quiz", "report", "nope", "--json"], env=env)
    assert missing.exit_code == 1
    bad = CliRunner().invoke(bot.cli.app, ["quiz", "report", "mod", "--vendor", "nobody"], env=env)
    assert bad.exit_code == 1


def test_a_long_bank_is_listed_in_part_in_chat() -> None:
    item = {"question": "q", "p": 0.5, "d": 0.1, "rpb": 0.2, "distractors": []}
    data = {
        "topic": "big", "title": "Big", "pass_mark": 0.8, "vendor": None, "since": None, "kr20": 0.7,
        "participation": {"labelers": 3, "finished_attempts": 3, "counted_attempts": 3},
        "overall": {"mean": 0.5, "median": 0.5, "pass_rate": 0.3}, "groups": [], "item_attempts": 3,
        "questions": [{**item, "question": f"q{i}"} for i in range(40)], "flags": [], "most_missed": [],
        "notes": [],
    }  # fmt: skip
    shown = " ".join(p.markdown.plain for p in reporting.report_message(data).parts if hasattr(p, "markdown"))
    assert "q14" in shown and "q39" not in shown and "25 more: see `tsqa quiz report big --json`" in shown


async def test_a_subset_attempt_counts_for_p_only(db: Database) -> None:
    answers = await seeded(db)
    step = await attempts.start(
        db, "U0LABSUB01", TOPIC, NOW + timedelta(days=1), count=2, rng=random.Random(1)
    )
    asked = []
    while step is not None:
        asked.append(step.question.id)
        shown = step.order.index(0)
        done = await attempts.answer(
            db, step.attempt_id, step.position, "U0LABSUB01", Answer(chosen=(shown,)), NOW
        )
        step = done.next_step
    data, _ = await report.report(db, TOPIC, lookup, since=date(2026, 11, 1))
    want = expected(answers, USERS)
    assert data["item_attempts"] == len(USERS) and data["participation"]["labelers"] == len(USERS) + 1
    for item in data["questions"]:
        q = item["question"]
        if q in asked:
            assert item["p"] == pytest.approx((want["p"][q] * len(USERS) + 1) / (len(USERS) + 1))
        else:
            assert item["p"] == pytest.approx(want["p"][q])
        assert item["d"] == pytest.approx(want["d"][q])
    assert data["kr20"] == pytest.approx(want["kr20"])
    assert any("subset" in note for note in data["notes"])


def test_retention_is_told_in_chat_with_each_vendor_when_there_are_several() -> None:
    data = {
        "topic": "t", "title": "T", "pass_mark": 0.8, "vendor": None, "since": None, "kr20": None,
        "participation": {"labelers": 2, "finished_attempts": 2, "counted_attempts": 2},
        "overall": {"mean": 0.5, "median": 0.5, "pass_rate": 0.5}, "groups": [], "item_attempts": 2,
        "questions": [], "flags": [], "most_missed": [], "notes": [],
        "retention": {"topic": "t", "overall": {"cards": 3, "people": 2, "mean": 0.62},
                      "vendors": {"acme": {"cards": 2, "people": 1, "mean": 0.5},
                                  "unknown": {"cards": 1, "people": 1, "mean": 0.86}}},
    }  # fmt: skip
    shown = " ".join(p.markdown.plain for p in reporting.report_message(data).parts if hasattr(p, "markdown"))
    assert "62% likely remembered now (3 review cards, 2 labelers)" in shown
    assert "by vendor: acme 50%, unknown 86%" in shown
    data["retention"] = {"topic": "t", "overall": None, "vendors": {}}
    shown = " ".join(p.markdown.plain for p in reporting.report_message(data).parts if hasattr(p, "markdown"))
    assert "Retention" not in shown
