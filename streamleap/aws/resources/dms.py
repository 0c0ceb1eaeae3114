"""DMS: the source and Kinesis target endpoints, the replication instance and the
full-load-and-cdc task, or, for DMS Serverless, a replication config (no instance).

An endpoint, instance, task or config is found by its identifier (``DmsLookup``). The ARN of one
that does not exist yet is known only once apply has created it: the changes that need it carry
``ArnOf`` (the create call's response gives it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from streamleap.aws import documents as docs
from streamleap.aws.clients import AwsError, call
from streamleap.aws.context import Context
from streamleap.aws.plan import ArnOf, CannotApply, Call, Change, FromEnvironment, Step, Wait
from streamleap.aws.resources.base import Difference, OwnedResource
from streamleap.errors import StreamleapError


@dataclass(frozen=True)
class DmsLookup:
    """How one kind of DMS resource is found by its identifier, with its tags."""

    describe: str  # the boto3 method listing them: describe_endpoints
    filter_name: str  # the filter on the identifier: endpoint-id
    list_key: str  # where the response lists them: Endpoints
    id_key: str  # the identifier in an item: EndpointIdentifier
    arn_key: str  # the ARN in an item: EndpointArn

    def find(self, ctx: Context, name: str) -> dict[str, Any] | None:
        client = ctx.clients("dms")
        try:
            found = call(client, self.describe, Filters=[{"Name": self.filter_name, "Values": [name]}])
        except AwsError as exc:
            if exc.code == "ResourceNotFoundFault":
                return None
            raise
        items = [i for i in found.get(self.list_key, []) if i[self.id_key] == name]
        if not items:
            return None
        item = items[0]
        tags = call(client, "list_tags_for_resource", ResourceArn=item[self.arn_key])["TagList"]
        item["TagMap"] = {t["Key"]: t.get("Value", "") for t in tags}
        return item

    def polls(self) -> tuple[str, ...]:
        return (self.describe, "list_tags_for_resource")


ENDPOINTS = DmsLookup("describe_endpoints", "endpoint-id", "Endpoints", "EndpointIdentifier", "EndpointArn")
INSTANCES = DmsLookup("describe_replication_instances", "replication-instance-id", "ReplicationInstances",
                      "ReplicationInstanceIdentifier", "ReplicationInstanceArn")
TASKS = DmsLookup("describe_replication_tasks", "replication-task-id", "ReplicationTasks",
                  "ReplicationTaskIdentifier", "ReplicationTaskArn")
CONFIGS = DmsLookup("describe_replication_configs", "replication-config-id", "ReplicationConfigs",
                    "ReplicationConfigIdentifier", "ReplicationConfigArn")


# --- waits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DmsGone(Wait):
    lookup: DmsLookup
    kind: str
    name: str

    def polls(self) -> tuple[str, ...]:
        return self.lookup.polls()

    @property
    def what(self) -> str:
        return f"{self.kind} {self.name} to be deleted"

    def reached(self, ctx: Context) -> bool:
        return self.lookup.find(ctx, self.name) is None


@dataclass(frozen=True)
class InstanceAvailable(Wait):
    name: str

    def polls(self) -> tuple[str, ...]:
        return INSTANCES.polls()

    @property
    def what(self) -> str:
        return f"DMS replication instance {self.name} to become available"

    def reached(self, ctx: Context) -> bool:
        status = (INSTANCES.find(ctx, self.name) or {}).get("ReplicationInstanceStatus")
        if status in ("failed", "incompatible-network", "storage-full"):
            raise StreamleapError(f"DMS replication instance {self.name} is {status}; see the DMS console")
        return status == "available"

    def run(self, ctx: Context) -> None:
        ctx.say(f"waiting for DMS replication instance {self.name} (usually 5-15 minutes)")
        super().run(ctx)


@dataclass(frozen=True)
class TaskStatus(Wait):
    name: str
    wanted: tuple[str, ...]
    described: str  # "ready", "stopped", ...

    def polls(self) -> tuple[str, ...]:
        return TASKS.polls()

    @property
    def what(self) -> str:
        return f"DMS task {self.name} to be {self.described}"

    def reached(self, ctx: Context) -> bool:
        found = TASKS.find(ctx, self.name) or {}
        status = found.get("Status")
        if status == "failed" and "failed" not in self.wanted:
            raise StreamleapError(f"DMS task {self.name} failed: "
                                  f"{found.get('LastFailureMessage') or found.get('StopReason') or 'see the DMS console'}")
        return status in self.wanted


def _replication(ctx: Context, config_arn: str) -> dict[str, Any] | None:
    """The replication of a DMS Serverless config (its state, statistics), None before the first start."""
    found = call(ctx.clients("dms"), "describe_replications",
                 Filters=[{"Name": "replication-config-arn", "Values": [config_arn]}])
    items = found.get("Replications", [])
    return items[0] if items else None


@dataclass(frozen=True)
class ReplicationStopped(Wait):
    config_arn: str
    name: str

    def polls(self) -> tuple[str, ...]:
        return ("describe_replications",)

    @property
    def what(self) -> str:
        return f"DMS Serverless replication {self.name} to stop"

    def reached(self, ctx: Context) -> bool:
        return (_replication(ctx, self.config_arn) or {}).get("Status") in ("stopped", "failed", None)


# --- resources ----------------------------------------------------------------------------------


class DmsResource(OwnedResource):
    """A DMS resource found by identifier (``lookup``) and tagged as streamleap's."""

    lookup: ClassVar[DmsLookup]

    def __init__(self, ctx: Context, name: str):
        super().__init__(ctx)
        self.name = name
        self.client = ctx.clients("dms")

    def read(self) -> dict[str, Any] | None:
        return self.lookup.find(self.ctx, self.name)

    def tags_of(self, current: dict[str, Any]) -> dict[str, str]:
        return current["TagMap"]

    @property
    def arn(self) -> str:
        if self.current is None:
            self.load()
        if self.current is None:
            raise StreamleapError(f"{self.kind} {self.name} does not exist yet; run `streamleap aws apply`")
        return self.current[self.lookup.arn_key]

    def arn_at_apply(self) -> str | ArnOf:
        """Its ARN when it exists now, else the one the apply gets when it creates it."""
        if not self.loaded:
            self.load()
        return self.current[self.lookup.arn_key] if self.current else self.created_arn()

    def created_arn(self) -> ArnOf:
        return ArnOf(self.kind, self.name)

    def gone(self) -> DmsGone:
        return DmsGone(self.lookup, self.kind, self.name)


