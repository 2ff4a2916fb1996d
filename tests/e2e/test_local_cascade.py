"""A policy cascade in the local workspace, end to end without a browser: the page's own HTTP calls
against `tsqa run --local` in-process. An admin publishes, the update shows once in Northwind's
channel, a labeler's two clicks count once, and the admin's status says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.e2e.test_local_quiz import LABELER, QA_OPS, example_workspace, local_workspace, read
from tests.e2e.test_policy_cascade import library

ADMIN, NORTHWIND = "U0QALEAD1", "C0NWIND01"


async def test_an_admin_publishes_and_a_labeler_acknowledges_once(database_url) -> None:
    await library(database_url)
    workspace = example_workspace()
    ack_by = (datetime.now(UTC).astimezone(workspace.tz).date() + timedelta(days=7)).isoformat()
    publish = f"/policy publish spam --to northwind --ack-by {ack_by}"
    async with local_workspace(database_url, workspace) as (_run, page):
        await page.send(ADMIN, publish)
        assert await page.messages(ADMIN, QA_OPS, "published to 1 channel(s)")
        await page.send(ADMIN, publish)
        assert len(await page.messages(ADMIN, QA_OPS, "posted before in")) == 1
        [post] = await page.messages(LABELER, NORTHWIND, "Policy update")
        assert "Spam and platform manipulation · version 2" in read(post)
        await page.click(LABELER, post, "I have read and understood")
        assert await page.messages(LABELER, NORTHWIND, "Recorded: you have read and understood")
        await page.click(LABELER, post, "I have read and understood")
        assert await page.messages(LABELER, NORTHWIND, "already recorded")
        assert len(await page.messages(LABELER, NORTHWIND, "Policy update")) == 1
        await page.send(ADMIN, "/policy cascade spam")
        status = read((await page.messages(ADMIN, QA_OPS, "· cascade"))[0])
        members = re.search(r"1 of (\d+) acknowledged", status)
        assert members and "Northwind Review Services" in status
        assert f"Pending ({int(members[1]) - 1})" in status
