"""The source-to-Redshift type table: golden mappings, the project's rules, and that targets parse."""

from __future__ import annotations

import re

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from streamleap.errors import UnsupportedTypeError
from streamleap.model.type_mapping import FAMILIES, TargetType, map_type, mapping_table

# (spelling, expected Redshift type, expected family, sqlglot can parse it)
# The spelling is used as given (information_schema / format_type style) and, when sqlglot can
# parse it, also as sqlglot renders it after parsing a CREATE TABLE in that dialect.
S, B, I, D, F = "string", "binary", "integer", "decimal", "float"  # noqa: E741 - one-letter families keep the tables aligned

MYSQL_GOLDEN: list[tuple[str, str, str, bool]] = [
    # booleans
    ("tinyint(1)", "BOOLEAN", "boolean", True),
    ("bool", "BOOLEAN", "boolean", True),
    ("boolean", "BOOLEAN", "boolean", True),
    ("bit(1)", "BOOLEAN", "boolean", True),
    ("bit", "BOOLEAN", "boolean", True),
    # integers
    ("tinyint", "SMALLINT", I, True),
    ("tinyint(4)", "SMALLINT", I, True),
    ("tinyint unsigned", "SMALLINT", I, True),
    ("tinyint(3) unsigned", "SMALLINT", I, True),
    ("tinyint(1) unsigned", "SMALLINT", I, True),
    ("int1", "SMALLINT", I, True),
    ("smallint", "SMALLINT", I, True),
    ("smallint(6)", "SMALLINT", I, True),
    ("smallint unsigned", "INTEGER", I, True),
    ("smallint(5) unsigned", "INTEGER", I, True),
    ("mediumint", "INTEGER", I, True),
    ("mediumint(8) unsigned", "INTEGER", I, True),
    ("int", "INTEGER", I, True),
    ("int(11)", "INTEGER", I, True),
    ("integer", "INTEGER", I, True),
    ("int4", "INTEGER", I, True),
    ("int unsigned", "BIGINT", I, True),
    ("int(10) unsigned", "BIGINT", I, True),
    ("int(11) unsigned zerofill", "BIGINT", I, True),
    ("integer unsigned", "BIGINT", I, True),
    ("bigint", "BIGINT", I, True),
    ("bigint(20)", "BIGINT", I, True),
    ("int8", "BIGINT", I, False),  # sqlglot reads MySQL INT8 as TINYINT
    ("bigint unsigned", "DECIMAL(20,0)", D, True),
    ("bigint(20) unsigned", "DECIMAL(20,0)", D, True),
    ("serial", "DECIMAL(20,0)", D, True),
    ("bit(8)", "BIGINT", I, True),
    ("bit(63)", "BIGINT", I, True),
    ("bit(64)", "DECIMAL(20,0)", D, True),
    ("year", "SMALLINT", I, True),
    ("year(4)", "SMALLINT", I, True),
    # decimals
    ("decimal", "DECIMAL(10,0)", D, True),
    ("decimal(10)", "DECIMAL(10,0)", D, True),
    ("decimal(10,2)", "DECIMAL(10,2)", D, True),
    ("numeric(12,4)", "DECIMAL(12,4)", D, True),
    ("dec(5,2)", "DECIMAL(5,2)", D, True),
    ("fixed(5,2)", "DECIMAL(5,2)", D, True),
    ("decimal(38,10)", "DECIMAL(38,10)", D, True),
    ("decimal(10,2) unsigned", "DECIMAL(10,2)", D, True),
    ("decimal(39,0)", "VARCHAR(41)", S, True),
    ("decimal(65,2)", "VARCHAR(67)", S, True),
    ("decimal(65,30)", "VARCHAR(67)", S, True),
    # floats
    ("float", "REAL", F, True),
    ("float(7,4)", "REAL", F, True),
    ("float(10)", "REAL", F, True),
    ("float(24)", "REAL", F, True),
    ("float(25)", "DOUBLE PRECISION", F, True),
    ("float(53)", "DOUBLE PRECISION", F, True),
    ("float4", "REAL", F, True),
    ("double", "DOUBLE PRECISION", F, True),
    ("double unsigned", "DOUBLE PRECISION", F, True),
    ("double precision", "DOUBLE PRECISION", F, True),
    ("double(10,2)", "DOUBLE PRECISION", F, True),
    ("float8", "DOUBLE PRECISION", F, True),
    ("real", "DOUBLE PRECISION", F, False),  # sqlglot renders MySQL REAL as FLOAT
    # dates and times
    ("date", "DATE", "date", True),
    ("datetime", "TIMESTAMP", "timestamp", True),
    ("datetime(6)", "TIMESTAMP", "timestamp", True),
    ("timestamp", "TIMESTAMP", "timestamp", True),
    ("timestamp(3)", "TIMESTAMP", "timestamp", True),
    ("time", "VARCHAR(20)", S, True),
    ("time(6)", "VARCHAR(20)", S, True),
    # strings
    ("char", "VARCHAR(4)", S, True),
    ("char(1)", "VARCHAR(4)", S, True),
    ("char(10)", "VARCHAR(40)", S, True),
    ("char(255)", "VARCHAR(1020)", S, True),
    ("nchar(10)", "VARCHAR(40)", S, True),
    ("varchar(255)", "VARCHAR(1020)", S, True),
    ("varchar(16383)", "VARCHAR(65532)", S, True),
    ("varchar(21845)", "VARCHAR(65535)", S, True),
    ("nvarchar(10)", "VARCHAR(40)", S, True),
    ("national varchar(10)", "VARCHAR(40)", S, False),
    ("character varying(10)", "VARCHAR(40)", S, True),
    ("varchar(255) character set utf8mb4 collate utf8mb4_bin", "VARCHAR(1020)", S, True),
    ("varchar(10) binary", "VARCHAR(40)", S, True),
    ("tinytext", "VARCHAR(1020)", S, True),
    ("text(50)", "VARCHAR(1020)", S, True),
    ("text", "VARCHAR(65535)", S, True),
    ("text(100)", "VARCHAR(65535)", S, True),
    ("mediumtext", "VARCHAR(65535)", S, True),
    ("longtext", "VARCHAR(65535)", S, True),
    ("long", "VARCHAR(65535)", S, False),  # sqlglot reads MySQL LONG as BIGINT
    ("long varchar", "VARCHAR(65535)", S, False),
    ("enum('a','b')", "VARCHAR(4)", S, True),
    ("ENUM('small', 'medium', 'large')", "VARCHAR(24)", S, True),
    ("enum('it''s','x')", "VARCHAR(16)", S, True),
    ("enum('naïve','ü')", "VARCHAR(20)", S, True),
    ("set('x','y')", "VARCHAR(3)", S, True),
    ("SET('read', 'write', 'admin')", "VARCHAR(16)", S, True),
    ("set('ä','b,c')", "VARCHAR(6)", S, True),
    ("enum('a    b')", "VARCHAR(24)", S, True),  # whitespace inside labels counts
    ("json", "SUPER", "super", True),
    # binary
    ("binary(16)", "VARBYTE(16)", B, True),
    ("binary", "VARBYTE(1)", B, True),
    ("varbinary(255)", "VARBYTE(255)", B, True),
    ("tinyblob", "VARBYTE(255)", B, True),
    ("blob(100)", "VARBYTE(255)", B, True),
    ("blob", "VARBYTE(65535)", B, True),
    ("mediumblob", "VARBYTE(1024000)", B, True),
    ("longblob", "VARBYTE(1024000)", B, True),
    # spatial (sqlglot's MySQL reader knows only GEOMETRY)
    ("geometry", "VARBYTE(1024000)", B, True),
    ("point", "VARBYTE(1024000)", B, False),
    ("linestring", "VARBYTE(1024000)", B, False),
    ("polygon", "VARBYTE(1024000)", B, False),
    ("multipoint", "VARBYTE(1024000)", B, False),
    ("multilinestring", "VARBYTE(1024000)", B, False),
    ("multipolygon", "VARBYTE(1024000)", B, False),
    ("geometrycollection", "VARBYTE(1024000)", B, False),
    ("geomcollection", "VARBYTE(1024000)", B, False),
    # MariaDB
    ("uuid", "VARCHAR(36)", S, True),
    ("inet6", "VARCHAR(45)", S, False),
    ("inet4", "VARCHAR(15)", S, False),
]