def source_settings(ctx: Context, secret_role_arn: str | None) -> dict[str, Any]:
    """The source endpoint's parameters, without identifier, type and password."""
    src = ctx.config.source
    params: dict[str, Any] = {"EngineName": src.dms_engine, "DatabaseName": src.database, "SslMode": src.ssl_mode}
    extra: dict[str, Any] = {}
    if src.secret_arn:
        extra = {"SecretsManagerSecretId": src.secret_arn, "SecretsManagerAccessRoleArn": secret_role_arn}
    else:
        params.update(ServerName=src.host, Port=src.port, Username=src.username)
    if src.is_postgres:
        # heartbeats keep the replication slot advancing when the tables are quiet
        params["PostgreSQLSettings"] = {"HeartbeatEnable": True, "HeartbeatFrequency": 5, **extra}
    elif extra:
        params["MySQLSettings"] = extra
    return params


def target_settings(ctx: Context, dms_role_arn: str | None) -> dict[str, Any]:
    """The target endpoint's parameters (Kinesis, or an MSK topic), without identifier and type."""
    stream = ctx.config.stream
    if stream.kafka:
        return {"EngineName": "kafka", "KafkaSettings": docs.kafka_settings(stream.kafka_bootstrap or "", stream.name)}
    assert dms_role_arn is not None
    return {"EngineName": "kinesis", "KinesisSettings": docs.kinesis_settings(ctx.stream_arn, dms_role_arn)}


