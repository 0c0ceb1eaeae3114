"""Whole real dump files: `streamleap plan --ddl DUMP` must see what `plan --source-url` sees.

tests/fixtures/every_case/{postgres,mariadb}.sql build a source database holding what real
production schemas hold (functions with ``$$`` and ``BEGIN ATOMIC`` bodies, procedures,
triggers, views, domains, enums, extension-like types, sequences, partitioned and inherited
tables, generated and identity columns, keyless tables, every built-in type, odd names,
comments, grants, indexes...). tests/dumps.py loads each into a fresh database on the session's
throw-away server and dumps it with the real tools (``pg_dump --schema-only``,
``mysqldump --no-data --routines --triggers --events --databases``). Then:

(a) the load and the dump work, and the dump holds the constructs (so the other tests really
    exercise them);
(b) parity: ``plan --json`` on the dump file and on the live database give the same tables,
    columns in the same order, source and Redshift types, nullability, notes, keys, left-out
    columns, partitions and refused tables;
(c) ``plan`` on a dump exits 0, lists every ordinary table (mirrored, or refused for a missing
    primary key only) and says in its summary line how many statements it skipped;
(d) the contract for the hard cases, on the dump and on the live database alike: partitions are
    not tables (a partitioned root is listed once, with every partition below it), inheritance
    children are tables with their inherited columns, generated columns are left out (Postgres:
    all; MySQL: VIRTUAL ones), domains resolve to their base type, extension and other unknown
    types map to VARCHAR(65535) with a note, views / sequences / materialized views are not tables.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from streamleap.cli import main
from tests import dumps

ENV = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
NO_KEY = "no primary key"

# --- what the fixtures hold, by design ---------------------------------------------------------

# Postgres: every ordinary table (relkind r or p, not a partition) -> (primary key or None)
PG_TABLES: dict[tuple[str, str], tuple[str, ...] | None] = {
    ("app", "customers"): ("id",),
    ("app", "orders"): ("id",),
    ("app", "order_items"): ("order_id", "line_no"),
    ("app", "regional_sales"): ("id", "region"),
    ("Sales", "Order Line"): ("OrderID", "Line"),
    ("select", "table"): ("user",),
    ("audit", "log"): None,
    ("public", "type_numeric"): ("id",),
    ("public", "type_text"): ("id",),
    ("public", "type_binary_bits"): ("id",),
    ("public", "type_datetime"): ("id",),
    ("public", "type_network_misc"): ("id",),
    ("public", "type_geometry"): ("id",),
    ("public", "type_arrays"): ("id",),
    ("public", "type_user_defined"): ("id",),
    ("public", "type_domains"): ("id",),
    ("public", "Ünïcödé Tàblé"): ("ключ",),
    ("public", "MixedCase"): ("Id",),
    ("public", "with_dropped"): ("id",),
    ("public", "event_log"): None,
    ("public", "unique_but_no_pk"): None,
    ("public", "cache_entries"): ("k",),
    ("public", "late_key"): ("b", "a"),
    ("public", "measurements"): ("id", "logged_at"),
    ("public", "sessions"): None,
    ("public", "events"): ("id", "occurred", "kind"),
    ("public", "vehicles"): ("id",),
    ("public", "cars"): ("id",),
    ("public", "trucks"): None,
    ("public", "customers_copy"): None,
    ("public", "addresses"): ("street",),
    ("public", "snapshot_totals"): None,
}
PG_PARTITIONS = {
    ("public", "measurements"): {("public", "measurements_2023"), ("public", "measurements_2024"),
                                 ("public", "measurements_2025"), ("public", "measurements_default")},
    ("app", "regional_sales"): {("app", "regional_sales_eu"), ("Sales", "regional_sales_us")},
    ("public", "events"): {("public", "events_2024"), ("public", "events_2024_click"),
                           ("public", "events_2024_other"), ("public", "events_2025")},
}
PG_NOT_TABLES = {("app", "customer_orders"), ("public", "recent_events"), ("public", "order_totals"),
                 ("public", "invoice_no_seq"), ("app", "shared_seq"), ("public", "sessions_p0"),
                 ("public", "sessions_p1")}

# MariaDB: every base table of the database -> (primary key or None)
MY_TABLES: dict[str, tuple[str, ...] | None] = {
    "type_integer": ("id",),
    "type_decimal": ("id",),
    "type_string": ("id",),
    "type_temporal": ("id",),
    "type_spatial": ("id",),
    "type_mariadb_only": ("id",),
    "type_serial": None,
    "customers": ("id",),
    "orders": ("id",),
    "order_items": ("order_id", "line_no"),
    "Order Line": ("OrderID", "Line"),
    "select": ("user",),
    "Ünïcödé Tàblé": ("ключ",),
    "MixedCase": ("Id",),
    "late_key": ("b", "a"),
    "event_log": None,
    "unique_but_no_pk": None,
    "legacy_myisam": ("id",),
    "cache_aria": ("k",),
    "session_memory": ("k",),
    "prices": ("sku",),
    "customers_copy": ("id",),
    "snapshot_totals": None,
    "measurements": ("id", "logged_at"),
    "regional_sales": ("id", "region"),
    "sessions": ("session_id",),
    "events": ("id", "occurred"),
    "keyed_by_key": ("code",),
}
MY_NOT_TABLES = {"customer_orders", "Big Orders", "invoice_no_seq"}


# --- fixtures ---------------------------------------------------------------------------------


def _database_name(kind: str) -> str:
    return f"every_case_{kind}_{os.getpid()}"


@pytest.fixture(scope="module")
def pg_case(pg_url: str, tmp_path_factory):
    """(Loaded, dump file) of the Postgres fixture."""
    try:
        dumps.pg_tool("psql"), dumps.pg_tool("pg_dump")
    except dumps.ToolMissing as exc:  # pragma: no cover - only without the Debian packages
        pytest.skip(str(exc))
    name = _database_name("pg")
    loaded = dumps.postgres_every_case(pg_url, name)
    path = tmp_path_factory.mktemp("dumps") / "every_case.pg_dump.sql"
    path.write_text(loaded.dump, encoding="utf-8")
    try:
        yield loaded, path
    finally:
        dumps.drop_postgres(pg_url, name)


@pytest.fixture(scope="module")
def my_case(mysql_url: str, tmp_path_factory):
    """(Loaded, dump file) of the MariaDB fixture."""
    try:
        dumps.mariadb_tool("mariadb", "mysql"), dumps.mariadb_tool("mysqldump", "mariadb-dump")
    except dumps.ToolMissing as exc:  # pragma: no cover - only without the Debian packages
        pytest.skip(str(exc))
    name = _database_name("my")
    loaded = dumps.mariadb_every_case(mysql_url, name)
    path = tmp_path_factory.mktemp("dumps") / "every_case.mysqldump.sql"
    path.write_text(loaded.dump, encoding="utf-8")
    try:
        yield loaded, path
    finally:
        dumps.drop_mariadb(mysql_url, name)


# --- helpers ----------------------------------------------------------------------------------


def _runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # pragma: no cover - old click
    return CliRunner()


def _plan(*args: str | Path, as_json: bool = True):
    argv = ["plan", *(str(a) for a in args), *(["--json"] if as_json else [])]
    result = _runner().invoke(main, argv, env=ENV)
    assert result.exit_code == 0, (
        f"streamleap {' '.join(argv)} -> exit {result.exit_code}\nstderr: {result.stderr[-3000:]}\n"
        f"stdout: {result.stdout[-3000:]}"
    )
    return result


def plan_json(*args: str | Path) -> dict:
    result = _plan(*args)
    document = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert set(document) >= {"tables", "refused"}, sorted(document)
    return document


def _dump_plan(case, dialect: str) -> dict:
    _loaded, path = case
    return plan_json("--ddl", path, "--dialect", dialect)


def _live_plan(case) -> dict:
    loaded, _path = case
    return plan_json("--source-url", loaded.url)


def _by_name(document: dict) -> tuple[dict, dict]:
    """({(schema, name): table}, {(schema, name): reason}); partitions compared as sets."""
    tables: dict = {}
    for table in document["tables"]:
        key = (table["schema"], table["name"])
        assert key not in tables, f"{key} listed twice"
        entry = dict(table)
        entry["partitions"] = sorted((p["schema"], p["name"]) for p in table.get("partitions", []))
        entry["left_out"] = [(c["name"], c["reason"]) for c in table.get("left_out", [])]
        tables[key] = entry
    refused: dict = {}
    for r in document["refused"]:
        key = (r["schema"], r["name"])
        assert key not in refused and key not in tables, f"{key} listed twice"
        refused[key] = r["reason"]
    return tables, refused


def _assert_same_plan(from_dump: dict, live: dict) -> None:
    dump_tables, dump_refused = _by_name(from_dump)
    live_tables, live_refused = _by_name(live)
    assert sorted(dump_tables) == sorted(live_tables), "mirrored tables differ"
    assert dump_refused == live_refused, "refused tables differ"
    for key, live_table in live_tables.items():
        dump_table = dump_tables[key]
        # column by column first, so a failure names the column
        dump_cols = [c["name"] for c in dump_table["columns"]]
        live_cols = [c["name"] for c in live_table["columns"]]
        assert dump_cols == live_cols, f"{key}: columns differ (or their order)"
        for dump_col, live_col in zip(dump_table["columns"], live_table["columns"], strict=True):
            assert dump_col == live_col, f"{key}: column {live_col['name']!r} differs"
        for field in ("primary_key", "left_out", "partitions", "model"):
            assert dump_table[field] == live_table[field], f"{key}: {field} differs"
        assert dump_table == live_table, f"{key} differs"


def _columns(table: dict) -> dict[str, dict]:
    return {c["name"]: c for c in table["columns"]}


# --- (a) load and dump ------------------------------------------------------------------------

PG_DUMP_HOLDS = [
    r"CREATE FUNCTION public\.touch_updated_at\(\) RETURNS trigger",
    r"AS \$\$\nBEGIN",                                   # a dollar-quoted plpgsql body
    r"AS \$_\$",                                         # a tagged one (the body holds $$)
    r"CREATE FUNCTION public\.add_atomic\(a integer, b integer\) RETURNS integer[\s\S]*?BEGIN ATOMIC",
    r"CREATE PROCEDURE app\.archive_orders\(IN cutoff date\)[\s\S]*?BEGIN ATOMIC",
    r"CREATE AGGREGATE public\.textcat_all",
    r"CREATE TRIGGER customers_touch BEFORE UPDATE ON app\.customers",
    r"CREATE EVENT TRIGGER every_case_log_ddl",
    r"CREATE RULE event_log_no_delete",
    r"CREATE VIEW app\.customer_orders AS",
    r"CREATE MATERIALIZED VIEW public\.order_totals AS",
    r"CREATE DOMAIN public\.small_posint AS public\.posint",          # nested
    r"CREATE DOMAIN public\.required_text AS text NOT NULL",          # NOT NULL
    r"CREATE DOMAIN public\.email AS character varying\(254\)",       # over varchar(n)
    r"CREATE TYPE public\.mood AS ENUM",
    r"CREATE TYPE ext\.cube AS \(",                                    # composite, extension-like
    r"CREATE TYPE public\.floatrange AS RANGE",
    r"CREATE SEQUENCE public\.invoice_no_seq",
    r"PARTITION BY RANGE \(logged_at\)",
    r"PARTITION BY LIST \(region\)",
    r"PARTITION BY HASH \(session_id\)",
    r"CREATE TABLE public\.events_2024 \([\s\S]*?\)\nPARTITION BY LIST \(kind\)",   # sub-partitioned
    r"ALTER TABLE ONLY public\.measurements ATTACH PARTITION public\.measurements_2025 FOR VALUES",
    r"ATTACH PARTITION public\.measurements_default DEFAULT",
    r'ALTER TABLE ONLY app\.regional_sales ATTACH PARTITION "Sales"\.regional_sales_us',
    r"\)\nINHERITS \(public\.vehicles\)",
    r"GENERATED ALWAYS AS \(.*\) STORED",
    r"ADD GENERATED ALWAYS AS IDENTITY",
    r"ADD GENERATED BY DEFAULT AS IDENTITY",
    r"CREATE TABLE public\.addresses OF app\.address",
    r"CREATE UNLOGGED TABLE public\.cache_entries",
    r'CREATE TABLE "Sales"\."Order Line"',
    r'CREATE TABLE "select"\."table"',
    r'CREATE TABLE public\."Ünïcödé Tàblé"',
    r'"we""ird" numeric\(12,2\)',
    r'"emoji 🎉" text',
    r"bit varying\(16\)",
    r"numeric\(5,-2\)",
    r"money",
    r"interval day to second\(3\)",
    r"time\(2\) with time zone",
    r"timestamp\(3\) with time zone",
    r"public\.ltree\[\]",
    r'COLLATE pg_catalog\."C"',
    r"COLLATE public\.c_copy",
    r"CHECK \(\(VALUE > 0\)\)",
    r"CONSTRAINT name_not_blank CHECK",
    r"COMMENT ON TABLE app\.customers IS",
    r"COMMENT ON COLUMN app\.customers\.email IS",
    r"GRANT SELECT ON TABLE app\.customers TO every_case_reader",
    r"CREATE INDEX orders_open_idx ON app\.orders USING btree \(customer_id\) WHERE",   # partial
    r"CREATE INDEX customers_lower_email_idx ON app\.customers USING btree \(lower",   # expression
    r"ON UPDATE CASCADE ON DELETE RESTRICT",
    r"DEFERRABLE INITIALLY DEFERRED",
    r"CREATE POLICY orders_reader",
    r"CREATE STATISTICS app\.orders_stats",
    r"ALTER TABLE ONLY public\.late_key\s+ADD CONSTRAINT late_key_pk PRIMARY KEY \(b, a\)",
]

MY_DUMP_HOLDS = [
    r"/\*!40101 SET NAMES utf8mb4 \*/;",                    # versioned comments
    r"CREATE DATABASE /\*!32312 IF NOT EXISTS\*/ `every_case_my_\d+`",
    r"\nUSE `every_case_my_\d+`;",
    r"DELIMITER ;;",
    r"CREATE DEFINER=`[^`]+`@`[^`]+` PROCEDURE `archive_orders`\(IN cutoff date\)",
    r"CREATE DEFINER=`[^`]+`@`[^`]+` FUNCTION `slugify`",
    r"FUNCTION `add_one`\(x int\) RETURNS int\(11\)",
    r"/\*!50003 CREATE\*/ /\*!50017 DEFINER=`[^`]+`@`[^`]+`\*/ /\*!50003 TRIGGER customers_bi",
    r"/\*!50106 CREATE\*/ .*EVENT `purge_event_log`",
    r"/\*!50001 CREATE VIEW `Big Orders` AS SELECT",       # the stand-in
    r"/\*!50001 VIEW `customer_orders` AS select",
    r"CREATE SEQUENCE `invoice_no_seq`",
    r"PARTITION BY RANGE \(year\(`logged_at`\)\)",
    r"SUBPARTITION BY HASH",
    r"PARTITION BY LIST\s+COLUMNS\(`region`\)",
    r"PARTITION BY HASH \(`session_id`\)",
    r"PARTITION BY KEY \(\)",
    r"`full_name` varchar\(201\) GENERATED ALWAYS AS \(.*\) VIRTUAL",
    r"`email_domain` varchar\(254\) GENERATED ALWAYS AS \(.*\) STORED",
    r"WITH SYSTEM VERSIONING",
    r"`secret` varchar\(20\) INVISIBLE",
    r"`tiz` tinyint\(3\) unsigned zerofill",
    r"`bi20` bigint\(20\) unsigned zerofill",
    r"`flag` tinyint\(1\)",
    r"`f74` float\(7,4\)",
    r"`d65` decimal\(65,30\)",
    r"`bit64` bit\(64\)",
    r"`y4` year\(4\)",
    r"`e_quote` enum\('it''s','a,b','\(paren\)'\)",
    r"`s` set\('red','green','blue'\)",
    r"`j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK \(json_valid\(`j`\)\)",
    r"`tb` tinyblob", r"`mb` mediumblob", r"`lb` longblob", r"`tt` tinytext", r"`lt` longtext",
    r"`id` uuid NOT NULL", r"`ip4` inet4", r"`ip6` inet6",
    r"`g` geometry NOT NULL", r"`gc` geometrycollection",
    r"`ts` timestamp NOT NULL DEFAULT current_timestamp\(\) ON UPDATE current_timestamp\(\)",
    r"`we``ird` decimal\(12,2\)",
    r"CREATE TABLE `Ünïcödé Tàblé`",
    r"COMMENT='who buys; ''quotes'' and semicolons'",
    r"COMMENT 'the order; its id'",
    r"ON DELETE CASCADE ON UPDATE CASCADE",
    r"CONSTRAINT `country_upper` CHECK",
    r"FULLTEXT KEY `t_fulltext`", r"SPATIAL KEY `g_spatial`", r"KEY `vc_prefix` \(`vc`\(20\)\)",
    r"ENGINE=MyISAM", r"ENGINE=Aria", r"ENGINE=MEMORY",
]


@pytest.mark.postgres
def test_postgres_fixture_loads_and_dumps(pg_case) -> None:
    loaded, path = pg_case
    assert loaded.tool.startswith("pg_dump (PostgreSQL)")
    missing = [p for p in PG_DUMP_HOLDS if not re.search(p, loaded.dump)]
    assert not missing, f"the pg_dump output lacks: {missing}"
    # the catalog holds the tables, partitions and other relations by design
    import psycopg2

    with psycopg2.connect(loaded.url) as conn, conn.cursor() as cur:
        cur.execute("""
            SELECT n.nspname, c.relname, c.relkind, c.relispartition FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'""")
        rows = cur.fetchall()
    tables = {(s, n) for s, n, kind, part in rows if kind in "rp" and not part}
    partitions = {(s, n) for s, n, kind, part in rows if part}
    assert tables == set(PG_TABLES)
    assert partitions == set().union(*PG_PARTITIONS.values()) | {("public", "sessions_p0"), ("public", "sessions_p1")}
    others = {(s, n) for s, n, kind, _ in rows if kind in "vmS"}
    assert PG_NOT_TABLES - partitions <= others  # and the sequences of serial and identity columns
    assert path.read_text(encoding="utf-8") == loaded.dump