POSTGRES_GOLDEN: list[tuple[str, str, str, bool]] = [
    # booleans and integers
    ("boolean", "BOOLEAN", "boolean", True),
    ("bool", "BOOLEAN", "boolean", True),
    ("bit(1)", "BOOLEAN", "boolean", True),
    ("bit", "BOOLEAN", "boolean", True),
    ("smallint", "SMALLINT", I, True),
    ("int2", "SMALLINT", I, True),
    ("smallserial", "SMALLINT", I, True),
    ("serial2", "SMALLINT", I, True),
    ("integer", "INTEGER", I, True),
    ("int", "INTEGER", I, True),
    ("int4", "INTEGER", I, True),
    ("serial", "INTEGER", I, True),
    ("serial4", "INTEGER", I, True),
    ("bigint", "BIGINT", I, True),
    ("int8", "BIGINT", I, True),
    ("bigserial", "BIGINT", I, True),
    ("serial8", "BIGINT", I, True),
    ("oid", "BIGINT", I, True),
    ("xid", "BIGINT", I, True),
    ("xid8", "DECIMAL(20,0)", D, True),
    # numbers
    ("numeric", "DECIMAL(38,10)", D, True),
    ("decimal", "DECIMAL(38,10)", D, True),
    ("numeric(10,2)", "DECIMAL(10,2)", D, True),
    ("numeric(10)", "DECIMAL(10,0)", D, True),
    ("decimal(10, 2)", "DECIMAL(10,2)", D, True),
    ("numeric(38,0)", "DECIMAL(38,0)", D, True),
    ("numeric(39,2)", "VARCHAR(41)", S, True),
    ("numeric(1000,500)", "VARCHAR(1002)", S, True),
    ("numeric(40,40)", "VARCHAR(43)", S, True),
    ("numeric(5,-2)", "DECIMAL(7,0)", D, False),
    ("numeric(3,5)", "DECIMAL(5,5)", D, True),
    ("real", "REAL", F, True),
    ("float4", "REAL", F, True),
    ("float(10)", "REAL", F, True),
    ("double precision", "DOUBLE PRECISION", F, True),
    ("float8", "DOUBLE PRECISION", F, True),
    ("float", "DOUBLE PRECISION", F, True),
    ("float(30)", "DOUBLE PRECISION", F, True),
    ("money", "VARCHAR(64)", S, True),
    # bits
    ("bit(8)", "VARCHAR(8)", S, True),
    ("bit varying(8)", "VARCHAR(8)", S, False),
    ("bit varying", "VARCHAR(65535)", S, False),
    ("varbit(5)", "VARCHAR(5)", S, True),
    ("varbit", "VARCHAR(65535)", S, True),
    # strings
    ("character varying(255)", "VARCHAR(1020)", S, True),
    ("character varying", "VARCHAR(65535)", S, True),
    ("varchar(20)", "VARCHAR(80)", S, True),
    ("varchar(20000)", "VARCHAR(65535)", S, True),
    ("varchar", "VARCHAR(65535)", S, True),
    ("character(3)", "VARCHAR(12)", S, True),
    ("char(3)", "VARCHAR(12)", S, True),
    ("character", "VARCHAR(4)", S, True),
    ("char", "VARCHAR(4)", S, True),
    ("bpchar", "VARCHAR(65535)", S, True),
    ("bpchar(5)", "VARCHAR(20)", S, True),
    ('"char"', "VARCHAR(4)", S, True),
    ("text", "VARCHAR(65535)", S, True),
    ("citext", "VARCHAR(65535)", S, True),
    ("name", "VARCHAR(63)", S, True),
    ("uuid", "VARCHAR(36)", S, True),
    ("inet", "VARCHAR(43)", S, True),
    ("cidr", "VARCHAR(43)", S, True),
    ("macaddr", "VARCHAR(17)", S, True),
    ("macaddr8", "VARCHAR(23)", S, True),
    ("pg_lsn", "VARCHAR(32)", S, True),
    ("tid", "VARCHAR(32)", S, True),
    ("xml", "VARCHAR(65535)", S, True),
    ("tsvector", "VARCHAR(65535)", S, True),
    ("tsquery", "VARCHAR(65535)", S, True),
    ("jsonpath", "VARCHAR(65535)", S, True),
    ("regclass", "VARCHAR(65535)", S, True),
    # binary
    ("bytea", "VARBYTE(1024000)", B, True),
    # dates and times
    ("date", "DATE", "date", True),
    ("time", "TIME", "time", True),
    ("time without time zone", "TIME", "time", True),
    ("time(3)", "TIME", "time", True),
    ("time(3) without time zone", "TIME", "time", True),
    ("timetz", "TIMETZ", "timetz", True),
    ("time with time zone", "TIMETZ", "timetz", True),
    ("time(6) with time zone", "TIMETZ", "timetz", True),
    ("timestamp", "TIMESTAMP", "timestamp", True),
    ("timestamp without time zone", "TIMESTAMP", "timestamp", True),
    ("timestamp(3)", "TIMESTAMP", "timestamp", True),
    ("timestamptz", "TIMESTAMPTZ", "timestamptz", True),
    ("timestamp with time zone", "TIMESTAMPTZ", "timestamptz", True),
    ("timestamp(3) with time zone", "TIMESTAMPTZ", "timestamptz", True),
    ("interval", "VARCHAR(128)", S, True),
    ("interval(3)", "VARCHAR(128)", S, True),
    ("interval day to second", "VARCHAR(128)", S, True),
    ("interval year to month", "VARCHAR(128)", S, True),
    # semi-structured
    ("json", "SUPER", "super", True),
    ("jsonb", "SUPER", "super", True),
    ("hstore", "SUPER", "super", True),
    ("integer[]", "SUPER", "super", True),
    ("int[]", "SUPER", "super", True),
    ("int array", "SUPER", "super", True),
    ("text[]", "SUPER", "super", True),
    ("text[][]", "SUPER", "super", True),
    ("int[3]", "SUPER", "super", True),
    ("character varying(255)[]", "SUPER", "super", True),
    ("timestamp(3) with time zone[]", "SUPER", "super", True),
    ("mood[]", "SUPER", "super", True),
    ("_int4", "SUPER", "super", False),  # information_schema udt_name of int4[]
    ("ARRAY", "SUPER", "super", False),  # information_schema data_type of any array
    # geometric and PostGIS
    ("point", "VARCHAR(65535)", S, True),
    ("line", "VARCHAR(65535)", S, True),
    ("lseg", "VARCHAR(65535)", S, True),
    ("box", "VARCHAR(65535)", S, True),
    ("path", "VARCHAR(65535)", S, True),
    ("polygon", "VARCHAR(65535)", S, True),
    ("circle", "VARCHAR(65535)", S, True),
    ("geometry", "VARCHAR(65535)", S, True),
    ("geometry(Point,4326)", "VARCHAR(65535)", S, True),
    ("geography", "VARCHAR(65535)", S, True),
    # ranges
    ("int4range", "VARCHAR(256)", S, True),
    ("int8range", "VARCHAR(256)", S, True),
    ("daterange", "VARCHAR(256)", S, True),
    ("tsrange", "VARCHAR(256)", S, True),
    ("tstzrange", "VARCHAR(256)", S, True),
    ("numrange", "VARCHAR(65535)", S, True),
    ("int4multirange", "VARCHAR(65535)", S, True),
]