class DmsEndpoint(DmsResource):
    lookup = ENDPOINTS

    def __init__(self, ctx: Context, name: str, target: bool, settings: dict[str, Any]):
        super().__init__(ctx, name)
        self.kind = "dms target endpoint" if target else "dms source endpoint"
        self.target = target
        self.settings = settings  # the endpoint parameters, without identifier, type and password

    def describe(self) -> str:
        if self.target:
            return f"kinesis {self.ctx.config.stream.name}, JSON with transaction details and before images"
        src = self.ctx.config.source
        via = "Secrets Manager" if src.secret_arn else f"password from ${src.password_env}"
        return f"{src.engine} {src.host}:{src.port}/{src.database} as {src.username} ({via})"

    def _password(self) -> dict[str, Any]:
        """The source password, read from its environment variable when the endpoint is created."""
        src = self.ctx.config.source
        if self.target or src.secret_arn:
            return {}
        return {"Password": FromEnvironment(src.password_env or "", "source.password_env", "the source password")}

    def create_steps(self) -> list[Step]:
        params = {"EndpointIdentifier": self.name, "EndpointType": "target" if self.target else "source",
                  **self.settings, **self._password(), "Tags": self.ctx.tag_list()}
        return [Call("dms", "create_endpoint", params, retry_while_iam_propagates=True,
                     creates=self.created_arn(), arn_at=("Endpoint", "EndpointArn"))]

    def differences(self, current: dict[str, Any]) -> list[Difference]:
        return [Difference(key) for key, value in self.settings.items()
                if key != "Tags" and docs.subset_differs(value, current.get(key))]

    def update_steps(self, current: dict[str, Any], found: Sequence[Difference]) -> list[Step]:
        params = {"EndpointArn": current[self.lookup.arn_key], **self.settings}
        return [Call("dms", "modify_endpoint", params, retry_while_iam_propagates=True)]

    def delete_steps(self, current: dict[str, Any]) -> list[Step]:
        return [Call("dms", "delete_endpoint", {"EndpointArn": current[self.lookup.arn_key]}), self.gone()]


class ReplicationInstance(DmsResource):
    kind = "dms replication instance"
    lookup = INSTANCES

    def describe(self) -> str:
        d = self.ctx.config.dms
        return f"{d.replication_instance_class}, {d.allocated_storage_gb} GB" + (", Multi-AZ" if d.multi_az else "")

    def create_steps(self) -> list[Step]:
        d = self.ctx.config.dms
        params: dict[str, Any] = {
            "ReplicationInstanceIdentifier": self.name, "ReplicationInstanceClass": d.replication_instance_class,
            "AllocatedStorage": d.allocated_storage_gb, "MultiAZ": d.multi_az,
            "PubliclyAccessible": d.publicly_accessible, "Tags": self.ctx.tag_list(),
        }
        if d.subnet_group:
            params["ReplicationSubnetGroupIdentifier"] = d.subnet_group
        if d.security_group_ids:
            params["VpcSecurityGroupIds"] = list(d.security_group_ids)
        if d.engine_version:
            params["EngineVersion"] = d.engine_version
        return [Call("dms", "create_replication_instance", params, retry_while_iam_propagates=True,
                     creates=self.created_arn(), arn_at=("ReplicationInstance", "ReplicationInstanceArn")),
                InstanceAvailable(self.name)]

    def differences(self, current: dict[str, Any]) -> list[Difference]:
        d, c = self.ctx.config.dms, current
        found = []
        if c.get("ReplicationInstanceClass") != d.replication_instance_class:
            found.append(Difference(f"class {c.get('ReplicationInstanceClass')} -> {d.replication_instance_class}"))
        if c.get("AllocatedStorage") != d.allocated_storage_gb:
            found.append(Difference(f"storage {c.get('AllocatedStorage')} -> {d.allocated_storage_gb} GB"))
        if bool(c.get("MultiAZ")) != d.multi_az:
            found.append(Difference(f"multi-AZ -> {d.multi_az}"))
        return found

    def update_steps(self, current: dict[str, Any], found: Sequence[Difference]) -> list[Step]:
        d = self.ctx.config.dms
        return [Call("dms", "modify_replication_instance", {
                    "ReplicationInstanceArn": current[self.lookup.arn_key], "ApplyImmediately": True,
                    "ReplicationInstanceClass": d.replication_instance_class,
                    "AllocatedStorage": d.allocated_storage_gb, "MultiAZ": d.multi_az}),
                InstanceAvailable(self.name)]

    def delete_steps(self, current: dict[str, Any]) -> list[Step]:
        return [Call("dms", "delete_replication_instance", {"ReplicationInstanceArn": current[self.lookup.arn_key]}),
                self.gone()]

    def status(self) -> dict[str, Any]:
        c = self.load()
        if c is None:
            return {"name": self.name, "status": "missing"}
        return {"name": self.name, "status": c.get("ReplicationInstanceStatus"),
                "class": c.get("ReplicationInstanceClass")}


