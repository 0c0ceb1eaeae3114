"""`streamleap status`: per mirrored table, rows, last applied change, lag and set-aside records;
on Redshift also the stream scan errors and per-shard positions.

A mirror is *caught up* when the staging view (locally: the stand-in the relay fills) holds no
record past the mirror's watermark in streamleap_state, i.e. every record it holds has been
applied (or set aside); its lag is then 0, not the growing age of the newest applied change.
Records still in Kinesis that no refresh (or relay) has read yet are not seen here.

A DuckDB file a runner keeps open cannot be read by another process at all (not even read-only):
status then shows the last cycle report that runner wrote (`locked_by`, `last_cycle`), or says in
one line which process holds the file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from streamleap.project.invoke import DbtSession
from streamleap.project.manifest import ModelRef, project_models, read_state
from streamleap.pipeline.warehouse import open_warehouse

REDSHIFT_VIEWS = {
    "stream_scan_errors": "select * from sys_stream_scan_errors order by 1 desc limit 20",
    "stream_scan_states": "select * from sys_stream_scan_states order by 1 desc limit 50",
}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


def collect_status(project_dir: Path, target: str | None = None, profiles_dir: Path | None = None) -> dict[str, Any]:
    warehouse = open_warehouse(Path(project_dir), target, profiles_dir)  # first: its errors say what to do
    if warehouse.kind == "duckdb":
        held = _held_duckdb(Path(project_dir), warehouse)
        if held is not None:
            return held
    session = DbtSession(Path(project_dir), Path(profiles_dir or project_dir), target)
    session.ensure_parsed()
    session.close()  # one look: no watch of the files
    models = project_models(session.manifest)
    state = read_state(warehouse, [*models.mirrors.values(), *models.set_asides.values()],
                       ("applied_rows", "newest_commit_ts", "watermark"))
    staging = _staging_relations(session.manifest)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    tables = []
    con = warehouse.connect()
    try:
        cur = con.cursor()
        set_aside = _set_aside_counts(cur, list(models.set_asides.values()))
        for name, ref in sorted(models.mirrors.items()):
            rows = _count(cur, ref)
            _, newest, watermark = state.get(ref.key, (None, None, None))
            pending = None if rows is None or name not in staging else _pending(cur, warehouse, staging[name], watermark)
            caught_up = pending == 0
            # records DMS writes under a partition's name belong to the partitioned table's mirror
            names = [(ref.source_schema or "", ref.table or ""), *ref.partitions]
            lag = None if newest is None else round((now - newest).total_seconds(), 3)
            tables.append({
                "model": name,
                "source": f"{ref.source_schema}.{ref.table}" if ref.source_schema else ref.table,
                "rows": rows,
                "last_change_at": _iso(newest),
                "lag_s": 0.0 if caught_up else lag,
                "pending": pending,
                "caught_up": caught_up,
                "set_aside": sum(set_aside.get(name, (0, 0))[0] for name in names),
                "adjusted": sum(set_aside.get(name, (0, 0))[1] for name in names),
            })
        out: dict[str, Any] = {"target": warehouse.target_name, "kind": warehouse.kind, "tables": tables,
                               "caught_up": bool(tables) and all(t["caught_up"] for t in tables),
                               "set_aside_total": sum(n for n, _ in set_aside.values()),
                               "adjusted_total": sum(a for _, a in set_aside.values())}
        if warehouse.kind == "redshift":
            for label, sql in REDSHIFT_VIEWS.items():
                cur.execute(sql)
                names = [d[0] for d in cur.description]
                out[label] = [{k: _iso(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]
        else:
            out["relay_positions"] = _relay_positions(cur, warehouse, models.streams)
        return out
    finally:
        con.close()


def _held_duckdb(project_dir: Path, warehouse: Any) -> dict[str, Any] | None:
    """None when the DuckDB file opens; the holder's last report when a runner holds it."""
    from streamleap.errors import StreamleapError
    from streamleap.pipeline.relay import duckdb_lock_error, duckdb_lock_pid
    from streamleap.pipeline.runner import last_report

    try:
        warehouse.connect().close()
        return None
    except Exception as exc:  # whatever the driver raises: DuckDB's lock error is told by its text; re-raised
        pid = duckdb_lock_pid(exc)
        if pid is None:
            raise
        locked = duckdb_lock_error(exc, warehouse.credentials.path)
    last = last_report(project_dir)
    if last is None or last.get("pid") != pid:
        raise StreamleapError(f"{locked}; DuckDB lets no other process read it meanwhile, not even read-only "
                              "(`streamleap status` can read it once that process ends)")
    return {"target": warehouse.target_name, "kind": warehouse.kind, "tables": [], "caught_up": None,
            "locked_by": pid, "last_cycle_written_at": last.get("written_at"), "last_cycle": last.get("report")}


