"""What the quiz capability registers."""

from bot.routing import Router

SUMMARY = "knowledge checks for labelers before go-live, with results per question and vendor"


def register(router: Router) -> None:
    router.command("quiz", SUMMARY)
