"""read_source against a real PostgreSQL (pg_url) and a real MariaDB (mysql_url)."""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest

from streamleap.sources.ddl import parse_ddl
from streamleap.errors import SourceConnectionError, UnknownTableError
from streamleap.masking import mask_url
from streamleap.sources.connection import mysql_options, parse_source_url, postgres_options
from streamleap.sources.introspect import read_source
from streamleap.model.source_table import SourceColumn as C
from streamleap.model.source_table import SourceTable
from streamleap.demo.local_postgres import _pg_bindir, free_port

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
    # a partition is part of its partitioned table, not a table of its own
    assert [t.qualified_name for t in tables] == [
        "Sales.Order", "inventory.item", "public.part", "public.ünïcode",
    ]
    order, item, part, uni = tables
    assert order.columns == ORDER_COLUMNS
    assert order.primary_key == ("line", "OrderID")  # key order, not column order
    assert (order.schema, order.name, order.dialect) == ("Sales", "Order", "postgres")
    assert item.columns == (C("id", "integer"), C("note", "text")) and item.primary_key == ()
    assert part.primary_key == ("a",)
    assert part.partitioned and part.partitions == (("public", "part1"),)
    assert not order.partitioned and order.partitions == ()
    assert uni.columns == (C("ключ", "integer", False), C("Ωmega", "character varying"), C("Mixed", "smallint"))
    assert uni.primary_key == ("ключ",)
    assert all(t.enum_types == ENUMS for t in tables)


@pytest.mark.postgres
def test_postgres_schema_parameter_and_table_filter(pg_source: str) -> None:
    _, tables = read_source(pg_source + "?schema=public,inventory")
    assert [t.qualified_name for t in tables] == ["inventory.item", "public.part", "public.ünïcode"]
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


def test_one_set_of_connection_options_per_engine() -> None:
    """Introspection, the checks and capture connect with these (capture adds its own settings)."""
    pg = parse_source_url("postgres://u:pw@db:6543/shop?schema=a&sslmode=require&connect_timeout=60&application_name=x")
    assert postgres_options(pg) == {"sslmode": "require", "connect_timeout": 5, "application_name": "streamleap",
                                    "host": "db", "port": 6543, "user": "u", "password": "pw", "dbname": "shop"}
    assert postgres_options(pg, application_name="streamleap-capture", options="-c TimeZone=UTC")["application_name"] == (
        "streamleap-capture")
    my = parse_source_url("mysql://root@h/shop")
    assert mysql_options(my) == {"host": "h", "port": 3306, "user": "root", "password": "", "charset": "utf8mb4",
                                 "connect_timeout": 5, "database": "shop"}
    assert "database" not in mysql_options(my, database=False)


