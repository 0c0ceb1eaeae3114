"""How every MySQL and Postgres column type lands in Redshift (and in DuckDB / Postgres mirrors).

The mapping is an explicit table, chosen so that no value the source can hold is lost or
rejected by the target column. Where a value can exceed what Redshift can hold (a LONGTEXT
over 64 KiB, a BYTEA over 1,000 KiB) the column is sized to Redshift's maximum (VARCHAR) or past
what one Kinesis record can carry (VARBYTE: 1 MiB a record, binary travelling as hex) and the
oversized value is handled by the loader's misfit policy (cut to fit, the record kept in the
set-aside model; or the change set aside whole with ``streamleap_on_misfit: set_aside``).
The ``note`` on each :class:`TargetType` says why a choice is not the obvious one.

Pitfalls this module exists to avoid:

* **Bytes, not characters.** Redshift ``CHAR(n)``/``VARCHAR(n)`` count *bytes*; MySQL and
  Postgres count *characters*, and utf8mb4 / UTF-8 take up to 4 bytes per character. So
  ``varchar(n)`` becomes ``VARCHAR(min(4n, 65535))``. Redshift ``CHAR`` holds single-byte
  characters only, so ``char(n)`` becomes ``VARCHAR(4n)`` as well.
* **Redshift ``TEXT`` is ``VARCHAR(256)``** and a bare ``NUMERIC``/``DECIMAL`` is
  ``NUMERIC(18,0)``: both silently reject or round values. Neither is ever emitted; every
  string gets an explicit byte length and every decimal an explicit ``(precision,scale)``.
* **Precision limits.** Redshift DECIMAL stops at 38 digits, so MySQL ``DECIMAL(65,2)`` keeps
  its exact value as text, and Postgres' unconstrained ``numeric`` gets ``DECIMAL(38,10)``.
* **Missing types.** Redshift has no unsigned integers, tinyint, uuid, inet, interval, ...;
  each gets the next wider integer or the type that keeps its exact text form.

:func:`map_type` accepts the spellings of sqlglot's rendering of parsed DDL, of MySQL's
``information_schema.COLUMNS.COLUMN_TYPE`` and of Postgres' ``format_type()``, in any case and
with any whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from streamleap.errors import UnsupportedTypeError

__all__ = [
    "FAMILIES",
    "TargetType",
    "map_type",
    "mapping_table",
    "VARCHAR_MAX_BYTES",
    "VARBYTE_MAX_BYTES",
    "DECIMAL_MAX_PRECISION",
]

FAMILIES = (
    "boolean",
    "integer",
    "decimal",
    "float",
    "string",
    "binary",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "super",
)

VARCHAR_MAX_BYTES = 65535
VARBYTE_MAX_BYTES = 1_024_000
DECIMAL_MAX_PRECISION = 38
BYTES_PER_CHAR = 4  # utf8mb4 and UTF-8: at most 4 bytes per character


@dataclass(frozen=True)
class TargetType:
    """The target column for one source type, and how a DMS JSON value is converted into it."""

    redshift: str
    duckdb: str
    postgres: str
    family: str
    max_bytes: int | None = None
    precision: int | None = None
    scale: int | None = None
    note: str = ""


# --------------------------------------------------------------------------- constructors


def _fixed(redshift: str, duckdb: str, postgres: str, family: str) -> TargetType:
    return TargetType(redshift=redshift, duckdb=duckdb, postgres=postgres, family=family)


_BOOLEAN = _fixed("BOOLEAN", "BOOLEAN", "boolean", "boolean")
_SMALLINT = _fixed("SMALLINT", "SMALLINT", "smallint", "integer")
_INTEGER = _fixed("INTEGER", "INTEGER", "integer", "integer")
_BIGINT = _fixed("BIGINT", "BIGINT", "bigint", "integer")
_REAL = _fixed("REAL", "REAL", "real", "float")
_DOUBLE = _fixed("DOUBLE PRECISION", "DOUBLE", "double precision", "float")
_DATE = _fixed("DATE", "DATE", "date", "date")
_TIME = _fixed("TIME", "TIME", "time", "time")
_TIMETZ = _fixed("TIMETZ", "TIME WITH TIME ZONE", "time with time zone", "timetz")
_TIMESTAMP = _fixed("TIMESTAMP", "TIMESTAMP", "timestamp", "timestamp")
_TIMESTAMPTZ = _fixed("TIMESTAMPTZ", "TIMESTAMPTZ", "timestamp with time zone", "timestamptz")
_SUPER = _fixed("SUPER", "JSON", "jsonb", "super")


def _noted(target: TargetType, note: str) -> TargetType:
    return replace(target, note=note) if note else target


def _string(n_bytes: int, note: str = "") -> TargetType:
    """VARCHAR of ``n_bytes`` bytes, clamped to 1..65535."""
    n = max(1, min(n_bytes, VARCHAR_MAX_BYTES))
    return TargetType(f"VARCHAR({n})", "VARCHAR", f"varchar({n})", "string", max_bytes=n, note=note)


def _chars(n_chars: int, note: str = "") -> TargetType:
    """VARCHAR big enough for ``n_chars`` characters of up to 4 bytes each."""
    return _string(BYTES_PER_CHAR * n_chars, note)


def _binary(n_bytes: int, note: str = "") -> TargetType:
    n = max(1, min(n_bytes, VARBYTE_MAX_BYTES))
    return TargetType(f"VARBYTE({n})", "BLOB", "bytea", "binary", max_bytes=n, note=note)


def _decimal(precision: int, scale: int, note: str = "") -> TargetType:
    """DECIMAL(p,s) when Redshift can hold it, else the exact value as text."""
    if scale < 0:  # Postgres 15+: numeric(5,-2) holds integers of p - s digits
        precision, scale = precision - scale, 0
    precision = max(precision, scale, 1)  # Postgres 15+ allows scale > precision
    if precision > DECIMAL_MAX_PRECISION:
        # sign + digits + decimal point, and a leading "0" when every digit is a decimal
        length = precision + 2 + (1 if scale >= precision else 0)
        why = (
            f"precision {precision} exceeds Redshift's {DECIMAL_MAX_PRECISION}: "
            "the exact value is kept as text"
        )
        return _string(length, f"{note}; {why}" if note else why)
    return TargetType(
        f"DECIMAL({precision},{scale})",
        f"DECIMAL({precision},{scale})",
        f"numeric({precision},{scale})",
        "decimal",
        precision=precision,
        scale=scale,
        note=note,
    )


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Parsed:
    """A source type spelling taken apart."""

    original: str  # stripped input, original case (enum type names are case-sensitive)
    name: str  # lower case, single-spaced base name: "bit varying", "double precision"
    args: tuple[str, ...] | None  # the parenthesised arguments, None when absent
    unsigned: bool = False
    zerofill: bool = False
    with_tz: bool = False
    array: bool = False
    labels: tuple[str, ...] | None = None  # ENUM / SET labels, unescaped


_ENUM_SET = re.compile(r"^(enum|set)\s*\((.*)\)\s*([a-z0-9_ ]*)$", re.IGNORECASE | re.DOTALL)
_LITERAL = re.compile(r"""\s*(?:'((?:[^'\\]|''|\\.)*)'|"((?:[^"\\]|""|\\.)*)")\s*(,|$)""", re.DOTALL)
_ARRAY_SUFFIX = re.compile(r"(?:\s*\[\s*\d*\s*\])+$|\s+array(?:\s*\[\s*\d*\s*\])?$")
_MODIFIER_CLAUSES = re.compile(r"\b(?:character\s+set|charset|collate|srid)\s+\S+")
_TZ_CLAUSE = re.compile(r"\bwith(out)?\s+time\s+zone\b")
_ARGS = re.compile(r"\(([^()]*)\)")
_BACKSLASH_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def _unescape(text: str, quote: str) -> str:
    """Undo SQL quoting of a string literal's body: doubled quotes and MySQL backslashes."""
    text = text.replace(quote * 2, quote)
    return re.sub(r"\\(.)", lambda m: _BACKSLASH_ESCAPES.get(m.group(1), m.group(1)), text, flags=re.DOTALL)


