"""A value in a DMS record, by its column's type family: one codec per family of
``streamleap.model.type_mapping.FAMILIES`` (a test fails when a family has none).

``encode_value`` writes a Python value the way DMS writes it into the record's JSON: numbers for
integers and floats, decimals as plain-notation strings, booleans as 0/1, dates, times and
'YYYY-MM-DD HH:MM:SS[.ffffff]' timestamps (UTC) as text, binary as upper-case hex, JSON columns
as a string holding compact JSON. Where DMS's own encoding is not documented (README, "Develop
without AWS"): a float that is NaN or infinite is the string "NaN", "Infinity" or "-Infinity"
(JSON has no such numbers), and text that arrives as bytes is decoded as UTF-8.

``decode_value`` reads such a value back into Python (the demo's and the tests' reference state);
a text the family's Python type cannot hold (a BC date, 24:00) stays text, as the apply would
set it aside.

>>> from streamleap.model.type_mapping import map_type
>>> encode_value(decimal.Decimal("1E-10"), map_type("numeric(12,10)", "postgres"))
'0.0000000001'
>>> decode_value("2024-07-29 00:58:17.974340", map_type("timestamp with time zone", "postgres"))
datetime.datetime(2024, 7, 29, 0, 58, 17, 974340, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from streamleap.model.type_mapping import TargetType, map_type


class Codec(NamedTuple):
    encode: Callable[[Any], Any]  # a Python value (not None) -> its JSON value in the record
    decode: Callable[[Any], Any]  # a JSON value of the record (not None) -> the Python value


def json_text(value: Any) -> str:
    """Compact JSON of a Python value: decimals as exact JSON numbers (never through a float), NaN
    and infinities as strings, bytes as hex, dates and times as ISO text, sets as sorted lists.

    >>> json_text({"a": [1, decimal.Decimal("2.50"), None, True, float("nan")]})
    '{"a":[1,2.50,null,true,"NaN"]}'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f") if value.is_finite() else json.dumps(str(value))
    if isinstance(value, float):
        return json.dumps(_float_text(value)) if not math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return json_text(sorted(value, key=str))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return json.dumps(bytes(value).hex().upper())
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return json.dumps(value.isoformat())
    return json.dumps(str(value), ensure_ascii=False)


def _float_text(number: float) -> str:
    return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")


def _text(value: Any) -> str:
    """Text as text: bytes decoded as UTF-8 (an invalid sequence replaced, never dropped)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _utc_naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


# --------------------------------------------------------------------------- encoders


def _encode_float(value: Any) -> Any:
    number = float(value)
    return number if math.isfinite(number) else _float_text(number)


def _encode_decimal(value: Any) -> Any:
    if isinstance(value, float):  # a float for a decimal column: its shortest exact text
        value = decimal.Decimal(repr(value)) if math.isfinite(value) else _float_text(value)
    return format(value, "f") if isinstance(value, decimal.Decimal) else value  # plain notation, never '1E-10'


def _encode_string(value: Any) -> str:
    if isinstance(value, (set, frozenset)):  # MySQL SET: its members, comma-separated
        return ",".join(sorted(value))
    return _text(value)


def _encode_date(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if isinstance(value, dt.date) else str(value)


def _encode_time(value: Any) -> str:
    """'HH:MM:SS[.ffffff]', with the UTC offset ('+05:30') for a time with a time zone."""
    if not isinstance(value, dt.time):
        return str(value)
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    text += f".{value.microsecond:06d}" if value.microsecond else ""
    offset = value.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text


def _encode_timestamp(value: Any) -> str:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; years below 1000 keep four digits."""
    if not isinstance(value, dt.datetime):
        return str(value)
    value = _utc_naive(value)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return text + (f".{value.microsecond:06d}" if value.microsecond else "")


def _encode_super(value: Any) -> str:
    return _text(value) if isinstance(value, (str, bytes, bytearray, memoryview)) else json_text(value)


# --------------------------------------------------------------------------- decoders


def _kept_as_text(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """parse, or the value itself where the family's Python type cannot hold it."""
    def decode(value: Any) -> Any:
        try:
            return parse(value)
        except (ValueError, ArithmeticError, TypeError):
            return value
    return decode


def _decode_boolean(value: Any) -> bool:
    if isinstance(value, str):
        if value.lower() not in ("0", "1", "t", "f", "true", "false"):
            raise ValueError(value)
        return value.lower() in ("1", "t", "true")
    return bool(value)


def _decode_timestamptz(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)


CODECS: dict[str, Codec] = {
    "boolean": Codec(lambda v: 1 if v else 0, _kept_as_text(_decode_boolean)),
    "integer": Codec(int, _kept_as_text(int)),
    "decimal": Codec(_encode_decimal, _kept_as_text(lambda v: decimal.Decimal(str(v)))),
    "float": Codec(_encode_float, _kept_as_text(float)),
    "string": Codec(_encode_string, str),
    "binary": Codec(lambda v: bytes(v).hex().upper(), _kept_as_text(bytes.fromhex)),
    "date": Codec(_encode_date, _kept_as_text(dt.date.fromisoformat)),
    "time": Codec(_encode_time, _kept_as_text(dt.time.fromisoformat)),
    "timetz": Codec(_encode_time, _kept_as_text(dt.time.fromisoformat)),
    "timestamp": Codec(_encode_timestamp, _kept_as_text(dt.datetime.fromisoformat)),
    "timestamptz": Codec(_encode_timestamp, _kept_as_text(_decode_timestamptz)),
    "super": Codec(_encode_super, _kept_as_text(lambda v: json.loads(v) if isinstance(v, str) else v)),
}


def encode_value(value: Any, target: TargetType) -> Any:
    """A Python value as DMS writes it into the record's JSON for a column of this type."""
    return None if value is None else CODECS[target.family].encode(value)


def decode_value(value: Any, target: TargetType) -> Any:
    """A value of a record's JSON, for a column of this type, as the Python value it encodes."""
    return None if value is None else CODECS[target.family].decode(value)


def fallback_type(value: Any) -> TargetType:
    """For a column whose type is not (yet) known: its type from the Python value."""
    if isinstance(value, bool):
        return map_type("boolean", "postgres")
    if isinstance(value, int):
        return map_type("bigint", "postgres")
    if isinstance(value, decimal.Decimal):
        return map_type("numeric", "postgres")
    if isinstance(value, float):
        return map_type("double precision", "postgres")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return map_type("bytea", "postgres")
    if isinstance(value, dt.datetime):
        return map_type("timestamp with time zone" if value.tzinfo else "timestamp", "postgres")
    if isinstance(value, dt.date):
        return map_type("date", "postgres")
    if isinstance(value, (dict, list)):
        return map_type("jsonb", "postgres")
    return map_type("text", "postgres")