def test_url_parsing() -> None:
    url = parse_source_url("postgres://app%40corp:p%40ss%3Aw%2Frd@db.example.com:6543/my%20db?schema=a,b&sslmode=require")
    assert (url.dialect, url.host, url.port, url.user, url.password, url.database) == (
        "postgres", "db.example.com", 6543, "app@corp", "p@ss:w/rd", "my db",
    )
    assert url.params == {"schema": ["a,b"], "sslmode": ["require"]} and url.schemas == ["a", "b"]
    assert url.masked == "postgres://app%40corp:***@db.example.com:6543/my%20db?schema=a,b&sslmode=require"
    assert parse_source_url("mariadb://root@h/").dialect == "mysql" and parse_source_url("mariadb://root@h/").database is None
    assert mask_url("mysql://u@h:1/d?password=x&a=1") == "mysql://u@h:1/d?password=***&a=1"
    # a password that was not URL-encoded is still hidden completely
    assert mask_url("mysql://u:p@ss:w/rd?x@h:1/d") == "mysql://u:***@h:1/d"
    assert mask_url("bob:secret@db/x") == "bob:***@db/x"
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
    """CREATE TABLE `cart` (
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
    C("status", "enum('open','Paid','it''s gone')", False),  # COLUMN_TYPE lower-cased, its labels as written
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
    # pg_dump patterns fold case unless quoted
    sales = parse_ddl(dump("\"Sales\""), "postgres", "dump.sql")
    _, live_sales = read_source(pg_source + "?schema=Sales")
    assert _shape(sales) == _shape(live_sales)


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


# --- partitions, inheritance, domains, generated columns ---------------------------------------

PG_HARD_CASES = """
CREATE SCHEMA hard;
CREATE SCHEMA hard_parts;
CREATE DOMAIN hard.posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN hard.code AS varchar(20) NOT NULL;
CREATE DOMAIN hard.short_code AS hard.code;           -- nested: NOT NULL and varchar(20) come through
CREATE DOMAIN hard.tags AS text[];
CREATE TYPE hard.mood AS ENUM ('a', 'b');
CREATE DOMAIN hard.moody AS hard.mood;
CREATE TABLE hard.d (
  id hard.posint PRIMARY KEY,
  c hard.short_code,
  n hard.posint,
  arr hard.posint[],
  t hard.tags,
  m hard.moody,
  total numeric(12,2) GENERATED ALWAYS AS (id * 2) STORED,
  ident bigint GENERATED ALWAYS AS IDENTITY
);
CREATE TABLE hard.ev (id int, day date, note text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE hard.ev_2024 PARTITION OF hard.ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (id);
CREATE TABLE hard_parts.ev_2024_low PARTITION OF hard.ev_2024 FOR VALUES IN (1, 2);
CREATE TABLE hard.ev_2024_rest PARTITION OF hard.ev_2024 DEFAULT;
CREATE TABLE hard.ev_2025 PARTITION OF hard.ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE hard.animal (id int PRIMARY KEY, name text);
CREATE TABLE hard.dog (breed text) INHERITS (hard.animal);
"""


@pytest.mark.postgres
def test_postgres_partitions_inheritance_domains_and_generated_columns(pg_source: str) -> None:
    import psycopg2

    conn = psycopg2.connect(pg_source)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(PG_HARD_CASES)
    try:
        _check_hard_cases(pg_source)
    finally:
        with conn.cursor() as cur:  # the other tests of this module see the database as it was
            cur.execute("DROP SCHEMA hard, hard_parts CASCADE")
        conn.close()


def _check_hard_cases(pg_source: str) -> None:
    _, tables = read_source(pg_source + "?schema=hard,hard_parts")
    # partitions (at every level, in any schema) are not tables; inheritance children are
    assert [t.qualified_name for t in tables] == ["hard.animal", "hard.d", "hard.dog", "hard.ev"]
    animal, d, dog, ev = tables
    assert ev.partitioned and ev.partitions == (
        ("hard", "ev_2024"), ("hard", "ev_2024_rest"), ("hard", "ev_2025"), ("hard_parts", "ev_2024_low"))
    assert (ev.schema, ev.name) == ("hard", "ev") and ev.primary_key == ("id", "day")
    assert not animal.partitioned and animal.partitions == ()
    # the child: the parent's columns first, in the parent's order, then its own; no key of its own
    assert dog.columns == (C("id", "integer", False), C("name", "text"), C("breed", "text")) and dog.primary_key == ()
    assert d.columns == (
        C("id", "integer", False, domain="hard.posint"),
        C("c", "character varying(20)", False, domain="hard.short_code"),
        C("n", "integer", True, domain="hard.posint"),
        C("arr", "integer[]", True, domain="hard.posint"),  # an array of a domain: an array of its base
        C("t", "text[]", True, domain="hard.tags"),
        C("m", "hard.mood", True, domain="hard.moody"),
        C("total", "numeric(12,2)", True, generated="stored"),
        C("ident", "bigint", False),  # identity columns are ordinary columns
    )
    assert d.enum_types == {"hard.mood": ["a", "b"]}  # an enum reached through a domain
    # naming a partition is refused with the root's name
    with pytest.raises(UnknownTableError, match=r"'hard_parts\.ev_2024_low' is a partition of hard\.ev: name the "
                                                r"partitioned table hard\.ev"):
        read_source(pg_source, ["hard_parts.ev_2024_low"])
    with pytest.raises(UnknownTableError, match="unknown table 'nope'"):
        read_source(pg_source, ["nope"])


@pytest.mark.mariadb
def test_mysql_generated_columns_and_partitioned_tables(mysql_source: str) -> None:
    import pymysql

    parts = urlsplit(mysql_source)
    conn = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
                           password=parts.password or "", database=MYSQL_DB, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE gen (id int PRIMARY KEY, a int, s int AS (a * 2) STORED, "
                    "p int AS (a * 3) PERSISTENT, v int AS (a * 4) VIRTUAL, "
                    "ts timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp())")
        cur.execute("CREATE TABLE parted (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (year(day)) "
                    "(PARTITION p1 VALUES LESS THAN (2025), PARTITION p2 VALUES LESS THAN MAXVALUE)")
    try:
        _, (gen, parted) = read_source(mysql_source, ["gen", "parted"])
        assert [(c.name, c.source_type, c.generated) for c in gen.columns] == [
            ("id", "int(11)", None), ("a", "int(11)", None), ("s", "int(11)", "stored"),
            ("p", "int(11)", "stored"),  # MariaDB's PERSISTENT is STORED
            ("v", "int(11)", "virtual"), ("ts", "timestamp", None)]
        # a MySQL partitioned table is one table already, with no partitions listed
        assert parted.qualified_name == f"{MYSQL_DB}.parted" and parted.primary_key == ("id", "day")
        assert not parted.partitioned and parted.partitions == ()
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE gen, parted")
        conn.close()


def test_mysql_generated_extra_text() -> None:
    from streamleap.sources.introspect import _mysql_generated

    assert _mysql_generated("STORED GENERATED") == "stored"
    assert _mysql_generated("PERSISTENT GENERATED") == "stored"
    assert _mysql_generated("VIRTUAL GENERATED") == "virtual"
    assert _mysql_generated("DEFAULT_GENERATED on update CURRENT_TIMESTAMP") is None  # MySQL 8: an expression default
    assert _mysql_generated("auto_increment") is None and _mysql_generated("") is None