def _parse_labels(body: str) -> tuple[str, ...] | None:
    """The labels of ``'a','b'``; None when the list is not a clean list of literals."""
    labels: list[str] = []
    pos = 0
    while pos < len(body):
        m = _LITERAL.match(body, pos)
        if not m:
            return None
        single, double = m.group(1), m.group(2)
        labels.append(_unescape(single, "'") if single is not None else _unescape(double, '"'))
        pos = m.end()
        if m.group(3) == "" and pos < len(body):
            return None
        if m.group(3) == "," and pos == len(body):  # a trailing comma
            return None
    return tuple(labels)


def _parse(source_type: str, fail: Callable[[str], UnsupportedTypeError]) -> _Parsed:
    stripped = source_type.strip()
    if not stripped:
        raise fail("the type is empty")

    m = _ENUM_SET.match(stripped)  # before folding whitespace, which labels may contain
    if m:
        labels = _parse_labels(m.group(2).strip())
        if labels is None:
            raise fail(f"could not read the labels of {m.group(1).upper()}(...)")
        return _Parsed(stripped, m.group(1).lower(), None, labels=labels)

    original = " ".join(stripped.split())

    text = original.lower()
    array = False
    m = _ARRAY_SUFFIX.search(text)
    if m and m.start() > 0:
        array, text = True, text[: m.start()]
    text = _MODIFIER_CLAUSES.sub(" ", text)
    with_tz = False
    m = _TZ_CLAUSE.search(text)
    if m:
        with_tz = m.group(1) is None
        text = text[: m.start()] + " " + text[m.end() :]
    args: tuple[str, ...] | None = None
    m = _ARGS.search(text)
    if m:
        args = tuple(a.strip() for a in m.group(1).split(","))
        text = text[: m.start()] + " " + text[m.end() :]
    words = text.split()
    unsigned = "unsigned" in words
    zerofill = "zerofill" in words
    words = [w for w in words if w not in ("unsigned", "signed", "zerofill")]
    # MySQL attributes that may trail a character type: CHAR(10) BINARY, VARCHAR(5) ASCII
    while len(words) > 1 and words[-1] in ("binary", "ascii", "unicode", "byte"):
        words.pop()
    name = " ".join(words)
    if not name or "(" in name or ")" in name:
        raise fail("could not read the type")
    return _Parsed(original, name, args, unsigned, zerofill, with_tz, array)


