"""Part "cycle": the runner's apply cycle against a `dbt run` command, on a project with nothing new.

The shop's project (`cart`, `cart_item`, staging view, set-aside model) on DuckDB, data applied:
`dbt run` as a command, then the runner's cycle, `DbtSession.invoke("run")` with the manifest
parsed once (after two warm-up runs). The commands go first: the in-process session holds
DuckDB's file lock.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from harness import QUERIES, STREAM, Sequence, append_records, dbt_cli, new_project, now_s, shop_records
from streamleap.demo.stats import median


def part_cycle(work: Path, quick: bool) -> dict:
    from streamleap.project.invoke import DbtSession
    from streamleap.pipeline.warehouse import open_warehouse

    project = work / "cycle"
    new_project(project, "kinesis")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLEAP_")}
    dbt_cli(project, "run", env=env)  # builds the stand-in, the views and the empty mirrors
    raws, _ = shop_records(3, 5_000 if not quick else 1_000, initial_carts=300)
    append_records(open_warehouse(project, "local"), "kinesis", STREAM, raws, dt.datetime(2030, 1, 1), Sequence())
    dbt_cli(project, "run", env=env)  # applies them: from here on, nothing new
    n_cli, n_inproc = (5, 15) if not quick else (2, 4)
    cli = [dbt_cli(project, "run", env=env) for _ in range(n_cli)]
    # in-process: DuckDB's file lock is held by this process from now on
    session = DbtSession(project, project, "local")
    t0 = now_s()
    session.ensure_parsed()
    parse_s = now_s() - t0
    for _ in range(2):  # warm-up: adapter, connection, relation cache
        session.invoke("run")
    QUERIES.install()
    inproc, sql_s, n_sql, models = [], [], [], {}
    for _ in range(n_inproc):
        QUERIES.take()
        t0 = now_s()
        result = session.invoke("run")
        inproc.append(now_s() - t0)
        q = QUERIES.take()
        sql_s.append(sum(s for _, s in q))
        n_sql.append(len(q))
        for r in result.result.results:
            models.setdefault(r.node.name, []).append(r.execution_time)
    return {
        "cli_s": cli, "inproc_s": inproc, "parse_s": parse_s,
        "cli_median_s": median(cli), "inproc_median_s": median(inproc),
        "ratio": median(cli) / median(inproc),
        "inproc_sql_median_s": median(sql_s), "inproc_queries": int(median(n_sql)),
        "models_median_s": {k: median(v) for k, v in models.items()},
    }
