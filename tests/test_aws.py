"""`streamleap aws` against moto's server on a loopback port (a real HTTP endpoint), driving the CLI.

What moto (5.2) does not implement goes to botocore's Stubber, which checks every call against the
service model and the parameters we expect:

* STUBBED_SERVICES: Redshift Serverless (moto has no redshift-serverless service at all).
* STUBBED_OPERATIONS: DMS DescribeTableStatistics, ModifyEndpoint, ModifyReplicationTask and
  DMS Serverless (DescribeReplicationConfigs, CreateReplicationConfig, DescribeReplications,
  StartReplication); Redshift ModifyClusterIamRoles.
* moto never moves a new DMS task from `creating` to `ready` (DMS does once it has validated the
  task); the fixture makes that one transition in moto's in-process backend.
* moto ignores the Tags of Kinesis CreateStream (AWS tags the stream as it makes it, and apply
  relies on that); the fixture puts them on the stream in moto's in-process backend.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber
from click.testing import CliRunner

from streamleap.aws import context, documents, naming
from streamleap.aws.clients import Clients
from streamleap.aws.config import ConfigError, load_config, parse_config
from streamleap.aws.plan import ArnOf, Call, FromEnvironment, Plan, Wait
from streamleap.aws.stack import Stack
from streamleap.cli import main

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
PASSWORD = "s3cr3t-Pa55word-never-printed"
GOLDEN = Path(__file__).parent / "golden" / "aws"

STUBBED_SERVICES = {"redshift-serverless"}
STUBBED_OPERATIONS = {"dms": {"describe_table_statistics", "modify_endpoint", "modify_replication_task",
                              # DMS Serverless
                              "describe_replication_configs", "create_replication_config",
                              "describe_replications", "start_replication"},
                      "redshift": {"modify_cluster_iam_roles"}}

BASE_CONFIG = {
    "source": {"engine": "mysql", "host": "db.internal", "port": 3306, "database": "shop",
               "username": "streamleap", "password_env": "SOURCE_PASSWORD"},
    "tables": ["shop.cart", "shop.shipment_items"],
    "stream": {"name": "shop_cdc", "mode": "on_demand", "retention_hours": 48},
    "dms": {"replication_instance_class": "dms.t3.medium"},
    "redshift": {"workgroup": "analytics", "external_schema": "kinesis"},
}


@pytest.fixture(scope="module")
def moto_endpoint():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    import moto.iam.models as iam_models

    # moto reads its ~1,300 AWS-managed policies into every IAM backend it makes (after each
    # reset: about 45 s of the suite's CPU); the stack attaches only AWS's DMS, Redshift and
    # Kinesis ones (streamleap/aws/documents.py), so the server in this process knows those
    everything = iam_models.aws_managed_policies_data
    iam_models.aws_managed_policies_data = json.dumps({
        name: doc for name, doc in json.loads(everything).items()
        if any(part in name for part in ("DMS", "Redshift", "Kinesis", "Kafka", "MSK"))})
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        iam_models.aws_managed_policies_data = everything


@pytest.fixture
def moto_account(moto_endpoint, monkeypatch):
    """A clean moto account, dummy credentials, short polls, the password in the environment."""
    import requests

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "STREAMLEAP_AWS_POLL_SECONDS": "0.01",
                       "SOURCE_PASSWORD": PASSWORD,
                       # AWS's managed policies (dms-vpc-role attaches one); moto loads them on request
                       "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    requests.post(f"{moto_endpoint}/moto-api/reset")
    return moto_endpoint


class PartlyStubbed:
    """A moto-backed client whose listed operations go to a Stubber-activated client instead."""

    def __init__(self, real, stubbed, operations):
        self._real, self._stubbed, self._operations = real, stubbed, operations

    def __getattr__(self, name):
        return getattr(self._stubbed if name in self._operations else self._real, name)


class StubbedClients(Clients):
    """moto for what it implements; a Stubber per service (`stubbers`) for the rest."""

    def __init__(self, region, profile, endpoint_url):
        super().__init__(region, profile, endpoint_url)
        self.stubbers: dict[str, Stubber] = {}

    def __call__(self, service):
        if service not in self._clients:
            real = super().__call__(service)
            if service in STUBBED_SERVICES or service in STUBBED_OPERATIONS:
                stubbed = boto3.Session(region_name=REGION).client(service, region_name=REGION)
                stubber = Stubber(stubbed)
                stubber.activate()
                self.stubbers[service] = stubber
                self._clients[service] = stubbed if service in STUBBED_SERVICES else \
                    PartlyStubbed(real, stubbed, STUBBED_OPERATIONS[service])
            if service == "dms":
                real.meta.events.register("after-call.*.CreateReplicationTask", _task_ready)
            if service == "kinesis":
                real.meta.events.register("provide-client-params.*.CreateStream", _stream_tags)
                real.meta.events.register("after-call.*.CreateStream", _stream_tagged)
        return self._clients[service]

    def stubber(self, service) -> Stubber:
        self(service)
        return self.stubbers[service]


def _stream_tags(params, context, **_kwargs):
    context["streamleap_stream_tags"] = (params["StreamName"], dict(params.get("Tags") or {}))


def _stream_tagged(context, **_kwargs):
    """What AWS does with CreateStream's Tags and moto 5.2 does not."""
    from moto.kinesis.models import kinesis_backends

    name, tags = context["streamleap_stream_tags"]
    if tags:
        kinesis_backends[ACCOUNT][REGION].add_tags_to_stream(None, name, tags)


def _task_ready(parsed, **_kwargs):
    from moto.dms.models import dms_backends

    arn = parsed["ReplicationTask"]["ReplicationTaskArn"]
    dms_backends[ACCOUNT][REGION].replication_tasks[arn].ready()


@pytest.fixture
def clients(monkeypatch, moto_account):
    """The clients every command of the test uses (one set, so stubs queue across commands)."""
    made: dict[str, StubbedClients] = {}

    def make(region, profile, endpoint_url):
        if "c" not in made:
            made["c"] = StubbedClients(region, profile, endpoint_url)
        return made["c"]

    monkeypatch.setattr(context, "make_clients", make)
    return lambda: make(REGION, None, moto_account)


