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
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from streamleap.errors import DDLParseError

__all__ = ["Statement", "Token", "LineIndex", "split_statements", "tokenize", "line_of"]

# A versioned comment's code runs on MySQL 8 up to this version (8.4 LTS), and MariaDB's
# /*M! ... */ up to 11.x (mariadb-dump writes /*M!999999 ... */ for a comment no server runs).
MYSQL_VERSION = 80499
MARIADB_VERSION = 119999

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")
_VERSIONED = re.compile(r"/\*(M?)!(\d{5,6})?")
_WORD = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*")
_NESTED_COMMENT = re.compile(r"/\*|\*/")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# In a statement: whitespace or a -- comment (1), the start of a /* comment (2), a word (3), a
# number (4), :: (5). Everything else (quotes, dollar quotes, # comments, other punctuation) is
# read character by character.
_PLAIN_TOKEN = re.compile(rf"(\s+|--[^\n]*)|(/\*)|({_WORD.pattern})|({_NUMBER.pattern})|(::)")
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
    """The line of ``offset`` (1-based). For many look-ups in one text use a LineIndex: this
    counts from the start of the text each time."""
    return text.count("\n", 0, max(0, offset)) + 1


class LineIndex:
    """Line and column of file offsets in one text: the offsets of its line breaks are found
    once (on the first look-up), each look-up is a binary search."""

    def __init__(self, text: str):
        self.text = text
        self._breaks: array | None = None

    def _index(self) -> array:
        if self._breaks is None:
            self._breaks = array("q", (m.start() for m in re.finditer("\n", self.text)))
        return self._breaks

    def line(self, offset: int) -> int:
        return bisect_right(self._index(), max(0, offset) - 1) + 1

    def column(self, offset: int) -> int:
        breaks = self._index()
        k = bisect_right(breaks, max(0, offset) - 1)
        return offset - (breaks[k - 1] + 1 if k else 0) + 1


# --- versioned comments -----------------------------------------------------------------------


_UNWRAP_NEXT = re.compile(r"['\"`#]|--|/\*")


def unwrap_versioned_comments(text: str) -> str:
    """MySQL: blank the markers of versioned comments whose code MySQL 8 runs, so their content
    is read as SQL; every other character keeps its offset."""
    if "/*" not in text:
        return text
    blanks: list[tuple[int, int]] = []  # (start, end) of each marker to blank
    i, n = 0, len(text)
    while i < n:
        m = _UNWRAP_NEXT.search(text, i)
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if ch in "'\"`":
            i = _skip_quoted(text, i, ch, backslash=ch != "`")
            continue
        if ch == "#" or ch == "-":
            if ch == "-" and not (i + 2 >= n or text[i + 2] in " \t\r\n"):
                i += 1
                continue
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        v = _VERSIONED.match(text, i)
        close = _comment_end(text, i + 2, versioned=bool(v))
        limit = MARIADB_VERSION if v and v.group(1) else MYSQL_VERSION
        if v and (not v.group(2) or int(v.group(2)) <= limit):
            blanks.append((i, v.end()))
            if close <= n:
                blanks.append((close - 2, close))
            i = v.end()  # the content is SQL: read on inside it
            continue
        i = close
    if not blanks:
        return text
    blanks.sort()
    parts: list[str] = []
    at = 0
    for start, end in blanks:
        start = max(start, at)
        if end <= start:
            continue
        parts.append(text[at:start])
        parts.append(" " * (end - start))
        at = end
    parts.append(text[at:])
    return "".join(parts)


_COMMENT_END_QUOTED = re.compile(r"['\"`]|\*/")


def _comment_end(text: str, i: int, versioned: bool) -> int:
    """Offset just past the ``*/`` closing a comment opened before ``i`` (quotes inside a
    versioned comment are SQL and may hold ``*/``)."""
    n = len(text)
    if not versioned:
        end = text.find("*/", i)
        return n + 2 if end < 0 else end + 2
    while True:
        m = _COMMENT_END_QUOTED.search(text, i)
        if m is None:
            return n + 2
        if m.group(0) == "*/":
            return m.end()
        i = _skip_quoted(text, m.start(), m.group(0), backslash=m.group(0) != "`")


_QUOTE_STOPS = {(q, b): re.compile("[" + re.escape(q) + ("\\\\" if b else "") + "]") for q in "'\"`" for b in (False, True)}


