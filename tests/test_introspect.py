"""read_source against a real PostgreSQL (pg_url) and a real MariaDB (mysql_url)."""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest

from streamleap.ddl import parse_ddl
from streamleap.errors import DDLParseError, SourceConnectionError, UnknownTableError
from streamleap.introspect import _mask, _parse_url, read_source
from streamleap.schema import SourceColumn as C
from streamleap.schema import SourceTable
from streamleap.local_postgres import _pg_bindir, free_port

PG_SETUP = """
CREATE SCHEMA "Sales";
CREATE SCHEMA inventory;
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'Happy');
CREATE TYPE "Sales"."Status" AS ENUM ('new', 'it''s done');
CREATE TYPE public.unused AS ENUM ('z');
CREATE TABLE "Sales"."Order" (
    "OrderID" bigint GENERATED ALWAYS AS IDENTITY,
    Line integer NOT NULL,
    "order" text,
    "we""ird" numeric(10,2) DEFAULT 0,
    mood mood,
    status "Sales"."Status"[] NOT NULL,
    tags text[],
    grid int[][],
    created timestamptz NOT NULL DEFAULT now(),
    t3 timestamp(3),
    cv varchar(20),
    c char(2),
    b boolean,
    j jsonb,
    u uuid,
    ba bytea,
    s serial,
    r real,
    dp double precision,
    iv interval,
    n numeric,
    vb bit varying(5),
    tz time(0) with time zone,
    CONSTRAINT order_pk PRIMARY KEY (Line, "OrderID")
);
CREATE TABLE public."ünïcode" (ключ int PRIMARY KEY, "Ωmega" varchar, dropped int, "Mixed" smallint);
ALTER TABLE public."ünïcode" DROP COLUMN dropped;
CREATE TABLE inventory.item (id int, note text);
CREATE TABLE public.part (a int, b int, PRIMARY KEY (a)) PARTITION BY RANGE (a);
CREATE TABLE public.part1 PARTITION OF public.part FOR VALUES FROM (1) TO (10);
CREATE VIEW public.v AS SELECT 1 AS one;
CREATE SEQUENCE public.seq;
"""

ORDER_COLUMNS = (
    C("OrderID", "bigint", False),
    C("line", "integer", False),
    C("order", "text", True),
    C('we"ird', "numeric(10,2)", True),
    C("mood", "mood", True),
    C("status", '"Sales"."Status"[]', False),
    C("tags", "text[]", True),
    C("grid", "integer[]", True),
    C("created", "timestamp with time zone", False),
    C("t3", "timestamp(3) without time zone", True),
    C("cv", "character varying(20)", True),
    C("c", "character(2)", True),
    C("b", "boolean", True),
    C("j", "jsonb", True),
    C("u", "uuid", True),
    C("ba", "bytea", True),
    C("s", "integer", False),
    C("r", "real", True),
    C("dp", "double precision", True),
    C("iv", "interval", True),
    C("n", "numeric", True),
    C("vb", "bit varying(5)", True),
    C("tz", "time(0) with time zone", True),
)
ENUMS = {"mood": ["sad", "ok", "Happy"], '"Sales"."Status"': ["new", "it's done"]}


def _with_database(url: str, database: str) -> str:
    return urlsplit(url)._replace(path="/" + database).geturl()


