"""Property, for every record format besides DMS's (test_mirror_property runs DMS's): the histories
of test_mirror_property written as

  * Debezium change events (Postgres connector, with and without the JSON converter's schemas: a
    key change as delete + tombstone + create, deletes with tombstones, TRUNCATE as op t, the full
    load as snapshot reads), and as
  * flat records (the row's columns, op I/U/D, a sequence field and an ISO commit time: a key
    change as D and I, a TRUNCATE as a D of every row, the full load as I),

delivered with re-deliveries, a shard read late and junk, cut into any batches: after the last
`dbt run` the mirror equals the source, the soft_delete model equals it plus every deleted key
flagged with its delete's commit time, and the history model holds the same versions (values,
intervals, flags) as the same history written as DMS records gives, on DuckDB and on Postgres."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamleap.capture.base import RowChange
from streamleap.records import ChangeRecord
from streamleap.records.debezium import DebeziumEncoder, DebeziumStyle
from streamleap.sources.ddl import parse_ddl
from tests.harness import StreamWriter, dbt, expected_history, make_project, parse_once, reset
from tests.test_mirror_property import DDL, delivered, histories

pytestmark = pytest.mark.dbt

FLAT = {"order_field": "seq", "time_field": "ts"}


def as_debezium(records: list[ChangeRecord], schemas: bool) -> list[list[bytes]]:
    """Each DMS record's Debezium events (their value bytes, tombstones as empty records, as
    Debezium Server writes them to Kinesis), LSNs in commit order, one transaction per id."""
    enc = DebeziumEncoder(parse_ddl(DDL, "postgres"), DebeziumStyle(schemas=schemas, database="shop"))
    out: list[list[bytes]] = []
    lsn = 0x16E3000
    last_tid = None
    for r in records:
        if r.transaction_id != last_tid and last_tid is not None:
            enc.end_transaction(f"0/{lsn:X}")
        last_tid = r.transaction_id
        change = RowChange(r.schema, r.table, r.operation, dict(r.data), dict(r.before) if r.before else None)
        if r.operation != "load":
            lsn += 0x38
            change.commit_ts, change.transaction_id, change.transaction_record_id = r.commit_ts, r.transaction_id, r.transaction_record_id
            change.stream_position = f"0/{lsn:X}"
        else:
            change.commit_ts = r.timestamp
        out.append([e.value_bytes() for e in enc.encode(change)])
    return out


def as_flat(records: list[ChangeRecord]) -> tuple[list[list[bytes]], list[ChangeRecord]]:
    """Each DMS record's flat records, and the DMS records that say the same (a TRUNCATE as a delete
    of every row it found, a key change as a delete and an insert): what the flat history is
    compared with."""
    state: set[int] = set()
    out: list[list[bytes]] = []
    same: list[ChangeRecord] = []
    def flat(op: str, row: dict, seq: int, r: ChangeRecord) -> bytes:
        when = r.commit_ts or r.timestamp
        return json.dumps({"op": op, **row, "seq": seq, "ts": when.isoformat(sep=" ")}).encode()

    def dms(op: str, row: dict, r: ChangeRecord) -> ChangeRecord:
        return ChangeRecord("public", "cart", op, row, commit_ts=r.commit_ts, timestamp=r.timestamp,
                            transaction_id=r.transaction_id, transaction_record_id=r.transaction_record_id)

    for seq, r in enumerate(records, start=1):

        key = r.data.get("id")
        if r.operation == "truncate-table":
            gone = [{"id": k, "status": None, "qty": None} for k in sorted(state)]
            out.append([flat("D", row, seq, r) for row in gone])
            same += [dms("delete", row, r) for row in gone]
            state.clear()
        elif r.operation == "update" and r.before and r.before["id"] != key:
            old = {"id": r.before["id"], "status": None, "qty": None}
            out.append([flat("D", old, seq, r), flat("I", dict(r.data), seq, r)])
            same += [dms("delete", old, r), dms("insert", dict(r.data), r)]
            state.discard(r.before["id"])
            state.add(key)
        else:
            op = {"load": "I", "insert": "I", "update": "U", "delete": "D"}[r.operation]
            out.append([flat(op, dict(r.data), seq, r)])
            same.append(dms(r.operation, dict(r.data), r) if r.operation != "load" else r)
            (state.discard if op == "D" else state.add)(key)
    return out, same


@st.composite
def deliveries(draw, fmt: str):
    records, state, deleted = draw(histories())
    schemas = draw(st.booleans())
    if fmt == "flat":
        events, same = as_flat(records)
    else:
        events, same = as_debezium(records, schemas), records
    batches = delivered(draw, [b for evs in events for b in evs], [b"{oops", b'{"after": 1}'])
    return batches, state, deleted, records, same, schemas


@pytest.fixture(scope="module", params=[("local", "debezium", True), ("local", "debezium", False), ("postgres", "debezium", True),
                                        ("local", "flat", False), ("postgres", "flat", False)],
                ids=["local-debezium", "local-debezium-no-schemas", "postgres-debezium", "local-flat", "postgres-flat"])
def target(request, tmp_path_factory):
    name, fmt, schemas = request.param
    pg_url = request.getfixturevalue("pg_url") if name == "postgres" else None
    t = parse_once(make_project(tmp_path_factory.mktemp(name), DDL, "postgres", name, pg_url, mode_for="cart=mirror+soft_delete+history",
                                record_format=fmt, debezium_schemas=schemas, flat=FLAT if fmt == "flat" else None))
    t.format, t.schemas = fmt, schemas  # type: ignore[attr-defined]
    return t


@settings(max_examples=int(os.environ.get("STREAMLEAP_PROPERTY_EXAMPLES", "8")), deadline=None,
          derandomize=os.environ.get("STREAMLEAP_PROPERTY_RANDOM") != "1",
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_format_mirrors_as_dms_records_do(target, data):
    batches, source_state, deleted, records, same, schemas = data.draw(deliveries(target.format))
    if target.format == "debezium" and schemas != target.schemas:  # the converter's setting is the project's
        batches = [[b for evs in as_debezium(records, target.schemas) for b in evs]]
    reset(target)
    writer = StreamWriter(target)
    for batch in batches:
        writer.append(batch)
        dbt(target, "run", "--quiet")
    rows = target.query(f'select id, status, qty from {target.rel("cart")}')
    assert {r[0]: {"id": r[0], "status": r[1], "qty": r[2]} for r in rows} == source_state
    soft = target.query(f'select id, status, qty, _streamleap_deleted, _streamleap_deleted_at from {target.rel("cart_soft_delete")}')
    assert {r[0]: tuple(r[1:]) for r in soft} == {
        **{k: (row["status"], row["qty"], False, None) for k, row in source_state.items()},
        **{k: (row["status"], row["qty"], True, at) for k, (row, at) in deleted.items()},
    }
    # the history: the versions the same history written as DMS records gives (the order keys
    # differ, so the version ids do too), and its current versions are the source's rows
    versions = target.query(f"select id, status, qty, dbt_valid_from, dbt_valid_to, dbt_is_deleted, _streamleap_is_current "
                            f"from {target.rel('cart_history')} order by id, dbt_valid_from, _streamleap_order")
    got: dict[int, list[tuple]] = {}
    for r in versions:
        got.setdefault(r[0], []).append(((r[1], r[2]), *r[3:7]))
    dms = [(str(i), r.to_bytes()) for i, r in enumerate(same, start=1)]
    expected = {k[0]: [((d["status"], d["qty"]), *rest[:4]) for d, *rest in vs]
                for k, vs in expected_history(dms, "cart", ["id"]).items() if vs}
    assert got == expected
    assert {k: v[-1][0] for k, v in got.items() if v[-1][4]} == {k: (r["status"], r["qty"]) for k, r in source_state.items()}
    # nothing of the history was set aside but the junk
    kept = target.query(f"select reason from {target.rel('shop_cdc_set_aside')}")
    junk = ("not valid JSON", "not a Debezium change event (no op)", "not a change record (no op field)")
    assert all(r[0] in junk for r in kept), kept


def test_flat_load_times_keep_their_microseconds():
    """The flat encoding of this test keeps commit times whole (the property compares them)."""
    when = dt.datetime(2024, 1, 1, 0, 0, 0, 1)
    [[record]], _ = as_flat([ChangeRecord("public", "cart", "insert", {"id": 1, "status": "a", "qty": 0}, commit_ts=when,
                                          transaction_id=1, transaction_record_id=1)])
    assert json.loads(record)["ts"] == "2024-01-01 00:00:00.000001"