GOLDEN = {"mysql": MYSQL_GOLDEN, "postgres": POSTGRES_GOLDEN}


def _sqlglot_renderings(dialect: str) -> dict[str, str]:
    """spelling -> how sqlglot renders it after parsing ``CREATE TABLE`` in that dialect."""
    rendered = {}
    for spelling, _, _, parses in GOLDEN[dialect]:
        if parses:  # one statement per type: a mis-parse must not shift its neighbours
            ddl = f"CREATE TABLE t (d int, c {spelling})"
            columns = list(sqlglot.parse_one(ddl, read=dialect).find_all(exp.ColumnDef))
            assert [c.name for c in columns] == ["d", "c"], spelling
            rendered[spelling] = columns[1].args["kind"].sql(dialect=dialect)
    return rendered


RENDERED = {dialect: _sqlglot_renderings(dialect) for dialect in GOLDEN}


def _golden_cases() -> list:
    cases = []
    for dialect, rows in GOLDEN.items():
        for spelling, redshift, family, _ in rows:
            cases.append(pytest.param(dialect, spelling, redshift, family, id=f"{dialect}:{spelling}"))
            rendered = RENDERED[dialect].get(spelling)
            if rendered is not None and rendered != spelling:
                cases.append(
                    pytest.param(dialect, rendered, redshift, family, id=f"{dialect}:sqlglot:{rendered}")
                )
    return cases


