"""The mirror on DuckDB and on a real PostgreSQL: a project made by init + generate, DMS records
written into the local stand-in, `dbt run`, and the mirror compared with the reference model."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

from streamleap.records import ChangeRecord, commit_timestamp_text
from tests.harness import StreamWriter, dbt, expected_rows, make_project, reset

pytestmark = pytest.mark.dbt


def control_record(schema: str, table: str, operation: str) -> bytes:
    """A DMS control record (record-type control), as DMS writes one for a DDL change; streamleap
    itself never writes one."""
    return json.dumps(
        {"control": {}, "metadata": {"timestamp": commit_timestamp_text(dt.datetime.now(dt.timezone.utc)),
                                     "record-type": "control", "operation": operation,
                                     "partition-key-type": "task-id", "schema-name": schema, "table-name": table}}
    ).encode()

DDL = """
CREATE TABLE public.cart (
  id bigint PRIMARY KEY,
  status varchar(10) NOT NULL,
  total numeric(12,2),
  updated_at timestamp
);
CREATE TABLE public.cart_item (
  cart_id bigint NOT NULL,
  line_no int NOT NULL,
  sku text,
  qty smallint,
  PRIMARY KEY (cart_id, line_no)
);
CREATE TABLE public.odd_key (
  f double precision NOT NULL,
  b bytea NOT NULL,
  v text,
  PRIMARY KEY (f, b)
);
"""

T0 = dt.datetime(2024, 5, 1, 12, 0, 0)

# the policy before streamleap_on_misfit existed: a value that does not fit sets its record aside
SET_ASIDE_MISFITS = ("--vars", "{streamleap_on_misfit: set_aside}")


class Clock:
    """Source commit times: strictly increasing, one per transaction."""

    def __init__(self):
        self.now = T0
        self.txn = 100

    def tick(self) -> tuple[dt.datetime, int]:
        self.now += dt.timedelta(milliseconds=7)
        self.txn += 1
        return self.now, self.txn


def cart(op: str, clock: Clock, id: int, status: str | None = None, total: str | None = None,
         before: dict | None = None, trid: int = 1, at: tuple | None = None) -> ChangeRecord:
    ts, txn = at or clock.tick()
    data = {"id": id, "status": status, "total": total, "updated_at": ts.strftime("%Y-%m-%d %H:%M:%S.%f") if status else None}
    return ChangeRecord("public", "cart", op, data, before=before,
                        commit_ts=None if op == "load" else ts, transaction_id=txn, transaction_record_id=trid)


def item(op: str, clock: Clock, cart_id: int, line_no: int, sku: str | None = None, qty: int | None = None) -> ChangeRecord:
    ts, txn = clock.tick()
    return ChangeRecord("public", "cart_item", op, {"cart_id": cart_id, "line_no": line_no, "sku": sku, "qty": qty},
                        commit_ts=ts, transaction_id=txn, transaction_record_id=1)


def mirror_rows(target, table: str, key: list[str], columns: list[str]) -> dict[tuple, dict]:
    cols = ", ".join(f'"{c}"' for c in columns)
    rows = target.query(f"select {cols} from {target.rel(table)}")
    return {tuple(r[columns.index(k)] for k in key): dict(zip(columns, r, strict=True)) for r in rows}


def _norm(value):
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _expected_norm(col: str, value):
    if value is None:
        return None
    if col == "total":
        return decimal.Decimal(str(value)).normalize()
    if col == "updated_at":
        return dt.datetime.fromisoformat(value)
    return value


def assert_mirror_matches(target, writer: StreamWriter, table: str = "cart") -> dict:
    key = ["id"] if table == "cart" else ["cart_id", "line_no"]
    columns = ["id", "status", "total", "updated_at"] if table == "cart" else ["cart_id", "line_no", "sku", "qty"]
    actual = {k: {c: _norm(v) for c, v in row.items()} for k, row in mirror_rows(target, table, key, columns).items()}
    expected = {k: {c: _expected_norm(c, row.get(c)) for c in columns}
                for k, row in expected_rows(writer.sent, table, key, "public").items()}
    assert actual == expected
    return actual


@pytest.fixture(scope="module", params=["local", "postgres"])
def project(request, tmp_path_factory):
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path_factory.mktemp(request.param), DDL, "postgres", request.param, pg_url)


@pytest.fixture
def target(project):
    """The module's project (made and parsed once per target), emptied as make_project leaves it:
    no mirrors, no state, an empty stand-in."""
    reset(project)
    return project


def test_first_run_applies_everything_and_changes_per_key(target):
    clock, w = Clock(), StreamWriter(target)
    w.append([
        cart("load", clock, 1, "open", "10.00"),
        cart("load", clock, 2, "open", "20.00"),
        cart("insert", clock, 3, "open", "1"),
        cart("update", clock, 3, "open", "2.5"),
        cart("update", clock, 3, "paid", "3.75"),
        cart("delete", clock, 2),
        cart("insert", clock, 4, "open", None),
    ])
    dbt(target, "run")
    actual = assert_mirror_matches(target, w)
    assert set(actual) == {(1,), (3,), (4,)}
    assert actual[(3,)]["status"] == "paid" and actual[(3,)]["total"] == decimal.Decimal("3.75")
    # the delete left a tombstone
    assert target.query(f"select id from {target.rel('cart__streamleap_tombstones')}") == [(2,)]


def test_batches_deletes_reinserts_and_key_moves(target):
    clock, w = Clock(), StreamWriter(target)
    dbt(target, "run")  # empty stream: builds everything
    assert target.query(f"select count(*) from {target.rel('cart')}") == [(0,)]
    w.append([cart("insert", clock, 1, "open", "5"), cart("insert", clock, 2, "open", "6")])
    dbt(target, "run")
    assert_mirror_matches(target, w)
    # delete then re-insert in one batch; a primary-key update 2 -> 20
    w.append([
        cart("delete", clock, 1),
        cart("insert", clock, 1, "reborn", "7"),
        cart("update", clock, 20, "moved", "6", before={"id": 2}),
    ])
    dbt(target, "run")
    actual = assert_mirror_matches(target, w)
    assert set(actual) == {(1,), (20,)} and actual[(1,)]["status"] == "reborn"
    # a batch of deletes only, then nothing new: the watermark moved, nothing is re-read
    w.append([cart("delete", clock, 1), cart("delete", clock, 20)])
    dbt(target, "run")
    assert assert_mirror_matches(target, w) == {}

    def state() -> tuple:
        return (target.query(f"select relation_name, watermark from {target.rel('streamleap_state')} order by 1"),
                sorted(target.query(f"select * from {target.rel('cart__streamleap_tombstones')}")))

    before = state()
    dbt(target, "run")
    assert state() == before


def test_redelivered_old_changes_never_win(target):
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1")])
    first_insert_seq = w.sent[-1][0]
    w.append([cart("update", clock, 1, "paid", "2")])
    update_seq = w.sent[-1][0]
    w.append([cart("insert", clock, 2, "open", "1")])
    insert2_seq = w.sent[-1][0]
    w.append([cart("delete", clock, 2)])
    dbt(target, "run")
    # DMS restarts and resends from its checkpoint: old copies arrive after newer changes,
    # in the same batch as newer ones and in later batches, also over a delete.
    w.resend(first_insert_seq)
    w.resend(insert2_seq)
    dbt(target, "run")
    w.resend(update_seq)
    w.resend(first_insert_seq)
    w.append([cart("update", clock, 1, "shipped", "2")])
    w.resend(insert2_seq)
    dbt(target, "run")
    actual = assert_mirror_matches(target, w)
    assert actual == {(1,): actual[(1,)]} and actual[(1,)]["status"] == "shipped"


def test_load_records_come_before_changes_and_same_commit_orders_by_record_id(target):
    clock, w = Clock(), StreamWriter(target)
    ts, txn = clock.tick()
    # a change committed, then (in the stream) a full-load record of the same row arrives later
    w.append([cart("update", clock, 1, "changed", "9")])
    w.append([cart("load", clock, 1, "loaded", "1")])
    # one transaction, two changes to one key: transaction-record-id decides
    at = clock.tick()
    w.append([cart("update", clock, 5, "second", "2", trid=2, at=at), cart("insert", clock, 5, "first", "1", trid=1, at=at)])
    dbt(target, "run")
    actual = assert_mirror_matches(target, w)
    assert actual[(1,)]["status"] == "changed" and actual[(5,)]["status"] == "second"


def test_malformed_foreign_and_control_records_are_set_aside_or_skipped(target):
    clock, w = Clock(), StreamWriter(target)
    dbt(target, "run")
    good = cart("insert", clock, 1, "open", "1")
    too_long = cart("insert", clock, 2, "x" * 41, "1")  # varchar(10) holds 40 bytes
    bad_decimal = cart("insert", clock, 3, "open", "12.345")  # numeric(12,2): would round
    no_key = ChangeRecord("public", "cart", "insert", {"status": "open"}, commit_ts=clock.tick()[0], transaction_id=1,
                          transaction_record_id=1)
    unknown_op = ChangeRecord("public", "cart", "truncate", {"id": 4}, commit_ts=clock.tick()[0], transaction_id=1, transaction_record_id=1)
    other_table = ChangeRecord("public", "not_mirrored", "insert", {"id": 1}, commit_ts=clock.tick()[0], transaction_id=1,
                               transaction_record_id=1)
    w.append([good, b"{not json", b"\xff\xfe binary", b'{"data": {"id": 9}}', too_long, bad_decimal, no_key, unknown_op,
              other_table, control_record("public", "cart", "add-column")])
    dbt(target, "run", *SET_ASIDE_MISFITS)
    actual = mirror_rows(target, "cart", ["id"], ["id", "status"])
    assert actual == {(1,): {"id": 1, "status": "open"}}
    rows = target.query(f"select sequence_number, reason, raw_data from {target.rel('shop_cdc_set_aside')} order by sequence_number")
    by_seq = {seq: (reason, bytes(raw)) for seq, reason, raw in rows}
    sent = dict(w.sent)
    reasons = {sent[seq]: reason for seq, (reason, _) in by_seq.items()}
    assert reasons[b"{not json"] == "not valid JSON"
    assert reasons[b"\xff\xfe binary"] == "not valid JSON"
    assert reasons[b'{"data": {"id": 9}}'].startswith("no DMS metadata")
    assert reasons[too_long.to_bytes()] == "column status: value does not fit VARCHAR(40)"
    assert reasons[bad_decimal.to_bytes()] == "column total: value does not fit DECIMAL(12,2)"
    assert reasons[no_key.to_bytes()] == "key column id is missing"
    assert reasons[unknown_op.to_bytes()] == "unknown operation truncate"
    assert len(rows) == 7  # the foreign table and the control record are neither applied nor set aside
    # raw bytes are kept exactly for non-JSON records
    assert by_seq[[s for s, r in w.sent if r == b"\xff\xfe binary"][0]][1] == b"\xff\xfe binary"
    # a later run adds nothing twice
    dbt(target, "run", *SET_ASIDE_MISFITS)
    assert len(target.query(f"select * from {target.rel('shop_cdc_set_aside')}")) == 7


def test_composite_key_table(target):
    clock, w = Clock(), StreamWriter(target)
    w.append([item("insert", clock, 1, 1, "A", 1), item("insert", clock, 1, 2, "B", 2), item("update", clock, 1, 2, "B", 5),
              item("insert", clock, 2, 1, "C", 1), item("delete", clock, 1, 1)])
    dbt(target, "run")
    actual = assert_mirror_matches(target, w, "cart_item")
    assert set(actual) == {(1, 2), (2, 1)} and actual[(1, 2)]["qty"] == 5
    dbt(target, "test")


def test_keys_whose_values_are_equal_are_one_key(target):
    """Keys are one when their typed values are equal, whatever their text: a float's -0 and 0, hex
    digits in either case. A cycle ranks every mirror's changes on the keys' texts (typed.sql)."""
    clock, w = Clock(), StreamWriter(target)

    def odd(op: str, f: float, b: str, v: str) -> ChangeRecord:
        ts, txn = clock.tick()
        return ChangeRecord("public", "odd_key", op, {"f": f, "b": b, "v": v}, commit_ts=ts, transaction_id=txn,
                            transaction_record_id=1)

    w.append([odd("insert", 2.0, "EF", "built")])
    dbt(target, "run")  # the mirror is built: the next run applies in the stream's cycle
    w.append([odd("insert", 0.0, "AB", "first"), odd("update", -0.0, "ab", "second"), odd("insert", 1.5, "AB", "other")])
    dbt(target, "run")
    rows = target.query(f"select f, v from {target.rel('odd_key')} order by f")
    assert [(float(f), v) for f, v in rows] == [(0.0, "second"), (1.5, "other"), (2.0, "built")]


def test_full_refresh_of_the_stream_is_refused_unless_allowed(target):
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1")])
    dbt(target, "run")
    result = dbt(target, "run", "--full-refresh", "-s", "stg_shop_cdc", expect_ok=False)
    assert not result.success
    messages = " ".join(str(r.message) for r in result.result.results)
    assert "refusing to drop and re-create" in messages and "streamleap_allow_stream_rebuild" in messages
    result = dbt(target, "run", "--full-refresh", "-s", "cart", expect_ok=False)
    assert "refusing --full-refresh" in " ".join(str(r.message) for r in result.result.results)
    assert_mirror_matches(target, w)
    # allowed explicitly: the mirror is rebuilt from what the stream retains
    dbt(target, "run", "--full-refresh", "--vars", "{streamleap_allow_stream_rebuild: true}")
    assert_mirror_matches(target, w)


def test_watermark_moves_past_records_of_other_tables(target):
    """A mirror never re-reads what it has read: not its own rows, not other tables' records."""
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1")])
    dbt(target, "run")
    other = ChangeRecord("public", "not_mirrored", "insert", {"id": 1}, commit_ts=clock.tick()[0], transaction_id=1,
                         transaction_record_id=1)
    w.append([other, control_record("public", "cart", "create-table")])
    dbt(target, "run")
    newest = target.query(f'select max(refresh_time) from "{target.stream_schema}"."shop_cdc"')[0][0]
    marks = dict(target.query(f"select relation_name, watermark from {target.rel('streamleap_state')} where watermark is not null"))
    assert {name.rsplit(".", 1)[1]: mark for name, mark in marks.items()} == {
        "cart": newest, "cart_item": newest, "odd_key": newest, "shop_cdc_set_aside": newest}
    assert_mirror_matches(target, w)


