"""Part "peers" of `make bench`: streamleap's apply next to what dbt users write for DMS today.

One batch of 10,000 DMS changes of public.cart (harness.change_batch: updates, inserts, deletes,
primary-key moves, stale changes, 5% re-deliveries, old re-deliveries of deleted keys) applied
to a mirror of N rows on one target, by four variants, each run in the same rounds:

  streamleap -- the generated mirror model, `dbt run -s cart` in-process, manifest cached (the
                scheduled `dbt run` path);
  runner     -- `streamleap run`'s cycle: the package's cycle plan (rendered once, as the runner
                does) run by streamleap.pipeline.cycle.run_cycle on a connection kept open, the
                way `streamleap run` applies every cycle after its first;
  plain      -- a plain dbt incremental model (unique_key, row_number() dedupe of the records
                past max(_streamleap_synced_at), a post_hook deleting rows whose latest op is a
                delete), run by the same dbt session;
  rebuild    -- a dbt table model: the mirror's rows and the batch, row_number() by key, deletes
                dropped;
  floor      -- bare DELETE USING + INSERT of the already typed, deduplicated batch.

Every run's result is compared with a Python model of the batch (the expected rows, values
included); the wrong rows of each variant are counted by kind. Its section of results.md is
bench/report.py's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlglot import exp

from harness import (
    REFRESH,
    STREAM,
    WATERMARK,
    Sequence,
    append_records,
    build_mirror_sql,
    change_batch,
    new_project,
    now_s,
    sql_exec,
)
from streamleap.demo.stats import median

SIZES = (100_000, 2_000_000, 5_000_000)
QUICK_SIZES = (20_000, 100_000)
# Runs per size. A DuckDB run takes about 0.3 s and this machine's run-to-run spread is about +-20%,
# more than the few percent between streamleap and the plain model there: 11 runs make the median
# steadier. A Postgres rebuild of 5M rows takes about 17 s, and its differences are larger.
RUNS = {"duckdb": 11, "postgres": 5}
VARIANTS = ("streamleap", "runner", "plain", "rebuild", "floor")
COLUMNS = ("cart_id", "customer_id", "status", "item_count", "total", "created_at", "updated_at")
META = ("_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
BASE_ORDER = (1, dt.datetime(2029, 6, 1), 0, -1)  # what harness.build_mirror_sql gives every mirror row and tombstone

# ----------------------------------------------------------------------------- the peers' models
# The changes of public.cart past a watermark, typed the way users type DMS JSON: one extraction
# and one cast per column (streamleap.json_text is the plain `->>` / json_extract_string).
PEERS_MACROS = """\
{% macro peers_changes(staging, watermark_sql) -%}
{%- set j = streamleap.json_text -%}
select
  cast({{ j('payload', ['data', 'cart_id']) }} as bigint) as cart_id,
  cast({{ j('payload', ['data', 'customer_id']) }} as integer) as customer_id,
  cast({{ j('payload', ['data', 'status']) }} as varchar(64)) as status,
  cast({{ j('payload', ['data', 'item_count']) }} as integer) as item_count,
  cast({{ j('payload', ['data', 'total']) }} as decimal(12,2)) as total,
  cast({{ j('payload', ['data', 'created_at']) }} as timestamp) as created_at,
  cast({{ j('payload', ['data', 'updated_at']) }} as timestamp) as updated_at,
  cast({{ j('payload', ['metadata', 'operation']) }} as varchar(16)) as _streamleap_op,
  cast(sequence_number as varchar(256)) as _streamleap_order,
  cast({{ j('payload', ['metadata', 'commit-timestamp']) }} as timestamp) as _streamleap_commit_ts,
  refresh_time as _streamleap_synced_at
from {{ staging }}
where refresh_time > {{ watermark_sql }}
  and {{ j('payload', ['metadata', 'record-type']) }} = 'data'
  and {{ j('payload', ['metadata', 'schema-name']) }} = 'public'
  and {{ j('payload', ['metadata', 'table-name']) }} = 'cart'
{%- endmacro %}

{% macro peers_columns() -%}
cart_id, customer_id, status, item_count, total, created_at, updated_at,
_streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
{%- endmacro %}
"""

PLAIN_MODEL = """\
{{ config(materialized='incremental', unique_key='cart_id',
          post_hook="delete from {{ this }} where _streamleap_op = 'delete'") }}