@pytest.mark.mariadb
def test_mariadb_fixture_loads_and_dumps(my_case) -> None:
    loaded, path = my_case
    assert "MariaDB" in loaded.tool or "MySQL" in loaded.tool
    missing = [p for p in MY_DUMP_HOLDS if not re.search(p, loaded.dump)]
    assert not missing, f"the mysqldump output lacks: {missing}"
    import pymysql
    from urllib.parse import urlsplit

    parts = urlsplit(loaded.url)
    conn = pymysql.connect(host=parts.hostname, port=parts.port, user=parts.username or "root",
                           password=parts.password or "", charset="utf8mb4")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                        (loaded.database,))
            rows = cur.fetchall()
    finally:
        conn.close()
    assert {n for n, kind in rows if kind in ("BASE TABLE", "SYSTEM VERSIONED")} == set(MY_TABLES)
    assert {n for n, kind in rows if kind not in ("BASE TABLE", "SYSTEM VERSIONED")} == MY_NOT_TABLES
    assert path.read_text(encoding="utf-8") == loaded.dump


# --- (b) parity: the dump reads like the live database ----------------------------------------


@pytest.mark.postgres
def test_postgres_dump_plans_like_the_live_database(pg_case) -> None:
    _assert_same_plan(_dump_plan(pg_case, "postgres"), _live_plan(pg_case))


