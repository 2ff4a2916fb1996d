"""What the policy capability registers: answering questions (`answer_routes`) and cascading updates
(`cascade_routes`), each wired in its own module."""

from __future__ import annotations

from importlib import import_module

from bot.routing import Router

SUMMARY = "policy answers with citations, and policy updates cascaded to vendor teams with acknowledgement"


def register(router: Router) -> None:
    router.command("policy", SUMMARY)
    for part in ("answer_routes", "cascade_routes"):
        try:
            module = import_module(f"handlers.policy.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"handlers.policy.{part}":
                raise
            continue  # not built yet
        module.register(router)
