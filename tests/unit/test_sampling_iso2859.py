"""ISO 2859-1 (= ANSI/ASQ Z1.4) single sampling: Table I cell by cell, Tables II-A/B/C for letters E…N and
AQLs 0.40…6.5 cell by cell, and published worked examples through `single_plan`.

Expected values are literals copied from the published tables, laid out transposed (one string per level or
per AQL column) so they are not a copy of the code's row layout. Sources: Table I and Tables II-A/II-B as
reproduced in MIL-STD-105E / Z1.4 copies (the normal and tightened level II/III tables of the FMOC DPW
acceptance-sampling appendix, columns 0.65…15); the ISO 2859-1:1999 worked plans from Jenkins, Peck and
Fernando (2023, PLOS figure 22583454: lot 35 001…500 000, levels S-3/S-4).
"""

from __future__ import annotations

import pytest

from handlers.sampling.iso2859 import AQLS, SamplingError, cell, code_letter, letters, sample_size
from handlers.sampling.plans import Plan, follow_arrows, single_plan

# Table I by level: the letter for each lot range, ranges in the standard's order.
LOT_RANGES = [
    (2, 8),
    (9, 15),
    (16, 25),
    (26, 50),
    (51, 90),
    (91, 150),
    (151, 280),
    (281, 500),
    (501, 1200),
    (1201, 3200),
    (3201, 10000),
    (10001, 35000),
    (35001, 150000),
    (150001, 500000),
    (500001, 5_000_000),
]
TABLE_I_BY_LEVEL = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}


@pytest.mark.parametrize("level", list(TABLE_I_BY_LEVEL))
def test_table_i_every_lot_range_at_both_ends(level: str) -> None:
    for (low, high), expected in zip(LOT_RANGES, TABLE_I_BY_LEVEL[level], strict=True):
        assert code_letter(low, level) == expected, (level, low)
        assert code_letter(high, level) == expected, (level, high)


def test_sample_sizes_by_letter() -> None:
    expected = {
        "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50,
        "J": 80, "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
    }  # fmt: skip
    for letter, n in expected.items():
        assert sample_size(letter, "normal") == n
        assert sample_size(letter, "tightened") == n
    assert sample_size("S", "tightened") == 3150
    reduced = {"A": 2, "B": 2, "C": 2, "D": 3, "E": 5, "F": 8, "G": 13, "H": 20, "J": 32, "K": 50, "N": 200}
    for letter, n in reduced.items():
        assert sample_size(letter, "reduced") == n


# Tables II-A/B/C, one string per AQL column, letters E F G H J K L M N top to bottom.
COLUMN_LETTERS = "EFGHJKLMN"
TABLE_II_A = {
    0.40: "v v 0/1 ^ v 1/2 2/3 3/4 5/6",
    0.65: "v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8",
    1.0: "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11",
    1.5: "^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15",
    2.5: "v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22",
    4.0: "1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^",
    6.5: "2/3 3/4 5/6 7/8 10/11 14/15 21/22 ^ ^",
}
TABLE_II_B = {
    0.40: "v v v 0/1 v v 1/2 2/3 3/4",
    0.65: "v v 0/1 v v 1/2 2/3 3/4 5/6",
    1.0: "v 0/1 v v 1/2 2/3 3/4 5/6 8/9",
    1.5: "0/1 v v 1/2 2/3 3/4 5/6 8/9 12/13",
    2.5: "v v 1/2 2/3 3/4 5/6 8/9 12/13 18/19",
    4.0: "v 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^",
    6.5: "1/2 2/3 3/4 5/6 8/9 12/13 18/19 ^ ^",
}
TABLE_II_C = {
    0.40: "v v 0/1 ^ v 0/2 1/3 1/4 2/5",
    0.65: "v 0/1 ^ v 0/2 1/3 1/4 2/5 3/6",
    1.0: "0/1 ^ v 0/2 1/3 1/4 2/5 3/6 5/8",
    1.5: "^ v 0/2 1/3 1/4 2/5 3/6 5/8 7/10",
    2.5: "v 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13",
    4.0: "0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^",
    6.5: "1/3 1/4 2/5 3/6 5/8 7/10 10/13 ^ ^",
}


def _shown(letter: str, aql: float, inspection: str) -> str:
    found = cell(letter, aql, inspection)
    if found.arrow == "down":
        return "v"
    if found.arrow == "up":
        return "^"
    return f"{found.accept}/{found.reject}"


@pytest.mark.parametrize(
    ("inspection", "table"),
    [("normal", TABLE_II_A), ("tightened", TABLE_II_B), ("reduced", TABLE_II_C)],
)
def test_master_tables_cell_by_cell(inspection: str, table: dict[float, str]) -> None:
    for aql, column in table.items():
        for letter, expected in zip(COLUMN_LETTERS, column.split(), strict=True):
            assert _shown(letter, aql, inspection) == expected, (inspection, letter, aql)


