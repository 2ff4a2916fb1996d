"""Capabilities: one package each, with the same shape (service, views, routes). `queue_data` comes
first: no command of its own, but the uploads, watched folder and retention every reader relies on."""

from __future__ import annotations

from importlib import import_module

from bot.routing import Router

CAPABILITIES = (
    "queue_data",
    "digest",
    "policy",
    "quiz",
    "escalate",
    "calibration",
    "quality",
    "training",
    "sampling",
    "appeals",
)


def collect(router: Router | None = None) -> Router:
    """A router with every capability's commands, actions, forms, home sections and jobs."""
    router = router or Router()
    for name in CAPABILITIES:
        import_module(f"handlers.{name}.routes").register(router)
    return router