GOLDEN_CASES = _golden_cases()


def _all_targets() -> list[TargetType]:
    targets = [t for _, _, t in mapping_table()]
    for param in GOLDEN_CASES:
        dialect, spelling = param.values[0], param.values[1]
        targets.append(map_type(spelling, dialect))
    return targets


ALL_TARGETS = _all_targets()


# --------------------------------------------------------------------------- golden table


@pytest.mark.parametrize("dialect,spelling,redshift,family", GOLDEN_CASES)
def test_golden(dialect: str, spelling: str, redshift: str, family: str) -> None:
    target = map_type(spelling, dialect)
    assert (target.redshift, target.family) == (redshift, family)


@pytest.mark.parametrize("dialect", ["mysql", "postgres"])
def test_sqlglot_renders_most_spellings(dialect: str) -> None:
    # guards against the sqlglot half of the golden table silently shrinking
    assert len(RENDERED[dialect]) >= 0.8 * len(GOLDEN[dialect])


@pytest.mark.parametrize("dialect", ["mysql", "postgres"])
def test_case_and_whitespace_do_not_matter(dialect: str) -> None:
    for spelling, redshift, family, _ in GOLDEN[dialect]:
        if spelling.lower().startswith(("enum", "set")):
            continue  # labels are case-sensitive
        odd = "  " + re.sub(r"([(),])", r" \1 ", spelling.upper()).replace(" ", "  ") + " "
        target = map_type(odd, dialect)
        assert (target.redshift, target.family) == (redshift, family), odd


