"""The workspace file's `policy:` section: where the policy library lives, who answers what search
cannot, and the words search treats as the same.

Kept apart from bot/workspace.py so the policy capability's settings grow here, not in the core file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.workspace_ids import ChannelId
from bot.workspace_training import beside


class PolicySettings(BaseModel):
    """`dir` is relative to the workspace file, so the file and its library move together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: str = "policies"
    owners_channel: ChannelId | None = None
    # term -> synonyms and expansions, lower-cased: labelers type "CSAM", policies spell it out
    glossary: dict[str, list[str]] = {}
    # 0.0 means "search's own default"; search decides what a confident answer is
    confidence: float = Field(default=0.0, ge=0.0)

    @field_validator("dir")
    @classmethod
    def _dir_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("dir must name a folder of policy files, e.g. policies")
        return value

    @field_validator("glossary")
    @classmethod
    def _glossary(cls, glossary: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for term, synonyms in glossary.items():
            key = term.strip().lower()
            words = [s.strip().lower() for s in synonyms]
            if not key or not all(words):
                raise ValueError(f"glossary entry {term!r}: terms and synonyms must not be empty")
            if key in cleaned:
                raise ValueError(f"glossary term {key!r} appears more than once")
            cleaned[key] = words
        return cleaned

    def folder(self, workspace_file: str | Path) -> Path:
        """The policy folder: `dir` as written when absolute, else beside the workspace file."""
        return beside(workspace_file, self.dir)
