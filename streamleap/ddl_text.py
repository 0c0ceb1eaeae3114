"""Splitting a whole MySQL or Postgres DDL file into statements, and statements into tokens.

Real schema files are not only CREATE TABLE: ``pg_dump`` writes function bodies in dollar quotes
(``$$ ... $$``) and SQL-standard bodies (``BEGIN ATOMIC ... END``), psql meta-commands
(``\\restrict``, ``\\connect``) and ``COPY ... FROM stdin`` data; ``mysqldump`` writes versioned
comments (``/*!50705 ... */``), ``DELIMITER ;;`` blocks around triggers and routines; hand-made
files hold mysql client commands (``source load.dump ;``). This module reads all of that the way
the database's own client does, keeping every statement's offset in the file so that a message can
name its line. Nothing here knows what a statement means: see ``ddl``.

MySQL versioned comments are read as MySQL 8 reads them: ``/*! ... */`` and ``/*!NNNNN ... */``
with a version up to 8.4 (80499) are SQL; a higher version is a comment. MariaDB's own
``/*M!NNNNNN ... */`` is read as SQL too up to MariaDB 11 (mariadb-dump writes it for the MariaDB
server it came from, which runs it).

>>> [s.text for s in split_statements("CREATE TABLE a (x int); /*!50705 CREATE TABLE b (y int) */;", "mysql")]
['CREATE TABLE a (x int)', 'CREATE TABLE b (y int)']
>>> [s.text for s in split_statements("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2", "postgres")]
['CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql', 'SELECT 2']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streamleap.errors import DDLParseError

__all__ = ["Statement", "Token", "split_statements", "tokenize", "line_of"]

# A versioned comment's code runs on MySQL 8 up to this version (8.4 LTS), and MariaDB's
# /*M! ... */ up to 11.x (mariadb-dump writes /*M!999999 ... */ for a comment no server runs).
MYSQL_VERSION = 80499
MARIADB_VERSION = 119999

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")
_VERSIONED = re.compile(r"/\*(M?)!(\d{5,6})?")
_WORD = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# mysql client commands: one line each, no terminating delimiter needed
_MYSQL_CLIENT = re.compile(
    r"(?i)(?:use|source|\\\.|delimiter|charset|connect|ego|go|nopager|notee|nowarning|pager|print|prompt|"
    r"quit|exit|rehash|status|system|\\!|tee|warnings|resetconnection|query_attributes|ssl_session_data_print)\b"
)


@dataclass(frozen=True)
class Statement:
    """One statement: its text (without the delimiter) and where it starts in the file."""

    text: str
    start: int
    kind: str = "sql"  # "sql", or "client" for a mysql client command / psql meta-command


@dataclass(frozen=True)
class Token:
    """A lexical token: ``kind`` is word, qident (a quoted name), string, number, dollar or punct;
    ``value`` is a quoted name or string without its quotes; ``start`` is the file offset."""

    kind: str
    text: str
    value: str
    start: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1


# --- versioned comments -----------------------------------------------------------------------


def unwrap_versioned_comments(text: str) -> str:
    """MySQL: blank the markers of versioned comments whose code MySQL 8 runs, so their content
    is read as SQL; every other character keeps its offset."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i = _skip_quoted(text, i, ch, backslash=ch != "`")
            continue
        if ch == "#" or (text.startswith("--", i) and (i + 2 >= n or text[i + 2] in " \t\r\n")):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            m = _VERSIONED.match(text, i)
            close = _comment_end(text, i + 2, versioned=bool(m))
            limit = MARIADB_VERSION if m and m.group(1) else MYSQL_VERSION
            if m and (not m.group(2) or int(m.group(2)) <= limit):
                for k in range(i, m.end()):
                    out[k] = " "
                if close <= n:
                    out[close - 2] = out[close - 1] = " "
                i = m.end()  # the content is SQL: read on inside it
                continue
            i = close
            continue
        i += 1
    return "".join(out)


def _comment_end(text: str, i: int, versioned: bool) -> int:
    """Offset just past the ``*/`` closing a comment opened before ``i`` (quotes inside a
    versioned comment are SQL and may hold ``*/``)."""
    n = len(text)
    while i < n:
        ch = text[i]
        if versioned and ch in "'\"`":
            i = _skip_quoted(text, i, ch, backslash=ch != "`")
            continue
        if text.startswith("*/", i):
            return i + 2
        i += 1
    return n + 2


