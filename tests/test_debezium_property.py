"""Property: the histories of test_mirror_property, written as Debezium change events (Postgres
connector, with and without the JSON converter's schemas: a key change as delete + tombstone +
create, deletes with tombstones, TRUNCATE as op t, the full load as snapshot reads), delivered with
re-deliveries, a shard read late and junk, cut into any batches: after the last `dbt run` the
mirror equals the source, the soft_delete model equals it plus every deleted key flagged with its
delete's commit time, and the history model holds the same versions (values, intervals, flags)
as the same history written as DMS records gives, on DuckDB and on Postgres."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamleap.capture.base import RowChange
from streamleap.records import ChangeRecord
from streamleap.records.debezium import DebeziumEncoder, DebeziumStyle
from streamleap.sources.ddl import parse_ddl
from tests.harness import StreamWriter, dbt, expected_history, make_project, parse_once, reset
from tests.test_mirror_property import DDL, histories

pytestmark = pytest.mark.dbt


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


@st.composite
def deliveries(draw):
    records, state, deleted = draw(histories())
    schemas = draw(st.booleans())
    events = as_debezium(records, schemas)
    stream: list[bytes] = [b for evs in events for b in evs]
    for _ in range(draw(st.integers(min_value=0, max_value=2))):  # a shard read late: an event moves later
        if len(stream) > 1:
            at = draw(st.integers(min_value=0, max_value=len(stream) - 2))
            late = stream.pop(at)
            stream.insert(draw(st.integers(min_value=at + 1, max_value=len(stream))), late)
    flat = [b for evs in events for b in evs]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):  # at-least-once: events sent again
        start = draw(st.integers(min_value=0, max_value=len(flat) - 1)) if flat else 0
        at = draw(st.integers(min_value=start, max_value=len(stream)))
        stream[at:at] = flat[start:start + draw(st.integers(min_value=1, max_value=3))]
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        stream.insert(draw(st.integers(min_value=0, max_value=len(stream))), draw(st.sampled_from([b"{oops", b'{"after": 1}'])))
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=3)))
    batches = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    return batches, state, deleted, records, schemas


@pytest.fixture(scope="module", params=[("local", True), ("local", False), ("postgres", True)],
                ids=["local-schemas", "local-no-schemas", "postgres-schemas"])
def target(request, tmp_path_factory):
    name, schemas = request.param
    pg_url = request.getfixturevalue("pg_url") if name == "postgres" else None
    t = parse_once(make_project(tmp_path_factory.mktemp(name), DDL, "postgres", name, pg_url,
                                mode_for="cart=mirror+soft_delete+history", record_format="debezium", debezium_schemas=schemas))
    t.schemas = schemas  # type: ignore[attr-defined]
    return t


@settings(max_examples=int(os.environ.get("STREAMLEAP_PROPERTY_EXAMPLES", "8")), deadline=None,
          derandomize=os.environ.get("STREAMLEAP_PROPERTY_RANDOM") != "1",
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=deliveries())
def test_debezium_events_mirror_as_dms_records_do(target, case):
    batches, source_state, deleted, records, schemas = case
    if schemas != target.schemas:  # the stream's converter setting is the project's (generate --debezium-schemas)
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
    dms = [(str(i), r.to_bytes()) for i, r in enumerate(records, start=1)]
    expected = {k[0]: [((d["status"], d["qty"]), *rest[:4]) for d, *rest in vs]
                for k, vs in expected_history(dms, "cart", ["id"]).items() if vs}
    assert got == expected
    assert {k: v[-1][0] for k, v in got.items() if v[-1][4]} == {k: (r["status"], r["qty"]) for k, r in source_state.items()}
    # nothing of the history was set aside but the junk
    kept = target.query(f"select reason from {target.rel('shop_cdc_set_aside')}")
    assert all(r[0] in ("not valid JSON", "not a Debezium change event (no op)") for r in kept), kept