def test_values_and_metadata_that_would_fail_a_cast_are_set_aside(target):
    """Nothing a record carries can fail the run: a bad commit-timestamp, a fractional or huge
    number in scientific notation for an integer key are set aside, and the rest applies."""
    clock, w = Clock(), StreamWriter(target)
    good = cart("insert", clock, 1, "open", "1")
    bad_time = cart("insert", clock, 2, "open", "1")
    bad_time.extra_metadata["commit-timestamp"] = "n/a"
    fractional_key = cart("insert", clock, 3, "open", "1")
    fractional_key.data["id"] = "1.5e0"
    huge_key = cart("insert", clock, 4, "open", "1")
    huge_key.data["id"] = "1e30"
    w.append([good, bad_time, fractional_key, huge_key])
    dbt(target, "run")
    assert mirror_rows(target, "cart", ["id"], ["id"]) == {(1,): {"id": 1}}
    reasons = sorted(r[0] for r in target.query(f"select reason from {target.rel('shop_cdc_set_aside')}"))
    assert reasons == ["column id: value does not fit BIGINT", "column id: value does not fit BIGINT",
                       "metadata.commit-timestamp is not an ISO-8601 timestamp"]


@pytest.mark.parametrize("ddl", [
    "create table public.legacy (id int primary key, rowid int, note varchar(10));",
    "create table public.legacy (rowid int primary key, note varchar(10));",
], ids=["column", "key"])
def test_a_column_named_rowid_is_mirrored_as_any_other(ddl, tmp_path):
    """DuckDB's apply of one model (`dbt run -s`, the runner's per-table cycle) finds a mirror's
    rows by their row ids; a source column named rowid hides those, so such a table takes the key
    joins: same changes, same mirror."""
    target = make_project(tmp_path, ddl, "postgres", "local")
    key = "id" if "(id int" in ddl else "rowid"
    clock, w = Clock(), StreamWriter(target)

    def change(op: str, k: int, note: str | None) -> ChangeRecord:
        ts, txn = clock.tick()
        data = {key: k, "note": note, **({"rowid": 7} if key == "id" else {})}  # the same in every row
        return ChangeRecord("public", "legacy", op, data, commit_ts=ts, transaction_id=txn, transaction_record_id=1)

    old = change("update", 1, "old")
    w.append([change("insert", 1, "a"), change("insert", 2, "b"), change("insert", 3, "c")])
    dbt(target, "run")
    w.append([change("update", 1, "a2"), change("delete", 2, None), old])  # old: older than row 1's insert
    dbt(target, "run", "-s", "legacy")
    rows = sorted(target.query(f'select "{key}", note from {target.rel("legacy")}'))
    assert rows == [(1, "a2"), (3, "c")]


def test_a_generated_project_looks_up_the_package_macros_without_failing(tmp_path, monkeypatch):
    """dbt's adapter.dispatch looks a package's macro up in the root project first, through its table
    of packages that have macros. A project without a macro of its own is not in it, and each lookup
    raised and caught PackageNotFoundForMacroError: about a fifth of a mirror model's compile time.
    `streamleap init` writes the project a macro file of its own (docs/decisions/0030)."""
    from dbt.exceptions import PackageNotFoundForMacroError

    target = make_project(tmp_path, DDL, "postgres", "local", tables=["cart"])
    failed: list[str] = []
    original = PackageNotFoundForMacroError.__init__

    def counted(self, package_name):
        failed.append(package_name)
        original(self, package_name)

    monkeypatch.setattr(PackageNotFoundForMacroError, "__init__", counted)
    dbt(target, "compile", "-s", "cart")
    assert failed == []
    # without it, the same compile's lookups fail (each dispatch of the package's macros: twice)
    (target.project / "macros" / "streamleap_project.sql").unlink()
    dbt(target, "compile", "-s", "cart")
    assert len(failed) > 50 and set(failed) == {target.project.name}
