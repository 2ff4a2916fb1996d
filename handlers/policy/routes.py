"""What the policy capability registers."""

from bot.routing import Router

SUMMARY = "policy answers with citations, and policy updates cascaded to vendor teams with acknowledgement"


def register(router: Router) -> None:
    router.command("policy", SUMMARY)
