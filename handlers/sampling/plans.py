"""The answer to "how many of this lot do we audit, and how many wrong ones can we accept?" (ISO 2859-1)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.sampling.iso2859 import (
    AQLS,
    TABLES,
    Arrow,
    SamplingError,
    aql_index,
    cell,
    check_inspection,
    check_level,
    code_letter,
    letters,
    sample_size,
)


@dataclass(frozen=True)
class Plan:
    """A single sampling plan for one lot, with the table's arrows already followed."""

    lot: int
    level: str
    inspection: str
    aql: float
    letter: str
    used_letter: str
    sample_size: int
    accept: int
    reject: int
    followed_arrow: Arrow | None
    note: str
    inspect_all: bool


def follow_arrows(letter: str, aql: float, inspection: str) -> tuple[str, Arrow | None]:
    """The row whose plan the arrow in (letter, aql) leads to, and that arrow."""
    table_name = TABLES[inspection][0]
    first = cell(letter, aql, inspection)
    if first.arrow is None:
        if first.accept is None:
            raise SamplingError(f"Table {table_name} has no entry for code letter {letter} at AQL {aql:g}")
        return letter, None
    rows = letters(inspection)
    step = 1 if first.arrow == "down" else -1
    index = rows.index(letter) + step
    while 0 <= index < len(rows):
        found = cell(rows[index], aql, inspection)
        if found.accept is not None:
            return rows[index], first.arrow
        if found.arrow is None:
            break
        index += step
    where = "below" if first.arrow == "down" else "above"
    raise SamplingError(
        f"Table {table_name} has no plan {where} code letter {letter} at AQL {aql:g} under {inspection} "
        "inspection (the arrow leads off the table); choose a neighbouring AQL or inspect the whole lot"
    )


def _note(plan_letter: str, used: str, arrow: Arrow | None, n: int, aql: float, inspection: str) -> str:
    if arrow is None:
        return f"code letter {plan_letter} at AQL {aql:g} under {inspection} inspection: sample {n}"
    return (
        f"no plan for code letter {plan_letter} at AQL {aql:g} under {inspection} inspection: "
        f"the arrow points {arrow} to letter {used} (sample {n})"
    )


def _rule(accept: int, reject: int) -> str:
    accepted = "with no nonconforming item" if accept == 0 else f"with {accept} or fewer nonconforming"
    rule = f"accept the lot {accepted}, reject it with {reject} or more"
    if reject - accept == 2:
        rule += f"; with {accept + 1} the lot is accepted but normal inspection resumes"
    elif reject - accept > 2:
        rule += f"; with {accept + 1} to {reject - 1} the lot is accepted but normal inspection resumes"
    return rule


def single_plan(lot: int, aql: float, level: str = "II", inspection: str = "normal") -> Plan:
    """ISO 2859-1 single sampling: Table I's code letter, then Table II-A/B/C's plan, arrows followed."""
    level = check_level(level)
    inspection = check_inspection(inspection)
    aql = AQLS[aql_index(aql)]  # refuses an unknown AQL before the lot size is looked at; "1.0" → 1.0
    letter = code_letter(lot, level)
    used, arrow = follow_arrows(letter, aql, inspection)
    found = cell(used, aql, inspection)
    assert found.accept is not None and found.reject is not None
    n = sample_size(used, inspection)
    note = _note(letter, used, arrow, n, aql, inspection)
    note += "; " + _rule(found.accept, found.reject)
    inspect_all = n >= lot
    if inspect_all:
        note += f"; the sample ({n}) is not smaller than the lot ({lot}): inspect all {lot}"
    return Plan(
        lot=lot,
        level=level,
        inspection=inspection,
        aql=aql,
        letter=letter,
        used_letter=used,
        sample_size=n,
        accept=found.accept,
        reject=found.reject,
        followed_arrow=arrow,
        note=note,
        inspect_all=inspect_all,
    )
