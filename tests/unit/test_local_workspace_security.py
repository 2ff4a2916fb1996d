"""The local workspace has no login, so every route refuses what a foreign page or name could send: the
Host allow-list and the cross-site check on every route, downloads that never run in the page's origin,
IDs that cannot be guessed, upload URLs that take one upload."""

from __future__ import annotations

import re

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.webapi import SlackWebAPI
from tests.unit.local_workspace_harness import HEADERS, LEAD, QA, TOKEN, Setup

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def _shared(setup: Setup, name: str, content: bytes) -> dict:
    client = AsyncWebClient(token=TOKEN, base_url=setup.url + "/api/")
    return (await client.files_upload_v2(channel=QA, content=content, filename=name))["file"]


async def _every_route(setup: Setup) -> list[tuple[str, str, dict]]:
    """(method, path, request options) for each kind of route, with real IDs so only the guard can refuse."""
    file = await _shared(setup, "audit.csv", b"queue,score\nspam-pt,0.97\n")
    client = AsyncWebClient(token=TOKEN, base_url=setup.url + "/api/")
    pending = await client.files_getUploadURLExternal(filename="later.csv", length=1)
    response_url = setup.local.api.new_response_url(QA, LEAD)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    return [
        ("GET", "/", {}),
        ("GET", "/ui/static/app.js", {}),
        ("GET", "/ui/workspace", {}),
        ("GET", f"/ui/view?as={LEAD}", {}),
        ("POST", "/ui/message", {"json": {"as": LEAD, "channel": QA, "text": "hi"}, "headers": HEADERS}),
        ("POST", "/api/auth.test", {"headers": bearer}),
        ("GET", "/api/auth.test", {"headers": bearer}),
        ("POST", response_url.removeprefix(setup.url), {"json": {"text": "hi"}}),
        ("POST", pending["upload_url"].removeprefix(setup.url), {"data": b"x"}),
        ("GET", f"/files/{file['id']}/audit.csv", {}),
        ("GET", f"/files/{file['id']}/download/audit.csv", {"headers": bearer}),
        ("POST", "/slack/events", {"data": b"{}"}),
    ]


async def test_every_route_refuses_a_foreign_host_name(setup: Setup) -> None:
    for method, path, options in await _every_route(setup):
        headers = {**options.pop("headers", {}), "Host": "rebound.example:3000"}
        async with setup.session.request(method, setup.url + path, headers=headers, **options) as answer:
            assert answer.status == 403, (method, path)
            assert (await answer.json())["error"] == "unknown_host"


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_every_route_refuses_what_another_site_starts(setup: Setup, site: str) -> None:
    for method, path, options in await _every_route(setup):
        headers = {**options.pop("headers", {}), "Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors"}
        async with setup.session.request(method, setup.url + path, headers=headers, **options) as answer:
            assert answer.status == 403, (method, path)
            assert (await answer.json())["error"] == "cross_site_request"
    assert setup.local.api.state.response_urls and all(
        u.uses == 0 for u in setup.local.api.state.response_urls.values()
    )


async def test_following_a_link_to_the_page_and_the_page_itself_still_work(setup: Setup) -> None:
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    async with setup.session.get(setup.url + "/", headers=link) as answer:
        assert answer.status == 200
    cross_form = {**link, **HEADERS}
    body = {"as": LEAD, "channel": QA, "text": "hi"}
    async with setup.session.post(setup.url + "/ui/message", json=body, headers=cross_form) as answer:
        assert answer.status == 403  # a form may navigate, but never post
    own = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", **HEADERS}
    async with setup.session.post(setup.url + "/ui/message", json=body, headers=own) as answer:
        assert answer.status == 200 and (await answer.json())["ok"] is True