def _count(cur: Any, ref: ModelRef) -> int | None:
    try:
        cur.execute(f"select count(*) from {ref.relation}")
        return int(cur.fetchone()[0])
    except Exception:  # noqa: BLE001 - not built yet
        _rollback(cur)
        return None


def _staging_relations(manifest: Any) -> dict[str, str]:
    """Each mirror model's name -> the relation of the streaming view it reads (its parent)."""
    nodes = manifest.nodes
    out: dict[str, str] = {}
    for node in nodes.values():
        if node.resource_type != "model":
            continue
        for parent_id in node.depends_on.nodes:
            parent = nodes.get(parent_id)
            if parent is not None and parent.config.materialized == "streaming_mv":
                out[node.name] = parent.relation_name or parent.name
                break
    return out


def _pending(cur: Any, warehouse: Any, staging: str, watermark: dt.datetime | None) -> int | None:
    """Records in the streaming view past ``watermark``: what the mirror's next run would read."""
    try:
        if watermark is None:
            cur.execute(f"select count(*) from {staging}")
        else:
            cur.execute(f"select count(*) from {staging} where refresh_time > {warehouse.placeholder}", [watermark])
        return int(cur.fetchone()[0])
    except Exception:  # noqa: BLE001 - the streaming view is not built yet
        _rollback(cur)
        return None


def _rollback(cur: Any) -> None:
    try:
        cur.connection.rollback()
    except Exception:  # noqa: BLE001 - best effort after a failed read: the connection may be broken already
        pass


def _set_aside_counts(cur: Any, refs: list[ModelRef]) -> dict[tuple[str, str], tuple[int, int]]:
    """(records not applied, values adjusted) per source table, from the set-aside models."""
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for ref in refs:
        rows = None
        for sql in (
            f"select coalesce(schema_name, ''), coalesce(table_name, ''), "
            f"sum(case when adjusted then 0 else 1 end), sum(case when adjusted then 1 else 0 end) from {ref.relation} group by 1, 2",
            f"select coalesce(schema_name, ''), coalesce(table_name, ''), count(*), 0 from {ref.relation} group by 1, 2",
        ):
            try:
                cur.execute(sql)
                rows = cur.fetchall()
                break
            except Exception:  # noqa: BLE001 - not built yet, or built before the adjusted column
                _rollback(cur)
        for schema, table, whole, adjusted in rows or []:
            before = counts.get((schema, table), (0, 0))
            counts[(schema, table)] = (before[0] + int(whole or 0), before[1] + int(adjusted or 0))
    return counts


def _relay_positions(cur: Any, warehouse: Any, streams: list[tuple[str, str]]) -> list[dict[str, Any]]:
    from sqlglot import exp

    from streamleap.pipeline.relay import CHECKPOINTS_TABLE

    out = []
    for stream_schema, stream_name in streams:
        table = exp.table_(CHECKPOINTS_TABLE, db=stream_schema, quoted=True).sql(dialect=warehouse.kind)
        try:
            cur.execute(f"select shard_id, sequence_number, shard_closed, updated_at from {table} "
                        f"where stream_name = {warehouse.placeholder} order by shard_id", [stream_name])
        except Exception:  # noqa: BLE001 - the relay has not run yet
            _rollback(cur)
            continue
        out += [{"stream": stream_name, "shard_id": r[0], "sequence_number": r[1], "closed": bool(r[2]),
                 "updated_at": _iso(r[3])} for r in cur.fetchall()]
    return out
