"""The plan templates a workspace offers: every YAML file in the `training.plans` folder, by file name.

A plan's id is its file's stem (`new-labeler.yml` → `new-labeler`). Files are read again only when they
change (path, modification time and size), so opening the new-cohort form does not re-parse YAML; a
broken file is reported beside the good ones rather than hiding them.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.workspace_ids import SLUG
from handlers.training.plan import Plan, PlanError, load_plan

SUFFIXES = (".yml", ".yaml")

_Stamp = tuple[int, int]  # (mtime_ns, size)
_CACHE: dict[Path, tuple[_Stamp, Plan | PlanError]] = {}


def _stamp(path: Path) -> _Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _read(path: Path) -> Plan | PlanError:
    """The plan in `path`, from the cache while the file is unchanged."""
    stamp = _stamp(path)
    cached = _CACHE.get(path)
    if stamp is not None and cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        found: Plan | PlanError = load_plan(path)
    except PlanError as exc:
        found = exc
    if stamp is not None:
        _CACHE[path] = (stamp, found)
    return found


def _files(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.suffix.lower() in SUFFIXES and p.is_file())


def available_plans(folder: str | Path) -> dict[str, Plan | PlanError]:
    """Every plan file in `folder` by id, in name order; broken files as their PlanError (a missing
    folder has none)."""
    found: dict[str, Plan | PlanError] = {}
    for path in _files(Path(folder)):
        plan_id = path.stem
        if not re.match(SLUG, plan_id):
            found[plan_id] = PlanError(
                str(path),
                [f"{path.name}: the file name is the plan's id: use lower-case letters, digits, - and _"],
            )
        elif plan_id in found:
            found[plan_id] = PlanError(
                str(path), [f"{plan_id}.yml and {plan_id}.yaml both exist: keep one of them"]
            )
        else:
            found[plan_id] = _read(path)
    return found


def usable(plans: dict[str, Plan | PlanError]) -> dict[str, Plan]:
    """The plans that loaded, for the form's choices."""
    return {plan_id: plan for plan_id, plan in plans.items() if isinstance(plan, Plan)}


def plan_by_id(folder: str | Path, plan_id: str) -> Plan:
    """The plan `plan_id`; PlanError says when there is none (naming the plans there are) or why its
    file cannot be used."""
    plans = available_plans(folder)
    found = plans.get(plan_id)
    if isinstance(found, Plan):
        return found
    if isinstance(found, PlanError):
        raise found
    known = ", ".join(usable(plans)) or f"none yet: add plan files to {folder}"
    raise PlanError(plan_id, [f"there is no training plan {plan_id!r} (plans: {known})"])