def _namespace(roles: list[str], status: str = "AVAILABLE") -> dict:
    return {"namespace": {"namespaceName": "analytics-ns", "status": status,
                          "iamRoles": [f"IamRole(applyStatus=in-sync, iamRoleArn={r})" for r in roles]}}


WORKGROUP = {"workgroup": {"workgroupName": "analytics", "namespaceName": "analytics-ns"}}


def stub_serverless_read(stubber: Stubber, roles: list[str]) -> None:
    stubber.add_response("get_workgroup", WORKGROUP, {"workgroupName": "analytics"})
    stubber.add_response("get_namespace", _namespace(roles), {"namespaceName": "analytics-ns"})


def write_config(tmp_path: Path, changes: dict | None = None) -> Path:
    config = copy.deepcopy(BASE_CONFIG)
    for key, value in (changes or {}).items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    path = tmp_path / "streamleap.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run(endpoint: str, *args: str, input: str | None = None):
    result = CliRunner().invoke(main, ["aws", *args, "--endpoint-url", endpoint, "--region", REGION],
                                input=input, catch_exceptions=False)
    return result


def run_json(endpoint: str, *args: str) -> dict:
    result = run(endpoint, *args, "--json")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    return json.loads(result.output)


REDSHIFT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/streamleap-shop_cdc-redshift-kinesis"
MSK_CLUSTER = f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/shop/5a1b2c3d-1234-5678-9abc-def012345678-7"
MSK_BROKERS = "b-1.shop.abc123.c7.kafka.us-east-1.amazonaws.com:9094,b-2.shop.abc123.c7.kafka.us-east-1.amazonaws.com:9094"
MSK_STREAM = {"name": "shop_cdc", "kind": "kafka", "kafka_bootstrap": MSK_BROKERS, "msk_cluster_arn": MSK_CLUSTER}


# --- the life cycle ---------------------------------------------------------------------------


def test_plan_apply_apply_status_destroy(tmp_path, clients, moto_account, caplog):
    endpoint = moto_account
    config = write_config(tmp_path)
    rs = clients().stubber("redshift-serverless")

    # plan on an empty account: everything to create, nothing created
    stub_serverless_read(rs, [])
    planned = run_json(endpoint, "plan", "--config", str(config))
    by_kind = {(a["kind"], a["action"]) for a in planned["actions"]}
    assert ("kinesis stream", "create") in by_kind
    assert ("iam role", "create") in by_kind
    assert ("redshift role association", "associate") in by_kind
    assert ("dms source endpoint", "create") in by_kind
    assert ("dms target endpoint", "create") in by_kind
    assert ("dms replication instance", "create") in by_kind
    assert ("dms replication task", "create") in by_kind and ("dms replication task", "start") in by_kind
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION)
    assert kinesis.list_streams()["StreamNames"] == []

    # apply: creates everything, associates the role with the namespace, starts the task
    stub_serverless_read(rs, [])  # the plan apply makes and runs (it reads nothing again)
    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN], "MODIFYING"),
                    {"namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN],
                     "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    applied = run_json(endpoint, "apply", "--config", str(config))
    assert applied["changes"] >= 9
    rs.assert_no_pending_responses()

    summary = kinesis.describe_stream_summary(StreamName="shop_cdc")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert summary["RetentionPeriodHours"] == 48
    tags = {t["Key"]: t["Value"] for t in kinesis.list_tags_for_stream(StreamName="shop_cdc")["Tags"]}
    assert tags["streamleap:managed-by"] == "streamleap"

    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    dms_policy = iam.get_role_policy(RoleName="streamleap-shop_cdc-dms-kinesis",
                                     PolicyName="streamleap-kinesis-write")["PolicyDocument"]
    assert dms_policy == documents.dms_kinesis_policy(f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/shop_cdc", None)

    dms = boto3.client("dms", endpoint_url=endpoint, region_name=REGION)
    target = dms.describe_endpoints(Filters=[{"Name": "endpoint-id", "Values": ["streamleap-shop-cdc-kinesis"]}])
    settings = target["Endpoints"][0]["KinesisSettings"]
    assert settings["IncludeTransactionDetails"] is True and settings["UseLargeIntegerValue"] is True
    assert settings["ServiceAccessRoleArn"].endswith("role/streamleap-shop_cdc-dms-kinesis")
    (task,) = dms.describe_replication_tasks()["ReplicationTasks"]
    assert task["Status"] == "running"
    assert task["MigrationType"] == "full-load-and-cdc"
    assert json.loads(task["TableMappings"]) == documents.table_mappings(parse_config(BASE_CONFIG))
    settings = json.loads(task["ReplicationTaskSettings"])
    assert settings["BeforeImageSettings"]["EnableBeforeImage"] is True

    # apply again: nothing changes, and it says so
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    again = run(endpoint, "apply", "--config", str(config))
    assert again.exit_code == 0, again.output
    assert "no changes" in again.output
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    assert run_json(endpoint, "plan", "--config", str(config))["changes"] == 0

    # status: stream, task and per-table statistics (stubbed: moto lacks DescribeTableStatistics)
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    dms_stub = clients().stubber("dms")
    dms_stub.add_response("describe_table_statistics", {"TableStatistics": [
        {"SchemaName": "shop", "TableName": "cart", "Inserts": 5, "Updates": 2, "Deletes": 1, "FullLoadRows": 40,
         "TableState": "Table completed"}]}, {"ReplicationTaskArn": task["ReplicationTaskArn"]})
    report = run_json(endpoint, "status", "--config", str(config))
    assert report["stream"]["status"] == "ACTIVE"
    assert report["replication"]["status"] == "running"
    assert report["tables"] == [{"table": "shop.cart", "state": "Table completed", "full_load_rows": 40,
                                 "inserts": 5, "updates": 2, "deletes": 1, "ddls": None, "last_update": None}]
    assert report["redshift"]["associated"] is True

    # destroy asks first; "no" deletes nothing
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    refused = run(endpoint, "destroy", "--config", str(config), input="n\n")
    assert refused.exit_code == 1 and "nothing was deleted" in refused.output
    assert kinesis.list_streams()["StreamNames"] == ["shop_cdc"]

    # destroy --yes: task, instance, endpoints, association, roles, stream; nothing left
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])  # the destroy plan, then run as it is
    rs.add_response("update_namespace", _namespace([]), {"namespaceName": "analytics-ns", "iamRoles": []})
    rs.add_response("get_namespace", _namespace([]), {"namespaceName": "analytics-ns"})
    gone = run_json(endpoint, "destroy", "--config", str(config), "--yes")
    assert gone["changes"] >= 8
    rs.assert_no_pending_responses()
    assert kinesis.list_streams()["StreamNames"] == []
    assert dms.describe_replication_tasks()["ReplicationTasks"] == []
    assert dms.describe_endpoints()["Endpoints"] == []
    assert dms.describe_replication_instances()["ReplicationInstances"] == []
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert not [r for r in roles if r.startswith("streamleap-")]

    # the password appeared in no output and no log line
    assert PASSWORD not in caplog.text
    assert PASSWORD not in config.read_text()


