"""Opt-in: the real thing against a Redshift workgroup or cluster and a Kinesis stream.

Runs only when these are set (skipped, with this reason, otherwise):
  STREAMLEAP_REDSHIFT_HOST, STREAMLEAP_REDSHIFT_USER, DBT_ENV_SECRET_REDSHIFT_PASSWORD
  (optional STREAMLEAP_REDSHIFT_DATABASE, STREAMLEAP_REDSHIFT_PORT),
  STREAMLEAP_REDSHIFT_IAM_ROLE (an ARN Redshift may assume to read the stream, or 'default'),
  STREAMLEAP_KINESIS_STREAM (an existing stream), AWS credentials and AWS_DEFAULT_REGION for boto3.
It writes DMS-format records to the stream with PutRecords, runs `dbt run --target redshift` on a
project made by init + generate (external schema, streaming view, mirrors), and waits until the
mirror equals the reference model. Everything lands in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid

import pytest

REQUIRED = ["STREAMLEAP_REDSHIFT_HOST", "STREAMLEAP_REDSHIFT_USER", "DBT_ENV_SECRET_REDSHIFT_PASSWORD",
            "STREAMLEAP_REDSHIFT_IAM_ROLE", "STREAMLEAP_KINESIS_STREAM", "AWS_DEFAULT_REGION"]
missing = [name for name in REQUIRED if not os.environ.get(name)]
if missing:
    pytest.skip(f"real Redshift suite is opt-in: set {', '.join(missing)}", allow_module_level=True)

from streamleap.project.invoke import run_dbt  # noqa: E402 - after the opt-in skip above
from streamleap.sources.ddl import parse_ddl  # noqa: E402 - after the opt-in skip above
from streamleap.records import ChangeRecord  # noqa: E402 - after the opt-in skip above
from streamleap.model.mirror_plan import plan_tables  # noqa: E402 - after the opt-in skip above
from streamleap.project.scaffold import generate_models, init_project  # noqa: E402 - after the opt-in skip above

pytestmark = pytest.mark.redshift
DDL = "CREATE TABLE public.cart (id bigint PRIMARY KEY, status varchar(10) NOT NULL, total numeric(12,2));"


def test_mirror_on_redshift(tmp_path):
    import boto3
    import redshift_connector

    stream = os.environ["STREAMLEAP_KINESIS_STREAM"]
    schema = f"streamleap_it_{uuid.uuid4().hex[:8]}"
    project = tmp_path / "project"
    init_project(project)
    (project / "dbt_project.yml").write_text((project / "dbt_project.yml").read_text().replace(
        "streamleap_iam_role: default", f"streamleap_iam_role: '{os.environ['STREAMLEAP_REDSHIFT_IAM_ROLE']}'"))
    generate_models(project, plan_tables(parse_ddl(DDL, "postgres")), stream, f"{schema}_kinesis")
    run_dbt(["deps"], project)
    os.environ["STREAMLEAP_REDSHIFT_SCHEMA"] = schema
    t0 = dt.datetime.now(dt.timezone.utc)
    records = [
        ChangeRecord("public", "cart", "insert", {"id": 1, "status": "open", "total": "1.50"}, commit_ts=t0,
                     transaction_id=1, transaction_record_id=1),
        ChangeRecord("public", "cart", "insert", {"id": 2, "status": "open", "total": "2"}, commit_ts=t0,
                     transaction_id=1, transaction_record_id=2),
        ChangeRecord("public", "cart", "update", {"id": 1, "status": "paid", "total": "1.50"}, commit_ts=t0 + dt.timedelta(seconds=1),
                     transaction_id=2, transaction_record_id=1),
        ChangeRecord("public", "cart", "delete", {"id": 2, "status": None, "total": None}, commit_ts=t0 + dt.timedelta(seconds=2),
                     transaction_id=3, transaction_record_id=1),
    ]
    boto3.client("kinesis").put_records(StreamName=stream, Records=[
        {"Data": r.to_bytes(), "PartitionKey": json.dumps(r.data["id"])} for r in records])
    con = redshift_connector.connect(host=os.environ["STREAMLEAP_REDSHIFT_HOST"], user=os.environ["STREAMLEAP_REDSHIFT_USER"],
                                     password=os.environ["DBT_ENV_SECRET_REDSHIFT_PASSWORD"],
                                     database=os.environ.get("STREAMLEAP_REDSHIFT_DATABASE", "dev"),
                                     port=int(os.environ.get("STREAMLEAP_REDSHIFT_PORT", "5439")))
    con.autocommit = True
    try:
        deadline = time.time() + 120
        rows = None
        while time.time() < deadline:
            run_dbt(["run"], project, target="redshift")
            cur = con.cursor()
            cur.execute(f'select id, status from "{schema}"."cart" order by id')
            rows = cur.fetchall()
            if [tuple(r) for r in rows] == [(1, "paid")]:
                break
            time.sleep(5)
        assert [tuple(r) for r in rows] == [(1, "paid")]
    finally:
        cur = con.cursor()
        cur.execute(f'drop schema if exists "{schema}" cascade')
        cur.execute(f'drop schema if exists "{schema}_kinesis"')
        con.close()
