"""The `/calibrate new` form checked: every field against the workspace file, the people behind the
participants, and the items (a pasted CSV, or picked from the audited disagreements). Each problem is
shown next to its field, with line numbers for the CSV; nothing is stored while any remains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.chat.model import FormErrors
from bot.context import Context
from bot.routing import UsageError
from bot.workspace import Queue
from handlers.calibration import disagreements
from handlers.calibration import views as v
from handlers.calibration.items import MAX_ITEMS, ItemDraft, parse_items, with_references
from handlers.quiz import assign

DUE_FORMAT = "%Y-%m-%d %H:%M"
MIN_LEAD = timedelta(minutes=10)
MAX_LEAD = timedelta(days=60)
MIN_PEOPLE = 2
PROBLEMS_SHOWN = 8  # a form error is one short text: the first problems, then how many more


@dataclass(frozen=True)
class NewSession:
    title: str
    queue: Queue
    due_at: datetime
    participants: tuple[str, ...]
    items: tuple[ItemDraft, ...]


def _text(values: Mapping[str, object], name: str) -> str:
    raw = values.get(name)
    return str(raw).strip() if raw is not None else ""


def listed(problems: Sequence[str]) -> str:
    shown = "; ".join(problems[:PROBLEMS_SHOWN])
    more = len(problems) - PROBLEMS_SHOWN
    return f"{shown}; and {more} more" if more > 0 else shown


def _number(text: str, default: int, low: int, high: int, what: str) -> tuple[int, str | None]:
    if not text:
        return default, None
    if not text.isdigit() or not low <= int(text) <= high:
        return default, f"{what} is a whole number from {low} to {high}."
    return int(text), None


async def _participants(ctx: Context, text: str, errors: dict[str, str]) -> tuple[str, ...]:
    """The people behind the targets, as `/quiz assign` reads and expands them."""
    if not text:
        errors["participants"] = "Name at least two people, a channel or a group."
        return ()
    today = ctx.now().astimezone(ctx.workspace.tz).date()
    try:
        request = assign.parse(f"calibration to {text}", ctx.workspace, today)
    except UsageError as exc:
        said = exc.args[0] if exc.args else "I could not read the participants."
        errors["participants"] = said if isinstance(said, str) else said.plain
        return ()
    reached = await assign.expand(ctx.services, request.targets)
    if reached.problems:
        errors["participants"] = listed([p.plain for p in reached.problems])
        return ()
    if len(reached.users) < MIN_PEOPLE:
        errors["participants"] = (
            f"That is {len(reached.users)} person: agreement needs at least {MIN_PEOPLE}."
        )
        return ()
    return tuple(sorted(reached.users))


def _due(ctx: Context, text: str, errors: dict[str, str]) -> datetime | None:
    try:
        due = datetime.strptime(text, DUE_FORMAT).replace(tzinfo=ctx.workspace.tz)
    except ValueError:
        errors["due"] = f"“{text}” is not a time like 2026-12-01 15:00 (YYYY-MM-DD HH:MM, workspace time)."
        return None
    now = ctx.now()
    if due < now + MIN_LEAD:
        errors["due"] = "Give a time at least 10 minutes from now: people need time to rate."
    elif due > now + MAX_LEAD:
        errors["due"] = "Give a time within 60 days."
    return due


async def _items(
    ctx: Context,
    values: Mapping[str, object],
    queue: Queue,
    errors: dict[str, str],
    focus: tuple[str, str] | None = None,
    upload: tuple[str, tuple[ItemDraft, ...]] | None = None,
) -> tuple:
    if _text(values, "source") == v.SOURCE_UPLOAD:
        return _uploaded(queue, errors, upload)
    if _text(values, "source") == v.SOURCE_AUDITS:
        count, bad_count = _number(
            _text(values, "count"), disagreements.DEFAULT_COUNT, 2, MAX_ITEMS, "The count"
        )
        kept = ctx.workspace.ingest.retention_days  # raw decisions are kept so long, no longer
        days, bad_days = _number(_text(values, "days"), disagreements.DEFAULT_DAYS, 1, kept, "The period")
        if bad_count or bad_days:
            errors.update({k: e for k, e in (("count", bad_count), ("days", bad_days)) if e})
            return ()
        picked = await disagreements.pick_from_audits(
            ctx.db, queue.id, queue.labels, ctx.now(), count, days, focus
        )
        # The queue's item_link pattern, when the workspace file gives one, links each into the tool.
        picked = [replace(item, link=queue.link_to(item.item_id)) for item in picked]
        if len(picked) < 2:
            errors["count"] = (
                f"{queue.name} has {len(picked)} audited disagreement(s) in the last {days} days: "
                "pick a longer period, or paste the items as CSV."
            )
            return ()
        return tuple(picked)
    text = _text(values, "items")
    if not text:
        errors["items"] = (
            "Paste the items (item_id,link,note,reference), or pick from the audited disagreements."
        )
        return ()
    parsed = parse_items(text, queue.labels)
    if parsed.problems:
        errors["items"] = listed(parsed.problems)
        return ()
    if len(parsed.items) < 2:
        errors["items"] = "A session needs at least two items."
        return ()
    return parsed.items


def _uploaded(
    queue: Queue, errors: dict[str, str], upload: tuple[str, tuple[ItemDraft, ...]] | None
) -> tuple[ItemDraft, ...]:
    """The items of the file sent to the bot, their references checked against the chosen queue."""
    if upload is None:
        errors["source"] = "This form has no uploaded file of yours: send the CSV to me again, or paste it."
        return ()
    name, drafted = upload
    items, problems = with_references(drafted, queue.labels, queue.id)
    if problems:
        errors["source"] = f"{name}: " + listed(problems)
        return ()
    if len(items) < 2:
        errors["source"] = f"{name} has {len(items)} item: a session needs at least two."
        return ()
    return items


async def check_new(
    ctx: Context,
    values: Mapping[str, object],
    queues: Sequence[Queue],
    focus: tuple[str, str] | None = None,
    upload: tuple[str, tuple[ItemDraft, ...]] | None = None,
) -> NewSession | FormErrors:
    """The session the form describes, or what is wrong and where; `focus`: the error pair a quality
    recommendation opened the form for, favoured when items are picked from the audits; `upload`: the
    submitter's own uploaded file (name, items), when the form was opened from it."""
    errors: dict[str, str] = {}
    title = _text(values, "title")
    if not title:
        errors["title"] = "Give the session a short title."
    elif len(title) > v.TITLE_MAX:
        errors["title"] = f"Keep the title under {v.TITLE_MAX} characters (it has {len(title)})."
    queue = next((q for q in queues if q.id == _text(values, "queue")), None)
    if queue is None:
        errors["queue"] = "Pick one of the queues listed (a queue needs labels in the workspace file)."
    elif len(queue.labels) > v.MAX_LABELS:
        errors["queue"] = (
            f"{queue.name} has {len(queue.labels)} labels, and a ballot holds a button for each of at most "
            f"{v.MAX_LABELS}: pick another queue, or ask an admin to merge labels in the workspace file."
        )
    due = _due(ctx, _text(values, "due"), errors)
    people = await _participants(ctx, _text(values, "participants"), errors)
    items = await _items(ctx, values, queue, errors, focus, upload) if queue is not None else ()
    if errors or queue is None or due is None:
        return FormErrors(errors)
    return NewSession(title, queue, due, people, items)
