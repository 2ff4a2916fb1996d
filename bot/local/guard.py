"""Who may reach the local workspace. It has no login, so every route refuses what a foreign page could send.

- Host names other than loopback ones are refused (DNS rebinding: a foreign name resolving to 127.0.0.1).
- Requests a browser marks as started by another site are refused, except following a link to a page.
- The page's posts carry `CSRF_HEADER`, which a cross-site form cannot send (checked in `bot.local.ui`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import is_loopback

CSRF_HEADER = "X-Tsqa-Local"
_OWN = ("same-origin", "none")  # `none`: typed into the address bar, a bookmark

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def host_name(host: str) -> str:
    """`127.0.0.1:3000` → `127.0.0.1`, `[::1]:3000` → `[::1]`."""
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _link_followed(request: web.Request) -> bool:
    return request.method in ("GET", "HEAD") and request.headers.get("Sec-Fetch-Mode") == "navigate"


@web.middleware
async def local_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every route of the local workspace (and of the bot beside it): loopback names, no foreign pages."""
    if not is_loopback(host_name(request.host or "")):
        return refusal(403, "unknown_host")
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in _OWN and not _link_followed(request):
        return refusal(403, "cross_site_request")
    return await handler(request)
