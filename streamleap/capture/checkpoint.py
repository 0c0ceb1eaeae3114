"""Where capture keeps its place: one small JSON file per (stream, source), replaced atomically
(written beside, flushed to disk, renamed over) only after Kinesis accepted every record up to the
position it holds. A restart resends from there; nothing after it was ever confirmed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamleap.errors import StreamleapError

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    source: str  # the source URL, password masked
    stream: str
    tables: list[str]
    snapshot_done: bool = False
    position: Any = None
    prev_transaction: list | None = None  # [transaction-id, last transaction-record-id]
    extra: dict[str, Any] = field(default_factory=dict)  # reader-specific (slot name, ...)
    record_format: str | None = None  # dms or debezium (None: a checkpoint from before formats were recorded)
    destination: str | None = None  # kinesis or kafka

    def to_json(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "source": self.source, "stream": self.stream, "tables": self.tables,
                "snapshot_done": self.snapshot_done, "position": self.position,
                "prev_transaction": self.prev_transaction, "extra": self.extra,
                "record_format": self.record_format, "destination": self.destination,
                "updated_at": dt.datetime.now(dt.timezone.utc).isoformat()}


def default_path(state_dir: Path, stream: str, source: str) -> Path:
    """<state_dir>/capture-<stream>-<8 hex digits of the source URL>.json"""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stream)[:100]
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:8]
    return Path(state_dir) / f"capture-{safe}-{digest}.json"


class CheckpointStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return Checkpoint(source=raw["source"], stream=raw["stream"], tables=list(raw["tables"]),
                              snapshot_done=bool(raw.get("snapshot_done")), position=raw.get("position"),
                              prev_transaction=raw.get("prev_transaction"), extra=dict(raw.get("extra") or {}),
                              record_format=raw.get("record_format"), destination=raw.get("destination"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StreamleapError(f"capture checkpoint {self.path} cannot be read ({exc}); delete it to start over "
                                  "with a new snapshot") from exc

    def save(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps(checkpoint.to_json(), ensure_ascii=False, indent=1, default=str).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        try:  # the rename itself on disk
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:  # pragma: no cover - platforms without directory fsync
            pass


def checkpoint_path(state_dir: Path, stream: str, source_url: str) -> Path:
    """The checkpoint file of (stream, source). Its name hashes the masked source URL; a
    checkpoint named (and holding the URL masked) the way streamleap masked URLs before is
    moved to the current name, with the URL masked as now, so a restart resumes from it."""
    from streamleap.masking import mask_url, mask_url_v1

    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        writable = os.access(state_dir, os.W_OK | os.X_OK)
    except OSError as exc:
        raise StreamleapError(f"--state-dir {state_dir}: cannot create it ({exc.strerror or type(exc).__name__}); "
                              "give a directory capture may write its checkpoint to") from None
    if not writable:
        raise StreamleapError(f"--state-dir {state_dir}: not writable; give a directory capture may write its checkpoint to")
    source = mask_url(source_url)
    path = default_path(state_dir, stream, source)
    old = default_path(state_dir, stream, mask_url_v1(source_url))
    if old != path and old.exists() and not path.exists():
        checkpoint = CheckpointStore(old).load()
        if checkpoint is not None:
            checkpoint.source = source
            CheckpointStore(path).save(checkpoint)
            old.unlink()
    return path
