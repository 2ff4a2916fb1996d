"""Capabilities: one package each, with the same shape (service, views, routes)."""

from __future__ import annotations

from importlib import import_module

from bot.routing import Router

CAPABILITIES = ("digest", "policy", "quiz", "escalate")


def collect(router: Router | None = None) -> Router:
    """A router with every capability's commands, actions, forms, home sections and jobs."""
    router = router or Router()
    for name in CAPABILITIES:
        import_module(f"handlers.{name}.routes").register(router)
    return router