with changes as (
{%- if is_incremental() %}
{{ peers_changes(ref('stg_shop_cdc'), '(select max(_streamleap_synced_at) from ' ~ this ~ ')') }}
{%- else %}
{{ peers_changes(ref('stg_shop_cdc'), "cast('1900-01-01' as timestamp)") }}
{%- endif %}
),
ranked as (
  select changes.*,
         row_number() over (partition by cart_id order by _streamleap_commit_ts desc, _streamleap_order desc) as _rn
  from changes
)
select {{ peers_columns() }} from ranked where _rn = 1
"""

REBUILD_MODEL = """\
{{ config(materialized='table') }}
{%- set base = api.Relation.create(database=this.database, schema=this.schema, identifier='cart__peers_base') %}
with all_rows as (
  select {{ peers_columns() }} from {{ base }}
  union all
  select * from (
{{ peers_changes(ref('stg_shop_cdc'), '(select max(_streamleap_synced_at) from ' ~ base ~ ')') }}
  ) changes
),
ranked as (
  select all_rows.*,
         row_number() over (partition by cart_id order by _streamleap_commit_ts desc, _streamleap_order desc) as _rn
  from all_rows
)
select {{ peers_columns() }} from ranked where _rn = 1 and _streamleap_op <> 'delete'
"""


def rel(schema: str, name: str) -> str:
    """schema.name, both quoted."""
    return exp.table_(name, db=schema, quoted=True).sql()


def cols(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(exp.to_identifier(c, quoted=True).sql() for c in names)


# ----------------------------------------------------------------------------- the expected mirror
def expected_rows(raws: list[bytes], base: dict[int, tuple], tombstoned: set[int]) -> tuple[dict[int, tuple | None], set[int]]:
    """The Python model of the batch: each touched key's row after the batch (None: no row), and the
    keys a primary-key update moved away from. A change wins over what a key holds when its order
    (phase, commit time, transaction-record-id, position in the stream) is later."""
    from streamleap.demo.workload import decode_row

    state: dict[int, tuple[tuple, tuple | None]] = {k: (BASE_ORDER, v) for k, v in base.items()}
    state.update({k: (BASE_ORDER, None) for k in tombstoned})
    nothing = (0, dt.datetime.min, 0, -1)
    moved: set[int] = set()
    for i, raw in enumerate(raws):
        rec = json.loads(raw)
        meta = rec["metadata"]
        op = meta["operation"]
        ts = dt.datetime.fromisoformat(meta["commit-timestamp"].replace("Z", "+00:00")).replace(tzinfo=None)
        order = (1 if op != "load" else 0, ts, int(meta.get("transaction-record-id") or 0), i)
        key = int(rec["data"]["cart_id"])
        values = None if op == "delete" else tuple(decode_row("cart", rec["data"])[c] for c in COLUMNS)
        if order > state.get(key, (nothing, None))[0]:
            state[key] = (order, values)
        old = (rec.get("before-image") or {}).get("cart_id")
        if op == "update" and old is not None and int(old) != key:
            moved.add(int(old))
            if order > state.get(int(old), (nothing, None))[0]:
                state[int(old)] = (order, None)
    return {k: v for k, (_, v) in state.items()}, moved


def wrong_rows(actual: dict[int, tuple], expected: dict[int, tuple | None], moved: set[int]) -> dict[str, int]:
    """The touched keys where a result differs from the expected mirror, by kind."""
    out = {"revived_delete": 0, "kept_after_key_change": 0, "reverted": 0, "lost": 0}
    for k, want in expected.items():
        got = actual.get(k)
        if want is None and got is not None:
            out["kept_after_key_change" if k in moved else "revived_delete"] += 1
        elif want is not None and got is None:
            out["lost"] += 1
        elif want is not None and got != want:
            out["reverted"] += 1
    return out


def _norm(row: tuple) -> tuple:
    from decimal import Decimal

    k, cust, status, items, total, created, updated = row
    return (int(k), None if cust is None else int(cust), status, None if items is None else int(items),
            None if total is None else Decimal(str(total)), created, updated)


# ----------------------------------------------------------------------------- the part
def part_peers(work: Path, kind: str, quick: bool) -> dict:
    from streamleap.project.invoke import DbtSession
    from streamleap.project.manifest import project_models
    from streamleap.pipeline.warehouse import open_warehouse

    pg = kind == "postgres"
    target = "postgres" if pg else "local"
    stream_schema = "k_peers" if pg else "kinesis"
    project = work / f"peers-{kind}"
    new_project(project, stream_schema, tables=["cart"])
    (project / "macros" / "peers.sql").write_text(PEERS_MACROS)
    (project / "models" / "peers").mkdir(parents=True, exist_ok=True)
    (project / "models" / "peers" / "cart_plain.sql").write_text(PLAIN_MODEL)
    (project / "models" / "peers" / "cart_rebuild.sql").write_text(REBUILD_MODEL)
    session = DbtSession(project, project, target)
    session.invoke("run", "--exclude", "cart_rebuild")  # stand-in, staging view, mirror, tombstones, state, plain
    warehouse = open_warehouse(project, target)
    ref = project_models(session.manifest).mirrors["cart"]
    schema = ref.schema
    R = {name: rel(schema, name) for name in (
        "cart", "cart__streamleap_tombstones", "cart_plain", "cart_rebuild", "streamleap_state",
        "cart__peers_base", "cart__peers_tomb_base", "cart__peers_touched", "cart__peers_typed")}
    mirror, tomb, plain = R["cart"], R["cart__streamleap_tombstones"], R["cart_plain"]
    base, tomb_base = R["cart__peers_base"], R["cart__peers_tomb_base"]
    touched_rel, typed = R["cart__peers_touched"], R["cart__peers_typed"]
    stand_in = rel(stream_schema, STREAM)
    sql_exec(warehouse, f"create table {base} as select * from {mirror} where 1 = 0")
    session.invoke("run", "-s", "cart_rebuild")
    relation_key = ref.key.replace("'", "''")
    mirror_cols = list(COLUMNS) + list(META)
    all_cols = cols(mirror_cols)
    sizes = QUICK_SIZES if quick else SIZES
    runs = RUNS[kind]
    out: dict[str, Any] = {"target": kind, "runs": runs, "sizes": {}, "sql": {"plain": PLAIN_MODEL, "rebuild": REBUILD_MODEL}}

    def vacuum(*rels: str) -> None:
        if pg:
            sql_exec(warehouse, *[f"vacuum analyze {r}" for r in rels])

    def restore(*targets: str) -> None:
        stmts = []
        for t in targets:
            stmts += [f"delete from {t} where cart_id in (select k from {touched_rel})",
                      f"insert into {t} ({all_cols}) select {all_cols} from {base} where cart_id in (select k from {touched_rel})"]
        if mirror in targets:
            stmts += [f"delete from {tomb} where cart_id in (select k from {touched_rel})",
                      f"insert into {tomb} select * from {tomb_base} where cart_id in (select k from {touched_rel})",
                      f"update {R['streamleap_state']} set watermark = timestamp '{WATERMARK:%Y-%m-%d %H:%M:%S}' "
                      f"where relation_name = '{relation_key}'"]
        sql_exec(warehouse, *stmts)
        vacuum(*targets, *([tomb] if mirror in targets else []))

    def result_of(relation: str) -> tuple[dict[int, tuple], int]:
        rows = sql_exec(warehouse, f"select {cols(COLUMNS)} from {relation} where cart_id in (select k from {touched_rel})")
        count = sql_exec(warehouse, f"select count(*) from {relation}")[0][0]
        return {int(r[0]): _norm(r) for r in rows}, count

    def untouched_differ(relation: str) -> int:
        """Rows of keys the batch does not touch that differ from the base mirror (once per size)."""
        match = " and ".join(f"r.{c} = b.{c}" for c in cols(COLUMNS).split(", "))
        return sql_exec(warehouse,
                              f"select (select count(*) from {base} where cart_id not in (select k from {touched_rel})) - "
                              f"(select count(*) from {relation} r join {base} b on {match} "
                              f"where b.cart_id not in (select k from {touched_rel}))")[0][0]

    floor_sql = [f"delete from {mirror} using {typed} where {mirror}.cart_id = {typed}.cart_id",
                 f"insert into {mirror} ({all_cols}) select {all_cols} from {typed} where _streamleap_op <> 'delete'"]

    from streamleap.pipeline.cycle import load_plan, run_cycle, set_up

    plan = load_plan(session)  # the runner renders it once per parsed project
    cycle_con = warehouse.connect()  # the runner keeps its connection from cycle to cycle
    set_up(cycle_con, warehouse.kind, plan)

    def run_runner() -> float:
        t = now_s()
        result = run_cycle(cycle_con, warehouse.kind, plan)
        elapsed = now_s() - t
        assert "cart" in result.ran, f"the runner's cycle did not apply cart: {result.ran}"
        return elapsed

    def run_floor() -> float:
        con = warehouse.connect()
        try:
            cur = con if not pg else con.cursor()
            t = now_s()
            if not pg:
                cur.execute("begin transaction")
            for s in floor_sql:
                cur.execute(s)
            con.commit()
            return now_s() - t
        finally:
            con.close()

    for n in sizes:
        t0 = now_s()
        sql_exec(warehouse, *build_mirror_sql(kind, mirror, tomb, n),
                       f"drop table if exists {base}", f"create table {base} as select * from {mirror}",
                       f"drop table if exists {tomb_base}", f"create table {tomb_base} as select * from {tomb}",
                       f"delete from {plain}", f"insert into {plain} ({all_cols}) select {all_cols} from {base}")
        if pg:  # what a user of the plain model would have: an index on its unique_key
            sql_exec(warehouse, f"create index if not exists cart_plain_key on {plain} (cart_id)")
        vacuum(mirror, tomb, base, tomb_base, plain)
        tombstoned = tuple(range(10 * n + 1, 10 * n + max(1, n // 100) + 1))
        raws, touched, expected_count, mix = change_batch(n, tombstoned=tombstoned)
        touched |= set(tombstoned) & {int(json.loads(r)["data"]["cart_id"]) for r in raws}
        base_rows = {int(r[0]): _norm(r) for r in sql_exec(
            warehouse, f"select {cols(COLUMNS)} from {base} where cart_id in ({', '.join(str(k) for k in sorted(touched))})")}
        expected, moved = expected_rows(raws, base_rows, set(tombstoned))
        expected_alive = {k: v for k, v in expected.items() if v is not None}
        assert n + sum(1 for k in expected_alive if k not in base_rows) - sum(1 for k in base_rows if k not in expected_alive) \
            == expected_count, "the Python model and change_batch disagree on the row count"
        sql_exec(warehouse, f"delete from {stand_in}", f"drop table if exists {touched_rel}",
                       f"create table {touched_rel} (k bigint)",
                       f"insert into {touched_rel} values " + ", ".join(f"({k})" for k in sorted(touched)),
                       f"drop table if exists {typed}", f"create table {typed} as select * from {mirror} where 1 = 0")
        _fill_typed(warehouse, typed, mirror_cols, expected)
        append_records(warehouse, stream_schema, STREAM, raws, REFRESH, Sequence())
        vacuum(stand_in, touched_rel, typed)
        build_s = now_s() - t0

        def timed_dbt(model: str) -> float:
            t = now_s()
            session.invoke("run", "-s", model)
            return now_s() - t

        steps = {  # variant: (prepare, run, relation holding its result)
            "streamleap": (lambda: restore(mirror), lambda: timed_dbt("cart"), mirror),
            "runner": (lambda: restore(mirror), run_runner, mirror),
            "plain": (lambda: restore(plain), lambda: timed_dbt("cart_plain"), plain),
            "rebuild": (lambda: None, lambda: timed_dbt("cart_rebuild"), R["cart_rebuild"]),
            "floor": (lambda: restore(mirror), run_floor, mirror),
        }
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        checks: dict[str, list[dict]] = {v: [] for v in VARIANTS}
        for v in VARIANTS:  # warm-up, not timed: each model's first run in this process
            steps[v][0]()
            steps[v][1]()
        extra: dict[str, int] = {}
        for r in range(runs):
            for v in VARIANTS:
                prepare, go, relation = steps[v]
                prepare()
                times[v].append(go())
                actual, count = result_of(relation)
                wrong = wrong_rows(actual, expected, moved)
                checks[v].append({"rows": count, **wrong})
                if r == runs - 1:
                    extra[v] = untouched_differ(relation)
        res: dict[str, Any] = {"rows": n, "changes": len(raws), "mix": mix, "build_s": build_s,
                               "rows_expected": expected_count, "variants": {}}
        for v in VARIANTS:
            last = checks[v][-1]
            wrong_total = sum(last[k] for k in ("revived_delete", "kept_after_key_change", "reverted", "lost"))
            res["variants"][v] = {
                "s": times[v], "median_s": median(times[v]), "check": last, "untouched_wrong": extra[v],
                "correct": all(c["rows"] == expected_count and not any(c[k] for k in c if k != "rows") for c in checks[v])
                and extra[v] == 0, "wrong_rows": wrong_total,
                # the variant's time over the plain model's in the same round, the median of the rounds: a
                # slow spell of the machine that falls on one round weighs on both
                "paired_ratio": median([t / p for t, p in zip(times[v], times["plain"], strict=True)])}
        out["sizes"][str(n)] = res
    cycle_con.close()
    return out


def _fill_typed(warehouse: Any, typed: str, mirror_cols: list[str], expected: dict[int, tuple | None]) -> None:
    """The floor's batch: one row per touched key, already typed (a delete for no row)."""
    rows = []
    for k, v in sorted(expected.items()):
        values = v if v is not None else (k, None, None, None, None, None, None)
        rows.append((*values, "delete" if v is None else "update", "2", dt.datetime(2030, 1, 1), REFRESH))
    con = warehouse.connect()
    try:
        if warehouse.kind == "duckdb":
            types = ("bigint", "integer", "varchar", "integer", "varchar", "timestamp", "timestamp", "varchar",
                     "varchar", "timestamp", "timestamp")
            columns = [list(c) for c in zip(*rows, strict=True)]
            columns[4] = [None if x is None else str(x) for x in columns[4]]
            con.execute(f"insert into {typed} ({cols(mirror_cols)}) select "
                        + ", ".join(f"unnest(?::{t}[])" for t in types), columns)
        else:
            from psycopg2.extras import execute_values

            execute_values(con.cursor(), f"insert into {typed} ({cols(mirror_cols)}) values %s", rows, page_size=2000)
        con.commit()
    finally:
        con.close()