def _int_args(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> tuple[int, ...]:
    if p.args is None:
        return ()
    try:
        return tuple(int(a) for a in p.args)
    except ValueError:
        raise fail(f"could not read the arguments ({', '.join(p.args)})") from None


def _first_arg(p: _Parsed, fail: Callable[[str], UnsupportedTypeError], default: int | None) -> int | None:
    ints = _int_args(p, fail)
    return ints[0] if ints else default


# --------------------------------------------------------------------------- shared rules

_Handler = Callable[[_Parsed, Callable[[str], UnsupportedTypeError]], TargetType]

_CHAR_NOTE = (
    "char(n): Redshift CHAR holds single-byte characters only, so VARCHAR of 4 bytes per "
    "character; trailing spaces are kept as the source sends them (MySQL strips them, "
    "Postgres pads), and Redshift ignores trailing spaces when comparing"
)
_VARCHAR_NOTE = "lengths are characters in the source, bytes in Redshift: 4 bytes per character"
_LONG_TEXT_NOTE = "no length limit; VARCHAR(65535) is Redshift's maximum, longer values are cut to fit"
_LONG_BINARY_NOTE = ("VARBYTE(1024000) holds more than one Kinesis record can carry (1 MiB, binary as hex: "
                     "about 500 KB); Redshift's VARBYTE maximum is 16,777,216")


def _varchar_rule(default_chars: int | None, note: str = _VARCHAR_NOTE) -> _Handler:
    """``(var)char(n)``: 4 bytes per character; without a length, ``default_chars`` or unbounded."""

    def rule(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
        n = _first_arg(p, fail, default_chars)
        if n is None:
            return _string(VARCHAR_MAX_BYTES, _LONG_TEXT_NOTE)
        if BYTES_PER_CHAR * n > VARCHAR_MAX_BYTES:
            return _chars(n, f"{note}; over 65535 bytes, longer values are cut to fit")
        return _chars(n, note)

    return rule


def _const(target: TargetType, note: str = "") -> _Handler:
    fixed = _noted(target, note)
    return lambda p, fail: fixed


def _text(n_bytes: int, note: str = "") -> _Handler:
    return _const(_string(n_bytes, note))


def _float_rule(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    """FLOAT(p): p <= 24 is single precision, 25..53 double; FLOAT(M,D) is single precision."""
    ints = _int_args(p, fail)
    if len(ints) == 1 and ints[0] > 24:
        return _noted(_DOUBLE, "float(p) with p > 24 is double precision")
    return _REAL


def _enum_rule(labels: Iterable[str]) -> TargetType:
    labels = list(labels)
    longest = max((len(label) for label in labels), default=1)
    return _chars(max(longest, 1), "enum: Redshift has no enum type; the label is kept as text")


# --------------------------------------------------------------------------- MySQL


def _mysql_tinyint(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    if _int_args(p, fail) == (1,) and not p.unsigned and not p.zerofill:
        return _noted(_BOOLEAN, "tinyint(1) is how MySQL stores BOOL/BOOLEAN; a value other than 0 or 1 in it becomes NULL "
                                "(misfit policy), never coerced")
    return _noted(_SMALLINT, "Redshift has no 1-byte integer")


def _mysql_int(signed: TargetType, unsigned: TargetType) -> _Handler:
    def rule(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
        if p.unsigned or p.zerofill:  # ZEROFILL implies UNSIGNED
            if unsigned.family == "decimal":
                return unsigned
            return _noted(unsigned, "unsigned: a signed integer wide enough for the unsigned range")
        return signed

    return rule


_UBIGINT = _decimal(20, 0, "bigint unsigned reaches 18446744073709551615, beyond BIGINT")


def _mysql_decimal(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    ints = _int_args(p, fail)
    precision = ints[0] if ints else 10  # MySQL: DECIMAL = DECIMAL(10,0)
    scale = ints[1] if len(ints) > 1 else 0
    return _decimal(precision, scale)


def _mysql_bit(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    n = _first_arg(p, fail, 1) or 1
    if n == 1:
        return _noted(_BOOLEAN, "bit(1): a single bit is a boolean")
    if n < 64:
        return _noted(_BIGINT, "bit(n): DMS writes the bits as an unsigned number")
    return _decimal(20, 0, "bit(64): DMS writes the bits as an unsigned number, beyond BIGINT")


# TINYTEXT holds 255 bytes in the column's character set: at most 255 characters, which take
# up to 4 bytes each in UTF-8 (a latin1 "é" is 1 byte in MySQL, 2 in Redshift).
_TINYTEXT_BYTES = 255 * BYTES_PER_CHAR
_TINYTEXT_NOTE = (
    "tinytext: 255 bytes in the column's character set, at most 255 characters, "
    "so 4 bytes per character in UTF-8"
)
_TEXT_NOTE = (
    "text: 65535 bytes in utf8mb4 fit VARCHAR(65535) exactly; in a single-byte character set "
    "the UTF-8 form can be longer, and such values are cut to fit"
)


def _mysql_text(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    n = _first_arg(p, fail, None)
    if n is not None and BYTES_PER_CHAR * n <= 255:  # TEXT(n) is the smallest TEXT type that fits
        return _string(_TINYTEXT_BYTES, f"text(n) this small is stored as tinytext; {_TINYTEXT_NOTE}")
    return _string(VARCHAR_MAX_BYTES, _TEXT_NOTE)


def _mysql_blob(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    n = _first_arg(p, fail, None)
    if n is not None and n <= 255:  # BLOB(n) is the smallest BLOB type that fits
        return _binary(255, "blob(n) small enough is stored as tinyblob: at most 255 bytes")
    if n is not None and n > 65535:
        return _binary(VARBYTE_MAX_BYTES, f"blob(n) this large is a mediumblob/longblob; {_LONG_BINARY_NOTE}")
    return _binary(65535, "blob holds at most 65535 bytes: VARBYTE(65535) fits exactly")


def _mysql_binary(default: int | None) -> _Handler:
    def rule(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
        n = _first_arg(p, fail, default)
        return _binary(65535 if n is None else n)

    return rule


def _mysql_set(labels: tuple[str, ...]) -> TargetType:
    n = sum(len(label.encode("utf-8")) for label in labels) + max(len(labels) - 1, 0)
    return _string(
        n, "set: DMS writes the chosen labels joined by commas; sized for all of them"
    )


_MYSQL_SPATIAL_NOTE = ("spatial: binary, the bytes MySQL stores (a 4-byte SRID, then WKB: a WKB reader skips the first 4); "
                       "VARBYTE(1024000) holds more than one Kinesis record can carry")

_MYSQL: dict[str, _Handler] = {
    # integers
    "bool": _const(_BOOLEAN),
    "boolean": _const(_BOOLEAN),
    "tinyint": _mysql_tinyint,
    "int1": _mysql_tinyint,
    "smallint": _mysql_int(_SMALLINT, _INTEGER),
    "int2": _mysql_int(_SMALLINT, _INTEGER),
    "mediumint": _mysql_int(_INTEGER, _INTEGER),
    "middleint": _mysql_int(_INTEGER, _INTEGER),
    "int3": _mysql_int(_INTEGER, _INTEGER),
    "int": _mysql_int(_INTEGER, _BIGINT),
    "integer": _mysql_int(_INTEGER, _BIGINT),
    "int4": _mysql_int(_INTEGER, _BIGINT),
    "bigint": _mysql_int(_BIGINT, _UBIGINT),
    "int8": _mysql_int(_BIGINT, _UBIGINT),
    "serial": _const(_decimal(20, 0, "serial is bigint unsigned, beyond BIGINT")),
    "bit": _mysql_bit,
    "year": _const(_SMALLINT, "year: Redshift has no year type"),
    # exact and approximate numbers
    "decimal": _mysql_decimal,
    "dec": _mysql_decimal,
    "numeric": _mysql_decimal,
    "fixed": _mysql_decimal,
    "float": _float_rule,
    "float4": _float_rule,
    "double": _const(_DOUBLE),
    "double precision": _const(_DOUBLE),
    "float8": _const(_DOUBLE),
    "real": _const(_DOUBLE, "MySQL REAL is DOUBLE unless sql_mode REAL_AS_FLOAT is set"),
    # dates and times
    "date": _const(_DATE),
    "datetime": _const(_TIMESTAMP),
    "timestamp": _const(
        _TIMESTAMP, "MySQL TIMESTAMP is stored in UTC and DMS writes it in UTC: the column holds UTC"
    ),
    "time": _text(
        20, "MySQL TIME spans -838:59:59 to 838:59:59, beyond Redshift TIME: kept as its text"
    ),
    # strings
    "char": _varchar_rule(1, _CHAR_NOTE),
    "character": _varchar_rule(1, _CHAR_NOTE),
    "nchar": _varchar_rule(1, _CHAR_NOTE),
    "national char": _varchar_rule(1, _CHAR_NOTE),
    "national character": _varchar_rule(1, _CHAR_NOTE),
    "varchar": _varchar_rule(None),
    "nvarchar": _varchar_rule(None),
    "character varying": _varchar_rule(None),
    "char varying": _varchar_rule(None),
    "national varchar": _varchar_rule(None),
    "national char varying": _varchar_rule(None),
    "national character varying": _varchar_rule(None),
    "nchar varchar": _varchar_rule(None),
    "nchar varying": _varchar_rule(None),
    "tinytext": _text(_TINYTEXT_BYTES, _TINYTEXT_NOTE),
    "text": _mysql_text,
    "mediumtext": _text(VARCHAR_MAX_BYTES, f"mediumtext: {_LONG_TEXT_NOTE}"),
    "longtext": _text(VARCHAR_MAX_BYTES, f"longtext: {_LONG_TEXT_NOTE}"),
    "long": _text(VARCHAR_MAX_BYTES, f"long is mediumtext: {_LONG_TEXT_NOTE}"),
    "long varchar": _text(VARCHAR_MAX_BYTES, f"long varchar is mediumtext: {_LONG_TEXT_NOTE}"),
    "json": _const(_SUPER),
    # binary
    "binary": _mysql_binary(1),
    "varbinary": _mysql_binary(None),
    "tinyblob": _const(_binary(255, "tinyblob holds at most 255 bytes")),
    "blob": _mysql_blob,
    "mediumblob": _const(_binary(VARBYTE_MAX_BYTES, f"mediumblob: {_LONG_BINARY_NOTE}")),
    "longblob": _const(_binary(VARBYTE_MAX_BYTES, f"longblob: {_LONG_BINARY_NOTE}")),
    "long varbinary": _const(_binary(VARBYTE_MAX_BYTES, f"long varbinary is mediumblob: {_LONG_BINARY_NOTE}")),
    # spatial
    **{
        name: _const(_binary(VARBYTE_MAX_BYTES, _MYSQL_SPATIAL_NOTE))
        for name in (
            "geometry",
            "point",
            "linestring",
            "polygon",
            "multipoint",
            "multilinestring",
            "multipolygon",
            "geometrycollection",
            "geomcollection",
        )
    },
    # MariaDB
    "uuid": _text(36, "uuid: no Redshift type, kept as its 36-char text"),
    "inet6": _text(45, "inet6: no Redshift type, kept as its text"),
    "inet4": _text(15, "inet4: no Redshift type, kept as its text"),
}


# --------------------------------------------------------------------------- Postgres


def _pg_numeric(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    ints = _int_args(p, fail)
    if not ints:
        return _decimal(
            38,
            10,
            "unconstrained numeric: more than 10 decimals are rounded to 10; more than 28 integer "
            "digits (and NaN/Infinity) become NULL",
        )
    return _decimal(ints[0], ints[1] if len(ints) > 1 else 0)


def _pg_float(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    return _float_rule(p, fail) if p.args else _DOUBLE  # Postgres: bare FLOAT is double


def _pg_bit(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    n = _first_arg(p, fail, 1) or 1
    if n == 1:
        return _noted(_BOOLEAN, "bit(1): a single bit is a boolean")
    note = "bit(n): kept as its '0101' text, one byte per bit"
    if n > VARCHAR_MAX_BYTES:
        return _string(VARCHAR_MAX_BYTES, f"{note}; over 65535 bits are cut to fit")
    return _string(n, note)


def _pg_varbit(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    n = _first_arg(p, fail, None)
    note = "bit varying: kept as its '0101' text, one byte per bit"
    if n is None or n > VARCHAR_MAX_BYTES:
        return _string(VARCHAR_MAX_BYTES, f"{note}; over 65535 bits are cut to fit")
    return _string(n, note)


def _pg_time(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    return _TIMETZ if p.with_tz else _TIME


def _pg_timestamp(p: _Parsed, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    return _TIMESTAMPTZ if p.with_tz else _TIMESTAMP


_PG_GEOMETRIC_NOTE = (
    "geometric: kept as its text form (DMS writes text; Redshift GEOMETRY would need a "
    "conversion); values over 65535 bytes are cut to fit"
)
_PG_RANGE_NOTE = "range: no Redshift type, kept as its text form"
_PG_UNBOUNDED_NOTE = "no Redshift type, kept as its text; values over 65535 bytes are cut to fit"

_POSTGRES: dict[str, _Handler] = {
    # integers
    "boolean": _const(_BOOLEAN),
    "bool": _const(_BOOLEAN),
    "smallint": _const(_SMALLINT),
    "int2": _const(_SMALLINT),
    "smallserial": _const(_SMALLINT),
    "serial2": _const(_SMALLINT),
    "integer": _const(_INTEGER),
    "int": _const(_INTEGER),
    "int4": _const(_INTEGER),
    "serial": _const(_INTEGER),
    "serial4": _const(_INTEGER),
    "bigint": _const(_BIGINT),
    "int8": _const(_BIGINT),
    "bigserial": _const(_BIGINT),
    "serial8": _const(_BIGINT),
    "oid": _const(_BIGINT, "oid is unsigned 32-bit: BIGINT"),
    "xid": _const(_BIGINT, "xid is unsigned 32-bit: BIGINT"),
    "cid": _const(_BIGINT, "cid is unsigned 32-bit: BIGINT"),
    "xid8": _const(_decimal(20, 0, "xid8 is unsigned 64-bit, beyond BIGINT")),
    # exact and approximate numbers
    "numeric": _pg_numeric,
    "decimal": _pg_numeric,
    "real": _const(_REAL),
    "float4": _const(_REAL),
    "double precision": _const(_DOUBLE),
    "float8": _const(_DOUBLE),
    "float": _pg_float,
    "money": _text(
        64,
        "money: DMS may write it formatted by lc_monetary ('$1,234.56'), so kept as text",
    ),
    # bits
    "bit": _pg_bit,
    "bit varying": _pg_varbit,
    "varbit": _pg_varbit,
    # strings
    "character varying": _varchar_rule(None),
    "char varying": _varchar_rule(None),
    "varchar": _varchar_rule(None),
    "character": _varchar_rule(1, _CHAR_NOTE),
    "char": _varchar_rule(1, _CHAR_NOTE),
    "bpchar": _varchar_rule(None, _CHAR_NOTE),
    '"char"': _text(4, '"char" is Postgres\' internal one-byte character type'),
    "text": _text(VARCHAR_MAX_BYTES, f"text: {_LONG_TEXT_NOTE}"),
    "citext": _text(VARCHAR_MAX_BYTES, f"citext: {_LONG_TEXT_NOTE}; comparisons become case-sensitive"),
    "name": _text(63, "name holds at most 63 bytes"),
    "uuid": _text(36, "uuid: no Redshift type, kept as its 36-char text"),
    "inet": _text(43, "inet: no Redshift type, kept as its text (longest: IPv6 with /128)"),
    "cidr": _text(43, "cidr: no Redshift type, kept as its text (longest: IPv6 with /128)"),
    "macaddr": _text(17, "macaddr: no Redshift type, kept as its text"),
    "macaddr8": _text(23, "macaddr8: no Redshift type, kept as its text"),
    "pg_lsn": _text(32, "pg_lsn: no Redshift type, kept as its text"),
    "tid": _text(32, "tid: no Redshift type, kept as its text"),
    "xml": _text(VARCHAR_MAX_BYTES, f"xml: {_PG_UNBOUNDED_NOTE}"),
    "tsvector": _text(VARCHAR_MAX_BYTES, f"tsvector: {_PG_UNBOUNDED_NOTE}"),
    "tsquery": _text(VARCHAR_MAX_BYTES, f"tsquery: {_PG_UNBOUNDED_NOTE}"),
    "jsonpath": _text(VARCHAR_MAX_BYTES, f"jsonpath: {_PG_UNBOUNDED_NOTE}"),
    "txid_snapshot": _text(VARCHAR_MAX_BYTES, f"txid_snapshot: {_PG_UNBOUNDED_NOTE}"),
    "pg_snapshot": _text(VARCHAR_MAX_BYTES, f"pg_snapshot: {_PG_UNBOUNDED_NOTE}"),
    "int2vector": _text(VARCHAR_MAX_BYTES, f"int2vector: {_PG_UNBOUNDED_NOTE}"),
    "oidvector": _text(VARCHAR_MAX_BYTES, f"oidvector: {_PG_UNBOUNDED_NOTE}"),
    **{
        name: _text(VARCHAR_MAX_BYTES, f"{name}: object name kept as text")
        for name in (
            "regclass",
            "regcollation",
            "regconfig",
            "regdictionary",
            "regnamespace",
            "regoper",
            "regoperator",
            "regproc",
            "regprocedure",
            "regrole",
            "regtype",
        )
    },
    # binary
    "bytea": _const(_binary(VARBYTE_MAX_BYTES, f"bytea: {_LONG_BINARY_NOTE}")),
    # dates and times
    "date": _const(_DATE),
    "time": _pg_time,
    "timetz": _const(_TIMETZ),
    "timestamp": _pg_timestamp,
    "timestamptz": _const(_TIMESTAMPTZ),
    # interval: "interval", "interval day to second", sqlglot's "INTERVAL 3" (see _postgres_handler)
    "interval": _text(
        128, "interval: no Redshift type for all intervals, kept as its text (longest ~80 chars)"
    ),
    # semi-structured
    "json": _const(_SUPER),
    "jsonb": _const(_SUPER),
    "hstore": _const(_SUPER, "hstore: a flat key/value map, loaded as a SUPER object"),
    # geometric
    **{
        name: _text(VARCHAR_MAX_BYTES, _PG_GEOMETRIC_NOTE)
        for name in ("point", "line", "lseg", "box", "path", "polygon", "circle")
    },
    # PostGIS
    "geometry": _text(VARCHAR_MAX_BYTES, f"PostGIS geometry: kept as its text (hex EWKB); {_PG_UNBOUNDED_NOTE}"),
    "geography": _text(VARCHAR_MAX_BYTES, f"PostGIS geography: kept as its text (hex EWKB); {_PG_UNBOUNDED_NOTE}"),
    # ranges: bounded-width element types fit in 256 bytes; numeric and multiranges are unbounded
    **{
        name: _text(256, _PG_RANGE_NOTE)
        for name in ("int4range", "int8range", "daterange", "tsrange", "tstzrange")
    },
    "numrange": _text(VARCHAR_MAX_BYTES, f"numrange: {_PG_UNBOUNDED_NOTE}"),
    **{
        name: _text(VARCHAR_MAX_BYTES, f"multirange: {_PG_UNBOUNDED_NOTE}")
        for name in (
            "int4multirange",
            "int8multirange",
            "nummultirange",
            "datemultirange",
            "tsmultirange",
            "tstzmultirange",
        )
    },
}

_IDENTIFIER = re.compile(r'^(?:(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\.)*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)$')


def _name_parts(name: str) -> tuple[str, ...]:
    """``public."Mood"`` -> ("public", "Mood"): unquoted parts fold to lower case, as in Postgres."""
    parts = re.findall(r'"(?:[^"]|"")+"|[^."]+', name.strip())
    return tuple(p[1:-1].replace('""', '"') if p.startswith('"') else p.strip().lower() for p in parts)


def _lookup_enum(original: str, enum_types: dict | None) -> list[str] | None:
    """The labels of the enum type ``original`` names, matching schema-qualified or bare names.

    Tried in order: the exact key; the same name parts; the same unqualified name (when only
    one enum type has it); then the same, ignoring case.
    """
    if not enum_types:
        return None
    if original in enum_types:
        return list(enum_types[original])
    wanted = _name_parts(original)
    if not wanted:
        return None
    keyed = [(_name_parts(str(k)), v) for k, v in enum_types.items()]
    def same(a: tuple[str, ...], b: tuple[str, ...], fold: bool) -> bool:
        if fold:
            a, b = tuple(x.lower() for x in a), tuple(x.lower() for x in b)
        return a == b

    def unqualified_match(parts: tuple[str, ...], fold: bool) -> bool:
        # "mood" and "public.mood" name the same type; "a.mood" and "b.mood" do not
        return (len(parts) == 1 or len(wanted) == 1) and same(parts[-1:], wanted[-1:], fold)

    tests: list[Callable[[tuple[str, ...]], bool]] = [
        lambda parts: same(parts, wanted, False),
        lambda parts: unqualified_match(parts, False),
        lambda parts: same(parts, wanted, True),
        lambda parts: unqualified_match(parts, True),
    ]
    for test in tests:
        found = [labels for parts, labels in keyed if parts and test(parts)]
        if len(found) == 1:
            return list(found[0])
    return None


def _is_udt_array(name: str) -> bool:
    """information_schema's udt_name of an array: ``_int4``, ``_varchar``, ``_text``."""
    return name.startswith("_") and name[1:] in _POSTGRES


def _postgres_handler(name: str) -> _Handler | None:
    handler = _POSTGRES.get(name)
    if handler is None and name.startswith("interval "):
        handler = _POSTGRES["interval"]
    return handler


# --------------------------------------------------------------------------- API

_UNKNOWN_HINT = (
    "streamleap has no mapping for it; change the column's type in the source "
    "or leave the column out of the mirror"
)
_PG_USER_TYPE_HINT = (
    "if it is an enum, include its CREATE TYPE ... AS ENUM in the DDL; if it is a domain "
    "or other user-defined type, declare the column with its base type"
)


# A type streamleap may keep as text: one (possibly schema-qualified, quoted) name, with optional
# arguments: vector(3), public.cube, "Sales"."Thing", geometry(Point,4326). Several words
# ("int y text": a missing comma) are never a type name.
_FALLBACK_NAME = re.compile(
    r'^(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))*\s*(?:\([^()]*\))?$'
)


def _unknown_type(source_type: str, fail: Callable[[str], UnsupportedTypeError]) -> TargetType:
    if not _FALLBACK_NAME.match(" ".join(source_type.split())):
        raise fail("it is not one type name; check the column definition (a missing comma?)")
    return _string(
        VARCHAR_MAX_BYTES,
        f"no Redshift counterpart for {' '.join(source_type.split())}: its text form is kept "
        "(a longer value is cut to fit, see the misfit policy)",
    )


def map_type(
    source_type: str,
    dialect: str,
    *,
    table: str = "",
    column: str = "",
    enum_types: dict | None = None,
    fallback: bool = False,
) -> TargetType:
    """The target type for a source column type.

    ``dialect`` is ``"mysql"`` or ``"postgres"``. ``enum_types`` maps Postgres enum type names
    to their labels. Raises :class:`UnsupportedTypeError` for a type with no safe mapping,
    unless ``fallback``: then a type streamleap has no rule for (an extension type such as
    ``vector(3)``, ``cube``, ``ltree``, a composite or range type, a type a newer server added)
    keeps its text form in VARCHAR(65535), with a note saying so. Malformed arguments of a
    known type (``varchar(x)``) are still an error.

    >>> map_type("public.vector(3)", "postgres", fallback=True).redshift
    'VARCHAR(65535)'
    """
    if dialect not in ("mysql", "postgres"):
        raise ValueError(f"dialect must be 'mysql' or 'postgres', not {dialect!r}")

    def fail(hint: str) -> UnsupportedTypeError:
        return UnsupportedTypeError(table, column, source_type, hint)

    try:
        parsed = _parse(source_type, fail)
    except UnsupportedTypeError:
        if not fallback:
            raise
        return _unknown_type(source_type, fail)

    if parsed.labels is not None:  # ENUM(...) / SET(...)
        if dialect == "postgres":
            raise fail(f"inline {parsed.name.upper()}(...) is MySQL syntax; use CREATE TYPE ... AS ENUM")
        return _enum_rule(parsed.labels) if parsed.name == "enum" else _mysql_set(parsed.labels)

    if dialect == "mysql":
        if parsed.array:
            raise fail("MySQL has no array types")
        handler = _MYSQL.get(parsed.name)
        if handler is None:
            if fallback:
                return _unknown_type(source_type, fail)
            raise fail(_UNKNOWN_HINT)
        return handler(parsed, fail)

    if parsed.array or parsed.name == "array" or _is_udt_array(parsed.name):
        return _noted(_SUPER, "array: loaded as a SUPER array")
    handler = _postgres_handler(parsed.name)
    if handler is not None:
        return handler(parsed, fail)
    labels = _lookup_enum(parsed.original, enum_types)
    if labels is not None:
        return _enum_rule(labels)
    if fallback:
        return _unknown_type(source_type, fail)
    if _IDENTIFIER.match(parsed.original):
        raise fail(f"unknown type {parsed.original}; {_PG_USER_TYPE_HINT}")
    raise fail(_UNKNOWN_HINT)


_EXAMPLE_ENUM = ("sad", "ok", "happy")

_REPRESENTATIVES: dict[str, tuple[str, ...]] = {
    "mysql": (
        "tinyint(1)", "bool", "bit(1)", "tinyint", "tinyint unsigned", "smallint",
        "smallint unsigned", "mediumint", "mediumint unsigned", "int", "int unsigned",
        "bigint", "bigint unsigned", "serial", "bit(8)", "bit(64)", "year",
        "decimal", "decimal(10,2)", "decimal(38,10)", "decimal(65,2)", "decimal(10,2) unsigned",
        "float", "float(7,4)", "float(30)", "double", "double unsigned", "real",
        "date", "datetime(6)", "timestamp", "time",
        "char(10)", "varchar(255)", "varchar(16383)", "tinytext", "text", "mediumtext",
        "longtext", "enum('a','b')", "set('x','y')", "json",
        "binary(16)", "varbinary(255)", "tinyblob", "blob", "mediumblob", "longblob",
        "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
        "multipolygon", "geometrycollection",
        "uuid", "inet4", "inet6",
    ),
    "postgres": (
        "boolean", "bit(1)", "smallint", "integer", "bigint", "smallserial", "serial",
        "bigserial", "oid", "xid", "xid8",
        "numeric(10,2)", "numeric(50,5)", "numeric", "real", "double precision", "money",
        "bit(8)", "bit varying(8)", "bit varying",
        "character(3)", "character varying(255)", "character varying", "text", "citext",
        '"char"', "name", "<enum type>",
        "uuid", "inet", "cidr", "macaddr", "macaddr8", "pg_lsn", "tid",
        "xml", "tsvector", "tsquery", "jsonpath", "regclass",
        "bytea",
        "date", "time without time zone", "time with time zone",
        "timestamp without time zone", "timestamp with time zone", "interval",
        "json", "jsonb", "hstore", "integer[]",
        "point", "line", "lseg", "box", "path", "polygon", "circle", "geometry", "geography",
        "int4range", "int8range", "numrange", "daterange", "tsrange", "tstzrange",
        "int4multirange",
    ),
}


def mapping_table() -> list[tuple[str, str, TargetType]]:
    """(dialect, representative source type, target) for every supported type, for the docs."""
    rows: list[tuple[str, str, TargetType]] = []
    for dialect, spellings in _REPRESENTATIVES.items():
        for spelling in spellings:
            if spelling == "<enum type>":
                target = _enum_rule(_EXAMPLE_ENUM)
                spelling = f"<enum type> e.g. AS ENUM ({', '.join(repr(x) for x in _EXAMPLE_ENUM)})"
            else:
                target = map_type(spelling, dialect)
            rows.append((dialect, spelling, target))
    return rows
