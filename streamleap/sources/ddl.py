"""Read the tables of a whole MySQL or Postgres schema file into SourceTable models.

A real file (``pg_dump --schema-only``, ``mysqldump --no-data --routines --triggers``, a Rails
``structure.sql``, a hand-written schema) is split into statements the way the database's client
splits it (``ddl_text``), and each statement is read only if streamleap needs it:

* ``CREATE TABLE`` (columns in order, each type as written, NOT NULL, inline / table-level /
  named primary keys, generated and identity columns, ``LIKE``, ``INHERITS``, ``PARTITION OF``,
  ``PARTITION BY``); ``DROP TABLE``;
* ``ALTER TABLE``: ADD/DROP PRIMARY KEY or its constraint, ADD/DROP/ALTER/RENAME COLUMN,
  ATTACH/DETACH PARTITION, INHERIT, RENAME TO (pg_dump declares every key that way);
* Postgres ``CREATE TYPE ... AS ENUM`` (labels), ``CREATE DOMAIN`` (resolved to the base type,
  keeping NOT NULL), ``SET search_path`` / ``set_config('search_path', ...)``;
* MySQL ``USE db`` (unqualified tables belong to that database).

Everything else (function and procedure bodies, triggers, views, grants, comments, indexes,
sequences, data, client commands) is skipped and counted by kind (``DdlFile.skipped``). A
statement streamleap needs and cannot read refuses that table, naming the line and the reason;
the other tables are still read.

A column's ``source_type`` is its type as written (whitespace folded, unquoted words lower-cased,
arguments as written), e.g. ``int(11) unsigned zerofill``, ``enum('A','b')``,
``timestamp with time zone``, ``integer[]``. A Postgres user-defined type is named the way
``format_type()`` names it (``public.mood`` -> ``mood``, ``"Sales"."Status"[]``), so a dump and the
live database give the same plan. A declaratively partitioned table is one table whose
``partitions`` are its partitions at every level; inheritance children are tables of their own,
with the columns they inherit first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from streamleap.sources.ddl_text import LineIndex, Statement, Token, split_statements, tokenize
from streamleap.errors import DDLParseError, UnknownTableError, UnsupportedTypeError
from streamleap.model.source_table import DIALECTS, SourceColumn, SourceTable
from streamleap.model.type_mapping import map_type

__all__ = ["DdlFile", "Problem", "read_ddl", "parse_ddl", "select_tables", "DEFAULT_POSTGRES_SCHEMA"]

# Where Postgres creates a table whose name is not qualified (the default search_path).
DEFAULT_POSTGRES_SCHEMA = "public"

# Names Postgres' format_type() shows double-quoted even when lower-case (keywords).
_PG_QUOTED_WORDS = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
    boolean both case cast char character check coalesce collate collation column concurrently
    constraint create cross current_catalog current_date current_role current_schema current_time
    current_timestamp current_user dec decimal default deferrable desc distinct do else end except
    exists extract false fetch float for foreign freeze from full grant greatest group grouping
    having ilike in initially inner inout int integer intersect interval into is isnull join
    lateral leading least left like limit localtime localtimestamp national nchar none normalize
    not notnull null nullif numeric offset on only or order out outer overlaps overlay placing
    position precision primary real references returning right row select session_user setof
    similar smallint some substring symmetric system_user table tablesample then time timestamp
    to trailing treat trim true union unique user using values varchar variadic verbose when
    where window with""".split()
)
_PG_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_$]*\Z")

# Words that end a column's type: the column constraints and attributes of MySQL / MariaDB and
# Postgres. CHARACTER ends it only before SET; WITH / WITHOUT unless TIME ZONE follows.
_TYPE_END_WORDS = frozenset(
    """not null default primary unique key references check constraint generated as
    auto_increment comment collate charset on identity visible invisible
    column_format storage srid compression deferrable initially stored virtual persistent
    engine_attribute secondary_engine_attribute options first after""".split()
)
_SERIAL_TYPES = {"postgres": ("serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"), "mysql": ("serial",)}
_TABLE_CONSTRAINT_WORDS = {
    "postgres": frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE"}),
    "mysql": frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK", "LIKE"}),
}
# ALTER TABLE ... ADD <one of these>: not a column
_ADD_NOT_A_COLUMN = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "FOREIGN", "CHECK",
                               "EXCLUDE", "PARTITION", "PERIOD", "SYSTEM", "GENERATED"})
# A statement is told by its first tokens: CREATE's object kind is among the first 16.
_HEAD_TOKENS = 16
# Object kinds after CREATE; the first of these among the leading words names the statement.
_OBJECT_KINDS = (
    "TABLE VIEW FUNCTION PROCEDURE TRIGGER EVENT INDEX SEQUENCE TYPE DOMAIN SCHEMA DATABASE EXTENSION "
    "ROLE USER RULE POLICY AGGREGATE OPERATOR CAST COLLATION CONVERSION PUBLICATION SUBSCRIPTION SERVER "
    "STATISTICS TABLESPACE TRANSFORM LANGUAGE ACCESS TEXT SPATIAL LOGFILE"
).split()


@dataclass(frozen=True)
class Problem:
    """A table the file creates that cannot be read as written."""

    schema: str | None
    name: str
    reason: str

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass
class DdlFile:
    """What a schema file holds for streamleap: tables, tables it cannot read, what it skipped."""

    path: str
    dialect: str
    tables: list[SourceTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, kind)
    statements: int = 0

    def skipped_kinds(self) -> Counter:
        return Counter(kind for _line, kind in self.skipped)

    def summary(self) -> str:
        """One line: what was read, and what was skipped by kind."""
        partitions = sum(len(t.partitions) for t in self.tables)
        read = f"{self.path}: {self.statements} statements, {len(self.tables) + len(self.problems)} tables"
        if partitions:
            read += f" ({partitions} partitions folded into their parent tables)"
        kinds = self.skipped_kinds()
        if not kinds:
            return read + "; nothing skipped"
        listed = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        return f"{read}; skipped {len(self.skipped)} statements streamleap does not need ({listed}); --verbose lists them"


# --- drafts -----------------------------------------------------------------------------------


class _Unreadable(Exception):
    """A statement streamleap needs cannot be read: the offset and the reason."""

    def __init__(self, offset: int | None, reason: str, name: bool = False):
        super().__init__(reason)
        self.offset, self.reason = offset, reason
        self.name = name  # the table name itself cannot be read: a CREATE TABLE then stops the file


