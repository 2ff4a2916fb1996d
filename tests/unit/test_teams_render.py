"""Neutral model → Adaptive Cards for Teams: every card passes the 1.5 schema, text from data or people
shows exactly as typed, and large messages are cut visibly."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from bot.chat import model as m
from bot.teams import render
from tests.teams_cards import (
    MAX_ACTIVITY_BYTES,
    size,
    validate_activity,
    validate_card,
    validate_dialog_response,
)
from tests.unit.teams_render_helpers import ALEX, NAMES, REVIEWS, FakeNames, rendered, runs, shown

SAM = "1d6e9b40-7c2a-4e85-b3f7-90a4c6d21e58"  # a made-up AAD object ID, as ALEX
QUEUE_NAME = "*bold* <at>x</at> [link](http://x) _i_"


# ----- parts -----


def test_header_is_bold_large_and_shows_markup_as_typed() -> None:
    card = rendered(m.Header(m.md("Digest for {}", "*hate-en*")), m.Header("h" * 400))
    (run,) = runs(card["body"][0])
    assert run == {"type": "TextRun", "text": "Digest for *hate-en*", "weight": "Bolder", "size": "Large"}
    assert len(runs(card["body"][1])[0]["text"]) == 150


def test_text_styles_become_text_run_properties() -> None:
    card = rendered(m.Text("*bold* _italic_ ~gone~ `code` plain"))
    by_text = {r["text"]: r for r in runs(card["body"][0])}
    assert by_text["bold"]["weight"] == "Bolder"
    assert by_text["italic"]["italic"] is True
    assert by_text["gone"]["strikethrough"] is True
    assert by_text["code"]["fontType"] == "Monospace"
    assert by_text[" plain"] == {"type": "TextRun", "text": " plain"}


def test_each_line_is_a_paragraph_and_a_blank_line_adds_space() -> None:
    card = rendered(m.Text("first\nsecond\n\nthird"))
    assert [runs(e)[0]["text"] for e in card["body"]] == ["first", "second", "third"]
    assert "spacing" not in card["body"][1] and card["body"][2]["spacing"] == "Medium"


def test_commands_show_as_typed_to_the_bot_and_channels_by_name() -> None:
    unknown = "19:0000aaaa@thread.tacv2"
    text = m.md("Run {} in {} or {}", m.command("/digest post"), m.channel(REVIEWS), m.channel(unknown))
    texts = {r["text"]: r for r in runs(rendered(m.Text(text))["body"][0])}
    assert texts["digest post"]["fontType"] == "Monospace"
    assert "#qa-reviews" in texts and unknown in texts


def test_a_mention_is_an_at_tag_in_a_text_block_with_its_entity() -> None:
    card = rendered(m.Text(m.md("*Assigned* to {} and {}", m.user(ALEX), m.user(SAM))))
    (block,) = card["body"]
    assert block["type"] == "TextBlock" and block["wrap"] is True
    assert block["text"] == f"**Assigned** to <at>Alex Example</at> and <at>{SAM}</at>"
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Alex Example</at>",
            "mentioned": {"id": ALEX, "name": "Alex Example"},
        },
        {"type": "mention", "text": f"<at>{SAM}</at>", "mentioned": {"id": SAM, "name": SAM}},
    ]


def test_the_same_person_twice_is_declared_once() -> None:
    card = rendered(m.Text(m.md("{}", m.user(ALEX))), m.ContextLine((m.md("cc {}", m.user(ALEX)),)))
    assert len(card["msteams"]["entities"]) == 1


def test_a_display_name_cannot_break_out_of_its_mention() -> None:
    names = FakeNames(people={ALEX: "Alex </at><at>Everyone & co"})
    card = render.card(m.Message.text(m.md("hi {}", m.user(ALEX))), names)
    validate_card(card)
    assert card["body"][0]["text"] == "hi <at>Alex /atatEveryone  co</at>"


def test_fields_alternate_between_two_columns() -> None:
    card = rendered(m.Fields(("*Queue*\nhate-en", "*Accuracy*\n97%", "*Vendor*\nv1")))
    (columns,) = card["body"]
    assert columns["type"] == "ColumnSet"
    left, right = ([runs(e)[0]["text"] for e in c["items"]] for c in columns["columns"])
    assert left == ["Queue", "hate-en", "Vendor", "v1"] and right == ["Accuracy", "97%"]


def test_context_lines_are_small_and_subtle() -> None:
    card = rendered(m.ContextLine(("source: upload", m.md("by {}", m.user(ALEX)))))
    first, second = card["body"]
    assert all(r["isSubtle"] and r["size"] == "Small" for r in runs(first))
    assert second["type"] == "TextBlock" and second["isSubtle"] and second["size"] == "Small"


def test_a_divider_puts_a_separator_on_the_next_element() -> None:
    card = rendered(m.Text("above"), m.Divider(), m.Buttons((m.Button("Go", "go"),)), m.Divider())
    assert [e.get("separator") for e in card["body"]] == [None, True]


def test_images_keep_url_alt_text_and_title() -> None:
    card = rendered(m.Image("https://example.com/chart.png", "weekly accuracy", title="Accuracy"))
    title, image = card["body"]
    assert runs(title)[0]["text"] == "Accuracy"
    assert image == {"type": "Image", "url": "https://example.com/chart.png", "altText": "weekly accuracy"}


def test_buttons_open_urls_open_dialogs_or_execute() -> None:
    buttons = (
        m.Button("Breakdown", "digest:breakdown", "2026-11-23", style="primary"),
        m.Button("Appeal", "appeal:open", "q1", style="danger", opens_form=True),
        m.Button("Docs", "docs", url="https://example.com/docs"),
        m.Button("b" * 100, "long", "v" * 3000),
    )
    (action_set,) = rendered(m.Buttons(buttons))["body"]
    execute, submit, open_url, long = action_set["actions"]
    assert execute == {
        "type": "Action.Execute",
        "title": "Breakdown",
        "style": "positive",
        "verb": "digest:breakdown",
        "data": {"tsqa_action": "digest:breakdown", "tsqa_value": "2026-11-23"},
    }
    assert submit["type"] == "Action.Submit" and submit["style"] == "destructive"
    assert submit["data"] == {
        "msteams": {"type": "task/fetch"},
        "tsqa_action": "appeal:open",
        "tsqa_value": "q1",
    }
    assert open_url == {"type": "Action.OpenUrl", "title": "Docs", "url": "https://example.com/docs"}
    assert len(long["title"]) == 75 and len(long["data"]["tsqa_value"]) == 2000


def test_many_buttons_wrap_into_rows_of_six() -> None:
    body = rendered(m.Buttons(tuple(m.Button(f"B{i}", f"a{i}") for i in range(8))))["body"]
    assert [len(s["actions"]) for s in body] == [6, 2]


def test_select_is_a_compact_choice_set_with_a_choose_button() -> None:
    options = (m.Option("One", "1"), m.Option("Two" * 40, "2"))
    choices, action_set = rendered(m.Select("pick", "Choose a queue", options, initial="2"))["body"]
    assert choices["type"] == "Input.ChoiceSet" and choices["id"] == "pick" and choices["style"] == "compact"
    assert choices["value"] == "2" and choices["placeholder"] == "Choose a queue"
    assert len(choices["choices"][1]["title"]) == 75
    (choose,) = action_set["actions"]
    assert choose["title"] == "Choose" and choose["verb"] == "pick"
    assert choose["data"] == {"tsqa_action": "pick", "tsqa_input": "pick"}


def test_checkboxes_are_an_expanded_multi_select_with_a_save_button() -> None:
    options = (m.Option("Hate", "hate"), m.Option("Spam", "spam"), m.Option("Other", "other"))
    boxes, action_set = rendered(m.Checkboxes("ack", options, initial=("hate", "spam")))["body"]
    assert boxes["style"] == "expanded" and boxes["isMultiSelect"] is True and boxes["value"] == "hate,spam"
    assert action_set["actions"][0]["title"] == "Save"
    assert action_set["actions"][0]["data"] == {"tsqa_action": "ack", "tsqa_input": "ack"}
    (empty, _) = rendered(m.Checkboxes("ack", options))["body"]
    assert "value" not in empty


# ----- text from data or people -----


def test_a_queue_name_shows_exactly_as_typed_in_text_runs() -> None:
    card = rendered(m.Text(m.md("*Queue {}* is late", QUEUE_NAME)), summary=m.md("late: {}", QUEUE_NAME))
    texts = [r["text"] for r in runs(card["body"][0])]
    assert texts == ["Queue ", QUEUE_NAME, " is late"]
    assert "msteams" not in card and "Action.OpenUrl" not in str(card)
    assert card["fallbackText"] == f"late: {QUEUE_NAME}"


def test_a_queue_name_next_to_a_mention_is_escaped_markdown() -> None:
    text = m.md("{} owns *{}* & `{}`", m.user(ALEX), QUEUE_NAME, "a_b")
    card = rendered(m.Text(text))
    markdown = card["body"][0]["text"]
    mention = "<at>Alex Example</at>"
    assert markdown.startswith(mention) and markdown.count("<at>") == 1
    rest = markdown.removeprefix(mention)
    bold = re.fullmatch(r" owns \*\*(.*)\*\* &amp; (.*)", rest)
    assert bold, rest
    assert shown(bold.group(1)) == QUEUE_NAME and shown(bold.group(2)) == "a_b"
    assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == [ALEX]


def test_form_errors_from_data_show_as_typed() -> None:
    form = m.Form("f", "Appeal", (m.TextInput("queue", "Queue"),))
    card = render.dialog(form, {"queue": f"{QUEUE_NAME} is not a queue"})
    validate_card(card)
    error = card["body"][0]
    assert error["color"] == "Attention" and shown(error["text"]) == f"{QUEUE_NAME} is not a queue"


# ----- size -----


def test_an_oversized_card_drops_trailing_parts_with_a_note() -> None:
    parts = tuple(m.Text(m.md("row {}: {}", i, "x" * 400)) for i in range(200))
    card = rendered(*parts)
    assert render.CARD_BUDGET - 1_000 < size(card) <= render.CARD_BUDGET  # full, not merely short
    *kept, note = card["body"]
    hidden = int(runs(note)[0]["text"].split()[0])
    assert runs(note)[0]["text"] == f"{hidden} more parts not shown: ask for a narrower view."
    assert ["".join(r["text"] for r in runs(e)) for e in kept] == [
        f"row {i}: {'x' * 400}" for i in range(len(kept))
    ]
    assert len(kept) + hidden == 200 and hidden > 0


def test_mentions_of_dropped_parts_are_not_declared() -> None:
    parts = [m.Text("y" * 5000) for _ in range(12)] + [m.Text(m.md("late: {}", m.user(SAM)))]
    card = rendered(*parts)
    assert "msteams" not in card and "more parts not shown" in str(card["body"][-1])


def test_one_huge_text_is_clipped_not_dropped() -> None:
    card = rendered(m.Text("line\n" * 100 + "z" * 30_000))
    texts = [runs(e)[0]["text"] for e in card["body"]]
    assert texts[0] == "line" and texts[-1].endswith("…")
    assert sum(len(t) for t in texts) == render.PART_CHARS


def test_image_card_holds_the_chart_as_a_data_uri() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
    card = render.image_card("Accuracy by week", png, "accuracy, weeks 40 to 47")
    validate_card(card)
    image = card["body"][1]
    assert image["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert image["altText"] == "accuracy, weeks 40 to 47"
    validate_activity({"type": "message", "attachments": [render.attachment(card)]})


def test_image_card_refuses_a_chart_over_budget() -> None:
    with pytest.raises(ValueError, match="bytes"):
        render.image_card("Too big", b"\x89PNG" + bytes(70_000), "chart")


# ----- dialogs -----

APPEAL = m.Form(
    "appeal",
    "Appeal a decision",
    (
        m.TextInput("reason", "Reason", multiline=True, max_length=500, placeholder="Why?", initial="draft"),
        m.TextInput("note", "Note", optional=True, hint="Seen by the vendor"),
        m.ChoiceInput(
            "queues", "Queues", (m.Option("Hate", "hate"), m.Option("Spam", "spam")), multiple=True
        ),
        m.ChoiceInput(
            "severity", "Severity", (m.Option("Low", "low"), m.Option("High", "high")), initial="low"
        ),
        m.UserInput("reviewer", "Reviewer", optional=True),
    ),
    submit="Send appeal",
    intro=(m.Text(m.md("Appeal for {}", m.user(ALEX))),),
    state="decision=42",
)


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


def test_dialog_maps_every_input_kind() -> None:
    card = render.dialog(APPEAL, names=NAMES)
    validate_card(card)
    assert card["body"][0]["text"] == "Appeal for <at>Alex Example</at>"
    fields = inputs(card)
    reason = fields["reason"]
    assert reason["type"] == "Input.Text" and reason["isMultiline"] is True and reason["maxLength"] == 500
    assert reason["value"] == "draft" and reason["placeholder"] == "Why?" and reason["isRequired"] is True
    assert reason["errorMessage"] and "isRequired" not in fields["note"]
    assert fields["queues"]["isMultiSelect"] is True and fields["queues"]["style"] == "compact"
    assert fields["severity"]["value"] == "low" and "isMultiSelect" not in fields["severity"]
    reviewer = fields["reviewer"]
    assert reviewer["type"] == "Input.ChoiceSet" and reviewer["choices"] == []
    assert reviewer["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    (submit,) = card["actions"]
    assert submit["type"] == "Action.Submit" and submit["title"] == "Send appeal"
    assert submit["data"]["tsqa_form"] == "appeal" and submit["data"]["tsqa_state"] == "decision=42"
    assert submit["data"]["tsqa_multi"] == ["queues"]


def test_an_error_shows_right_above_its_input() -> None:
    card = render.dialog(APPEAL, {"severity": "Pick High for a repeat appeal.", "gone": "Try again later."})
    validate_card(card)
    body = card["body"]
    assert body[0] == {"type": "TextBlock", "text": "Try again later\\.", "color": "Attention", "wrap": True}
    at = next(i for i, e in enumerate(body) if e.get("id") == "severity")
    assert (
        body[at - 1]["color"] == "Attention"
        and shown(body[at - 1]["text"]) == "Pick High for a repeat appeal."
    )
    assert sum(e.get("color") == "Attention" for e in body) == 2


def test_dialog_response_and_message_shapes() -> None:
    response = render.dialog_response(APPEAL, {"reason": "Too short."})
    validate_dialog_response(response)
    assert (
        response["task"]["type"] == "continue" and response["task"]["value"]["title"] == "Appeal a decision"
    )
    assert response["task"]["value"]["card"]["content"] == render.dialog(APPEAL, {"reason": "Too short."})
    message = render.dialog_message("Appeal sent.")
    validate_dialog_response(message)
    assert message == {"task": {"type": "message", "value": "Appeal sent."}}


def test_form_values_round_trip_a_teams_submission() -> None:
    (submit,) = render.dialog(APPEAL)["actions"]
    # Teams merges the inputs into the action's data, joins a multi-select with commas and leaves
    # empty inputs out.
    data = submit["data"] | {"reason": "Wrong label", "queues": "hate,spam", "severity": "", "msteams": {}}
    assert render.form_values(data) == {
        "reason": "Wrong label",
        "note": None,
        "queues": ["hate", "spam"],
        "severity": None,
        "reviewer": None,
    }
    assert render.form_values(submit["data"] | {"queues": ""})["queues"] == []


def test_form_values_without_the_input_list_still_reads_what_came() -> None:
    data = {"tsqa_form": "f", "tsqa_state": "", "tsqa_multi": ["tags"], "note": "", "reviewer": ALEX}
    assert render.form_values(data) == {"tags": [], "note": None, "reviewer": ALEX}


# ----- the rest of the surface -----


def test_fallback_text_is_plain() -> None:
    summary = m.md("*Digest* for {} is ready: {}", "hate_en", m.command("digest post"))
    assert render.fallback_text(m.Message(summary)) == "Digest for hate_en is ready: digest post"
    assert render.fallback_text(m.Message(m.md("for {}", m.user(ALEX))), NAMES) == "for Alex Example"


def test_home_card_renders_its_parts() -> None:
    card = render.home_card(m.Home((m.Header("Your queues"), m.Text("3 open"))), NAMES)
    validate_card(card)
    assert [runs(e)[0]["text"] for e in card["body"]] == ["Your queues", "3 open"]


def test_attachment_wraps_a_card_for_an_activity() -> None:
    card = rendered(m.Text("hello"))
    attached = render.attachment(card)
    assert attached == {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    validate_activity({"type": "message", "text": "hello", "attachments": [attached]})


# ----- the validator itself -----


def test_validator_rejects_what_teams_would_reject() -> None:
    good = rendered(m.Text(m.md("hi {}", m.user(ALEX))))
    bad_property = good | {"body": [{"type": "TextBlock", "text": "x", "colour": "Attention"}]}
    missing_entity = good | {"msteams": {"entities": []}}
    unknown_teams_key = good | {"msteams": good["msteams"] | {"wide": True}}
    bad_picker = good | {"body": [{"type": "Input.ChoiceSet", "id": "p", "choices.data": {"dataset": 1}}]}
    for card in (bad_property, missing_entity, unknown_teams_key, bad_picker):
        with pytest.raises(AssertionError):
            validate_card(card)


def test_validator_rejects_oversized_cards_and_activities() -> None:
    huge = render.card(m.Message("x", (m.Text("y" * 9_000),)), NAMES) | {"fallbackText": "z" * 90_000}
    with pytest.raises(AssertionError, match="bytes"):
        validate_card(huge)
    activity = {"type": "message", "text": "t" * MAX_ACTIVITY_BYTES, "attachments": []}
    with pytest.raises(AssertionError, match="bytes"):
        validate_activity(activity)
