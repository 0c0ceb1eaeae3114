"""streamleap benchmark: `make bench` (or `.venv/bin/python bench/run.py`).

Measures, in one run on this machine, and writes bench/results.md, bench/results.json and
bench/results.png (and bench/tables.png):

1. cycle overhead: the runner's apply cycle (DbtSession.invoke("run"), manifest cached) against
   a `dbt run` command on the same project with nothing new (part "cycle");
1b. what a cycle costs against the number of mirrored tables (part "tables");
2. end-to-end latency p50/p95/p99 of `streamleap demo` (DuckDB) at 200, 1000 and 5000 changes/s,
   and the put / get rates of the local Kinesis endpoint (moto) that feeds it (parts "latency",
   "moto"); COMMIT -> visible from a live source through `streamleap capture` (part "capture");
3. apply cost of one batch of 10,000 changes into a 100,000-row and a 5,000,000-row mirror, on
   DuckDB and on Postgres, next to a whole-table deduplicating rebuild (the usual CDC loader);
4. sustained apply throughput (100,000 DMS records, JSON parsing included) on DuckDB and
   Postgres, and the relay's insert rate into the stream stand-in;
5. peers: one batch through streamleap, a plain dbt incremental model, a whole-table rebuild and
   a bare DELETE+INSERT, each result checked.

This file is the command and the orchestrator: the options, the list of jobs, one child process
per job (dbt, DuckDB and moto keep process-wide state), one throw-away PostgreSQL server for the
Postgres measurements, results.json. The measurements are in bench/parts/ (one module per part),
what they share in bench/harness.py, results.md and the charts in bench/report.py. Options:
--quick (small sizes, short runs: a smoke test, not results), --parts (a comma list of
cycle,tables,moto,latency,capture,apply,throughput,peers,kafka), --keep (keep the work directory),
--report-only (results.md and the charts again from results.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import HERE, PG_CONF, ROOT, ForeignCPU, code_fingerprint, git_state, machine, now_s
from parts import tables

PARTS = ("cycle", "tables", "moto", "latency", "capture", "apply", "history", "throughput", "peers", "kafka")


def child(part: str, arg: str, work: Path, quick: bool, result_path: Path) -> None:
    """One job, in this (child) process: its result into result_path."""
    duration = 6.0 if quick else 18.0
    if part == "cycle":
        from parts.cycle import part_cycle
        res = part_cycle(work, quick)
    elif part == "tables":
        res = tables.part_tables(work, arg, quick)
    elif part == "first_build":  # the tables part's first build, in a process of its own (tables.first_build)
        res = tables.first_build_main(*json.loads(arg))
    elif part == "latency_tables":
        res = tables.part_latency(work, arg, quick)
    elif part == "moto":
        from parts.moto import part_moto
        res = part_moto(work, quick)
    elif part == "latency":
        from parts.latency import part_latency
        res = part_latency(work, int(arg), duration)
    elif part == "direct":
        from parts.latency import part_direct
        res = part_direct(work, int(arg), duration)
    elif part == "capture":
        from parts.capture import part_capture
        res = part_capture(work, arg, quick)
    elif part == "apply":
        from parts.apply import part_apply
        res = part_apply(work, arg, quick)
    elif part == "history":
        from parts.history import part_history
        res = part_history(work, arg, quick)
    elif part == "throughput":
        from parts.throughput import part_throughput
        res = part_throughput(work, arg, quick)
    elif part == "kafka":
        from parts.kafka import part_kafka
        res = part_kafka(work, arg, quick)
    elif part == "peers":
        from parts.peers import part_peers
        res = part_peers(work, arg, quick)
    else:
        raise SystemExit(f"unknown part {part}")
    result_path.write_text(json.dumps(res, default=str, indent=1))


def orchestrate(args: argparse.Namespace) -> int:
    from report import TARGETS, write_chart, write_report, write_tables_chart

    out_dir = Path(args.out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"--parts: unknown {sorted(unknown)}; known: {', '.join(PARTS)}")
    work = Path(tempfile.mkdtemp(prefix="streamleap-bench-"))
    started = dt.datetime.now(dt.timezone.utc)
    code_start, git_start = code_fingerprint(), git_state()
    load_start = os.getloadavg()
    t_start = now_s()
    jobs: list[tuple[str, str, str]] = []  # (result key, part, arg)
    for p in parts:
        if p == "cycle":
            jobs.append(("cycle", "cycle", ""))
        elif p == "tables":
            jobs += tables.jobs(args.quick)
        elif p == "moto":
            jobs.append(("moto", "moto", ""))
        elif p == "latency":
            jobs += [(f"latency_{r}", "latency", str(r)) for r in (200, 1000, 5000)]
            jobs.append(("direct_5000", "direct", "5000"))
            jobs += tables.latency_jobs(args.quick)
        elif p == "capture":
            jobs += [(f"capture_{k}", "capture", k) for k in ("postgres", "mariadb")]
        elif p == "apply":
            jobs += [(f"apply_{k}", "apply", k) for k in ("duckdb", "postgres")]
        elif p == "history":
            jobs += [(f"history_{k}", "history", k) for k in ("duckdb", "postgres")]
        elif p == "throughput":
            jobs += [(f"throughput_{k}", "throughput", k) for k in ("duckdb", "postgres")]
        elif p == "peers":
            jobs += [(f"peers_{k}", "peers", k) for k in ("duckdb", "postgres")]
        elif p == "kafka":
            jobs += [(f"kafka_{k}", "kafka", k) for k in ("duckdb", "postgres")]
    env = dict(os.environ)
    pg = None
    if any(arg == "postgres" for _, _, arg in jobs):
        from streamleap.demo.local_postgres import start_postgres

        try:
            pg = start_postgres({**PG_CONF})
            env.update({"STREAMLEAP_PG_HOST": "127.0.0.1", "STREAMLEAP_PG_PORT": str(pg.port),
                        "STREAMLEAP_PG_USER": "postgres", "STREAMLEAP_PG_DATABASE": "postgres"})
            print(f"throw-away PostgreSQL on port {pg.port}", flush=True)
        except RuntimeError as exc:
            print(f"PostgreSQL not available ({exc}): the Postgres measurements are skipped", flush=True)
            jobs = [j for j in jobs if j[2] != "postgres"]
    results: dict[str, Any] = {}
    runlog: list[dict] = []
    pg_pid = None
    if pg is not None:
        try:
            pg_pid = int((pg.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    foreign = ForeignCPU(pg_pid)
    try:
        for key, part, arg in jobs:
            print(f"[{now_s() - t_start:6.0f} s] {key} ...", flush=True)
            foreign.start()
            result_path = work / f"{key}.json"
            child_env = dict(env, STREAMLEAP_PG_SCHEMA=f"bench_{key}")
            t0 = now_s()
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", part, "--arg", arg,
                                   "--work", str(work), "--result", str(result_path)] + (["--quick"] if args.quick else []),
                                  env=child_env, cwd=str(ROOT), capture_output=True, text=True)
            if done.returncode != 0 or not result_path.exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
                print("  FAILED:\n    " + "\n    ".join(tail), flush=True)
                results[key] = {"error": "\n".join(tail)}
            else:
                results[key] = json.loads(result_path.read_text())
                print(f"  done in {now_s() - t0:.0f} s", flush=True)
            runlog.append({"part": key, "wall_s": now_s() - t0, "foreign_cpu_s": foreign.seconds(),
                           "load_1min": os.getloadavg()[0]})
    finally:
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    load_end = os.getloadavg()
    meta = {"load_start": load_start, "load_end": load_end, "started": started.isoformat(timespec="seconds"),
            "total_s": now_s() - t_start, "quick": args.quick,
            "command": args.command, "machine": machine(), "git": git_start, "runlog": runlog,
            "code_start": code_start, "code_end": code_fingerprint(), "pg_conf": PG_CONF, "targets": TARGETS}
    (out_dir / "results.json").write_text(json.dumps({"meta": meta, "results": results}, default=str, indent=1))
    write_report(out_dir / "results.md", meta, results)
    write_chart(out_dir / "results.png", results)
    write_tables_chart(out_dir / "tables.png", results)
    print((out_dir / "results.md").read_text())
    print(f"wrote {out_dir / 'results.md'}, {out_dir / 'results.png'}, {out_dir / 'results.json'} "
          f"in {now_s() - t_start:.0f} s")
    return 1 if any("error" in r for r in results.values()) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (a smoke test)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    parser.add_argument("--out-dir", default=str(HERE), help="where results.md/.json/.png go (default: bench/)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (projects, databases)")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: write results.md and results.png again from results.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--arg", default="", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args.child, args.arg, Path(args.work), args.quick, Path(args.result))
        return 0
    if args.report_only:
        from report import write_chart, write_report, write_tables_chart

        out_dir = Path(args.out_dir).resolve()
        data = json.loads((out_dir / "results.json").read_text())
        write_report(out_dir / "results.md", data["meta"], data["results"])
        write_chart(out_dir / "results.png", data["results"])
        write_tables_chart(out_dir / "tables.png", data["results"])
        print(f"wrote {out_dir / 'results.md'} and {out_dir / 'results.png'} from {out_dir / 'results.json'}")
        return 0
    args.command = " ".join([Path(sys.executable).relative_to(ROOT).as_posix() if str(sys.executable).startswith(str(ROOT))
                             else sys.executable, "bench/run.py", *sys.argv[1:]])
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
