"""What the demo and the benchmark share: the latency statistics (streamleap.demo.stats), the
steady-rate producer and the shop's put into Kinesis (streamleap.demo.producer)."""

from __future__ import annotations

import datetime as dt
import doctest
import math
import time

import pytest

import streamleap.demo.stats
from streamleap.demo.producer import Producer, ShopToKinesis, shop_transactions
from streamleap.demo.stats import Visibility, median, percentile
from streamleap.demo.workload import ShopWorkload


def test_percentile_and_median():
    assert doctest.testmod(streamleap.demo.stats).failed == 0
    data = list(range(1, 101))
    assert percentile(data, 50) == 51 and percentile(data, 99) == 99 and percentile(data, 100) == 100
    assert percentile(reversed(data), 0) == 1
    assert percentile([5.0], 99) == 5.0
    assert median([3, 1, 2]) == 2 and math.isnan(median([]))


def test_visibility_by_shard_position():
    v = Visibility()
    v.put("s0", 10, written_at=100.0)
    v.put("s0", 20, written_at=100.5, count=2)
    v.put("s1", 7, written_at=101.0)
    assert not v.all_visible()
    v.applied_up_to({"s0": 10, "s1": 5}, at=101.0)
    v.applied_up_to({"s0": 9}, at=101.5)  # a position behind the mark: ignored
    assert v.latencies_ms() == [1000.0]
    v.applied_up_to({"s0": 25, "s1": 7}, at=102.0)
    assert v.all_visible()
    assert sorted(v.latencies_ms()) == [1000.0, 1000.0, 1500.0, 1500.0]


def test_visibility_with_datetime_positions():
    """The benchmark's appends straight into the stand-in: position = refresh_time, visible once
    the mirrors' watermark reaches it."""
    t = dt.datetime(2030, 1, 1)
    v = Visibility()
    v.put("stand-in", t, written_at=0.0, count=3)
    v.put("stand-in", t + dt.timedelta(seconds=1), written_at=0.2)
    v.applied_up_to({"stand-in": t}, at=0.5)
    assert v.latencies_ms() == [500.0] * 3 and not v.all_visible()
    v.applied_up_to({"stand-in": t + dt.timedelta(seconds=2)}, at=1.0)
    assert v.all_visible() and len(v.latencies_ms()) == 4


def test_producer_writes_at_a_steady_rate_and_reports_an_error():
    asked: list[int] = []

    def write(n: int) -> int:
        asked.append(n)
        return n + (1 if n else 0)  # a transaction is never cut: one more than asked

    p = Producer(write, rate=500, duration=0.3, tick=0.01).start()
    assert p.done.wait(5) and p.error is None
    assert 100 <= p.changes <= 200 and p.changes == sum(asked) + sum(1 for n in asked if n)

    def broken(n: int) -> int:
        raise ValueError("no")

    p = Producer(broken, rate=10, duration=5).start()
    assert p.done.wait(5) and isinstance(p.error, ValueError)


def test_shop_transactions_hold_at_least_what_is_due():
    w = ShopWorkload(3, clock=lambda: dt.datetime.now(dt.timezone.utc))
    w.initial_load(5)
    assert shop_transactions(w, 0) == []
    records = shop_transactions(w, 10)
    assert len(records) >= 10 and w.changes == len(records)


def test_shop_to_kinesis_notes_every_accepted_record():
    """KinesisWriter's on_accepted: each record Kinesis took, once, with its shard and sequence number."""
    import boto3
    from botocore.stub import ANY, Stubber

    client = boto3.session.Session().client("kinesis", region_name="us-east-1", aws_access_key_id="x",
                                            aws_secret_access_key="x")
    visibility = Visibility()
    shop = ShopToKinesis(ShopWorkload(1), client, "s", visibility)
    shop.writer._sleep = lambda s: None
    ok = [{"SequenceNumber": str(100 + i), "ShardId": f"shardId-00000000000{i % 2}"} for i in range(3)]
    throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
    records = shop_transactions(shop.workload, 3)[:3]
    with Stubber(client) as stub:
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [ok[0], throttled, ok[2]]},
                          {"StreamName": "s", "Records": ANY})
        stub.add_response("put_records", {"Records": [ok[1]]}, {"StreamName": "s", "Records": ANY})
        before = time.time()
        shop.put(records)
        stub.assert_no_pending_responses()
    assert sorted((lane, pos) for lane, pos, _, _ in visibility.puts) == [
        ("shardId-000000000000", 100), ("shardId-000000000000", 102), ("shardId-000000000001", 101)]
    assert all(before <= at <= time.time() for _, _, at, _ in visibility.puts)


@pytest.mark.parametrize("n", [0, 1])
def test_shop_write_counts_changes_not_redeliveries(n):
    class Writer:
        def __init__(self):
            self.got = []

        def put(self, batch):
            self.got += batch

    w = ShopWorkload(2, redeliver_rate=1.0, clock=lambda: dt.datetime.now(dt.timezone.utc))
    shop = ShopToKinesis(w, client=None, stream="s", visibility=Visibility())
    shop.writer = Writer()
    shop.initial_load(3)
    loaded = len(shop.writer.got)
    changes = shop.write(n)
    assert changes == w.changes
    assert len(shop.writer.got) - loaded == changes + w.redelivered
    assert {r.partition_key for r in shop.writer.got[loaded + changes:]} == {"redelivery"}
