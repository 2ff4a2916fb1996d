"""What the digest capability registers."""

from bot.routing import Router

SUMMARY = "daily queue output per vendor, site and queue against target: SLA, handle time, quality, backlog"


def register(router: Router) -> None:
    router.command("digest", SUMMARY)
