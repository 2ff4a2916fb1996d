"""Neutral model → Block Kit: Slack's limits are respected and long messages split visibly."""

from bot.chat import model as m
from bot.slack import render


def test_every_part_renders_to_valid_blocks() -> None:
    message = m.Message.of(
        "summary",
        m.Header("Digest for 2026-11-23"),
        m.Text("*bold* text"),
        m.Fields(tuple(f"field {i}" for i in range(12))),
        m.ContextLine(("a", "b")),
        m.Divider(),
        m.Image("https://example.com/chart.png", "chart"),
        m.Buttons((m.Button("Breakdown", "digest:breakdown", "2026-11-23", style="primary"),)),
        m.Select("pick", "Choose", (m.Option("One", "1"), m.Option("Two", "2")), initial="2"),
        m.Checkboxes("ack", (m.Option("I have read it", "yes"),), initial=("yes",)),
    )
    blocks = render.blocks(message.parts)
    types = [b["type"] for b in blocks]
    assert types == [
        "header",
        "section",
        "section",
        "section",
        "context",
        "divider",
        "image",
        "actions",
        "actions",
        "actions",
    ]
    assert len(blocks[2]["fields"]) == 10 and len(blocks[3]["fields"]) == 2  # Slack allows 10 per section
    assert blocks[8]["elements"][0]["initial_option"]["value"] == "2"


def test_overlong_texts_are_clipped_not_rejected() -> None:
    blocks = render.blocks([m.Header("h" * 400), m.Text("t" * 5000), m.Buttons((m.Button("b" * 100, "a"),))])
    assert len(blocks[0]["text"]["text"]) == 150
    assert len(blocks[1]["text"]["text"]) == 3000 and blocks[1]["text"]["text"].endswith("…")
    assert len(blocks[2]["elements"][0]["text"]["text"]) == 75


def test_more_than_50_blocks_split_into_pages_with_a_note() -> None:
    message = m.Message("big", tuple(m.Text(f"line {i}") for i in range(120)))
    pages = render.message_pages(message)
    assert [len(p) for p in pages] == [50, 50, 22]
    assert "Continued in the next message (2 of 3)" in pages[0][-1]["elements"][0]["text"]
    texts = [b["text"]["text"] for p in pages for b in p if b["type"] == "section"]
    assert texts == [f"line {i}" for i in range(120)]  # nothing lost


def test_single_message_places_truncate_with_a_note() -> None:
    message = m.Message("big", tuple(m.Text(f"line {i}") for i in range(60)))
    blocks = render.message_truncated(message)
    assert len(blocks) == 50
    assert "11 more blocks not shown" in blocks[-1]["elements"][0]["text"]


def test_form_renders_as_modal_and_values_parse_back() -> None:
    form = m.Form(
        "quiz:new",
        "A title that is far too long for Slack",
        (
            m.TextInput("name", "Name", placeholder="e.g. hate-en"),
            m.ChoiceInput("queue", "Queue", (m.Option("A", "a"), m.Option("B", "b")), initial="b"),
            m.ChoiceInput("tags", "Tags", (m.Option("A", "a"),), multiple=True, optional=True),
            m.UserInput("who", "Who"),
        ),
        state='{"x": 1}',
    )
    view = render.form_view(form)
    assert view["type"] == "modal" and view["callback_id"] == "quiz:new"
    assert len(view["title"]["text"]) <= 24
    assert [b["block_id"] for b in view["blocks"]] == ["name", "queue", "tags", "who"]
    values = render.form_values(
        {
            "name": {"value": {"type": "plain_text_input", "value": "x"}},
            "queue": {"value": {"type": "static_select", "selected_option": {"value": "b"}}},
            "tags": {"value": {"type": "multi_static_select", "selected_options": [{"value": "a"}]}},
            "who": {"value": {"type": "users_select", "selected_user": "U1"}},
        }
    )
    assert values == {"name": "x", "queue": "b", "tags": ["a"], "who": "U1"}


def test_home_is_capped_at_100_blocks() -> None:
    view = render.home_view(m.Home(tuple(m.Text(str(i)) for i in range(150))))
    assert view["type"] == "home" and len(view["blocks"]) == 100
