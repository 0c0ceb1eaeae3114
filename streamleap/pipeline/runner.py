"""`streamleap run`: the low-overhead loop that keeps mirrors fresh.

Each cycle: on local targets the relay appends new Kinesis records to the stand-in stream; then
the cycle applies them. The first cycle, the one after a re-parse (a project file changed) and the
one after a failed cycle are a `dbt run` of every model, in-process with the manifest parsed once:
it builds what is missing and applies what arrived. Every other cycle executes the SQL the package
rendered for this project (cycle.py): one probe per stream when nothing is new, else one
transaction that reads the new records once and applies only the tables they concern (on
Redshift, after the streaming view's REFRESH). A failing cycle is reported and retried with
backoff; the loop never skips data, because the relay only moves its checkpoints with the rows,
and each mirror only moves its watermark with its rows. An error that retrying cannot mend (the
stream was re-created, another relay holds the stream) ends the loop instead:
`report.stops_the_run`.

One runner per project: the runner holds an exclusive lock on `<project>/target/streamleap-run.lock`
(with its PID in it) from setup() to close(), and on local targets each relay holds its stream's
lease, so a second runner fails at setup with one line naming the first. Each cycle's report is
also written to `<project>/target/streamleap-run.json`, which `streamleap status` shows while the
runner keeps a DuckDB file to itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamleap.project.invoke import DbtSession, duckdb_lock, first_line
from streamleap.errors import StreamleapError
from streamleap.project.manifest import ProjectModels, project_models, read_state
from streamleap.pipeline.warehouse import Warehouse, open_warehouse
from streamleap.pipeline.cycle import RAN_MARK, MarkedLines, models_applied

LOCK_FILE = "streamleap-run.lock"
REPORT_FILE = "streamleap-run.json"
IDLE_REPORT_EVERY_S = 1.0  # a cycle that did nothing writes its report at most this often


@dataclass
class CycleReport:
    cycle: int
    started_at: dt.datetime
    duration_ms: float
    ingested: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    set_aside: int = 0
    lag_ms: float | None = None
    newest_commit_ts: dt.datetime | None = None
    error: str | None = None
    reparsed: bool = False
    stops_the_run: bool = False  # the error is one retrying cannot mend
    restarted_streams: list[str] = field(default_factory=list)  # read from their beginning (--restart-stream)
    ran: list[str] | None = None  # the models the cycle applied ([]: an idle cycle); None: a dbt run of every model
    statements: int | None = None  # the statements of a planned cycle (cycle.py), and its commits
    commits: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "started_at": self.started_at.isoformat(),
            "duration_ms": round(self.duration_ms, 1),
            "ingested": self.ingested,
            "applied": self.applied,
            "set_aside": self.set_aside,
            "lag_ms": None if self.lag_ms is None else round(self.lag_ms, 1),
            "error": self.error,
        }


class ProjectLock:
    """An exclusive lock on `<project>/target/streamleap-run.lock` (flock; released by the OS when
    the process dies), the holder's PID written in it."""

    def __init__(self, project_dir: Path):
        self.path = project_dir / "target" / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                import gc

                gc.collect()  # a runner of this process dropped without close() lets go of it
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise StreamleapError(f"another streamleap run (PID {holder}) is running on project {self.path.parent.parent}; "
                                  "run one runner per project: stop that one (Ctrl-C) or let it do the work") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock

    def __del__(self) -> None:
        self.release()


def last_report(project_dir: Path) -> dict[str, Any] | None:
    """What the project's runner wrote after its last cycle (`pid`, `written_at`, `report`), or None."""
    path = Path(project_dir) / "target" / REPORT_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None