def _skip_quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    """Offset past the quoted text starting at ``i``; a doubled quote is one character."""
    n = len(text)
    j = i + 1
    while j < n:
        ch = text[j]
        if backslash and ch == "\\":
            j += 2
            continue
        if ch == quote:
            if j + 1 < n and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    raise _Unterminated(i)


class _Unterminated(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


# --- statements -------------------------------------------------------------------------------


def split_statements(text: str, dialect: str, path: str = "<ddl>") -> list[Statement]:
    """The file's statements in order, each with its start offset. Comments stay inside a
    statement's text; statements that are only whitespace or comments are dropped.

    Raises DDLParseError (naming the line) for an unterminated string, quoted name or comment.
    """
    try:
        return _Splitter(text, dialect).run()
    except _Unterminated as exc:
        line = line_of(text, exc.offset)
        column = exc.offset - (text.rfind("\n", 0, exc.offset) + 1) + 1
        raise DDLParseError(
            f"{path}: line {line}, column {column}: unterminated quoted string, quoted name or comment; "
            f"check the file is complete {dialect} SQL"
        ) from None


class _Splitter:
    def __init__(self, text: str, dialect: str):
        self.text = unwrap_versioned_comments(text) if dialect == "mysql" else text
        self.dialect = dialect
        self.delimiter = ";"
        self.out: list[Statement] = []

    def run(self) -> list[Statement]:
        text, n = self.text, len(self.text)
        i = 0
        start: int | None = None  # offset of the first code character of the current statement
        atomic = 0  # depth of BEGIN ATOMIC ... END (Postgres SQL-standard function bodies)
        while i < n:
            if start is None:
                i = self._skip_blank(i)
                if i >= n:
                    break
                client_end = self._client_command(i)
                if client_end is not None:
                    i = client_end
                    continue
                start = i
            ch = text[i]
            if text.startswith(self.delimiter, i) and not atomic:
                self._emit(start, i)
                i += len(self.delimiter)
                if self._is_copy_from_stdin(start):
                    i = self._skip_copy_data(i)
                start = None
                continue
            if ch in "'\"`" and (ch != "`" or self.dialect == "mysql"):
                backslash = self.dialect == "mysql" and ch != "`"
                if ch == "'" and self.dialect == "postgres" and i > 0 and text[i - 1] in "eE" and not _word_char(text, i - 2):
                    backslash = True
                i = _skip_quoted(text, i, ch, backslash)
                continue
            if text.startswith("--", i) and (self.dialect == "postgres" or i + 2 >= n or text[i + 2] in " \t\r\n"):
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if ch == "#" and self.dialect == "mysql":
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if text.startswith("/*", i):
                i = self._skip_block_comment(i)
                continue
            if ch == "$" and self.dialect == "postgres" and not _word_char(text, i - 1):
                m = _DOLLAR_TAG.match(text, i)
                if m:
                    close = text.find(m.group(0), m.end())
                    if close < 0:
                        raise _Unterminated(i)
                    i = close + len(m.group(0))
                    continue
            if self.dialect == "postgres" and (ch.isalpha() or ch == "_") and not _word_char(text, i - 1):
                m = _WORD.match(text, i)
                assert m is not None
                atomic = self._atomic_depth(m.group(0).upper(), atomic, start, m.end())
                i = m.end()
                continue
            i += 1
        if start is not None:
            self._emit(start, n)
        return self.out

    def _emit(self, start: int, end: int) -> None:
        body = self.text[start:end].rstrip()
        if body:
            self.out.append(Statement(body, start))

    def _skip_blank(self, i: int) -> int:
        """Past whitespace and comments between statements."""
        text, n = self.text, len(self.text)
        while i < n:
            if text[i].isspace():
                i += 1
            elif text.startswith("--", i) and (self.dialect == "postgres" or i + 2 >= n or text[i + 2] in " \t\r\n"):
                end = text.find("\n", i)
                i = n if end < 0 else end
            elif text[i] == "#" and self.dialect == "mysql":
                end = text.find("\n", i)
                i = n if end < 0 else end
            elif text.startswith("/*", i):
                i = self._skip_block_comment(i)
            else:
                break
        return i

    def _skip_block_comment(self, i: int) -> int:
        """Past a /* */ comment; Postgres comments nest."""
        text, n = self.text, len(self.text)
        depth, j = 1, i + 2
        while j < n:
            if self.dialect == "postgres" and text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("*/", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    return j
            else:
                j += 1
        raise _Unterminated(i)

    def _line_end(self, i: int) -> int:
        end = self.text.find("\n", i)
        return len(self.text) if end < 0 else end

    def _client_command(self, i: int) -> int | None:
        """At a statement's start: a psql meta-command or mysql client command (a line of its
        own) is recorded and skipped; ``DELIMITER x`` changes the delimiter."""
        text = self.text
        line_start = text.rfind("\n", 0, i) + 1
        if text[line_start:i].strip():
            return None
        end = self._line_end(i)
        if self.dialect == "postgres":
            if text[i] == "\\":
                self.out.append(Statement(text[i:end].rstrip(), i, "client"))
                return end
            return None
        m = _MYSQL_CLIENT.match(text, i)
        if not m:
            return None
        line = text[i:end].rstrip()
        if m.group(0).lower() == "delimiter":
            new = line[len("delimiter"):].strip()
            if new:
                self.delimiter = new.split()[0]
        self.out.append(Statement(line, i, "client"))
        return end

    def _is_copy_from_stdin(self, start: int) -> bool:
        head = self.text[start:start + 6].upper()
        if self.dialect != "postgres" or head[:4] != "COPY":
            return False
        body = self.out[-1].text if self.out else ""
        return bool(re.search(r"(?is)\bFROM\s+stdin\b", body))

    def _skip_copy_data(self, i: int) -> int:
        """COPY ... FROM stdin: the data lines up to a line holding only ``\\.``."""
        m = re.compile(r"(?m)^\\\.[ \t]*\r?$").search(self.text, i)
        return len(self.text) if m is None else m.end()

    def _atomic_depth(self, word: str, depth: int, start: int | None, after: int) -> int:
        """BEGIN ATOMIC opens a body in which ``;`` ends nothing until its END; CASE ... END
        nests inside it."""
        if word == "BEGIN" and re.match(r"\s+ATOMIC\b", self.text[after:after + 40], re.IGNORECASE):
            return depth + 1
        if depth and word == "CASE":
            return depth + 1
        if depth and word == "END":
            return depth - 1
        return depth


def _word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] in "_$")