@pytest.fixture(scope="module")
def pg_source(pg_url: str):
    """A database of its own on the session's PostgreSQL, filled with PG_SETUP."""
    import psycopg2

    name = f"streamleap_introspect_{os.getpid()}"
    admin = psycopg2.connect(pg_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(pg_url, name)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(PG_SETUP)
    conn.close()
    try:
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_postgres_tables(pg_source: str) -> None:
    dialect, tables = read_source(pg_source)
    assert dialect == "postgres"
    # schema, then name, in byte order ("Sales" < "inventory"); views and sequences left out
    assert [t.qualified_name for t in tables] == [
        "Sales.Order", "inventory.item", "public.part", "public.part1", "public.ünïcode",
    ]
    order, item, part, _part1, uni = tables
    assert order.columns == ORDER_COLUMNS
    assert order.primary_key == ("line", "OrderID")  # key order, not column order
    assert (order.schema, order.name, order.dialect) == ("Sales", "Order", "postgres")
    assert item.columns == (C("id", "integer"), C("note", "text")) and item.primary_key == ()
    assert part.primary_key == ("a",)
    assert uni.columns == (C("ключ", "integer", False), C("Ωmega", "character varying"), C("Mixed", "smallint"))
    assert uni.primary_key == ("ключ",)
    assert all(t.enum_types == ENUMS for t in tables)


@pytest.mark.postgres
def test_postgres_schema_parameter_and_table_filter(pg_source: str) -> None:
    _, tables = read_source(pg_source + "?schema=public,inventory")
    assert [t.qualified_name for t in tables] == ["inventory.item", "public.part", "public.part1", "public.ünïcode"]
    assert all(t.enum_types == {} for t in tables)  # no table of these schemas uses an enum
    _, tables = read_source(pg_source, ["public.ünïcode", "sales.order", "item"])
    assert [t.qualified_name for t in tables] == ["public.ünïcode", "Sales.Order", "inventory.item"]
    with pytest.raises(UnknownTableError, match=r"^unknown table 'nope'; known tables: Sales\.Order, inventory\.item"):
        read_source(pg_source, ["nope"])


@pytest.mark.postgres
def test_postgres_unknown_database(pg_url: str) -> None:
    url = _with_database(pg_url, "no_such_db")
    with pytest.raises(SourceConnectionError, match=r'^cannot connect to .*/no_such_db: .*"no_such_db" does not exist; check host'):
        read_source(url)


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_unreachable_server_masks_password(scheme: str) -> None:
    port = free_port()  # nothing listens there
    url = f"{scheme}://bob:s3cr%40t@127.0.0.1:{port}/shop"
    with pytest.raises(SourceConnectionError) as info:
        read_source(url)
    message = str(info.value)
    assert message.startswith(f"cannot connect to {scheme}://bob:***@127.0.0.1:{port}/shop: ")
    assert message.endswith("; check host, port and credentials")
    assert "refused" in message.lower()
    assert "s3cr" not in message and "\n" not in message


def test_unsupported_scheme() -> None:
    with pytest.raises(SourceConnectionError) as info:
        read_source("oracle://scott:tiger@db:1521/orcl")
    assert str(info.value) == (
        "unsupported source URL scheme oracle: in oracle://scott:***@db:1521/orcl; "
        "use postgresql://, postgres://, mysql:// or mariadb://"
    )


def test_url_parsing() -> None:
    url = _parse_url("postgres://app%40corp:p%40ss%3Aw%2Frd@db.example.com:6543/my%20db?schema=a,b&sslmode=require")
    assert (url.dialect, url.host, url.port, url.user, url.password, url.database) == (
        "postgres", "db.example.com", 6543, "app@corp", "p@ss:w/rd", "my db",
    )
    assert url.params == {"schema": ["a,b"], "sslmode": ["require"]}
    assert url.masked == "postgres://app%40corp:***@db.example.com:6543/my%20db?schema=a,b&sslmode=require"
    assert _parse_url("mariadb://root@h/").dialect == "mysql" and _parse_url("mariadb://root@h/").database is None
    assert _mask("mysql://u@h:1/d?password=x&a=1") == "mysql://u@h:1/d?password=***&a=1"
    # a password that was not URL-encoded is still hidden completely
    assert _mask("mysql://u:p@ss:w/rd?x@h:1/d") == "mysql://u:***@h:1/d"
    assert _mask("bob:secret@db/x") == "bob:***@db/x"
    with pytest.raises(SourceConnectionError) as info:
        read_source("mysql://u:p@ss:w/rd@h:1/d")
    assert str(info.value) == (
        "cannot read the source URL mysql://u:***@h:1/d: the port is not a valid number; "
        "percent-encode @ : / ? # in the user name and password (%40 %3A %2F %3F %23)"
    )
    with pytest.raises(SourceConnectionError, match=r"^cannot read the source URL postgresql://u:\*\*\*@h:x/d: the port"):
        read_source("postgresql://u:pw@h:x/d")


# --- MariaDB ----------------------------------------------------------------------------------

MYSQL_DB = f"sl_shop_{os.getpid()}"
MYSQL_SETUP = [
    f"""CREATE TABLE `cart` (
        `id` bigint unsigned NOT NULL AUTO_INCREMENT,
        `select` varchar(255) DEFAULT NULL,
        is_gift tinyint(1) NOT NULL DEFAULT 0,
        total decimal(65,2),
        status enum('open','Paid','it''s gone') NOT NULL,
        flags set('a','b'),
        doc json,
        photo blob,
        created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        `Ünïcode` varchar(10),
        `we``ird` int,
        `Mixed Case` smallint unsigned zerofill,
        yr year, bt bit(3), d double, f float, ts timestamp(3) NULL, c char(3), vb varbinary(16),
        mt mediumtext, geo point,
        PRIMARY KEY (`id`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    "CREATE TABLE order_line (`order` bigint unsigned, `Line No` int, qty int NOT NULL, PRIMARY KEY (`Line No`, `order`))",
    "CREATE TABLE nokey (a int)",
    "CREATE VIEW v AS SELECT a FROM nokey",
]
MYSQL_PASSWORD = "p@ss:w/rd%"
CART_COLUMNS = (
    C("id", "bigint(20) unsigned", False),
    C("select", "varchar(255)", True),
    C("is_gift", "tinyint(1)", False),
    C("total", "decimal(65,2)", True),
    C("status", "enum('open','paid','it''s gone')", False),  # COLUMN_TYPE lower-cased, labels too
    C("flags", "set('a','b')", True),
    C("doc", "json", True),  # MariaDB's json is longtext + CHECK (json_valid(doc)): read back as json
    C("photo", "blob", True),
    C("created_at", "datetime(6)", False),
    C("Ünïcode", "varchar(10)", True),
    C("we`ird", "int(11)", True),
    C("Mixed Case", "smallint(5) unsigned zerofill", True),
    C("yr", "year(4)", True),
    C("bt", "bit(3)", True),
    C("d", "double", True),
    C("f", "float", True),
    C("ts", "timestamp(3)", True),
    C("c", "char(3)", True),
    C("vb", "varbinary(16)", True),
    C("mt", "mediumtext", True),
    C("geo", "point", True),
)


@pytest.fixture(scope="module")
def mysql_source(mysql_url: str):
    """A database of MYSQL_SETUP tables on the session's MariaDB, and a user with a tricky password."""
    import pymysql

    parts = urlsplit(mysql_url)
    conn = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
                           password=parts.password or "", autocommit=True, charset="utf8mb4")
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{MYSQL_DB}`")
        cur.execute(f"CREATE DATABASE `{MYSQL_DB}`")
        cur.execute(f"USE `{MYSQL_DB}`")
        for stmt in MYSQL_SETUP:
            cur.execute(stmt)
        cur.execute("DROP USER IF EXISTS 'sl_app'@'%'")
        cur.execute("CREATE USER 'sl_app'@'%%' IDENTIFIED BY %s", (MYSQL_PASSWORD,))
        cur.execute(f"GRANT SELECT ON `{MYSQL_DB}`.* TO 'sl_app'@'%'")
    try:
        yield _with_database(mysql_url, MYSQL_DB)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{MYSQL_DB}`")
            cur.execute("DROP USER IF EXISTS 'sl_app'@'%'")
        conn.close()


@pytest.mark.mariadb
def test_mysql_tables(mysql_source: str) -> None:
    dialect, tables = read_source(mysql_source)
    assert dialect == "mysql"
    assert [t.qualified_name for t in tables] == [f"{MYSQL_DB}.cart", f"{MYSQL_DB}.nokey", f"{MYSQL_DB}.order_line"]
    cart, nokey, line = tables
    assert cart.columns == CART_COLUMNS and cart.primary_key == ("id",)
    assert (cart.schema, cart.dialect, cart.enum_types) == (MYSQL_DB, "mysql", {})
    assert nokey.columns == (C("a", "int(11)"),) and nokey.primary_key == ()
    assert line.columns == (
        C("order", "bigint(20) unsigned", False), C("Line No", "int(11)", False), C("qty", "int(11)", False),
    )
    assert line.primary_key == ("Line No", "order")


@pytest.mark.mariadb
def test_mysql_without_database_reads_every_user_database(mysql_source: str) -> None:
    server = _with_database(mysql_source, "")
    dialect, tables = read_source(server.replace("mysql://", "mariadb://"), [f"{MYSQL_DB}.order_line", "CART"])
    assert dialect == "mysql"
    assert [t.qualified_name for t in tables] == [f"{MYSQL_DB}.order_line", f"{MYSQL_DB}.cart"]
    with pytest.raises(UnknownTableError, match=f"known tables: .*{MYSQL_DB}.cart"):
        read_source(server, ["v"])  # views are not tables


@pytest.mark.mariadb
def test_mysql_url_encoded_password_and_masking(mysql_source: str) -> None:
    parts = urlsplit(mysql_source)
    good = f"mysql://sl_app:p%40ss%3Aw%2Frd%25@{parts.hostname}:{parts.port}{parts.path}"
    _, tables = read_source(good, ["nokey"])
    assert [t.name for t in tables] == ["nokey"]
    bad = f"mysql://sl_app:wrong-p%40ss%3Aw%2Frd%25@{parts.hostname}:{parts.port}{parts.path}"
    with pytest.raises(SourceConnectionError) as info:
        read_source(bad)
    message = str(info.value)
    assert message.startswith(f"cannot connect to mysql://sl_app:***@{parts.hostname}:{parts.port}/{MYSQL_DB}: ")
    assert "Access denied for user 'sl_app'" in message
    assert "wrong" not in message and "ss:w" not in message


# --- the DDL of a dump and the live catalog agree ---------------------------------------------


def _shape(tables: list[SourceTable]) -> list[tuple]:
    """What parse_ddl and read_source must agree on (type spellings differ: int vs integer)."""
    return [(t.qualified_name, [(c.name, c.nullable) for c in t.columns], t.primary_key) for t in tables]


@pytest.mark.postgres
def test_pg_dump_parses_like_the_catalog_reads(pg_source: str) -> None:
    bindir = _pg_bindir()
    pg_dump = str(bindir / "pg_dump") if bindir and (bindir / "pg_dump").exists() else shutil.which("pg_dump")
    if not pg_dump:
        pytest.skip("pg_dump not installed")

    def dump(*schemas: str) -> str:
        args = [pg_dump, "--schema-only", "--no-owner", *(f"--schema={s}" for s in schemas), pg_source]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    # pg_dump declares primary keys with ALTER TABLE ... ADD CONSTRAINT and writes \restrict lines
    parsed = parse_ddl(dump("public", "inventory"), "postgres", "dump.sql")
    _, live = read_source(pg_source + "?schema=public,inventory")
    assert _shape(parsed) == _shape(live)
    # sqlglot 30.30 cannot read Postgres' "bit varying(n)": the error says so
    with pytest.raises(DDLParseError, match=r"^dump\.sql: line \d+, column \d+: .*'varying'"):
        parse_ddl(dump("\"Sales\""), "postgres", "dump.sql")  # pg_dump patterns fold case unless quoted


@pytest.mark.mariadb
def test_mariadb_dump_parses_like_the_catalog_reads(mysql_source: str) -> None:
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if not tool:
        pytest.skip("mariadb-dump not installed")
    parts = urlsplit(mysql_source)
    args = [tool, "--no-data", "-h", parts.hostname, "-P", str(parts.port), "-u", parts.username or "root",
            MYSQL_DB, "nokey", "order_line"]
    env = {**os.environ, "MYSQL_PWD": parts.password or ""}
    text = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    parsed = parse_ddl(text, "mysql", "dump.sql")
    _, live = read_source(mysql_source, ["nokey", "order_line"])
    assert [(None, *rest) for _, *rest in _shape(live)] == [(None, *rest) for _, *rest in _shape(parsed)]
    assert [t.name for t in parsed] == ["nokey", "order_line"] and all(t.schema is None for t in parsed)
