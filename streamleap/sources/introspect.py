"""Read source tables from a live MySQL/MariaDB or Postgres database.

``read_source(url)`` connects with the URL's credentials (psycopg2 or pymysql, 5 s connect
timeout, read-only use) and returns the same SourceTable models ``parse_ddl`` builds from DDL:

* Postgres (``postgresql://`` or ``postgres://``): ordinary and partitioned tables of every
  non-system schema, or of ``?schema=a,b``; types as ``format_type()`` shows them
  (``character varying(20)``, ``timestamp with time zone``, ``integer[]``, ``"Sales"."Status"``);
  primary keys in key order; labels of the enum types the tables use in ``enum_types``.
  A partition is not a table: its partitioned root lists every partition below it (all levels,
  any schema) in ``partitions``; naming a partition is an error naming the root. Inheritance
  children are tables (the parent's columns first). A column of a domain type has the domain's
  base type (nested domains resolved; an array of a domain is an array of the base type), is NOT
  NULL when a domain in the chain is, and names the domain in ``domain``. Generated columns
  (``attgenerated``: stored; virtual on PostgreSQL 18) set ``generated``.
* MySQL / MariaDB (``mysql://`` or ``mariadb://``): base tables of the URL's database (all
  non-system databases when the URL names none); types are ``COLUMN_TYPE`` lower-cased;
  generated columns from ``EXTRA`` (STORED / PERSISTENT -> ``stored``, VIRTUAL -> ``virtual``).
  A partitioned table is one table, as the binlog shows it.

Other query parameters of a Postgres URL (``sslmode=require``...) go to libpq unchanged. The
password is URL-decoded and never appears in an error message.
"""

from __future__ import annotations

import re

from dataclasses import replace
from typing import Any

from streamleap.sources.ddl import select_tables
from streamleap.errors import SourceConnectionError, UnknownTableError
from streamleap.model.source_table import SourceColumn, SourceTable
from streamleap.sources.connection import (
    SourceUrl, connect_mysql, connect_postgres, driver_message, driver_text, parse_source_url,
)

__all__ = ["read_source"]

_MYSQL_SYSTEM_DATABASES = ("information_schema", "mysql", "performance_schema", "sys")


def read_source(url: str, tables: list[str] | None = None) -> tuple[str, list[SourceTable]]:
    """Connect to ``url`` and return ``(dialect, tables)``; ``tables`` narrows the result to
    the named tables (``cart``, ``public.cart``), in that order (see ``select_tables``)."""
    parsed = parse_source_url(url)
    if parsed.dialect == "postgres":
        found = _read_postgres(parsed)
    else:
        found = _read_mysql(parsed)
    try:
        return parsed.dialect, select_tables(found, tables)
    except UnknownTableError:
        for name in tables or []:
            _refuse_partition(found, name)
        raise


def _refuse_partition(tables: list[SourceTable], name: str) -> None:
    """A name that is no table but a partition of one: say to name the partitioned table."""
    for fold in (lambda s: s, str.casefold):
        if any(fold(n) == fold(name) for t in tables for n in (t.name, t.qualified_name)):
            return  # a table (or an ambiguous name): select_tables' own error says it
        for table in tables:
            for schema, partition in table.partitions:
                if fold(name) in (fold(partition), fold(f"{schema}.{partition}")):
                    raise UnknownTableError(
                        f"table {name!r} is a partition of {table.qualified_name}: name the partitioned table "
                        f"{table.qualified_name} instead (the changes of all its partitions go to its one mirror)"
                    )


def _read_error(exc: BaseException, url: SourceUrl) -> SourceConnectionError:
    return SourceConnectionError(
        f"cannot read the table definitions of {url.masked}: {driver_message(exc, url)}; "
        "check the user may read the catalog (information_schema / pg_catalog)"
    )


# --- Postgres ---------------------------------------------------------------------------------