@dataclass
class _Column:
    name: str
    source_type: str
    nullable: bool = True
    generated: str | None = None
    json_check: bool = False


@dataclass
class _Draft:
    schema: str | None
    name: str
    offset: int
    columns: list[_Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    pk_constraint: str | None = None
    partition_of: tuple[str | None, str] | None = None
    partitioned: bool = False
    inherits: list[tuple[str | None, str]] = field(default_factory=list)
    like: tuple[tuple[str | None, str], bool] | None = None  # (source table, copy its key)
    json_checks: set[str] = field(default_factory=set)
    problem: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.schema, self.name)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def find(self, name: str, dialect: str) -> _Column | None:
        for c in self.columns:
            if _same_name(c.name, name, dialect):
                return c
        return None


class _Drafts(dict):
    """The tables read so far by (schema, name), and by name alone (a name without its schema
    is looked up without going through every table)."""

    def __init__(self, dialect: str):
        super().__init__()
        self.fold = str.lower if dialect == "mysql" else (lambda name: name)
        self.by_name: dict[str, dict[tuple[str | None, str], _Draft]] = {}

    def __setitem__(self, key: tuple[str | None, str], draft: _Draft) -> None:
        super().__setitem__(key, draft)
        self.by_name.setdefault(self.fold(key[1]), {})[key] = draft

    def __delitem__(self, key: tuple[str | None, str]) -> None:
        super().__delitem__(key)
        self.by_name.get(self.fold(key[1]), {}).pop(key, None)

    def named(self, name: str) -> list[_Draft]:
        return list(self.by_name.get(self.fold(name), {}).values())


# --- the reader -------------------------------------------------------------------------------