class Runner:
    def __init__(self, project_dir: Path, *, target: str | None = None, profiles_dir: Path | None = None,
                 kinesis_endpoint: str | None = None, region: str | None = None, every: float = 1.0,
                 kinesis: Any = None, clock: Callable[[], float] = time.monotonic, restart_stream: bool = False,
                 kafka_bootstrap: str | None = None):
        self.project_dir = Path(project_dir)
        self.profiles_dir = Path(profiles_dir or project_dir)
        self.target = target
        self.every = every
        self.kinesis_endpoint, self.region = kinesis_endpoint, region
        #: the Kafka brokers the relays of a project's Kafka topics read (local targets)
        self.kafka_bootstrap = kafka_bootstrap or os.environ.get("STREAMLEAP_KAFKA_BOOTSTRAP")
        self._kinesis = kinesis
        self._clock = clock
        self._report_written: float | None = None  # time.monotonic() of the last report written
        self.dbt = DbtSession(self.project_dir, self.profiles_dir, target)
        self.warehouse: Warehouse | None = None
        self.models: ProjectModels | None = None
        self.relays: list[Any] = []
        self.cycles = 0
        self.stop_requested = threading.Event()
        self.restart_stream = restart_stream
        self.lock = ProjectLock(self.project_dir)
        # a cycle runs every model until one succeeded with this manifest: the first (project files
        # may have changed while no runner ran), after a re-parse, and after a failed cycle
        self._run_all = True
        self._plan: Any = None  # the cycle's SQL as the package renders it (cycle.py), per parsed manifest
        self._plan_manifest: Any = None
        self._con: Any = None  # the cycles' connection, kept from cycle to cycle
        self._con_plan: Any = None  # the plan whose setup ran on it
        self._newest_commit_ts: Any = False  # the newest change applied, as the last state read found it (False: not read)
        self._manifest: Any = None  # the manifest self.models was read from

    # ------------------------------------------------------------------ setup
    def setup(self) -> None:
        self.warehouse = open_warehouse(self.project_dir, self.target, self.profiles_dir)
        self.lock.acquire()  # before dbt parses or builds anything: a second runner stops here
        try:
            self._setup()
        except BaseException:  # any exit (KeyboardInterrupt too) releases the lock; re-raised
            self.close()
            self.warehouse = None
            raise

    def _setup(self) -> None:
        assert self.warehouse is not None
        self.dbt.ensure_parsed()
        self.models = project_models(self.dbt.manifest)
        self._manifest = self.dbt.manifest
        if not self.models.streams:
            raise StreamleapError(f"{self.project_dir}: no streaming_mv model; run `streamleap generate` first")
        if not self.models.mirrors:
            raise StreamleapError(f"{self.project_dir}: no mirror model; run `streamleap generate` first")
        if self.warehouse.is_local:
            from streamleap.kinesis.client import kinesis_client
            from streamleap.pipeline.relay import Relay

            kinesis: Any = None
            self.relays = []
            for stream_schema, stream_name in self.models.streams:
                kind = self.models.kind((stream_schema, stream_name))
                relay: Any
                if kind == "kafka":
                    from streamleap.pipeline.kafka_relay import KafkaRelay

                    if not self.kafka_bootstrap:
                        raise StreamleapError(f"stream {stream_schema}.{stream_name} is a Kafka topic: give its brokers with "
                                              "--kafka-bootstrap HOST:PORT (or STREAMLEAP_KAFKA_BOOTSTRAP)")
                    relay = KafkaRelay(self.kafka_bootstrap, stream_name, self.warehouse, stream_schema, stream_name,
                                       restart_stream=self.restart_stream)
                else:
                    kinesis = kinesis or self._kinesis or kinesis_client(self.kinesis_endpoint, self.region)
                    relay = Relay(kinesis, stream_name, self.warehouse, stream_schema, restart_stream=self.restart_stream)
                self.relays.append(relay)
                relay.acquire()  # the stream's lease, before building anything: another runner's relay stops us here
                self.dbt.invoke("run-operation", "streamleap.create_stream_source", "--args",
                                json.dumps({"stream_schema": stream_schema, "stream_name": stream_name, "stream_kind": kind}))

    # ------------------------------------------------------------------ one cycle
    def cycle(self) -> CycleReport:
        if self.warehouse is None:
            self.setup()
        self.cycles += 1
        started = dt.datetime.now(dt.timezone.utc)
        t0 = self._clock()
        report = CycleReport(self.cycles, started, 0.0)
        try:
            # parsed again now, or inside an invoke of the last cycle (a file changed meanwhile)
            if self.dbt.ensure_parsed() or self.dbt.manifest is not self._manifest:
                self.models = project_models(self.dbt.manifest)
                self._manifest = self.dbt.manifest
                report.reparsed = True
                self._run_all = True
            for relay in self.relays:
                restarted = relay.restarted_on
                report.ingested += relay.pull().records
                if relay.restarted_on is not None and relay.restarted_on != restarted:
                    report.restarted_streams.append(relay.stream_name)
            applied_by_dbt: set[str] | None = None
            if self._run_all:
                # builds what is missing, applies what arrived, every model
                cycle_ran = MarkedLines(RAN_MARK)
                applied_by_dbt = models_applied(self.dbt.invoke("run", callbacks=[cycle_ran]), cycle_ran)
            else:
                if self._plan_manifest is not self.dbt.manifest:  # rendered once per parsed project
                    from streamleap.pipeline.cycle import load_plan

                    self._plan, self._plan_manifest = load_plan(self.dbt), self.dbt.manifest
                result = self._run_plan()
                report.ran, report.statements, report.commits = result.ran, result.statements, result.commits
                after = self._downstream(result.ran)
                if after:
                    # the user's own tables over a mirror that changed (views need nothing)
                    self.dbt.invoke("run", "--select", *after)
            self._read_state(report, idle=report.ran == [], applied_by_dbt=applied_by_dbt)
            self._run_all = False
        except StreamleapError as exc:
            report.error = str(exc)
            report.stops_the_run = bool(getattr(exc, "stops_the_run", False))
        except Exception as exc:  # noqa: BLE001 - a cycle never takes the loop down
            report.error = f"{type(exc).__name__}: {first_line(exc)}"
            if self.warehouse is not None and self.warehouse.kind == "duckdb":
                locked = duckdb_lock(str(exc), self.project_dir)
                if locked is not None:
                    report.error = str(locked)
        if report.error:
            self._run_all = True  # the next cycle is a dbt run of every model: it builds what is missing
        report.duration_ms = (self._clock() - t0) * 1000
        # an idle cycle's report (for `streamleap status`) is written at most once a second: the
        # write was a third of an idle cycle's time (0.2-0.4 ms, growing with the mirrors listed)
        idle = report.error is None and report.ran == [] and not report.ingested and not report.reparsed
        now = time.monotonic()
        if not idle or self._report_written is None or now - self._report_written >= IDLE_REPORT_EVERY_S:
            self._write_report(report)
            self._report_written = now
        return report

    def _run_plan(self) -> Any:
        """The cycle the package rendered (cycle.py), on the runner's own connection."""
        from streamleap.pipeline.cycle import run_cycle, set_up

        assert self.warehouse is not None and self._plan is not None
        try:
            if self._con is None or self._con_plan is not self._plan:
                if self._con is None:
                    self._con = self.warehouse.connect()
                set_up(self._con, self.warehouse.kind, self._plan)
                self._con_plan = self._plan
            return run_cycle(self._con, self.warehouse.kind, self._plan)
        except Exception:  # whatever the driver raises: the connection is dropped; re-raised
            self._close_con()  # a broken connection is not used again
            raise

    def _downstream(self, ran: list[str]) -> list[str]:
        """The models of the user's over the models that ran (not streamleap's, not views or
        ephemeral ones: those read the mirrors as they are)."""
        assert self.models is not None
        if not ran:
            return []
        manifest = self.dbt.manifest
        ours = {*self.models.mirrors, *self.models.set_asides, *self.models.stagings}
        ids = {n.unique_id for n in manifest.nodes.values() if n.resource_type == "model" and n.name in ran}
        todo, seen, out = list(ids), set(ids), set()
        while todo:
            for child in manifest.child_map.get(todo.pop(), []):
                if child in seen:
                    continue
                seen.add(child)
                todo.append(child)
                node = manifest.nodes.get(child)
                if node is not None and node.resource_type == "model" and node.name not in ours \
                        and node.config.materialized not in ("view", "ephemeral"):
                    out.add(node.name)
        return sorted(out)

    def _close_con(self) -> None:
        con, self._con, self._con_plan = self._con, None, None
        if con is not None:
            try:
                con.close()
            except Exception:  # noqa: BLE001 - closing what already failed
                pass

    def _write_report(self, report: CycleReport) -> None:
        """The last cycle's report, for `streamleap status` while this process keeps the DuckDB file."""
        path = self.project_dir / "target" / REPORT_FILE
        doc = {"pid": os.getpid(), "written_at": dt.datetime.now(dt.timezone.utc).isoformat(), "report": report.to_json()}
        try:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # a read-only project still runs

    def _read_state(self, report: CycleReport, idle: bool = False, applied_by_dbt: set[str] | None = None) -> None:
        """applied, set_aside and lag of the cycle, from the state rows; an idle cycle applied nothing
        and reads nothing. The lag is now minus the newest change applied; an idle cycle found every
        model caught up with its stream, so its lag is 0 (as `status` says of a caught-up mirror), not
        the time since the source's last change."""
        assert self.warehouse is not None and self.models is not None
        if idle and self._newest_commit_ts is not False:
            report.applied = {name: 0 for name in self.models.mirrors}
            report.newest_commit_ts = self._newest_commit_ts
            if self._newest_commit_ts is not None:
                report.lag_ms = 0.0
            return
        refs = [*self.models.mirrors.values(), *self.models.set_asides.values()]
        if self._con is not None and report.ran is not None:  # after a planned cycle: on its connection
            try:
                by_key = read_state(self.warehouse, refs, cur=self._con.cursor())
                if self.warehouse.kind != "duckdb":  # (DuckDB's reads are their own transactions)
                    self._con.rollback()  # ends the read: a kept connection is never idle in a transaction
            except Exception:  # whatever the driver raises: the connection is dropped; re-raised
                self._close_con()  # a broken connection is not used again; the error is the read's
                raise
        else:
            by_key = read_state(self.warehouse, refs)
        newest = None
        # applied_rows of a model that did not apply in this cycle is an older cycle's
        ran = set(report.ran) if report.ran is not None else applied_by_dbt
        for name, ref in self.models.mirrors.items():
            applied, commit_ts = by_key.get(ref.key, (0, None))
            report.applied[name] = int(applied or 0) if ran is None or name in ran else 0
            if commit_ts is not None and (newest is None or commit_ts > newest):
                newest = commit_ts
        report.set_aside = sum(int(by_key.get(r.key, (0, None))[0] or 0)
                               for name, r in self.models.set_asides.items() if ran is None or name in ran)
        report.newest_commit_ts = self._newest_commit_ts = newest
        if newest is not None:
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            report.lag_ms = 0.0 if idle else max(0.0, (now - newest).total_seconds() * 1000)

    # ------------------------------------------------------------------ the loop
    def run(self, cycles: int | None = None, on_report: Callable[[CycleReport], None] | None = None,
            max_backoff: float = 30.0, handle_signals: bool = True) -> int:
        """Loop until `cycles` cycles ran or Ctrl-C / stop(); returns the number of failed cycles."""
        failures, streak = 0, 0
        previous = None
        if handle_signals and threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda *_: self.stop_requested.set())
        try:
            if self.warehouse is None:
                self.setup()
            while not self.stop_requested.is_set() and (cycles is None or self.cycles < cycles):
                report = self.cycle()
                if on_report:
                    on_report(report)
                if report.stops_the_run:
                    failures += 1
                    break
                if report.error:
                    failures, streak = failures + 1, streak + 1
                    wait = min(max_backoff, self.every * (2 ** min(streak, 10)))
                else:
                    streak = 0
                    wait = max(0.0, self.every - report.duration_ms / 1000)
                if cycles is not None and self.cycles >= cycles:
                    break
                self.stop_requested.wait(wait)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return failures

    def stop(self) -> None:
        self.stop_requested.set()

    def close(self) -> None:
        """Close the relays' warehouse connections (their leases go with them) and the project lock."""
        for relay in self.relays:
            relay.close()
        self._close_con()
        self.dbt.close()
        self.lock.release()
