"""`/sampling` end to end over signed HTTP against the Slack fake: a published plan (lot 1000, AQL 1.0,
level II, normal: letter J, sample 80, Ac 2, Re 3), an arrow followed and said, a lot inspected whole,
Cochran's size with its formula, wrong questions answered with what is allowed, and the help showing
the configured plans to admins and trainers only. Nothing is stored: anyone may ask."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.workspace_sampling import QueuePlan, SamplingSettings
from tests.e2e.harness import SlackSide, eventually, running_bot, texts

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
QUINN = "U0QALEAD1"  # admin
TRAINER = "U0TRAINER1"
KAI = "U0LABEL02"  # a labeler: no role
QA_OPS = "C0QAOPS01"


def clock() -> datetime:
    return NOW


def configured(workspace):  # noqa: ANN001, ANN201
    """The example workspace, quiet (no digests), with spam-pt on its own plan and a draw channel."""
    sampling = SamplingSettings(channel=QA_OPS, queues={"spam-pt": QueuePlan(aql=0.65, level="III")})
    return workspace.model_copy(update={"digests": [], "sampling": sampling})


async def answer(slack: SlackSide, text: str, user: str = KAI) -> str:
    """`/sampling TEXT`'s private answer as text: in the ack, or through the response URL after it."""
    before = len(slack.fake.calls_to("response_url"))
    reply = await slack.command("/sampling", text, user=user, channel=QA_OPS)
    assert reply.status == 200
    if reply.text and (reply.json() or {}).get("blocks"):
        return texts(reply.json()["blocks"])
    said = await eventually(lambda: slack.fake.calls_to("response_url")[before:])
    assert said, f"no answer to /sampling {text}"
    return texts(said[-1].args.get("blocks"))


async def test_plans_and_sizes_for_anyone(workspace, database_url) -> None:
    async with running_bot(configured(workspace), database_url, clock=clock) as (_bot, slack):
        published = await answer(slack, "plan --lot 1000 --aql 1.0")
        assert "Sampling plan: lot 1,000, AQL 1, level II, normal inspection" in published
        assert "*Code letter* J · *sample* 80 · *Ac* 2 · *Re* 3" in published
        assert "arrow" not in published
        assert "accept the lot with 2 or fewer nonconforming, reject it with 3 or more" in published
        assert "Table II-A" in published

        positional = await answer(slack, "plan 1000 1.0")
        assert "*Code letter* J · *sample* 80 · *Ac* 2 · *Re* 3" in positional

        # J has no plan at AQL 0.25 in Table II-A: the arrow points up to H (50, Ac 0, Re 1).
        arrow = await answer(slack, "plan --lot 1000 --aql 0.25")
        assert "*Code letter* H · *sample* 50 · *Ac* 0 · *Re* 1" in arrow
        assert (
            "↪ No plan for code letter J at AQL 0.25 under normal inspection: the arrow points up to "
            "letter H (sample 50); accept the lot with no nonconforming item, reject it with 1 or more."
            in arrow
        )

        tightened = await answer(slack, "plan 1000 1.0 tightened")
        assert "*Code letter* J · *sample* 80 · *Ac* 1 · *Re* 2" in tightened
        assert "Table II-B" in tightened

        # Lot 3 is letter A; at AQL 1.0 the arrow leads down to E, sample 13: more than the lot.
        whole = await answer(slack, "plan --lot 3 --aql 1")
        assert "*Code letter* E · *sample* 13 · *Ac* 0 · *Re* 1" in whole
        assert "⚠️ *Inspect all 3 items (100%)*: the sample reaches the lot." in whole

        # By hand: n0 = 1.95996² · 0.25 / 0.05² = 384.15; n = 384.15 / (1 + 383.15 / 1000) = 277.7 → 278.
        size = await answer(slack, "size --population 1000 --margin 0.05")
        assert "*n* = 278 · *n0* = 384.15" in size
        assert "within ±5% at 95% confidence (p = 0.5)" in size
        assert "n0 = z²·p(1−p)/e² with z = 1.960; n = n0 / (1 + (n0 − 1)/N), rounded up" in size

        as_percent = await answer(slack, "size 1000 5% 95%")
        assert "*n* = 278 · *n0* = 384.15" in as_percent


async def test_wrong_questions_say_what_is_allowed(workspace, database_url) -> None:
    async with running_bot(configured(workspace), database_url, clock=clock) as (_bot, slack):
        aql = await answer(slack, "plan --lot 1000 --aql 3")
        assert "AQL 3 is not in the ISO 2859-1 tables; choose one of 0.01, 0.015" in aql
        assert "sampling plan --lot N --aql A" in aql  # the usage follows

        level = await answer(slack, "plan 1000 1.0 IV")
        assert "Unknown inspection level 'IV'; choose one of S-1, S-2, S-3, S-4, I, II, III" in level

        missing = await answer(slack, "plan --lot 1000")
        assert "Give --aql, e.g. plan --lot 1000 --aql 1.0" in missing

        margin = await answer(slack, "size --population 1000 --margin 5")
        assert "The margin must be between 0 and 1, exclusive (got 5)" in margin

        unknown = await answer(slack, "draw")
        assert "I don't know `draw`: use plan or size." in unknown


async def test_help_shows_the_configured_plans_to_admins_and_trainers(workspace, database_url) -> None:
    async with running_bot(configured(workspace), database_url, clock=clock) as (_bot, slack):
        for person in (QUINN, TRAINER):
            shown = await answer(slack, "", user=person)
            assert "sampling plan --lot N --aql A" in shown
            assert "*Spam PT*: AQL 0.65, level III, starts on normal inspection" in shown
            assert (
                "*Hate speech EN*: AQL 1, level II, starts on normal inspection (the default plan)" in shown
            )
            assert (
                "Daily audit draw: at 06:00 (Europe/Dublin) in <#C0QAOPS01>, seed 2859, at least 2 per "
                in shown
            )
            assert "labeler (5 in nesting)" in shown

        labeler = await answer(slack, "", user=KAI)
        assert "sampling size --population N --margin E" in labeler
        assert "Configured plans" not in labeler
        assert "Spam PT" not in labeler

    # A workspace file without a `sampling:` section: the default plans, and no draw posted anywhere.
    async with running_bot(workspace.model_copy(update={"digests": []}), database_url, clock=clock) as (
        _bot,
        slack,
    ):
        shown = await answer(slack, "", user=QUINN)
        assert "*Spam PT*: AQL 1, level II, starts on normal inspection (the default plan)" in shown
        assert (
            "No daily audit draw is posted: give the workspace file's `sampling:` section a `channel`."
            in shown
        )
