"""Whole schema files as pg_dump / mysqldump write them: every statement streamleap needs is read,
the rest is skipped and counted, and nothing is lost silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.sources.ddl import parse_ddl, read_ddl, select_tables
from streamleap.sources.ddl_text import split_statements
from streamleap.errors import UnknownTableError
from streamleap.model.mirror_plan import plan_source
from streamleap.model.source_table import SourceColumn as C

FIXTURES = Path(__file__).parent / "fixtures" / "ddl"


def _plan_json(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["plan", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_pg_dump_file_every_table_accounted_for() -> None:
    doc, stderr = _plan_json("--ddl", str(FIXTURES / "pg_dump_like.sql"), "--dialect", "postgres")
    tables = {t["name"]: t for t in doc["tables"]}
    assert list(tables) == ["film", "measurement", "cities"]
    assert [(r["schema"], r["name"]) for r in doc["refused"]] == [("public", "capitals")]
    assert "no primary key" in doc["refused"][0]["reason"]
    # domains resolve to their base type (nested; NOT NULL kept), enums and extension types map
    film = {c["name"]: c for c in tables["film"]["columns"]}
    assert (film["release_year"]["source_type"], film["release_year"]["redshift_type"], film["release_year"]["nullable"]) == (
        "integer", "INTEGER", True)
    assert (film["n"]["source_type"], film["n"]["nullable"]) == ("integer", False)
    assert film["mail"]["source_type"] == "character varying(320)" and film["mail"]["redshift_type"] == "VARCHAR(1280)"
    assert film["rating"]["redshift_type"] == "VARCHAR(20)"
    assert film["bits"]["source_type"] == "bit varying(16)"
    for name in ("c", "v"):
        assert film[name]["redshift_type"] == "VARCHAR(65535)" and "no Redshift counterpart" in film[name]["note"]
    # generated columns (STORED, and PG 18 VIRTUAL) are left out with the reason, never NULL in every row
    assert [c["name"] for c in tables["film"]["left_out"]] == ["total", "virt"]
    assert "total" not in film and "virt" not in film
    # a partitioned table is one mirror: partitions (attached, sub-partitioned) fold into it
    assert tables["measurement"]["primary_key"] == ["id", "logdate"]
    assert tables["measurement"]["partitions"] == [
        {"schema": "public", "name": "measurement_y2024"},
        {"schema": "public", "name": "measurement_y2025"},
        {"schema": "public", "name": "measurement_y2025_a"},
    ]
    # the summary line counts what was skipped, by kind
    assert "skipped 6 statements" in stderr and "2 CREATE FUNCTION" in stderr and "1 COPY" in stderr


def test_inheritance_child_has_the_inherited_columns_first() -> None:
    (parent, child) = parse_ddl(
        "CREATE TABLE p (id int PRIMARY KEY, name text);\nCREATE TABLE c (state char(2), name text NOT NULL) INHERITS (p);",
        "postgres")
    # inherited columns first, in the parent's order; NOT NULL inherited; the key is not
    assert child.columns == (C("id", "int", False), C("name", "text", False), C("state", "char(2)", True))
    assert child.primary_key == () and not child.partitions and not parent.partitioned
    # the file's own inheritance child is readable; plan refuses it only for its missing key
    result = read_ddl((FIXTURES / "pg_dump_like.sql").read_text(), "postgres")
    capitals = next(t for t in result.tables if t.name == "capitals")
    assert [c.name for c in capitals.columns] == ["name", "population", "state"] and not result.problems


def test_mysqldump_file_versioned_comments_use_and_routines() -> None:
    doc, stderr = _plan_json("--ddl", str(FIXTURES / "mysqldump_like.sql"), "--dialect", "mysql")
    (address,) = doc["tables"]
    # USE sakila gives the unqualified tables their database
    assert (address["schema"], address["name"]) == ("sakila", "address")
    columns = [c["name"] for c in address["columns"]]
    # /*!50705 ... */ is SQL for MySQL 8 (the column exists); /*!90000 ... */ is a comment
    assert columns == ["address_id", "address", "location", "doc", "st", "last_update"]
    doc_col = address["columns"][3]
    assert (doc_col["source_type"], doc_col["redshift_type"]) == ("json", "SUPER")  # MariaDB JSON: LONGTEXT + json_valid
    assert [c["name"] for c in address["left_out"]] == ["full"]  # VIRTUAL is not in the binlog; PERSISTENT is kept
    assert [(r["schema"], r["name"]) for r in doc["refused"]] == [("sakila", "log")]
    assert "1 CREATE TRIGGER" in stderr and "1 CREATE PROCEDURE" in stderr and "client command source" in stderr


@pytest.mark.parametrize("dialect", ["mysql", "postgres"])
def test_one_unreadable_table_does_not_hide_the_others(dialect: str, tmp_path: Path) -> None:
    ddl = tmp_path / "s.sql"
    ddl.write_text("CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (\n  id int PRIMARY KEY,\n  x int\n  y text\n);\n"
                   "CREATE TABLE c AS SELECT 1 AS id;\nCREATE TABLE d (id int);\n")
    doc, _ = _plan_json("--ddl", str(ddl), "--dialect", dialect, "--source-schema", "s")
    assert [t["name"] for t in doc["tables"]] == ["a"]
    reasons = {r["name"]: r["reason"] for r in doc["refused"]}
    assert {r["schema"] for r in doc["refused"]} == {"s"}
    assert list(reasons) == ["b", "c", "d"]
    assert "line 4" in reasons["b"] and "'int y text'" in reasons["b"]
    assert "line 7" in reasons["c"] and "AS SELECT" in reasons["c"]
    assert "no primary key" in reasons["d"]


def test_generate_names_every_refused_table(tmp_path: Path) -> None:
    ddl = tmp_path / "s.sql"
    ddl.write_text("CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (x int);\nCREATE TABLE c (y int);\n")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "dbt_project.yml").write_text("name: p\n")
    args = ["generate", "--project-dir", str(tmp_path / "p"), "--stream", "s", "--ddl", str(ddl), "--dialect", "postgres"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "2 selected table(s) cannot be mirrored" in line and "b:" in line and "c:" in line
    # leaving them out makes the project
    result = CliRunner().invoke(main, [*args, "--exclude-tables", "b,c"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "p" / "models").exists()


def test_exclusions(tmp_path: Path) -> None:
    ddl = tmp_path / "s.sql"
    ddl.write_text("CREATE TABLE customer (id int PRIMARY KEY, email text, ssn text);\nCREATE TABLE audit_2024 (x int);\n"
                   "CREATE TABLE audit_2025 (x int);\n")
    doc, _ = _plan_json("--ddl", str(ddl), "--dialect", "postgres", "--exclude-tables", "audit_*",
                        "--exclude-columns", "customer.email,customer.s*")
    (customer,) = doc["tables"]
    assert [c["name"] for c in customer["columns"]] == ["id"]
    assert [(c["name"], c["reason"]) for c in customer["left_out"]] == [
        ("email", "excluded with --exclude-columns"), ("ssn", "excluded with --exclude-columns")]
    assert doc["refused"] == []
    # a key column cannot be left out
    table = read_ddl("CREATE TABLE t (id int PRIMARY KEY, v int);", "postgres").tables
    result = plan_source(table, exclude_columns=[("t", "id")])
    assert result.tables == [] and "key column id is left out" in result.refused[0].reason


def test_naming_a_partition_points_at_its_table() -> None:
    tables = read_ddl((FIXTURES / "pg_dump_like.sql").read_text(), "postgres").tables
    with pytest.raises(UnknownTableError, match=r"is a partition of public\.measurement; name the partitioned table"):
        select_tables(tables, ["measurement_y2024"])


def test_statement_splitting_edge_cases() -> None:
    text = (
        "CREATE FUNCTION f() RETURNS text AS $body$ SELECT ';' $body$ LANGUAGE sql;\n"
        "/* nested /* comment; */ still; */ CREATE TABLE t (a text DEFAULT E'it\\'s; ok', \"b;\" int);\n"
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES ('x'); END;\n"
        "\\connect db\n"
        "COPY t (a) FROM stdin;\nline; with; semicolons\n\\.\n"
        "SELECT 1"
    )
    statements = [s for s in split_statements(text, "postgres") if s.kind == "sql"]
    assert [s.text.split()[0:2] for s in statements] == [
        ["CREATE", "FUNCTION"], ["CREATE", "TABLE"], ["CREATE", "PROCEDURE"], ["COPY", "t"], ["SELECT", "1"]]
    (table,) = parse_ddl(text, "postgres")
    assert [c.name for c in table.columns] == ["a", "b;"]


def test_mysql_statement_splitting() -> None:
    text = ("# a comment; with a semicolon\nCREATE TABLE t (a varchar(5) DEFAULT 'x\\';y', b int) -- trailing; comment\n;\n"
            "DELIMITER $$\nCREATE FUNCTION f() RETURNS int BEGIN RETURN 1; END$$\nDELIMITER ;\nCREATE TABLE u (c int);")
    tables = parse_ddl(text, "mysql")
    assert [(t.name, [c.name for c in t.columns]) for t in tables] == [("t", ["a", "b"]), ("u", ["c"])]


def test_alter_table_column_changes_as_the_database_applies_them() -> None:
    (table,) = parse_ddl(
        "USE shop; CREATE TABLE t (a int PRIMARY KEY, b int);\n"
        "ALTER TABLE t ADD COLUMN c int AFTER a, ADD d int FIRST, MODIFY b bigint NOT NULL AFTER d, CHANGE c cc varchar(3);\n"
        "ALTER TABLE t DROP COLUMN d; RENAME TABLE t TO u;", "mysql")
    assert (table.schema, table.name) == ("shop", "u")
    assert table.columns == (C("b", "bigint", False), C("a", "int", False), C("cc", "varchar(3)", True))
    (table,) = parse_ddl(
        "CREATE TABLE t (a int, b text);\nALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n"
        "ALTER TABLE t ALTER COLUMN b SET NOT NULL, ALTER COLUMN b TYPE varchar(9) USING b::varchar;\n"
        "ALTER TABLE t RENAME COLUMN b TO c; ALTER TABLE t SET SCHEMA app; ALTER TABLE app.t RENAME TO v;", "postgres")
    assert (table.schema, table.name, table.primary_key) == ("app", "v", ("a",))
    assert table.columns == (C("a", "int", False), C("c", "varchar(9)", False))
    (table,) = parse_ddl("CREATE TABLE t (a int, b int, CONSTRAINT t_pkey PRIMARY KEY (a));\n"
                         "ALTER TABLE t DROP CONSTRAINT t_pkey;", "postgres")
    assert table.primary_key == ()


# --- a big schema file ------------------------------------------------------------------------


def write_big_dump(path: Path, dialect: str, tables: int) -> int:
    """A dump-like file of ``tables`` tables, about 2 KB each (CREATE TABLE, the key, an index,
    a comment, a routine, a view, INSERTs, COPY data in Postgres), then one INSERT of many rows
    as large as a fifth of the file (an extended INSERT); returns the file's size in bytes."""
    with path.open("w", encoding="utf-8") as out:
        if dialect == "postgres":
            out.write("SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n")
        else:
            out.write("/*!40101 SET NAMES utf8mb4 */;\nUSE `shop`;\n")
        for n in range(1, tables + 1):
            out.write(_pg_table(n) if dialect == "postgres" else _mysql_table(n))
        row = "(1, 'a name; with (parens)', 'it''s', 12.50)"
        rows = path.stat().st_size // 5 // (len(row) + 2) + 1
        out.write(f"INSERT INTO {'public.' if dialect == 'postgres' else ''}t1 VALUES " + ", ".join([row] * rows) + ";\n")
    return path.stat().st_size


