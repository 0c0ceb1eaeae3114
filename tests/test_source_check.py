"""`streamleap aws check-source` against real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import json

import psycopg2
import pymysql
import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.source_check import check_source, failed
from tests.servers import start_postgres


def _check(url: str, tables: str, *extra: str):
    return CliRunner().invoke(main, ["aws", "check-source", "--source-url", url, "--tables", tables, *extra])


def _pg_exec(url: str, *statements: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


@pytest.fixture(scope="module")
def logical_pg():
    try:
        server = start_postgres({"wal_level": "logical"})
    except RuntimeError as exc:  # pragma: no cover - only without the Debian package
        pytest.skip(f"PostgreSQL not available: {exc}")
    _pg_exec(server.url,
             'CREATE TABLE "Cart" (id int PRIMARY KEY, note text)',
             'ALTER TABLE "Cart" REPLICA IDENTITY FULL',
             "CREATE TABLE keyless (a int)",
             "CREATE TABLE nothing_logged (id int PRIMARY KEY)",
             "ALTER TABLE nothing_logged REPLICA IDENTITY NOTHING",
             "CREATE TABLE default_identity (id int PRIMARY KEY)",
             "CREATE ROLE reader LOGIN")
    yield server.url
    server.stop()


def test_postgres_ready(logical_pg):
    result = _check(logical_pg, 'public.Cart')
    assert result.exit_code == 0, result.output
    assert "the source is ready for change capture" in result.output


def test_postgres_each_failed_check_is_one_line_with_its_fix(logical_pg):
    result = _check(logical_pg, "keyless,nothing_logged,missing")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    failed_lines = [line for line in lines if line.startswith("FAILED")]
    assert any("table keyless: has no primary key" in line and "fix: add a PRIMARY KEY" in line for line in failed_lines)
    assert any("replica identity nothing_logged: is NOTHING" in line
               and 'ALTER TABLE "public"."nothing_logged" REPLICA IDENTITY FULL' in line for line in failed_lines)
    assert any("table missing: not found" in line for line in failed_lines)
    assert len(failed_lines) == 3
    # a key-only replica identity is a warning, not a failure
    warn = _check(logical_pg, "default_identity")
    assert warn.exit_code == 0
    assert any(line.startswith("warning") and "REPLICA IDENTITY FULL" in line for line in warn.output.splitlines())


def test_postgres_user_without_replication(logical_pg):
    url = logical_pg.replace("postgres@", "reader@")
    checks = check_source(url, ["Cart"])
    (bad,) = [c for c in failed(checks)]
    assert bad.name == "replication privilege" and "WITH REPLICATION" in bad.fix


def test_postgres_wal_level_replica(pg_url):
    """The session server runs with the default wal_level (replica)."""
    _pg_exec(pg_url, "CREATE TABLE IF NOT EXISTS check_src (id int PRIMARY KEY)")
    result = _check(pg_url, "check_src", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ready"] is False
    (wal,) = [c for c in report["checks"] if c["name"] == "wal_level"]
    assert wal["ok"] is False and "must be logical" in wal["detail"] and "wal_level = logical" in wal["fix"]


def test_mariadb_ready_and_keyless_table(mysql_url):
    conn = pymysql.connect(host="127.0.0.1", port=int(mysql_url.rsplit(":", 1)[1].strip("/")), user="root",
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS chk")
        cur.execute("CREATE TABLE IF NOT EXISTS chk.cart (id int PRIMARY KEY)")
        cur.execute("CREATE TABLE IF NOT EXISTS chk.keyless (a int)")
        cur.execute("SET GLOBAL binlog_format = 'MIXED'")
    try:
        ready = _check(mysql_url + "chk", "chk.cart")
        assert ready.exit_code == 1  # binlog_format is MIXED now
        lines = [line for line in ready.output.splitlines() if line.startswith("FAILED")]
        assert lines == ["FAILED  binlog_format: is MIXED, must be ROW; fix: set binlog_format=ROW in the server "
                         "configuration (RDS: parameter group) and restart"]
    finally:
        with conn.cursor() as cur:
            cur.execute("SET GLOBAL binlog_format = 'ROW'")
    ready = _check(mysql_url + "chk", "chk.cart")
    assert ready.exit_code == 0, ready.output
    keyless = _check(mysql_url + "chk", "chk.keyless")
    assert keyless.exit_code == 1 and "table chk.keyless: has no primary key" in keyless.output
    conn.close()


def test_unreachable_source_is_one_line():
    result = _check("postgresql://u:pw@127.0.0.1:1/db", "t")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot connect to postgresql://u:***@127.0.0.1:1/db")
    assert len(result.output.strip().splitlines()) == 1
