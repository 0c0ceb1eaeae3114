"""Part "apply": the cost of one batch of 10,000 changes against the mirror's size (100,000 and
5,000,000 rows), on DuckDB and Postgres, next to a whole-table deduplicating rebuild (the usual
CDC loader); the statements of the model's run replayed one by one to show which dominates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import (
    QUERIES,
    REFRESH,
    STREAM,
    WATERMARK,
    Sequence,
    append_records,
    build_mirror_sql,
    change_batch,
    label,
    new_project,
    now_s,
    replay_profile,
    sql_exec,
    top,
)
from streamleap.demo.stats import median


def part_apply(work: Path, kind: str, quick: bool) -> dict:
    from streamleap.project.invoke import DbtSession
    from streamleap.project.manifest import project_models
    from streamleap.pipeline.warehouse import open_warehouse

    target = "local" if kind == "duckdb" else "postgres"
    stream_schema = "kinesis" if kind == "duckdb" else "k_apply"
    project = work / f"apply-{kind}"
    new_project(project, stream_schema, tables=["cart"])
    session = DbtSession(project, project, target)
    session.invoke("run")  # the stand-in, the staging view, the empty mirror, its tombstones, the state table
    QUERIES.install()
    warehouse = open_warehouse(project, target)
    ref = project_models(session.manifest).mirrors["cart"]
    schema = ref.schema
    mirror, tomb = f'"{schema}"."cart"', f'"{schema}"."cart__streamleap_tombstones"'
    copy, tomb_copy = f'"{schema}"."cart__bench_copy"', f'"{schema}"."cart__bench_tomb_copy"'
    touched_rel = f'"{schema}"."bench_touched"'
    state = f'"{schema}"."streamleap_state"'
    stand_in = f'"{stream_schema}"."{STREAM}"'
    key = ref.key.replace("'", "''")
    pg = kind == "postgres"
    runs, baseline_runs = 5, 3
    sizes = (100_000, 5_000_000) if not quick else (20_000, 500_000)
    out: dict[str, Any] = {"target": kind, "sizes": {}}

    def vacuum(*rels: str) -> None:
        if pg:
            sql_exec(warehouse, *[f"vacuum analyze {r}" for r in rels])

    def reset_watermark() -> None:
        sql_exec(warehouse, f"update {state} set watermark = timestamp '{WATERMARK:%Y-%m-%d %H:%M:%S}' "
                            f"where relation_name = '{key}'")

    def restore() -> None:
        sql_exec(warehouse,
                 f"delete from {mirror} where cart_id in (select k from {touched_rel})",
                 f"insert into {mirror} select * from {copy} where cart_id in (select k from {touched_rel})",
                 f"delete from {tomb} where cart_id in (select k from {touched_rel})",
                 f"insert into {tomb} select * from {tomb_copy} where cart_id in (select k from {touched_rel})")
        vacuum(mirror, tomb)
        reset_watermark()

    for n in sizes:
        t0 = now_s()
        sql_exec(warehouse, *build_mirror_sql(kind, mirror, tomb, n),
                 f"drop table if exists {copy}", f"create table {copy} as select * from {mirror}",
                 f"drop table if exists {tomb_copy}", f"create table {tomb_copy} as select * from {tomb}")
        vacuum(mirror, tomb, copy, tomb_copy)
        raws, touched, expected, mix = change_batch(n)
        sql_exec(warehouse, f"delete from {stand_in}", f"drop table if exists {touched_rel}",
                 f"create table {touched_rel} (k bigint)",
                 f"insert into {touched_rel} values " + ", ".join(f"({k})" for k in sorted(touched)))
        append_records(warehouse, stream_schema, STREAM, raws, REFRESH, Sequence())
        reset_watermark()
        build_s = now_s() - t0

        apply_s, counts, queries = [], [], []
        compiled = None
        session.invoke("run", "-s", "cart")  # warm-up (not timed): the first incremental run in this process
        for _i in range(runs):
            restore()
            QUERIES.take()
            t0 = now_s()
            result = session.invoke("run", "-s", "cart")
            apply_s.append(now_s() - t0)
            queries = QUERIES.take()
            compiled = result.result.results[0].node.compiled_code
            counts.append(sql_exec(warehouse, f"select count(*) from {mirror}")[0][0])
        # per statement: the dbt queries of the last run again, one statement at a time (rolled back)
        restore()
        profile = replay_profile(warehouse, queries)
        dbt_queries = [(label(q, 80), s) for q, s in queries]

        # baseline: the whole mirror and the same records, parsed and typed by the model's own SELECT
        # (one row per key), deduplicated into a new table
        cols = "cart_id, customer_id, status, item_count, total, created_at, updated_at, _streamleap_op, " \
               "_streamleap_order, _streamleap_commit_ts, _streamleap_synced_at"
        rebuilt = f'"{schema}"."cart__bench_rebuilt"'
        baseline_sql = (
            f"create table {rebuilt} as\n"
            f"select {cols} from (\n"
            f"  select {cols}, row_number() over (partition by cart_id order by _streamleap_order desc) as rn\n"
            f"  from (\n"
            f"    select {cols} from {mirror}\n"
            f"    union all\n"
            f"    select {cols} from (<the model's SELECT of the batch>) changes where _streamleap_op <> 'watermark'\n"
            f"  ) all_rows\n"
            f") ranked\n"
            f"where rn = 1 and _streamleap_op <> 'delete'")
        run_sql = baseline_sql.replace("<the model's SELECT of the batch>", compiled)
        base_s, base_counts = [], []
        for _ in range(baseline_runs):
            sql_exec(warehouse, f"drop table if exists {rebuilt}")
            t0 = now_s()
            sql_exec(warehouse, run_sql)
            base_s.append(now_s() - t0)
            base_counts.append(sql_exec(warehouse, f"select count(*) from {rebuilt}")[0][0])
        sql_exec(warehouse, f"drop table if exists {rebuilt}")
        out["sizes"][str(n)] = {
            "rows": n, "changes": len(raws), "mix": mix, "build_s": build_s,
            "apply_s": apply_s, "apply_median_s": median(apply_s),
            "baseline_s": base_s, "baseline_median_s": median(base_s),
            "speedup": median(base_s) / median(apply_s),
            "rows_after": counts, "rows_expected": expected,
            "correct": all(c == expected for c in counts), "baseline_rows": base_counts,
            "dbt_queries": sorted(dbt_queries, key=lambda x: -x[1])[:4],
            "statements": top(profile, 5), "statements_total_s": sum(s for _, s in profile),
            "batch_select_s": next((t for lab, t in profile if lab.lower().startswith("create temp")), None),
        }
        out["baseline_sql"] = baseline_sql.replace(f'"{schema}".', "")
    small, big = (out["sizes"][str(s)] for s in sizes)
    out["growth"] = big["apply_median_s"] / small["apply_median_s"]
    return out
