"""parse_ddl / select_tables on realistic MySQL and Postgres DDL files."""

from __future__ import annotations

import pytest

from streamleap.sources.ddl import parse_ddl, read_ddl, select_tables
from streamleap.errors import DDLParseError, UnknownTableError
from streamleap.model.source_table import SourceColumn as C
from streamleap.model.source_table import SourceTable
from streamleap.model.type_mapping import map_type

MYSQL_DDL = """\
/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB
/*!40101 SET NAMES utf8mb4 */;
SET FOREIGN_KEY_CHECKS = 0;

DROP TABLE IF EXISTS `cart`;
CREATE TABLE `cart` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `select` varchar(255) DEFAULT NULL COMMENT 'a reserved word as a name',
  `is_gift` tinyint(1) NOT NULL DEFAULT 0,
  `total` decimal(65,2) DEFAULT NULL,
  `status` enum('open','paid','it''s gone') NOT NULL DEFAULT 'open',
  `flags` set('a','b') DEFAULT NULL,
  `doc` json DEFAULT NULL,
  `photo` blob,
  `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  `Ünïcode` varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `we``ird` int(11) DEFAULT NULL,
  `Mixed Case` smallint(6) unsigned zerofill DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_select` (`select`),
  UNIQUE KEY `uq_gift` (`is_gift`, `id`)
) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO `cart` VALUES (1, 'x', 0, 1.50, 'open', NULL, NULL, NULL, NOW(6), NULL, NULL, NULL);

CREATE TABLE IF NOT EXISTS shop.order_line (
  order_id BIGINT UNSIGNED NOT NULL,
  LineNo INT NOT NULL,
  qty int NULL,
  price DOUBLE,
  CONSTRAINT pk_line PRIMARY KEY (order_id, lineno),
  CONSTRAINT fk_cart FOREIGN KEY (order_id) REFERENCES cart (id) ON DELETE CASCADE
) ENGINE=InnoDB;

create table audit (id int primary key, note text);
CREATE INDEX ix_audit ON audit (note(20));
ALTER TABLE audit ADD COLUMN extra int;
CREATE TABLE audit_copy LIKE audit;
CREATE TABLE audit_summary AS SELECT id FROM audit;
CREATE TABLE nokey (a int, b varchar(3));
ALTER TABLE nokey ADD PRIMARY KEY (B);
"""

POSTGRES_DDL = """\
--
-- PostgreSQL database dump
--

\\restrict AbCdEf123

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE SCHEMA "Sales";
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'Happy');
CREATE TYPE "Sales"."Status" AS ENUM (
    'new',
    'it''s done'
);
CREATE TYPE public.pair AS (a integer, b text);

CREATE TABLE "Sales"."Order" (
    "OrderID" bigint GENERATED ALWAYS AS IDENTITY,
    Line integer NOT NULL,
    "order" text CHECK ("order" <> ''),
    "we""ird" numeric(10,2) DEFAULT 0,
    mood public.mood,
    status "Sales"."Status"[] NOT NULL DEFAULT '{}',
    tags text[],
    created timestamp with time zone NOT NULL DEFAULT now(),
    t3 timestamp(3) without time zone,
    customer_id integer REFERENCES public.customers (id),
    CONSTRAINT order_pk PRIMARY KEY ("OrderID", Line)
);
ALTER TABLE "Sales"."Order" OWNER TO postgres;
COMMENT ON TABLE "Sales"."Order" IS 'orders; with a semicolon';

CREATE TABLE IF NOT EXISTS "ünïcode" (
    ключ integer PRIMARY KEY,
    "Ωmega" character varying(20),
    flag boolean NOT NULL,
    doc jsonb,
    uid uuid,
    note citext
);

CREATE TABLE public.events (
    id bigint NOT NULL,
    at timestamptz,
    payload bytea
);
CREATE UNIQUE INDEX events_at ON public.events USING btree (at);
ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);
CREATE VIEW public.v AS SELECT 1 AS one;
CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1; $$;
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM (1) TO (10);
CREATE TEMP TABLE scratch (a int);

\\unrestrict AbCdEf123
"""

ENUMS = {"mood": ["sad", "ok", "Happy"], '"Sales"."Status"': ["new", "it's done"]}