def read_ddl(text: str, dialect: str, path: str = "<ddl>", default_schema: str | None = None) -> DdlFile:
    """Read a whole schema file. Raises DDLParseError only when the file itself cannot be read
    (an unterminated quote or comment, a CREATE TABLE without a readable name, no table at all);
    a table that cannot be read is in ``problems``.

    Every table has a schema: the one its name is qualified with, else the file's ``USE db`` /
    ``search_path`` before it, else ``default_schema``, else (Postgres) ``public``, where Postgres
    creates an unqualified table by default. A MySQL table the file does not place in a database
    keeps ``schema`` None: its database is not in the file (the caller asks for it; a mirror is
    never made without one, see ``plan.MirrorTable.table_spec``).
    """
    if dialect not in DIALECTS:
        raise DDLParseError(f"{path}: unknown DDL dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    if default_schema is None and dialect == "postgres":
        default_schema = DEFAULT_POSTGRES_SCHEMA
    reader = _Reader(text.replace("\ufeff", " "), dialect, path, default_schema)
    result = reader.read()
    if not result.tables and not result.problems:
        raise DDLParseError(
            f"{path}: no CREATE TABLE statement found; give a file with the {dialect} CREATE TABLE statements of the source tables"
        )
    return result


def parse_ddl(text: str, dialect: str, path: str = "<ddl>", default_schema: str | None = None) -> list[SourceTable]:
    """The tables of a schema file, in file order; raises DDLParseError (one line naming the path
    and line) when a table cannot be read. Schemas as ``read_ddl`` gives them."""
    result = read_ddl(text, dialect, path, default_schema)
    if result.problems:
        first = result.problems[0]
        raise DDLParseError(f"{path}: {first.reason}")
    return result.tables


class _Reader:
    def __init__(self, text: str, dialect: str, path: str, default_schema: str | None = None):
        self.text, self.dialect, self.path = text, dialect, path
        self.default_schema = default_schema  # of the tables no name, USE or search_path places
        self.drafts = _Drafts(dialect)
        self.problems: list[Problem] = []
        self.enums: dict[str, list[str]] = {}
        self.domains: dict[str, tuple[str, bool]] = {}  # name -> (base type, NOT NULL)
        self.composites: dict[str, list[tuple[str, str]]] = {}  # name -> [(attribute, type)]
        self.schema: str | None = None  # USE db / search_path
        self.skipped: list[tuple[int, str]] = []
        self._previous_columns: list[_Column] = []
        self.lines = LineIndex(text)

    def where(self, offset: int | None) -> str:
        if offset is None:
            return ""
        return f"line {self.lines.line(offset)}, column {self.lines.column(offset)}: "

    def read(self) -> DdlFile:
        statements = split_statements(self.text, self.dialect, self.path)
        for stmt in statements:
            self._statement(stmt)
        tables = self._finish()
        return DdlFile(self.path, self.dialect, tables, self.problems, self.skipped, len(statements))

    def _skip(self, stmt: Statement, kind: str) -> None:
        self.skipped.append((self.lines.line(stmt.start), kind))

    def _statement(self, stmt: Statement) -> None:
        if stmt.kind == "client":
            words = stmt.text.split()
            if self.dialect == "mysql" and words and words[0].lower() == "use" and len(words) > 1:
                self.schema = words[1].rstrip(";").strip("`")
                return
            if words and words[0].lower() != "delimiter":  # DELIMITER is read (by the splitter)
                self._skip(stmt, "client command " + words[0].lower())
            return
        first = tokenize(stmt, self.dialect, limit=_HEAD_TOKENS)
        if not first:
            return
        if not self._needed(first):
            self._skip(stmt, _kind_of(first))  # data, bodies, views...: never tokenized whole
            return
        tokens = tokenize(stmt, self.dialect)
        head = tokens[0].upper
        try:
            if head == "CREATE":
                self._create(stmt, tokens)
            elif head == "ALTER" and len(tokens) > 1 and tokens[1].is_word("TABLE"):
                self._alter_table(tokens)
            elif head == "DROP" and len(tokens) > 1 and tokens[1].is_word("TABLE"):
                self._drop_table(tokens)
            elif head == "RENAME" and len(tokens) > 1 and tokens[1].is_word("TABLE"):
                self._rename_tables(tokens)
            elif head == "USE" and self.dialect == "mysql" and len(tokens) > 1:
                self.schema = tokens[1].value
            elif head in ("SET", "SELECT") and self._search_path(tokens):
                pass
            else:
                self._skip(stmt, _kind_of(tokens))
        except _Unreadable as exc:
            if exc.name and _kind_of(tokens) == "CREATE TABLE":
                raise DDLParseError(f"{self.path}: {self.where(exc.offset)}{exc.reason}") from None
            self._alter_problem(tokens, exc)

    def _needed(self, first: list[Token]) -> bool:
        """From a statement's first tokens: is it one streamleap reads (else it is skipped)?"""
        head = first[0].upper
        second = first[1] if len(first) > 1 else None
        if head == "CREATE":
            kind = next((t.upper for t in first[1:] if t.kind == "word" and t.upper in _OBJECT_KINDS), "")
            return kind in ("TABLE", "TYPE", "DOMAIN", "SCHEMA", "DATABASE", "SEQUENCE")
        if head in ("ALTER", "DROP", "RENAME"):
            return second is not None and second.is_word("TABLE")
        if head in ("USE", "SET"):
            return True
        if head == "SELECT":
            return any(t.kind == "word" and t.text.lower() == "set_config" for t in first)
        return False

    def _alter_problem(self, tokens: list[Token], exc: _Unreadable) -> None:
        """An ALTER TABLE (or CREATE TYPE/DOMAIN) that cannot be read: the table it names is refused."""
        draft = None
        if tokens[0].is_word("ALTER"):
            try:
                name, _ = self._name_after(tokens, 2, skip=("IF", "EXISTS", "ONLY"))
                draft = self._lookup(name)
            except _Unreadable:
                draft = None
        reason = f"{self.where(exc.offset)}{exc.reason}"
        if draft is not None and draft.problem is None:
            draft.problem = reason
        elif draft is None:
            self.skipped.append((self.lines.line(tokens[0].start), f"unreadable {_kind_of(tokens)} ({exc.reason})"))

    # --- names ---

    def _fold(self, token: Token) -> str:
        if token.kind == "word" and self.dialect == "postgres":
            return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in token.value)
        return token.value

    def _name_after(self, tokens: list[Token], i: int, skip: tuple[str, ...] = ()) -> tuple[tuple[str | None, str], int]:
        """A qualified name starting at ``i`` (after optional words in ``skip``): ((schema, name), next index)."""
        while i < len(tokens) and tokens[i].kind == "word" and tokens[i].upper in skip:
            i += 1
        parts: list[str] = []
        while i < len(tokens) and tokens[i].kind in ("word", "qident"):
            parts.append(self._fold(tokens[i]))
            i += 1
            if i < len(tokens) and tokens[i].text == "." and i + 1 < len(tokens) and tokens[i + 1].kind in ("word", "qident"):
                i += 1
                continue
            break
        if not parts:
            offset = tokens[i].start if i < len(tokens) else tokens[-1].start
            raise _Unreadable(offset, "cannot read the table name here; check the statement", name=True)
        schema = parts[-2] if len(parts) > 1 else self.schema
        return (schema, parts[-1]), i

    def _lookup(self, name: tuple[str | None, str]) -> _Draft | None:
        if name in self.drafts:
            return self.drafts[name]
        schema, table = name
        same = [d for d in self.drafts.named(table) if _same_table(d.name, table, self.dialect)
                and (schema is None or d.schema is None or _same_table(d.schema, schema, self.dialect))]
        return same[0] if len(same) == 1 else None

    def _search_path(self, tokens: list[Token]) -> bool:
        """SET search_path = a, b / set_config('search_path', 'a, b', ...): unqualified names go to a."""
        words = [t.value for t in tokens]
        if tokens[0].is_word("SET"):
            rest = [t for t in tokens[1:] if not t.is_word("SESSION", "LOCAL")]
            if not rest or rest[0].value.lower() != "search_path":
                return False
            names = [self._fold(t) if t.kind != "string" else t.value for t in rest[1:] if t.kind in ("word", "qident", "string")
                     and not t.is_word("TO", "DEFAULT")]
        else:
            if "set_config" not in [w.lower() for w in words]:
                return False
            strings = [t.value for t in tokens if t.kind == "string"]
            if len(strings) < 2 or strings[0].lower() != "search_path":
                return False
            names = [n.strip().strip('"') for n in strings[1].split(",")]
        names = [n for n in names if n and n not in ("$user", "pg_catalog")]
        self.schema = names[0] if names else None
        return True

    # --- CREATE ---

    def _create(self, stmt: Statement, tokens: list[Token]) -> None:
        kind_index = next((i for i, t in enumerate(tokens[1:16], 1) if t.kind == "word" and t.upper in _OBJECT_KINDS), None)
        kind = tokens[kind_index].upper if kind_index else ""
        modifiers = {t.upper for t in tokens[1:kind_index or 1] if t.kind == "word"}
        if kind == "TABLE" and not modifiers & {"TEMP", "TEMPORARY", "FOREIGN"}:
            self._create_table(tokens, kind_index + 1)  # type: ignore[operator]
        elif kind == "TYPE" and self.dialect == "postgres":
            self._create_type(stmt, tokens, kind_index + 1)  # type: ignore[operator]
        elif kind == "DOMAIN" and self.dialect == "postgres":
            self._create_domain(tokens, kind_index + 1)  # type: ignore[operator]
        elif kind == "SCHEMA" and self.dialect == "postgres":
            self._create_schema(stmt, tokens, kind_index + 1)  # type: ignore[operator]
        elif kind in ("SCHEMA", "DATABASE", "SEQUENCE"):
            return  # read, nothing to keep
        else:
            self._skip(stmt, _kind_of(tokens))

    def _create_schema(self, stmt: Statement, tokens: list[Token], i: int) -> None:
        """CREATE SCHEMA s [AUTHORIZATION r] CREATE TABLE ... CREATE VIEW ...: the elements
        are statements of their own, in schema s."""
        while i < len(tokens) and tokens[i].is_word("IF", "NOT", "EXISTS"):
            i += 1
        if i < len(tokens) and tokens[i].is_word("AUTHORIZATION"):
            schema = self._fold(tokens[i + 1]) if i + 1 < len(tokens) else None
        else:
            schema = self._fold(tokens[i]) if i < len(tokens) else None
        starts = [k for k in range(i + 1, len(tokens)) if tokens[k].is_word("CREATE") and _depth(tokens, k) == 0]
        if not starts:
            return
        saved, self.schema = self.schema, schema
        try:
            for a, b in zip(starts, [*starts[1:], len(tokens)], strict=True):
                try:
                    self._create(stmt, tokens[a:b])
                except _Unreadable as exc:
                    self._alter_problem(tokens[a:b], exc)
        finally:
            self.schema = saved

    def _create_table(self, tokens: list[Token], i: int) -> None:
        name, i = self._name_after(tokens, i, skip=("IF", "NOT", "EXISTS"))
        draft = _Draft(name[0], name[1], tokens[0].start)
        previous = self.drafts.get(draft.key)
        if previous is not None:
            if any(t.is_word("EXISTS") for t in tokens[:i]):
                return  # CREATE TABLE IF NOT EXISTS of a table already created
            previous.problem = previous.problem or (
                f"{self.where(tokens[0].start)}table {draft.qualified_name} is created twice in this file "
                f"(first at line {self.lines.line(previous.offset)}); keep one CREATE TABLE per table")
            return
        self.drafts[draft.key] = draft
        try:
            self._table_body(draft, tokens, i)
        except _Unreadable as exc:
            draft.problem = f"{self.where(exc.offset)}{exc.reason}"

    def _table_body(self, draft: _Draft, tokens: list[Token], i: int) -> None:
        n = len(tokens)
        if i < n and tokens[i].is_word("PARTITION") and i + 1 < n and tokens[i + 1].is_word("OF"):
            parent, i = self._name_after(tokens, i + 2)
            draft.partition_of = parent
            draft.partitioned = any(t.is_word("PARTITION") and k + 1 < n and tokens[k + 1].is_word("BY")
                                    for k, t in enumerate(tokens[i:], i))
            return
        if i < n and tokens[i].is_word("LIKE"):  # MySQL: CREATE TABLE a LIKE b (copies columns and keys)
            source, _ = self._name_after(tokens, i + 1)
            draft.like = (source, True)
            return
        if i < n and tokens[i].is_word("OF"):  # a typed table: the composite type's attributes are its columns
            type_name, i = self._name_after(tokens, i + 1)
            attributes = self.composites.get(_pg_type_key(type_name))
            if attributes is None:
                raise _Unreadable(tokens[i - 1].start, f"table {draft.qualified_name} is a typed table OF {_qualified(type_name)}, "
                                                       "a type this file does not create; plan it from the live database (--source-url)")
            draft.columns = [_Column(name, typ) for name, typ in attributes]
            if i < n and tokens[i].text == "(":
                keys: list[tuple[list[Token], int]] = []
                for element in _split_commas(tokens[i + 1:_closing(tokens, i)]):
                    column = draft.find(self._fold(element[0]), self.dialect) if element[0].kind in ("word", "qident") else None
                    if column is not None and not element[0].is_word("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "EXCLUDE", "FOREIGN"):
                        # col [WITH OPTIONS] NOT NULL / DEFAULT ... / PRIMARY KEY
                        words = [t.upper for t in element[1:] if t.kind == "word"]
                        column.nullable = column.nullable and "NOT NULL" not in " ".join(words)
                        if "PRIMARY KEY" in " ".join(words):
                            keys.append(([element[0]], element[0].start))
                    else:
                        self._element(draft, element, keys)
                if keys:
                    draft.primary_key = self._key_columns(draft, keys[0][0], keys[0][1])
            return
        if i < n and (tokens[i].is_word("AS") or tokens[i].is_word("SELECT")):
            raise _Unreadable(tokens[i].start, f"table {draft.qualified_name} is created AS SELECT: its columns are not written "
                                               "in the file; plan it from the live database (--source-url)")
        if i >= n or tokens[i].text != "(":
            raise _Unreadable(tokens[i].start if i < n else tokens[-1].start,
                              f"table {draft.qualified_name}: expected the column list in parentheses")
        close = _closing(tokens, i)
        keys = []
        for element in _split_commas(tokens[i + 1:close]):
            self._element(draft, element, keys)
        if len(keys) > 1:
            raise _Unreadable(keys[1][1], f"table {draft.qualified_name} declares more than one primary key; keep one")
        if keys:
            draft.primary_key = self._key_columns(draft, keys[0][0], keys[0][1])
        rest = tokens[close + 1:]
        for k, t in enumerate(rest):
            if t.is_word("INHERITS") and k + 1 < len(rest) and rest[k + 1].text == "(":
                end = _closing(rest, k + 1)
                for part in _split_commas(rest[k + 2:end]):
                    parent, _ = self._name_after(part, 0)
                    draft.inherits.append(parent)
            elif t.is_word("PARTITION") and k + 1 < len(rest) and rest[k + 1].is_word("BY") and self.dialect == "postgres":
                draft.partitioned = True

    def _element(self, draft: _Draft, element: list[Token], keys: list[tuple[list[Token], int]]) -> None:
        first = element[0]
        constraint_words = _TABLE_CONSTRAINT_WORDS[self.dialect]
        is_constraint = first.kind == "word" and first.upper in constraint_words
        if first.is_word("EXCLUDE") and not (len(element) > 1 and (element[1].is_word("USING") or element[1].text == "(")):
            is_constraint = False  # a column named exclude
        if self.dialect == "mysql" and first.is_word("PERIOD") and len(element) > 1 and element[1].is_word("FOR"):
            return  # MariaDB: PERIOD FOR SYSTEM_TIME (...)
        if not is_constraint:
            column, inline_key = self._column(draft, element)
            if draft.find(column.name, self.dialect):
                raise _Unreadable(first.start, f"table {draft.qualified_name}: column {column.name} is declared twice; rename one")
            draft.columns.append(column)
            if inline_key:
                keys.append(([first], first.start))
            return
        if first.is_word("LIKE"):  # Postgres (LIKE other [INCLUDING ...])
            source, _ = self._name_after(element, 1)
            including = {t.upper for t in element if t.kind == "word"}
            draft.like = (source, bool(including & {"ALL", "INDEXES"}))
            return
        body = element[2:] if first.is_word("CONSTRAINT") and len(element) > 2 else element
        if body and body[0].is_word("PRIMARY"):
            paren = next((k for k, t in enumerate(body) if t.text == "("), None)
            if paren is None:
                raise _Unreadable(body[0].start, f"table {draft.qualified_name}: cannot read the PRIMARY KEY column list")
            keys.append((body[paren + 1:_closing(body, paren)], body[0].start))
            if first.is_word("CONSTRAINT"):
                draft.pk_constraint = self._fold(element[1])
        elif body and body[0].is_word("CHECK"):
            name = _json_valid_column(body)
            if name:
                draft.json_checks.add(name)

    def _column(self, draft: _Draft, element: list[Token]) -> tuple[_Column, bool]:
        name_token = element[0]
        if name_token.kind not in ("word", "qident"):
            raise _Unreadable(name_token.start, f"table {draft.qualified_name}: cannot read a column name at {name_token.text!r}")
        name = self._fold(name_token)
        end = _type_end(element, 1)
        if end == 1:
            raise _Unreadable(name_token.start, f"table {draft.qualified_name}: column {name} has no type; give every column a type")
        source_type = self._type_text(element[1:end])
        try:
            map_type(source_type, self.dialect, fallback=True)
        except UnsupportedTypeError as exc:
            raise _Unreadable(element[1].start, f"table {draft.qualified_name}, column {name}: cannot read the type "
                                                f"{source_type!r} ({exc.hint})") from None
        column = _Column(name, source_type)
        inline_key = False
        rest = element[end:]
        depth = 0
        for k, t in enumerate(rest):
            if t.text in ("(", "["):
                depth += 1
                continue
            if t.text in (")", "]"):
                depth -= 1
                continue
            if depth or t.kind != "word":
                continue
            nxt = rest[k + 1] if k + 1 < len(rest) else None
            prev = rest[k - 1] if k > 0 else None
            word = t.upper
            if word == "NOT" and nxt is not None and nxt.is_word("NULL"):
                column.nullable = False
            elif word == "PRIMARY" and nxt is not None and nxt.is_word("KEY"):
                inline_key = True
            elif word == "KEY" and self.dialect == "mysql" and not (prev is not None and prev.is_word("PRIMARY", "UNIQUE")):
                inline_key = True  # MySQL: a bare KEY attribute is PRIMARY KEY
            elif word == "AS" and nxt is not None:
                if nxt.is_word("IDENTITY"):
                    column.nullable = False  # Postgres identity columns are NOT NULL
                elif nxt.text == "(" and (self.dialect == "mysql" or (prev is not None and prev.is_word("ALWAYS"))):
                    after = rest[_closing(rest, k + 1) + 1:]
                    stored = any(a.is_word("STORED", "PERSISTENT") for a in after)
                    column.generated = "stored" if stored else "virtual"
            elif word == "CHECK" and self.dialect == "mysql":
                checked = _json_valid_column(rest[k:])
                if checked is not None and _same_name(checked, name, "mysql"):
                    column.json_check = True
        if source_type.split("(")[0].strip() in _SERIAL_TYPES[self.dialect]:
            column.nullable = False
        return column, inline_key

    def _type_text(self, tokens: list[Token]) -> str:
        """The type as written: one space where the file had whitespace, unquoted words
        lower-cased outside parentheses; a Postgres user-defined name as format_type() names it."""
        if self.dialect == "postgres" and len(tokens) > 2 and tokens[1].text == "." and tokens[0].kind in ("word", "qident") \
                and self._fold(tokens[0]) in ("public", "pg_catalog"):
            tokens = tokens[2:]
        parts: list[str] = []
        depth = 0
        previous_end: int | None = None
        for token in tokens:
            if previous_end is not None and token.start > previous_end:
                parts.append(" ")
            if token.text in ("(", "["):
                depth += 1
            elif token.text in (")", "]"):
                depth = max(depth - 1, 0)
            if token.kind == "qident":
                parts.append(_pg_quote(token.value) if self.dialect == "postgres" else token.text)
            elif token.kind == "word" and (depth == 0 or self.dialect == "mysql"):
                parts.append(token.text.lower())
            else:
                parts.append(token.text)
            previous_end = token.start + len(token.text)
        return "".join(parts)

    def _key_columns(self, draft: _Draft, parts: list[Token], offset: int) -> list[str]:
        names: list[str] = []
        for element in _split_commas(parts):
            ident = element[0]
            if ident.kind not in ("word", "qident"):
                raise _Unreadable(ident.start, f"table {draft.qualified_name}: cannot read primary key part {ident.text!r}")
            wanted = self._fold(ident)
            column = draft.find(wanted, self.dialect)
            if column is None and draft.partition_of is None and not draft.inherits and draft.like is None:
                raise _Unreadable(ident.start, f"table {draft.qualified_name}: primary key column {wanted} is not a column "
                                               "of the table; fix the PRIMARY KEY column list")
            names.append(column.name if column else wanted)
        return names

    def _create_type(self, stmt: Statement, tokens: list[Token], i: int) -> None:
        name, i = self._name_after(tokens, i)
        if i + 2 < len(tokens) and tokens[i].is_word("AS") and tokens[i + 1].is_word("ENUM") and tokens[i + 2].text == "(":
            end = _closing(tokens, i + 2)
            labels = [t.value for t in tokens[i + 3:end] if t.kind == "string"]
            self.enums[_pg_type_key(name)] = labels
        elif i + 1 < len(tokens) and tokens[i].is_word("AS") and tokens[i + 1].text == "(":
            attributes = []
            for element in _split_commas(tokens[i + 2:_closing(tokens, i + 1)]):
                end = _type_end(element, 1)
                if element[0].kind in ("word", "qident") and end > 1:
                    attributes.append((self._fold(element[0]), self._type_text(element[1:end])))
            self.composites[_pg_type_key(name)] = attributes
        # range and base types, and columns of composite types: they fall back to their text form

    def _create_domain(self, tokens: list[Token], i: int) -> None:
        name, i = self._name_after(tokens, i)
        if i < len(tokens) and tokens[i].is_word("AS"):
            i += 1
        end = _type_end(tokens, i, extra=("CHECK", "CONSTRAINT", "DEFAULT", "COLLATE", "NOT", "NULL"))
        if end == i:
            raise _Unreadable(tokens[i].start if i < len(tokens) else tokens[-1].start, "cannot read the domain's base type")
        base = self._type_text(tokens[i:end])
        notnull = any(t.is_word("NOT") and k + 1 < len(tokens) and tokens[k + 1].is_word("NULL")
                      for k, t in enumerate(tokens[end:], end))
        self.domains[_pg_type_key(name)] = (base, notnull)

    # --- ALTER / DROP ---

    def _drop_table(self, tokens: list[Token]) -> None:
        i = 2
        while i < len(tokens) and tokens[i].is_word("IF", "EXISTS"):
            i += 1
        for part in _split_commas(tokens[i:]):
            if part and part[0].kind in ("word", "qident") and not part[0].is_word("CASCADE", "RESTRICT"):
                name, _ = self._name_after(part, 0)
                draft = self._lookup(name)
                if draft is not None:
                    del self.drafts[draft.key]

    def _alter_table(self, tokens: list[Token]) -> None:
        name, i = self._name_after(tokens, 2, skip=("IF", "EXISTS", "ONLY"))
        if i < len(tokens) and tokens[i].text == "*":
            i += 1
        draft = self._lookup(name)
        if draft is None:
            return  # a table this file does not create
        for action in _split_commas(tokens[i:]):
            if action:
                self._alter_action(draft, action)

    def _alter_action(self, draft: _Draft, a: list[Token]) -> None:
        verb = a[0].upper
        words = [t.upper for t in a if t.kind == "word"]
        if verb == "ADD":
            body = a[1:]
            if body and body[0].is_word("CONSTRAINT") and len(body) > 2:
                constraint, body = self._fold(body[1]), body[2:]
            else:
                constraint = None
            if body and body[0].is_word("PRIMARY"):
                if any(t.is_word("USING") for t in body[:3]) or not any(t.text == "(" for t in body):
                    raise _Unreadable(body[0].start, "PRIMARY KEY USING INDEX: the key's columns are not written here; "
                                                     "declare the key with its column list")
                paren = next(k for k, t in enumerate(body) if t.text == "(")
                draft.primary_key = self._key_columns(draft, body[paren + 1:_closing(body, paren)], body[0].start)
                draft.pk_constraint = constraint
            elif body and body[0].is_word("CHECK"):
                checked = _json_valid_column(body)
                if checked:
                    draft.json_checks.add(checked)
            elif body and not (body[0].kind == "word" and body[0].upper in _ADD_NOT_A_COLUMN):
                if body[0].is_word("COLUMN"):
                    body = body[1:]
                while body and body[0].is_word("IF", "NOT", "EXISTS"):
                    body = body[1:]
                if body and body[0].kind in ("word", "qident") and len(body) > 1:
                    column, inline_key = self._column(draft, body)
                    if draft.find(column.name, self.dialect) is None:
                        draft.columns.insert(self._position(draft, body), column)
                    if inline_key:
                        draft.primary_key = [column.name]
        elif verb == "DROP":
            if "PRIMARY" in words[:3]:
                draft.primary_key, draft.pk_constraint = [], None
            elif len(a) > 1 and a[1].is_word("CONSTRAINT"):
                rest = [t for t in a[2:] if not t.is_word("IF", "EXISTS")]
                if rest and draft.pk_constraint is not None and self._fold(rest[0]) == draft.pk_constraint:
                    draft.primary_key, draft.pk_constraint = [], None
            elif len(a) > 1 and (a[1].is_word("COLUMN") or a[1].kind in ("word", "qident")) and not a[1].is_word(
                    "INDEX", "KEY", "FOREIGN", "CHECK", "DEFAULT", "PARTITION", "CONSTRAINT"):
                rest = [t for t in a[1:] if not t.is_word("COLUMN", "IF", "EXISTS")]
                if rest:
                    gone = self._fold(rest[0])
                    draft.columns = [c for c in draft.columns if not _same_name(c.name, gone, self.dialect)]
                    draft.primary_key = [k for k in draft.primary_key if not _same_name(k, gone, self.dialect)]
        elif verb == "ALTER" and len(a) > 2:
            rest = a[2:] if a[1].is_word("COLUMN") else a[1:]
            altered = draft.find(self._fold(rest[0]), self.dialect)
            if altered is None:
                return
            tail = [t.upper for t in rest[1:4] if t.kind == "word"]
            if tail[:3] == ["SET", "NOT", "NULL"]:
                altered.nullable = False
            elif tail[:3] == ["DROP", "NOT", "NULL"]:
                altered.nullable = True
            elif "IDENTITY" in words and "ADD" in tail[:1]:
                altered.nullable = False
            elif tail[:1] == ["TYPE"] or tail[:3] == ["SET", "DATA", "TYPE"]:
                start = 2 if tail[:1] == ["TYPE"] else 4
                end = _type_end(rest, start, extra=("USING",))
                altered.source_type = self._type_text(rest[start:end])
        elif verb in ("MODIFY", "CHANGE") and self.dialect == "mysql":
            self._previous_columns = list(draft.columns)
            body = a[2:] if len(a) > 1 and a[1].is_word("COLUMN") else a[1:]
            old = self._fold(body[0]) if body else ""
            if verb == "CHANGE":
                body = body[1:]
            if body:
                column, _key = self._column(draft, body)
                draft.columns = [c for c in draft.columns if not _same_name(c.name, old or column.name, self.dialect)]
                draft.columns.insert(self._position(draft, body, fallback=next(
                    (k for k, c in enumerate(self._previous_columns) if _same_name(c.name, old or column.name, self.dialect)),
                    len(draft.columns))), column)
                draft.primary_key = [column.name if _same_name(k, old, self.dialect) else k for k in draft.primary_key]
        elif verb == "RENAME" and len(a) > 2:
            if a[1].is_word("TO"):
                new, _ = self._name_after(a, 2)
                del self.drafts[draft.key]
                draft.schema = new[0] if new[0] is not None else draft.schema
                draft.name = new[1]
                self.drafts[draft.key] = draft
            elif not a[1].is_word("CONSTRAINT", "INDEX", "KEY"):
                rest = a[2:] if a[1].is_word("COLUMN") else a[1:]
                if len(rest) >= 3 and rest[1].is_word("TO"):
                    old, new_name = self._fold(rest[0]), self._fold(rest[2])
                    for c in draft.columns:
                        if _same_name(c.name, old, self.dialect):
                            c.name = new_name
                    draft.primary_key = [new_name if _same_name(k, old, self.dialect) else k for k in draft.primary_key]
        elif verb == "ATTACH" and len(a) > 2 and a[1].is_word("PARTITION"):
            child_name, _ = self._name_after(a, 2)
            child = self._lookup(child_name)
            if child is not None:
                child.partition_of = draft.key
                draft.partitioned = True
        elif verb == "DETACH" and len(a) > 2 and a[1].is_word("PARTITION"):
            child_name, _ = self._name_after(a, 2)
            child = self._lookup(child_name)
            if child is not None:
                child.partition_of = None
        elif verb == "SET" and len(a) > 2 and a[1].is_word("SCHEMA"):
            del self.drafts[draft.key]
            draft.schema = self._fold(a[2])
            self.drafts[draft.key] = draft
        elif verb == "INHERIT" and len(a) > 1:
            parent, _ = self._name_after(a, 1)
            draft.inherits.append(parent)
        elif verb == "NO" and len(a) > 2 and a[1].is_word("INHERIT"):
            parent, _ = self._name_after(a, 2)
            draft.inherits = [p for p in draft.inherits if p != parent]

    def _position(self, draft: _Draft, body: list[Token], fallback: int | None = None) -> int:
        """MySQL ``FIRST`` / ``AFTER col`` at the end of a column definition: where it goes."""
        for k, t in enumerate(body):
            if t.is_word("FIRST") and _depth(body, k) == 0:
                return 0
            if t.is_word("AFTER") and _depth(body, k) == 0 and k + 1 < len(body):
                anchor = self._fold(body[k + 1])
                for n, c in enumerate(draft.columns):
                    if _same_name(c.name, anchor, self.dialect):
                        return n + 1
        return len(draft.columns) if fallback is None else min(fallback, len(draft.columns))

    def _rename_tables(self, tokens: list[Token]) -> None:
        """MySQL RENAME TABLE a TO b [, c TO d]."""
        for part in _split_commas(tokens[2:]):
            old, i = self._name_after(part, 0)
            if i < len(part) and part[i].is_word("TO"):
                new, _ = self._name_after(part, i + 1)
                draft = self._lookup(old)
                if draft is not None:
                    del self.drafts[draft.key]
                    draft.schema, draft.name = new
                    self.drafts[draft.key] = draft

    # --- assembling ---

    def _finish(self) -> list[SourceTable]:
        drafts = sorted(self.drafts.values(), key=lambda d: d.offset)
        if self.default_schema is not None:
            # the file names no schema for these: the default one (looking them up still works,
            # by name, as the file wrote them)
            for draft in drafts:
                if draft.schema is None:
                    draft.schema = self.default_schema
        resolved: dict[tuple[str | None, str], list[_Column]] = {}

        def columns_of(draft: _Draft, seen: tuple = ()) -> list[_Column]:
            if draft.key in resolved:
                return resolved[draft.key]
            if draft.key in seen:
                raise _Unreadable(draft.offset, f"table {draft.qualified_name} inherits from itself")
            columns: list[_Column] = []
            if draft.like is not None:
                source = self._lookup(draft.like[0])
                if source is None:
                    raise _Unreadable(draft.offset, f"table {draft.qualified_name} is created LIKE {_qualified(draft.like[0])}, "
                                                    "which this file does not create")
                columns.extend(_Column(c.name, c.source_type, c.nullable, c.generated, c.json_check)
                               for c in columns_of(source, (*seen, draft.key)))
                if draft.like[1] and not draft.primary_key:
                    draft.primary_key = list(source.primary_key)
            for parent_name in draft.inherits:
                parent = self._lookup(parent_name)
                if parent is None:
                    raise _Unreadable(draft.offset, f"table {draft.qualified_name} inherits from {_qualified(parent_name)}, "
                                                    "which this file does not create")
                for c in columns_of(parent, (*seen, draft.key)):
                    mine = next((m for m in columns if _same_name(m.name, c.name, self.dialect)), None)
                    # NOT NULL is inherited, a parent's key column is NOT NULL (the key itself is not inherited)
                    nullable = c.nullable and c.name not in parent.primary_key
                    if mine is None:
                        columns.append(_Column(c.name, c.source_type, nullable, c.generated, c.json_check))
                    else:
                        mine.nullable = mine.nullable and nullable
            for c in draft.columns:
                mine = next((m for m in columns if _same_name(m.name, c.name, self.dialect)), None)
                if mine is None:
                    columns.append(c)
                else:
                    mine.nullable = mine.nullable and c.nullable
            resolved[draft.key] = columns
            return columns

        # partitions roll up to their root
        roots: dict[tuple[str | None, str], list[tuple[str | None, str]]] = {}
        for draft in drafts:
            if draft.partition_of is None:
                continue
            root, seen = draft, set()
            while root.partition_of is not None and root.key not in seen:
                seen.add(root.key)
                parent = self._lookup(root.partition_of)
                if parent is None:
                    break
                root = parent
            if root is draft or root.partition_of is not None:
                draft.problem = draft.problem or (
                    f"{self.where(draft.offset)}table {draft.qualified_name} is a partition of {_qualified(draft.partition_of)}, "
                    "which this file does not create")
                draft.partition_of = None
                continue
            roots.setdefault(root.key, []).append(draft.key)
            root.partitioned = True

        tables: list[SourceTable] = []
        enums = self._enum_types()
        for draft in drafts:
            if draft.partition_of is not None:
                continue
            if draft.problem is None:
                try:
                    columns = columns_of(draft)
                    pk = [self._resolve_key_name(draft, columns, k) for k in draft.primary_key]
                    tables.append(self._source_table(draft, columns, pk, roots.get(draft.key, []), enums))
                    continue
                except _Unreadable as exc:
                    draft.problem = f"{self.where(exc.offset)}{exc.reason}"
            self.problems.append(Problem(draft.schema, draft.name, draft.problem))
        return tables

    def _resolve_key_name(self, draft: _Draft, columns: list[_Column], key: str) -> str:
        for c in columns:
            if _same_name(c.name, key, self.dialect):
                return c.name
        raise _Unreadable(draft.offset, f"table {draft.qualified_name}: primary key column {key} is not a column of the table; "
                                        "fix the PRIMARY KEY column list")

    def _enum_types(self) -> dict[str, list[str]]:
        return {name: list(labels) for name, labels in self.enums.items()}

    def _source_table(self, draft: _Draft, columns: list[_Column], pk: list[str],
                      partitions: list[tuple[str | None, str]], enums: dict[str, list[str]]) -> SourceTable:
        out: list[SourceColumn] = []
        for c in columns:
            source_type, nullable, domain = c.source_type, c.nullable and c.name not in pk, None
            if self.dialect == "postgres":
                source_type, notnull, domain = self._resolve_domain(source_type)
                nullable = nullable and not notnull
            elif (c.json_check or c.name in draft.json_checks) and source_type == "longtext":
                source_type = "json"  # MariaDB's JSON is LONGTEXT CHECK (json_valid(col))
            out.append(SourceColumn(c.name, source_type, nullable, c.generated, domain))
        return SourceTable(draft.schema, draft.name, tuple(out), tuple(pk), self.dialect,
                           {name: list(labels) for name, labels in enums.items()},
                           partitioned=draft.partitioned, partitions=tuple(partitions))

    def _resolve_domain(self, source_type: str) -> tuple[str, bool, str | None]:
        """A domain's base type (through nested domains), whether any of them is NOT NULL, and
        the domain's name; other types unchanged."""
        if not self.domains or source_type.endswith("]"):
            return source_type, False, None
        first = None
        notnull = False
        current = source_type
        for _ in range(20):
            key = _domain_key(current, self.domains)
            if key is None:
                break
            first = first or key
            current, nn = self.domains[key]
            notnull = notnull or nn
        return current, notnull, first


# --- helpers ----------------------------------------------------------------------------------


def _kind_of(tokens: list[Token]) -> str:
    """What a skipped statement is, for the summary: CREATE FUNCTION, INSERT, GRANT, ..."""
    words = [t.upper for t in tokens[:16] if t.kind == "word"]
    if not words:
        return tokens[0].text[:20]
    if words[0] == "CREATE":
        kind = next((w for w in words[1:] if w in _OBJECT_KINDS), None)
        if kind == "TABLE" and ({"TEMP", "TEMPORARY"} & set(words[:4])):
            return "CREATE TEMPORARY TABLE"
        if kind == "TABLE" and "FOREIGN" in words[:4]:
            return "CREATE FOREIGN TABLE"
        if kind == "VIEW" and "MATERIALIZED" in words[:4]:
            return "CREATE MATERIALIZED VIEW"
        return f"CREATE {kind}" if kind else "CREATE"
    if words[0] in ("ALTER", "DROP", "COMMENT") and len(words) > 1:
        return f"{words[0]} {words[1]}"
    return words[0]


def _depth(tokens: list[Token], i: int) -> int:
    """Parenthesis depth at token ``i``."""
    depth = 0
    for t in tokens[:i]:
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
    return depth


def _closing(tokens: list[Token], i: int) -> int:
    """Index of the parenthesis closing the one at ``i`` (the last token when it never closes)."""
    depth = 0
    for k in range(i, len(tokens)):
        if tokens[k].text in ("(", "["):
            depth += 1
        elif tokens[k].text in (")", "]"):
            depth -= 1
            if depth == 0:
                return k
    raise _Unreadable(tokens[i].start, "a parenthesis is never closed")


def _split_commas(tokens: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
        if t.text == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]


def _type_end(tokens: list[Token], i: int, extra: tuple[str, ...] = ()) -> int:
    """Index of the first token after the type that starts at ``i``."""
    depth = 0
    for k in range(i, len(tokens)):
        t = tokens[k]
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
        if depth or k == i or t.kind != "word":
            continue
        word = t.text.lower()
        following = tokens[k + 1].text.lower() if k + 1 < len(tokens) else ""
        if word == "character":
            if following == "set":
                return k
        elif word in ("with", "without"):
            if following != "time":
                return k
        elif word in _TYPE_END_WORDS or word.upper() in extra:
            return k
    return len(tokens)


def _json_valid_column(tokens: list[Token]) -> str | None:
    """``CHECK (json_valid(`c`))`` -> c."""
    words = [t for t in tokens if t.kind in ("word", "qident")]
    if len(words) >= 3 and words[0].is_word("CHECK") and words[1].kind == "word" and words[1].text.lower() == "json_valid":
        return words[2].value
    return None


def _same_name(a: str, b: str, dialect: str) -> bool:
    """MySQL column names are case-insensitive; Postgres compares them exactly (after folding)."""
    return a.lower() == b.lower() if dialect == "mysql" else a == b


def _same_table(a: str, b: str, dialect: str) -> bool:
    return a == b or (dialect == "mysql" and a.lower() == b.lower())


def _qualified(name: tuple[str | None, str]) -> str:
    return f"{name[0]}.{name[1]}" if name[0] else name[1]


def _pg_quote(name: str) -> str:
    if _PG_PLAIN_NAME.match(name) and name not in _PG_QUOTED_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def _pg_type_key(name: tuple[str | None, str]) -> str:
    """A user-defined type's name as format_type() shows it on the default search_path."""
    schema, type_name = name
    if schema is None or schema in ("public", "pg_catalog"):
        return _pg_quote(type_name)
    return f"{_pg_quote(schema)}.{_pg_quote(type_name)}"


def _domain_key(type_text: str, domains: dict[str, tuple[str, bool]]) -> str | None:
    if type_text in domains:
        return type_text
    # a schema-qualified spelling of a domain in another schema on the search path, or the reverse
    bare = type_text.rsplit(".", 1)[-1]
    found = [k for k in domains if k.rsplit(".", 1)[-1] == bare]
    return found[0] if len(found) == 1 and ("." not in type_text or "." not in found[0]) else None


# --- selecting tables -------------------------------------------------------------------------


def select_tables(tables: list[SourceTable], names: list[str] | None) -> list[SourceTable]:
    """The tables the user named (``cart``, ``public.cart``, ``Sales.Order``), in the order named.

    A name matches a table's name or its schema-qualified name; exact case first, then ignoring
    case when that alone picks one table. ``None`` selects every table. A partition's name
    selects its partitioned table.
    """
    if names is None:
        return list(tables)
    chosen: list[SourceTable] = []
    for name in names:
        table = _match_table(tables, name)
        if not any(t is table for t in chosen):
            chosen.append(table)
    return chosen


def _match_table(tables: list[SourceTable], name: str) -> SourceTable:
    for fold in (lambda s: s, str.casefold):
        wanted = fold(name)
        qualified = [t for t in tables if t.schema and fold(t.qualified_name) == wanted]
        if len(qualified) == 1:
            return qualified[0]
        bare = [t for t in tables if fold(t.name) == wanted]
        if len(bare) == 1 and not qualified:
            return bare[0]
        candidates = qualified + [t for t in bare if all(t is not q for q in qualified)]
        if len(candidates) > 1:
            listed = ", ".join(t.qualified_name for t in candidates)
            raise UnknownTableError(
                f"table name {name!r} matches several tables ({listed}); qualify it with its schema, e.g. {candidates[0].qualified_name}"
            )
    for table in tables:
        for schema, part in table.partitions:
            if name in (part, f"{schema}.{part}" if schema else part):
                raise UnknownTableError(
                    f"table {name!r} is a partition of {table.qualified_name}; name the partitioned table "
                    f"({table.qualified_name}): its mirror receives the changes of every partition"
                )
    known = [t.qualified_name for t in tables]
    shown = ", ".join(known[:30]) + (f" and {len(known) - 30} more" if len(known) > 30 else "")
    raise UnknownTableError(f"unknown table {name!r}; known tables: {shown or '(none)'}")