async def test_stored_files_are_never_sniffed_and_only_images_show_inline(setup: Setup) -> None:
    expected = {
        "audit.csv": ("text/csv", "attachment; filename*=UTF-8''audit.csv"),
        "chart.png": ("image/png", None),
        "logo.svg": ("image/svg+xml", "attachment; filename*=UTF-8''logo.svg"),
        "page.html": ("text/html", "attachment; filename*=UTF-8''page.html"),
        "notes v2.txt": ("text/plain", "attachment; filename*=UTF-8''notes%20v2.txt"),
        "q#4?.txt": ("text/plain", "attachment; filename*=UTF-8''q%234%3F.txt"),
    }
    in_url = {"notes v2.txt": "notes%20v2.txt", "q#4?.txt": "q%234%3F.txt"}
    contents = {"chart.png": PNG, "logo.svg": SVG, "page.html": b"<script>alert(1)</script>"}
    for name, (mimetype, disposition) in expected.items():
        file = await _shared(setup, name, contents.get(name, b"plain"))
        assert file["url_private"].endswith("/" + in_url.get(name, name))
        for url in (file["url_private"], file["url_private_download"]):
            async with setup.session.get(url) as answer:
                assert answer.status == 200 and answer.content_type == mimetype
                assert answer.headers["X-Content-Type-Options"] == "nosniff"
                assert answer.headers.get("Content-Disposition") == disposition, name


async def test_a_download_with_a_wrong_token_is_refused(setup: Setup) -> None:
    file = await _shared(setup, "audit.csv", b"queue,score\n")
    wrong = {"Authorization": "Bearer xoxb-someone-else"}
    async with setup.session.get(file["url_private_download"], headers=wrong) as answer:
        assert answer.status == 403
    right = {"Authorization": f"Bearer {TOKEN}"}
    async with setup.session.get(file["url_private_download"], headers=right) as answer:
        assert answer.status == 200 and await answer.read() == b"queue,score\n"


async def test_file_and_response_url_ids_cannot_be_guessed(setup: Setup) -> None:
    api = setup.local.api
    file_ids = [(await _shared(setup, f"f{i}.csv", b"x"))["id"] for i in range(3)]
    url_ids = [api.new_response_url(QA, LEAD).rsplit("/", 1)[1] for _ in range(3)]
    for prefix, ids in (("F", file_ids), ("R", url_ids)):
        assert len(set(ids)) == 3
        for found in ids:  # Slack's shape, with at least 120 random bits after the prefix
            assert re.fullmatch(prefix + "[A-Z2-7]{24}", found), found
        assert len(set(i[:8] for i in ids)) == 3  # not a counter: they differ early


async def test_an_upload_url_takes_one_upload_and_shared_files_never_change(setup: Setup) -> None:
    file = await _shared(setup, "audit.csv", b"original")
    upload_url = setup.local.api.calls_to("files.getUploadURLExternal")[0].response["upload_url"]
    async with setup.session.post(upload_url, data=b"replaced") as answer:
        assert answer.status == 409
    form = {"as": LEAD, "channel": QA}
    data = aiohttp.FormData(form)
    data.add_field("file", b"from a person", filename="notes.txt")
    async with setup.session.post(setup.url + "/ui/upload", data=data, headers=HEADERS) as answer:
        status, shared = answer.status, await answer.json()
    assert status == 200
    async with setup.session.post(f"{setup.url}/upload/{shared['file']}", data=b"replaced") as answer:
        assert answer.status == 409
    files = setup.local.api.state.files
    assert files[file["id"]].data == b"original" and files[shared["file"]].data == b"from a person"


async def test_the_fake_alone_refuses_a_foreign_host_too(fake: SlackWebAPI) -> None:
    headers = {"Authorization": "Bearer xoxb-test", "Host": "rebound.example"}
    async with aiohttp.ClientSession() as session:
        async with session.post(fake.api_url + "auth.test", headers=headers) as answer:
            assert answer.status == 403
        async with session.post(
            fake.api_url + "auth.test", headers={"Authorization": "Bearer xoxb-test"}
        ) as ok:
            assert (await ok.json())["ok"] is True
