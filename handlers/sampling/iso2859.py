"""ISO 2859-1 (= ANSI/ASQ Z1.4) single sampling tables as data, and lookups of single cells.

Only the percent-nonconforming AQLs (0.010 … 10) are kept: QA audits count wrong decisions, and the
nonconformities-per-100-units columns (15 … 1000) are refused rather than risked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class SamplingError(ValueError):
    """A question the tables or the formula cannot answer; the message says why and what is allowed."""


LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
INSPECTIONS: tuple[str, ...] = ("normal", "tightened", "reduced")
AQLS: tuple[float, ...] = (
    0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0,
)  # fmt: skip
# Columns of Tables II-A/B/C beyond 10: nonconformities per 100 units, not kept (see the module docstring).
NONCONFORMITY_AQLS: tuple[float, ...] = (15, 25, 40, 65, 100, 150, 250, 400, 650, 1000)

# Table I, sample size code letters: (largest lot in the range, letters for S-1 S-2 S-3 S-4 I II III).
CODE_LETTERS: tuple[tuple[int | None, str], ...] = (
    (8, "A A A A A A B"),
    (15, "A A A A A B C"),
    (25, "A A B B B C D"),
    (50, "A B B C C D E"),
    (90, "B B C C C E F"),
    (150, "B B C D D F G"),
    (280, "B C D E E G H"),
    (500, "B C D E F H J"),
    (1200, "C C E F G J K"),
    (3200, "C D E G H K L"),
    (10000, "C D F G J L M"),
    (35000, "C D F H K M N"),
    (150000, "D E G J L N P"),
    (500000, "D E G J M P Q"),
    (None, "D E H K N Q R"),
)

# Sample size for each code letter, normal and tightened inspection (Tables II-A and II-B; S only in II-B).
SAMPLE_SIZES: dict[str, int] = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50,
    "J": 80, "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000, "S": 3150,
}  # fmt: skip

# Sample size for each code letter under reduced inspection (Table II-C).
REDUCED_SAMPLE_SIZES: dict[str, int] = {
    "A": 2, "B": 2, "C": 2, "D": 3, "E": 5, "F": 8, "G": 13, "H": 20,
    "J": 32, "K": 50, "L": 80, "M": 125, "N": 200, "P": 315, "Q": 500, "R": 800,
}  # fmt: skip

# Cells, one per AQL in AQLS order: "Ac/Re", "v" (use the first plan below), "^" (the first plan above),
# "-" (no entry: a cell no arrow leads to).

# Table II-A, single sampling plans for normal inspection (master table), AQL 0.010 … 10.
NORMAL: dict[str, str] = {
    "A": "v v v v v v v v v v v v v v 0/1 ^",
    "B": "v v v v v v v v v v v v v 0/1 ^ v",
    "C": "v v v v v v v v v v v v 0/1 ^ v 1/2",
    "D": "v v v v v v v v v v v 0/1 ^ v 1/2 2/3",
    "E": "v v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4",
    "F": "v v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6",
    "G": "v v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8",
    "H": "v v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11",
    "J": "v v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15",
    "K": "v v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22",
    "L": "v v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^",
    "M": "v v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^",
    "N": "v v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^",
    "P": "v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^",
    "Q": "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^",
    "R": "^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^ ^ ^ ^ ^",
}

# Table II-B, single sampling plans for tightened inspection (master table), AQL 0.010 … 10.
# Letter S (sample 3150) exists only here, below R for the smallest AQLs.
TIGHTENED: dict[str, str] = {
    "A": "v v v v v v v v v v v v v v v v",
    "B": "v v v v v v v v v v v v v v 0/1 v",
    "C": "v v v v v v v v v v v v v 0/1 v v",
    "D": "v v v v v v v v v v v v 0/1 v v 1/2",
    "E": "v v v v v v v v v v v 0/1 v v 1/2 2/3",
    "F": "v v v v v v v v v v 0/1 v v 1/2 2/3 3/4",
    "G": "v v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6",
    "H": "v v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9",
    "J": "v v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13",
    "K": "v v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19",
    "L": "v v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^",
    "M": "v v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^",
    "N": "v v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^",
    "P": "v v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^",
    "Q": "v 0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^",
    "R": "0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^ ^ ^ ^ ^",
    "S": "- 1/2 1/2 - - - - - - - - - - - - -",
}

# Table II-C, single sampling plans for reduced inspection (master table), AQL 0.010 … 10: the arrows stand
# where Table II-A has them, with the smaller reduced samples. Ac and Re are not always consecutive here
# (ANSI/ASQ Z1.4): a count between them accepts the lot but ends reduced inspection.
REDUCED: dict[str, str] = {
    "A": "v v v v v v v v v v v v v v 0/1 ^",
    "B": "v v v v v v v v v v v v v 0/1 ^ v",
    "C": "v v v v v v v v v v v v 0/1 ^ v 0/2",
    "D": "v v v v v v v v v v v 0/1 ^ v 0/2 1/3",
    "E": "v v v v v v v v v v 0/1 ^ v 0/2 1/3 1/4",
    "F": "v v v v v v v v v 0/1 ^ v 0/2 1/3 1/4 2/5",
    "G": "v v v v v v v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6",
    "H": "v v v v v v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8",
    "J": "v v v v v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10",
    "K": "v v v v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13",
    "L": "v v v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^",
    "M": "v v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^ ^",
    "N": "v v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^ ^ ^",
    "P": "v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^ ^ ^ ^",
    "Q": "0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^ ^ ^ ^ ^",
    "R": "^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^ ^ ^ ^ ^ ^",
}

TABLES: dict[str, tuple[str, dict[str, str], dict[str, int]]] = {
    "normal": ("II-A", NORMAL, SAMPLE_SIZES),
    "tightened": ("II-B", TIGHTENED, SAMPLE_SIZES),
    "reduced": ("II-C", REDUCED, REDUCED_SAMPLE_SIZES),
}

Arrow = Literal["down", "up"]


@dataclass(frozen=True)
class Cell:
    """One cell of a master table: a plan (accept, reject), an arrow, or nothing."""

    accept: int | None = None
    reject: int | None = None
    arrow: Arrow | None = None


def _aql_text(aql: float) -> str:
    return f"{aql:g}"


def aql_index(aql: float | str) -> int:
    """The AQL's column; refuses AQLs outside the kept columns, naming the allowed ones."""
    allowed = ", ".join(_aql_text(a) for a in AQLS)
    try:
        aql = float(aql)
    except (TypeError, ValueError):
        raise SamplingError(f"AQL {aql!r} is not a number; choose one of {allowed}") from None
    for index, known in enumerate(AQLS):
        if abs(known - aql) < 1e-9:
            return index
    if any(abs(known - aql) < 1e-9 for known in NONCONFORMITY_AQLS):
        raise SamplingError(
            f"AQL {_aql_text(aql)} is a nonconformities-per-100-units column, which this bot does not use; "
            f"choose a percent-nonconforming AQL: {allowed}"
        )
    raise SamplingError(f"AQL {_aql_text(aql)} is not in the ISO 2859-1 tables; choose one of {allowed}")


