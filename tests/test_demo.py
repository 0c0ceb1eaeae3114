"""`streamleap demo` end to end, in this process: a local Kinesis endpoint, the shop workload,
the runner, and the mirror verified against the workload's source state, on DuckDB and on a real
PostgreSQL; a second demo into the same folder starts afresh; a mismatch exits 1."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.demo.workload import ShopWorkload

pytestmark = pytest.mark.dbt

ENV = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}


def demo(*args, ok: bool = True):
    result = CliRunner().invoke(main, ["demo", *map(str, args)], env=ENV)
    if ok:
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result


def assert_good_result(doc: dict) -> None:
    assert set(doc) == {"changes", "rows", "mirror_matches", "latency_ms", "changes_per_s"}
    assert doc["mirror_matches"] is True
    assert doc["changes"] > 0 and doc["rows"] > 0 and doc["changes_per_s"] > 0
    lat = doc["latency_ms"]
    assert set(lat) == {"p50", "p95", "p99"}
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] < 60_000


def test_demo_json_then_again_into_the_same_folder(tmp_path):
    folder = tmp_path / "demo"
    result = demo("--dir", folder, "--duration", 3, "--rate", 100, "--every", 0.3, "--json")
    doc = json.loads(result.stdout)  # one JSON document and nothing else
    assert_good_result(doc)
    assert 150 <= doc["changes"] <= 400  # about rate x duration
    assert (folder / "dbt_project.yml").is_file() and (folder / "streamleap.duckdb").is_file()

    # again, with another seed: it starts from an empty warehouse and an empty stream, so what
    # the first demo left (other carts, other relay positions) cannot leak into this mirror
    result = demo("--dir", folder, "--duration", 1, "--rate", 100, "--every", 0.2, "--seed", 1)
    out = result.stdout
    assert "mirror matches the source: yes" in out
    changes = int(re.search(r"changes: (\d+), rows in the mirror: (\d+), cycles: (\d+) \(0 failed\)", out)[1])
    assert changes > 0
    assert re.search(r"latency commit -> visible: p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms", out)
    # the shop's questions, answered from the mirror
    assert re.search(r"abandoned carts: .*\d", out)
    assert re.search(r"high-demand items: SKU-\d+ \(\d+\)", out)
    assert f"the project is in {folder}" in out


@pytest.mark.postgres
def test_demo_on_postgres(tmp_path, pg_url, monkeypatch):
    m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", pg_url)
    assert m, pg_url
    schema = f"demo_{uuid.uuid4().hex[:8]}"
    for k, v in {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
                 "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": schema}.items():
        monkeypatch.setenv(k, v)
    result = demo("--dir", tmp_path / "pg", "--target", "postgres", "--duration", 2, "--rate", 100, "--every", 0.3,
                  "--json")
    doc = json.loads(result.stdout)
    assert_good_result(doc)
    import psycopg2

    con = psycopg2.connect(pg_url)
    try:
        cur = con.cursor()
        cur.execute(f'select (select count(*) from "{schema}".cart) + (select count(*) from "{schema}".cart_item)')
        assert cur.fetchone()[0] == doc["rows"]  # the mirror is in the server the variables name
    finally:
        con.close()


def test_demo_exits_1_when_the_mirror_does_not_match(tmp_path, monkeypatch):
    state = ShopWorkload.state

    def with_a_row_the_mirror_never_saw(self):
        tables = state(self)
        some = next(iter(tables["cart"].values()))
        tables["cart"][(10**12,)] = dict(some, cart_id=10**12)
        return tables

    monkeypatch.setattr(ShopWorkload, "state", with_a_row_the_mirror_never_saw)
    result = demo("--dir", tmp_path / "demo", "--duration", 1, "--rate", 100, "--every", 0.2, "--json", ok=False)
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    doc = json.loads(result.stdout)  # the numbers are still reported
    assert doc["mirror_matches"] is False and doc["changes"] > 0
    result = demo("--dir", tmp_path / "demo", "--duration", 1, "--rate", 100, "--every", 0.2, ok=False)
    assert result.exit_code == 1
    assert "mirror matches the source: NO (cart: 1 missing, 0 extra, 0 different rows)" in result.stdout
