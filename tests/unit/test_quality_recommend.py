"""A recommendation's policy section: searched off the event loop, shown only when the library is
confident, and only from a policy that applies to the queue or vendor."""

from __future__ import annotations

import threading
from dataclasses import fields
from types import SimpleNamespace

import pytest

from handlers.policy.model import Hit, Passage
from handlers.policy.search import CONFIDENCE_THRESHOLD
from handlers.quality import recommend
from handlers.quality.report import Standout


def standout() -> Standout:
    values = {f.name: 0 for f in fields(Standout)}
    values |= {"vendor": "northwind", "queue": "spam-pt", "decision": "allow", "qa_decision": "remove",
               "direction": "under", "reference": "other vendors"}  # fmt: skip
    return Standout(**values)


def passage(policy_id: str) -> Passage:
    return Passage(f"policy:{policy_id}#links", policy_id, "links", "Spam", "Links to other sites", "…")


class Library:
    """The policy library's built index, its search recording the thread it ran on."""

    def __init__(self, hits: list[Hit], applies_to: dict[str, tuple[str, ...]]) -> None:
        self.hits = hits
        self.threads: list[threading.Thread] = []
        self.index = self
        self.policies = {pid: SimpleNamespace(applies_to=scope) for pid, scope in applies_to.items()}

    def search(self, question: str, k: int = 3) -> list[Hit]:
        self.threads.append(threading.current_thread())
        return self.hits[:k]


def services() -> SimpleNamespace:
    queue = SimpleNamespace(id="spam-pt", name="Spam PT", vendor="northwind")
    workspace = SimpleNamespace(policy=object(), queue=lambda qid: queue if qid == "spam-pt" else None)
    return SimpleNamespace(workspace=workspace)


async def section_with(monkeypatch: pytest.MonkeyPatch, library: Library) -> Passage | None:
    async def current_index(_services: object) -> Library:
        return library

    monkeypatch.setattr(recommend.policy_index, "current_index", current_index)
    return await recommend._section(services(), standout())  # type: ignore[arg-type]


async def test_a_confident_section_is_searched_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    sure = Hit(passage("spam"), 9.0, coverage=CONFIDENCE_THRESHOLD + 0.2)
    library = Library([sure], {"spam": ()})
    assert await section_with(monkeypatch, library) == sure.passage
    assert library.threads and threading.main_thread() not in library.threads  # not on the event loop


async def test_no_section_when_the_library_is_unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    unsure = Hit(passage("spam"), 9.0, coverage=CONFIDENCE_THRESHOLD - 0.2)
    assert await section_with(monkeypatch, Library([unsure], {"spam": ()})) is None


async def test_a_policy_for_other_queues_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = Hit(passage("hate"), 12.0, coverage=0.9)
    here = Hit(passage("spam"), 9.0, coverage=0.8)
    library = Library([elsewhere, here], {"hate": ("hate-en",), "spam": ("spam-pt",)})
    assert await section_with(monkeypatch, library) == here.passage
