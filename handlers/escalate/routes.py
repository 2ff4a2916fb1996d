"""What the escalation capability registers."""

from bot.routing import Router

SUMMARY = "escalate a platform issue to R&D and the BPO contacts, and follow it until fixed"


def register(router: Router) -> None:
    router.command("escalate", SUMMARY)