def _pg_table(n: int) -> str:
    t = f"public.t{n}"
    return (
        f"CREATE TABLE {t} (\n    id bigint NOT NULL,\n    name character varying(80),\n"
        f"    \"Note\" text DEFAULT 'a;b' NOT NULL,\n    price numeric(12,2),\n    tags text[],\n"
        f"    created_at timestamp with time zone DEFAULT now()\n);\n"
        f"ALTER TABLE ONLY {t}\n    ADD CONSTRAINT t{n}_pkey PRIMARY KEY (id);\n"
        f"CREATE INDEX t{n}_name_idx ON {t} USING btree (name);\n"
        f"COMMENT ON TABLE {t} IS 'table number {n}; it has a comment';\n"
        f"CREATE FUNCTION public.f{n}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"  NEW.name := upper(NEW.name); -- keep; names\n  RETURN NEW;\nEND;\n$$;\n"
        f"CREATE VIEW public.v{n} AS\n SELECT id, name FROM {t} WHERE price > 0;\n"
        f"INSERT INTO {t} (id, name, \"Note\", price) VALUES "
        + ", ".join(f"({k}, 'name {k}', E'it\\'s; {k}', {k}.50)" for k in range(8)) + ";\n"
        f"COPY {t} (id, name, \"Note\", price, tags, created_at) FROM stdin;\n"
        + "".join(f"{k}\tname {k}\tnote; with 'quotes' $$ and /* not a comment\t{k}.25\t{{a,b}}\t2024-01-01 00:00:00+00\n"
                  for k in range(10, 20))
        + "\\.\n\n"
    )


