"""Kinesis for the local pipeline: an embedded endpoint (moto's server, in this process, on a free loopback port) that speaks the
Kinesis API over real HTTP.

    with LocalKinesis() as kinesis:
        kinesis.create_stream("shop_cdc", shards=4)
        client = kinesis.client()          # or streamleap.kinesis.client.kinesis_client(kinesis.endpoint_url)

The embedded endpoint keeps its streams in memory, for the life of the process; every
LocalKinesis in one process shares them (moto's backends are per process, per region).

Resharding is made to behave like Kinesis: moto would move a split or merged shard's records
into the new shards (with new sequence numbers), route later records to the closed parent, and
never end a closed shard's iterator chain. On the embedded endpoint a closed parent keeps its
records, new records go to open shards only, and GetRecords returns no NextShardIterator once a
closed shard is read to its end, which is what a consumer relies on to read parents before
children. And the embedded endpoint serves one Kinesis call at a time, so a producer putting
records while the relay reads them is safe. GetShardIterator refuses a sequence number past the
shard's last one with InvalidArgumentException, as Kinesis refuses one that did not come from the
shard (moto would hand out an iterator that silently waits for the new stream to catch up).

The listening socket is bound in the caller's thread, so a port in use fails start() with OSError
at once (moto's own threaded server binds in its thread, where werkzeug's exit on a taken port
leaves the caller waiting forever).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from streamleap.errors import StreamleapError
from streamleap.kinesis.client import DEFAULT_LOCAL_REGION, DUMMY_KEY

class LocalKinesis:
    """moto's server in this process, on 127.0.0.1 and a free port (or ``port``). A context manager."""

    def __init__(self, region: str = DEFAULT_LOCAL_REGION, port: int = 0):
        self.region = region
        self.port = port
        self._server: Any = None
        self._endpoint: str | None = None
        self._client: Any = None

    def start(self) -> LocalKinesis:
        """Listen on 127.0.0.1 and serve from a thread; OSError at once when the port is taken."""
        if self._server is not None:
            return self
        # werkzeug logs every request at INFO; keep warnings and errors
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level < logging.WARNING:  # NOTSET too: werkzeug would pick INFO
            werkzeug_log.setLevel(logging.WARNING)
        _make_moto_resharding_faithful()
        server = _MotoServer("127.0.0.1", self.port)
        host, port = server.address
        self._server = server
        self._endpoint = f"http://{host}:{port}"
        return self

    @property
    def endpoint_url(self) -> str:
        if self._endpoint is None:
            raise StreamleapError("the local Kinesis endpoint is not running; call start() first")
        return self._endpoint

    def client(self):
        """A boto3 Kinesis client for this endpoint, with dummy credentials: one per start, shared
        (boto3's clients are thread-safe; making one reads botocore's endpoint and service files,
        about 0.1 s)."""
        if self._client is None:
            import boto3

            self._client = boto3.session.Session().client(
                "kinesis", region_name=self.region, endpoint_url=self.endpoint_url,
                aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY)
        return self._client

    def create_stream(self, name: str, shards: int = 4) -> None:
        """Create the stream unless it exists (any shard count), and wait until it is ACTIVE."""
        client = self.client()
        try:
            client.create_stream(StreamName=name, ShardCount=shards)
        except client.exceptions.ResourceInUseException:
            pass
        deadline = time.monotonic() + 30
        while True:
            status = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
            if status == "ACTIVE":
                return
            if time.monotonic() > deadline:
                raise StreamleapError(f"local Kinesis stream {name} is still {status} after 30 s")
            time.sleep(0.05)

    def stop(self) -> None:
        server, self._server, self._endpoint, self._client = self._server, None, None, None
        if server is not None:
            server.stop()

    def __enter__(self) -> LocalKinesis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _MotoServer:
    """moto's WSGI app on a socket bound here (errors raise in the caller), served by a thread."""

    def __init__(self, host: str, port: int):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart on the port it just left
            sock.bind((host, port))
            sock.listen(128)
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(host, sock.getsockname()[1], app, True, request_handler=MotoRequestHandler,
                                       fd=sock.fileno())
        finally:
            sock.close()  # werkzeug serves a duplicate of it
        bound_host, bound_port = self._server.server_address[:2]
        self.address: tuple[str, int] = (bound_host.decode() if isinstance(bound_host, (bytes, bytearray)) else str(bound_host),
                                         int(bound_port))
        self._thread = threading.Thread(target=self._server.serve_forever, name="streamleap-kinesis-local", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


# ---------------------------------------------------------------- moto resharding, as Kinesis does it
_patch_lock = threading.Lock()
_patched = False


def _make_moto_resharding_faithful() -> None:
    """Adjust moto's in-process Kinesis model: resharding as Kinesis does it, one call at a time.
    Once per process, for every moto user in it; skipped when moto's internals are not the ones
    this was written against (moto 5), which leaves moto's own behaviour."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        try:
            from moto.kinesis import models
            from moto.kinesis.exceptions import InvalidArgumentError
            from moto.kinesis.utils import decompose_shard_iterator
        except ImportError:  # pragma: no cover - moto layout changed
            return
        stream_cls, backend_cls = getattr(models, "Stream", None), getattr(models, "KinesisBackend", None)
        needed = [(stream_cls, "get_shard_for_key"), (stream_cls, "split_shard"), (stream_cls, "merge_shards"),
                  (backend_cls, "get_records")]
        if stream_cls is None or backend_cls is None or any(not callable(getattr(cls, name, None)) for cls, name in needed):
            return  # pragma: no cover
        md5_hash = getattr(models, "md5_hash", None)
        if md5_hash is None:  # pragma: no cover
            return

        original_split = stream_cls.split_shard
        original_merge = stream_cls.merge_shards
        original_get_records = backend_cls.get_records
        original_get_shard_iterator = backend_cls.get_shard_iterator

        def get_shard_iterator(self, stream_arn, stream_name, shard_id, shard_iterator_type, starting_sequence_number,
                               at_timestamp):
            if shard_iterator_type in ("AFTER_SEQUENCE_NUMBER", "AT_SEQUENCE_NUMBER") and starting_sequence_number:
                stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
                shard = stream.shards.get(shard_id)
                if shard is not None and int(starting_sequence_number) > shard.get_max_sequence_number():
                    raise InvalidArgumentError(
                        f"StartingSequenceNumber {starting_sequence_number} used in GetShardIterator on shard {shard_id} "
                        f"in stream {stream.stream_name} under account {self.account_id} is invalid because it did not "
                        "come from this stream.")
            return original_get_shard_iterator(self, stream_arn, stream_name, shard_id, shard_iterator_type,
                                               starting_sequence_number, at_timestamp)

        def get_shard_for_key(self, partition_key, explicit_hash_key):
            # only open shards take new records; hash ranges are inclusive at both ends
            if not isinstance(partition_key, str) or len(partition_key) > 256:
                raise InvalidArgumentError("partition_key")
            if explicit_hash_key:
                if not isinstance(explicit_hash_key, str):
                    raise InvalidArgumentError("explicit_hash_key")
                key = int(explicit_hash_key)
                if key >= 2**128:
                    raise InvalidArgumentError("explicit_hash_key")
            else:
                key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
            for shard in self.shards.values():
                if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
                    return shard
            return None

        def split_shard(self, shard_to_split, new_starting_hash_key):
            return _run_keeping(self, [shard_to_split],
                                lambda: original_split(self, shard_to_split, new_starting_hash_key))

        def merge_shards(self, shard_to_merge, adjacent_shard_to_merge):
            return _run_keeping(self, [shard_to_merge, adjacent_shard_to_merge],
                                lambda: original_merge(self, shard_to_merge, adjacent_shard_to_merge))

        def get_records(self, stream_arn, shard_iterator, limit):
            next_iterator, records, millis = original_get_records(self, stream_arn, shard_iterator, limit)
            stream_name, shard_id, _ = decompose_shard_iterator(shard_iterator)
            stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
            shard = stream.get_shard(shard_id)
            if not shard.is_open and int(decompose_shard_iterator(next_iterator)[2]) >= shard.get_max_sequence_number():
                next_iterator = None  # a closed shard read to its end: no more iterators
            return next_iterator, records, millis

        stream_cls.get_shard_for_key = get_shard_for_key
        stream_cls.split_shard = split_shard
        stream_cls.merge_shards = merge_shards
        backend_cls.get_records = get_records
        backend_cls.get_shard_iterator = get_shard_iterator
        # the server answers each request on a thread of its own, and moto's shards are plain dicts
        # (GetRecords iterates one while PutRecords appends to it): one Kinesis call at a time
        for name in ("create_stream", "delete_stream", "put_record", "put_records", "get_shard_iterator", "get_records",
                     "list_shards", "split_shard", "merge_shards", "update_shard_count"):
            method = getattr(backend_cls, name, None)
            if callable(method):
                setattr(backend_cls, name, _serialized(method))
        _patched = True


_backend_lock = threading.RLock()


def _serialized(method):
    import functools

    @functools.wraps(method)
    def call(*args, **kwargs):
        with _backend_lock:
            return method(*args, **kwargs)

    return call


def _run_keeping(stream: Any, shard_ids: list[str], call):
    kept = {}
    for shard_id in shard_ids:
        shard = stream.shards.get(shard_id)
        if shard is not None and shard.is_open:
            kept[shard_id] = shard.records
            shard.records = type(shard.records)()
    try:
        return call()
    finally:
        for shard_id, records in kept.items():
            stream.shards[shard_id].records = records
