"""`streamleap aws check-source` against real PostgreSQL and MariaDB servers: the server's CDC
set-up, and every table planned with the rules of `streamleap plan`."""

from __future__ import annotations

import json

import psycopg2
import pymysql
import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.kinesis.local import LocalKinesis
from streamleap.sources.checks import _binlog_checksum, check_source, failed, mysql_capture_checks
from tests.servers import start_postgres

CLI_ENV = {"COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}


def _check(url: str, tables: str, *extra: str):
    return CliRunner().invoke(main, ["aws", "check-source", "--source-url", url, "--tables", tables, *extra], env=CLI_ENV)


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
             "CREATE TYPE pair AS (a int, b int)",
             "CREATE TABLE json_keyed (doc jsonb PRIMARY KEY, note text)",
             "CREATE TABLE keyless_full (a int, b text)",
             "ALTER TABLE keyless_full REPLICA IDENTITY FULL",
             "CREATE TABLE odd_type (id int PRIMARY KEY, p pair, email text)",
             "ALTER TABLE odd_type REPLICA IDENTITY FULL",
             *[f"CREATE TABLE many_{i} (id int PRIMARY KEY)" for i in range(7)],
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
    assert any(line.startswith("FAILED  table public.keyless: no primary key") and "fix: add a PRIMARY KEY" in line
               and "--key keyless=COLUMN" in line for line in failed_lines)
    assert any("replica identity public.nothing_logged: is NOTHING" in line
               and 'ALTER TABLE "public"."nothing_logged" REPLICA IDENTITY FULL' in line for line in failed_lines)
    assert any(line.startswith("FAILED  table missing: not found") for line in failed_lines)
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


@pytest.fixture
def chk_database(mysql_url):
    """A database `chk` on the session's MariaDB for one test, dropped after it: other tests read
    every database of that server."""
    yield
    conn = pymysql.connect(host="127.0.0.1", port=int(mysql_url.rsplit(":", 1)[1].strip("/")), user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS chk")
    conn.close()


def test_mariadb_ready_and_keyless_table(mysql_url, chk_database):
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
    assert keyless.exit_code == 1 and "FAILED  table chk.keyless: no primary key" in keyless.output
    # a key named with --key is what plan would use: the table passes (the binlog has whole rows)
    keyed = _check(mysql_url + "chk", "chk.keyless", "--key", "keyless=a")
    assert keyed.exit_code == 0, keyed.output
    (table,) = [c for c in json.loads(_check(mysql_url + "chk", "chk.keyless", "--key", "keyless=a", "--json").output)["checks"]
                if c["name"] == "table chk.keyless"]
    assert table["ok"] is True and table["detail"] == "--key (a)"
    conn.close()


def test_unreachable_source_is_one_line():
    result = _check("postgresql://u:pw@127.0.0.1:1/db", "t")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot connect to postgresql://u:***@127.0.0.1:1/db")
    assert len(result.output.strip().splitlines()) == 1


def test_postgres_tables_are_checked_with_the_rules_of_plan(logical_pg):
    """What plan refuses, check-source fails (it said "ready" before, and capture refused later)."""
    result = _check(logical_pg, "public.json_keyed")
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert line.startswith("FAILED  table public.json_keyed: key column doc: type jsonb maps to SUPER, which cannot be a key")
    assert line.endswith("fix: as the reason says, or leave the table out with --exclude-tables public.json_keyed")

    # --key / --exclude-columns / --exclude-tables select as plan's do
    assert _check(logical_pg, "public.json_keyed", "--key", "json_keyed=note").exit_code == 0
    missing = _check(logical_pg, "public.Cart", "--key", "Cart=nope")
    assert missing.exit_code == 1 and "FAILED  table public.Cart: --key names no column 'nope'" in missing.output
    dropped = _check(logical_pg, "public.Cart", "--exclude-columns", "Cart.id")
    assert dropped.exit_code == 1 and "FAILED  table public.Cart: key column id is left out" in dropped.output
    assert _check(logical_pg, "public.Cart,keyless", "--exclude-tables", "keyless").exit_code == 0

    # a table without a primary key, with --key: Postgres must log its whole old row
    keyed = _check(logical_pg, "keyless_full,keyless", "--key", "keyless_full=a", "--key", "keyless=a", "--json")
    report = json.loads(keyed.output)
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["table public.keyless_full"]["ok"] and by_name["table public.keyless_full"]["detail"] == "--key (a)"
    assert by_name["table public.keyless"]["ok"]
    bad = by_name["replica identity public.keyless"]
    assert bad["ok"] is False and bad["severity"] == "error" and "not logged" in bad["detail"]
    assert bad["fix"] == 'ALTER TABLE "public"."keyless" REPLICA IDENTITY FULL'
    assert [c["name"] for c in failed_checks(report)] == ["replica identity public.keyless"]

    # a type streamleap has no rule for is mirrored as its text (plan's fallback): a warning, still ready
    odd = _check(logical_pg, "odd_type")
    assert odd.exit_code == 0, odd.output
    (warn,) = [line for line in odd.output.splitlines() if line.startswith("warning")]
    assert "column types: public.odd_type.p (pair): a type streamleap has no rule for, kept as text" in warn
    assert "the source is ready" in odd.output


def failed_checks(report: dict) -> list[dict]:
    return [c for c in report["checks"] if not c["ok"] and c["severity"] == "error"]


def test_check_source_input_mistakes_are_one_error_line(logical_pg):
    for extra, fragment in ((["--key", "Cart"], "--key 'Cart': expected TABLE=COLUMN"),
                            (["--exclude-columns", "nodot"], "--exclude-columns 'nodot': expected TABLE.COLUMN"),
                            (["--exclude-tables", "zzz_*"], "--exclude-tables 'zzz_*' matches no table"),
                            (["--exclude-columns", "Cart.zzz"], "--exclude-columns Cart.zzz: no selected table")):
        result = _check(logical_pg, "public.Cart", *extra)
        assert result.exit_code == 1, (extra, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], (extra, result.output)



def test_without_tables_every_table_is_checked_as_capture_reads_them(logical_pg, tmp_path, monkeypatch):
    """No --tables and no config: every table of the source, the tables capture reads without
    --tables; --exclude-tables leaves some out."""
    monkeypatch.chdir(tmp_path)  # no streamleap.yml here
    result = CliRunner().invoke(main, ["check-source", "--source-url", logical_pg, "--json"], env=CLI_ENV)
    assert result.exit_code == 1, result.output  # keyless, json_keyed... fail, as with --tables
    checked = {c["name"] for c in json.loads(result.output)["checks"] if c["name"].startswith("table ")}
    assert {"table public.Cart", "table public.keyless", "table public.json_keyed", "table public.odd_type",
            *(f"table public.many_{i}" for i in range(7))} <= checked, checked
    fewer = CliRunner().invoke(main, ["check-source", "--source-url", logical_pg, "--exclude-tables", "keyless*,json_*",
                                      "--json"], env=CLI_ENV)
    names = {c["name"] for c in json.loads(fewer.output)["checks"] if c["name"].startswith("table ")}
    assert names == checked - {"table public.keyless", "table public.keyless_full", "table public.json_keyed"}, names

def test_replica_identity_default_is_one_summary_line(logical_pg):
    names = ",".join(f"many_{i}" for i in range(7))
    result = _check(logical_pg, names + ",public.Cart")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning")]
    assert warnings == [
        "warning replica identity: DEFAULT on 7 tables (public.many_0, public.many_1, public.many_2, public.many_3, "
        "public.many_4 and 2 more): updates carry only the old key as before-image (enough for the mirrors; an "
        "unchanged large value is read from the table by key); fix: ALTER TABLE ... REPLICA IDENTITY FULL for full "
        "before images"]
    one = _check(logical_pg, "default_identity")
    assert 'fix: ALTER TABLE "public"."default_identity" REPLICA IDENTITY FULL' in one.output

    # capture starts with the same checks: one warning line, not one per table
    with LocalKinesis() as kinesis:
        run = CliRunner().invoke(main, ["capture", "--source-url", logical_pg, "--tables", names, "--stream", "missing",
                                        "--kinesis-endpoint", kinesis.endpoint_url, "--once"], env=CLI_ENV)
    assert run.exit_code == 1
    lines = run.stderr.splitlines()
    assert [line for line in lines if line.startswith("warning")] == [
        "warning: replica identity: DEFAULT on 7 tables (public.many_0, public.many_1, public.many_2, public.many_3, "
        "public.many_4 and 2 more): updates carry only the old key as before-image (enough for the mirrors; an "
        "unchanged large value is read from the table by key); ALTER TABLE ... REPLICA IDENTITY FULL for full "
        "before images"]
    assert lines[-1].startswith("Error: --stream missing: no such Kinesis stream")


def test_binlog_checksum_is_a_warning_that_does_not_contradict_itself(mysql_url, chk_database):
    conn = pymysql.connect(host="127.0.0.1", port=int(mysql_url.rsplit(":", 1)[1].strip("/")), user="root",
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS chk")
        cur.execute("CREATE TABLE IF NOT EXISTS chk.cart (id int PRIMARY KEY)")
        cur.execute("SELECT @@global.binlog_checksum")
        (setting,) = cur.fetchone()
    conn.close()
    assert setting == "CRC32"  # MariaDB's default
    result = _check(mysql_url + "chk", "chk.cart")
    assert result.exit_code == 0, result.output  # a warning does not fail the check
    (line,) = [line for line in result.output.splitlines() if "binlog_checksum" in line]
    assert line.startswith("warning binlog_checksum: is CRC32: `streamleap capture` reads it;")
    assert "must be" not in line and "not confirmed" in line
    assert "fix: keep it unless a DMS task fails on binlog checksums; then set binlog_checksum=NONE" in line
    assert _binlog_checksum({"binlog_checksum": "NONE"})[0].ok
    assert _binlog_checksum({}) == []  # not this server's variable


def test_the_capture_reader_checks_more_of_a_mysql_server_than_dms_needs():
    """MySQLReader refuses what mysql_capture_checks fails: check_source's settings, with what its
    binlog reading needs on top."""
    ready = {"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL",
             "server_id": "1", "binlog_row_value_options": ""}
    assert failed(mysql_capture_checks(ready)) == []

    def refused(**changed: str | None) -> list[str]:
        v = {**ready, **changed}
        return [f"{c.name}: {c.detail}" for c in failed(mysql_capture_checks({k: x for k, x in v.items() if x is not None}))]

    assert refused(binlog_row_metadata="MINIMAL") == ["binlog_row_metadata: is MINIMAL, must be FULL"]
    assert refused(binlog_row_metadata=None) == [
        "binlog_row_metadata: is not a setting of this server: `streamleap capture` needs MariaDB 10.5+ or MySQL 8.0.14+ "
        "with binlog_row_metadata=FULL"]
    assert refused(binlog_row_value_options="PARTIAL_JSON") == [
        "binlog_row_value_options: is PARTIAL_JSON, which `streamleap capture` cannot read"]
    assert refused(log_bin=None, server_id="0") == ["log_bin: is not a setting of this server, must be ON",
                                                    "server_id: is 0, must be 1 or greater"]