def test_untagged_resource_with_our_name_is_never_touched(tmp_path, clients, moto_account):
    kinesis = boto3.client("kinesis", endpoint_url=moto_account, region_name=REGION)
    kinesis.create_stream(StreamName="shop_cdc", ShardCount=1)
    config = write_config(tmp_path)
    result = run(moto_account, "plan", "--config", str(config))
    assert result.exit_code == 1
    assert "kinesis stream shop_cdc exists but was not created by streamleap" in result.output
    assert len(result.output.strip().splitlines()) == 1
    stub_serverless_read(clients().stubber("redshift-serverless"), [])
    result = run(moto_account, "destroy", "--config", str(config), "--yes")
    assert result.exit_code == 0, result.output
    assert "nothing to destroy" in result.output
    assert kinesis.list_streams()["StreamNames"] == ["shop_cdc"]


def test_config_change_updates_in_place(tmp_path, clients, moto_account):
    """Retention and shards change the stream; a new table modifies the task (stopped, then resumed)."""
    endpoint = moto_account
    rs = clients().stubber("redshift-serverless")
    dms_stub = clients().stubber("dms")
    config = write_config(tmp_path)
    stub_serverless_read(rs, [])
    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN],
                     "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    assert run_json(endpoint, "apply", "--config", str(config))["changes"] > 0

    config = write_config(tmp_path, {"stream": {"mode": "provisioned", "shards": 2, "retention_hours": 72},
                                     "tables": ["shop.cart", "shop.shipment_items", "shop.orders"]})
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    planned = {(a["kind"], a["action"]): a["detail"] for a in run_json(endpoint, "plan", "--config", str(config))["actions"]}
    assert "retention 48 h -> 72 h" in planned[("kinesis stream", "update")]
    assert "table mappings" in planned[("dms replication task", "update")]

    dms = boto3.client("dms", endpoint_url=endpoint, region_name=REGION)
    (task,) = dms.describe_replication_tasks()["ReplicationTasks"]
    wanted = documents.table_mappings(parse_config(yaml.safe_load(config.read_text())))
    dms_stub.add_response("modify_replication_task", {"ReplicationTask": {"ReplicationTaskIdentifier": "x"}},
                          {"ReplicationTaskArn": task["ReplicationTaskArn"], "MigrationType": "full-load-and-cdc",
                           "TableMappings": documents.dumps(wanted), "ReplicationTaskSettings": ANY})
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    result = run(endpoint, "apply", "--config", str(config))
    assert result.exit_code == 0, result.output
    dms_stub.assert_no_pending_responses()
    summary = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION).describe_stream_summary(
        StreamName="shop_cdc")["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 72
    assert summary["StreamModeDetails"]["StreamMode"] == "PROVISIONED"


# --- the plan is the object that runs -----------------------------------------------------------


class CallLog:
    """Every AWS API call the context's clients make from now on: (service, boto3 method, params)."""

    def __init__(self, ctx: context.Context, services: tuple[str, ...] = ("kinesis", "iam", "redshift-serverless", "dms")):
        self.calls: list[tuple[str, str, dict]] = []
        for service in services:
            client = ctx.clients(service)
            for each in (client._real, client._stubbed) if isinstance(client, PartlyStubbed) else (client,):
                each.meta.events.register("provide-client-params", self._record)

    def _record(self, params, model, **_kwargs):
        from botocore import xform_name

        self.calls.append((model.service_model.service_name, xform_name(model.name), copy.deepcopy(params)))


def assert_ran_exactly(planned: Plan, calls: list[tuple[str, str, dict]], ctx: context.Context) -> None:
    """The calls are, in order, the plan's calls with the parameters it names (values known only at
    apply time resolved), and between them only its waits' polls: nothing else was read or changed."""
    at = 0
    for change in planned.pending:
        for step in change.steps:
            if isinstance(step, Call):
                assert at < len(calls), f"{change.action} {change.kind}: {step.operation} was not made"
                assert calls[at] == (step.service, step.operation, step.arguments(ctx)), (change.action, change.kind)
                at += 1
            else:
                assert isinstance(step, Wait), step
                polled = at
                while at < len(calls) and calls[at][1] in step.polls():
                    at += 1
                assert at > polled, f"{change.action} {change.kind}: {step.what} polled nothing"
    assert calls[at:] == [], "calls the plan does not name"


def test_a_stored_plan_is_applied_as_it_is(tmp_path, clients, moto_account):
    """A plan made, kept and applied later makes exactly the calls it names, and reads nothing but
    its waits' polls (stream ACTIVE, task ready/running, ...): no describe or diff decides anything."""
    rs, dms_stub = clients().stubber("redshift-serverless"), clients().stubber("dms")
    ctx = context.connect(load_config(write_config(tmp_path)), REGION, None, moto_account)
    stub_serverless_read(rs, [])
    planned = Stack(ctx).plan()
    kept = json.dumps(planned.to_json())  # the plan is printed, kept, then applied

    # values only apply can know are marked as such, not guessed
    (task_create,) = [c for c in planned.changes if c.kind == "dms replication task" and c.action == "create"]
    (create_task,) = task_create.calls()
    assert create_task.params["SourceEndpointArn"] == ArnOf("dms source endpoint", "streamleap-shop-cdc-source")
    (source_create,) = [c for c in planned.changes if c.kind == "dms source endpoint"]
    assert source_create.calls()[0].params["Password"] == FromEnvironment(
        "SOURCE_PASSWORD", "source.password_env", "the source password")
    assert PASSWORD not in kept

    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN]), {
        "namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN], "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    log = CallLog(ctx)
    planned.apply(ctx)
    assert_ran_exactly(planned, log.calls, ctx)
    rs.assert_no_pending_responses()
    named = [call.operation for change in planned.changes for call in change.calls()]
    assert named[:2] == ["create_stream", "increase_stream_retention_period"]
    assert named[-2:] == ["create_replication_task", "start_replication_task"]
    dms = boto3.client("dms", endpoint_url=moto_account, region_name=REGION)
    (task,) = dms.describe_replication_tasks()["ReplicationTasks"]
    assert task["Status"] == "running"

    # nothing left to do: a plan of nothing makes no call at all
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    planned = Stack(ctx).plan()
    assert planned.pending == ()
    log = CallLog(ctx)
    planned.apply(ctx)
    assert log.calls == []

    # a changed config: the plan names the shard count, retention and mappings to set, and the
    # task's stop, modify and resume; apply makes those and nothing else
    config = write_config(tmp_path, {"stream": {"mode": "provisioned", "shards": 2, "retention_hours": 72},
                                     "tables": ["shop.cart", "shop.shipment_items", "shop.orders"]})
    ctx = context.connect(load_config(config), REGION, None, moto_account)
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    planned = Stack(ctx).plan()
    assert [(c.kind, c.action) for c in planned.pending] == [
        ("kinesis stream", "update"), ("dms replication task", "update"), ("dms replication task", "start")]
    (stream_update,) = [c for c in planned.pending if c.kind == "kinesis stream"]
    assert [(call.operation, call.params.get("TargetShardCount") or call.params.get("RetentionPeriodHours"))
            for call in stream_update.calls()] == [
        ("update_stream_mode", None), ("update_shard_count", 2), ("increase_stream_retention_period", 72)]
    dms_stub.add_response("modify_replication_task", {"ReplicationTask": {"ReplicationTaskIdentifier": "x"}}, {
        "ReplicationTaskArn": task["ReplicationTaskArn"], "MigrationType": "full-load-and-cdc",
        "TableMappings": documents.dumps(documents.table_mappings(load_config(config))),
        "ReplicationTaskSettings": ANY})
    log = CallLog(ctx)
    planned.apply(ctx)
    assert_ran_exactly(planned, log.calls, ctx)
    dms_stub.assert_no_pending_responses()
    assert [op for _, op, _ in log.calls if op.endswith("replication_task")] == [
        "stop_replication_task", "modify_replication_task", "start_replication_task"]


def test_plan_json_is_the_plan_apply_and_destroy_run(tmp_path, clients, moto_account, monkeypatch):
    """`aws plan --json` prints the to_json of the very plan `aws apply` runs (and apply prints it
    again); `aws destroy --yes --json` prints the plan it ran."""
    endpoint, config = moto_account, write_config(tmp_path)
    rs = clients().stubber("redshift-serverless")
    ran: list[Plan] = []
    apply_plan = Plan.apply

    def keep(self, ctx):
        ran.append(self)
        apply_plan(self, ctx)

    monkeypatch.setattr(Plan, "apply", keep)

    stub_serverless_read(rs, [])
    printed = run_json(endpoint, "plan", "--config", str(config))
    stub_serverless_read(rs, [])
    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN]), {
        "namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN], "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    applied = run_json(endpoint, "apply", "--config", str(config))
    (run_plan,) = ran
    assert run_plan.to_json() == printed
    assert {key: applied[key] for key in ("actions", "changes")} == printed

    # what a change prints: its calls with their parameters, its waits, the values known at apply
    actions = {(a["kind"], a["action"]): a for a in printed["actions"]}
    stream = actions[("kinesis stream", "create")]["steps"]
    assert stream[0] == {"call": "kinesis:CreateStream", "params": {
        "StreamName": "shop_cdc", "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
        "Tags": {"streamleap:managed-by": "streamleap", "streamleap:stream": "shop_cdc"}}}
    assert stream[1] == {"wait_for": "Kinesis stream shop_cdc to become ACTIVE"}
    assert stream[2]["params"] == {"StreamName": "shop_cdc", "RetentionPeriodHours": 48}
    (dms_role,) = [a for a in printed["actions"] if a["name"] == "streamleap-shop_cdc-dms-kinesis"]
    policy = [s for s in dms_role["steps"] if s["call"] == "iam:PutRolePolicy"][0]
    assert json.loads(policy["params"]["PolicyDocument"]) == documents.dms_kinesis_policy(
        documents.stream_arn(REGION, ACCOUNT, "shop_cdc"), None)
    task = actions[("dms replication task", "create")]["steps"][0]["params"]
    assert task["SourceEndpointArn"] == {"known_at_apply": "the ARN of the dms source endpoint "
                                                           "streamleap-shop-cdc-source, created earlier in this apply"}
    password = actions[("dms source endpoint", "create")]["steps"][0]["params"]["Password"]
    assert password == {"known_at_apply": "read from $SOURCE_PASSWORD"}
    for action in printed["actions"]:  # every call names an operation of the service's API
        for step in action["steps"]:
            if "call" in step:
                service, operation = step["call"].split(":")
                assert operation in boto3.client(service, region_name=REGION).meta.service_model.operation_names

    ran.clear()
    stub_serverless_read(rs, [REDSHIFT_ROLE_ARN])
    rs.add_response("update_namespace", _namespace([]), {"namespaceName": "analytics-ns", "iamRoles": []})
    rs.add_response("get_namespace", _namespace([]), {"namespaceName": "analytics-ns"})
    gone = run_json(endpoint, "destroy", "--config", str(config), "--yes")
    (run_plan,) = ran
    assert run_plan.to_json() == gone
    rs.assert_no_pending_responses()
    assert [(a["kind"], a["action"]) for a in gone["actions"]] == [
        ("dms replication task", "delete"), ("dms replication instance", "delete"),
        ("dms target endpoint", "delete"), ("dms source endpoint", "delete"),
        ("redshift role association", "disassociate"), ("iam role", "delete"), ("iam role", "delete"),
        ("kinesis stream", "delete")]


def test_provisioned_cluster_association(tmp_path, clients, moto_account):
    endpoint = moto_account
    boto3.client("redshift", endpoint_url=endpoint, region_name=REGION).create_cluster(
        ClusterIdentifier="warehouse", NodeType="ra3.xlplus", MasterUsername="admin",
        MasterUserPassword="Password123", ClusterType="single-node")
    config = write_config(tmp_path, {"redshift": {"workgroup": None, "cluster_identifier": "warehouse"}})
    data = yaml.safe_load(config.read_text())
    del data["redshift"]["workgroup"]
    config.write_text(yaml.safe_dump(data))
    planned = {(a["kind"], a["action"]) for a in run_json(endpoint, "plan", "--config", str(config))["actions"]}
    assert ("redshift role association", "associate") in planned
    clients().stubber("redshift").add_response(
        "modify_cluster_iam_roles", {"Cluster": {"ClusterIdentifier": "warehouse"}},
        {"ClusterIdentifier": "warehouse", "AddIamRoles": [REDSHIFT_ROLE_ARN]})
    from streamleap.project.scaffold import init_project

    project = tmp_path / "proj"
    init_project(project)
    result = run(endpoint, "apply", "--config", str(config), "--project-dir", str(project))
    assert result.exit_code == 0, result.output
    clients().stubber("redshift").assert_no_pending_responses()
    # the dbt project now names the role Redshift reads the stream with
    assert yaml.safe_load((project / "dbt_project.yml").read_text())["vars"]["streamleap_iam_role"] == REDSHIFT_ROLE_ARN
    trust = boto3.client("iam", endpoint_url=endpoint, region_name=REGION).get_role(
        RoleName="streamleap-shop_cdc-redshift-kinesis")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["Service"] == "redshift.amazonaws.com"


def test_missing_password_env_is_one_line(tmp_path, clients, moto_account, monkeypatch):
    monkeypatch.delenv("SOURCE_PASSWORD")
    rs = clients().stubber("redshift-serverless")
    stub_serverless_read(rs, [])
    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN],
                     "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    result = run(moto_account, "apply", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: source.password_env: the environment variable SOURCE_PASSWORD is not set; "
                                     "export the source password in it and run apply again")


