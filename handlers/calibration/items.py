"""The items of a session from a pasted CSV: `item_id,link,note,reference`, the header optional.

Every row is checked and every problem is named with its line, so a trainer fixes the paste in one
go; nothing is stored while any row is wrong. Items are referred to by ID, link and neutral note: the
bot never shows content, so a link must be a plain http(s) address and a note stays short.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

MAX_ITEMS = 50
COLUMNS = ("item_id", "link", "note", "reference")
ITEM_ID_MAX = 128
NOTE_MAX = 300
REFERENCE_MAX = 128
LINK_MAX = 1000
_LINK = re.compile(r"^https?://[^\s<>|]+$", re.IGNORECASE)
_ITEM_ID = re.compile(r"^[\w.:#/-]+$")


@dataclass(frozen=True)
class ItemDraft:
    """One item to rate; `reference` is one of the queue's labels or None."""

    item_id: str
    link: str | None = None
    note: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class ParsedItems:
    items: tuple[ItemDraft, ...]
    problems: tuple[str, ...]  # "line 3: …", in line order

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.items)


def _header(row: Sequence[str]) -> list[str] | None:
    """The columns a header row names, or None when the first row is data."""
    names = [cell.strip().lower() for cell in row]
    if "item_id" not in names:
        return None
    return names


def parse_items(text: str, labels: Sequence[str] | None, limit: int = MAX_ITEMS) -> ParsedItems:
    """The items of `text`; `labels` are the queue's (a reference must be one of them), or None for an
    uploaded file, which names no queue: its references are checked by `with_references` later."""
    rows = list(csv.reader(io.StringIO(text.strip("\ufeff"))))
    problems: list[str] = []
    columns: list[str] = list(COLUMNS)
    start = 0
    lines = [number for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if lines and (named := _header(rows[lines[0] - 1])) is not None:
        unknown = [name for name in named if name and name not in COLUMNS]
        if unknown:
            problems.append(
                f"line {lines[0]}: unknown column {', '.join(unknown)} (the columns: {', '.join(COLUMNS)})"
            )
        columns, start = named, 1
    items: list[ItemDraft] = []
    seen: dict[str, int] = {}
    for number in lines[start:]:
        row = rows[number - 1]
        if len(row) > len(columns):
            problems.append(f"line {number}: {len(row)} values, but only {len(columns)} columns")
            continue
        cells = {name: cell.strip() for name, cell in zip(columns, row, strict=False)}
        item, said = _item(cells, labels)
        problems += [f"line {number}: {problem}" for problem in said]
        if item is None:
            continue
        if item.item_id in seen:
            problems.append(f"line {number}: item {item.item_id} repeats line {seen[item.item_id]}")
            continue
        seen[item.item_id] = number
        items.append(item)
    if not lines[start:] and not problems:
        problems.append("no items: paste one item per line, `item_id,link,note,reference`")
    if len(items) > limit:
        problems.append(f"{len(items)} items: a session takes at most {limit}")
    return ParsedItems(tuple(items), tuple(problems))


def _item(cells: dict[str, str], labels: Sequence[str] | None) -> tuple[ItemDraft | None, list[str]]:
    said: list[str] = []
    item_id = cells.get("item_id", "")
    if not item_id:
        return None, ["the item_id is empty"]
    if len(item_id) > ITEM_ID_MAX or not _ITEM_ID.match(item_id):
        said.append(f"item_id {item_id[:40]!r} is not an ID (letters, digits and . _ - : # / only)")
    link = cells.get("link") or None
    if link and (len(link) > LINK_MAX or not _LINK.match(link)):
        said.append(f"link {link[:60]!r} is not a link (https://…, no spaces)")
    note = cells.get("note") or None
    if note and len(note) > NOTE_MAX:
        said.append(f"the note has {len(note)} characters: keep it under {NOTE_MAX}, neutral, no content")
    reference = cells.get("reference") or None
    if reference is not None and len(reference) > REFERENCE_MAX:
        said.append(f"reference {reference[:40]!r}… is not a label (at most {REFERENCE_MAX} characters)")
    elif reference is not None and labels is not None and reference not in labels:
        matched = next((label for label in labels if label.lower() == reference.lower()), None)
        if matched is None:
            said.append(f"reference {reference!r} is not one of the queue's labels ({', '.join(labels)})")
        reference = matched
    if said:
        return None, said
    return ItemDraft(item_id, link, note, reference), []


def with_references(
    items: Sequence[ItemDraft], labels: Sequence[str], queue: str
) -> tuple[tuple[ItemDraft, ...], list[str]]:
    """Items parsed without a queue, their references matched to `queue`'s labels (case aside), and a
    problem naming each item whose reference is not one of them."""
    checked: list[ItemDraft] = []
    problems: list[str] = []
    for item in items:
        if item.reference is None or item.reference in labels:
            checked.append(item)
            continue
        matched = next((label for label in labels if label.lower() == item.reference.lower()), None)
        if matched is None:
            problems.append(
                f"item {item.item_id}: reference {item.reference!r} is not one of {queue}'s labels "
                f"({', '.join(labels)})"
            )
        else:
            checked.append(replace(item, reference=matched))
    return tuple(checked), problems


def to_json(items: Sequence[ItemDraft]) -> list[dict[str, str | None]]:
    return [asdict(item) for item in items]


def from_json(rows: Sequence[dict[str, str | None]]) -> tuple[ItemDraft, ...]:
    return tuple(
        ItemDraft(str(row["item_id"]), row.get("link"), row.get("note"), row.get("reference")) for row in rows
    )