def test_mysql_dump() -> None:
    result = read_ddl(MYSQL_DDL, "mysql", "shop.sql")
    tables = result.tables
    assert tables == [
        SourceTable(
            None,
            "cart",
            (
                C("id", "bigint(20) unsigned", False),
                C("select", "varchar(255)", True),
                C("is_gift", "tinyint(1)", False),
                C("total", "decimal(65,2)", True),
                C("status", "enum('open','paid','it''s gone')", False),
                C("flags", "set('a','b')", True),
                C("doc", "json", True),
                C("photo", "blob", True),
                C("created_at", "datetime(6)", False),
                C("Ünïcode", "varchar(10)", True),
                C("we`ird", "int(11)", True),
                C("Mixed Case", "smallint(6) unsigned zerofill", True),
            ),
            ("id",),
            "mysql",
        ),
        SourceTable(
            "shop",
            "order_line",
            (
                C("order_id", "bigint unsigned", False),
                C("LineNo", "int", False),
                C("qty", "int", True),
                C("price", "double", True),
            ),
            ("order_id", "LineNo"),  # MySQL column names are case-insensitive: lineno is LineNo
            "mysql",
        ),
        # ALTER TABLE ... ADD COLUMN is read; LIKE copies the columns and the key
        SourceTable(None, "audit", (C("id", "int", False), C("note", "text", True), C("extra", "int", True)), ("id",), "mysql"),
        SourceTable(None, "audit_copy", (C("id", "int", False), C("note", "text", True), C("extra", "int", True)), ("id",), "mysql"),
        SourceTable(None, "nokey", (C("a", "int", True), C("b", "varchar(3)", False)), ("b",), "mysql"),
    ]
    assert all(t.enum_types == {} for t in tables)
    assert [t.qualified_name for t in tables] == ["cart", "shop.order_line", "audit", "audit_copy", "nokey"]
    # a table whose columns the file does not hold is refused with the line, never dropped silently
    assert [(p.name, p.reason.split(":")[0]) for p in result.problems] == [("audit_summary", "line 40, column 28")]
    assert "AS SELECT" in result.problems[0].reason
    assert result.skipped_kinds() == {"SET": 2, "INSERT": 1, "CREATE INDEX": 1}
    assert result.summary() == (
        "shop.sql: 13 statements, 6 tables; skipped 4 statements streamleap does not need "
        "(2 SET, 1 INSERT, 1 CREATE INDEX); --verbose lists them"
    )


def test_postgres_dump() -> None:
    tables = parse_ddl(POSTGRES_DDL, "postgres", "pg.sql")
    assert tables == [
        SourceTable(
            "Sales",
            "Order",
            (
                C("OrderID", "bigint", False),
                C("line", "integer", False),
                C("order", "text", True),
                C('we"ird', "numeric(10,2)", True),
                C("mood", "mood", True),
                C("status", '"Sales"."Status"[]', False),
                C("tags", "text[]", True),
                C("created", "timestamp with time zone", False),
                C("t3", "timestamp(3) without time zone", True),
                C("customer_id", "integer", True),
            ),
            ("OrderID", "line"),
            "postgres",
        ),
        SourceTable(
            "public",
            "ünïcode",
            (
                C("ключ", "integer", False),
                C("Ωmega", "character varying(20)", True),
                C("flag", "boolean", False),
                C("doc", "jsonb", True),
                C("uid", "uuid", True),
                C("note", "citext", True),
            ),
            ("ключ",),
            "postgres",
        ),
        SourceTable(
            "public",
            "events",
            (C("id", "bigint", False), C("at", "timestamptz", True), C("payload", "bytea", True)),
            ("id",),
            "postgres",
            partitioned=True,
            partitions=(("public", "events_2024"),),
        ),
    ]
    assert all(t.enum_types == ENUMS for t in tables)
    tables[0].enum_types["mood"].append("x")  # each table has its own copy
    assert tables[1].enum_types == ENUMS


def test_postgres_folds_unquoted_names_and_keeps_quoted_ones() -> None:
    ddl = 'CREATE TABLE Shop.CART (ID int, "ID" int, Ωmega int, "select" int, PRIMARY KEY ("ID"));'
    (table,) = parse_ddl(ddl, "postgres")
    assert (table.schema, table.name) == ("shop", "cart")
    # only ASCII letters are folded, as Postgres does for UTF-8 names
    assert [c.name for c in table.columns] == ["id", "ID", "Ωmega", "select"]
    assert table.primary_key == ("ID",)
    assert table.column("ID").nullable is False and table.column("id").nullable is True


def test_mysql_keeps_names_as_written() -> None:
    (table,) = parse_ddl("CREATE TABLE `Sales`.`Order` (Id INT NOT NULL, `Ünï` text, PRIMARY KEY (id))", "mysql")
    assert (table.schema, table.name, table.primary_key) == ("Sales", "Order", ("Id",))
    assert table.columns == (C("Id", "int", False), C("Ünï", "text", True))


