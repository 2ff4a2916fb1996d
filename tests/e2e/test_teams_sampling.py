"""`/sampling` in Microsoft Teams, through the same handlers as Slack: `sampling plan …` and
`sampling size …` typed in the personal chat answer there with the published figures (lot 1000, AQL 1.0,
level II, normal: J, 80, Ac 2, Re 3), an arrow followed and said, Cochran's size with its formula, a
wrong AQL answered with the allowed ones, and the configured plans in the help for a trainer only."""

from __future__ import annotations

from typing import Any

from bot.workspace_sampling import QueuePlan, SamplingSettings
from tests.e2e.teams_flow import card_text
from tests.e2e.teams_harness import LABELER, TRAINER, running_teams_bot, teams_workspace
from tests.e2e.test_quality import NOW
from tests.e2e.test_teams_quiz import said


def configured() -> Any:  # noqa: ANN401 - a Workspace
    sampling = SamplingSettings(queues={"spam-pt": QueuePlan(aql=0.65, level="III")})
    return teams_workspace().model_copy(update={"digests": [], "sampling": sampling})


async def last(teams, person, words: str) -> str:  # noqa: ANN001
    """The text of the newest card in the person's personal chat that has `words`."""
    found = await said(teams, person, words)
    assert found, f"no card with {words!r}"
    return card_text(found[-1])


async def test_plans_sizes_and_wrong_questions_in_teams(database_url) -> None:
    async with running_teams_bot(database_url, workspace=configured(), clock=lambda: NOW) as (_bot, teams):
        await teams.personal("sampling plan --lot 1000 --aql 1.0", LABELER)
        published = await last(teams, LABELER, "Sampling plan: lot 1,000, AQL 1,")
        assert "Code letter J · sample 80 · Ac 2 · Re 3" in published
        assert "accept the lot with 2 or fewer nonconforming, reject it with 3 or more" in published
        assert "Table II-A" in published

        # J has no plan at AQL 0.25 in Table II-A: the arrow points up to H (50, Ac 0, Re 1).
        await teams.personal("sampling plan 1000 0.25", LABELER)
        arrow = await last(teams, LABELER, "Sampling plan: lot 1,000, AQL 0.25")
        assert "Code letter H · sample 50 · Ac 0 · Re 1" in arrow
        assert "↪ No plan for code letter J at AQL 0.25 under normal inspection: the arrow points up" in arrow

        # By hand: n0 = 1.95996² · 0.25 / 0.05² = 384.15; n = 384.15 / (1 + 383.15 / 1000) = 277.7 → 278.
        await teams.personal("sampling size --population 1000 --margin 5%", LABELER)
        size = await last(teams, LABELER, "Sample size: 278 of 1,000")
        assert "n = 278 · n0 = 384.15" in size
        assert "n = n0 / (1 + (n0 − 1)/N), rounded up" in size

        await teams.personal("sampling plan --lot 1000 --aql 3", LABELER)
        wrong = await last(teams, LABELER, "AQL 3 is not in the ISO 2859-1 tables")
        assert (
            "choose one of 0.01, 0.015, 0.025, 0.04, 0.065, 0.1, 0.15, 0.25, 0.4, 0.65, 1, 1.5, 2.5" in wrong
        )
        assert "sampling plan --lot N --aql A" in wrong


async def test_the_configured_plans_for_a_trainer_only_in_teams(database_url) -> None:
    async with running_teams_bot(database_url, workspace=configured(), clock=lambda: NOW) as (_bot, teams):
        await teams.personal("sampling", TRAINER)
        shown = await last(teams, TRAINER, "Sampling plans")
        assert "Spam PT: AQL 0.65, level III, starts on normal inspection" in shown
        assert "Hate speech EN: AQL 1, level II, starts on normal inspection (the default plan)" in shown
        assert (
            "No daily audit draw is posted: give the workspace file's sampling: section a channel." in shown
        )

        await teams.personal("sampling", LABELER)
        labeler = await last(teams, LABELER, "Sampling plans")
        assert "sampling plan --lot N --aql A" in labeler
        assert "Configured plans" not in labeler and "Spam PT" not in labeler
