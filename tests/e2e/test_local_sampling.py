"""/sampling in the local workspace, end to end without a browser: the page's own HTTP calls against
`tsqa run --local` in-process, through the same handlers as Slack and Teams."""

from __future__ import annotations

from tests.e2e.escalate_flow import Clock
from tests.e2e.test_local_quiz import QA_OPS, example_workspace, read
from tests.e2e.test_local_training import local_on
from tests.e2e.training_flow import LEE, NOW, QUINN


async def test_sampling_plans_and_sizes_in_the_local_workspace(database_url) -> None:
    async with local_on(database_url, example_workspace(), Clock(NOW)) as (_, page):
        # ANSI/ASQ Z1.4 Table I: a lot of 1,000 at level II is code letter J (80 items); Table II-A
        # at AQL 1.0 gives Ac 2, Re 3.
        await page.send(LEE, "/sampling plan --lot 1000 --aql 1.0")
        [plan] = await page.messages(LEE, QA_OPS, "Code letter")
        shown = read(plan)
        assert "Code letter J · sample 80 · Ac 2 · Re 3" in shown, shown

        # Cochran: 1.96² × 0.25 / 0.05² = 384.15, corrected for N = 1,000: 384.15 / (1 + 383.15/1000)
        # = 277.7, rounded up to 278.
        await page.send(QUINN, "/sampling size --population 1000 --margin 0.05")
        [size] = await page.messages(QUINN, QA_OPS, "278")
        assert "384.15" in read(size)

        await page.send(LEE, "/sampling plan --lot 1000 --aql 3")
        [wrong] = await page.messages(LEE, QA_OPS, "⚠️ AQL 3 is not in the ISO 2859-1 tables")
        assert "choose one of" in read(wrong) and "2.5, 4, 6.5" in read(wrong)  # the allowed AQLs
