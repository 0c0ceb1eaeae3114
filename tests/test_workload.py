"""The synthetic shop workload: deterministic, valid DMS records, and a record stream whose
replay (through the reference model) is exactly the source state it claims."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

import duckdb
import pytest

from streamleap.records import OPERATIONS, ChangeRecord, partition_key
from streamleap.demo.workload import (
    ABANDON_AFTER,
    ABANDONED_CARTS_SQL,
    HIGH_DEMAND_ITEMS_SQL,
    OPERATION_KINDS,
    SHOP_DDL,
    ShopWorkload,
    SimulatedClock,
    decode_row,
    encode_row,
    record_partition_key,
    shop_tables,
)
from tests.harness import encoded_state, expected_rows

KEYS = {"cart": ["cart_id"], "cart_item": ["cart_id", "line_no"]}
COLUMNS = {name: [c.name for c in t.columns] for name, t in shop_tables().items()}


def run(seed: int = 7, carts: int = 60, transactions: int = 3000, **kwargs) -> tuple[ShopWorkload, list[bytes], list[list[ChangeRecord]]]:
    """A full run: the load, then transactions with re-deliveries sent after newer records."""
    w = ShopWorkload(seed, **kwargs)
    stream = [r.to_bytes() for r in w.initial_load(carts)]
    txns = []
    for _ in range(transactions):
        records = w.step()
        txns.append(records)
        stream += [r.to_bytes() for r in records]
        stream += w.maybe_redeliver()
    return w, stream, txns


@pytest.fixture(scope="module")
def shop():
    return run(redeliver_rate=0.03)


def test_ddl_plans_the_two_tables():
    tables = shop_tables()
    assert set(tables) == {"cart", "cart_item"}
    assert all(t.source.schema == "public" for t in tables.values())
    assert tables["cart"].primary_key == ("cart_id",)
    assert tables["cart_item"].primary_key == ("cart_id", "line_no")
    assert COLUMNS["cart"] == ["cart_id", "customer_id", "status", "item_count", "total", "created_at", "updated_at"]
    assert COLUMNS["cart_item"] == ["cart_id", "line_no", "sku", "quantity", "unit_price"]
    assert "numeric(12,2)" in SHOP_DDL and tables["cart"].columns[4].target.redshift == "DECIMAL(12,2)"


def test_same_seed_same_bytes():
    _, a, _ = run(seed=3, transactions=500, redeliver_rate=0.05)
    _, b, _ = run(seed=3, transactions=500, redeliver_rate=0.05)
    _, c, _ = run(seed=4, transactions=500, redeliver_rate=0.05)
    assert a == b
    assert a != c


def test_records_are_dms_json(shop):
    w, stream, txns = shop
    seen_ops = Counter()
    for raw in stream:
        rec = json.loads(raw)
        assert set(rec) <= {"data", "metadata", "before-image"}
        m = rec["metadata"]
        assert m["record-type"] == "data"
        assert m["operation"] in OPERATIONS
        assert m["partition-key-type"] == "primary-key"
        assert m["schema-name"] == "public"
        assert m["table-name"] in COLUMNS
        assert dt.datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert list(rec["data"]) == COLUMNS[m["table-name"]]
        if m["operation"] == "load":
            assert "transaction-id" not in m and "commit-timestamp" not in m
        else:
            assert isinstance(m["transaction-id"], int) and isinstance(m["transaction-record-id"], int)
            assert dt.datetime.strptime(m["commit-timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        if m["operation"] == "delete":  # Postgres: key and NULLs
            key = KEYS[m["table-name"]]
            assert all(rec["data"][c] is not None for c in key)
            assert all(v is None for c, v in rec["data"].items() if c not in key)
        else:
            assert all(v is not None for v in rec["data"].values())  # every column is NOT NULL
        seen_ops[m["operation"]] += 1
    assert set(seen_ops) == set(OPERATIONS)


def test_transactions_are_well_formed(shop):
    _, _, txns = shop
    last = None
    xids = set()
    for records in txns:
        assert 1 <= len(records) <= 6
        assert [r.transaction_record_id for r in records] == list(range(1, len(records) + 1))
        assert len({r.transaction_id for r in records}) == 1 and len({r.commit_ts for r in records}) == 1
        assert records[0].transaction_id not in xids
        xids.add(records[0].transaction_id)
        if last is not None:
            assert records[0].commit_ts > last
        last = records[0].commit_ts


def test_commit_timestamps_never_go_back():
    w = ShopWorkload(1)
    w.initial_load(5)
    t = dt.datetime(2030, 1, 1, 12, 0, 0)
    first = w.next_transaction(t)
    again = w.next_transaction(t)  # same instant: moved 1 microsecond on
    earlier = w.next_transaction(t - dt.timedelta(hours=1))
    aware = w.next_transaction(dt.datetime(2030, 1, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert again[0].commit_ts == first[0].commit_ts + dt.timedelta(microseconds=1)
    assert earlier[0].commit_ts == again[0].commit_ts + dt.timedelta(microseconds=1)
    assert aware[0].commit_ts == dt.datetime(2030, 1, 1, 12, 0, 0, 3)  # 14:00+02:00 is 12:00 UTC: bumped
    assert json.loads(first[0].to_bytes())["metadata"]["commit-timestamp"] == "2030-01-01T12:00:00.000000Z"


def _replay(stream: list[bytes]) -> dict[str, dict[tuple, dict]]:
    sent = [(str(10**30 + i), raw) for i, raw in enumerate(stream)]
    return {table: expected_rows(sent, table, key, "public") for table, key in KEYS.items()}


def test_replaying_the_stream_gives_the_state(shop):
    w, stream, _ = shop
    assert w.redelivered > 0
    replayed = _replay(stream)
    state = w.state()
    for table in KEYS:
        assert replayed[table].keys() == state[table].keys(), table
        # decoded DMS values equal the source's Python values ...
        assert {k: decode_row(table, v) for k, v in replayed[table].items()} == state[table]
        # ... and the encoded forms agree too
        assert replayed[table] == {k: encode_row(table, v) for k, v in state[table].items()}
    assert replayed == encoded_state(w)


def test_replay_holds_at_every_point_and_for_other_seeds():
    for seed in (0, 11, 12345):
        w = ShopWorkload(seed, redeliver_rate=0.2, skus=20)
        stream = [r.to_bytes() for r in w.initial_load(10)]
        for i in range(400):
            stream += [r.to_bytes() for r in w.step()] + w.maybe_redeliver()
            if i % 97 == 0:
                assert _replay(stream) == encoded_state(w), (seed, i)
        assert _replay(stream) == encoded_state(w), seed


def test_state_is_consistent(shop):
    w, _, _ = shop
    state = w.state()
    carts, items = state["cart"], state["cart_item"]
    assert carts and items
    per_cart: dict[int, list[dict]] = {}
    for (cart_id, line_no), item in items.items():
        assert (cart_id,) in carts  # no orphan lines, also after key changes
        assert (item["cart_id"], item["line_no"]) == (cart_id, line_no)
        assert item["quantity"] >= 1 and item["unit_price"] > 0
        assert item["unit_price"] == item["unit_price"].quantize(Decimal("0.01"))
        per_cart.setdefault(cart_id, []).append(item)
    for (cart_id,), cart in carts.items():
        lines = per_cart.get(cart_id, [])
        assert cart["cart_id"] == cart_id
        assert cart["status"] in ("open", "checked_out", "abandoned")
        assert cart["item_count"] == sum(i["quantity"] for i in lines)
        assert cart["total"] == sum((i["quantity"] * i["unit_price"] for i in lines), Decimal("0.00"))
        assert cart["created_at"] <= cart["updated_at"]
        assert isinstance(cart["created_at"], dt.datetime) and isinstance(cart["total"], Decimal)


def test_every_operation_kind_occurs(shop):
    w, stream, txns = shop
    assert set(w.op_counts) == set(OPERATION_KINDS)
    assert all(n > 0 for n in w.op_counts.values())
    assert w.transactions == len(txns) == sum(w.op_counts.values())
    assert w.changes == sum(len(t) for t in txns)
    assert w.records_sent == len(stream) == w.loaded + w.changes + w.redelivered
    # primary-key changes: an update of cart with the old key in the before-image
    key_changes = [r for t in txns for r in t if r.before is not None]
    assert key_changes
    for r in key_changes:
        assert r.table == "cart" and r.operation == "update"
        assert set(r.before) == {"cart_id"} and r.before["cart_id"] != r.data["cart_id"]
    # re-deliveries are byte copies of records sent earlier
    assert w.redelivered > 0
    counts = Counter(stream)
    assert sum(n - 1 for n in counts.values()) >= w.redelivered
    # a few SKUs are in high demand
    skus = Counter(i["sku"] for i in w.state()["cart_item"].values())
    top, total = sum(n for _, n in skus.most_common(10)), sum(skus.values())
    assert top > total * 0.3


def test_abandon_only_idle_open_carts():
    w = ShopWorkload(5, weights={"open_cart": 1, "abandon": 3})
    w.initial_load(0)
    start = dt.datetime(2030, 1, 1)
    for minute in range(0, 180):
        for r in w.next_transaction(start + dt.timedelta(minutes=minute)):
            if r.data.get("status") == "abandoned":
                # only open_cart and abandon run: the cart was last updated when it was created
                cart = w.state()["cart"][(r.data["cart_id"],)]
                assert r.commit_ts - cart["created_at"] >= ABANDON_AFTER
    assert w.op_counts["abandon"] > 0
    statuses = Counter(c["status"] for c in w.state()["cart"].values())
    assert statuses["abandoned"] == w.op_counts["abandon"]


def test_partition_key():
    assert record_partition_key(ChangeRecord("public", "cart", "insert", {"cart_id": 42, "status": "open"})) == "public.cart.42"
    assert record_partition_key(ChangeRecord("public", "cart_item", "delete",
                                      {"cart_id": 42, "line_no": 3, "sku": None})) == "public.cart_item.42.3"
    rekey = ChangeRecord("public", "cart", "update", {"cart_id": 99}, before={"cart_id": 42})
    assert record_partition_key(rekey) == "public.cart.99"
    # one rule for every producer (dms.partition_key): a key past Kinesis's 256 characters is cut
    # and digested the same way by the demo workload and by capture
    long_key = ChangeRecord("public", "cart", "insert", {"cart_id": "9" * 300})
    assert record_partition_key(long_key) == partition_key("public", "cart", ["9" * 300])
    assert len(record_partition_key(long_key)) == 256


def test_clock_and_redeliver_rate():
    clock = SimulatedClock(dt.datetime(2031, 5, 1), mean_gap=10)
    w = ShopWorkload(2, clock=clock, redeliver_rate=0.0)
    load = w.initial_load(3)
    assert all(r.timestamp == load[0].timestamp and r.timestamp > dt.datetime(2031, 5, 1) for r in load)
    for _ in range(200):
        w.step()
        assert w.maybe_redeliver() == []
    assert w.redelivered == 0
    always = ShopWorkload(2, redeliver_rate=1.0)
    always.initial_load(3)
    assert always.maybe_redeliver()
    with pytest.raises(ValueError):
        ShopWorkload(weights={"nope": 1})
    with pytest.raises(RuntimeError):
        w.initial_load(1)


# ---------------------------------------------------------------- business questions
def _load_duckdb(state: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema shop")
    for name, table in shop_tables().items():
        cols = ", ".join(f"{c.name} {c.target.duckdb}" for c in table.columns)
        con.execute(f"create table shop.{name} ({cols})")
        rows = [tuple(row[c.name] for c in table.columns) for row in state[name].values()]
        if rows:
            con.executemany(f"insert into shop.{name} values ({', '.join('?' * len(table.columns))})", rows)
    return con


def _python_answers(state: dict) -> tuple[tuple, list[tuple]]:
    carts = list(state["cart"].values())
    latest = max((c["updated_at"] for c in carts), default=None)
    marked = [c for c in carts if c["status"] == "abandoned"]
    idle = [c for c in carts if c["status"] == "open" and latest is not None and c["updated_at"] < latest - ABANDON_AFTER]
    abandoned = (len(marked) + len(idle), sum((c["total"] for c in marked + idle), Decimal("0")), len(idle))
    open_ids = {c["cart_id"] for c in carts if c["status"] == "open"}
    units: Counter = Counter()
    holders: dict[str, set] = {}
    for item in state["cart_item"].values():
        if item["cart_id"] in open_ids:
            units[item["sku"]] += item["quantity"]
            holders.setdefault(item["sku"], set()).add(item["cart_id"])
    ranked = sorted(units, key=lambda s: (-units[s], s))[:10]
    return abandoned, [(s, units[s], len(holders[s])) for s in ranked]


@pytest.mark.parametrize("seed, transactions", [(7, 3000), (1, 300), (2, 0)])
def test_business_questions_on_duckdb(seed, transactions):
    w, _, _ = run(seed=seed, transactions=transactions, carts=40)
    state = w.state()
    con = _load_duckdb(state)
    names = {"cart": "shop.cart", "cart_item": "shop.cart_item"}
    abandoned = con.execute(ABANDONED_CARTS_SQL.format(**names)).fetchall()
    top = con.execute(HIGH_DEMAND_ITEMS_SQL.format(**names)).fetchall()
    want_abandoned, want_top = _python_answers(state)
    assert [tuple(abandoned[0])] == [want_abandoned]
    assert [tuple(r) for r in top] == want_top
    assert len(top) == min(10, len(want_top))
    if transactions >= 3000:
        assert want_abandoned[0] > 0 and want_top and want_top[0][0] < "SKU-00020"


def test_business_questions_on_empty_tables():
    con = _load_duckdb({"cart": {}, "cart_item": {}})
    names = {"cart": "shop.cart", "cart_item": "shop.cart_item"}
    assert con.execute(ABANDONED_CARTS_SQL.format(**names)).fetchall() == [(0, 0, 0)]
    assert con.execute(HIGH_DEMAND_ITEMS_SQL.format(**names)).fetchall() == []
