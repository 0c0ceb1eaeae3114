"""Read CREATE TABLE statements (MySQL or Postgres DDL files) into SourceTable models.

sqlglot does the parsing. The file is tokenized once and split into statements on ``;`` so
that every error can name the line and column it happened at. Only these statements matter:

* ``CREATE TABLE name (columns...)``: columns in order, each type as the DDL writes it (see
  below), NOT NULL, inline / table-level / named primary keys;
* ``ALTER TABLE name ADD [CONSTRAINT c] PRIMARY KEY (...)`` and ``DROP PRIMARY KEY``, because
  pg_dump declares every primary key that way, after the CREATE TABLE;
* Postgres ``CREATE TYPE name AS ENUM (...)``: labels end up in ``SourceTable.enum_types``.

Everything else (INSERT, SET, CREATE INDEX/VIEW/SEQUENCE, COMMENT, psql ``\\restrict`` lines,
``CREATE TABLE ... LIKE`` / ``AS SELECT`` / ``PARTITION OF``, temporary tables) is ignored.

A column's ``source_type`` is its type exactly as written: the tokens after the column name up
to its first constraint or attribute (NOT NULL, DEFAULT, CHARACTER SET, COLLATE, ...), with
whitespace and comments folded to single spaces and lower-cased outside quotes, e.g.
``int(11) unsigned zerofill``, ``enum('A','b')``, ``timestamp with time zone``, ``int[]``.
sqlglot's rendering of the parsed type is not used for built-in types because it changes
meaning in places (MySQL ``int8`` is BIGINT, sqlglot writes TINYINT; MySQL ``real`` is DOUBLE,
sqlglot writes FLOAT). A Postgres user-defined type (enum, domain, extension type) is named as
``format_type()`` shows it instead (``public.mood`` -> ``mood``, ``"Sales"."Status"[]``), the
form ``SourceTable.enum_types`` keys use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.tokens import Token, TokenType

from streamleap.errors import DDLParseError, UnknownTableError
from streamleap.schema import DIALECTS, SourceColumn, SourceTable

__all__ = ["parse_ddl", "select_tables"]

# Type names sqlglot 30.30 cannot parse; named in the error so the user knows what to change.
_UNPARSEABLE_TYPES = {
    "mysql": {"point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
              "geometrycollection", "national", "long", "middleint", "inet4", "inet6"},
    "postgres": {"varying"},
}

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
_PSQL_META_LINE = re.compile(r"(?m)^[ \t]*\\[A-Za-z][^\n]*$")
_COMMAND_CREATE_TABLE = re.compile(r"\s*(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+)?TABLE\b", re.IGNORECASE)
_COMMAND_CREATE_ENUM = re.compile(r"\s*TYPE\b.*?\bAS\s+ENUM\s*\(", re.IGNORECASE | re.DOTALL)
_UDT_PLACEHOLDER = "streamleap_udt_{}_"

# Words that end a column's type in a column definition: the column constraints and
# attributes of MySQL / MariaDB and Postgres. CHARACTER ends it only before SET, and WITH /
# WITHOUT only before SYSTEM (MariaDB's WITH SYSTEM VERSIONING; Postgres' WITH TIME ZONE is
# part of the type).
_TYPE_END_WORDS = frozenset(
    """not null default primary unique key references check constraint generated as
    auto_increment comment collate charset on identity visible invisible
    column_format storage srid compression deferrable initially stored virtual persistent
    engine_attribute secondary_engine_attribute""".split()
)
_QUOTES = "'\"`"


@dataclass
class _Source:
    """The DDL text being read, for messages that point at a line and column."""

    text: str
    dialect: str
    path: str

    def where(self, offset: int | None) -> str:
        if offset is None:
            return ""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return f"line {line}, column {col}: "

    def syntax_error(self, offset: int | None, message: str) -> DDLParseError:
        return self.error(offset, message, f"check the DDL is {self.dialect} syntax")

    def error(self, offset: int | None, message: str, hint: str) -> DDLParseError:
        message = " ".join(message.split())  # always one line
        return DDLParseError(f"{self.path}: {self.where(offset)}{message}; {hint}")


@dataclass
class _Draft:
    """A CREATE TABLE being assembled (ALTER TABLE may still add its primary key)."""

    schema: str | None
    name: str
    columns: list[SourceColumn]
    offset: int
    primary_key: list[str] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def parse_ddl(text: str, dialect: str, path: str = "<ddl>") -> list[SourceTable]:
    """Parse the CREATE TABLE statements of a MySQL or Postgres DDL file, in file order.

    Raises DDLParseError (one line naming ``path``, line and column) when sqlglot cannot read
    the text, a table is malformed, or the file holds no CREATE TABLE at all.
    """
    if dialect not in DIALECTS:
        raise DDLParseError(f"{path}: unknown DDL dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    src = _Source(_prepare(text, dialect), dialect, path)
    drafts: list[_Draft] = []
    enum_types: dict[str, list[str]] = {}
    for stmt, chunk in _statements(src):
        start = chunk[0]
        if isinstance(stmt, exp.Create):
            kind = str(stmt.args.get("kind") or "").upper()
            if kind == "TABLE":
                draft = _table(stmt, src, chunk)
                if draft is not None:
                    drafts.append(draft)
            elif kind == "TYPE" and dialect == "postgres":
                enum = _enum_from_create(stmt)
                if enum:
                    enum_types[enum[0]] = enum[1]
        elif isinstance(stmt, exp.Alter):
            _apply_alter(stmt, drafts, src)
        elif isinstance(stmt, exp.Command) and str(stmt.this).upper() == "CREATE":
            rest = str(stmt.expression or "")
            if _COMMAND_CREATE_TABLE.match(rest):
                raise src.syntax_error(
                    start.start, "sqlglot cannot parse this CREATE TABLE statement (it reads it only as an opaque command)"
                )
            if dialect == "postgres" and _COMMAND_CREATE_ENUM.match(rest):
                enum = _enum_from_command(rest)
                if enum:
                    enum_types[enum[0]] = enum[1]
    if not drafts:
        raise DDLParseError(
            f"{path}: no CREATE TABLE statement found; give a file with the {dialect} CREATE TABLE statements of the source tables"
        )
    return _finish(drafts, enum_types, src)


def select_tables(tables: list[SourceTable], names: list[str] | None) -> list[SourceTable]:
    """The tables the user named (``cart``, ``public.cart``, ``Sales.Order``), in the order named.

    A name matches a table's name or its schema-qualified name; exact case first, then ignoring
    case when that alone picks one table. ``None`` selects every table.
    """
    if names is None:
        return list(tables)
    chosen: list[SourceTable] = []
    for name in names:
        table = _match_table(tables, name)
        if not any(t is table for t in chosen):
            chosen.append(table)
    return chosen


# --- statements -------------------------------------------------------------------------------


def _prepare(text: str, dialect: str) -> str:
    """Blank out what sqlglot must not see, keeping every line and column where it was."""
    text = text.replace("\ufeff", " ")
    if dialect == "postgres":  # psql meta-commands: pg_dump writes \restrict / \unrestrict
        text = _PSQL_META_LINE.sub(lambda m: " " * len(m.group(0)), text)
    return text


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it keeps as an opaque Command; hide those."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _statements(src: _Source) -> Iterator[tuple[exp.Expr | None, list[Token]]]:
    """Each statement of the file with its tokens (for positions and the types as written)."""
    dialect = Dialect.get_or_raise(src.dialect)
    tokenizer = dialect.tokenizer()
    try:
        tokens = tokenizer.tokenize(src.text)
    except TokenError as exc:
        raise _token_error(src, tokenizer, exc) from None
    chunk: list[Token] = []
    for token in [*tokens, None]:
        if token is not None and token.token_type != TokenType.SEMICOLON:
            chunk.append(token)
            continue
        if chunk:
            yield _parse_chunk(src, dialect, chunk), chunk
        chunk = []


def _parse_chunk(src: _Source, dialect: Dialect, chunk: list[Token]) -> exp.Expr | None:
    try:
        with _quiet_sqlglot():
            parsed = dialect.parser().parse(chunk, src.text)
    except ParseError as exc:
        raise _parse_error(src, exc, chunk[0]) from None
    except SqlglotError as exc:
        raise src.syntax_error(chunk[0].start, _first_line(str(exc))) from None
    return parsed[0] if parsed else None


def _parse_error(src: _Source, exc: ParseError, start: Token) -> DDLParseError:
    info = exc.errors[0] if exc.errors else {}
    description = info.get("description") or _first_line(str(exc))
    highlight = str(info.get("highlight") or "")
    line, col = info.get("line"), info.get("col")
    offset = start.start
    if isinstance(line, int) and isinstance(col, int):
        offset = _offset_of(src.text, line, col)
        # sqlglot points at the last character of the offending token; point at its first
        begin = offset - len(highlight) + 1
        if highlight and "\n" not in highlight and src.text[begin : offset + 1] == highlight:
            offset = begin
    if highlight.lower() in _UNPARSEABLE_TYPES.get(src.dialect, ()):
        description += f" (sqlglot cannot parse the {src.dialect} type word {highlight!r})"
    return src.syntax_error(offset, description)


def _token_error(src: _Source, tokenizer: object, exc: TokenError) -> DDLParseError:
    """The tokenizer gives no line/column; its scanner state (sqlglot 30.x) holds the offset of
    the token it was reading, else the message of the underlying error does (``from 3:40``)."""
    offset = getattr(getattr(tokenizer, "_core", tokenizer), "_start", None)
    cause = exc.__cause__
    cause_text = _first_line(str(cause or exc))
    if not isinstance(offset, int):
        found = re.search(r"from \d+:(\d+)", cause_text)
        offset = int(found.group(1)) if found else None
    if cause_text.startswith("Missing") or isinstance(cause, IndexError):  # ran off the end
        message = "unterminated quoted string, quoted name or comment"
    else:
        message = f"cannot split the text into SQL tokens ({cause_text})"
    return src.syntax_error(offset, message)


def _offset_of(text: str, line: int, col: int) -> int:
    """Character offset of 1-based (line, col)."""
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            break
        offset = found + 1
    return offset + max(col, 1) - 1


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


# --- CREATE TABLE -----------------------------------------------------------------------------


def _table(stmt: exp.Create, src: _Source, chunk: list[Token]) -> _Draft | None:
    start = chunk[0]
    schema_expr = stmt.this
    if not isinstance(schema_expr, exp.Schema):  # CREATE TABLE ... LIKE / AS SELECT / PARTITION OF
        return None
    props = stmt.args.get("properties")
    if props and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions):
        return None
    if any(isinstance(e, exp.LikeProperty) for e in schema_expr.expressions):
        return None  # (LIKE other ...) copies columns we cannot see
    table = schema_expr.this
    schema_ident = table.args.get("db") if isinstance(table, exp.Table) else None
    name_ident = table.this if isinstance(table, exp.Table) else table
    if not isinstance(name_ident, exp.Identifier):
        raise src.syntax_error(start.start, f"cannot read the table name {table.sql(dialect=src.dialect)!r}")
    draft = _Draft(
        schema=_ident_name(schema_ident, src.dialect) if isinstance(schema_ident, exp.Identifier) else None,
        name=_ident_name(name_ident, src.dialect),
        columns=[],
        offset=start.start,
    )
    keys: list[list[exp.Identifier]] = []
    written = _written_types(chunk, src)
    for item in schema_expr.expressions:
        if isinstance(item, exp.ColumnDef):
            column, inline_key = _column(item, draft, src, written)
            draft.columns.append(column)
            if inline_key:
                keys.append([item.this])
        elif isinstance(item, exp.Identifier):  # CREATE TABLE t (a): a column without a type
            raise src.error(
                _offset(item, start.start), f"table {draft.qualified_name}: column {_ident_name(item, src.dialect)} has no type",
                "give every column a type",
            )
        else:
            pk = _primary_key_of(item)
            if pk is not None:
                keys.append(_key_identifiers(pk, src, start.start))
    if len(keys) > 1:
        raise src.error(start.start, f"table {draft.qualified_name} declares more than one primary key", "keep one")
    if keys:
        draft.primary_key = _resolve_key(keys[0], draft, src, start.start)
    return draft


_SERIAL_TYPES = {"postgres": ("serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"), "mysql": ("serial",)}


def _column(
    item: exp.ColumnDef, draft: _Draft, src: _Source, written: list[tuple[Token, str]]
) -> tuple[SourceColumn, bool]:
    """The column and whether it carries an inline PRIMARY KEY."""
    ident = item.this
    name = _ident_name(ident, src.dialect)
    kind = item.args.get("kind")
    if not isinstance(kind, exp.DataType):
        raise src.error(
            _offset(ident), f"table {draft.qualified_name}: column {name} has no type", "give every column a type"
        )
    if any(_same_name(c.name, name, src.dialect) for c in draft.columns):
        raise src.error(_offset(ident), f"table {draft.qualified_name}: column {name} is declared twice", "rename one")
    nullable, key = True, False
    for constraint in item.constraints:
        ckind = constraint.args.get("kind")
        if isinstance(ckind, exp.NotNullColumnConstraint) and not ckind.args.get("allow_null"):
            nullable = False
        elif isinstance(ckind, exp.GeneratedAsIdentityColumnConstraint) and src.dialect == "postgres":
            nullable = False  # Postgres makes identity columns NOT NULL
        elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
            key = True
    source_type = _source_type(item, kind, src, written)
    if source_type in _SERIAL_TYPES.get(src.dialect, ()):
        nullable = False  # serial types are NOT NULL by definition
    return SourceColumn(name, source_type, nullable), key


def _primary_key_of(item: exp.Expr) -> exp.PrimaryKey | None:
    if isinstance(item, exp.PrimaryKey):
        return item
    if isinstance(item, exp.Constraint):  # CONSTRAINT name PRIMARY KEY (...)
        for inner in item.expressions:
            if isinstance(inner, exp.PrimaryKey):
                return inner
    return None


def _key_identifiers(pk: exp.PrimaryKey, src: _Source, fallback: int | None) -> list[exp.Identifier]:
    idents: list[exp.Identifier] = []
    for part in pk.expressions:
        node = part.this if isinstance(part, exp.Ordered) else part
        node = node.this if isinstance(node, exp.Column) else node
        if not isinstance(node, exp.Identifier):
            raise src.syntax_error(_offset(part, fallback), f"cannot read primary key part {part.sql(dialect=src.dialect)!r}")
        idents.append(node)
    return idents


def _resolve_key(idents: list[exp.Identifier], draft: _Draft, src: _Source, fallback: int | None) -> list[str]:
    """Primary key column names as the columns declare them."""
    names: list[str] = []
    for ident in idents:
        wanted = _ident_name(ident, src.dialect)
        found = [c.name for c in draft.columns if _same_name(c.name, wanted, src.dialect)]
        if not found:
            raise src.error(
                _offset(ident, fallback),
                f"table {draft.qualified_name}: primary key column {wanted} is not a column of the table",
                "fix the PRIMARY KEY column list",
            )
        names.append(found[0])
    return names


def _apply_alter(stmt: exp.Alter, drafts: list[_Draft], src: _Source) -> None:
    """ALTER TABLE t ADD [CONSTRAINT c] PRIMARY KEY (...) / DROP PRIMARY KEY, for tables of this file."""
    if str(stmt.args.get("kind") or "").upper() != "TABLE" or not isinstance(stmt.this, exp.Table):
        return
    table = stmt.this
    schema_ident = table.args.get("db")
    schema = _ident_name(schema_ident, src.dialect) if isinstance(schema_ident, exp.Identifier) else None
    if not isinstance(table.this, exp.Identifier):
        return
    name = _ident_name(table.this, src.dialect)
    matches = [d for d in drafts if d.schema == schema and d.name == name]
    if not matches:
        return
    draft = matches[-1]
    for action in stmt.args.get("actions") or []:
        if isinstance(action, exp.DropPrimaryKey):
            draft.primary_key = []
        elif isinstance(action, exp.AddConstraint):
            for item in action.expressions:
                pk = _primary_key_of(item)
                if pk is not None:
                    fallback = _offset(pk, draft.offset)
                    draft.primary_key = _resolve_key(_key_identifiers(pk, src, fallback), draft, src, fallback)


def _finish(drafts: list[_Draft], enum_types: dict[str, list[str]], src: _Source) -> list[SourceTable]:
    seen: dict[tuple[str | None, str], _Draft] = {}
    tables: list[SourceTable] = []
    for draft in drafts:
        key = (draft.schema, draft.name)
        if key in seen:
            raise src.error(
                draft.offset, f"table {draft.qualified_name} is created twice in this file", "keep one CREATE TABLE per table"
            )
        seen[key] = draft
        pk = tuple(draft.primary_key)
        columns = tuple(SourceColumn(c.name, c.source_type, c.nullable and c.name not in pk) for c in draft.columns)
        enums = {name: list(labels) for name, labels in enum_types.items()}
        tables.append(SourceTable(draft.schema, draft.name, columns, pk, src.dialect, enums))
    return tables


# --- names and types --------------------------------------------------------------------------


def _ident_name(ident: exp.Identifier, dialect: str) -> str:
    """An identifier as the database stores it: Postgres folds unquoted names to lower case."""
    name = str(ident.this)
    if dialect == "postgres" and not ident.quoted:
        return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in name)
    return name


def _same_name(a: str, b: str, dialect: str) -> bool:
    """MySQL column names are case-insensitive; Postgres compares them exactly (after folding)."""
    return a.lower() == b.lower() if dialect == "mysql" else a == b


def _offset(node: exp.Expr, fallback: int | None = None) -> int | None:
    """Where ``node`` starts in the text, when sqlglot recorded it (identifiers mostly)."""
    start = node.meta.get("start") if node.meta else None
    return start if isinstance(start, int) else fallback


def _pg_type_name(parts: list[exp.Identifier]) -> str:
    """A user-defined Postgres type named as format_type() shows it: folded, quoted when needed,
    without the ``public.`` schema (on the default search_path)."""
    names = [_ident_name(p, "postgres") for p in parts]
    if len(names) > 1 and names[-2] == "public":
        names = names[-1:]
    return ".".join(_pg_quote(n) for n in names)


def _pg_quote(name: str) -> str:
    if _PG_PLAIN_NAME.match(name) and name not in _PG_QUOTED_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def _udt_parts(node: exp.Expr | None) -> list[exp.Identifier]:
    if isinstance(node, exp.Identifier):
        return [node]
    if isinstance(node, exp.Dot):
        return _udt_parts(node.this) + _udt_parts(node.expression)
    if isinstance(node, exp.Table):
        return [p for p in (node.args.get("catalog"), node.args.get("db"), node.this) if isinstance(p, exp.Identifier)]
    return []


def _written_types(chunk: list[Token], src: _Source) -> list[tuple[Token, str]]:
    """(first token, type as written) of each element of the CREATE TABLE's column list.

    The list is the first parenthesis of the statement; elements are split on commas outside
    nested parentheses and brackets. For a table constraint (PRIMARY KEY (...), KEY ...) the
    "type" is meaningless, but no column definition starts at its first token.
    """
    opening = next((i for i, t in enumerate(chunk) if t.token_type == TokenType.L_PAREN), None)
    if opening is None:
        return []
    found: list[tuple[Token, str]] = []
    element: list[Token] = []
    depth = 0
    for token in chunk[opening + 1 :]:
        kind = token.token_type
        if depth == 0 and kind in (TokenType.COMMA, TokenType.R_PAREN):
            if element:
                found.append((element[0], _type_text(element[1:], src.text)))
            element = []
            if kind == TokenType.R_PAREN:
                break
            continue
        if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth = max(depth - 1, 0)
        element.append(token)
    return found


def _type_text(tokens: list[Token], text: str) -> str:
    """The leading tokens that make up the type, as written: whitespace and comments between
    tokens become one space, unquoted words are lower-cased, quoted strings and names kept."""
    parts: list[str] = []
    depth = 0
    previous_end: int | None = None
    for i, token in enumerate(tokens):
        raw = text[token.start : token.end + 1]
        quoted = any(q in raw for q in _QUOTES)
        word = raw if quoted else " ".join(raw.lower().split())
        if depth == 0 and i > 0 and not quoted and _ends_type(word, tokens, i, text):
            break
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth = max(depth - 1, 0)
        if previous_end is not None and token.start > previous_end + 1:
            parts.append(" ")
        parts.append(word)
        previous_end = token.end
    return "".join(parts)


def _ends_type(word: str, tokens: list[Token], i: int, text: str) -> bool:
    """Whether the unquoted ``word`` (token ``i``) starts a column constraint or attribute."""
    first = word.split()[0]
    following = ""
    if i + 1 < len(tokens):
        following = text[tokens[i + 1].start : tokens[i + 1].end + 1].lower()
    if first == "character":
        return word.startswith("character set") or (word == "character" and following == "set")
    if first in ("with", "without"):
        return following == "system"
    return first in _TYPE_END_WORDS


def _source_type(item: exp.ColumnDef, kind: exp.DataType, src: _Source, written: list[tuple[Token, str]]) -> str:
    """The column's type as the DDL writes it; a Postgres user-defined type as format_type()
    names it. sqlglot's rendering only when the written text cannot be found."""
    if src.dialect == "postgres" and any(
        node.this == exp.DataType.Type.USERDEFINED for node in kind.find_all(exp.DataType)
    ):
        return _render_type(kind, src.dialect)
    ident = item.this
    start = _offset(ident)
    matches = [typ for token, typ in written if token.start == start] if start is not None else []
    if not matches and isinstance(ident, exp.Identifier):  # no position recorded: by name
        matches = [
            typ for token, typ in written
            if token.text == ident.this and (token.token_type == TokenType.IDENTIFIER) == bool(ident.quoted)
        ]
    if len(matches) == 1 and matches[0]:
        return matches[0]
    return _render_type(kind, src.dialect)