def check_level(level: str) -> str:
    """The inspection level as the tables write it (case-insensitive input)."""
    normalised = level.strip().upper()
    if normalised not in LEVELS:
        raise SamplingError(f"unknown inspection level {level!r}; choose one of {', '.join(LEVELS)}")
    return normalised


def check_inspection(inspection: str) -> str:
    """The inspection severity in lower case."""
    normalised = inspection.strip().lower()
    if normalised not in INSPECTIONS:
        raise SamplingError(f"unknown inspection {inspection!r}; choose one of {', '.join(INSPECTIONS)}")
    return normalised


def code_letter(lot: int, level: str = "II") -> str:
    """Table I: the sample size code letter for a lot size and inspection level."""
    if lot < 2:
        raise SamplingError(f"a lot must hold at least 2 items (got {lot}); ISO 2859-1's Table I starts at 2")
    column = LEVELS.index(check_level(level))
    for largest, letters in CODE_LETTERS:
        if largest is None or lot <= largest:
            return letters.split()[column]
    raise AssertionError("Table I's last row is open-ended")  # pragma: no cover


def letters(inspection: str) -> list[str]:
    """The table's rows, top to bottom."""
    return list(TABLES[check_inspection(inspection)][1])


def sample_size(letter: str, inspection: str = "normal") -> int:
    """The sample size for a code letter under the given inspection."""
    return TABLES[check_inspection(inspection)][2][letter]


def cell(letter: str, aql: float, inspection: str = "normal") -> Cell:
    """The raw master-table cell for a code letter and AQL."""
    table = TABLES[check_inspection(inspection)][1]
    if letter not in table:
        raise SamplingError(f"code letter {letter!r} is not in the table; letters: {', '.join(table)}")
    text = table[letter].split()[aql_index(aql)]
    if text == "v":
        return Cell(arrow="down")
    if text == "^":
        return Cell(arrow="up")
    if text == "-":
        return Cell()
    accept, reject = text.split("/")
    return Cell(accept=int(accept), reject=int(reject))