# --------------------------------------------------------------------------- project rules

_SIZED = re.compile(r"^(VARCHAR|CHAR|VARBYTE)\((\d+)\)$")
_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)\((\d+),(\d+)\)$")
_FAMILY_TYPES = {
    "boolean": {"BOOLEAN"},
    "integer": {"SMALLINT", "INTEGER", "BIGINT"},
    "float": {"REAL", "DOUBLE PRECISION"},
    "date": {"DATE"},
    "time": {"TIME"},
    "timetz": {"TIMETZ"},
    "timestamp": {"TIMESTAMP"},
    "timestamptz": {"TIMESTAMPTZ"},
    "super": {"SUPER"},
}


def _check_rules(t: TargetType) -> None:
    rs = t.redshift
    assert rs == rs.upper(), rs
    assert t.family in FAMILIES, t
    assert rs not in ("TEXT", "NUMERIC", "DECIMAL", "VARCHAR", "CHAR", "VARBYTE"), rs
    assert not rs.startswith(("NUMERIC", "DECIMAL")) or _DECIMAL.match(rs), rs
    m = _DECIMAL.match(rs)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        assert 1 <= p <= 38 and 0 <= s <= p, rs
        assert t.family == "decimal" and (t.precision, t.scale) == (p, s), t
        assert t.duckdb == f"DECIMAL({p},{s})" and t.postgres == f"numeric({p},{s})", t
    m = _SIZED.match(rs)
    if m:
        kind, n = m.group(1), int(m.group(2))
        limit = 1_024_000 if kind == "VARBYTE" else 65535
        assert 1 <= n <= limit, rs
        assert t.max_bytes == n, t
    if t.family == "string":
        assert rs.startswith("VARCHAR(") and t.max_bytes is not None, t
        assert t.duckdb == "VARCHAR" and t.postgres == f"varchar({t.max_bytes})", t
    elif t.family == "binary":
        assert rs.startswith("VARBYTE(") and t.max_bytes is not None, t
        assert (t.duckdb, t.postgres) == ("BLOB", "bytea"), t
    elif t.family == "decimal":
        assert t.precision is not None and t.scale is not None and _DECIMAL.match(rs), t
    else:
        assert rs in _FAMILY_TYPES[t.family], t
        assert t.max_bytes is None and t.precision is None and t.scale is None, t
    if t.family == "super":
        assert (t.duckdb, t.postgres) == ("JSON", "jsonb"), t


def test_rules_hold_for_every_target() -> None:
    for target in ALL_TARGETS:
        _check_rules(target)


def test_mapping_table_covers_both_dialects() -> None:
    rows = mapping_table()
    assert {d for d, _, _ in rows} == {"mysql", "postgres"}
    assert len(rows) == len({(d, s) for d, s, _ in rows})  # no duplicate rows
    families = {t.family for _, _, t in rows}
    assert families == set(FAMILIES)


def test_non_obvious_choices_carry_a_note() -> None:
    for dialect, spelling in [
        ("mysql", "bigint unsigned"), ("mysql", "char(3)"), ("mysql", "time"),
        ("mysql", "timestamp"), ("mysql", "decimal(65,2)"), ("mysql", "longtext"),
        ("mysql", "longblob"), ("mysql", "point"), ("mysql", "tinyint(1)"),
        ("postgres", "uuid"), ("postgres", "numeric"), ("postgres", "money"),
        ("postgres", "interval"), ("postgres", "bytea"), ("postgres", "text"),
    ]:
        assert map_type(spelling, dialect).note, (dialect, spelling)