def test_postgres_types_as_written_and_user_types_as_format_type_names_them() -> None:
    ddl = """CREATE TABLE t (
        a character varying, b numeric, c double precision, d int8, e time with time zone,
        f varchar(10)[], g "Mood", h public."Mood"[], i "char", j interval, k smallserial, l "S".e
    )"""
    (table,) = parse_ddl(ddl, "postgres")
    assert [c.source_type for c in table.columns] == [
        "character varying", "numeric", "double precision", "int8", "time with time zone",
        "varchar(10)[]", '"Mood"', '"Mood"[]', '"char"', "interval", "smallserial", '"S".e',
    ]


MYSQL_TYPES_DDL = """\
CREATE TABLE `types` (
  `a` int8 NOT NULL,
  `b` real DEFAULT NULL,
  `c` double precision,
  `d` int(11) unsigned zerofill DEFAULT NULL,
  `e` decimal(65,2) NOT NULL DEFAULT 0.00,
  `f` enum('A','b') CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `g` long,
  `h` INT8 UNSIGNED,
  `i` DOUBLE
      PRECISION /* a comment */ NULL,
  `j` varchar(20) charset latin1 binary,
  `k` char(3) binary,
  `l` tinyint(1) unsigned,
  `m` bigint AS (a + 1) STORED,
  `n` int key,
  `o` int4 AUTO_INCREMENT COMMENT 'x',
  `p` timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  `q` bool,
  `r` decimal( 10 , 2 ) unsigned,
  `s` float(7,4),
  `t` set('X','y') NOT NULL
) ENGINE=InnoDB;
"""

# (source_type as written, Redshift type) per column of MYSQL_TYPES_DDL
MYSQL_TYPES = [
    ("int8", "BIGINT"),  # MySQL int8 is BIGINT (sqlglot renders it TINYINT)
    ("real", "DOUBLE PRECISION"),  # MySQL real is DOUBLE (sqlglot renders it FLOAT)
    ("double precision", "DOUBLE PRECISION"),
    ("int(11) unsigned zerofill", "BIGINT"),
    ("decimal(65,2)", "VARCHAR(67)"),
    ("enum('A','b')", "VARCHAR(4)"),
    ("long", "VARCHAR(65535)"),  # MySQL long is MEDIUMTEXT (sqlglot renders it BIGINT)
    ("int8 unsigned", "DECIMAL(20,0)"),
    ("double precision", "DOUBLE PRECISION"),
    ("varchar(20)", "VARCHAR(80)"),
    ("char(3) binary", "VARCHAR(12)"),
    ("tinyint(1) unsigned", "SMALLINT"),
    ("bigint", "BIGINT"),
    ("int", "INTEGER"),
    ("int4", "INTEGER"),
    ("timestamp(6)", "TIMESTAMP"),
    ("bool", "BOOLEAN"),
    ("decimal( 10 , 2 ) unsigned", "DECIMAL(10,2)"),
    ("float(7,4)", "REAL"),
    ("set('X','y')", "VARCHAR(3)"),
]

POSTGRES_TYPES_DDL = """\
CREATE TYPE public."Mood" AS ENUM ('Sad', 'ok');
CREATE TABLE public.pg_types (
    a numeric NOT NULL,
    b integer,
    c timestamp with time zone DEFAULT now(),
    d character varying(20) COLLATE pg_catalog."default",
    e interval(3),
    f int[],
    g double precision,
    h time(3) without time zone,
    i integer ARRAY[4],
    j real,
    k TIMESTAMP(6)   WITH TIME ZONE NOT NULL,
    l smallint GENERATED BY DEFAULT AS IDENTITY,
    m text COLLATE "C" NOT NULL,
    n public."Mood",
    o numeric(50,5) CHECK (o > 0),
    p interval day to second,
    q character(3),
    r bigint CONSTRAINT r_nn NOT NULL
);
"""

POSTGRES_TYPES = [
    ("numeric", "DECIMAL(38,10)"),
    ("integer", "INTEGER"),
    ("timestamp with time zone", "TIMESTAMPTZ"),
    ("character varying(20)", "VARCHAR(80)"),
    ("interval(3)", "VARCHAR(128)"),
    ("int[]", "SUPER"),
    ("double precision", "DOUBLE PRECISION"),
    ("time(3) without time zone", "TIME"),
    ("integer array[4]", "SUPER"),
    ("real", "REAL"),
    ("timestamp(6) with time zone", "TIMESTAMPTZ"),
    ("smallint", "SMALLINT"),
    ("text", "VARCHAR(65535)"),
    ('"Mood"', "VARCHAR(12)"),
    ("numeric(50,5)", "VARCHAR(52)"),
    ("interval day to second", "VARCHAR(128)"),
    ("character(3)", "VARCHAR(12)"),
    ("bigint", "BIGINT"),
]


