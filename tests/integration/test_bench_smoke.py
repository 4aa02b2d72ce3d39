"""`crm bench --scale small --json` completes on each backend and every operation has a figure.

A smoke run: no timing is asserted (CI machines vary); the memory group needs a browser and runs
with the e2e tests' chromium only by hand (`crm bench --only memory`).
"""

from __future__ import annotations

import json

import pytest

from benchmarks.bench import GROUPS

pytestmark = pytest.mark.timeout(300)

SMOKE_GROUPS = [group for group in GROUPS if group != "memory"]


def test_bench_small_gives_every_operation_a_figure(cli, engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_BENCH_DIR", str(tmp_path / "bench"))
    args = ["bench", "--scale", "small", "--json", *[a for g in SMOKE_GROUPS for a in ("--only", g)]]
    if engine.dialect.name == "postgresql":  # SQLite: the harness's own file under CRM_BENCH_DIR
        args += ["--url", engine.url.render_as_string(hide_password=False)]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["scale"] == "small"
    assert report["built"]["counts"]["contacts"] == 2_000
    # the host's speed before and after, so that two runs are compared only when it agrees
    assert report["machine"]["cpu_check_ms"] > 0 and report["machine"]["cpu_check_ms_after"] > 0
    assert {row["group"] for row in report["results"]} >= {"throughput", "records", "analytics",
                                                             "assistant", "pages"}
    missing = [row["name"] for row in report["results"] if row["median"] is None]
    assert not missing, missing
    errors = [row["name"] for row in report["results"] if row["note"].startswith("error")]
    assert not errors, errors
    names = " ".join(row["name"] for row in report["results"])
    for operation in ("grid page", "search", "grid save", "contact 360", "funnel", "RFM", "cohort",
                      "bought-together", "potential", "revenue by category", "import", "crm demo",
                      "crm ask start-up", "contacts, cold", "contacts, warm"):
        assert operation in names, operation
    floors = [row for row in report["results"] if row["group"] == "records"]
    # every records operation has its floor, but the capped count and the page layer's frame (no SQL)
    assert all(row["floor"] is not None for row in floors
               if "capped" not in row["name"] and "frame of" not in row["name"])