# --------------------------------------------------------------------------- targets are real types


def test_redshift_types_parse_with_sqlglot() -> None:
    for rs in sorted({t.redshift for t in ALL_TARGETS}):
        kind = sqlglot.parse_one(f"CREATE TABLE t (c {rs})", read="redshift").find(exp.ColumnDef).args["kind"]
        assert kind.this != exp.DataType.Type.USERDEFINED, rs


def test_postgres_types_parse_with_sqlglot() -> None:
    for pg in sorted({t.postgres for t in ALL_TARGETS}):
        kind = sqlglot.parse_one(f"CREATE TABLE t (c {pg})", read="postgres").find(exp.ColumnDef).args["kind"]
        assert kind.this != exp.DataType.Type.USERDEFINED, pg


def test_duckdb_types_work() -> None:
    types = sorted({t.duckdb for t in ALL_TARGETS})
    con = duckdb.connect()
    for dt in types:
        con.sql(f"SELECT CAST(NULL AS {dt})").fetchall()
    con.execute("CREATE TABLE t (" + ", ".join(f"c{i} {dt}" for i, dt in enumerate(types)) + ")")
    con.execute("INSERT INTO t DEFAULT VALUES")
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(1,)]


# --------------------------------------------------------------------------- enums and errors


def test_postgres_enum_types() -> None:
    enums = {"mood": ["sad", "ok", "happy"], "Größe": ["klein", "übergroß"], "public.level": ["lo", "hi"]}
    assert map_type("mood", "postgres", enum_types=enums).redshift == "VARCHAR(20)"
    assert map_type("MOOD", "postgres", enum_types=enums).redshift == "VARCHAR(20)"
    assert map_type("public.mood", "postgres", enum_types=enums).redshift == "VARCHAR(20)"
    assert map_type('"Größe"', "postgres", enum_types=enums).redshift == "VARCHAR(32)"
    assert map_type("level", "postgres", enum_types=enums).redshift == "VARCHAR(8)"
    assert map_type("public.level", "postgres", enum_types=enums).family == "string"
    assert map_type("mood[]", "postgres", enum_types=enums).redshift == "SUPER"
    with pytest.raises(UnsupportedTypeError):  # another schema's type of the same name
        map_type("audit.level", "postgres", enum_types=enums)
    # sqlglot's rendering of a user-defined type is the name as written
    kind = sqlglot.parse_one("CREATE TABLE t (c mood)", read="postgres").find(exp.ColumnDef).args["kind"]
    assert map_type(kind.sql(dialect="postgres"), "postgres", enum_types=enums).redshift == "VARCHAR(20)"


def test_unknown_mysql_type_names_table_column_and_type() -> None:
    with pytest.raises(UnsupportedTypeError) as info:
        map_type("frobnicate", "mysql", table="shop.orders", column="widget")
    msg = str(info.value)
    assert "shop.orders" in msg and "widget" in msg and "frobnicate" in msg
    assert (info.value.table, info.value.column, info.value.source_type) == ("shop.orders", "widget", "frobnicate")


def test_unknown_postgres_identifier_hints_at_enums() -> None:
    with pytest.raises(UnsupportedTypeError) as info:
        map_type("mood", "postgres", table="public.people", column="feeling", enum_types={"other": ["x"]})
    msg = str(info.value)
    assert "public.people" in msg and "feeling" in msg and "mood" in msg
    assert "CREATE TYPE" in msg


@pytest.mark.parametrize(
    "dialect,spelling",
    [
        ("mysql", ""),
        ("mysql", "   "),
        ("mysql", "int[]"),
        ("mysql", "varchar(abc)"),
        ("mysql", "enum('a', b)"),
        ("mysql", "enum('a',)"),
        ("mysql", "vector(3)"),
        ("postgres", "enum('a','b')"),
        ("postgres", "frob nicate"),
        ("postgres", "varchar(x)"),
    ],
)
def test_unsupported_spellings_raise(dialect: str, spelling: str) -> None:
    with pytest.raises(UnsupportedTypeError):
        map_type(spelling, dialect, table="t", column="c")


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        map_type("int", "oracle")


def test_type_mapping_doc_is_generated_from_the_table():
    from pathlib import Path

    from streamleap.model.type_doc import render

    doc = Path(__file__).resolve().parent.parent / "docs" / "type-mapping.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m streamleap.model.type_doc > docs/type-mapping.md"