def test_reduced_cells_keep_their_gaps() -> None:
    gaps = {(0, 2), (1, 3), (1, 4), (2, 5), (3, 6), (5, 8), (7, 10), (10, 13)}
    seen = set()
    for letter in COLUMN_LETTERS:
        for aql in TABLE_II_C:
            found = cell(letter, aql, "reduced")
            if found.accept is not None:
                seen.add((found.accept, found.reject))
    assert gaps <= seen


# ----- single_plan: published worked examples -----


def _key(plan: Plan) -> tuple[str, str, int, int, int]:
    return (plan.letter, plan.used_letter, plan.sample_size, plan.accept, plan.reject)


def test_lot_1000_level_ii_aql_1_normal() -> None:
    plan = single_plan(1000, 1.0)
    assert _key(plan) == ("J", "J", 80, 2, 3)
    assert plan.followed_arrow is None and not plan.inspect_all
    assert "accept the lot with 2 or fewer nonconforming, reject it with 3 or more" in plan.note


def test_lot_1000_level_ii_aql_065_normal_has_its_own_plan() -> None:
    plan = single_plan(1000, 0.65)
    assert _key(plan) == ("J", "J", 80, 1, 2)
    assert plan.followed_arrow is None


@pytest.mark.parametrize(
    ("lot", "level", "aql", "letter", "used", "n", "ac", "re", "arrow"),
    [
        # ISO 2859-1:1999, lot 35 001…500 000, normal inspection (Jenkins, Peck and Fernando 2023).
        (100_000, "S-4", 0.65, "J", "J", 80, 1, 2, None),
        (100_000, "S-3", 0.65, "G", "F", 20, 0, 1, "up"),
        (100_000, "S-4", 0.40, "J", "K", 125, 1, 2, "down"),
        (100_000, "S-3", 0.40, "G", "G", 32, 0, 1, None),
        (100_000, "S-4", 0.25, "J", "H", 50, 0, 1, "up"),
        (100_000, "S-4", 0.15, "J", "J", 80, 0, 1, None),
        (400_000, "S-4", 0.40, "J", "K", 125, 1, 2, "down"),
        (400_000, "S-3", 0.65, "G", "F", 20, 0, 1, "up"),
    ],
)
def test_published_iso_plans(
    lot: int, level: str, aql: float, letter: str, used: str, n: int, ac: int, re: int, arrow: str | None
) -> None:
    plan = single_plan(lot, aql, level)
    assert _key(plan) == (
        letter,
        used,
        n,
        ac,
        re,
    )
    assert plan.followed_arrow == arrow


def test_arrow_note_in_plain_english() -> None:
    plan = single_plan(100_000, 0.40, "S-4")
    assert plan.note.startswith(
        "no plan for code letter J at AQL 0.4 under normal inspection: "
        "the arrow points down to letter K (sample 125)"
    )


def test_arrow_to_a_sample_not_smaller_than_the_lot_means_inspect_all() -> None:
    # Lot 30 at level II is letter D; at AQL 0.40 the arrows lead down to G, sample 32 > 30.
    plan = single_plan(30, 0.40)
    assert _key(plan) == ("D", "G", 32, 0, 1)
    assert plan.followed_arrow == "down"
    assert plan.inspect_all
    assert "inspect all 30" in plan.note


def test_tightened_and_reduced_plans() -> None:
    tight = single_plan(1000, 1.0, inspection="tightened")
    assert (tight.used_letter, tight.sample_size, tight.accept, tight.reject) == ("J", 80, 1, 2)
    reduced = single_plan(1000, 2.5, inspection="reduced")
    assert (reduced.used_letter, reduced.sample_size, reduced.accept, reduced.reject) == ("J", 32, 2, 5)
    assert "with 3 to 4 the lot is accepted but normal inspection resumes" in reduced.note
    # Lot 100 (F, reduced sample 8) at AQL 1.0: the arrow points up to E (reduced sample 5), 0/1.
    up = single_plan(100, 1.0, inspection="reduced")
    assert _key(up) == ("F", "E", 5, 0, 1)
    assert "accept the lot with no nonconforming item, reject it with 1 or more" in up.note
    gap_of_two = single_plan(1000, 0.65, inspection="reduced")  # J at 0.65 reduced: 32, Ac 0 Re 2
    assert _key(gap_of_two) == ("J", "J", 32, 0, 2)
    assert "with 1 the lot is accepted but normal inspection resumes" in gap_of_two.note


