"""Values that do not fit their mirror column (var streamleap_on_misfit), on DuckDB and PostgreSQL.

With `adjust` (the default) a change whose value does not fit is applied, the value made to fit
by the policy of its family (README "Values that do not fit", docs/decisions/0008), and the
record is kept in the set-aside model, one row per adjusted column, marked adjusted. The mirror
row is never older than the source: the other columns of the same change are applied. With
`set_aside` the record is set aside whole and the mirror keeps the row as it was.

One project per target mirrors a Postgres table and a MySQL table (zero dates, VARBINARY). Run
1 inserts every case's row with good values; run 2 updates each row with one value that does not
fit plus a later column; each case is then one test item. Further runs: the same under
`set_aside`, keys that do not fit, deletes carrying values that do not fit, a set-aside table
from before the adjusted columns existed, a wrong policy name.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from streamleap.records import ChangeRecord
from tests.harness import STREAM, StreamWriter, Target, dbt, make_project

pytestmark = pytest.mark.dbt

TARGETS = ("local", "postgres")
SET_ASIDE = ("--vars", "{streamleap_on_misfit: set_aside}")

PG_DDL = """
CREATE TABLE public.pg_fit (
  id bigint PRIMARY KEY,
  c_text text,
  c_varchar varchar(5),
  c_num numeric,
  c_num12 numeric(12,2),
  c_small smallint,
  c_int integer,
  c_big bigint,
  c_real real,
  c_double double precision,
  c_bool boolean,
  c_date date,
  c_ts timestamp,
  c_tstz timestamp with time zone,
  c_timetz time with time zone,
  c_jsonb jsonb,
  c_later varchar(20)
);
"""

MY_DDL = """
CREATE TABLE shop.my_fit (
  id bigint NOT NULL PRIMARY KEY,
  c_date date NULL,
  c_datetime datetime(6) NULL,
  c_ts timestamp(3) NULL,
  c_vb varbinary(4) NULL,
  c_bool tinyint(1) NULL,
  c_ubig bigint unsigned NULL,
  c_later varchar(20) NULL
) ENGINE=InnoDB;
"""

TABLES = {"pg_fit": ("public", "pg_fit"), "my_fit": ("shop", "my_fit")}
GOOD = {  # run 1: a value of every column that fits
    "pg_fit": {"c_text": "t", "c_varchar": "v", "c_num": "1.5", "c_num12": "2.50", "c_small": 1, "c_int": 2, "c_big": 3,
               "c_real": 1.5, "c_double": 2.5, "c_bool": 1, "c_date": "2020-01-01", "c_ts": "2020-01-01 00:00:00",
               "c_tstz": "2020-01-01 00:00:00Z", "c_timetz": "10:00:00+01:00", "c_jsonb": '{"a": 1}'},
    "my_fit": {"c_date": "2020-01-01", "c_datetime": "2020-01-01 00:00:00.000000", "c_ts": "2020-01-01 00:00:00.000",
               "c_vb": "01020304", "c_bool": 1, "c_ubig": 7},
}
TYPES = {
    ("pg_fit", "c_text"): "VARCHAR(65535)", ("pg_fit", "c_varchar"): "VARCHAR(20)", ("pg_fit", "c_num"): "DECIMAL(38,10)",
    ("pg_fit", "c_num12"): "DECIMAL(12,2)", ("pg_fit", "c_small"): "SMALLINT", ("pg_fit", "c_int"): "INTEGER",
    ("pg_fit", "c_big"): "BIGINT", ("pg_fit", "c_real"): "REAL", ("pg_fit", "c_double"): "DOUBLE PRECISION",
    ("pg_fit", "c_bool"): "BOOLEAN", ("pg_fit", "c_date"): "DATE", ("pg_fit", "c_ts"): "TIMESTAMP",
    ("pg_fit", "c_tstz"): "TIMESTAMPTZ", ("pg_fit", "c_timetz"): "TIMETZ", ("pg_fit", "c_jsonb"): "SUPER",
    ("my_fit", "c_date"): "DATE", ("my_fit", "c_datetime"): "TIMESTAMP", ("my_fit", "c_ts"): "TIMESTAMP",
    ("my_fit", "c_vb"): "VARBYTE(4)", ("my_fit", "c_bool"): "BOOLEAN", ("my_fit", "c_ubig"): "DECIMAL(20,0)",
}

EMOJI = "\U0001F642"  # 4 bytes in UTF-8
NULL = "set to NULL"


@dataclass
class Case:
    table: str
    column: str
    label: str
    dms: Any          # the DMS JSON value that does not fit
    expect: Any       # what the mirror must hold
    adjustment: str   # the set-aside row's "adjusted: ..." text
    row_id: int = 0

    @property
    def id(self) -> str:
        return f"{self.table}-{self.column}-{self.label}"


def cut(n: int) -> str:
    return f"cut to {n} bytes"


CASES = [
    # text: the longest prefix whose UTF-8 bytes fit, never half a character
    Case("pg_fit", "c_text", "100KB-ascii", "x" * 102_400, "x" * 65_535, cut(65535)),
    Case("pg_fit", "c_text", "100KB-emoji-cut-at-n-2", "a" + EMOJI * 25_000, "a" + EMOJI * 16_383, cut(65535)),
    Case("pg_fit", "c_text", "euro-cut-at-n-1", "ab" + "€" * 30_000, "ab" + "€" * 21_844, cut(65535)),
    Case("pg_fit", "c_text", "2-byte-exact", "a" + "é" * 40_000, "a" + "é" * 32_767, cut(65535)),
    Case("pg_fit", "c_varchar", "emoji-cut-at-n-3", "x" + EMOJI * 5, "x" + EMOJI * 4, cut(20)),
    Case("pg_fit", "c_varchar", "ascii", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrst", cut(20)),
    # decimals: rounded half away from zero to the scale when the integer part fits
    Case("pg_fit", "c_num", "20-decimals", "3.14159265358979323846", Decimal("3.1415926536"), "rounded to 10 decimals"),
    Case("pg_fit", "c_num", "28-integer-digits-20-decimals", "1234567890123456789012345678.12345678901234567890",
         Decimal("1234567890123456789012345678.1234567890"), "rounded to 10 decimals"),
    Case("pg_fit", "c_num", "negative-half", "-2.00000000005", Decimal("-2.0000000001"), "rounded to 10 decimals"),
    Case("pg_fit", "c_num", "29-integer-digits", "12345678901234567890123456789", None, NULL),
    Case("pg_fit", "c_num", "carry-past-precision", "9999999999999999999999999999.99999999999", None, NULL),
    Case("pg_fit", "c_num", "nan", "NaN", None, NULL),
    Case("pg_fit", "c_num12", "half-up", "1.235", Decimal("1.24"), "rounded to 2 decimals"),
    Case("pg_fit", "c_num12", "negative-down", "-1.234", Decimal("-1.23"), "rounded to 2 decimals"),
    Case("pg_fit", "c_num12", "sci-notation", "1.5E2", Decimal("150.00"), "rounded to 2 decimals"),
    Case("pg_fit", "c_num12", "11-integer-digits", "12345678901.5", None, NULL),
    # out of range or not well-formed: NULL
    Case("pg_fit", "c_small", "out-of-range", 40_000, None, NULL),
    Case("pg_fit", "c_int", "fraction", 1.5, None, NULL),
    Case("pg_fit", "c_int", "not-a-number", "abc", None, NULL),
    Case("pg_fit", "c_big", "1e30", "1e30", None, NULL),
    Case("pg_fit", "c_real", "past-float32", "3.5e38", None, NULL),
    Case("pg_fit", "c_double", "past-double", "1e400", None, NULL),
    Case("pg_fit", "c_bool", "maybe", "maybe", None, NULL),
    Case("pg_fit", "c_date", "infinity", "infinity", None, NULL),
    Case("pg_fit", "c_date", "year-0", "0000-01-01", None, NULL),
    Case("pg_fit", "c_date", "feb-30", "2024-02-30", None, NULL),
    Case("pg_fit", "c_ts", "minus-infinity", "-infinity", None, NULL),
    Case("pg_fit", "c_ts", "hour-25", "2024-05-01 25:00:00", None, NULL),
    Case("pg_fit", "c_tstz", "infinity", "infinity", None, NULL),
    Case("pg_fit", "c_tstz", "offset-25h", "2024-05-01 12:00:00+25:00", None, NULL),
    Case("pg_fit", "c_tstz", "named-zone", "2024-05-01 12:00:00 CEST", None, NULL),
    Case("pg_fit", "c_timetz", "offset-25h", "12:00:00+25:00", None, NULL),
    # offsets past Redshift's +-14:59, though Postgres and DuckDB hold them: one rule on every target (0011)
    Case("pg_fit", "c_tstz", "offset-15h", "2024-05-01 12:00:00+15:00", None, NULL),
    Case("pg_fit", "c_timetz", "offset-minus-15h59", "12:00:00-15:59", None, NULL),
    Case("pg_fit", "c_jsonb", "bare-word", "hello", None, NULL),
    # MySQL zero dates, whatever path they came by (DMS, capture's snapshot or binlog)
    Case("my_fit", "c_date", "zero-date", "0000-00-00", None, NULL),
    Case("my_fit", "c_date", "zero-month", "2024-00-10", None, NULL),
    Case("my_fit", "c_date", "zero-day", "2024-02-00", None, NULL),
    Case("my_fit", "c_datetime", "zero-datetime", "0000-00-00 00:00:00", None, NULL),
    Case("my_fit", "c_datetime", "zero-datetime-6", "0000-00-00 00:00:00.000000", None, NULL),
    Case("my_fit", "c_ts", "zero-timestamp", "0000-00-00 00:00:00.000", None, NULL),
    Case("my_fit", "c_bool", "tinyint1-holding-2", 2, None, NULL),
    # binary: hex cut at the byte limit; not hex: NULL
    Case("my_fit", "c_vb", "6-bytes-0x", "0x" + "AB" * 6, b"\xab" * 4, cut(4)),
    Case("my_fit", "c_vb", "5-bytes", "ABCDEF0102", b"\xab\xcd\xef\x01", cut(4)),
    Case("my_fit", "c_vb", "not-hex", "zz", None, NULL),
    Case("my_fit", "c_ubig", "fraction-rounds", "1.5", Decimal("2"), "rounded to 0 decimals"),
]
for _i, _case in enumerate(CASES):
    _case.row_id = 100 + _i
assert len({c.id for c in CASES}) == len(CASES)

TWO_MISFITS_ID = 10     # one change, two values that do not fit
BAD_KEY_ID = 11         # a key that does not fit: set aside whole, as always
DELETE_ID = 12          # a MySQL delete carrying a zero date
DELETE_SET_ASIDE_ID = 13  # the same under set_aside (such a delete failed the whole batch before)
SET_ASIDE_RUN = CASES[:3] + [c for c in CASES if c.label in ("zero-date", "20-decimals", "out-of-range")]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 1, 12, 0, 0)
        self.txn = 1000

    def tick(self) -> tuple[dt.datetime, int]:
        self.now += dt.timedelta(milliseconds=3)
        self.txn += 1
        return self.now, self.txn


def change(table: str, op: str, clock: Clock, data: dict) -> ChangeRecord:
    schema, name = TABLES[table]
    ts, txn = clock.tick()
    return ChangeRecord(schema, name, op, data, commit_ts=None if op == "load" else ts, transaction_id=txn,
                        transaction_record_id=1)


def read_rows(target: Target, table: str) -> dict[int, dict[str, Any]]:
    con = target.connect()
    try:
        cur = con.cursor()
        if target.name == "postgres":
            cur.execute("set time zone 'UTC'")
        cur.execute(f"select * from {target.rel(table)}")
        names = [d[0] for d in cur.description]
        return {row[names.index("id")]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    finally:
        con.close()


@dataclass
class SetAsideRow:
    table: str
    column: str | None
    adjusted: bool
    reason: str


def read_set_aside(target: Target, seq_to_row: dict[str, int]) -> dict[int, list[SetAsideRow]]:
    out: dict[int, list[SetAsideRow]] = {}
    rows = target.query(f"select sequence_number, table_name, column_name, adjusted, reason from {target.rel(STREAM + '_set_aside')}")
    for seq, table, column, adjusted, reason in rows:
        out.setdefault(seq_to_row.get(seq, -1), []).append(SetAsideRow(table, column, adjusted, reason))
    for rows in out.values():
        rows.sort(key=lambda r: (r.column or "", r.reason))
    return out


@dataclass
class Built:
    target: Target
    rows: dict[str, dict[int, dict[str, Any]]]          # after the adjust run
    set_aside: dict[int, list[SetAsideRow]]            # after the adjust run
    rows_set_aside_run: dict[str, dict[int, dict[str, Any]]]
    set_aside_set_aside_run: dict[int, list[SetAsideRow]]
    later: dict[str, Any]                               # results of the later runs


def build(target_name: str, tmp_path, pg_url: str | None) -> Built:
    target = make_project(tmp_path, PG_DDL, "postgres", target_name, pg_url, more=[(MY_DDL, "mysql")])
    clock, writer = Clock(), StreamWriter(target)
    seq_to_row: dict[str, int] = {}

    def send(table: str, op: str, row_id: int, data: dict) -> None:
        writer.append([change(table, op, clock, {"id": row_id, **data})])
        seq_to_row[writer.sent[-1][0]] = row_id

    # run 1: every row as it was, with values that fit
    for case in CASES:
        send(case.table, "insert", case.row_id, {**GOOD[case.table], "c_later": "v1"})
    send("pg_fit", "insert", TWO_MISFITS_ID, {**GOOD["pg_fit"], "c_later": "v1"})
    send("my_fit", "insert", DELETE_ID, {**GOOD["my_fit"], "c_later": "v1"})
    send("my_fit", "insert", DELETE_SET_ASIDE_ID, {**GOOD["my_fit"], "c_later": "v1"})
    dbt(target, "run")
    # run 2 (adjust, the default): one value that does not fit per change, and a later column
    for case in CASES:
        send(case.table, "update", case.row_id, {**GOOD[case.table], case.column: case.dms, "c_later": "v2"})
    send("pg_fit", "update", TWO_MISFITS_ID, {**GOOD["pg_fit"], "c_small": 99_999, "c_varchar": "y" * 21, "c_later": "v2"})
    send("pg_fit", "insert", BAD_KEY_ID, {**GOOD["pg_fit"], "id": "1.5", "c_later": "v2"})
    send("my_fit", "delete", DELETE_ID, {**GOOD["my_fit"], "c_date": "0000-00-00", "c_datetime": "2024-00-00 00:00:00",
                                          "c_later": "v1"})
    dbt(target, "run")
    rows = {t: read_rows(target, t) for t in TABLES}
    set_aside = read_set_aside(target, seq_to_row)

    # run 3: the same kind of changes under streamleap_on_misfit: set_aside
    for case in SET_ASIDE_RUN:
        send(case.table, "update", case.row_id, {**GOOD[case.table], case.column: case.dms, "c_later": "v3"})
    send("my_fit", "delete", DELETE_SET_ASIDE_ID, {**GOOD["my_fit"], "c_date": "0000-00-00", "c_bool": 7, "c_later": "v1"})
    dbt(target, "run", *SET_ASIDE)
    rows_3 = {t: read_rows(target, t) for t in TABLES}
    set_aside_3 = read_set_aside(target, seq_to_row)

    later: dict[str, Any] = {}
    # a wrong policy name: one clear error, nothing applied
    send("pg_fit", "update", CASES[0].row_id, {**GOOD["pg_fit"], "c_later": "v4"})
    result = dbt(target, "run", "--vars", "{streamleap_on_misfit: truncate}", expect_ok=False)
    later["bad_policy_ok"] = bool(result.success)
    later["bad_policy_messages"] = " ".join(str(getattr(r, "message", "")) for r in (result.result.results if result.result else [])) \
        + " " + str(result.exception or "")
    later["bad_policy_later"] = read_rows(target, "pg_fit")[CASES[0].row_id]["c_later"]
    # a set-aside table from before column_name and adjusted existed: upgraded in place
    rel = target.rel(STREAM + "_set_aside")
    target.execute(f"alter table {rel} drop column column_name")
    target.execute(f"alter table {rel} drop column adjusted")
    # as a table built before: its state row holds no fingerprint (run_mode.sql), so it applies in its own run and is upgraded
    mark = "?" if target.name == "local" else "%s"
    target.execute(f"update {target.rel('streamleap_state')} set fingerprint = null where relation_name like {mark}", ["%_set_aside"])
    before_upgrade = target.query(f"select count(*) from {rel}")[0][0]
    send("pg_fit", "update", CASES[1].row_id, {**GOOD["pg_fit"], "c_small": -40_000, "c_later": "v5"})
    dbt(target, "run")
    later["upgraded"] = target.query(
        f"select count(*), sum(case when adjusted then 1 else 0 end), sum(case when adjusted is null then 1 else 0 end) from {rel}")[0]
    later["before_upgrade"] = before_upgrade
    later["upgrade_row"] = [r for r in read_set_aside(target, seq_to_row).get(CASES[1].row_id, []) if r.column == "c_small"]
    later["upgrade_later"] = read_rows(target, "pg_fit")[CASES[1].row_id]["c_later"]
    return Built(target, rows, set_aside, rows_3, set_aside_3, later)


_BUILT: dict[str, Built | Exception] = {}


@pytest.fixture
def built(request, tmp_path_factory):
    def get(target_name: str) -> Built:
        if target_name not in _BUILT:
            pg_url = request.getfixturevalue("pg_url") if target_name == "postgres" else None
            try:
                _BUILT[target_name] = build(target_name, tmp_path_factory.mktemp(f"misfit_{target_name}"), pg_url)
            except Exception as exc:  # noqa: BLE001 - reported by every test of this target
                _BUILT[target_name] = exc
        b = _BUILT[target_name]
        if isinstance(b, Exception):
            raise b
        return b

    return get


def _cell(value: Any, column: str, target_name: str) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if column == "c_jsonb" and target_name == "local" and value is not None:
        return json.loads(value)
    return value


def reason(case: Case, adjustment: str | None = None) -> str:
    text = f"column {case.column}: value does not fit {TYPES[(case.table, case.column)]}"
    return text + (f"; adjusted: {adjustment}" if adjustment else "")


# ------------------------------------------------------------------------------------ tests

@pytest.mark.parametrize("target_name", TARGETS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_value_that_does_not_fit_is_adjusted_and_the_change_applied(built, target_name, case):
    b = built(target_name)
    row = b.rows[case.table][case.row_id]
    actual = _cell(row[case.column], case.column, target_name)
    if isinstance(case.expect, str):  # say where a text differs, not 100 KB of it
        assert actual is not None and len(actual) == len(case.expect) and actual == case.expect, \
            f"{case.id}: {len(actual or '')} characters, {len((actual or '').encode())} bytes"
    else:
        assert actual == case.expect and type(actual) is type(case.expect), f"{case.id}: {actual!r}"
    # the change is applied: the mirror row is not older than the source
    assert row["c_later"] == "v2"
    # and its record is kept in the set-aside model, marked adjusted, naming the column
    assert b.set_aside.get(case.row_id) == [SetAsideRow(TABLES[case.table][1], case.column, True, reason(case, case.adjustment))]


@pytest.mark.parametrize("target_name", TARGETS)
def test_every_other_column_of_an_adjusted_change_is_applied(built, target_name):
    b = built(target_name)
    for case in CASES:
        row = b.rows[case.table][case.row_id]
        good = GOOD[case.table]
        for column in good:
            if column != case.column:
                assert row[column] is not None, f"{case.id}: {column} lost"


@pytest.mark.parametrize("target_name", TARGETS)
def test_two_values_that_do_not_fit_two_set_aside_rows(built, target_name):
    b = built(target_name)
    row = b.rows["pg_fit"][TWO_MISFITS_ID]
    assert (row["c_small"], row["c_varchar"], row["c_later"]) == (None, "y" * 20, "v2")
    assert b.set_aside[TWO_MISFITS_ID] == [
        SetAsideRow("pg_fit", "c_small", True, "column c_small: value does not fit SMALLINT; adjusted: set to NULL"),
        SetAsideRow("pg_fit", "c_varchar", True, "column c_varchar: value does not fit VARCHAR(20); adjusted: cut to 20 bytes"),
    ]


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_key_that_does_not_fit_is_never_adjusted(built, target_name):
    b = built(target_name)
    assert BAD_KEY_ID not in b.rows["pg_fit"] and 1 not in b.rows["pg_fit"] and 2 not in b.rows["pg_fit"]
    assert b.set_aside[BAD_KEY_ID] == [SetAsideRow("pg_fit", None, False, "column id: value does not fit BIGINT")]


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_delete_carrying_zero_dates_is_applied(built, target_name):
    b = built(target_name)
    assert DELETE_ID not in b.rows["my_fit"]
    assert DELETE_ID not in b.set_aside  # a delete's other values are not applied: nothing adjusted


@pytest.mark.parametrize("target_name", TARGETS)
@pytest.mark.parametrize("case", SET_ASIDE_RUN, ids=lambda c: c.id)
def test_with_set_aside_the_record_is_set_aside_whole(built, target_name, case):
    b = built(target_name)
    row = b.rows_set_aside_run[case.table][case.row_id]
    assert row["c_later"] == "v2", "the record was applied"
    assert _cell(row[case.column], case.column, target_name) == case.expect  # as run 2 left it
    assert b.set_aside_set_aside_run[case.row_id] == sorted(
        [SetAsideRow(TABLES[case.table][1], case.column, True, reason(case, case.adjustment)),
         SetAsideRow(TABLES[case.table][1], None, False, reason(case))], key=lambda r: (r.column or "", r.reason))


@pytest.mark.parametrize("target_name", TARGETS)
def test_with_set_aside_a_delete_carrying_zero_dates_is_applied(built, target_name):
    b = built(target_name)
    assert DELETE_SET_ASIDE_ID in b.rows["my_fit"] and DELETE_SET_ASIDE_ID not in b.rows_set_aside_run["my_fit"]
    assert DELETE_SET_ASIDE_ID not in b.set_aside_set_aside_run


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_wrong_policy_name_is_one_clear_error(built, target_name):
    b = built(target_name)
    assert not b.later["bad_policy_ok"]
    assert "var streamleap_on_misfit is 'truncate'; it must be adjust" in b.later["bad_policy_messages"]
    assert b.later["bad_policy_later"] == "v2"


@pytest.mark.parametrize("target_name", TARGETS)
def test_a_set_aside_table_from_before_gets_the_new_columns(built, target_name):
    b = built(target_name)
    total, adjusted, unknown = b.later["upgraded"]
    assert total == b.later["before_upgrade"] + 1 and adjusted == 1 and unknown == 0
    assert b.later["upgrade_row"] == [SetAsideRow("pg_fit", "c_small", True,
                                                  "column c_small: value does not fit SMALLINT; adjusted: set to NULL")]
    assert b.later["upgrade_later"] == "v5"
