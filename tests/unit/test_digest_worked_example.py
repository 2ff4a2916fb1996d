"""The digest on hand-made rows with the expected values written out: the worked example, day boundaries
in the digest's time zone, the DST change, and the ordering and override rules."""

from __future__ import annotations

from datetime import date

from bot.workspace import Workspace
from handlers.queue_data.frames import read_backlog
from tests.unit.digest_reference import digest

# ---------------------------------------------------------------- hand-made rows, expected values written out

SMALL = Workspace.model_validate(
    {
        "timezone": "Europe/Dublin",
        "admins": ["U0ADMIN1"],
        "vendors": [
            {"id": "acme", "name": "Acme Review", "channel": "C0ACME001", "sites": ["a1"]},
            {"id": "beta", "name": "Beta Labels", "channel": "C0BETA001", "sites": ["b1"]},
        ],
        "queues": [
            {
                "id": "q1",
                "name": "Queue one",
                "vendor": "acme",
                "site": "a1",
                "targets": {
                    "daily_output": 4,
                    "sla_seconds": 3600,
                    "quality": 0.9,
                    "aht_seconds": 30,
                    "sla_adherence": 0.8,
                },
            },
            {
                "id": "q2",
                "name": "Queue two",
                "vendor": "acme",
                "site": "a1",
                "targets": {"daily_output": 2, "sla_seconds": 600, "quality": 0.5, "aht_seconds": 60},
            },
            {
                "id": "q3",
                "name": "Queue three",
                "vendor": "beta",
                "site": "b1",
                "targets": {"daily_output": 1, "sla_seconds": 600, "quality": 0.9, "aht_seconds": 60},
            },
        ],
    }
)
HEADER = "item_id,queue,labeler_id,enqueued_at,completed_at,handle_seconds,decision,qa_decision\n"
WORKED = (
    HEADER
    + """\
1,q1,L1,2025-06-10T09:00:00+01:00,2025-06-10T09:30:00+01:00,20,allow,allow
2,q1,L2,2025-06-10T08:00:00+01:00,2025-06-10T09:00:00+01:00,40,remove,allow
3,q1,L1,2025-06-10T07:00:00+01:00,2025-06-10T10:00:00+01:00,30,allow,
4,q2,L1,2025-06-10T10:00:00+01:00,2025-06-10T10:05:00+01:00,50,remove,remove
5,q2,L3,2025-06-10T10:00:00+01:00,2025-06-10T10:20:00+01:00,70,allow,remove
6,q1,L2,2025-06-10T23:00:00+01:00,2025-06-10T23:30:00+01:00,30,allow,
7,q1,L2,2025-06-10T23:00:00Z,2025-06-10T23:30:00Z,30,allow,
8,q1,L4,2025-06-09T08:00:00+01:00,2025-06-09T08:10:00+01:00,30,allow,
9,q1,L4,2025-06-09T08:00:00+01:00,2025-06-09T08:20:00+01:00,30,allow,
10,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
11,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
12,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
13,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
14,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
15,q1,L5,2025-06-05T08:00:00+01:00,2025-06-05T09:00:00+01:00,30,allow,
"""
)
BACKLOG = """queue,at,backlog,oldest_age_seconds
q1,2025-06-10T08:00:00+01:00,10,100
q1,2025-06-10T22:00:00+01:00,5,50
q1,2025-06-10T23:30:00Z,99,999
q2,2025-06-10T12:00:00+01:00,3,400
"""