@pytest.mark.parametrize(
    "ddl, dialect, expected",
    [(MYSQL_TYPES_DDL, "mysql", MYSQL_TYPES), (POSTGRES_TYPES_DDL, "postgres", POSTGRES_TYPES)],
    ids=["mysql", "postgres"],
)
def test_source_type_is_the_type_as_written(ddl: str, dialect: str, expected: list[tuple[str, str]]) -> None:
    (table,) = parse_ddl(ddl, dialect)
    assert [c.source_type for c in table.columns] == [written for written, _ in expected]
    mapped = [map_type(c.source_type, dialect, enum_types=table.enum_types).redshift for c in table.columns]
    assert mapped == [redshift for _, redshift in expected]


@pytest.mark.parametrize(
    "ddl, dialect",
    [(MYSQL_DDL, "mysql"), (POSTGRES_DDL, "postgres"), (MYSQL_TYPES_DDL, "mysql"), (POSTGRES_TYPES_DDL, "postgres")],
)
def test_every_fixture_column_maps(ddl: str, dialect: str) -> None:
    for table in read_ddl(ddl, dialect).tables:
        for column in table.columns:
            map_type(column.source_type, dialect, table=table.name, column=column.name, enum_types=table.enum_types)


def test_type_as_written_keeps_label_case_and_quotes_only() -> None:
    ddl = "CREATE TABLE t (A ENUM('Open', 'it''s', \"Dq\") NOT NULL, B INT(11)  UNSIGNED\n ZEROFILL, C Decimal(65, 2))"
    (table,) = parse_ddl(ddl, "mysql")
    assert [c.source_type for c in table.columns] == [
        "enum('Open', 'it''s', \"Dq\")", "int(11) unsigned zerofill", "decimal(65, 2)",
    ]
    assert map_type(table.columns[0].source_type, "mysql").redshift == "VARCHAR(16)"


def test_create_type_enum_labels() -> None:
    (table,) = parse_ddl("CREATE TYPE \"Sales\".\"Status\" AS ENUM ('a,b', 'c)', 'D'); CREATE TYPE Mood AS ENUM ('x');"
                         " CREATE TABLE t (m mood)", "postgres")
    assert table.enum_types == {'"Sales"."Status"': ["a,b", "c)", "D"], "mood": ["x"]}
    assert table.columns == (C("m", "mood"),)


@pytest.mark.parametrize(
    "ddl, dialect, where",
    [
        ("CREATE TABLE t (\n  a varchar(5) DEFAULT 'abc\n);", "postgres", "line 2, column 24"),
        ("CREATE TABLE t (\n  a int /* never closed\n);", "postgres", "line 2, column 9"),
        ("CREATE TABLE t (\n  `a int);", "mysql", "line 2, column 3"),
    ],
)
def test_unterminated_quote_or_comment_is_located(ddl: str, dialect: str, where: str) -> None:
    with pytest.raises(DDLParseError) as info:
        parse_ddl(ddl, dialect, "x.sql")
    assert str(info.value) == (
        f"x.sql: {where}: unterminated quoted string, quoted name or comment; check the file is complete {dialect} SQL"
    )


def test_no_create_table() -> None:
    with pytest.raises(DDLParseError, match=r"^empty\.sql: no CREATE TABLE statement found"):
        parse_ddl("-- nothing\nINSERT INTO t VALUES (1);\nCREATE INDEX i ON t (a);", "mysql", "empty.sql")
    with pytest.raises(DDLParseError, match="no CREATE TABLE"):
        parse_ddl("", "postgres")


@pytest.mark.parametrize(
    "ddl, message",
    [
        ("CREATE TABLE t (a int, PRIMARY KEY (b))", "line 1, column 37: table t: primary key column b is not a column"),
        ("CREATE TABLE t (a int PRIMARY KEY, b int PRIMARY KEY)", "table t declares more than one primary key"),
        ("CREATE TABLE t (a int, A int)", "line 1, column 24: table t: column a is declared twice"),
        ("CREATE TABLE t (a)", "line 1, column 17: table t: column a has no type"),
        ("CREATE TABLE t (a int); CREATE TABLE t (b int);", "line 1, column 25: table t is created twice"),
        ("CREATE TABLE t (a int); ALTER TABLE t ADD PRIMARY KEY (z);", "primary key column z is not a column"),
    ],
)
def test_malformed_tables(ddl: str, message: str) -> None:
    with pytest.raises(DDLParseError, match="^<ddl>: line" if message.startswith("line") else None) as info:
        parse_ddl(ddl, "postgres")
    assert message in str(info.value)