def _mysql_table(n: int) -> str:
    t = f"`t{n}`"
    return (
        f"DROP TABLE IF EXISTS {t};\n/*!40101 SET @saved_cs_client = @@character_set_client */;\n"
        f"CREATE TABLE {t} (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `name` varchar(80) DEFAULT 'a;b',\n"
        f"  `price` decimal(12,2) DEFAULT NULL,\n  `doc` json DEFAULT NULL,\n  /*!50705 `pt` point DEFAULT NULL,*/\n"
        f"  `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),\n  PRIMARY KEY (`id`),\n  KEY `name_idx` (`name`)\n"
        f") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='table {n}; with a comment';\n"
        f"LOCK TABLES {t} WRITE;\n/*!40000 ALTER TABLE {t} DISABLE KEYS */;\n"
        f"INSERT INTO {t} VALUES "
        + ",".join(f"({k},'name {k}; \\'quoted\\' /* not a comment',{k}.50,'{{\\\"a\\\": {k}}}',NULL,'2024-01-01 00:00:00')"
                   for k in range(12)) + ";\n"
        f"/*!40000 ALTER TABLE {t} ENABLE KEYS */;\nUNLOCK TABLES;\n"
        f"DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER `t{n}_bi` BEFORE INSERT ON {t} "
        f"FOR EACH ROW BEGIN\n  SET NEW.name = upper(NEW.name); -- keep; names\nEND */;;\nDELIMITER ;\n\n"
    )