# --- tokens -----------------------------------------------------------------------------------


def tokenize(statement: Statement, dialect: str) -> list[Token]:
    """The tokens of one statement (comments dropped), with file offsets."""
    text, base = statement.text, statement.start
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if text.startswith("--", i) or (ch == "#" and dialect == "mysql"):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch == "'" or (ch == '"' and dialect == "mysql"):
            backslash = dialect == "mysql" or (i > 0 and text[i - 1] in "eE" and tokens and tokens[-1].start == base + i - 1)
            if tokens and backslash and dialect == "postgres":
                tokens.pop()  # the E of E'...'
            end = _skip_quoted(text, i, ch, backslash)
            raw = text[i:end]
            tokens.append(Token("string", raw, _unquote(raw[1:-1], ch, backslash), base + i))
            i = end
            continue
        if ch == '"' or (ch == "`" and dialect == "mysql"):
            end = _skip_quoted(text, i, ch, backslash=False)
            raw = text[i:end]
            tokens.append(Token("qident", raw, raw[1:-1].replace(ch * 2, ch), base + i))
            i = end
            continue
        if ch == "$" and dialect == "postgres":
            m = _DOLLAR_TAG.match(text, i)
            if m:
                close = text.find(m.group(0), m.end())
                end = n if close < 0 else close + len(m.group(0))
                tokens.append(Token("dollar", text[i:end], text[m.end():close if close >= 0 else n], base + i))
                i = end
                continue
        m = _WORD.match(text, i)
        if m:
            tokens.append(Token("word", m.group(0), m.group(0), base + i))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m:
            tokens.append(Token("number", m.group(0), m.group(0), base + i))
            i = m.end()
            continue
        if text.startswith("::", i):
            tokens.append(Token("punct", "::", "::", base + i))
            i += 2
            continue
        tokens.append(Token("punct", ch, ch, base + i))
        i += 1
    return tokens


def _unquote(body: str, quote: str, backslash: bool) -> str:
    body = body.replace(quote * 2, quote)
    if backslash:
        body = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(m.group(1), m.group(1)), body)
    return body