_TASK_RUNNING = ("running", "starting")
_TASK_STARTABLE = {"ready": "start-replication", "stopped": "resume-processing", "failed": "resume-processing"}


class ReplicationTask(DmsResource):
    kind = "dms replication task"
    lookup = TASKS

    def __init__(self, ctx: Context, name: str, source: DmsEndpoint, target: DmsEndpoint,
                 instance: ReplicationInstance):
        super().__init__(ctx, name)
        self.source, self.target, self.instance = source, target, instance

    def describe(self) -> str:
        return f"full-load-and-cdc of {len(self.ctx.config.tables)} tables, before images, partitioned by primary key"

    def _mappings(self) -> str:
        return docs.dumps(docs.table_mappings(self.ctx.config))

    def _settings(self) -> dict[str, Any]:
        return docs.task_settings(self.ctx.config)

    def create_steps(self) -> list[Step]:
        return [Call("dms", "create_replication_task", {
                    "ReplicationTaskIdentifier": self.name, "SourceEndpointArn": self.source.arn_at_apply(),
                    "TargetEndpointArn": self.target.arn_at_apply(),
                    "ReplicationInstanceArn": self.instance.arn_at_apply(), "MigrationType": "full-load-and-cdc",
                    "TableMappings": self._mappings(), "ReplicationTaskSettings": docs.dumps(self._settings()),
                    "Tags": self.ctx.tag_list()},
                     creates=self.created_arn(), arn_at=("ReplicationTask", "ReplicationTaskArn")),
                TaskStatus(self.name, ("ready",), "ready")]

    def differences(self, current: dict[str, Any]) -> list[Difference]:
        c = current
        found = []
        if c.get("MigrationType") != "full-load-and-cdc":
            found.append(Difference(f"migration type {c.get('MigrationType')} -> full-load-and-cdc"))
        if json.loads(c.get("TableMappings") or "{}") != json.loads(self._mappings()):
            found.append(Difference("table mappings"))
        if docs.subset_differs(self._settings(), json.loads(c.get("ReplicationTaskSettings") or "{}")):
            found.append(Difference("task settings"))
        return found

    def _stop(self, arn: str) -> list[Step]:
        return [Call("dms", "stop_replication_task", {"ReplicationTaskArn": arn}),
                TaskStatus(self.name, ("stopped", "failed"), "stopped")]

    def update_steps(self, current: dict[str, Any], found: Sequence[Difference]) -> list[Step]:
        """A running task is stopped, modified, then (the start change) resumed."""
        arn = current[self.lookup.arn_key]
        return [*(self._stop(arn) if current.get("Status") in _TASK_RUNNING else []),
                Call("dms", "modify_replication_task", {
                    "ReplicationTaskArn": arn, "MigrationType": "full-load-and-cdc", "TableMappings": self._mappings(),
                    "ReplicationTaskSettings": docs.dumps(self._settings())}),
                TaskStatus(self.name, ("ready", "stopped"), "ready after the change")]

    def plan(self) -> list[Change]:
        """Create, update or nothing, then a start unless the task is running."""
        changes = super().plan()
        action = changes[0].action
        current = self.current or {}
        status = current.get("Status")
        if action == "none" and status in _TASK_RUNNING:
            return changes
        if action == "create":
            return [*changes, self.change("start", "start (or resume) replication",
                                          self._start(self.created_arn(), "start-replication"))]
        arn = current[self.lookup.arn_key]
        if action == "update":
            # the update leaves the task ready, or stopped when it was running (or stopped, or failed)
            left = "stopped" if status in _TASK_RUNNING else status
            start_type = self._start_type(_TASK_STARTABLE.get(str(left), "start-replication"), current)
            return [*changes, self.change("start", "start (or resume) replication", self._start(arn, start_type))]
        startable = _TASK_STARTABLE.get(str(status))
        if startable is None:
            steps: list[Step] = [CannotApply(f"DMS task {self.name} is {status} and cannot be started now; "
                                             "run apply again later")]
        else:
            steps = self._start(arn, self._start_type(startable, current))
        return [self.change("start", f"task is {status}", steps)]

    @staticmethod
    def _start_type(start_type: str, current: dict[str, Any]) -> str:
        """A task that ran before resumes where it stopped."""
        if start_type == "start-replication" and current.get("ReplicationTaskStartDate"):
            return "resume-processing"
        return start_type

    def _start(self, arn: str | ArnOf, start_type: str) -> list[Step]:
        return [Call("dms", "start_replication_task", {"ReplicationTaskArn": arn, "StartReplicationTaskType": start_type}),
                TaskStatus(self.name, _TASK_RUNNING, "running")]

    def delete_steps(self, current: dict[str, Any]) -> list[Step]:
        arn = current[self.lookup.arn_key]
        return [*(self._stop(arn) if current.get("Status") in _TASK_RUNNING else []),
                Call("dms", "delete_replication_task", {"ReplicationTaskArn": arn}), self.gone()]

    def status(self) -> dict[str, Any]:
        c = self.load()
        if c is None:
            return {"name": self.name, "status": "missing"}
        stats = c.get("ReplicationTaskStats") or {}
        return {"name": self.name, "status": c.get("Status"), "stop_reason": c.get("StopReason"),
                "last_error": c.get("LastFailureMessage"),
                "full_load_percent": stats.get("FullLoadProgressPercent"),
                "tables_loaded": stats.get("TablesLoaded"), "tables_errored": stats.get("TablesErrored")}

    def table_statistics(self) -> list[dict[str, Any]]:
        if self.current is None:
            return []
        found = call(self.client, "describe_table_statistics", ReplicationTaskArn=self.current[self.lookup.arn_key])
        return [_table_stat(t) for t in found.get("TableStatistics", [])]