def _skip_quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    """Offset past the quoted text starting at ``i``; a doubled quote is one character."""
    n = len(text)
    stops = _QUOTE_STOPS[(quote, backslash)]
    j = i + 1
    while True:
        m = stops.search(text, j)
        if m is None:
            raise _Unterminated(i)
        j = m.start()
        if text[j] == "\\":  # only searched for when backslash escapes
            j += 2
            continue
        if j + 1 < n and text[j + 1] == quote:
            j += 2
            continue
        return j + 1


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

    def _next_pattern(self) -> re.Pattern:
        """What can change the reading inside a statement: the delimiter, quotes, comments,
        dollar quotes, and (Postgres) the words of BEGIN ATOMIC ... END; the text between is
        skipped in one search."""
        parts = [re.escape(self.delimiter), "'", '"', "--", "/\\*"]
        if self.dialect == "mysql":
            parts += ["`", "#"]
        else:
            parts += ["\\$", r"(?<![\w$])(?i:begin|case|end)(?![\w$])"]
        return re.compile("|".join(parts))

    def run(self) -> list[Statement]:
        text, n = self.text, len(self.text)
        i = 0
        start: int | None = None  # offset of the first code character of the current statement
        atomic = 0  # depth of BEGIN ATOMIC ... END (Postgres SQL-standard function bodies)
        delimiter = self.delimiter
        pattern = self._next_pattern()
        while i < n:
            if start is None:
                i = self._skip_blank(i)
                if i >= n:
                    break
                client_end = self._client_command(i)
                if client_end is not None:
                    i = client_end
                    if self.delimiter != delimiter:
                        delimiter, pattern = self.delimiter, self._next_pattern()
                    continue
                start = i
            m = pattern.search(text, i)
            if m is None:
                break
            i = m.start()
            ch = text[i]
            if text.startswith(delimiter, i) and not atomic:
                self._emit(start, i)
                i += len(delimiter)
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
            if text.startswith("--", i):
                if self.dialect == "postgres" or i + 2 >= n or text[i + 2] in " \t\r\n":
                    end = text.find("\n", i)
                    i = n if end < 0 else end
                else:
                    i += 1
                continue
            if ch == "#" and self.dialect == "mysql":
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if text.startswith("/*", i):
                i = self._skip_block_comment(i)
                continue
            if ch == "$" and self.dialect == "postgres":
                if not _word_char(text, i - 1):
                    d = _DOLLAR_TAG.match(text, i)
                    if d:
                        close = text.find(d.group(0), d.end())
                        if close < 0:
                            raise _Unterminated(i)
                        i = close + len(d.group(0))
                        continue
                i += 1
                continue
            if self.dialect == "postgres" and ch.isalpha():
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
        text = self.text
        if self.dialect != "postgres":
            end = text.find("*/", i + 2)
            if end < 0:
                raise _Unterminated(i)
            return end + 2
        depth, j = 1, i + 2
        while True:
            m = _NESTED_COMMENT.search(text, j)
            if m is None:
                raise _Unterminated(i)
            depth += 1 if m.group(0) == "/*" else -1
            j = m.end()
            if depth == 0:
                return j

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
        if m.group(0).lower() in ("use", "source"):  # these end at the delimiter too: USE db; CREATE ...
            stop = text.find(self.delimiter, i, end)
            end = end if stop < 0 else stop + len(self.delimiter)
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


def tokenize(statement: Statement, dialect: str, limit: int | None = None) -> list[Token]:
    """The tokens of one statement (comments dropped), with file offsets; with ``limit``, only
    that many first tokens (what a statement is, without reading all of it)."""
    return list(islice(_tokens(statement, dialect), limit))


def _tokens(statement: Statement, dialect: str) -> Iterator[Token]:
    """The tokens one at a time. A token is held back one step: a Postgres ``E`` right before a
    quote is not a word but the start of an escape string."""
    text, base = statement.text, statement.start
    held: Token | None = None
    i, n = 0, len(text)
    while i < n:
        plain = _PLAIN_TOKEN.match(text, i)  # the common tokens, and what lies between tokens, in one match
        if plain is not None:
            group = plain.lastindex
            if group == 1:  # whitespace, a -- comment
                i = plain.end()
                continue
            if group == 2:  # /* comment */
                end = text.find("*/", i + 2)
                i = n if end < 0 else end + 2
                continue
            end = plain.end()
            kind = "word" if group == 3 else "number" if group == 4 else "punct"
            if held is not None:
                yield held
            held, i = Token(kind, plain.group(0), plain.group(0), base + i), end
            continue
        ch = text[i]
        if ch == "#" and dialect == "mysql":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        token: Token | None = None
        if ch == "'" or (ch == '"' and dialect == "mysql"):
            escape = (dialect == "postgres" and held is not None and held.kind == "word" and held.text in ("e", "E")
                      and held.start == base + i - 1)
            if escape:
                held = None  # the E of E'...' belongs to the string
            backslash = dialect == "mysql" or escape
            end = _skip_quoted(text, i, ch, backslash)
            raw = text[i:end]
            token = Token("string", raw, _unquote(raw[1:-1], ch, backslash), base + i)
        elif ch == '"' or (ch == "`" and dialect == "mysql"):
            end = _skip_quoted(text, i, ch, backslash=False)
            raw = text[i:end]
            token = Token("qident", raw, raw[1:-1].replace(ch * 2, ch), base + i)
        else:
            m = _DOLLAR_TAG.match(text, i) if ch == "$" and dialect == "postgres" else None
            if m:
                close = text.find(m.group(0), m.end())
                end = n if close < 0 else close + len(m.group(0))
                token = Token("dollar", text[i:end], text[m.end():close if close >= 0 else n], base + i)
            else:
                end = i + 1
                token = Token("punct", ch, ch, base + i)
        if held is not None:
            yield held
        held, i = token, end
    if held is not None:
        yield held


def _unquote(body: str, quote: str, backslash: bool) -> str:
    body = body.replace(quote * 2, quote)
    if backslash:
        body = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(m.group(1), m.group(1)), body)
    return body