def _render_type(kind: exp.DataType, dialect: str) -> str:
    """The type as sqlglot writes it back in ``dialect``, lower-cased.

    Postgres user-defined types (enums, domains, extension types) keep the case of quoted names,
    which plain lower-casing would lose: they are swapped for placeholders while rendering.
    """
    if dialect != "postgres":
        return kind.sql(dialect=dialect).lower()
    kind = kind.copy()
    names: dict[str, str] = {}
    for node in list(kind.find_all(exp.DataType)):
        if node.this == exp.DataType.Type.USERDEFINED:
            parts = _udt_parts(node.args.get("kind"))
            if parts:
                placeholder = _UDT_PLACEHOLDER.format(len(names))
                names[placeholder] = _pg_type_name(parts)
                node.set("kind", exp.to_identifier(placeholder))
    text = kind.sql(dialect=dialect).lower()
    for placeholder, name in names.items():
        text = text.replace(placeholder, name)
    return text


def _enum_from_create(stmt: exp.Create) -> tuple[str, list[str]] | None:
    body = stmt.args.get("expression")
    if not (isinstance(body, exp.DataType) and body.this == exp.DataType.Type.ENUM):
        return None
    parts = _udt_parts(stmt.this)
    if not parts:
        return None
    labels = [str(e.this) for e in body.expressions if isinstance(e, exp.Literal) and e.is_string]
    return _pg_type_name(parts), labels


def _enum_from_command(rest: str) -> tuple[str, list[str]] | None:
    """Labels of ``TYPE name AS ENUM ('a', 'b')`` when sqlglot kept it as an opaque Command."""
    try:
        tokens = Dialect.get_or_raise("postgres").tokenizer().tokenize(rest)
    except TokenError:
        return None
    parts: list[exp.Identifier] = []
    labels: list[str] = []
    seen_as = False
    for token in tokens[1:]:  # tokens[0] is TYPE
        if not seen_as:
            if token.token_type == TokenType.ALIAS or token.text.upper() == "AS":
                seen_as = True
            elif token.token_type != TokenType.DOT:
                parts.append(exp.Identifier(this=token.text, quoted=token.token_type == TokenType.IDENTIFIER))
        elif token.token_type == TokenType.STRING:
            labels.append(token.text)
    if not parts or not seen_as:
        return None
    return _pg_type_name(parts), labels


# --- selecting tables -------------------------------------------------------------------------


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
    known = [t.qualified_name for t in tables]
    shown = ", ".join(known[:30]) + (f" and {len(known) - 30} more" if len(known) > 30 else "")
    raise UnknownTableError(f"unknown table {name!r}; known tables: {shown or '(none)'}")
