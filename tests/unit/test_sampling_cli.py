"""`tsqa sampling plan|size`: JSON equal to the library's dataclass, figures checked by hand against the
published tables and Cochran's worked example, exit 2 with what is wrong; the words `/sampling` reads
(named, positional, percentages); and the workspace file's `sampling:` section."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.workspace import WorkspaceError, parse_workspace
from bot.workspace_sampling import QueuePlan, SamplingSettings
from handlers.sampling.cli import register
from handlers.sampling.cochran import cochran_size
from handlers.sampling.iso2859 import SamplingError
from handlers.sampling.plans import single_plan
from handlers.sampling.routes import plan_from_words, size_from_words
from tests.unit.cli_fixtures import tsqa_app


@pytest.fixture
def app() -> typer.Typer:
    return tsqa_app(register)


def run(app: typer.Typer, *args: str):  # noqa: ANN201
    return CliRunner().invoke(app, ["sampling", *args])


# (lot, aql, level, inspection) → (Table I letter, letter used, n, Ac, Re, arrow), read off the printed
# ISO 2859-1 / Z1.4 tables by hand.
PUBLISHED = [
    ((1000, 1.0, "II", "normal"), ("J", "J", 80, 2, 3, None)),
    ((1000, 1.0, "II", "tightened"), ("J", "J", 80, 1, 2, None)),
    ((1000, 1.0, "II", "reduced"), ("J", "J", 32, 1, 3, None)),
    ((1000, 0.25, "II", "normal"), ("J", "H", 50, 0, 1, "up")),
    ((1000, 1.0, "S-1", "normal"), ("C", "E", 13, 0, 1, "down")),
    ((5000, 2.5, "I", "normal"), ("J", "J", 80, 5, 6, None)),
]


@pytest.mark.parametrize(("question", "answer"), PUBLISHED)
def test_plan_json_is_the_library_plan_and_the_published_figures(app, question, answer) -> None:
    lot, aql, level, inspection = question
    result = run(app, "plan", "--lot", str(lot), "--aql", str(aql), "--level", level,
                 "--inspection", inspection, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == asdict(single_plan(lot, aql, level, inspection))
    got = (printed["letter"], printed["used_letter"], printed["sample_size"], printed["accept"],
           printed["reject"], printed["followed_arrow"])  # fmt: skip
    assert got == answer


def test_plan_text_names_the_figures_and_the_arrow(app) -> None:
    result = run(app, "plan", "--lot", "1000", "--aql", "0.25")
    assert result.exit_code == 0, result.output
    assert "Code letter H: sample 50, Ac 0, Re 1" in result.stdout
    assert "Table I gives letter J; the arrow points up to H" in result.stdout


def test_a_sample_reaching_the_lot_means_inspecting_all(app) -> None:
    # Lot 3 at level II is letter A; at AQL 1.0 the arrow leads down to E, whose sample is 13 > 3.
    result = run(app, "plan", "--lot", "3", "--aql", "1", "--json")
    printed = json.loads(result.stdout)
    assert (printed["used_letter"], printed["sample_size"], printed["inspect_all"]) == ("E", 13, True)
    assert "inspect all 3 items" in run(app, "plan", "--lot", "3", "--aql", "1").stdout


def test_size_json_is_the_library_size_and_cochrans_worked_example(app) -> None:
    result = run(app, "size", "--population", "1000", "--margin", "0.05", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == asdict(cochran_size(1000, 0.05))
    # By hand: z = 1.95996; n0 = 1.95996² · 0.25 / 0.0025 = 384.15;
    # n = 384.15 / (1 + 383.15/1000) = 277.7 → 278.
    assert round(printed["n0"], 2) == 384.15
    assert printed["n"] == 278


def test_size_reads_percentages_as_chat_does(app) -> None:
    as_percent = json.loads(run(app, "size", "--population", "1000", "--margin", "5%", "--confidence",
                                "90%", "--p", "0.2", "--json").stdout)  # fmt: skip
    # By hand: z = 1.64485; n0 = 1.64485² · 0.16 / 0.0025 = 173.15; n = 173.15 / 1.17215 = 147.7 → 148.
    assert round(as_percent["n0"], 2) == 173.15
    assert as_percent["n"] == 148
    assert "n0 = 173.15, n = 148" in run(app, "size", "--population", "1000", "--margin", "0.05",
                                         "--confidence", "0.9", "--p", "0.2").stdout  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["plan", "--lot", "1000", "--aql", "3"],
            "AQL 3 is not in the ISO 2859-1 tables; choose one of 0.01,",
        ),
        (["plan", "--lot", "1000", "--aql", "25"], "nonconformities-per-100-units"),
        (
            ["plan", "--lot", "1000", "--aql", "1", "--level", "IV"],
            "choose one of S-1, S-2, S-3, S-4, I, II, III",
        ),
        (["plan", "--lot", "1000", "--aql", "1", "--inspection", "strict"], "normal, tightened, reduced"),
        (["plan", "--lot", "1", "--aql", "1"], "a lot must hold at least 2 items"),
        (["plan", "--lot", "many", "--aql", "1"], "is not a whole number"),
        (["size", "--population", "1000", "--margin", "2"], "the margin must be between 0 and 1"),
        (["size", "--population", "0", "--margin", "0.05"], "the population must hold at least 1 item"),
    ],
)
def test_bad_questions_exit_2_saying_what_is_allowed(app, args: list[str], said: str) -> None:
    result = run(app, *args)
    assert result.exit_code == 2
    assert said in result.output
    assert not result.stdout.strip().startswith("{")


def test_chat_words_named_and_positional_give_the_same_plan() -> None:
    expected = single_plan(1000, 1.0, "II", "tightened")
    assert plan_from_words(["--lot", "1000", "--aql", "1.0", "--inspection", "tightened"]) == expected
    assert plan_from_words(["--lot=1000", "--aql=1.0", "--inspection=tightened"]) == expected
    assert plan_from_words(["1000", "1.0", "tightened"]) == expected
    assert plan_from_words(["1,000", "1.0", "ii", "TIGHTENED"]) == expected
    assert plan_from_words(["tightened", "--aql", "1", "1000"]) == expected
    assert plan_from_words(["—lot", "1000", "–aql=1", "—inspection", "tightened"]) == expected  # dashes
    assert size_from_words(["5000", "5%", "99%"]) == cochran_size(5000, 0.05, 0.99)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["--lot", "1000"], "give --aql"),
        ([], "give --lot and --aql"),
        (["--lot", "1000", "--aql"], "--aql needs a value"),
        (
            ["--lot", "1000", "--aql", "1", "--size", "5"],
            "unknown option --size; the options are --lot, --aql",
        ),
        (["--lot", "1000", "--lot", "50", "--aql", "1"], "--lot is given twice"),
        (["1000", "1.0", "II", "normal", "extra"], "I don't know what 'extra' is"),
    ],
)
def test_chat_words_wrong_say_why(words: list[str], said: str) -> None:
    with pytest.raises(SamplingError, match=said.replace("(", r"\(")):
        plan_from_words(words)


def test_settings_defaults_and_a_queue_falling_back_to_the_default_plan() -> None:
    settings = SamplingSettings.model_validate({"queues": {"spam-pt": {"aql": "0.65", "level": "iii"}}})
    assert (settings.time, settings.seed, settings.per_labeler_min, settings.nesting_min) == (
        "06:00",
        2859,
        2,
        5,
    )
    assert settings.plan_for("spam-pt") == QueuePlan(aql=0.65, level="III", start="normal")
    assert settings.plan_for("hate-en") == QueuePlan(aql=1.0, level="II", start="normal")
    assert settings.draw_channel(["C0INGEST1", "C0INGEST2"]) == "C0INGEST1"
    assert settings.draw_channel([]) is None
    assert SamplingSettings(channel="C0QAOPS01").draw_channel(["C0INGEST1"]) == "C0QAOPS01"


@pytest.mark.parametrize(
    ("section", "said"),
    [
        ({"queues": {"spam-pt": {"aql": 3}}}, "AQL 3 is not in the ISO 2859-1 tables"),
        ({"default": {"level": "IV"}}, "unknown inspection level 'IV'"),
        ({"queues": {"spam-pt": {"start": "strict"}}}, "'normal', 'tightened' or 'reduced'"),
        (
            {"queues": {"spam-pt": {"start": "reduced"}}},
            "spam-pt starts on reduced inspection, but reduced_allowed is false",
        ),
        ({"time": "6am"}, "is not a time of day"),
        ({"per_labeler_min": -1}, "greater than or equal to 0"),
        ({"sample": 5}, "Extra inputs are not permitted"),
    ],
)
def test_settings_problems_say_what_is_wrong(section: dict, said: str) -> None:
    with pytest.raises(ValidationError, match=said.replace("(", r"\(")):
        SamplingSettings.model_validate(section)


def test_reduced_start_when_allowed() -> None:
    section = {"reduced_allowed": True, "queues": {"spam-pt": {"start": "Reduced"}}}
    assert SamplingSettings.model_validate(section).plan_for("spam-pt").start == "reduced"


BASE = """timezone: Europe/Dublin
admins: [U0QALEAD1]
vendors: [{id: northwind, name: Northwind, channel: C0NWIND01}]
queues:
  - id: spam-pt
    name: Spam PT
    vendor: northwind
    site: manila
    targets: {daily_output: 900, sla_seconds: 28800, quality: 0.95, aht_seconds: 25}
"""


def test_a_workspace_names_only_its_own_queues() -> None:
    ws = parse_workspace(BASE + "sampling:\n  queues:\n    spam-pt: {aql: 1.5}\n", Path("ws.yml"))
    assert ws.sampling.plan_for("spam-pt").aql == 1.5
    assert parse_workspace(BASE, Path("ws.yml")).sampling == SamplingSettings()
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(BASE + "sampling:\n  queues:\n    spam-en: {aql: 1.5}\n", Path("ws.yml"))
    assert "sampling.queues names unknown queues: spam-en" in str(caught.value)