_PG_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relkind = 'p'
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition  -- a partition is part of its root table, not a table of its own
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d  -- tables an extension owns (spatial_ref_sys)
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  AND (%(schemas)s::text[] IS NULL OR n.nspname::text = ANY(%(schemas)s::text[]))
ORDER BY n.nspname, c.relname
"""

# Every partition below each partitioned root, at every level (sub-partitioned partitions too),
# ordered by schema and name. pg_inherits rather than pg_partition_tree: PostgreSQL 10 and 11 too.
_PG_PARTITIONS = """
WITH RECURSIVE tree AS (
    SELECT i.inhparent AS root, i.inhrelid AS relid
    FROM pg_catalog.pg_inherits i
    WHERE i.inhparent = ANY(%(oids)s::oid[])
  UNION ALL
    SELECT tree.root, i.inhrelid
    FROM tree JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.relid
)
SELECT tree.root, n.nspname, c.relname
FROM tree
JOIN pg_catalog.pg_class c ON c.oid = tree.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
ORDER BY tree.root, n.nspname, c.relname
"""

# A column declared with a domain has the domain's base type (through nested domains, with the
# innermost domain's type modifier), is NOT NULL when any domain in the chain is, and names the
# domain; an array of a domain is an array of the base type. Generated columns: attgenerated
# ('s' stored, 'v' virtual on PostgreSQL 18), replaced by '' before PostgreSQL 12.
_PG_COLUMNS = """
WITH RECURSIVE chain AS (
    SELECT t.oid AS domain_oid, t.typbasetype AS base_oid, t.typtypmod AS base_mod, t.typnotnull AS not_null,
           1 AS depth
    FROM pg_catalog.pg_type t
    WHERE t.typtype = 'd'
  UNION ALL
    SELECT chain.domain_oid, b.typbasetype, b.typtypmod, chain.not_null OR b.typnotnull, chain.depth + 1
    FROM chain JOIN pg_catalog.pg_type b ON b.oid = chain.base_oid
    WHERE b.typtype = 'd'
), domains AS (
    SELECT DISTINCT ON (domain_oid) domain_oid, base_oid, base_mod, not_null
    FROM chain
    ORDER BY domain_oid, depth DESC
), columns AS (
    SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, {generated} AS generated,
           d.domain_oid AS domain_oid, ed.domain_oid AS element_domain_oid,
           coalesce(d.base_oid, ed.base_oid, a.atttypid) AS resolved_oid,
           coalesce(d.base_mod, ed.base_mod, a.atttypmod) AS resolved_mod,
           coalesce(d.not_null, false) AS domain_notnull
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    LEFT JOIN domains d ON d.domain_oid = a.atttypid
    LEFT JOIN domains ed ON d.domain_oid IS NULL AND t.typcategory = 'A' AND ed.domain_oid = t.typelem
    WHERE a.attrelid = ANY(%(oids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
)
SELECT col.attrelid, col.attname,
       CASE WHEN col.domain_oid IS NOT NULL THEN pg_catalog.format_type(col.resolved_oid, col.resolved_mod)
            WHEN col.element_domain_oid IS NOT NULL THEN pg_catalog.format_type(col.resolved_oid, col.resolved_mod) || '[]'
            ELSE pg_catalog.format_type(col.atttypid, col.atttypmod) END,
       col.attnotnull OR (col.domain_notnull AND col.element_domain_oid IS NULL),
       CASE WHEN et.typtype = 'e' THEN et.oid END AS enum_oid,
       col.generated,
       pg_catalog.format_type(coalesce(col.domain_oid, col.element_domain_oid), NULL) AS domain
FROM columns col
JOIN pg_catalog.pg_type rt ON rt.oid = col.resolved_oid
LEFT JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN rt.typcategory = 'A' THEN rt.typelem ELSE rt.oid END
ORDER BY col.attrelid, col.attnum
"""

_GENERATED = {"s": "stored", "v": "virtual"}

_PG_PRIMARY_KEYS = """
SELECT con.conrelid, a.attname
FROM pg_catalog.pg_constraint con
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE con.contype = 'p' AND con.conrelid = ANY(%(oids)s::oid[])
ORDER BY con.conrelid, k.position
"""

_PG_ENUMS = """
SELECT pg_catalog.format_type(e.enumtypid, NULL), e.enumlabel
FROM pg_catalog.pg_enum e
WHERE e.enumtypid = ANY(%(oids)s::oid[])
ORDER BY e.enumtypid, e.enumsortorder
"""


def _read_postgres(url: SourceUrl) -> list[SourceTable]:
    import psycopg2

    conn = connect_postgres(url)
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cur:
            return _pg_tables(cur, url.schemas or None)
    except psycopg2.Error as exc:
        raise _read_error(exc, url) from None
    finally:
        conn.close()


def _pg_tables(cur: Any, schemas: list[str] | None) -> list[SourceTable]:
    cur.execute("SELECT current_setting('server_version_num')::int")
    version = int(cur.fetchone()[0])
    cur.execute(_PG_TABLES, {"schemas": schemas})
    relations = cur.fetchall()
    oids = [oid for oid, _schema, _name, _partitioned in relations]
    columns: dict[int, list[SourceColumn]] = {oid: [] for oid in oids}
    enum_oids: set[int] = set()
    generated = "a.attgenerated::text" if version >= 120000 else "''::text"
    cur.execute(_PG_COLUMNS.replace("{generated}", generated), {"oids": oids})
    for relid, name, type_text, notnull, enum_oid, gen, domain in cur.fetchall():
        columns[relid].append(SourceColumn(name, type_text, not notnull, _GENERATED.get(gen or ""), domain))
        if enum_oid is not None:
            enum_oids.add(enum_oid)
    keys: dict[int, list[str]] = {oid: [] for oid in oids}
    cur.execute(_PG_PRIMARY_KEYS, {"oids": oids})
    for relid, name in cur.fetchall():
        keys[relid].append(name)
    partitions: dict[int, list[tuple[str, str]]] = {oid: [] for oid in oids}
    roots = [oid for oid, _schema, _name, partitioned in relations if partitioned]
    if roots:
        cur.execute(_PG_PARTITIONS, {"oids": roots})
        for root, schema, name in cur.fetchall():
            partitions[root].append((schema, name))
    enums: dict[str, list[str]] = {}
    if enum_oids:
        cur.execute(_PG_ENUMS, {"oids": sorted(enum_oids)})
        for type_name, label in cur.fetchall():
            enums.setdefault(type_name, []).append(label)
    return [
        SourceTable(schema, name, tuple(columns[oid]), tuple(keys[oid]), "postgres",
                    {k: list(v) for k, v in enums.items()}, partitioned=bool(partitioned),
                    partitions=tuple(partitions[oid]))
        for oid, schema, name, partitioned in relations
    ]


# --- MySQL / MariaDB --------------------------------------------------------------------------


def _read_mysql(url: SourceUrl) -> list[SourceTable]:
    import pymysql

    conn = connect_mysql(url)
    try:
        with conn.cursor() as cur:
            return _mysql_tables(cur, [url.database] if url.database else None)
    except pymysql.Error as exc:
        raise _read_error(exc, url) from None
    finally:
        conn.close()


_MYSQL_LABELLED = re.compile(r"^(enum|set)(\s*\(.*)$", re.IGNORECASE | re.DOTALL)


def _mysql_type_text(text: str) -> str:
    """COLUMN_TYPE in lower case, as a DDL file's type is read, but an ENUM's or SET's labels as
    written (a plan from the live database and from its dump describe them alike)."""
    m = _MYSQL_LABELLED.match(text)
    return m[1].lower() + m[2] if m else text.lower()


def _mysql_tables(cur: Any, databases: list[str] | None) -> list[SourceTable]:
    args: list[tuple[str, ...]]
    if databases is None:
        where, args = "TABLE_SCHEMA NOT IN %s", [_MYSQL_SYSTEM_DATABASES]
    else:
        where, args = "TABLE_SCHEMA IN %s", [tuple(databases)]
    cur.execute(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
        f"WHERE {where} AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') "
        "ORDER BY TABLE_SCHEMA, TABLE_NAME",
        args,
    )
    names = [(driver_text(s), driver_text(n)) for s, n in cur.fetchall()]
    columns: dict[tuple[str, str], list[SourceColumn]] = {key: [] for key in names}
    cur.execute(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, EXTRA FROM information_schema.COLUMNS "
        f"WHERE {where} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
        args,
    )
    for schema, table, name, type_text, nullable, extra in cur.fetchall():
        key = (driver_text(schema), driver_text(table))
        if key in columns:  # views have columns too
            columns[key].append(SourceColumn(driver_text(name), _mysql_type_text(driver_text(type_text)), driver_text(nullable) == "YES",
                                             _mysql_generated(driver_text(extra or ""))))
    _mariadb_json_columns(cur, where.replace("TABLE_SCHEMA", "CONSTRAINT_SCHEMA"), args, columns)
    keys: dict[tuple[str, str], list[str]] = {key: [] for key in names}
    cur.execute(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        f"WHERE {where} AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX",
        args,
    )
    for schema, table, name in cur.fetchall():
        key = (driver_text(schema), driver_text(table))
        if key in keys:
            keys[key].append(driver_text(name))
    return [SourceTable(s, n, tuple(columns[(s, n)]), tuple(keys[(s, n)]), "mysql") for s, n in names]


_GENERATED_EXTRA = re.compile(r"\b(STORED|PERSISTENT|VIRTUAL)\s+GENERATED\b", re.IGNORECASE)


def _mysql_generated(extra: str) -> str | None:
    """``stored`` / ``virtual`` from information_schema.COLUMNS.EXTRA: MySQL and MariaDB write
    ``STORED GENERATED`` / ``VIRTUAL GENERATED`` (MariaDB's PERSISTENT is STORED). MySQL's
    ``DEFAULT_GENERATED`` (an expression default) is not a generated column."""
    m = _GENERATED_EXTRA.search(extra)
    if not m:
        return None
    return "virtual" if m.group(1).upper() == "VIRTUAL" else "stored"


_JSON_CHECK = re.compile(r"^json_valid\(`((?:[^`]|``)+)`\)$", re.IGNORECASE)


def _mariadb_json_columns(cur: Any, where: str, args: list, columns: dict[tuple[str, str], list[SourceColumn]]) -> None:
    """MariaDB stores JSON as LONGTEXT with a CHECK (json_valid(`col`)): give such columns type json.

    MySQL reports json itself; its CHECK_CONSTRAINTS has no TABLE_NAME, so the query fails there
    and nothing changes.
    """
    try:
        cur.execute(
            f"SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE {where}",
            args,
        )
        rows = cur.fetchall()
    except Exception:  # noqa: BLE001 - not MariaDB: nothing to correct
        return
    for schema, table, clause in rows:
        m = _JSON_CHECK.match(driver_text(clause).strip())
        key = (driver_text(schema), driver_text(table))
        if not m or key not in columns:
            continue
        name = m.group(1).replace("``", "`")
        columns[key] = [replace(c, source_type="json") if c.name == name and c.source_type == "longtext" else c
                        for c in columns[key]]