def test_unknown_dialect() -> None:
    with pytest.raises(DDLParseError, match="unknown DDL dialect 'oracle'"):
        parse_ddl("CREATE TABLE t (a int)", "oracle")


def _tables() -> list[SourceTable]:
    col = (C("id", "int", False),)
    return [
        SourceTable("public", "cart", col, ("id",)),
        SourceTable("shop", "cart", col, ("id",)),
        SourceTable("Sales", "Order", col, ("id",)),
        SourceTable(None, "audit", col, ("id",)),
        SourceTable("public", "Items", col),
        SourceTable("public", "ITEMS", col),
    ]


def test_select_tables() -> None:
    tables = _tables()
    assert select_tables(tables, None) == tables
    picked = select_tables(tables, ["Sales.Order", "public.cart", "audit", "shop.cart"])
    assert [t.qualified_name for t in picked] == ["Sales.Order", "public.cart", "audit", "shop.cart"]
    # case-insensitive when that alone is unambiguous; duplicates collapse
    assert [t.qualified_name for t in select_tables(tables, ["sales.order", "ORDER", "Sales.Order"])] == ["Sales.Order"]
    # exact case wins over a case-insensitive ambiguity
    assert [t.qualified_name for t in select_tables(tables, ["Items", "public.ITEMS"])] == ["public.Items", "public.ITEMS"]
    assert select_tables(tables, []) == []


def test_select_tables_unknown_and_ambiguous() -> None:
    tables = _tables()
    with pytest.raises(UnknownTableError) as info:
        select_tables(tables, ["audit", "nope"])
    assert str(info.value) == (
        "unknown table 'nope'; known tables: public.cart, shop.cart, Sales.Order, audit, public.Items, public.ITEMS"
    )
    with pytest.raises(UnknownTableError, match=r"^table name 'cart' matches several tables \(public\.cart, shop\.cart\); qualify"):
        select_tables(tables, ["cart"])
    with pytest.raises(UnknownTableError, match=r"'items' matches several tables \(public\.Items, public\.ITEMS\)"):
        select_tables(tables, ["items"])


def test_postgres_identity_columns_are_not_null():
    table = parse_ddl("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, note text, PRIMARY KEY (note))", "postgres")[0]
    assert [(c.name, c.nullable) for c in table.columns] == [("id", False), ("note", False)]


def test_every_table_has_a_schema() -> None:
    """A table's schema is its name's, else the USE / search_path before it, else the default
    (--source-schema), else public in Postgres; a MySQL file that places a table nowhere leaves
    it without one (the command line then asks for --source-schema)."""
    pg = ("CREATE TABLE wide (id int PRIMARY KEY);\nSET search_path = sales, public;\nCREATE TABLE narrow (id int PRIMARY KEY);\n"
          "CREATE TABLE crm.c (id int PRIMARY KEY);\n")
    assert [(t.schema, t.name) for t in parse_ddl(pg, "postgres")] == [("public", "wide"), ("sales", "narrow"), ("crm", "c")]
    assert [(t.schema, t.name) for t in parse_ddl(pg, "postgres", default_schema="shop")] == [
        ("shop", "wide"), ("sales", "narrow"), ("crm", "c")]
    my = "CREATE TABLE wide (id int PRIMARY KEY);\nUSE shop;\nCREATE TABLE narrow (id int PRIMARY KEY);\n"
    assert [(t.schema, t.name) for t in parse_ddl(my, "mysql")] == [(None, "wide"), ("shop", "narrow")]
    assert [(t.schema, t.name) for t in parse_ddl(my, "mysql", default_schema="crm")] == [("crm", "wide"), ("shop", "narrow")]
    # partitions, ALTER TABLE of the unqualified name and a qualified one: the same table, in public
    (m,) = parse_ddl("CREATE TABLE m (id int, d date) PARTITION BY RANGE (d);\n"
                     "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
                     "ALTER TABLE ONLY public.m ADD CONSTRAINT m_pkey PRIMARY KEY (id, d);\n", "postgres")
    assert (m.schema, m.primary_key, m.partitions) == ("public", ("id", "d"), (("public", "m_2024"),))
