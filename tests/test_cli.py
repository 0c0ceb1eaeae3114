"""The command line as a user meets it: `streamleap plan / init / generate / demo`.

Everything goes through click's CliRunner (stdout and stderr apart, a fixed terminal width);
the schema-evolution test then runs dbt on what `generate` wrote, like a user would.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import re
import subprocess
import sys
import traceback
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from streamleap import __version__
from streamleap.cli import main
from streamleap.records import ChangeRecord
from streamleap.errors import StreamleapError
from streamleap.project.paths import dbt_package_dir
from tests.harness import STREAM, StreamWriter, Target, dbt
from tests.servers import free_port

ENV = {"COLUMNS": "120", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}

PG_DDL = """
-- the shop's tables, as pg_dump might write them
CREATE TABLE public.cart (
  id bigint PRIMARY KEY,
  "Status" VARCHAR(10) NOT NULL,
  "select" text,
  "we""ird" numeric(12,2),
  "ünïcode ключ" timestamp with time zone,
  updated_at timestamp(3),
  "a[b]" integer
);
CREATE TABLE public.cart_item (
  cart_id bigint NOT NULL,
  line_no int NOT NULL,
  sku text,
  qty smallint,
  PRIMARY KEY (cart_id, line_no)
);
CREATE TABLE public.audit (id int PRIMARY KEY, what text);
"""

CART_COLUMNS = [
    {"name": "id", "source_type": "bigint", "redshift_type": "BIGINT", "nullable": False},
    {"name": "Status", "source_type": "varchar(10)", "redshift_type": "VARCHAR(40)", "nullable": False},
    {"name": "select", "source_type": "text", "redshift_type": "VARCHAR(65535)", "nullable": True},
    {"name": 'we"ird', "source_type": "numeric(12,2)", "redshift_type": "DECIMAL(12,2)", "nullable": True},
    {"name": "ünïcode ключ", "source_type": "timestamp with time zone", "redshift_type": "TIMESTAMPTZ", "nullable": True},
    {"name": "updated_at", "source_type": "timestamp(3)", "redshift_type": "TIMESTAMP", "nullable": True},
    {"name": "a[b]", "source_type": "integer", "redshift_type": "INTEGER", "nullable": True},
]
CART_ITEM_COLUMNS = [
    {"name": "cart_id", "source_type": "bigint", "redshift_type": "BIGINT", "nullable": False},
    {"name": "line_no", "source_type": "int", "redshift_type": "INTEGER", "nullable": False},
    {"name": "sku", "source_type": "text", "redshift_type": "VARCHAR(65535)", "nullable": True},
    {"name": "qty", "source_type": "smallint", "redshift_type": "SMALLINT", "nullable": True},
]

MYSQL_DDL = """
CREATE TABLE `Shop`.`Order Line` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `flag` tinyint(1) DEFAULT NULL,
  `tiny` tinyint NOT NULL,
  `small` smallint unsigned,
  `med` mediumint,
  `i` int(11) NOT NULL,
  `iu` int unsigned,
  `big` bigint,
  `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `code` char(3),
  `huge` decimal(65,2),
  `price` decimal(10,2),
  `f` float,
  `d` double,
  `doc` json,
  `bin` blob,
  `vb` varbinary(16),
  `txt` text,
  `state` enum('new','paid','it''s') NOT NULL,
  `created` datetime(6),
  `ts` timestamp NULL,
  `day` date,
  `y` year,
  `Mixed Case` int,
  `ключ` int,
  `select` int,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
"""

# (name, source type as written, Redshift type, nullable)
MYSQL_COLUMNS = [
    ("id", "bigint unsigned", "DECIMAL(20,0)", False),
    ("flag", "tinyint(1)", "BOOLEAN", True),
    ("tiny", "tinyint", "SMALLINT", False),
    ("small", "smallint unsigned", "INTEGER", True),
    ("med", "mediumint", "INTEGER", True),
    ("i", "int(11)", "INTEGER", False),
    ("iu", "int unsigned", "BIGINT", True),
    ("big", "bigint", "BIGINT", True),
    ("name", "varchar(255)", "VARCHAR(1020)", False),
    ("code", "char(3)", "VARCHAR(12)", True),
    ("huge", "decimal(65,2)", "VARCHAR(67)", True),
    ("price", "decimal(10,2)", "DECIMAL(10,2)", True),
    ("f", "float", "REAL", True),
    ("d", "double", "DOUBLE PRECISION", True),
    ("doc", "json", "SUPER", True),
    ("bin", "blob", "VARBYTE(65535)", True),
    ("vb", "varbinary(16)", "VARBYTE(16)", True),
    ("txt", "text", "VARCHAR(65535)", True),
    ("state", "enum('new','paid','it''s')", "VARCHAR(16)", False),
    ("created", "datetime(6)", "TIMESTAMP", True),
    ("ts", "timestamp", "TIMESTAMP", True),
    ("day", "date", "DATE", True),
    ("y", "year", "SMALLINT", True),
    ("Mixed Case", "int", "INTEGER", True),
    ("ключ", "int", "INTEGER", True),
    ("select", "int", "INTEGER", True),
]


# ---------------------------------------------------------------- helpers
def _runner() -> CliRunner:
    # click < 8.2 mixes stderr into stdout unless told not to; 8.2+ always keeps them apart
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # pragma: no cover - old click
    return CliRunner()


def cli(*args: str | Path, ok: bool = True, catch: bool = True):
    result = _runner().invoke(main, [str(a) for a in args], env=ENV, catch_exceptions=catch)
    if ok:
        assert result.exit_code == 0, (
            f"streamleap {' '.join(map(str, args))} -> {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}\n"
            + ("".join(traceback.format_exception(*result.exc_info)) if result.exc_info else "")
        )
    return result


def plan_json(*args: str | Path) -> dict:
    result = cli("plan", *args, "--json")
    assert result.stderr == ""
    return json.loads(result.stdout)  # exactly one JSON document: anything else fails to load


def assert_one_error_line(result, *fragments: str) -> str:
    """Exit 1, one line on stderr starting with Error:, no traceback anywhere."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("Error: "), line
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def essentials(doc: dict) -> list[dict]:
    """What must agree between DDL and a live database (source_type spelling may differ)."""
    return [
        {
            "schema": t["schema"],
            "name": t["name"],
            "primary_key": t["primary_key"],
            "model": t["model"],
            "columns": [(c["name"], c["redshift_type"], c["nullable"]) for c in t["columns"]],
        }
        for t in doc["tables"]
    ]


@pytest.fixture
def pg_ddl(tmp_path) -> Path:
    return write(tmp_path / "schema.sql", PG_DDL)


# ---------------------------------------------------------------- plan
def test_plan_json_postgres_names_and_types_as_in_the_source(pg_ddl):
    doc = plan_json("--ddl", pg_ddl, "--dialect", "postgres")
    assert list(doc) == ["tables", "refused"] and doc["refused"] == []
    assert [(t["schema"], t["name"]) for t in doc["tables"]] == [("public", "cart"), ("public", "cart_item"), ("public", "audit")]
    cart, item, _ = doc["tables"]
    assert cart["primary_key"] == ["id"] and item["primary_key"] == ["cart_id", "line_no"]
    assert cart["model"] == "cart" and item["model"] == "cart_item"
    for table, expected in ((cart, CART_COLUMNS), (item, CART_ITEM_COLUMNS)):
        assert set(table) >= {"schema", "name", "primary_key", "columns"}
        assert [{k: c[k] for k in ("name", "source_type", "redshift_type", "nullable")} for c in table["columns"]] == expected
        assert all(set(c) <= {"name", "source_type", "redshift_type", "nullable", "note"} for c in table["columns"])


def test_plan_json_mysql_every_common_type(tmp_path):
    doc = plan_json("--ddl", write(tmp_path / "shop.sql", MYSQL_DDL), "--dialect", "mysql")
    [table] = doc["tables"]
    assert (table["schema"], table["name"], table["primary_key"]) == ("Shop", "Order Line", ["id"])
    assert table["model"] == "Order_Line"  # a plain dbt model name for a table name with a space
    got = [(c["name"], c["source_type"], c["redshift_type"], c["nullable"]) for c in table["columns"]]
    assert got == MYSQL_COLUMNS


def test_plan_tables_selects_and_orders(pg_ddl):
    doc = plan_json("--ddl", pg_ddl, "--dialect", "postgres", "--tables", "public.cart_item, cart")
    assert [t["name"] for t in doc["tables"]] == ["cart_item", "cart"]
    doc = plan_json("--ddl", pg_ddl, "--dialect", "postgres", "--tables", "cart,public.cart_item")
    assert [t["name"] for t in doc["tables"]] == ["cart", "cart_item"]
    # ignoring case when that picks one table; a name given twice counts once
    doc = plan_json("--ddl", pg_ddl, "--dialect", "postgres", "--tables", "AUDIT,audit")
    assert [t["name"] for t in doc["tables"]] == ["audit"]


def test_plan_table_output_names_every_table_and_column(pg_ddl):
    result = cli("plan", "--ddl", pg_ddl, "--dialect", "postgres")
    assert result.stderr == ""
    out = result.stdout
    for name in ("public.cart ", "public.cart_item ", "public.audit "):
        assert name in out
    assert "(key: cart_id, line_no)" in out
    # names with [brackets] are shown as they are, not read as console markup
    for text in ("Status", "select", 'we"ird', "ünïcode ключ", "a[b]", "VARCHAR(40)", "DECIMAL(12,2)"):
        assert text in out, text
    assert all(len(line) <= 120 for line in out.splitlines())


def test_plan_table_output_with_markup_like_names(tmp_path):
    ddl = write(tmp_path / "odd.sql", 'CREATE TABLE "[bold]t" (id int PRIMARY KEY, "x[/y]" text, "[red]z" int);\n')
    out = cli("plan", "--ddl", ddl, "--dialect", "postgres").stdout
    for text in ("[bold]t", "x[/y]", "[red]z"):
        assert text in out, out


def test_plan_key_for_a_table_without_primary_key(tmp_path):
    ddl = write(tmp_path / "nokey.sql", "CREATE TABLE cart (id int NOT NULL, note text);\n")
    # plan shows the table refused, with the reason and the fix, and exits 0
    doc = plan_json("--ddl", ddl, "--dialect", "postgres")
    assert doc["tables"] == [] and [(r["name"], r["schema"]) for r in doc["refused"]] == [("cart", "public")]
    assert "no primary key" in doc["refused"][0]["reason"] and "--key cart=" in doc["refused"][0]["reason"]
    # generate builds nothing and names it
    (tmp_path / "p").mkdir()
    write(tmp_path / "p" / "dbt_project.yml", "name: p\n")
    line = assert_one_error_line(cli("generate", "--project-dir", str(tmp_path / "p"), "--stream", "s", "--ddl", ddl,
                                     "--dialect", "postgres", ok=False), "cart", "primary key", "--key cart=")
    assert "--exclude-tables" in line
    doc = plan_json("--ddl", ddl, "--dialect", "postgres", "--key", "cart=id")
    assert doc["tables"][0]["primary_key"] == ["id"]
    # a key column is never nullable in the mirror
    ddl2 = write(tmp_path / "nokey2.sql", "CREATE TABLE cart (a int, b int, note text);\n")
    doc = plan_json("--ddl", ddl2, "--dialect", "postgres", "--key", "cart=b, a")
    assert doc["tables"][0]["primary_key"] == ["b", "a"]
    assert [c["nullable"] for c in doc["tables"][0]["columns"]] == [False, False, True]


# ---------------------------------------------------------------- errors
ERROR_CASES = {
    # name: (files {name: text}, args, fragments the one line must hold)
    "missing-key-column": ({"s.sql": "CREATE TABLE cart (id int, note text);", "p/dbt_project.yml": "name: p\n"},
                           ["generate", "--project-dir", "{dir}/p", "--stream", "s", "--ddl", "{s.sql}", "--dialect", "postgres",
                            "--key", "cart=nope"],
                           ["cart", "'nope'", "id, note"]),
    "exclude-columns-typo": ({"s.sql": "CREATE TABLE cart (id int PRIMARY KEY, email text);"},
                             ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--exclude-columns", "cart.emial"],
                             ["--exclude-columns", "cart.emial", "no selected table"]),
    "exclude-tables-typo": ({"s.sql": "CREATE TABLE cart (id int PRIMARY KEY, email text);"},
                            ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--exclude-tables", "crt*"],
                            ["--exclude-tables", "'crt*'", "matches no table"]),
    "malformed-key": ({"s.sql": "CREATE TABLE cart (id int, note text);"},
                      ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--key", "cart"],
                      ["--key", "TABLE=COLUMN"]),
    "unreadable-table": ({"s.sql": "CREATE TABLE t (\n  id int PRIMARY KEY,\n  x int\n  y text);\n", "p/dbt_project.yml": "name: p\n"},
                         ["generate", "--project-dir", "{dir}/p", "--stream", "s", "--ddl", "{s.sql}", "--dialect", "postgres"],
                         ["line 3", "column x", "'int y text'", "missing comma"]),
    "unterminated": ({"s.sql": "CREATE TABLE t (id int PRIMARY KEY, \"x int);\n"},
                     ["plan", "--ddl", "{s.sql}", "--dialect", "postgres"],
                     ["{s.sql}", "line 1"]),
    "no-create-table": ({"s.sql": "CREATE INDEX i ON t (x);\nINSERT INTO t VALUES (1);\n"},
                        ["plan", "--ddl", "{s.sql}", "--dialect", "mysql"],
                        ["{s.sql}", "no CREATE TABLE"]),
    "empty-file": ({"s.sql": ""}, ["plan", "--ddl", "{s.sql}", "--dialect", "mysql"], ["{s.sql}", "no CREATE TABLE"]),
    "unknown-table": ({"s.sql": PG_DDL}, ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--tables", "cart,nope"],
                      ["'nope'", "public.cart, public.cart_item, public.audit"]),
    "missing-dialect": ({"s.sql": PG_DDL}, ["plan", "--ddl", "{s.sql}"], ["--dialect"]),
    "nonexistent-ddl": ({}, ["plan", "--ddl", "{dir}/nope.sql", "--dialect", "postgres"], ["nope.sql", "no such file"]),
    "no-source": ({}, ["plan"], ["--ddl", "--source-url"]),
    "ddl-and-url": ({"s.sql": PG_DDL},
                    ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--source-url", "postgresql://u:secret@127.0.0.1:1/db"],
                    ["--ddl", "--source-url", "not both"]),
    "bad-url-scheme": ({}, ["plan", "--source-url", "oracle://u:secret@h/db"], ["oracle:", "postgresql://"]),
    "not-utf8": ({}, ["plan", "--ddl", "{dir}/latin1.sql", "--dialect", "mysql"], ["latin1.sql", "UTF-8"]),
    "generate-not-a-project": ({"s.sql": PG_DDL},
                               ["generate", "--project-dir", "{dir}/nowhere", "--stream", "s", "--ddl", "{s.sql}", "--dialect", "postgres"],
                               ["nowhere", "dbt_project.yml", "streamleap init"]),
    "empty-tables": ({"s.sql": PG_DDL}, ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--tables", ","],
                     ["--tables ','", "names nothing"]),
    "blank-tables": ({"s.sql": PG_DDL}, ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--tables", " "],
                     ["--tables", "names nothing"]),
    "empty-exclude-tables": ({"s.sql": PG_DDL}, ["plan", "--ddl", "{s.sql}", "--dialect", "postgres", "--exclude-tables", ","],
                             ["--exclude-tables ','", "names nothing"]),
    "generate-empty-tables": ({"s.sql": PG_DDL, "p/dbt_project.yml": "name: p\n"},
                              ["generate", "--project-dir", "{dir}/p", "--stream", "s", "--ddl", "{s.sql}", "--dialect", "postgres",
                               "--tables", ","], ["--tables ','", "names nothing"]),
    "capture-empty-tables": ({}, ["capture", "--source-url", "postgresql://u:secret@127.0.0.1:1/db", "--stream", "s",
                                  "--tables", ","], ["--tables ','", "names nothing"]),
    "check-source-empty-tables": ({}, ["aws", "check-source", "--source-url", "postgresql://u:secret@127.0.0.1:1/db",
                                       "--tables", ","], ["--tables ','", "names nothing"]),
    "init-config-empty-tables": ({}, ["aws", "init-config", "--config", "{dir}/c.yml", "--tables", " , "],
                                 ["--tables ' , '", "names nothing"]),
    "mysql-without-database": ({"s.sql": "CREATE TABLE wide (id int PRIMARY KEY);\nCREATE TABLE shop.t (id int PRIMARY KEY);"},
                               ["plan", "--ddl", "{s.sql}", "--dialect", "mysql"],
                               ["{s.sql}", "no database for table(s) wide", "--source-schema", "USE"]),
    "source-schema-with-url": ({}, ["plan", "--source-url", "postgresql://u:secret@127.0.0.1:1/db", "--source-schema", "x"],
                               ["--source-schema", "--ddl", "?schema="]),
    "init-cannot-create": ({}, ["init", "/proc/nope/project", "--no-deps"],
                           ["init /proc/nope/project", "cannot write there", "No such file or directory", "give a directory"]),
    "generate-unwritable": ({"s.sql": PG_DDL, "p/dbt_project.yml": "name: p\n", "p/models": "a file, not a folder"},
                            ["generate", "--project-dir", "{dir}/p", "--stream", "s", "--ddl", "{s.sql}", "--dialect", "postgres"],
                            ["--project-dir", "cannot write there"]),
    "ddl-unreadable": ({}, ["plan", "--ddl", "/proc/self/mem", "--dialect", "postgres"],
                       ["--ddl /proc/self/mem", "cannot read it"]),
    "kinesis-endpoint-not-a-url": ({}, ["run", "--kinesis-endpoint", "not a url", "--cycles", "1"],
                                   ["--kinesis-endpoint 'not a url'", "http://HOST:PORT", "http://127.0.0.1:4567"]),
    "kinesis-endpoint-bad-port": ({}, ["capture", "--source-url", "postgresql://u:secret@127.0.0.1:1/db", "--stream", "s",
                                       "--kinesis-endpoint", "http://127.0.0.1:port"],
                                  ["--kinesis-endpoint", "port is not a number", "http://127.0.0.1:4567"]),
    "kinesis-endpoint-ftp": ({}, ["run", "--kinesis-endpoint", "ftp://127.0.0.1:4567"],
                             ["--kinesis-endpoint 'ftp://127.0.0.1:4567'", "http(s)"]),
    "generate-bad-stream": ({"s.sql": PG_DDL, "p/dbt_project.yml": "name: p\n"},
                            ["generate", "--project-dir", "{dir}/p", "--stream", "bad stream!", "--ddl", "{s.sql}",
                             "--dialect", "postgres"],
                            ["--stream", "'bad stream!'"]),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_are_one_line_and_exit_1(case, tmp_path):
    files, args, fragments = ERROR_CASES[case]
    subst = {"dir": str(tmp_path)}
    for name, text in files.items():
        subst[name] = str(write(tmp_path / name, text))
    if case == "not-utf8":
        (tmp_path / "latin1.sql").write_bytes("CREATE TABLE t (id int PRIMARY KEY, caf\xe9 int);".encode("latin-1"))

    def fill(s: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: subst[m[1]], s)

    line = assert_one_error_line(cli(*map(fill, args), ok=False), *map(fill, fragments))
    assert "secret" not in line and "Traceback" not in line and not re.search(r"\b[A-Z][a-z]+Error:", line), line


def test_unreachable_database_hides_the_password():
    url = f"postgresql://u:secret@127.0.0.1:{free_port()}/db"
    line = assert_one_error_line(cli("plan", "--source-url", url, ok=False), "cannot connect", "127.0.0.1")
    assert "secret" not in line and "u:***@" in line
    url = f"mysql://u:s3cr%40t@127.0.0.1:{free_port()}/db"
    line = assert_one_error_line(cli("plan", "--source-url", url, ok=False), "cannot connect")
    assert "s3cr" not in line


def test_debug_shows_the_traceback(tmp_path):
    ddl = write(tmp_path / "nokey.sql", "CREATE TABLE cart (id int);\n")
    result = cli("--debug", "plan", "--ddl", ddl, "--dialect", "postgres", "--exclude-columns", "cart.nope", ok=False)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr and "StreamleapError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: --exclude-columns cart.nope")
    # as a user sees it, in a real process
    proc = subprocess.run([sys.executable, "-m", "streamleap", "--debug", "plan", "--ddl", str(ddl), "--dialect", "postgres",
                           "--exclude-columns", "cart.nope"],
                          capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr and "StreamleapError" in proc.stderr
    # and without --debug: the one line only
    proc = subprocess.run([sys.executable, "-m", "streamleap", "plan", "--ddl", str(ddl), "--dialect", "postgres",
                           "--exclude-columns", "cart.nope"],
                          capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("Error: --exclude-columns cart.nope") and len(proc.stderr.splitlines()) == 1


def test_usage_errors_exit_2_without_traceback(tmp_path):
    for args in (["plan", "--dialect", "oracle"], ["plan", "--nope"], ["generate", "--ddl", "x"], ["init"],
                 ["plan", "--ddl", str(tmp_path), "--dialect", "postgres"]):
        result = cli(*args, ok=False)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.stderr and "Error" in result.stderr


# ---------------------------------------------------------------- live sources
PG_LIVE_DDL = """
CREATE TABLE {s}.cart (
  id bigint PRIMARY KEY,
  "Status" varchar(10) NOT NULL,
  "select" text,
  "we""ird" numeric(12,2),
  "ünïcode ключ" timestamptz,
  updated_at timestamp(3),
  flag boolean,
  doc jsonb,
  raw bytea,
  u uuid,
  tags text[]
);
CREATE TABLE {s}."Cart Item" (
  cart_id bigint NOT NULL,
  "Line" int NOT NULL,
  sku character varying,
  qty smallint,
  CONSTRAINT pk PRIMARY KEY ("Line", cart_id)
);
"""


@pytest.mark.postgres
def test_plan_from_postgres_matches_plan_from_ddl(pg_url, tmp_path):
    import psycopg2

    schema = f"cli_{uuid.uuid4().hex[:8]}"
    ddl = PG_LIVE_DDL.format(s=schema)
    con = psycopg2.connect(pg_url)
    con.autocommit = True
    try:
        con.cursor().execute(f"CREATE SCHEMA {schema};" + ddl)
        url = f"{pg_url}{'&' if '?' in pg_url else '?'}schema={schema}"
        live = plan_json("--source-url", url)
        from_ddl = plan_json("--ddl", write(tmp_path / "pg.sql", ddl), "--dialect", "postgres")
        # the database lists tables by name; the DDL in file order
        assert [t["name"] for t in live["tables"]] == ["Cart Item", "cart"]
        live_by_name = {t["name"]: t for t in live["tables"]}
        assert essentials({"tables": [live_by_name[t["name"]] for t in from_ddl["tables"]]}) == essentials(from_ddl)
        assert live_by_name["Cart Item"]["primary_key"] == ["Line", "cart_id"]
        # --tables against a live source selects and orders too
        picked = plan_json("--source-url", url, "--tables", f"cart,{schema}.Cart Item")
        assert [t["name"] for t in picked["tables"]] == ["cart", "Cart Item"]
        assert_one_error_line(cli("plan", "--source-url", url, "--tables", "nope", ok=False), "'nope'", f"{schema}.cart")
    finally:
        con.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        con.close()


MARIADB_LIVE_DDL = MYSQL_DDL.replace("`Shop`.", "") + """
CREATE TABLE `cart` (`id` int NOT NULL, `note` varchar(20), PRIMARY KEY (`id`));
"""


@pytest.mark.mariadb
def test_plan_from_mariadb_matches_plan_from_ddl(mysql_url, tmp_path):
    import pymysql

    db = f"cli_{uuid.uuid4().hex[:8]}"
    m = re.match(r"mysql://(\w+)@([\d.]+):(\d+)/", mysql_url)
    assert m, mysql_url
    con = pymysql.connect(host=m[2], port=int(m[3]), user=m[1], charset="utf8mb4", autocommit=True)
    try:
        with con.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
            cur.execute(f"USE `{db}`")
            for stmt in MARIADB_LIVE_DDL.split(";"):
                if stmt.strip():
                    cur.execute(stmt)
        live = plan_json("--source-url", f"{mysql_url.rstrip('/')}/{db}")
        ddl_text = MARIADB_LIVE_DDL.replace("CREATE TABLE `", f"CREATE TABLE `{db}`.`")
        from_ddl = plan_json("--ddl", write(tmp_path / "m.sql", ddl_text), "--dialect", "mysql")
        live_by_name = {t["name"]: t for t in live["tables"]}  # listed by name, in the server's collation
        assert set(live_by_name) == {"Order Line", "cart"}
        assert essentials({"tables": [live_by_name[t["name"]] for t in from_ddl["tables"]]}) == essentials(from_ddl)
        # MariaDB spells some types its own way (int(11), bigint(20) unsigned): same Redshift type
        types = {c["name"]: c["source_type"] for c in live_by_name["Order Line"]["columns"]}
        assert types["id"].startswith("bigint") and types["id"].endswith("unsigned")
    finally:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        con.close()


# ---------------------------------------------------------------- init
def test_init_scaffolds_a_project_and_keeps_user_edits(tmp_path):
    project = tmp_path / "My Project"
    result = cli("init", project)  # with dbt deps
    assert result.stderr == ""
    for rel in ("dbt_project.yml", "profiles.yml", "packages.yml", ".gitignore"):
        assert (project / rel).is_file(), rel
        assert f"created {project / rel}" in result.stdout
    assert (project / "models").is_dir()
    assert (project / "dbt_packages" / "streamleap" / "dbt_project.yml").is_file()  # dbt deps ran
    assert "dbt project ready" in result.stdout

    dbt_project = yaml.safe_load((project / "dbt_project.yml").read_text())
    assert dbt_project["name"] == "my_project" and dbt_project["profile"] == "streamleap"
    profiles = yaml.safe_load((project / "profiles.yml").read_text())["streamleap"]
    assert "'local'" in profiles["target"]
    outputs = profiles["outputs"]
    assert set(outputs) == {"local", "postgres", "redshift"}
    assert outputs["local"]["type"] == "duckdb"
    # nothing in the profile depends on where the project is: it can be moved, copied, shared
    assert str(tmp_path) not in (project / "profiles.yml").read_text()
    assert "STREAMLEAP_DUCKDB_PATH" in outputs["local"]["path"]
    assert outputs["postgres"]["type"] == "postgres" and outputs["redshift"]["type"] == "redshift"
    for target in ("postgres", "redshift"):
        assert "DBT_ENV_SECRET_" in outputs[target]["password"]
    packages = yaml.safe_load((project / "packages.yml").read_text())["packages"]
    assert Path(packages[0]["local"]).resolve() == dbt_package_dir().resolve()
    # the package's models need no macro in the project (its materializations are its own); its one
    # macro file keeps dbt's lookups of the package's dispatched macros from failing (test_mirror.py)
    assert [p.name for p in (project / "macros").iterdir()] == ["streamleap_project.sql"]
    assert f"created {project / 'macros' / 'streamleap_project.sql'}" in result.stdout

    # a second init is fine: nothing is overwritten, the user's edits stay
    with (project / "dbt_project.yml").open("a") as f:
        f.write("# my edit\n")
    (project / "profiles.yml").write_text("my: profile\n")
    before = snapshot(project)
    again = cli("init", project, "--no-deps")
    assert "created" not in again.stdout and "dbt project ready" in again.stdout
    assert snapshot(project) == before


def test_the_local_target_finds_the_duckdb_file_next_to_profiles_yml(tmp_path, monkeypatch):
    """What streamleap reads (relay, status) is the file dbt uses: next to the project's
    profiles.yml, however the project directory is named (relative to the current directory or
    not); STREAMLEAP_DUCKDB_PATH overrides it."""
    from streamleap.pipeline.warehouse import open_warehouse

    monkeypatch.delenv("STREAMLEAP_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("STREAMLEAP_TARGET", raising=False)
    project = tmp_path / "first"
    cli("init", project, "--no-deps")
    moved = tmp_path / "elsewhere" / "second"
    moved.parent.mkdir()
    project.rename(moved)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = Path(open_warehouse(moved).credentials.path)
    assert path.resolve() == (moved / "streamleap.duckdb").resolve()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert Path(open_warehouse(Path("second")).credentials.path).resolve() == (moved / "streamleap.duckdb").resolve()
    other = tmp_path / "other.duckdb"
    monkeypatch.setenv("STREAMLEAP_DUCKDB_PATH", str(other))
    assert open_warehouse(moved).credentials.path == str(other)


def test_init_into_a_file_fails_cleanly(tmp_path):
    path = write(tmp_path / "afile", "x")
    result = cli("init", path, "--no-deps", ok=False)
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error")


# ---------------------------------------------------------------- generate
def test_generate_writes_models_idempotently(tmp_path, pg_ddl):
    project = tmp_path / "proj"
    cli("init", project, "--no-deps")
    result = cli("generate", "--project-dir", project, "--stream", STREAM, "--ddl", pg_ddl, "--dialect", "postgres",
                 "--tables", "cart,cart_item")
    folder = project / "models" / "shop_cdc"
    names = {"stg_shop_cdc.sql", "shop_cdc_set_aside.sql", "_shop_cdc__stream.yml",
             "cart.sql", "cart.yml", "cart_item.sql", "cart_item.yml"}
    assert {p.name for p in folder.iterdir()} == names
    for name in names:
        assert f"wrote {folder / name}" in result.stdout
    assert "2 mirror model(s) for stream shop_cdc: cart, cart_item" in result.stdout
    assert "kinesis" in (folder / "stg_shop_cdc.sql").read_text()

    cart = yaml.safe_load((folder / "cart.yml").read_text())["models"][0]
    assert cart["name"] == "cart" and cart["config"]["unique_key"] == ["id"]
    cols = {c["name"]: c for c in cart["columns"]}
    assert list(cols)[:7] == [c["name"] for c in CART_COLUMNS]
    assert cols["id"]["data_tests"] == ["not_null", "unique"]
    assert "data_tests" not in cols["Status"]
    assert [c["name"] for c in cart["config"]["streamleap_table"]["columns"]] == [c["name"] for c in CART_COLUMNS]
    item = yaml.safe_load((folder / "cart_item.yml").read_text())["models"][0]
    icols = {c["name"]: c for c in item["columns"]}
    assert icols["cart_id"]["data_tests"] == ["not_null"] and icols["line_no"]["data_tests"] == ["not_null"]
    assert item["data_tests"] == [{"streamleap.unique_key": {"arguments": {"columns": ["cart_id", "line_no"]}}}]
    stream_yml = yaml.safe_load((folder / "_shop_cdc__stream.yml").read_text())
    assert {m["name"] for m in stream_yml["models"]} == {"stg_shop_cdc", "shop_cdc_set_aside"}

    # the same input again: nothing written, every byte the same, no mtime touched
    before = snapshot(project)
    mtimes = {p: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = cli("generate", "--project-dir", project, "--stream", STREAM, "--ddl", pg_ddl, "--dialect", "postgres",
                "--tables", "cart,cart_item")
    assert "wrote" not in again.stdout and "already up to date" in again.stdout
    assert snapshot(project) == before
    assert {p: p.stat().st_mtime_ns for p in folder.iterdir()} == mtimes

    # a subset regenerates that table and keeps the others' models
    v2 = write(tmp_path / "v2.sql", PG_DDL.replace('"a[b]" integer', '"a[b]" integer,\n  note varchar(20)'))
    sub = cli("generate", "--project-dir", project, "--stream", STREAM, "--ddl", v2, "--dialect", "postgres", "--tables", "cart")
    assert f"wrote {folder / 'cart.yml'}" in sub.stdout
    assert not [line for line in sub.stdout.splitlines() if line.startswith("wrote") and "cart_item" in line]
    assert "1 mirror model(s) for stream shop_cdc: cart\n" in sub.stdout
    after = snapshot(project)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {"models/shop_cdc/cart.yml"}
    assert "note" in [c["name"] for c in yaml.safe_load(after["models/shop_cdc/cart.yml"])["models"][0]["columns"]]


# ---------------------------------------------------------------- schema evolution, end to end
CART_V1 = """
CREATE TABLE public.cart (
  id bigint PRIMARY KEY,
  status varchar(10) NOT NULL,
  total numeric(12,2)
);
"""
CART_V2 = CART_V1.replace("total numeric(12,2)\n", "total numeric(12,2),\n  note varchar(20)\n")

T0 = dt.datetime(2024, 5, 1, 12, 0, 0)


def _record(op: str, n: int, id: int, status: str, total: str | None, **extra) -> ChangeRecord:
    ts = T0 + dt.timedelta(milliseconds=7 * n)
    return ChangeRecord("public", "cart", op, {"id": id, "status": status, "total": total, **extra},
                        commit_ts=ts, transaction_id=100 + n, transaction_record_id=1)


def _cli_project(tmp_path: Path, target_name: str, pg_url: str | None) -> Target:
    """init (with dbt deps) and generate through the CLI, then the local stand-in stream."""
    project = tmp_path / "project"
    cli("init", project)
    target = Target(target_name, project, pg_url)
    if target_name == "postgres":
        m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", pg_url or "")
        assert m, pg_url
        tag = uuid.uuid4().hex[:8]
        target.schema, target.stream_schema = f"t_{tag}", f"k_{tag}"
        target.env = {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
                      "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": target.schema}
    ddl = write(tmp_path / "v1.sql", CART_V1)
    cli("generate", "--project-dir", project, "--stream", STREAM, "--stream-schema", target.stream_schema,
        "--ddl", ddl, "--dialect", "postgres")
    dbt(target, "run-operation", "streamleap.create_stream_source", "--args",
        json.dumps({"stream_schema": target.stream_schema, "stream_name": STREAM}))
    return target


@pytest.mark.dbt
@pytest.mark.parametrize("target_name", ["local", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_schema_evolution_adds_a_column_end_to_end(target_name, tmp_path, request):
    pg_url = request.getfixturevalue("pg_url") if target_name == "postgres" else None
    target = _cli_project(tmp_path, target_name, pg_url)
    w = StreamWriter(target)
    w.append([_record("insert", 1, 1, "open", "10.00"), _record("insert", 2, 2, "open", "20.00")])
    dbt(target, "run")
    assert sorted(target.query(f"select id, status from {target.rel('cart')}")) == [(1, "open"), (2, "open")]

    # the source gains a column: regenerate from the new DDL
    folder = target.project / "models" / "shop_cdc"
    yml_before = (folder / "cart.yml").read_text()
    v2 = write(tmp_path / "v2.sql", CART_V2)
    result = cli("generate", "--project-dir", target.project, "--stream", STREAM, "--stream-schema", target.stream_schema,
                 "--ddl", v2, "--dialect", "postgres")
    assert f"wrote {folder / 'cart.yml'}" in result.stdout
    yml_after = (folder / "cart.yml").read_text()
    assert yml_after != yml_before
    spec = yaml.safe_load(yml_after)["models"][0]["config"]["streamleap_table"]
    assert [c["name"] for c in spec["columns"]] == ["id", "status", "total", "note"]

    # DMS now sends the column
    w.append([
        _record("insert", 3, 3, "open", "30.00", note="new row"),
        _record("update", 4, 1, "paid", "10.00", note="changed"),
    ])
    dbt(target, "run")
    columns = [r[0] for r in target.query(
        "select column_name from information_schema.columns where table_schema = %s and table_name = 'cart' "
        "order by ordinal_position".replace("%s", "?" if target_name == "local" else "%s"), [target.schema])]
    assert "note" in columns
    rows = sorted(target.query(f"select id, status, note from {target.rel('cart')}"))
    assert rows == [(1, "paid", "changed"), (2, "open", None), (3, "open", "new row")]

    # and the next run with nothing new changes nothing
    dbt(target, "run")
    assert sorted(target.query(f"select id, status, note from {target.rel('cart')}")) == rows


# ---------------------------------------------------------------- source schemas
WIDE = "create table wide (id bigint primary key, v text);\n"


def test_plan_and_generate_name_every_tables_schema(tmp_path):
    pg = write(tmp_path / "pg.sql", WIDE)
    my = write(tmp_path / "my.sql", WIDE)
    # Postgres: an unqualified table is public's, as Postgres creates it; --source-schema places it elsewhere
    assert [(t["schema"], t["name"]) for t in plan_json("--ddl", pg, "--dialect", "postgres")["tables"]] == [("public", "wide")]
    assert "public.wide -> mirror model wide" in cli("plan", "--ddl", pg, "--dialect", "postgres").stdout
    doc = plan_json("--ddl", pg, "--dialect", "postgres", "--source-schema", "shop")
    assert [(t["schema"], t["name"]) for t in doc["tables"]] == [("shop", "wide")]
    # MySQL: the database is DMS's schema-name; a file without USE needs --source-schema
    assert_one_error_line(cli("plan", "--ddl", my, "--dialect", "mysql", ok=False), "wide", "--source-schema")
    assert [(t["schema"], t["name"]) for t in plan_json("--ddl", my, "--dialect", "mysql", "--source-schema", "shop")["tables"]] == [
        ("shop", "wide")]
    assert "shop.wide -> mirror model wide" in cli("plan", "--ddl", my, "--dialect", "mysql", "--source-schema", "shop").stdout
    # the generated mirror's spec names the schema (the dbt package matches records on it)
    project = tmp_path / "p"
    write(project / "dbt_project.yml", "name: p\n")
    for ddl, dialect, schema in ((pg, "postgres", "public"), (my, "mysql", "shop")):
        cli("generate", "--project-dir", project, "--stream", "s", "--ddl", ddl, "--dialect", dialect,
            *(["--source-schema", schema] if dialect == "mysql" else []))
        spec = yaml.safe_load((project / "models" / "s" / "wide.yml").read_text())["models"][0]["config"]["streamleap_table"]
        assert (spec["schema"], spec["table"]) == (schema, "wide")
    assert_one_error_line(cli("generate", "--project-dir", project, "--stream", "s", "--ddl", my, "--dialect", "mysql", ok=False),
                          "--source-schema")


def test_a_mirror_spec_is_never_written_without_a_schema():
    from streamleap.model.mirror_plan import plan_tables
    from streamleap.model.source_table import SourceColumn, SourceTable

    (table,) = plan_tables([SourceTable(None, "wide", (SourceColumn("id", "int", False),), ("id",), "mysql")])
    with pytest.raises(StreamleapError, match="--source-schema"):
        table.table_spec("kinesis")


def test_capture_refuses_a_project_mirror_without_a_schema(tmp_path):
    """A mirror generated before every table had a schema takes every schema's records: capture
    for that project says so (before connecting) and how to fix it."""
    project = tmp_path / "p"
    write(project / "dbt_project.yml", "name: p\n")
    cli("generate", "--project-dir", project, "--stream", "s", "--ddl", write(tmp_path / "w.sql", WIDE), "--dialect", "postgres")
    yml = project / "models" / "s" / "wide.yml"
    doc = yaml.safe_load(yml.read_text())
    del doc["models"][0]["config"]["streamleap_table"]["schema"]
    yml.write_text(yaml.safe_dump(doc))
    assert_one_error_line(cli("capture", "--source-url", f"postgresql://u:secret@127.0.0.1:{free_port()}/db", "--stream", "s",
                              "--project-dir", project, ok=False), "wide.yml", "no source schema", "streamleap generate")


@pytest.mark.dbt
def test_records_of_another_schema_never_reach_the_mirror(tmp_path):
    """A table from DDL without a schema (Postgres: public): a same-named table's records from
    another schema are not applied to its mirror, end to end on DuckDB."""
    project = tmp_path / "project"
    cli("init", project)
    target = Target("local", project)
    cli("generate", "--project-dir", project, "--stream", STREAM, "--ddl", write(tmp_path / "wide.sql", WIDE),
        "--dialect", "postgres")
    dbt(target, "run-operation", "streamleap.create_stream_source", "--args",
        json.dumps({"stream_schema": target.stream_schema, "stream_name": STREAM}))

    def record(schema: str, op: str, n: int, id: int, v: str) -> ChangeRecord:
        return ChangeRecord(schema, "wide", op, {"id": id, "v": v}, commit_ts=T0 + dt.timedelta(milliseconds=7 * n),
                            transaction_id=100 + n, transaction_record_id=1)

    StreamWriter(target).append([
        record("public", "insert", 1, 1, "mine"),
        record("otherschema", "insert", 2, 2, "theirs"),
        record("otherschema", "update", 3, 1, "overwritten by theirs"),
        record("Public", "insert", 4, 3, "another schema, by case"),
        record("public", "insert", 5, 4, "mine too"),
    ])
    dbt(target, "run")
    assert sorted(target.query(f"select id, v from {target.rel('wide')}")) == [(1, "mine"), (4, "mine too")]

    # a mirror spec without its schema (hand-edited, or written before every table had one) is
    # refused when dbt compiles it, not read as "any schema"
    specs = [p for p in (project / "models").rglob("*.yml") if "streamleap_table" in p.read_text()]
    assert specs
    for p in specs:
        p.write_text(re.sub(r"^(\s*)schema: public\n", "", p.read_text(), flags=re.M))
    result = dbt(target, "run", "-s", "wide", expect_ok=False)
    assert not result.success and "has no schema" in str(result.exception or "") + "".join(
        str(getattr(r, "message", "")) for r in (result.result or []))


# ---------------------------------------------------------------- the rest
def test_version_and_help():
    result = cli("--version")
    assert __version__ in result.stdout and "streamleap" in result.stdout
    for command in ("plan", "init", "generate", "check-source", "run", "status", "capture", "kinesis-local", "demo", "aws"):
        assert command in cli("--help").stdout
        assert "Usage" in cli(command, "--help").stdout
    # the source's readiness serves DMS and `streamleap capture`: one command, also under `aws`
    top, under_aws = cli("check-source", "--help").stdout, cli("aws", "check-source", "--help").stdout
    assert top.replace("main check-source", "main aws check-source") == under_aws  # CliRunner names the program main


@pytest.mark.parametrize("dialect, types", [("postgres", ["serial", "bigserial", "smallserial"]), ("mysql", ["serial"])])
def test_serial_columns_are_not_null(dialect, types, tmp_path):
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(types))
    ddl = write(tmp_path / "serial.sql", f"CREATE TABLE s.t (id int PRIMARY KEY, {cols});\n")
    doc = plan_json("--ddl", ddl, "--dialect", dialect)
    assert [c["nullable"] for c in doc["tables"][0]["columns"]] == [False] * (1 + len(types))


def test_generate_gives_a_project_without_macros_its_macro_file(tmp_path, pg_ddl):
    """A project made before `streamleap init` wrote macros/streamleap_project.sql gets it from
    generate (dbt's lookups of the package's macros fail in a project without a macro of its own:
    docs/decisions/0030); a project with a macro of its own, in any of its macro paths, gets none."""
    project = tmp_path / "proj"
    cli("init", project, "--no-deps")
    mine = project / "macros" / "streamleap_project.sql"
    mine.unlink()
    args = ("generate", "--project-dir", project, "--stream", STREAM, "--ddl", pg_ddl, "--dialect", "postgres", "--tables", "cart")
    assert f"wrote {mine}" in cli(*args).stdout and "macro streamleap_project()" in mine.read_text()
    mine.unlink()
    text = (project / "dbt_project.yml").read_text()
    assert "macro-paths:\n- macros\n" in text
    (project / "dbt_project.yml").write_text(text.replace("macro-paths:\n- macros\n", "macro-paths:\n- macros\n- shared/macros\n"))
    (project / "shared" / "macros").mkdir(parents=True)
    (project / "shared" / "macros" / "ours.sql").write_text("{% macro ours() %}1{% endmacro %}\n")
    cli(*args)
    assert not mine.exists()


def test_generate_for_a_kafka_topic(tmp_path, pg_ddl):
    """--stream-kind kafka: the staging view reads a Kafka topic (its stand-in's columns locally; FROM
    KAFKA with the given URI and authentication on Redshift); Kafka settings without it are refused."""
    project = tmp_path / "proj"
    cli("init", project, "--no-deps")
    cli("generate", "--project-dir", project, "--stream", "shop.cdc-v1", "--ddl", pg_ddl, "--dialect", "postgres",
        "--tables", "cart", "--stream-kind", "kafka", "--stream-schema", "msk", "--kafka-uri", "b-1.example:9098",
        "--kafka-authentication", "iam")
    staging = (project / "models" / "shop_cdc_v1" / "stg_shop_cdc_v1.sql").read_text()
    assert "stream_kind='kafka'" in staging and "kafka_uri='b-1.example:9098'" in staging
    assert "kafka_authentication='iam'" in staging
    assert "streamleap.staging_select('msk', 'shop.cdc-v1', 'kafka')" in staging
    refused = cli("generate", "--project-dir", project, "--stream", STREAM, "--ddl", pg_ddl, "--dialect", "postgres",
                  "--kafka-uri", "b-1.example:9098", ok=False)
    assert refused.exit_code == 1
    assert "--kafka-uri and --kafka-authentication are for --stream-kind kafka" in refused.stderr


def test_a_table_piped_to_a_file_keeps_every_value_whole(capsys):
    """Piped or redirected, rich assumes 80 columns and would cut a long model or source name with
    an ellipsis; the CLI's tables (status, plan, aws) print as wide as their widest row instead."""
    from rich.table import Table

    from streamleap.cli.common import print_table

    table = Table(title="status")
    for name in ("model", "source", "rows"):
        table.add_column(name)
    long = "a_table_whose_name_is_long_" * 5
    table.add_row(long, f"public.{long}", "12345")
    print_table(table)
    out = capsys.readouterr().out
    assert long in out and f"public.{long}" in out and "…" not in out
