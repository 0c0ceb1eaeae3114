"""Part "moto": the local Kinesis endpoint (moto's server) on its own: put_records in batches of
500 as the stream grows, get_records of the newest ~500 records of a shard (what a relay pull
reads), and a full read of every shard.
"""

from __future__ import annotations

from pathlib import Path

from harness import now_s, shop_records
from streamleap.demo.stats import median


def part_moto(work: Path, quick: bool) -> dict:
    from streamleap.kinesis.local import LocalKinesis

    total = 100_000 if not quick else 20_000
    raws, _ = shop_records(5, total)
    kinesis = LocalKinesis().start()
    try:
        kinesis.create_stream("bench", 4)
        client = kinesis.client()
        shard0 = "shardId-000000000000"
        put_curve, tail_curve = [], []
        last_seq: dict[str, list[str]] = {}
        done, window_t, window_n = 0, 0.0, 0
        for start in range(0, total, 500):
            chunk = raws[start:start + 500]
            entries = [{"Data": raw, "PartitionKey": f"k{start + i}"} for i, raw in enumerate(chunk)]
            t0 = now_s()
            resp = client.put_records(StreamName="bench", Records=entries)
            window_t += now_s() - t0
            window_n += len(chunk)
            for e in resp["Records"]:
                last_seq.setdefault(e["ShardId"], []).append(e["SequenceNumber"])
            done += len(chunk)
            if done % (total // 10) == 0:
                put_curve.append({"stream_records": done, "put_records_per_s": window_n / window_t})
                window_t, window_n = 0.0, 0
                # what a relay pull does each cycle: read the newest ~500 records of a shard
                seqs = last_seq[shard0]
                after = seqs[max(0, len(seqs) - 501)]
                times = []
                for _ in range(3):
                    it = client.get_shard_iterator(StreamName="bench", ShardId=shard0,
                                                   ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                   StartingSequenceNumber=after)["ShardIterator"]
                    t0 = now_s()
                    got = client.get_records(ShardIterator=it, Limit=10_000)["Records"]
                    times.append(now_s() - t0)
                tail_curve.append({"stream_records": done, "shard_records": len(seqs), "records": len(got),
                                   "get_records_s": median(times)})
        # a full read of every shard from the beginning, pages of 10,000
        t0 = now_s()
        read = 0
        for shard in sorted(last_seq):
            it = client.get_shard_iterator(StreamName="bench", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                page = client.get_records(ShardIterator=it, Limit=10_000)
                read += len(page["Records"])
                it = page.get("NextShardIterator")
                if not page["Records"]:
                    break
        full_read = read / (now_s() - t0)
    finally:
        kinesis.stop()
    return {
        "records": total, "record_bytes_avg": sum(map(len, raws)) / len(raws), "shards": 4,
        "put_curve": put_curve, "tail_get_curve": tail_curve, "full_read_records_per_s": full_read,
    }
