"""Text from data or people reaches Slack as text: escaped once, where messages are rendered."""

from bot.chat import model as m
from bot.chat.model import md, plain
from bot.slack import render

PING = "<!channel>"
PHISH = "<https://x.example|Re-verify your login>"


def test_values_in_a_template_are_plain_text_and_markup_stays_markup() -> None:
    text = md("*{}* missed {:.0%} · {name}", PING, 0.25, name=PHISH)
    assert render.mrkdwn(text) == (
        "*&lt;!channel&gt;* missed 25% · &lt;https://x.example|Re-verify your login&gt;"
    )
    assert text.plain == f"*{PING}* missed 25% · {PHISH}"


def test_nested_markup_is_not_escaped_twice_and_join_escapes_items() -> None:
    inner = md("_{}_", "R&D")
    outer = md("{} and {}", inner, "Q&A")
    assert render.mrkdwn(outer) == "_R&amp;D_ and Q&amp;A"
    joined = md(", ").join([PING, md("*{}*", "a>b")])
    assert render.mrkdwn(joined) == "&lt;!channel&gt;, *a&gt;b*"
    assert render.mrkdwn(plain("a & b") + md("*x*")) == "a &amp; b*x*"


def test_every_text_bearing_part_and_the_fallback_are_escaped() -> None:
    label = md("{} · {}", PING, PHISH)
    message = m.Message.of(
        label,
        m.Header(md("Digest · {}", PING)),
        m.Text(label),
        m.Fields((label,)),
        m.ContextLine((label,)),
    )
    blocks = render.blocks(message.parts)
    rendered = [blocks[1]["text"]["text"], blocks[2]["fields"][0]["text"], blocks[3]["elements"][0]["text"]]
    for text in rendered + [render.fallback_text(message)]:
        assert "&lt;!channel&gt;" in text and "&lt;https://x.example|Re-verify your login&gt;" in text
        assert "<!" not in text and "<http" not in text
    # A header is plain_text: Slack shows it as typed and parses nothing in it.
    assert blocks[0]["text"] == {"type": "plain_text", "text": f"Digest · {PING}", "emoji": True}


def test_clipping_never_leaves_half_an_escape() -> None:
    text = m.Text(md("{}", "a" * 2996 + "<<<<"))
    clipped = render.blocks([text])[0]["text"]["text"]
    assert clipped == "a" * 2996 + "…"  # not "…&lt…", which Slack would show as typed