@pytest.mark.mariadb
def test_mariadb_dump_plans_like_the_live_database(my_case) -> None:
    _assert_same_plan(_dump_plan(my_case, "mysql"), _live_plan(my_case))


# --- (c) every ordinary table is listed; skipped statements are counted -----------------------


def _summary_skipped(result) -> int:
    """The number of skipped statements the (non-JSON) plan's summary line reports."""
    text = result.stdout + "\n" + result.stderr
    for line in reversed(text.splitlines()):
        if "skipped" in line.lower():
            found = re.search(r"(\d[\d,]*)\s+(?:[\w-]+\s+){0,3}skipped", line, re.IGNORECASE) or re.search(
                r"skipped\D{0,40}?(\d[\d,]*)", line, re.IGNORECASE)
            if found:
                return int(found.group(1).replace(",", ""))
    raise AssertionError(f"no summary line counting skipped statements in:\n{text[-3000:]}")


def _assert_lists_every_table(document: dict, expected: dict) -> None:
    tables, refused = _by_name(document)
    listed = set(tables) | set(refused)
    assert listed == set(expected), (
        f"missing: {sorted(set(expected) - listed)}; not tables: {sorted(listed - set(expected))}"
    )
    wrongly_refused = {k: r for k, r in refused.items() if not r.startswith(NO_KEY)}
    assert not wrongly_refused, f"refused for something else than a missing key: {wrongly_refused}"
    assert set(refused) == {k for k, key in expected.items() if key is None}
    for key, table in tables.items():
        assert tuple(table["primary_key"]) == expected[key], key


