"""`tsqa contacts import` and `tsqa escalations report`: JSON on stdout, exit 1 with every problem on
invalid input, exit 2 on usage errors; the report's default period, CSV and chart files."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

import bot.cli
from bot.workspace import load_workspace
from handlers.escalate.contacts import imported
from storage.engine import Database
from storage.migrate import run_on_database
from storage.models.escalation import Escalation
from tests import escalation_rows

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "examples" / "workspace.yml"
WORKSPACE_TZ = load_workspace(WORKSPACE).tz
CONTACTS = (
    "scope,id,role,people\nplatform,routing,rd_oncall,U0RDONCALL;U0RDONCAL2\nvendor,bluebird,site_lead,\n"
)


def tsqa(url: str, *args: str) -> Result:
    env = {"DATABASE_URL": url, "TSQA_WORKSPACE": str(WORKSPACE)}
    return CliRunner().invoke(bot.cli.app, list(args), env=env)


def escalation(
    number: int, opened: datetime, ack: float | None, resolve: float | None, **kw: str
) -> Escalation:
    kw.setdefault("title", "Review tool shows a blank page")
    return escalation_rows.escalation(number, opened=opened, ack=ack, resolve=resolve, **kw)


def insert(url: str, rows: list[Escalation]) -> None:
    async def add(db: Database) -> None:
        async with db.transaction() as session:
            session.add_all(rows)

    run_on_database(url, add)


# ----- contacts import -----


def test_contacts_import_then_reimport(database_url: str, tmp_path: Path) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(CONTACTS)
    first = tsqa(database_url, "contacts", "import", str(file))
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"{file}: 2 added, 0 changed, 0 unchanged"
    again = tsqa(database_url, "contacts", "import", str(file), "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert (data["ok"], data["added"], data["changed"]) == (True, [], [])
    assert data["unchanged"] == [
        {"scope": "platform", "id": "routing", "role": "rd_oncall"},
        {"scope": "vendor", "id": "bluebird", "role": "site_lead"},
    ]
    assert run_on_database(database_url, imported) == {
        ("platform", "routing", "rd_oncall"): ["U0RDONCALL", "U0RDONCAL2"],
        ("vendor", "bluebird", "site_lead"): [],
    }


def test_an_invalid_contacts_file_exits_1_with_every_problem(database_url: str, tmp_path: Path) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(CONTACTS + "vendor,acme,operations,U0ACME001\nplatform,routing,operations,U0RDONCALL\n")
    result = tsqa(database_url, "contacts", "import", str(file))
    assert result.exit_code == 1
    assert "2 problem(s), nothing imported" in result.output
    assert "line 4: id: 'acme' is not a vendor of the workspace (northwind, bluebird)" in result.output
    assert "line 5: role: 'operations' is not a platform role (rd_oncall, rd_escalation)" in result.output
    as_json = tsqa(database_url, "contacts", "import", str(file), "--json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["ok"] is False and [p[:6] for p in data["problems"]] == ["line 4", "line 5"]
    assert run_on_database(database_url, imported) == {}


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    missing = tsqa(url, "contacts", "import", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2 and "is not a file" in missing.output
    assert tsqa(url, "contacts", "import").exit_code == 2
    bad_day = tsqa(url, "escalations", "report", "--since", "30/11/2026")
    assert bad_day.exit_code == 2 and "is not a date like 2026-11-01" in bad_day.output


# ----- the report -----


def _rows(now: datetime) -> list[Escalation]:
    return [
        escalation(1, now - timedelta(days=40), ack=5, resolve=30),  # before the default 30 days
        escalation(2, now - timedelta(days=20), ack=4, resolve=125),
        escalation(3, now - timedelta(days=10), ack=10, resolve=None, platform="routing", vendor="bluebird"),
        escalation(4, now - timedelta(days=2), ack=None, resolve=None, severity="SEV1", title="=1+2"),
    ]


def test_the_report_defaults_to_30_days_and_writes_csv_and_chart(database_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    insert(database_url, _rows(now))
    out_csv, out_png = tmp_path / "esc.csv", tmp_path / "esc.png"
    result = tsqa(
        database_url, "escalations", "report", "--json", "--csv", str(out_csv), "--chart", str(out_png)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["since"] == (now.astimezone(WORKSPACE_TZ).date() - timedelta(days=30)).isoformat()
    o = data["overall"]
    assert (o["opened"], o["acknowledged"], o["resolved"], o["still_open"]) == (3, 2, 1, 2)
    assert o["mtta"] == {"median": 7.0, "p90": 9.4}  # 4 and 10: 4 + 0.9·6
    assert o["mttr"] == {"median": 125.0, "p90": 125.0}
    assert [p["key"] for p in data["platforms"]] == ["labelling-tool", "routing"]
    assert [s["opened"] for s in data["severities"]] == [1, 2, 0, 0]
    lines = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert [line["escalation"] for line in lines] == ["ESC-2", "ESC-3", "ESC-4"]
    assert lines[2]["title"] == "'=1+2"
    assert out_png.read_bytes().startswith(b"\x89PNG")

    everything = tsqa(database_url, "escalations", "report", "--since", "2000-01-01", "--json")
    assert json.loads(everything.output)["overall"]["opened"] == 4


def test_the_report_reads_as_text(database_url: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    insert(database_url, _rows(now))
    result = tsqa(database_url, "escalations", "report")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith(": 3 opened, 2 acknowledged, 1 resolved, 2 still open")
    assert lines[1] == (
        "all: 3 opened, 2 open; time to acknowledge median 7 min, p90 9 min; "
        "time to resolve median 2 h 5 min, p90 2 h 5 min"
    )
    assert "  routing: 1 opened, 1 open; time to acknowledge median 10 min, p90 10 min; " in result.output
    assert "  SEV4: 0 opened, 0 open; time to acknowledge median –, p90 –" in result.output
    assert lines[-1].startswith("oldest still open: 10 d")


def test_an_empty_period_says_so(tmp_path: Path) -> None:
    result = tsqa(
        f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", "escalations", "report", "--since", "2026-01-01"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Escalations since 2026-01-01: 0 opened, 0 acknowledged, 0 resolved, 0 still open"
    ]