def _table_stat(t: dict[str, Any]) -> dict[str, Any]:
    last = t.get("LastUpdateTime")
    return {"table": f"{t.get('SchemaName')}.{t.get('TableName')}", "state": t.get("TableState"),
            "full_load_rows": t.get("FullLoadRows"), "inserts": t.get("Inserts"), "updates": t.get("Updates"),
            "deletes": t.get("Deletes"), "ddls": t.get("Ddls"),
            "last_update": last.isoformat() if isinstance(last, dt.date) else last}


_SERVERLESS_ACTIVE = ("running", "starting", "provisioning", "stopping", "deprovisioning")
_SERVERLESS_STOPPABLE = ("running", "starting", "provisioning")


class ServerlessReplication(DmsResource):
    """DMS Serverless: a replication config (capacity, endpoints, mappings) that is started.

    Its plan also reads the replication (the config's state: running, stopped, ...) of a config
    that exists, to know whether an update must stop it first and how to start it after."""

    kind = "dms serverless replication"
    lookup = CONFIGS

    def __init__(self, ctx: Context, name: str, source: DmsEndpoint, target: DmsEndpoint):
        super().__init__(ctx, name)
        self.source, self.target = source, target

    def _compute(self) -> dict[str, Any]:
        d = self.ctx.config.dms
        compute: dict[str, Any] = {"MaxCapacityUnits": d.serverless_max_capacity_units, "MultiAZ": d.multi_az}
        if d.serverless_min_capacity_units:
            compute["MinCapacityUnits"] = d.serverless_min_capacity_units
        if d.subnet_group:
            compute["ReplicationSubnetGroupId"] = d.subnet_group
        if d.security_group_ids:
            compute["VpcSecurityGroupIds"] = sorted(d.security_group_ids)
        return compute

    def describe(self) -> str:
        return (f"full-load-and-cdc, up to {self.ctx.config.dms.serverless_max_capacity_units} DCU, "
                f"{len(self.ctx.config.tables)} tables")

    def create_steps(self) -> list[Step]:
        return [Call("dms", "create_replication_config", {
                    "ReplicationConfigIdentifier": self.name, "SourceEndpointArn": self.source.arn_at_apply(),
                    "TargetEndpointArn": self.target.arn_at_apply(), "ComputeConfig": self._compute(),
                    "ReplicationType": "full-load-and-cdc",
                    "TableMappings": docs.dumps(docs.table_mappings(self.ctx.config)),
                    "ReplicationSettings": docs.dumps(docs.task_settings(self.ctx.config)),
                    "Tags": self.ctx.tag_list()},
                     retry_while_iam_propagates=True, creates=self.created_arn(),
                     arn_at=("ReplicationConfig", "ReplicationConfigArn"))]

    def differences(self, current: dict[str, Any]) -> list[Difference]:
        c = current
        found = []
        have = dict(c.get("ComputeConfig", {}))
        if "VpcSecurityGroupIds" in have:
            have["VpcSecurityGroupIds"] = sorted(have["VpcSecurityGroupIds"])
        if docs.subset_differs(self._compute(), have):
            found.append(Difference("capacity"))
        if json.loads(c.get("TableMappings") or "{}") != docs.table_mappings(self.ctx.config):
            found.append(Difference("table mappings"))
        if docs.subset_differs(docs.task_settings(self.ctx.config), json.loads(c.get("ReplicationSettings") or "{}")):
            found.append(Difference("replication settings"))
        return found

    def _stop(self, arn: str, replication: dict[str, Any]) -> list[Step]:
        if replication.get("Status") not in _SERVERLESS_STOPPABLE:
            return []
        return [Call("dms", "stop_replication", {"ReplicationConfigArn": arn}), ReplicationStopped(arn, self.name)]

    def plan(self) -> list[Change]:
        current = self.load()
        if current is None:
            return [self.change("create", self.describe(), self.create_steps()),
                    self.change("start", "start (or resume) replication", self._start(self.created_arn(), {}))]
        self.check_ours(current)
        found = self.differences(current)
        arn = current[self.lookup.arn_key]
        replication = _replication(self.ctx, arn) or {}
        if found:
            update = self.change("update", "; ".join(d.text for d in found), [
                *self._stop(arn, replication),
                Call("dms", "modify_replication_config", {
                    "ReplicationConfigArn": arn, "ComputeConfig": self._compute(), "ReplicationType": "full-load-and-cdc",
                    "TableMappings": docs.dumps(docs.table_mappings(self.ctx.config)),
                    "ReplicationSettings": docs.dumps(docs.task_settings(self.ctx.config))})])
            if replication.get("Status") in _SERVERLESS_STOPPABLE:
                replication = {**replication, "Status": "stopped"}  # what the update leaves
            elif replication.get("Status") in _SERVERLESS_ACTIVE:
                return [update]  # stopping on its own: left to finish (apply again starts it)
            return [update, self.change("start", "start (or resume) replication", self._start(arn, replication))]
        if replication.get("Status") in _SERVERLESS_ACTIVE:
            return [self.change("none", "up to date")]
        return [self.change("start", f"replication is {replication.get('Status', 'not started')}",
                            self._start(arn, replication))]

    def _start(self, arn: str | ArnOf, replication: dict[str, Any]) -> list[Step]:
        status = replication.get("Status")
        if status not in (None, "created", "stopped", "failed"):
            return [CannotApply(f"DMS Serverless replication {self.name} is {status} and cannot be started now; "
                                "run apply again later")]
        resumed = status in ("stopped", "failed") or replication.get("ReplicationLastStopTime") \
            or replication.get("RecoveryCheckpoint")
        start_type = "resume-processing" if resumed else "start-replication"
        return [Call("dms", "start_replication", {"ReplicationConfigArn": arn, "StartReplicationType": start_type},
                     retry_while_iam_propagates=True)]

    def delete_steps(self, current: dict[str, Any]) -> list[Step]:
        arn = current[self.lookup.arn_key]
        return [*self._stop(arn, _replication(self.ctx, arn) or {}),
                Call("dms", "delete_replication_config", {"ReplicationConfigArn": arn}), self.gone()]

    def status(self) -> dict[str, Any]:
        c = self.load()
        if c is None:
            return {"name": self.name, "status": "missing"}
        replication = _replication(self.ctx, c[self.lookup.arn_key]) or {}
        stats = replication.get("ReplicationStats") or {}
        return {"name": self.name, "status": replication.get("Status", "not started"),
                "stop_reason": replication.get("StopReason"), "last_error": replication.get("FailureMessages"),
                "full_load_percent": stats.get("FullLoadProgressPercent"), "tables_loaded": stats.get("TablesLoaded"),
                "tables_errored": stats.get("TablesErrored")}

    def table_statistics(self) -> list[dict[str, Any]]:
        if self.current is None:
            return []
        found = call(self.client, "describe_replication_table_statistics", ReplicationConfigArn=self.arn)
        return [_table_stat(t) for t in found.get("ReplicationTableStatistics", [])]