def test_worked_example():
    """Row 7 is 00:30 on 11 June in Dublin; 9 June has 2 rows of q1 and 5 June has 6 (7-day mean 4)."""
    backlog = read_backlog(BACKLOG.encode(), SMALL.timezone)
    result = digest(WORKED.encode(), SMALL, date(2025, 6, 10), backlog=backlog)
    q1, q2, q3 = result["queues"]
    assert q1 == {
        "id": "q1",
        "name": "Queue one",
        "output": 4,
        "target": 4,
        "output_vs_target": 1.0,
        "sla_adherence": 0.75,  # rows 1, 2 (exactly the SLA) and 6 on time; row 3 late
        "aht_seconds": 30.0,
        "active_labelers": 2,
        "output_per_labeler": 2.0,
        "audited": 2,
        "quality_score": 0.5,
        "backlog": 5,
        "oldest_age_seconds": 50.0,
        "change_vs_prev_day": 1.0,
        "change_vs_7d": 0.0,
        "flags": ["sla_adherence", "quality_score"],
        "top_errors": [{"decision": "remove", "qa_decision": "allow", "count": 1}],
    }
    assert q2 == {
        "id": "q2",
        "name": "Queue two",
        "output": 2,
        "target": 2,
        "output_vs_target": 1.0,
        "sla_adherence": 0.5,
        "aht_seconds": 60.0,
        "active_labelers": 2,
        "output_per_labeler": 1.0,
        "audited": 2,
        "quality_score": 0.5,
        "backlog": 3,
        "oldest_age_seconds": 400.0,
        "change_vs_prev_day": None,
        "change_vs_7d": None,
        "flags": ["sla_adherence"],
        "top_errors": [{"decision": "allow", "qa_decision": "remove", "count": 1}],
    }
    assert q3 == {
        "id": "q3",
        "name": "Queue three",
        "output": 0,
        "target": 1,
        "output_vs_target": 0.0,
        "sla_adherence": None,
        "aht_seconds": None,
        "active_labelers": 0,
        "output_per_labeler": None,
        "audited": 0,
        "quality_score": None,
        "backlog": None,
        "oldest_age_seconds": None,
        "change_vs_prev_day": None,
        "change_vs_7d": None,
        "flags": ["output"],
        "top_errors": [],
    }
    acme = {
        "output": 6,
        "target": 6,
        "output_vs_target": 1.0,
        "sla_adherence": 0.6667,
        "aht_seconds": 40.0,
        "active_labelers": 3,  # L1 works both queues: distinct labelers, not 2 + 2
        "output_per_labeler": 2.0,
        "audited": 4,
        "quality_score": 0.5,
        "backlog": 8,
        "oldest_age_seconds": 400.0,  # q1's last snapshot of the day plus q2's
        "change_vs_prev_day": 2.0,
        "change_vs_7d": 0.5,
        "flags": ["change_vs_7d"],
        "top_errors": [
            {"decision": "allow", "qa_decision": "remove", "count": 1},
            {"decision": "remove", "qa_decision": "allow", "count": 1},
        ],
    }
    vendors, sites = result["vendors"], result["sites"]
    assert [(v["id"], v["name"]) for v in vendors] == [("acme", "Acme Review"), ("beta", "Beta Labels")]
    assert {k: vendors[0][k] for k in acme} == acme
    assert [(s["id"], s["name"]) for s in sites] == [("a1", None), ("b1", None)]
    assert {k: sites[0][k] for k in acme} == acme
    assert vendors[1]["output"] == 0 and vendors[1]["flags"] == ["output"] and vendors[1]["target"] == 1
    overall = result["overall"]
    assert (overall["id"], overall["target"], overall["output_vs_target"]) == ("all", 7, 0.8571)
    assert overall["flags"] == ["output", "change_vs_7d"]
    assert {k: overall[k] for k in acme if k not in ("target", "output_vs_target", "flags")} == {
        k: v for k, v in acme.items() if k not in ("target", "output_vs_target", "flags")
    }
    relaxed = digest(WORKED.encode(), SMALL, date(2025, 6, 10), deviation=0.6)
    assert relaxed["vendors"][0]["flags"] == [] and relaxed["overall"]["flags"] == ["output"]
    assert relaxed["queues"][0]["backlog"] is None  # no snapshots given
    next_day = digest(WORKED.encode(), SMALL, date(2025, 6, 11))
    assert next_day["queues"][0]["output"] == 1 and next_day["queues"][0]["change_vs_prev_day"] == -0.75


def rows(*stamps: str, queue: str = "q1") -> bytes:
    return (HEADER + "".join(f"{i},{queue},L{i},{s},{s},30,allow,\n" for i, s in enumerate(stamps))).encode()