def test_aws_error_is_one_line_naming_service_and_action(tmp_path, clients, moto_account):
    rs = clients().stubber("redshift-serverless")
    rs.add_client_error("get_workgroup", "AccessDeniedException", "User is not authorized to perform GetWorkgroup")
    result = run(moto_account, "plan", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: AWS redshift-serverless GetWorkgroup failed: "
                                     "User is not authorized to perform GetWorkgroup")


def test_unknown_workgroup(tmp_path, clients, moto_account):
    clients().stubber("redshift-serverless").add_client_error("get_workgroup", "ResourceNotFoundException", "nope")
    result = run(moto_account, "plan", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert "redshift.workgroup: no Redshift Serverless workgroup named analytics" in result.output


# --- config -----------------------------------------------------------------------------------


def test_init_config_writes_a_valid_commented_file(tmp_path):
    path = tmp_path / "streamleap.yml"
    result = CliRunner().invoke(main, ["aws", "init-config", "--config", str(path), "--engine", "postgres",
                                       "--tables", "public.orders,public.items"])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "# " in text and "password_env" in text
    config = parse_config(yaml.safe_load(text))
    assert config.tables == ("public.orders", "public.items") and config.source.port == 5432
    again = CliRunner().invoke(main, ["aws", "init-config", "--config", str(path)])
    assert again.exit_code == 1 and "--force" in again.output


def test_invalid_config_one_line_per_problem(tmp_path):
    path = tmp_path / "streamleap.yml"
    path.write_text(yaml.safe_dump({
        "source": {"engine": "oracle", "host": "h", "database": "d", "username": "u", "password": "x"},
        "tables": ["cart"],
        "stream": {"name": "s", "mode": "provisioned"},
        "dms": {"serverless": {"max_capacity_units": 3}, "replication_instance_class": "dms.t3.medium"},
        "redshift": {"workgroup": "w", "cluster_identifier": "c"},
        "colour": "blue",
    }))
    result = CliRunner().invoke(main, ["aws", "plan", "--config", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    expected = ["colour: unknown key", "source.engine: 'oracle' is not supported", "source.password_env: is required",
                "source.password: passwords do not belong in the file", "tables[0]: 'cart' must be schema.table",
                "stream.shards: is required when stream.mode is provisioned", "dms.serverless.max_capacity_units",
                "dms: set replication_instance_class or serverless, not both",
                "redshift: set workgroup or cluster_identifier, not both"]
    for fragment in expected:
        assert sum(fragment in line for line in lines) == 1, (fragment, lines)
    assert len(lines) == len(expected)
    assert "x" not in [w.strip("',") for line in lines for w in line.split()]  # the password is not echoed


def test_missing_config_file(tmp_path):
    result = CliRunner().invoke(main, ["aws", "plan", "--config", str(tmp_path / "nope.yml")])
    assert result.exit_code == 1 and "streamleap aws init-config" in result.output


# --- golden documents -------------------------------------------------------------------------


def _golden_documents() -> dict[str, dict]:
    config = parse_config(BASE_CONFIG)
    stream = documents.stream_arn(REGION, ACCOUNT, "shop_cdc")
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    return {
        "dms_trust_policy": documents.dms_trust_policy(REGION, ACCOUNT),
        "dms_kinesis_policy": documents.dms_kinesis_policy(stream, None),
        "dms_kinesis_policy_kms": documents.dms_kinesis_policy(stream, key),
        "redshift_trust_policy_serverless": documents.redshift_trust_policy(ACCOUNT, True),
        "redshift_trust_policy_cluster": documents.redshift_trust_policy(ACCOUNT, False),
        "redshift_kinesis_policy": documents.redshift_kinesis_policy(stream, None),
        "redshift_kinesis_policy_kms": documents.redshift_kinesis_policy(stream, key),
        "dms_secret_policy": documents.dms_secret_policy(
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:shop-db-AbCdEf"),
        "kinesis_settings": documents.kinesis_settings(stream, f"arn:aws:iam::{ACCOUNT}:role/r"),
        # stream.kind kafka: Redshift reads a topic of an MSK cluster; DMS writes it over TLS
        "redshift_msk_policy": documents.redshift_msk_policy(MSK_CLUSTER, "shop_cdc", "iam"),
        "redshift_msk_policy_no_auth": documents.redshift_msk_policy(MSK_CLUSTER, "shop_cdc", "none"),
        "kafka_settings": documents.kafka_settings(MSK_BROKERS, "shop_cdc"),
        "table_mappings": documents.table_mappings(config),
        "task_settings": documents.task_settings(config),
    }


@pytest.mark.parametrize("name", sorted(_golden_documents()))
def test_golden_documents(name):
    import os

    document = json.dumps(_golden_documents()[name], indent=2, sort_keys=True) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("STREAMLEAP_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document)
    assert path.read_text() == document, f"{path} differs; STREAMLEAP_UPDATE_GOLDEN=1 rewrites it"


# REFERENCE.md (../shared, IAM section), as of this writing; when the file is beside the checkout
# the test also reads the lists from it, so the two cannot drift apart unnoticed.
REFERENCE_ACTIONS = {
    "- Redshift reading Kinesis:": {"kinesis:DescribeStreamSummary", "kinesis:GetShardIterator",
                                    "kinesis:GetRecords", "kinesis:ListShards", "kinesis:DescribeStream",
                                    "kinesis:ListStreams"},
    "- DMS writing Kinesis:": {"kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords"},
}


def _reference_list(heading: str, start: str) -> set[str]:
    """The kinesis:* actions REFERENCE.md lists in the line of its IAM section starting with ``start``."""
    text = (Path(__file__).parents[2] / "shared" / "REFERENCE.md")
    if not text.exists():
        return REFERENCE_ACTIONS[start]
    section = text.read_text().split(heading, 1)[1].split("\n## ", 1)[0]
    block = section.split(start, 1)[1].split("\n- ", 1)[0]
    names = set(re.findall(r"kinesis:(\w+)", block))
    # "kinesis:DescribeStreamSummary, GetShardIterator, ..." lists later actions without the prefix
    for run_ in re.findall(r"kinesis:\w+((?:,\s*\w+)+)", block):
        names |= {n.strip() for n in run_.split(",") if n.strip()}
    found = {f"kinesis:{n}" for n in names}
    assert found == REFERENCE_ACTIONS[start], "REFERENCE.md changed: update REFERENCE_ACTIONS and the policies"
    return found


def test_policies_grant_exactly_reference_actions():
    docs_ = _golden_documents()
    stream = documents.stream_arn(REGION, ACCOUNT, "shop_cdc")
    redshift = _reference_list("## IAM", "- Redshift reading Kinesis:")
    dms = _reference_list("## IAM", "- DMS writing Kinesis:")
    granted_r = {a for s in docs_["redshift_kinesis_policy"]["Statement"] for a in s["Action"]}
    granted_d = {a for s in docs_["dms_kinesis_policy"]["Statement"] for a in s["Action"]}
    assert granted_r == redshift
    assert granted_d == dms
    # resources: the stream ARN, except ListStreams alone on *
    for statement in docs_["redshift_kinesis_policy"]["Statement"] + docs_["dms_kinesis_policy"]["Statement"]:
        assert statement["Resource"] == ("*" if statement["Action"] == ["kinesis:ListStreams"] else stream)
    for name in ("dms_trust_policy", "redshift_trust_policy_serverless", "redshift_trust_policy_cluster"):
        (statement,) = docs_[name]["Statement"]
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_dms_settings_match_reference():
    settings = _golden_documents()["kinesis_settings"]
    for key in ("IncludeTransactionDetails", "IncludeControlDetails", "PartitionIncludeSchemaTable",
                "IncludePartitionValue", "UseLargeIntegerValue"):
        assert settings[key] is True, key
    assert settings["MessageFormat"] == "json"
    before = _golden_documents()["task_settings"]["BeforeImageSettings"]
    assert before == {"EnableBeforeImage": True, "FieldName": "before-image", "ColumnFilter": "all"}
    # the KinesisSettings keys are ones botocore's DMS model knows
    shape = boto3.client("dms", region_name=REGION).meta.service_model.shape_for("KinesisSettings")
    assert set(settings) <= set(shape.members)


def test_names_are_valid_identifiers():
    assert naming.dms_id("shop_cdc", "task") == "streamleap-shop-cdc-task"
    long = naming.dms_id("a" * 128, "instance")
    assert len(long) <= 63 and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", long) and "--" not in long
    assert len(naming.role_name("x" * 128, "redshift-kinesis")) <= 64
    with pytest.raises(ConfigError):
        parse_config({**BASE_CONFIG, "stream": {"name": "bad/name"}})


def test_generate_reads_stream_schema_and_tables_from_config(tmp_path):
    from streamleap.project.scaffold import init_project

    project = tmp_path / "proj"
    init_project(project)
    config = write_config(tmp_path, {"redshift": {"external_schema": "cdc_in"}, "tables": ["shop.cart"]})
    ddl = tmp_path / "shop.sql"
    ddl.write_text("CREATE TABLE shop.cart (id BIGINT PRIMARY KEY, total DECIMAL(10,2));\n"
                   "CREATE TABLE shop.other (id INT PRIMARY KEY);\n")
    result = CliRunner().invoke(main, ["generate", "--project-dir", str(project), "--config", str(config),
                                       "--ddl", str(ddl), "--dialect", "mysql"])
    assert result.exit_code == 0, result.output
    staging = (project / "models" / "shop_cdc" / "stg_shop_cdc.sql").read_text()
    assert "stream_schema='cdc_in'" in staging and "stream_name='shop_cdc'" in staging
    assert "iam_role=var('streamleap_iam_role'" in staging
    models = sorted(p.name for p in (project / "models" / "shop_cdc").glob("*.sql"))
    assert [m for m in models if "other" in m] == []  # only the config's tables


def test_dms_serverless_creates_and_starts_a_replication_config(tmp_path, clients, moto_account):
    endpoint = moto_account
    config = write_config(tmp_path, {"dms": {"serverless": {"max_capacity_units": 4}}})
    data = yaml.safe_load(config.read_text())
    del data["dms"]["replication_instance_class"]
    config.write_text(yaml.safe_dump(data))
    rs, dms_stub = clients().stubber("redshift-serverless"), clients().stubber("dms")
    name = "streamleap-shop-cdc-replication"
    arn = f"arn:aws:dms:{REGION}:{ACCOUNT}:replication-config:ABC"
    stub_serverless_read(rs, [])
    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN],
                     "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    locate = {"Filters": [{"Name": "replication-config-id", "Values": [name]}]}
    dms_stub.add_response("describe_replication_configs", {"ReplicationConfigs": []}, locate)
    mappings = documents.dumps(documents.table_mappings(parse_config(yaml.safe_load(config.read_text()))))
    dms_stub.add_response("create_replication_config", {"ReplicationConfig": {"ReplicationConfigArn": arn}}, {
        "ReplicationConfigIdentifier": name, "SourceEndpointArn": ANY, "TargetEndpointArn": ANY,
        "ComputeConfig": {"MaxCapacityUnits": 4, "MultiAZ": False}, "ReplicationType": "full-load-and-cdc",
        "TableMappings": mappings, "ReplicationSettings": ANY, "Tags": ANY})
    # started with the ARN the create answered with: a new config has never run
    dms_stub.add_response("start_replication", {"Replication": {"Status": "starting"}},
                          {"ReplicationConfigArn": arn, "StartReplicationType": "start-replication"})
    applied = run_json(endpoint, "apply", "--config", str(config))
    dms_stub.assert_no_pending_responses()
    kinds = {a["kind"] for a in applied["actions"]}
    assert "dms replication instance" not in kinds and "dms serverless replication" in kinds


def test_kms_alias_resolves_to_the_key_arn_in_policies(tmp_path, clients, moto_account):
    endpoint = moto_account
    kms = boto3.client("kms", endpoint_url=endpoint, region_name=REGION)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/streamleap", TargetKeyId=key_arn)
    config = write_config(tmp_path, {"stream": {"kms_key": "alias/streamleap"}})
    rs = clients().stubber("redshift-serverless")
    stub_serverless_read(rs, [])
    rs.add_response("update_namespace", _namespace([REDSHIFT_ROLE_ARN]),
                    {"namespaceName": "analytics-ns", "iamRoles": [REDSHIFT_ROLE_ARN], "defaultIamRoleArn": REDSHIFT_ROLE_ARN})
    rs.add_response("get_namespace", _namespace([REDSHIFT_ROLE_ARN]), {"namespaceName": "analytics-ns"})
    run_json(endpoint, "apply", "--config", str(config))
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    read = iam.get_role_policy(RoleName="streamleap-shop_cdc-redshift-kinesis",
                               PolicyName="streamleap-kinesis-read")["PolicyDocument"]
    (decrypt,) = [s for s in read["Statement"] if s["Action"] == ["kms:Decrypt"]]
    assert decrypt["Resource"] == key_arn  # the key, not the alias: an alias ARN would grant nothing
    summary = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION).describe_stream_summary(
        StreamName="shop_cdc")["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "KMS"


def test_destroy_leaves_a_look_alike_role_associated(tmp_path, clients, moto_account):
    """An untagged role with streamleap's name, associated with the namespace, stays associated."""
    iam = boto3.client("iam", endpoint_url=moto_account, region_name=REGION)
    iam.create_role(RoleName="streamleap-shop_cdc-redshift-kinesis",
                    AssumeRolePolicyDocument=documents.dumps(documents.redshift_trust_policy(ACCOUNT, True)))
    stub_serverless_read(clients().stubber("redshift-serverless"), [REDSHIFT_ROLE_ARN])
    result = run(moto_account, "destroy", "--config", str(write_config(tmp_path)), "--yes")
    assert result.exit_code == 0, result.output
    assert "nothing to destroy" in result.output
    assert iam.get_role(RoleName="streamleap-shop_cdc-redshift-kinesis")["Role"]


# --- partitions and excluded columns ------------------------------------------------------------

PARTITIONED_CONFIG = {
    **BASE_CONFIG,
    "source": {**BASE_CONFIG["source"], "engine": "postgres", "port": 5432},
    "tables": ["public.events", "public.customer"],
    "partitions": {"public.events": ["public.events_2024", "public.events_2025", "archive.events_old"]},
    "exclude_columns": ["public.customer.email", "public.events.ip"],
}


def test_partitions_are_selected_by_name_and_excluded_columns_removed():
    mappings = documents.table_mappings(parse_config(PARTITIONED_CONFIG))
    path = GOLDEN / "table_mappings_partitions.json"
    text = json.dumps(mappings, indent=2, sort_keys=True) + "\n"
    import os

    if os.environ.get("STREAMLEAP_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()
    selected = [(r["object-locator"]["schema-name"], r["object-locator"]["table-name"])
                for r in mappings["rules"] if r["rule-type"] == "selection"]
    assert selected == [("public", "events"), ("public", "events_2024"), ("public", "events_2025"),
                        ("archive", "events_old"), ("public", "customer")]
    assert all("%" not in t for _, t in selected)  # exact names, no wildcards
    removed = [(r["object-locator"]["table-name"], r["object-locator"]["column-name"])
               for r in mappings["rules"] if r["rule-action"] == "remove-column"]
    # on the table and on each partition DMS reads under its own name
    assert removed == [("customer", "email"), ("events", "ip"), ("events_2024", "ip"), ("events_2025", "ip"),
                       ("events_old", "ip")]
    ids = [r["rule-id"] for r in mappings["rules"]]
    assert len(set(ids)) == len(ids)


def test_partitions_and_exclusions_are_checked():
    bad = {**PARTITIONED_CONFIG,
           "partitions": {"public.other": ["public.x"], "public.events": ["events_2024", "public.customer"]},
           "exclude_columns": ["customer.email", "public.nope.c"]}
    with pytest.raises(ConfigError) as info:
        parse_config(bad)
    problems = info.value.problems
    assert any(p.startswith("partitions.public.other: 'public.other' is not in tables:") for p in problems)
    assert any(p.startswith("partitions.public.events[0]: 'events_2024' must be schema.table") for p in problems)
    assert any(p.startswith("partitions.public.events[1]: 'public.customer' is in tables: too") for p in problems)
    assert any(p.startswith("exclude_columns[0]: 'customer.email' must be schema.table.column") for p in problems)
    assert any(p.startswith("exclude_columns[1]: 'public.nope.c': table public.nope is not in tables:") for p in problems)
    assert len(problems) == 5


@pytest.mark.postgres
def test_init_config_lists_partitions_from_the_live_database(tmp_path, pg_url):
    import psycopg2

    schema = f"aws_{uuid.uuid4().hex[:6]}"
    con = psycopg2.connect(pg_url)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"create schema {schema}; "
                    f"create table {schema}.ev (id int, day date, primary key (id, day)) partition by range (day); "
                    f"create table {schema}.ev_a partition of {schema}.ev for values from ('2024-01-01') to ('2025-01-01'); "
                    f"create table {schema}.ev_b partition of {schema}.ev default; "
                    f"create table {schema}.plain (id int primary key)")
    try:
        path = tmp_path / "streamleap.yml"
        result = CliRunner().invoke(main, ["aws", "init-config", "--config", str(path), "--engine", "postgres",
                                           "--source-url", pg_url, "--tables", f"{schema}.ev,{schema}.plain"])
        assert result.exit_code == 0, result.output
        config = parse_config(yaml.safe_load(path.read_text()))
        assert config.tables == (f"{schema}.ev", f"{schema}.plain")
        assert config.partitions == {f"{schema}.ev": (f"{schema}.ev_a", f"{schema}.ev_b")}
        selected = [r["object-locator"]["table-name"] for r in documents.table_mappings(config)["rules"]
                    if r["rule-type"] == "selection"]
        assert selected == ["ev", "ev_a", "ev_b", "plain"]
    finally:
        with con.cursor() as cur:
            cur.execute(f"drop schema {schema} cascade")
        con.close()


def test_an_msk_topic_plan_apply_destroy(tmp_path, clients, moto_account):
    """stream.kind kafka: no Kinesis stream and no DMS role; the DMS target is the topic (KafkaSettings,
    TLS), Redshift's role reads it (kafka-cluster:ReadData/DescribeTopic on the topic, Connect on the
    cluster, kafka:GetBootstrapBrokers); a second apply changes nothing; destroy removes it all."""
    endpoint = moto_account
    config = write_config(tmp_path)
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "stream": MSK_STREAM}), encoding="utf-8")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/streamleap-shop_cdc-redshift-msk"
    rs = clients().stubber("redshift-serverless")
    stub_serverless_read(rs, [])
    planned = run_json(endpoint, "plan", "--config", str(config))
    kinds = {(a["kind"], a["action"]) for a in planned["actions"]}
    assert ("kinesis stream", "create") not in kinds and ("dms target endpoint", "create") in kinds
    stub_serverless_read(rs, [])
    rs.add_response("update_namespace", _namespace([role_arn]), {"namespaceName": "analytics-ns", "iamRoles": [role_arn],
                                                                 "defaultIamRoleArn": role_arn})
    rs.add_response("get_namespace", _namespace([role_arn]), {"namespaceName": "analytics-ns"})
    run_json(endpoint, "apply", "--config", str(config))
    rs.assert_no_pending_responses()
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert "streamleap-shop_cdc-redshift-msk" in roles and "streamleap-shop_cdc-dms-kinesis" not in roles
    policy = iam.get_role_policy(RoleName="streamleap-shop_cdc-redshift-msk", PolicyName="streamleap-msk-read")["PolicyDocument"]
    assert policy == documents.redshift_msk_policy(MSK_CLUSTER, "shop_cdc", "iam")
    assert policy["Statement"][0]["Resource"] == (f"arn:aws:kafka:{REGION}:{ACCOUNT}:topic/shop/"
                                                  "5a1b2c3d-1234-5678-9abc-def012345678-7/shop_cdc")
    dms = boto3.client("dms", endpoint_url=endpoint, region_name=REGION)
    target = dms.describe_endpoints(Filters=[{"Name": "endpoint-id", "Values": ["streamleap-shop-cdc-kafka"]}])["Endpoints"][0]
    assert target["EngineName"] == "kafka"
    assert target["KafkaSettings"]["Topic"] == "shop_cdc" and target["KafkaSettings"]["Broker"] == MSK_BROKERS
    assert boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION).list_streams()["StreamNames"] == []
    stub_serverless_read(rs, [role_arn])
    assert run_json(endpoint, "plan", "--config", str(config))["changes"] == 0
    stub_serverless_read(rs, [role_arn])
    rs.add_response("update_namespace", _namespace([]), {"namespaceName": "analytics-ns", "iamRoles": []})
    rs.add_response("get_namespace", _namespace([]), {"namespaceName": "analytics-ns"})
    run_json(endpoint, "destroy", "--config", str(config), "--yes")
    assert dms.describe_endpoints()["Endpoints"] == []
    assert not [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("streamleap-")]


