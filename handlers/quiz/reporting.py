"""`/quiz report TOPIC [vendor] [since YYYY-MM-DD]`: the report as a message, a chart and a CSV in the DM.

Trainers and admins see every vendor; a vendor lead sees their own vendor's labelers only. The
report goes to the asker's DM (never a channel: it names labelers' results), with the chart and
the CSV under it. Teams takes no files but images from a bot: the CSV then points to the CLI.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date
from typing import Any

import pyarrow as pa
from matplotlib.figure import Figure

from bot.charts import figure_png
from bot.chat.events import Command
from bot.chat.model import ContextLine, Header, Message, MessageRef, Part, Text, command, md
from bot.context import Context
from bot.csvsafe import write_csv
from bot.exports import attach_csv
from bot.roles import Role, UserRoles
from bot.routing import UsageError
from bot.usage import refused
from handlers.quiz import analysis
from handlers.quiz.report import Loaded, ReportError, first_attempts, placement_lookup, report

READERS = (Role.ADMIN, Role.TRAINER, Role.VENDOR_LEAD)
MAX_LINES = 15
USAGE = "/quiz report TOPIC [vendor] [since YYYY-MM-DD]"
CSV_COLUMNS = (
    "attempt",
    "user",
    "vendor",
    "site",
    "question_id",
    "version",
    "answer",
    "credit",
    "right",
    "answered_at",
)


def parse_args(args: list[str], vendors: set[str]) -> tuple[str, str | None, date | None]:
    """TOPIC, then a vendor id and `since YYYY-MM-DD` (or the bare date) in any order."""
    if not args:
        raise UsageError(md("Which quiz? `{}`", command(USAGE)))
    topic, vendor, since = args[0].lower(), None, None
    for word in args[1:]:
        lowered = word.lower()
        if lowered == "since":
            continue
        if lowered in vendors:
            vendor = lowered
            continue
        try:
            since = date.fromisoformat(word)
        except ValueError:
            known = ", ".join(sorted(vendors)) or "none in the workspace file"
            raise UsageError(
                md("`{}` is neither a vendor ({}) nor a date like 2026-11-01", word, known)
            ) from None
    return topic, vendor, since


def allowed_vendor(roles: UserRoles, vendor: str | None) -> tuple[bool, str | None, str]:
    """(may see, vendor to show, why not). QA staff see all; a lead of one vendor gets it by default."""
    if roles.has(Role.ADMIN, Role.TRAINER):
        return True, vendor, ""
    if not roles.has(Role.VENDOR_LEAD):
        return False, None, ""
    led = sorted(roles.lead_of)
    if vendor is None and len(led) == 1:
        return True, led[0], ""
    if vendor in roles.lead_of:
        return True, vendor, ""
    if vendor is None:
        return (
            False,
            None,
            f"You lead {', '.join(led)}: name one of them, e.g. `/quiz report TOPIC {led[0]}`.",
        )
    return False, None, f"You lead {', '.join(led)}: you can see the report of your own vendor only."


def _capped(title: str, lines: list, topic: str) -> Text:
    """A titled list of at most MAX_LINES lines: a chat block has a size limit, the CSV and JSON none."""
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(md("… and {} more: see `tsqa quiz report {} --json`", len(lines) - MAX_LINES, topic))
    return Text(md("*{}*\n", title) + md("\n").join(shown))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def report_message(data: dict[str, Any]) -> Message:
    """The figures in words; every value from data is text, never markup."""
    scope = md(" · {}", data["vendor"]) if data["vendor"] else md("")
    since = md(" · since {}", data["since"]) if data["since"] else md("")
    head = md("{} · report", data["title"]) + scope + since
    part = data["participation"]
    parts: list[Part] = [Header(head)]
    if not part["counted_attempts"]:
        parts.append(Text("Nobody has finished this quiz in this scope yet."))
        return Message(summary=head, parts=tuple(parts))
    o = data["overall"]
    parts.append(
        Text(
            md(
                "*{}* labelers took it ({} finished attempts). Mean {}, median {}, pass rate {} "
                "(pass mark {:.0%}).",
                part["labelers"],
                part["finished_attempts"],
                _pct(o["mean"]),
                _pct(o["median"]),
                _pct(o["pass_rate"]),
                data["pass_mark"],
            )
        )
    )
    lines = [
        md(
            "• {} / {}: {} labelers, mean {}, median {}, pass rate {}",
            g["vendor"],
            g["site"],
            g["labelers"],
            _pct(g["mean"]),
            _pct(g["median"]),
            _pct(g["pass_rate"]),
        )
        for g in data["groups"]
    ]
    parts.append(Text(md("*By vendor and site*\n") + md("\n").join(lines)))
    kr = data["kr20"]
    parts.append(
        Text(
            md(
                "*Reliability* KR-20 {} over {} attempts asked every question.",
                "n/a" if kr is None else f"{kr:.2f}",
                data["item_attempts"],
            )
        )
    )
    questions = {q["question"]: q for q in data["questions"]}
    hardest = sorted(data["questions"], key=lambda q: (q["p"] is None, q["p"] or 0.0))
    item_lines = [
        md("• `{}` p {} · D {} · r {}", q["question"], _pct(q["p"]), _num(q["d"]), _num(q["rpb"]))
        for q in hardest
    ]
    parts.append(_capped("Per question, hardest first", item_lines, data["topic"]))
    if data["flags"]:
        flagged = [md("• `{}`: {}", f["question"], "; ".join(f["reasons"])) for f in data["flags"]]
        parts.append(_capped("To review", flagged, data["topic"]))
    weak = [
        md(
            "• `{}` option {}: upper {}, lower {}",
            q,
            d["text"][:60],
            _pct(d["upper"]),
            _pct(d["lower"]),
        )
        for q, item in questions.items()
        for d in item["distractors"]
        if d["upper"] is not None and d["lower"] is not None and d["upper"] > d["lower"]
    ]
    if weak:
        parts.append(_capped("Distractors drawing the upper group more than the lower", weak, data["topic"]))
    if data["most_missed"]:
        todo = [
            md("• {} (`{}`, p {})", m["policy"] or "no policy section", m["question"], _pct(m["p"]))
            for m in data["most_missed"]
        ]
        parts.append(Text(md("*Training to-do: most missed*\n") + md("\n").join(todo)))
    if (kept := _retention(data.get("retention"))) is not None:
        parts.append(kept)
    parts.append(ContextLine(tuple(data["notes"])))
    return Message(summary=head, parts=tuple(parts))


def _retention(data: dict[str, Any] | None) -> Text | None:
    """What was missed and is in spaced review: how much of it is likely remembered now."""
    if not data or not data["overall"]:
        return None
    o = data["overall"]
    line = md(
        "*Retention of missed questions* {} likely remembered now ({} review cards, {} labelers)",
        _pct(o["mean"]),
        o["cards"],
        o["people"],
    )
    vendors = [md("{} {}", v, _pct(g["mean"])) for v, g in data["vendors"].items()]
    return Text(line + md(" · by vendor: ") + md(", ").join(vendors) if len(vendors) > 1 else line)


def chart_png(data: dict[str, Any], scores: list[float]) -> bytes:
    """Score histogram (counted attempts) over per-question p; a Figure of its own, safe in a thread."""
    figure = Figure(figsize=(9, 6))
    top, bottom = figure.subplots(2, 1)
    top.hist([s * 100 for s in scores], bins=[i * 10 for i in range(11)], color="#4a7ab5", edgecolor="white")
    top.axvline(data["pass_mark"] * 100, color="#b54a4a", linestyle="--", linewidth=1)
    top.set_xlabel("score %")
    top.set_ylabel("labelers")
    top.set_title(f"{data['title']}: scores (first attempts) and share right per question")
    ids = [q["question"] for q in data["questions"]]
    values = [0.0 if q["p"] is None else q["p"] for q in data["questions"]]
    colors = ["#b54a4a" if v < analysis.HARD_P else "#4a7ab5" for v in values]
    bottom.bar(range(len(ids)), values, color=colors)
    bottom.axhline(analysis.HARD_P, color="grey", linestyle=":", linewidth=1)
    bottom.set_xticks(range(len(ids)), [i[:16] for i in ids], rotation=45, ha="right", fontsize=7)
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("p (share right)")
    return figure_png(figure, dpi=100)


def _answer_text(loaded: Loaded, version: int, answer: dict[str, Any] | None) -> str:
    """What was answered as a person reads it: option texts, the typed text, or the matches."""
    if answer is None:
        return ""
    question = loaded.questions[version]
    if question.type in ("single", "multiple", "truefalse"):
        picked = [
            question.choices[i].text for i in answer.get("chosen") or () if 0 <= i < len(question.choices)
        ]
        return "; ".join(picked)
    if question.type == "matching":
        return "; ".join(
            f"{p.item} -> {m}" for p, m in zip(question.pairs, answer.get("matches") or (), strict=False)
        )
    return str(answer.get("text") or "")


def csv_bytes(loaded: Loaded) -> bytes:
    """Every answer of every finished attempt in scope (retakes included), neutralised for spreadsheets."""
    rows = sorted(loaded.rows, key=lambda r: (r.attempt, r.position))
    columns = {
        "attempt": [r.attempt for r in rows],
        "user": [r.user for r in rows],
        "vendor": [r.vendor for r in rows],
        "site": [r.site for r in rows],
        "question_id": [r.question for r in rows],
        "version": pa.array([loaded.numbers[r.version] for r in rows], pa.int64()),
        "answer": [_answer_text(loaded, r.version, r.answer) for r in rows],
        "credit": pa.array([r.credit for r in rows], pa.float64()),
        "right": pa.array([r.right for r in rows], pa.bool_()),
        "answered_at": pa.array([r.answered_at for r in rows], pa.timestamp("us", tz="UTC")),
    }
    table = pa.table({name: columns[name] for name in CSV_COLUMNS}, schema=_schema())
    buffer = io.BytesIO()
    write_csv(table, buffer)
    return buffer.getvalue()


def _schema() -> pa.Schema:
    types = {"version": pa.int64(), "credit": pa.float64(), "right": pa.bool_()}
    types["answered_at"] = pa.timestamp("us", tz="UTC")
    return pa.schema([(name, types.get(name, pa.string())) for name in CSV_COLUMNS])


async def report_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/quiz report …`: checks rights from the workspace file (never the payload), then DMs the report."""
    topic, vendor, since = parse_args(args, {v.id for v in ctx.workspace.vendors})
    roles = await ctx.roles()
    may, vendor, why = allowed_vendor(roles, vendor)
    if not may:
        await ctx.respond(Message.text(md("⛔ {}", why)) if why else refused("quiz report", READERS))
        return
    lookup = placement_lookup(ctx.db, ctx.workspace, ctx.services)
    try:
        data, loaded = await report(ctx.db, topic, lookup, vendor=vendor, since=since, now=ctx.now())
    except ReportError as exc:
        await ctx.respond(Message.text(md("⛔ {}. `{}` lists the quizzes.", str(exc), command("quiz"))))
        return
    await ctx.respond(Message.text(md("The report on *{}* is in our DM.", data["title"])))
    assert ctx.user is not None
    ref = await ctx.port.dm(ctx.user, report_message(data))
    if data["participation"]["counted_attempts"]:
        await _files(ctx, ref, data, loaded)


async def _files(ctx: Context, ref: MessageRef, data: dict[str, Any], loaded: Loaded) -> None:
    """The chart, then the CSV, under the report; the drawing and the CSV off the event loop."""
    assert ctx.user is not None
    scores = _first_scores(loaded)
    png = await asyncio.to_thread(chart_png, data, scores)
    name = f"quiz-{data['topic']}"
    await ctx.port.upload_file(ref.channel, f"{name}.png", png, title=f"{data['title']}: results", thread=ref)
    content = await asyncio.to_thread(csv_bytes, loaded)
    line = f"quiz report {data['topic']} --csv FILE"
    await attach_csv(ctx.port, ref, f"{name}-answers.csv", content, "All answers", line)


def _first_scores(loaded: Loaded) -> list[float]:
    return [float(c) for c in first_attempts(loaded.attempts)["credit"]]