@pytest.mark.postgres
def test_postgres_dump_lists_every_table(pg_case) -> None:
    _loaded, path = pg_case
    _assert_lists_every_table(plan_json("--ddl", path, "--dialect", "postgres"), PG_TABLES)
    assert _summary_skipped(_plan("--ddl", path, "--dialect", "postgres", as_json=False)) > 0


@pytest.mark.mariadb
def test_mariadb_dump_lists_every_table(my_case) -> None:
    loaded, path = my_case
    expected = {(loaded.database, name): key for name, key in MY_TABLES.items()}
    _assert_lists_every_table(plan_json("--ddl", path, "--dialect", "mysql"), expected)
    assert _summary_skipped(_plan("--ddl", path, "--dialect", "mysql", as_json=False)) > 0


# --- (d) the contract for the hard cases, from the dump and from the live database ------------


@pytest.mark.postgres
@pytest.mark.parametrize("source", ["dump", "live"])
def test_postgres_contract(source: str, pg_case) -> None:
    pg_plan = _dump_plan(pg_case, "postgres") if source == "dump" else _live_plan(pg_case)
    tables, refused = _by_name(pg_plan)
    _assert_lists_every_table(pg_plan, PG_TABLES)
    for name in PG_NOT_TABLES | set().union(*PG_PARTITIONS.values()):
        assert name not in tables and name not in refused, f"{name} is not a table"
    # partitioned roots: once, with every partition below them, at every level
    for root, partitions in PG_PARTITIONS.items():
        assert set(tables[root]["partitions"]) == partitions, root
    # inheritance children are tables, with the parent's columns first
    assert [c["name"] for c in tables[("public", "cars")]["columns"]] == ["id", "make", "wheels", "doors"]
    assert _columns(tables[("public", "cars")])["make"]["nullable"] is False
    # typed table: the composite type's columns
    assert [c["name"] for c in tables[("public", "addresses")]["columns"]] == ["street", "city", "zip"]
    assert _columns(tables[("public", "addresses")])["city"]["nullable"] is False
    # dropped columns stay dropped, added ones come last
    assert [c["name"] for c in tables[("public", "with_dropped")]["columns"]] == ["id", "kept", "added_later"]
    # generated columns are left out; identity columns are ordinary NOT NULL columns
    customers = tables[("app", "customers")]
    assert [n for n, _ in customers["left_out"]] == ["full_name"]
    assert "full_name" not in _columns(customers)
    assert _columns(customers)["id"]["source_type"] == "integer"
    orders = tables[("app", "orders")]
    assert [n for n, _ in orders["left_out"]] == ["total_with_tax"]
    assert _columns(orders)["id"]["nullable"] is False
    # domains resolve to their base type (nested ones too); a NOT NULL domain makes it NOT NULL
    domains = _columns(tables[("public", "type_domains")])
    assert domains["id"]["source_type"] == "integer"
    assert domains["qty"]["source_type"] == "integer"
    assert domains["mail"]["source_type"] == "character varying(254)"
    assert domains["label"]["source_type"] == "text" and domains["label"]["nullable"] is False
    assert domains["price"]["source_type"] == "numeric(12,2)"
    assert domains["price"]["redshift_type"] == "DECIMAL(12,2)"
    assert domains["labels"]["source_type"] == "text[]"
    assert _columns(customers)["email"]["source_type"] == "character varying(254)"
    # extension-like and other unknown types: their text in VARCHAR(65535), with a note
    user_defined = _columns(tables[("public", "type_user_defined")])
    for name in ("addr", "c", "e", "lt", "fr"):  # (hs, named hstore, maps by its name to SUPER)
        assert user_defined[name]["redshift_type"] == "VARCHAR(65535)", name
        assert user_defined[name].get("note"), name
    # names exactly as in the source
    assert [c["name"] for c in tables[("Sales", "Order Line")]["columns"]][:5] == [
        "OrderID", "Line", "select", "from", 'we"ird']
    assert "emoji 🎉" in _columns(tables[("public", "Ünïcödé Tàblé")])