def test_an_msk_topic_config_is_checked():
    with pytest.raises(ConfigError) as found:
        parse_config({**BASE_CONFIG, "stream": {"name": "shop cdc", "kind": "kafka", "kafka_bootstrap": "b-1:9094 b-2",
                                                "msk_cluster_arn": "arn:aws:kinesis:x", "kafka_authentication": "mtls",
                                                "retention_hours": 48}})
    text = str(found.value)
    for key in ("stream.name", "stream.kafka_bootstrap", "stream.msk_cluster_arn", "stream.kafka_authentication",
                "stream.retention_hours"):
        assert key in text, text
    with pytest.raises(ConfigError, match="only applies to stream.kind: kafka"):
        parse_config({**BASE_CONFIG, "stream": {"name": "shop_cdc", "msk_cluster_arn": MSK_CLUSTER}})


def test_generate_from_an_msk_config_reads_the_topic_from_msk(tmp_path):
    """generate --config with stream.kind kafka: the staging view reads the topic through FROM MSK with
    the cluster's ARN and the config's authentication (the role `aws apply` made is the var's)."""
    from streamleap.project.scaffold import init_project

    project = tmp_path / "proj"
    init_project(project)
    config = write_config(tmp_path, {"tables": ["shop.cart"]})
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "stream": MSK_STREAM}), encoding="utf-8")
    ddl = tmp_path / "shop.sql"
    ddl.write_text("CREATE TABLE shop.cart (id BIGINT PRIMARY KEY, total DECIMAL(10,2));\n")
    result = CliRunner().invoke(main, ["generate", "--project-dir", str(project), "--config", str(config),
                                       "--ddl", str(ddl), "--dialect", "mysql"])
    assert result.exit_code == 0, result.output
    staging = (project / "models" / "shop_cdc" / "stg_shop_cdc.sql").read_text()
    assert "stream_kind='kafka'" in staging and f"msk_cluster_arn='{MSK_CLUSTER}'" in staging
    assert "kafka_authentication='iam'" in staging and "'kafka')" in staging
