"""The items of a calibration session: the pasted CSV checked row by row (every problem by line), and
the items picked from the audited disagreements (spread over the most frequent error pairs)."""

from __future__ import annotations

import pytest

from handlers.calibration.disagreements import Disagreement, pick
from handlers.calibration.items import ItemDraft, parse_items

LABELS = ["allow", "age_restrict", "remove", "escalate"]


def test_a_csv_with_a_header_takes_its_columns_in_any_order() -> None:
    parsed = parse_items("reference,item_id\nremove,ITEM-1\n,ITEM-2\n", LABELS)
    assert parsed.problems == ()
    assert parsed.items == (ItemDraft("ITEM-1", reference="remove"), ItemDraft("ITEM-2"))


def test_a_csv_without_a_header_is_item_link_note_reference() -> None:
    text = "\ufeffITEM-1,https://tool.example/1,a neutral note,Allow\n\n  \nITEM-2\n"
    parsed = parse_items(text, LABELS)
    assert parsed.ok
    assert parsed.items == (
        ItemDraft("ITEM-1", "https://tool.example/1", "a neutral note", "allow"),  # the label's own case
        ItemDraft("ITEM-2"),
    )


def test_every_problem_is_named_with_its_line() -> None:
    text = "\n".join(
        [
            "item_id,link,note,reference",
            "ITEM-1,https://tool.example/1,,remove",
            "ITEM-2,ftp://tool.example/2,,remove",  # not http(s)
            "ITEM-3,,,delete",  # not a label
            "ITEM-1,,,allow",  # repeats line 2
            ",,,allow",  # no id
            "ITEM 5,,,",  # a space is no ID
            "ITEM-6,,,remove,extra",  # too many values
            "ITEM-7,,{},".format("n" * 301),
        ]
    )
    problems = parse_items(text, LABELS).problems
    assert problems == (
        "line 3: link 'ftp://tool.example/2' is not a link (https://…, no spaces)",
        "line 4: reference 'delete' is not one of the queue's labels (allow, age_restrict, remove, escalate)",
        "line 5: item ITEM-1 repeats line 2",
        "line 6: the item_id is empty",
        "line 7: item_id 'ITEM 5' is not an ID (letters, digits and . _ - : # / only)",
        "line 8: 5 values, but only 4 columns",
        "line 9: the note has 301 characters: keep it under 300, neutral, no content",
    )


def test_an_unknown_column_and_an_empty_paste_are_refused() -> None:
    assert (
        parse_items("item_id,content\nITEM-1,text\n", LABELS)
        .problems[0]
        .startswith("line 1: unknown column content")
    )
    assert parse_items("  \n", LABELS).problems == (
        "no items: paste one item per line, `item_id,link,note,reference`",
    )


def test_at_most_fifty_items() -> None:
    assert parse_items("\n".join(f"ITEM-{n}" for n in range(50)), LABELS).ok
    assert parse_items("\n".join(f"ITEM-{n}" for n in range(51)), LABELS).problems == (
        "51 items: a session takes at most 50",
    )


def _rows(pair: tuple[str, str], ids: list[str], start: int) -> list[Disagreement]:
    """Newest first by id order: the first id completed last."""
    return [Disagreement(item, pair[0], pair[1], start - n) for n, item in enumerate(ids)]


def test_disagreements_are_spread_over_the_most_frequent_pairs_newest_first() -> None:
    found = [
        *_rows(("remove", "allow"), ["B1", "B2"], 900),
        *_rows(("allow", "remove"), ["A1", "A2", "A3", "A4"], 1000),
        *_rows(("allow", "escalate"), ["E1"], 800),
    ]
    picked = pick(found, 6, LABELS)
    assert [(i.item_id, i.reference) for i in picked] == [
        ("A1", "remove"), ("B1", "allow"), ("E1", "escalate"),
        ("A2", "remove"), ("B2", "allow"), ("A3", "remove"),
    ]  # fmt: skip
    assert all(i.link is None and i.note is None for i in picked)  # nothing that gives the answer away


@pytest.mark.parametrize("count", [1, 3, 20])
def test_picking_never_repeats_an_item_and_stops_at_what_there_is(count: int) -> None:
    found = [
        Disagreement("X1", "allow", "remove", 10),
        Disagreement("X1", "remove", "allow", 20),  # decided again: its newest audit counts
        Disagreement("X2", "allow", "allow", 30),  # agreed
        Disagreement("X3", "allow", "delete", 40),  # QA's label is not the queue's
        Disagreement("X4", "allow", "remove", 5),
    ]
    picked = pick(found, count, LABELS)
    assert len(picked) == min(count, 2)
    # Two pairs of one item each: ties go by the pair's labels.
    assert [(i.item_id, i.reference) for i in pick(found, 20, LABELS)] == [("X4", "remove"), ("X1", "allow")]


def test_a_focus_pair_gives_two_thirds_of_the_items_and_the_rest_are_spread() -> None:
    """A quality recommendation's pair (remove → allow, the less frequent one here) comes first, two
    thirds of the count, newest first; the rest are spread over the other pairs as usual."""
    found = [
        *_rows(("remove", "allow"), ["B1", "B2", "B3", "B4", "B5"], 900),
        *_rows(("allow", "remove"), ["A1", "A2", "A3", "A4", "A5", "A6"], 1000),
        *_rows(("allow", "escalate"), ["E1"], 800),
    ]
    picked = pick(found, 6, LABELS, focus=("remove", "allow"))
    assert [(i.item_id, i.reference) for i in picked] == [
        ("B1", "allow"), ("B2", "allow"), ("B3", "allow"), ("B4", "allow"),
        ("A1", "remove"), ("E1", "escalate"),
    ]  # fmt: skip
    # A focus with no audited disagreement picks as without one.
    assert pick(found, 6, LABELS, focus=("escalate", "allow")) == pick(found, 6, LABELS)
