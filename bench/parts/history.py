"""Part "history": the cost of one batch of 10,000 changes applied to a history model (streamleap_mode
history) against its size (100,000 and 5,000,000 versions, five per key), on DuckDB and Postgres,
next to the same batch applied to the Type-1 mirror of the same keys in the same run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from harness import REFRESH, STREAM, WATERMARK, Sequence, append_records, build_mirror_sql, change_batch, new_project, now_s, sql_exec
from streamleap.demo.stats import median

VERSIONS = 5  # per key; the newest current, from 2029-06-01 (the mirror rows' time), one a day before


def build_history_sql(kind: str, history: str, tomb: str, keys: int) -> list[str]:
    """SQL filling a `cart` history model with VERSIONS versions of keys 1..keys (identities as the
    package writes them, the newest current) and no deletes."""
    rows = f"range(1, {keys + 1}) g(i)" if kind == "duckdb" else f"generate_series(cast(1 as bigint), {keys}) g(i)"
    cols = ("cart_id, customer_id, status, item_count, total, created_at, updated_at, _streamleap_op, _streamleap_order, "
            "_streamleap_commit_ts, _streamleap_synced_at, dbt_valid_from, dbt_valid_to, dbt_scd_id, dbt_updated_at, "
            "dbt_is_deleted, _streamleap_is_current, _streamleap_to_order")
    secs = "to_seconds(i)" if kind == "duckdb" else "make_interval(secs => i)"
    out = [f"delete from {history}", f"delete from {tomb}"]
    last = dt.datetime(2029, 6, 1)
    for j in range(VERSIONS):
        at = last - dt.timedelta(days=VERSIONS - 1 - j)
        nxt = at + dt.timedelta(days=1) if j < VERSIONS - 1 else None
        order = f"'1{at:%Y%m%d%H%M%S}000000' || lpad(cast(i as varchar), 20, '0')"
        to_order = f"'1{nxt:%Y%m%d%H%M%S}000000' || lpad(cast(i as varchar), 20, '0')" if nxt else "cast(null as varchar)"
        ts, to_ts = f"timestamp '{at:%Y-%m-%d %H:%M:%S}'", f"timestamp '{nxt:%Y-%m-%d %H:%M:%S}'" if nxt else "cast(null as timestamp)"
        out.append(
            f"insert into {history} ({cols}) select i, cast((i * 7919) % 50000 + 1 as integer), 'open', cast({j} as integer), "
            f"cast((i % 100000) / 100.0 as decimal(12,2)), timestamp '2029-05-01 00:00:00' + {secs}, {ts}, "
            f"'update', {order}, {ts}, {ts}, {ts}, {to_ts}, md5(cast(i as varchar) || {order}), {ts}, false, "
            f"{'true' if nxt is None else 'false'}, {to_order} from {rows}")
    return out


def part_history(work: Path, kind: str, quick: bool) -> dict:
    from streamleap.model.mirror_plan import with_modes
    from streamleap.pipeline.warehouse import open_warehouse
    from streamleap.project.invoke import DbtSession
    from streamleap.project.manifest import project_models
    from streamleap.project.scaffold import generate_models
    from streamleap.demo.workload import shop_tables

    target = "local" if kind == "duckdb" else "postgres"
    stream_schema = "kinesis" if kind == "duckdb" else "k_history"
    project = work / f"history-{kind}"
    new_project(project, stream_schema, tables=["cart"])
    generate_models(project, with_modes([shop_tables()["cart"]], mode_for="cart=mirror+history"), STREAM, stream_schema)
    session = DbtSession(project, project, target)
    session.invoke("run")
    warehouse = open_warehouse(project, target)
    refs = project_models(session.manifest).mirrors
    schema = refs["cart"].schema
    pg = kind == "postgres"
    runs = 5 if not quick else 3
    sizes = (100_000, 5_000_000) if not quick else (20_000, 500_000)
    rels = {name: (f'"{schema}"."{name}"', f'"{schema}"."{name}__streamleap_tombstones"') for name in ("cart", "cart_history")}
    state = f'"{schema}"."streamleap_state"'
    stand_in = f'"{stream_schema}"."{STREAM}"'
    touched_rel = f'"{schema}"."bench_touched"'
    out: dict[str, Any] = {"target": kind, "versions_per_key": VERSIONS, "sizes": {}}

    def copies(name: str) -> tuple[str, str]:
        return f'"{schema}"."{name}__bench_copy"', f'"{schema}"."{name}__bench_tomb_copy"'

    def restore(name: str) -> None:
        rel, tomb = rels[name]
        copy, tomb_copy = copies(name)
        sql_exec(warehouse,
                 f"delete from {rel} where cart_id in (select k from {touched_rel})",
                 f"insert into {rel} select * from {copy} where cart_id in (select k from {touched_rel})",
                 f"delete from {tomb} where cart_id in (select k from {touched_rel})",
                 f"insert into {tomb} select * from {tomb_copy} where cart_id in (select k from {touched_rel})",
                 f"update {state} set watermark = timestamp '{WATERMARK:%Y-%m-%d %H:%M:%S}' "
                 f"where relation_name = '{refs[name].key.replace(chr(39), chr(39) * 2)}'")
        if pg:
            sql_exec(warehouse, f"vacuum analyze {rel}", f"vacuum analyze {tomb}")

    for n in sizes:
        keys = n // VERSIONS
        t0 = now_s()
        history, history_tomb = rels["cart_history"]
        mirror, mirror_tomb = rels["cart"]
        sql_exec(warehouse, *build_history_sql(kind, history, history_tomb, keys), *build_mirror_sql(kind, mirror, mirror_tomb, keys))
        for name in rels:
            copy, tomb_copy = copies(name)
            sql_exec(warehouse, f"drop table if exists {copy}", f"create table {copy} as select * from {rels[name][0]}",
                     f"drop table if exists {tomb_copy}", f"create table {tomb_copy} as select * from {rels[name][1]}")
        raws, touched, _expected, mix = change_batch(keys)
        sql_exec(warehouse, f"delete from {stand_in}", f"drop table if exists {touched_rel}", f"create table {touched_rel} (k bigint)",
                 f"insert into {touched_rel} values " + ", ".join(f"({k})" for k in sorted(touched)))
        append_records(warehouse, stream_schema, STREAM, raws, REFRESH, Sequence())
        build_s = now_s() - t0
        times: dict[str, list[float]] = {"cart": [], "cart_history": []}
        versions_after: list[int] = []
        for name in rels:
            restore(name)
            session.invoke("run", "-s", name)  # warm-up, not timed
        for _ in range(runs):
            for name in rels:  # side by side: the mirror's and the history's run of the same batch
                restore(name)
                t0 = now_s()
                result = session.invoke("run", "-s", name)
                times[name].append(now_s() - t0)
                assert result.success, f"dbt run -s {name} failed"
            versions_after.append(sql_exec(warehouse, f"select count(*) from {history}")[0][0])
        current = sql_exec(warehouse, f"select count(*) from {history} where _streamleap_is_current")[0][0]
        mirror_rows = sql_exec(warehouse, f"select count(*) from {mirror}")[0][0]
        out["sizes"][str(n)] = {
            "versions": n, "keys": keys, "changes": len(raws), "mix": mix, "build_s": build_s,
            "history_s": times["cart_history"], "history_median_s": median(times["cart_history"]),
            "mirror_s": times["cart"], "mirror_median_s": median(times["cart"]),
            "versions_after": versions_after, "current_versions": current, "mirror_rows": mirror_rows,
            # the history's current versions are the mirror's rows after the same batch
            "correct": current == mirror_rows and len(set(versions_after)) == 1,
        }
        for name in rels:
            copy, tomb_copy = copies(name)
            sql_exec(warehouse, f"drop table if exists {copy}", f"drop table if exists {tomb_copy}")
    small, big = (out["sizes"][str(s)] for s in sizes)
    out["growth"] = big["history_median_s"] / small["history_median_s"]
    out["mirror_growth"] = big["mirror_median_s"] / small["mirror_median_s"]
    return out