def test_day_boundaries_follow_the_digest_timezone():
    data = rows("2025-06-10T23:30:00+01:00", "2025-06-11T00:30:00+01:00", "2025-06-11T02:30:00+03:00")
    dublin = [digest(data, SMALL, date(2025, 6, d))["overall"]["output"] for d in (10, 11)]
    assert dublin == [1, 2]  # 23:30 local on the 10th; 00:30 local twice on the 11th
    utc = [digest(data, SMALL, date(2025, 6, d), tz="UTC")["overall"]["output"] for d in (10, 11)]
    assert utc == [3, 0]  # all three are 22:30 or 23:30 UTC on the 10th
    new_york = digest(data, SMALL, date(2025, 6, 10), tz="America/New_York")
    assert new_york["overall"]["output"] == 3 and new_york["timezone"] == "America/New_York"


def test_dst_change_day_in_dublin():
    """30 March 2025 lasts 23 hours in Dublin: 00:00 GMT to 00:00 IST (23:00 UTC)."""
    data = rows(
        "2025-03-29T23:30:00+00:00",
        "2025-03-30T00:30:00+00:00",
        "2025-03-30T23:30:00+01:00",
        "2025-03-30T22:59:59Z",
        "2025-03-30T23:00:00Z",
        "2025-03-31T00:30:00",
    )
    counts = [digest(data, SMALL, date(2025, 3, d))["overall"]["output"] for d in (29, 30, 31)]
    assert counts == [1, 3, 2]


def test_naive_stamps_use_the_workspace_zone_not_the_digest_zone():
    data = rows("2025-06-11T00:30:00", "2025-06-10T12:00:00")
    assert [digest(data, SMALL, date(2025, 6, d))["overall"]["output"] for d in (10, 11)] == [1, 1]
    assert digest(data, SMALL, date(2025, 6, 10), tz="UTC")["overall"]["output"] == 2  # 23:30 UTC
    mixed = rows("2025-06-11T00:30:00", "2025-06-10T12:00:00", "2025-06-10T23:30:00Z")
    assert [digest(mixed, SMALL, date(2025, 6, d))["overall"]["output"] for d in (10, 11)] == [1, 2]
    assert digest(mixed, SMALL, date(2025, 6, 10), tz="UTC")["overall"]["output"] == 3


def test_quality_is_null_when_nothing_is_audited():
    result = digest(rows("2025-06-10T12:00:00+01:00"), SMALL, date(2025, 6, 10))
    assert result["queues"][0]["audited"] == 0 and result["queues"][0]["quality_score"] is None
    assert result["overall"]["quality_score"] is None and result["overall"]["top_errors"] == []


def test_top_errors_order_by_count_then_labels():
    pairs = [("remove", "allow")] * 3 + [
        ("escalate", "allow"),
        ("allow", "remove"),
        ("allow", "escalate"),
        ("age_restrict", "remove"),
        ("remove", "escalate"),
        ("allow", "age_restrict"),
    ] * 2
    pairs += [("escalate", "remove"), ("allow", "allow")]
    body = "".join(
        f"{i},q2,L1,2025-06-10T10:00:00+01:00,2025-06-10T10:01:00+01:00,5,{d},{a}\n"
        for i, (d, a) in enumerate(pairs)
    )
    top = digest((HEADER + body).encode(), SMALL, date(2025, 6, 10))["queues"][1]["top_errors"]
    assert [(e["decision"], e["qa_decision"], e["count"]) for e in top] == [
        ("remove", "allow", 3),
        ("age_restrict", "remove", 2),
        ("allow", "age_restrict", 2),
        ("allow", "escalate", 2),
        ("allow", "remove", 2),
    ]


def test_vendor_and_site_columns_override_the_queue_config():
    data = (
        HEADER.replace("labeler_id", "vendor,site,labeler_id")
        + "1,q1,acme,a2,L1,2025-06-10T10:00:00+01:00,2025-06-10T10:01:00+01:00,5,allow,\n"
        + "2,q1,,,L2,2025-06-10T10:00:00+01:00,2025-06-10T10:01:00+01:00,5,allow,\n"
    ).encode()
    result = digest(data, SMALL, date(2025, 6, 10))
    assert [(s["id"], s["output"], s["target"]) for s in result["sites"]] == [
        ("a1", 1, 6),
        ("b1", 0, 1),
        ("a2", 1, None),
    ]