def test_tightened_letter_s() -> None:
    plan = single_plan(600_000, 0.015, "III", "tightened")
    assert _key(plan) == (
        "R",
        "S",
        3150,
        1,
        2,
    )


def test_arrow_off_the_table_is_refused_clearly() -> None:
    with pytest.raises(SamplingError, match="no plan above code letter A at AQL 10"):
        single_plan(5, 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lot": 1000, "aql": 1.0, "level": "IV"}, "unknown inspection level 'IV'; choose one of S-1, S-2"),
        ({"lot": 1000, "aql": 0.5}, "AQL 0.5 is not in the ISO 2859-1 tables; choose one of 0.01, 0.015"),
        ({"lot": 1000, "aql": 25}, "AQL 25 is a nonconformities-per-100-units column"),
        ({"lot": 1, "aql": 1.0}, "a lot must hold at least 2 items"),
        (
            {"lot": 1000, "aql": 1.0, "inspection": "strict"},
            "unknown inspection 'strict'; choose one of normal",
        ),
    ],
)
def test_errors_say_what_is_wrong_and_what_is_allowed(kwargs: dict, message: str) -> None:
    with pytest.raises(SamplingError) as raised:
        single_plan(**kwargs)
    assert message in str(raised.value)


def test_level_and_inspection_are_case_insensitive_and_the_aql_may_be_text() -> None:
    plan = single_plan(1000, "1.0", "ii", "Normal")  # type: ignore[arg-type]
    assert (plan.level, plan.inspection, plan.aql, plan.accept) == ("II", "normal", 1.0, 2)
    with pytest.raises(SamplingError, match="AQL 'one' is not a number"):
        single_plan(1000, "one")  # type: ignore[arg-type]


# The FMOC DPW appendix's level II normal and level III tightened tables (from MIL-STD-105E), rows as printed:
# AQL .65 1.0 1.5 2.5 4.0 6.5 10, each cell the rejection number (Ac = Re − 1) or an arrow.
DPW_NORMAL = {
    "A": "v v v v v 1 ^",
    "B": "v v v v 1 ^ v",
    "C": "v v v 1 ^ v 2",
    "D": "v v 1 ^ v 2 3",
    "E": "v 1 ^ v 2 3 4",
    "F": "1 ^ v 2 3 4 6",
    "G": "^ v 2 3 4 6 8",
    "H": "v 2 3 4 6 8 11",
    "J": "2 3 4 6 8 11 15",
    "K": "3 4 6 8 11 15 22",
    "L": "4 6 8 11 15 22 ^",
    "M": "6 8 11 15 22 ^ ^",
    "N": "8 11 15 22 ^ ^ ^",
    "P": "11 15 22 ^ ^ ^ ^",
    "Q": "15 22 ^ ^ ^ ^ ^",
}
DPW_TIGHTENED = {
    "A": "v v v v v v v",
    "B": "v v v v v 1 v",
    "C": "v v v v 1 v v",
    "D": "v v v 1 v v 2",
    "E": "v v 1 v v 2 3",
    "F": "v 1 v v 2 3 4",
    "G": "1 v v 2 3 4 6",
    "H": "v v 2 3 4 6 9",
    "J": "v 2 3 4 6 9 13",
    "K": "2 3 4 6 9 13 19",
    "L": "3 4 6 9 13 19 ^",
}
DPW_AQLS = (0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10)


@pytest.mark.parametrize(("inspection", "rows"), [("normal", DPW_NORMAL), ("tightened", DPW_TIGHTENED)])
def test_rows_against_the_printed_mil_std_105e_tables(inspection: str, rows: dict[str, str]) -> None:
    for letter, row in rows.items():
        for aql, printed in zip(DPW_AQLS, row.split(), strict=True):
            expected = printed if printed in ("v", "^") else f"{int(printed) - 1}/{printed}"
            assert _shown(letter, aql, inspection) == expected, (inspection, letter, aql)


def test_only_the_cells_whose_arrow_leads_off_the_table_are_refused() -> None:
    # Row A's up arrow at AQL 10 and row R's down arrow at 0.015 have no plan to lead to (tightened has
    # letter S for the latter); every other letter and AQL gives a plan.
    refused = set()
    for inspection in ("normal", "tightened", "reduced"):
        for letter in letters(inspection):
            for aql in AQLS:
                try:
                    follow_arrows(letter, aql, inspection)
                except SamplingError:
                    refused.add((inspection, letter, aql))
    tightened_s_blanks = {("tightened", "S", aql) for aql in AQLS if aql not in (0.015, 0.025)}
    assert (
        refused
        == {
            ("normal", "A", 10),
            ("normal", "R", 0.015),
            ("reduced", "A", 10),
            ("reduced", "R", 0.015),
        }
        | tightened_s_blanks
    )