@pytest.mark.mariadb
@pytest.mark.parametrize("source", ["dump", "live"])
def test_mariadb_contract(source: str, my_case) -> None:
    my_plan = _dump_plan(my_case, "mysql") if source == "dump" else _live_plan(my_case)
    loaded, _path = my_case
    db = loaded.database
    tables, refused = _by_name(my_plan)
    _assert_lists_every_table(my_plan, {(db, n): k for n, k in MY_TABLES.items()})
    for name in MY_NOT_TABLES:
        assert (db, name) not in tables and (db, name) not in refused, f"{name} is not a table"
    # VIRTUAL generated columns are left out; STORED / PERSISTENT ones are mirrored
    customers = tables[(db, "customers")]
    assert [n for n, _ in customers["left_out"]] == ["full_name"]
    assert {"email_domain", "name_len"} <= set(_columns(customers))
    assert [n for n, _ in tables[(db, "orders")]["left_out"]] == ["total_with_tax"]
    # MariaDB's json is longtext with a json_valid check
    assert _columns(tables[(db, "type_string")])["j"]["source_type"] == "json"
    # partitioned tables are one table each
    assert tables[(db, "events")]["columns"][0]["name"] == "id"
    # column order after ALTER TABLE ... ADD COLUMN ... AFTER, and the invisible column
    assert [c["name"] for c in tables[(db, "late_key")]["columns"]] == ["a", "added_later", "b", "secret", "c"]
    assert [c["name"] for c in tables[(db, "Order Line")]["columns"]][:5] == ["OrderID", "Line", "select", "from", "we`ird"]