def _read_t1(path: Path, dialect: str) -> float:
    """CPU seconds of this process to read the file and select t1 (as ``plan --tables t1``
    does); the garbage collector is off meanwhile (its passes grow with the heap of the test
    process, not with the reader's work)."""
    import gc
    import time

    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        result = read_ddl(path.read_text(encoding="utf-8"), dialect, str(path))
        (t1,) = select_tables(result.tables, ["t1"])
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    assert [c.name for c in t1.columns][:2] == ["id", "name"] and t1.primary_key == ("id",)
    return elapsed


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_big_file_costs_linear_time(dialect: str, tmp_path: Path) -> None:
    """Not a timing test: a file eight times the size takes less than sixteen times as long to
    read (linear work takes eight; the quadratic line counting this replaced took far more)."""
    small, large = tmp_path / "small.sql", tmp_path / "large.sql"
    small_size = write_big_dump(small, dialect, 250)
    large_size = write_big_dump(large, dialect, 2000)
    assert 500_000 < small_size < 800_000 and large_size > 7.5 * small_size
    _read_t1(small, dialect)  # warm up: imports, regular expressions
    ratio = _read_t1(large, dialect) / min(_read_t1(small, dialect) for _ in range(3))
    assert ratio < 16, f"a file 8x larger took {ratio:.1f}x as long"


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_big_file_memory_is_a_small_multiple_of_the_file(dialect: str, tmp_path: Path) -> None:
    """The tokens of a statement streamleap skips (an extended INSERT of a fifth of the file) are
    never all held: at its peak, reading takes less than eight times the file's size."""
    import tracemalloc

    path = tmp_path / "dump.sql"
    size = write_big_dump(path, dialect, 150)
    text = path.read_text(encoding="utf-8")
    tracemalloc.start()
    try:
        result = read_ddl(text, dialect, str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result.tables) == 150 and not result.problems
    assert peak < 8 * size, f"peak {peak / size:.1f}x the file's size"
