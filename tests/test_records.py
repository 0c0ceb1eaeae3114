"""The DMS record format's one owner (streamleap.records): a codec per type family, driven by the
family table in streamleap.model.type_mapping; what every producer (capture, the demo workload, the tests) writes."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math

import pytest

from streamleap.capture.postgres import TEXT_AS_IS, TEXT_PARSERS, ColumnKind, text_value
from streamleap.records import CODECS, decode_value, encode_value, fallback_type
from streamleap.model.type_mapping import FAMILIES, map_type

UTC = dt.timezone.utc

# one source type per family, and Python values of it (with its edges)
SAMPLES = {
    "boolean": ("boolean", [True, False]),
    "integer": ("bigint", [0, -1, 2**63 - 1, -(2**63)]),
    "decimal": ("numeric(38,10)", [decimal.Decimal("0"), decimal.Decimal("-12345678901234567890.0123456789"),
                                   decimal.Decimal("1E-10")]),
    "float": ("double precision", [0.1, -1e308, 5e-324, float("inf"), float("-inf"), float("nan")]),
    "string": ("text", ["", "a'b\"c", "ü€😀", "line\nbreak"]),
    "binary": ("bytea", [b"", b"\x00\xff", bytes(range(256))]),
    "date": ("date", [dt.date(1, 1, 1), dt.date(2024, 2, 29), dt.date(9999, 12, 31)]),
    "time": ("time", [dt.time(0, 0), dt.time(23, 59, 59, 999999)]),
    "timetz": ("time with time zone", [dt.time(12, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
                                        dt.time(1, 2, 3, 4, tzinfo=dt.timezone(-dt.timedelta(hours=8)))]),
    "timestamp": ("timestamp", [dt.datetime(1, 1, 1), dt.datetime(2024, 7, 29, 0, 58, 17, 974340)]),
    "timestamptz": ("timestamp with time zone", [dt.datetime(2024, 7, 29, 0, 58, 17, 974340, tzinfo=UTC),
                                                 dt.datetime(2024, 1, 1, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))]),
    "super": ("jsonb", [{"a": [1, "x", None, True]}, [], "text", 7]),
}


def test_every_family_has_one_codec_and_one_postgres_text_reading():
    assert set(CODECS) == set(FAMILIES)
    assert set(SAMPLES) == set(FAMILIES)
    assert set(TEXT_PARSERS) | TEXT_AS_IS == set(FAMILIES) | {"array"}
    assert not set(TEXT_PARSERS) & TEXT_AS_IS


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dt.datetime) and a.tzinfo is not None:
        return isinstance(b, dt.datetime) and b.tzinfo is not None and a == b
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("family", sorted(SAMPLES))
def test_a_value_comes_back_from_its_record_as_it_went_in(family):
    source_type, values = SAMPLES[family]
    target = map_type(source_type, "postgres")
    assert target.family == family
    for value in values:
        encoded = encode_value(value, target)
        in_record = json.loads(json.dumps(encoded, allow_nan=False))  # valid JSON: no NaN numbers
        decoded = decode_value(in_record, target)
        if family == "super":
            assert decoded == value, (value, encoded)
        else:
            assert _same(value, decoded), (value, encoded, decoded)


def test_encodings_are_dms_s():
    t = lambda s: map_type(s, "postgres")  # noqa: E731 - a short local name
    assert encode_value(True, t("boolean")) == 1
    assert encode_value(decimal.Decimal("1E-10"), t("numeric(12,10)")) == "0.0000000001"
    assert encode_value(0.1, t("numeric(12,10)")) == "0.1"  # a float for a decimal column: its shortest text
    assert encode_value(float("nan"), t("double precision")) == "NaN"
    assert encode_value(b"\x0a\xff", t("bytea")) == "0AFF"
    assert encode_value(b"caf\xc3\xa9", t("text")) == "café"
    assert encode_value({"b", "a"}, t("text")) == "a,b"  # a MySQL SET's members
    assert encode_value(dt.datetime(999, 1, 2, 3, 4, 5), t("timestamp")) == "0999-01-02 03:04:05"
    assert encode_value(dt.datetime(2024, 1, 1, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
                        t("timestamp with time zone")) == "2024-01-01 00:00:00"
    assert encode_value({"k": decimal.Decimal("2.50"), "ü": None}, t("jsonb")) == '{"k":2.50,"ü":null}'
    assert encode_value('{"already": "json"}', t("jsonb")) == '{"already": "json"}'
    assert encode_value(None, t("bigint")) is None


def test_a_text_python_cannot_hold_stays_text_both_ways():
    assert decode_value("infinity", map_type("date", "postgres")) == "infinity"
    assert decode_value("24:00:00", map_type("time", "postgres")) == "24:00:00"
    assert text_value("infinity", ColumnKind("timestamp")) == "infinity"
    assert text_value("2000-01-01 00:00:00 BC", ColumnKind("timestamp")) == "2000-01-01 00:00:00 BC"
    assert text_value("24:00:00", ColumnKind("time")) == "24:00:00"
    assert text_value("{1,NULL}", ColumnKind("array", ColumnKind("integer"))) == "[1,null]"


def test_a_column_of_unknown_type_is_typed_by_its_value():
    assert fallback_type(True).family == "boolean"
    assert fallback_type(7).family == "integer"
    assert fallback_type(decimal.Decimal("1.5")).family == "decimal"
    assert fallback_type(dt.datetime(2024, 1, 1, tzinfo=UTC)).family == "timestamptz"
    assert fallback_type({"a": 1}).family == "super"
    assert fallback_type("x").family == "string"
