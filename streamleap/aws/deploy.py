"""Plan, apply, inspect and tear down the AWS side of one stream, from ``streamleap.yml``.

Resources, in the order apply creates them (destroy goes backwards):

1. the Kinesis stream;
2. IAM roles: DMS -> Kinesis (write), Redshift -> Kinesis (read), DMS -> Secrets Manager when
   the password is a secret, and the account-wide ``dms-vpc-role`` when the account lacks it;
3. the Redshift role association (Serverless namespace of the workgroup, or the cluster);
4. DMS source and Kinesis target endpoints;
5. a replication instance (or nothing for DMS Serverless);
6. the full-load-and-cdc task (or Serverless replication config), started.

Every resource streamleap creates carries the tag ``streamleap:managed-by=streamleap`` and
``streamleap:stream=<name>``; a resource with streamleap's name but without the tag is never
changed or deleted (plan stops with one line saying so). Each resource is read, compared with
what the config asks for, and then left alone, created or updated, so a second apply does
nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from streamleap.aws import documents as docs
from streamleap.aws.clients import AwsError, Clients, call, wait_for
from streamleap.aws.config import AwsConfig
from streamleap.errors import StreamleapError

MANAGED_TAG = "streamleap:managed-by"
MANAGED_VALUE = "streamleap"
STREAM_TAG = "streamleap:stream"


@dataclass
class Action:
    kind: str
    name: str
    action: str  # create | update | start | none | delete | associate | disassociate
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Context:
    config: AwsConfig
    clients: Clients
    account: str
    region: str
    say: Callable[[str], None] = field(default=lambda _text: None)
    _kms_arns: dict[str, str] = field(default_factory=dict)

    @property
    def stream_arn(self) -> str:
        return docs.stream_arn(self.region, self.account, self.config.stream.name)

    @property
    def kms_key_arn(self) -> str | None:
        """The ARN of the stream's key itself: an alias ARN in a policy's Resource would grant
        nothing on the key (KMS authorizes GenerateDataKey/Decrypt against the key ARN)."""
        key = self.config.stream.kms_key
        if not key:
            return None
        if key not in self._kms_arns:
            if re.match(r"^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key/", key):
                self._kms_arns[key] = key
            else:
                found = call(self.clients("kms"), "describe_key", KeyId=key)["KeyMetadata"]["Arn"]
                self._kms_arns[key] = found
        return self._kms_arns[key]

    def role_arn(self, name: str) -> str:
        return f"arn:{docs.partition(self.region)}:iam::{self.account}:role/{name}"

    def tags(self) -> dict[str, str]:
        return {**self.config.tags, MANAGED_TAG: MANAGED_VALUE, STREAM_TAG: self.config.stream.name}

    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.tags().items()]


def connect(config: AwsConfig, region: str | None, profile: str | None, endpoint_url: str | None,
            say: Callable[[str], None] = lambda _text: None) -> Context:
    clients = make_clients(region or config.region, profile, endpoint_url)
    identity = call(clients("sts"), "get_caller_identity")
    return Context(config, clients, identity["Account"], clients.region, say)


def make_clients(region: str | None, profile: str | None, endpoint_url: str | None) -> Clients:
    """The clients the commands use (tests replace this to add stubs for what moto lacks)."""
    return Clients(region, profile, endpoint_url)


# --- names ------------------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return text[: limit - 9].rstrip("-") + "-" + digest


def dms_id(stream: str, suffix: str) -> str:
    """A DMS identifier: starts with a letter, ASCII letters, digits and single hyphens, <= 63."""
    base = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9]", "-", f"streamleap-{stream}-{suffix}")).strip("-")
    return _short(base, 63).rstrip("-")


def role_name(stream: str, suffix: str) -> str:
    base = re.sub(r"[^\w+=,.@-]", "-", f"streamleap-{stream}-{suffix}")
    return _short(base, 64)


def _has_tag(tags: dict[str, str]) -> bool:
    return tags.get(MANAGED_TAG) == MANAGED_VALUE


def _not_ours(kind: str, name: str) -> StreamleapError:
    return StreamleapError(
        f"{kind} {name} exists but was not created by streamleap (no {MANAGED_TAG} tag); "
        "streamleap will not change it: choose another stream.name, or delete or tag it yourself"
    )


# --- resources --------------------------------------------------------------------------------


class Resource:
    kind = ""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.current: dict[str, Any] | None = None
        self.loaded = False

    name = ""

    def read(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def load(self) -> dict[str, Any] | None:
        self.current = self.read()
        self.loaded = True
        return self.current

    def ours(self) -> bool:
        return True

    def differences(self) -> list[str]:
        return []

    def plan(self) -> list[Action]:
        current = self.load()
        if current is None:
            return [Action(self.kind, self.name, "create", self.describe())]
        if not self.ours():
            raise _not_ours(self.kind, self.name)
        diffs = self.differences()
        if diffs:
            return [Action(self.kind, self.name, "update", "; ".join(diffs))]
        return [Action(self.kind, self.name, "none", "up to date")]

    def describe(self) -> str:
        return ""

    def apply(self, action: Action) -> None:
        if action.action == "create":
            self.create()
        elif action.action == "update":
            self.update()

    def create(self) -> None:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError

    def destroy_plan(self) -> list[Action]:
        current = self.load()
        if current is None:
            return []
        if not self.ours():
            return [Action(self.kind, self.name, "skip", f"not created by streamleap (no {MANAGED_TAG} tag)")]
        return [Action(self.kind, self.name, "delete", "")]

    def delete(self) -> None:
        raise NotImplementedError


class KinesisStream(Resource):
    kind = "kinesis stream"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.name = ctx.config.stream.name
        self.client = ctx.clients("kinesis")

    def read(self) -> dict[str, Any] | None:
        try:
            summary = call(self.client, "describe_stream_summary", StreamName=self.name)["StreamDescriptionSummary"]
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return None
            raise
        tags: dict[str, str] = {}
        params: dict[str, Any] = {"StreamName": self.name, "Limit": 50}
        while True:
            page = call(self.client, "list_tags_for_stream", **params)
            tags.update({t["Key"]: t.get("Value", "") for t in page["Tags"]})
            if not page.get("HasMoreTags") or not page["Tags"]:
                break
            params["ExclusiveStartTagKey"] = page["Tags"][-1]["Key"]
        summary["Tags"] = tags
        return summary

    def ours(self) -> bool:
        return _has_tag(self.current["Tags"])

    def _mode(self) -> str:
        return "PROVISIONED" if self.ctx.config.stream.mode == "provisioned" else "ON_DEMAND"

    def describe(self) -> str:
        s = self.ctx.config.stream
        size = f"{s.shards} shards" if s.mode == "provisioned" else "on-demand"
        return f"{size}, {s.retention_hours} h retention" + (", KMS encrypted" if s.kms_key else "")

    def differences(self) -> list[str]:
        c, s = self.current, self.ctx.config.stream
        diffs = []
        mode = c.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
        if mode != self._mode():
            diffs.append(f"mode {mode} -> {self._mode()}")
        if s.mode == "provisioned" and c.get("OpenShardCount") != s.shards:
            diffs.append(f"shards {c.get('OpenShardCount')} -> {s.shards}")
        if c.get("RetentionPeriodHours") != s.retention_hours:
            diffs.append(f"retention {c.get('RetentionPeriodHours')} h -> {s.retention_hours} h")
        encrypted = c.get("EncryptionType", "NONE") == "KMS"
        if bool(s.kms_key) != encrypted or (s.kms_key and c.get("KeyId") not in (s.kms_key, self.ctx.kms_key_arn)):
            diffs.append("encryption " + (f"-> KMS {s.kms_key}" if s.kms_key else "KMS -> none"))
        missing = {k: v for k, v in self.ctx.tags().items() if c["Tags"].get(k) != v}
        if missing:
            diffs.append("tags " + ", ".join(sorted(missing)))
        return diffs

    def _wait_active(self) -> None:
        def active() -> bool:
            summary = call(self.client, "describe_stream_summary", StreamName=self.name)["StreamDescriptionSummary"]
            return summary["StreamStatus"] == "ACTIVE"
        wait_for(f"Kinesis stream {self.name} to become ACTIVE", active)

    def create(self) -> None:
        s = self.ctx.config.stream
        # tagged as it is made: an interrupted apply never leaves an untagged stream behind
        params: dict[str, Any] = {"StreamName": self.name, "StreamModeDetails": {"StreamMode": self._mode()},
                                  "Tags": self.ctx.tags()}
        if s.mode == "provisioned":
            params["ShardCount"] = s.shards
        call(self.client, "create_stream", **params)
        self._wait_active()
        self.current = self.read()
        self.update()

    def update(self) -> None:
        s = self.ctx.config.stream
        c = self.current or self.read()
        arn = c.get("StreamARN", self.ctx.stream_arn)
        if c.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED") != self._mode():
            call(self.client, "update_stream_mode", StreamARN=arn, StreamModeDetails={"StreamMode": self._mode()})
            self._wait_active()
        if s.mode == "provisioned" and c.get("OpenShardCount") != s.shards:
            call(self.client, "update_shard_count", StreamName=self.name, TargetShardCount=s.shards,
                 ScalingType="UNIFORM_SCALING")
            self._wait_active()
        hours = c.get("RetentionPeriodHours", 24)
        if hours < s.retention_hours:
            call(self.client, "increase_stream_retention_period", StreamName=self.name,
                 RetentionPeriodHours=s.retention_hours)
            self._wait_active()
        elif hours > s.retention_hours:
            call(self.client, "decrease_stream_retention_period", StreamName=self.name,
                 RetentionPeriodHours=s.retention_hours)
            self._wait_active()
        encrypted = c.get("EncryptionType", "NONE") == "KMS"
        if s.kms_key and (not encrypted or c.get("KeyId") not in (s.kms_key, self.ctx.kms_key_arn)):
            call(self.client, "start_stream_encryption", StreamName=self.name, EncryptionType="KMS", KeyId=s.kms_key)
            self._wait_active()
        elif not s.kms_key and encrypted:
            call(self.client, "stop_stream_encryption", StreamName=self.name, EncryptionType="KMS",
                 KeyId=c.get("KeyId"))
            self._wait_active()
        missing = {k: v for k, v in self.ctx.tags().items() if c.get("Tags", {}).get(k) != v}
        if missing:
            call(self.client, "add_tags_to_stream", StreamName=self.name, Tags=missing)

    def delete(self) -> None:
        call(self.client, "delete_stream", StreamName=self.name)

        def gone() -> bool:
            try:
                call(self.client, "describe_stream_summary", StreamName=self.name)
            except AwsError as exc:
                if exc.code == "ResourceNotFoundException":
                    return True
                raise
            return False
        wait_for(f"Kinesis stream {self.name} to be deleted", gone)

    def status(self) -> dict[str, Any]:
        c = self.load()
        if c is None:
            return {"name": self.name, "status": "missing"}
        return {"name": self.name, "arn": c.get("StreamARN"), "status": c.get("StreamStatus"),
                "mode": c.get("StreamModeDetails", {}).get("StreamMode"), "open_shards": c.get("OpenShardCount"),
                "retention_hours": c.get("RetentionPeriodHours"), "encryption": c.get("EncryptionType", "NONE")}


class IamRole(Resource):
    kind = "iam role"

    def __init__(self, ctx: Context, name: str, purpose: str, trust: dict[str, Any],
                 policy_name: str | None = None, policy: dict[str, Any] | None = None,
                 managed_policy: str | None = None):
        super().__init__(ctx)
        self.name, self.purpose, self.trust = name, purpose, trust
        self.policy_name, self.policy, self.managed_policy = policy_name, policy, managed_policy
        self.client = ctx.clients("iam")

    @property
    def arn(self) -> str:
        return self.ctx.role_arn(self.name)

    def read(self) -> dict[str, Any] | None:
        try:
            role = call(self.client, "get_role", RoleName=self.name)["Role"]
        except AwsError as exc:
            if exc.code == "NoSuchEntity":
                return None
            raise
        tags = call(self.client, "list_role_tags", RoleName=self.name)["Tags"]
        role["TagMap"] = {t["Key"]: t["Value"] for t in tags}
        role["InlinePolicy"] = None
        if self.policy_name:
            try:
                role["InlinePolicy"] = call(self.client, "get_role_policy", RoleName=self.name,
                                            PolicyName=self.policy_name)["PolicyDocument"]
            except AwsError as exc:
                if exc.code != "NoSuchEntity":
                    raise
        if self.managed_policy:
            attached = call(self.client, "list_attached_role_policies", RoleName=self.name)["AttachedPolicies"]
            role["Managed"] = [p["PolicyArn"] for p in attached]
        return role

    def ours(self) -> bool:
        return _has_tag(self.current["TagMap"])

    def describe(self) -> str:
        return self.purpose

    @staticmethod
    def _doc(value: Any) -> Any:
        if isinstance(value, str):
            from urllib.parse import unquote

            value = json.loads(unquote(value))
        return json.loads(docs.dumps(value))

    def differences(self) -> list[str]:
        c = self.current
        diffs = []
        if self._doc(c["AssumeRolePolicyDocument"]) != self._doc(self.trust):
            diffs.append("trust policy")
        if self.policy_name and (c["InlinePolicy"] is None or self._doc(c["InlinePolicy"]) != self._doc(self.policy)):
            diffs.append(f"policy {self.policy_name}")
        if self.managed_policy and self.managed_policy not in c.get("Managed", []):
            diffs.append(f"attach {self.managed_policy}")
        return diffs

    def create(self) -> None:
        call(self.client, "create_role", RoleName=self.name, AssumeRolePolicyDocument=docs.dumps(self.trust),
             Description=f"streamleap: {self.purpose}"[:1000], Tags=self.ctx.tag_list())
        self.current = self.read()
        self.update()

    def update(self) -> None:
        c = self.current or self.read()
        if self._doc(c["AssumeRolePolicyDocument"]) != self._doc(self.trust):
            call(self.client, "update_assume_role_policy", RoleName=self.name, PolicyDocument=docs.dumps(self.trust))
        if self.policy_name and (c["InlinePolicy"] is None or self._doc(c["InlinePolicy"]) != self._doc(self.policy)):
            call(self.client, "put_role_policy", RoleName=self.name, PolicyName=self.policy_name,
                 PolicyDocument=docs.dumps(self.policy))
        if self.managed_policy and self.managed_policy not in c.get("Managed", []):
            call(self.client, "attach_role_policy", RoleName=self.name, PolicyArn=self.managed_policy)

    def delete(self) -> None:
        for name in call(self.client, "list_role_policies", RoleName=self.name)["PolicyNames"]:
            call(self.client, "delete_role_policy", RoleName=self.name, PolicyName=name)
        for policy in call(self.client, "list_attached_role_policies", RoleName=self.name)["AttachedPolicies"]:
            call(self.client, "detach_role_policy", RoleName=self.name, PolicyArn=policy["PolicyArn"])
        call(self.client, "delete_role", RoleName=self.name)


class DmsVpcRole(IamRole):
    """DMS needs the account-wide ``dms-vpc-role`` to place a replication instance in a VPC. It is
    created (tagged) only when missing; one that exists is used as it is, never changed."""

    def plan(self) -> list[Action]:
        if self.load() is None:
            return [Action(self.kind, self.name, "create", "account-wide role DMS needs for its VPC (was missing)")]
        return [Action(self.kind, self.name, "none", "exists")]

    def destroy_plan(self) -> list[Action]:
        # shared by every DMS task of the account: left in place even when streamleap made it
        return []


_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[^,)\s]+")


class RedshiftAssociation(Resource):
    """The Redshift-reads-Kinesis role associated with the workgroup's namespace or the cluster."""

    kind = "redshift role association"

    def __init__(self, ctx: Context, role: IamRole):
        super().__init__(ctx)
        rs = ctx.config.redshift
        self.role = role
        self.serverless = bool(rs.workgroup)
        self.name = f"workgroup {rs.workgroup}" if self.serverless else f"cluster {rs.cluster_identifier}"
        self.client = ctx.clients("redshift-serverless" if self.serverless else "redshift")
        self.namespace: str | None = None

    def read(self) -> dict[str, Any] | None:
        rs = self.ctx.config.redshift
        if self.serverless:
            try:
                workgroup = call(self.client, "get_workgroup", workgroupName=rs.workgroup)["workgroup"]
            except AwsError as exc:
                if exc.code == "ResourceNotFoundException":
                    raise StreamleapError(f"redshift.workgroup: no Redshift Serverless workgroup named {rs.workgroup} "
                                          f"in {self.ctx.region}; create it first or fix the name") from None
                raise
            self.namespace = workgroup["namespaceName"]
            namespace = call(self.client, "get_namespace", namespaceName=self.namespace)["namespace"]
            roles = [m.group(0) for r in namespace.get("iamRoles", []) for m in [_ROLE_ARN.search(r)] if m]
            return {"roles": roles, "status": namespace.get("status"), "default": namespace.get("defaultIamRoleArn")}
        try:
            cluster = call(self.client, "describe_clusters", ClusterIdentifier=rs.cluster_identifier)["Clusters"][0]
        except AwsError as exc:
            if exc.code == "ClusterNotFound":
                raise StreamleapError(f"redshift.cluster_identifier: no Redshift cluster named {rs.cluster_identifier} "
                                      f"in {self.ctx.region}; create it first or fix the name") from None
            raise
        # a role being removed no longer counts; one being added does (apply waits until it is in-sync)
        roles = [r["IamRoleArn"] for r in cluster.get("IamRoles", []) if r.get("ApplyStatus") != "removing"]
        return {"roles": roles, "status": cluster.get("ClusterStatus")}

    def plan(self) -> list[Action]:
        current = self.load()
        if self.role.arn in current["roles"]:
            return [Action(self.kind, self.name, "none", "role associated")]
        return [Action(self.kind, self.name, "associate", f"add {self.role.name} to the "
                       + ("namespace " + str(self.namespace) if self.serverless else "cluster"))]

    def apply(self, action: Action) -> None:
        if action.action == "associate":
            self._set(add=True)

    def _set(self, add: bool) -> None:
        current = self.read()
        arn = self.role.arn
        if self.serverless:
            roles = [r for r in current["roles"] if r != arn] + ([arn] if add else [])
            # UpdateNamespace takes iamRoles together with defaultIamRoleArn: keep the namespace's
            # default; when it has none, ours becomes it; when ours was it, the next role does
            default = current.get("default")
            if not default or (default == arn and not add):
                default = arn if add else (roles[0] if roles else None)
            params: dict[str, Any] = {"namespaceName": self.namespace, "iamRoles": roles}
            if default:
                params["defaultIamRoleArn"] = default
            call(self.client, "update_namespace", **params)

            def available() -> bool:
                return call(self.client, "get_namespace", namespaceName=self.namespace)["namespace"]["status"] == "AVAILABLE"
        else:
            cluster_id = self.ctx.config.redshift.cluster_identifier
            key = "AddIamRoles" if add else "RemoveIamRoles"
            call(self.client, "modify_cluster_iam_roles", ClusterIdentifier=cluster_id, **{key: [arn]})

            def available() -> bool:
                found = call(self.client, "describe_clusters", ClusterIdentifier=cluster_id)["Clusters"][0]
                ours = [r.get("ApplyStatus") for r in found.get("IamRoles", []) if r.get("IamRoleArn") == arn]
                settled = (ours in ([], ["in-sync"])) if add else not ours
                return found.get("ClusterStatus") == "available" and (settled or not found.get("IamRoles"))
        wait_for(f"Redshift {self.name} to apply the role change", available)

    def destroy_plan(self) -> list[Action]:
        role = self.role.load()
        if role is None or not self.role.ours():
            return []  # a role streamleap did not make is not streamleap's to disassociate
        try:
            current = self.load()
        except StreamleapError:
            return []  # the workgroup or cluster is gone: nothing to disassociate
        if self.role.arn in current["roles"]:
            return [Action(self.kind, self.name, "disassociate", f"remove {self.role.name}")]
        return []

    def delete(self) -> None:
        self._set(add=False)


class DmsResource(Resource):
    """Common reading and tag checks of DMS resources found by identifier."""

    describe_op = ""
    list_key = ""
    filter_name = ""
    arn_key = ""

    def __init__(self, ctx: Context, name: str):
        super().__init__(ctx)
        self.name = name
        self.client = ctx.clients("dms")

    def read(self) -> dict[str, Any] | None:
        try:
            found = call(self.client, self.describe_op, Filters=[{"Name": self.filter_name, "Values": [self.name]}])
        except AwsError as exc:
            if exc.code == "ResourceNotFoundFault":
                return None
            raise
        items = [i for i in found.get(self.list_key, []) if self._identifier(i) == self.name]
        if not items:
            return None
        item = items[0]
        tags = call(self.client, "list_tags_for_resource", ResourceArn=item[self.arn_key])["TagList"]
        item["TagMap"] = {t["Key"]: t.get("Value", "") for t in tags}
        return item

    def _identifier(self, item: dict[str, Any]) -> str:
        raise NotImplementedError

    def ours(self) -> bool:
        return _has_tag(self.current["TagMap"])

    @property
    def arn(self) -> str:
        if self.current is None:
            self.load()
        if self.current is None:
            raise StreamleapError(f"{self.kind} {self.name} does not exist yet; run `streamleap aws apply`")
        return self.current[self.arn_key]

    def _wait_gone(self) -> None:
        wait_for(f"{self.kind} {self.name} to be deleted", lambda: self.read() is None)


class DmsEndpoint(DmsResource):
    describe_op, list_key, filter_name, arn_key = "describe_endpoints", "Endpoints", "endpoint-id", "EndpointArn"

    def __init__(self, ctx: Context, name: str, target: bool, settings: Callable[[], dict[str, Any]]):
        super().__init__(ctx, name)
        self.kind = "dms target endpoint" if target else "dms source endpoint"
        self.target = target
        self.settings = settings  # the endpoint parameters, without identifier, type and password

    def _identifier(self, item: dict[str, Any]) -> str:
        return item["EndpointIdentifier"]

    def describe(self) -> str:
        if self.target:
            return f"kinesis {self.ctx.config.stream.name}, JSON with transaction details and before images"
        src = self.ctx.config.source
        via = "Secrets Manager" if src.secret_arn else f"password from ${src.password_env}"
        return f"{src.engine} {src.host}:{src.port}/{src.database} as {src.username} ({via})"

    def differences(self) -> list[str]:
        wanted, have = self.settings(), self.current
        diffs = []
        for key, value in wanted.items():
            if key == "Tags":
                continue
            if docs.subset_differs(value, have.get(key)):
                diffs.append(key)
        return diffs

    def check_password(self) -> None:
        self._password_params()

    def _password_params(self) -> dict[str, Any]:
        src = self.ctx.config.source
        if self.target or src.secret_arn:
            return {}
        password = os.environ.get(src.password_env or "")
        if not password:
            raise StreamleapError(f"source.password_env: the environment variable {src.password_env} is not set; "
                                  "export the source password in it and run apply again")
        return {"Password": password}

    def create(self) -> None:
        params = {"EndpointIdentifier": self.name, "EndpointType": "target" if self.target else "source",
                  **self.settings(), **self._password_params(), "Tags": self.ctx.tag_list()}
        _retry_iam_propagation(lambda: call(self.client, "create_endpoint", **params))

    def update(self) -> None:
        params = {"EndpointArn": self.arn, **self.settings()}
        _retry_iam_propagation(lambda: call(self.client, "modify_endpoint", **params))

    def delete(self) -> None:
        call(self.client, "delete_endpoint", EndpointArn=self.arn)
        self._wait_gone()


class ReplicationInstance(DmsResource):
    kind = "dms replication instance"
    describe_op, list_key, filter_name, arn_key = ("describe_replication_instances", "ReplicationInstances",
                                                   "replication-instance-id", "ReplicationInstanceArn")

    def _identifier(self, item: dict[str, Any]) -> str:
        return item["ReplicationInstanceIdentifier"]

    def describe(self) -> str:
        d = self.ctx.config.dms
        return f"{d.replication_instance_class}, {d.allocated_storage_gb} GB" + (", Multi-AZ" if d.multi_az else "")

    def differences(self) -> list[str]:
        d, c = self.ctx.config.dms, self.current
        diffs = []
        if c.get("ReplicationInstanceClass") != d.replication_instance_class:
            diffs.append(f"class {c.get('ReplicationInstanceClass')} -> {d.replication_instance_class}")
        if c.get("AllocatedStorage") != d.allocated_storage_gb:
            diffs.append(f"storage {c.get('AllocatedStorage')} -> {d.allocated_storage_gb} GB")
        if bool(c.get("MultiAZ")) != d.multi_az:
            diffs.append(f"multi-AZ -> {d.multi_az}")
        return diffs

    def create(self) -> None:
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
        _retry_iam_propagation(lambda: call(self.client, "create_replication_instance", **params))
        self._wait_available()

    def _wait_available(self) -> None:
        def available() -> bool:
            found = self.read()
            status = (found or {}).get("ReplicationInstanceStatus")
            if status in ("failed", "incompatible-network", "storage-full"):
                raise StreamleapError(f"DMS replication instance {self.name} is {status}; see the DMS console")
            return status == "available"
        self.ctx.say(f"waiting for DMS replication instance {self.name} (usually 5-15 minutes)")
        wait_for(f"DMS replication instance {self.name} to become available", available)
        self.current = self.read()

    def update(self) -> None:
        d = self.ctx.config.dms
        call(self.client, "modify_replication_instance", ReplicationInstanceArn=self.arn, ApplyImmediately=True,
             ReplicationInstanceClass=d.replication_instance_class, AllocatedStorage=d.allocated_storage_gb,
             MultiAZ=d.multi_az)
        self._wait_available()

    def delete(self) -> None:
        call(self.client, "delete_replication_instance", ReplicationInstanceArn=self.arn)
        self._wait_gone()

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
    describe_op, list_key, filter_name, arn_key = ("describe_replication_tasks", "ReplicationTasks",
                                                   "replication-task-id", "ReplicationTaskArn")

    def __init__(self, ctx: Context, name: str, source: DmsEndpoint, target: DmsEndpoint,
                 instance: ReplicationInstance):
        super().__init__(ctx, name)
        self.source, self.target, self.instance = source, target, instance

    def _identifier(self, item: dict[str, Any]) -> str:
        return item["ReplicationTaskIdentifier"]

    def describe(self) -> str:
        return f"full-load-and-cdc of {len(self.ctx.config.tables)} tables, before images, partitioned by primary key"

    def _mappings(self) -> str:
        return docs.dumps(docs.table_mappings(self.ctx.config))

    def _settings(self) -> dict[str, Any]:
        return docs.task_settings(self.ctx.config)

    def differences(self) -> list[str]:
        c = self.current
        diffs = []
        if c.get("MigrationType") != "full-load-and-cdc":
            diffs.append(f"migration type {c.get('MigrationType')} -> full-load-and-cdc")
        if json.loads(c.get("TableMappings") or "{}") != json.loads(self._mappings()):
            diffs.append("table mappings")
        if docs.subset_differs(self._settings(), json.loads(c.get("ReplicationTaskSettings") or "{}")):
            diffs.append("task settings")
        return diffs

    def plan(self) -> list[Action]:
        actions = super().plan()
        status = (self.current or {}).get("Status")
        if actions[0].action == "none" and status not in _TASK_RUNNING:
            actions = [Action(self.kind, self.name, "start", f"task is {status}")]
        elif actions[0].action in ("create", "update"):
            actions.append(Action(self.kind, self.name, "start", "start (or resume) replication"))
        return actions

    def apply(self, action: Action) -> None:
        if action.action == "create":
            self.create()
        elif action.action == "update":
            self.update()
        elif action.action == "start":
            self.start()

    def create(self) -> None:
        call(self.client, "create_replication_task", ReplicationTaskIdentifier=self.name,
             SourceEndpointArn=self.source.arn, TargetEndpointArn=self.target.arn,
             ReplicationInstanceArn=self.instance.arn, MigrationType="full-load-and-cdc",
             TableMappings=self._mappings(), ReplicationTaskSettings=docs.dumps(self._settings()),
             Tags=self.ctx.tag_list())
        self._wait_status(("ready",), "ready")

    def _wait_status(self, wanted: tuple[str, ...], what: str) -> None:
        def reached() -> bool:
            found = self.read()
            status = (found or {}).get("Status")
            if status == "failed" and "failed" not in wanted:
                raise StreamleapError(f"DMS task {self.name} failed: "
                                      f"{found.get('LastFailureMessage') or found.get('StopReason') or 'see the DMS console'}")
            return status in wanted
        wait_for(f"DMS task {self.name} to be {what}", reached)
        self.current = self.read()

    def update(self) -> None:
        if (self.current or {}).get("Status") in _TASK_RUNNING:
            self.stop()
        call(self.client, "modify_replication_task", ReplicationTaskArn=self.arn, MigrationType="full-load-and-cdc",
             TableMappings=self._mappings(), ReplicationTaskSettings=docs.dumps(self._settings()))
        self._wait_status(("ready", "stopped"), "ready after the change")

    def start(self) -> None:
        current = self.read()
        status = current.get("Status")
        if status in _TASK_RUNNING:
            return
        kind = _TASK_STARTABLE.get(status)
        if kind is None:
            raise StreamleapError(f"DMS task {self.name} is {status} and cannot be started now; run apply again later")
        if kind == "start-replication" and current.get("ReplicationTaskStartDate"):
            kind = "resume-processing"
        call(self.client, "start_replication_task", ReplicationTaskArn=self.arn, StartReplicationTaskType=kind)
        self._wait_status(_TASK_RUNNING, "running")

    def stop(self) -> None:
        call(self.client, "stop_replication_task", ReplicationTaskArn=self.arn)
        self._wait_status(("stopped", "failed"), "stopped")

    def delete(self) -> None:
        if (self.current or self.read() or {}).get("Status") in _TASK_RUNNING:
            self.stop()
        call(self.client, "delete_replication_task", ReplicationTaskArn=self.arn)
        self._wait_gone()

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
        found = call(self.client, "describe_table_statistics", ReplicationTaskArn=self.current[self.arn_key])
        return [_table_stat(t) for t in found.get("TableStatistics", [])]


def _table_stat(t: dict[str, Any]) -> dict[str, Any]:
    last = t.get("LastUpdateTime")
    return {"table": f"{t.get('SchemaName')}.{t.get('TableName')}", "state": t.get("TableState"),
            "full_load_rows": t.get("FullLoadRows"), "inserts": t.get("Inserts"), "updates": t.get("Updates"),
            "deletes": t.get("Deletes"), "ddls": t.get("Ddls"),
            "last_update": last.isoformat() if hasattr(last, "isoformat") else last}


_SERVERLESS_ACTIVE = ("running", "starting", "provisioning", "stopping", "deprovisioning")


class ServerlessReplication(DmsResource):
    """DMS Serverless: a replication config (capacity, endpoints, mappings) that is started."""

    kind = "dms serverless replication"
    describe_op, list_key, filter_name, arn_key = ("describe_replication_configs", "ReplicationConfigs",
                                                   "replication-config-id", "ReplicationConfigArn")

    def __init__(self, ctx: Context, name: str, source: DmsEndpoint, target: DmsEndpoint):
        super().__init__(ctx, name)
        self.source, self.target = source, target

    def _identifier(self, item: dict[str, Any]) -> str:
        return item["ReplicationConfigIdentifier"]

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

    def differences(self) -> list[str]:
        c = self.current
        diffs = []
        have = dict(c.get("ComputeConfig", {}))
        if "VpcSecurityGroupIds" in have:
            have["VpcSecurityGroupIds"] = sorted(have["VpcSecurityGroupIds"])
        if docs.subset_differs(self._compute(), have):
            diffs.append("capacity")
        if json.loads(c.get("TableMappings") or "{}") != docs.table_mappings(self.ctx.config):
            diffs.append("table mappings")
        if docs.subset_differs(docs.task_settings(self.ctx.config), json.loads(c.get("ReplicationSettings") or "{}")):
            diffs.append("replication settings")
        return diffs

    def _replication(self) -> dict[str, Any] | None:
        found = call(self.client, "describe_replications",
                     Filters=[{"Name": "replication-config-arn", "Values": [self.arn]}])
        items = found.get("Replications", [])
        return items[0] if items else None

    def plan(self) -> list[Action]:
        actions = super().plan()
        if actions[0].action == "none":
            replication = self._replication() or {}
            if replication.get("Status") not in _SERVERLESS_ACTIVE:
                actions = [Action(self.kind, self.name, "start", f"replication is {replication.get('Status', 'not started')}")]
        else:
            actions.append(Action(self.kind, self.name, "start", "start (or resume) replication"))
        return actions

    def apply(self, action: Action) -> None:
        if action.action == "create":
            _retry_iam_propagation(lambda: call(
                self.client, "create_replication_config", ReplicationConfigIdentifier=self.name,
                 SourceEndpointArn=self.source.arn, TargetEndpointArn=self.target.arn,
                 ComputeConfig=self._compute(), ReplicationType="full-load-and-cdc",
                 TableMappings=docs.dumps(docs.table_mappings(self.ctx.config)),
                 ReplicationSettings=docs.dumps(docs.task_settings(self.ctx.config)), Tags=self.ctx.tag_list()))
            self.current = self.read()
        elif action.action == "update":
            self._stop()
            call(self.client, "modify_replication_config", ReplicationConfigArn=self.arn,
                 ComputeConfig=self._compute(), ReplicationType="full-load-and-cdc",
                 TableMappings=docs.dumps(docs.table_mappings(self.ctx.config)),
                 ReplicationSettings=docs.dumps(docs.task_settings(self.ctx.config)))
        elif action.action == "start":
            replication = self._replication() or {}
            if replication.get("Status") in _SERVERLESS_ACTIVE:
                return
            status = replication.get("Status")
            if status not in (None, "created", "stopped", "failed"):
                raise StreamleapError(f"DMS Serverless replication {self.name} is {status} and cannot be started now; "
                                      "run apply again later")
            resumed = status in ("stopped", "failed") or replication.get("ReplicationLastStopTime") \
                or replication.get("RecoveryCheckpoint")
            kind = "resume-processing" if resumed else "start-replication"
            _retry_iam_propagation(lambda: call(self.client, "start_replication", ReplicationConfigArn=self.arn,
                                                StartReplicationType=kind))

    def _stop(self) -> None:
        replication = self._replication() or {}
        if replication.get("Status") in ("running", "starting", "provisioning"):
            call(self.client, "stop_replication", ReplicationConfigArn=self.arn)
            wait_for(f"DMS Serverless replication {self.name} to stop",
                     lambda: (self._replication() or {}).get("Status") in ("stopped", "failed", None))

    def delete(self) -> None:
        self._stop()
        call(self.client, "delete_replication_config", ReplicationConfigArn=self.arn)
        self._wait_gone()

    def status(self) -> dict[str, Any]:
        c = self.load()
        if c is None:
            return {"name": self.name, "status": "missing"}
        replication = self._replication() or {}
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


# --- the stack --------------------------------------------------------------------------------


class Stack:
    """Every resource of one stream, in creation order."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        cfg, stream = ctx.config, ctx.config.stream.name
        src = cfg.source
        self.stream = KinesisStream(ctx)
        self.dms_role = IamRole(ctx, role_name(stream, "dms-kinesis"), "DMS writes change records to the stream",
                                docs.dms_trust_policy(ctx.region, ctx.account), "streamleap-kinesis-write",
                                docs.dms_kinesis_policy(ctx.stream_arn, ctx.kms_key_arn))
        self.redshift_role = IamRole(ctx, role_name(stream, "redshift-kinesis"), "Redshift reads the stream",
                                     docs.redshift_trust_policy(ctx.account, bool(cfg.redshift.workgroup)),
                                     "streamleap-kinesis-read",
                                     docs.redshift_kinesis_policy(ctx.stream_arn, ctx.kms_key_arn))
        self.secret_role = None
        if src.secret_arn:
            self.secret_role = IamRole(ctx, role_name(stream, "dms-secret"), "DMS reads the source password secret",
                                       docs.dms_secret_trust_policy(ctx.region, ctx.account), "streamleap-secret-read",
                                       docs.dms_secret_policy(src.secret_arn))
        self.vpc_role = DmsVpcRole(ctx, docs.DMS_VPC_ROLE, "DMS manages its network interfaces",
                                   docs.dms_vpc_trust_policy(), managed_policy=docs.dms_vpc_policy_arn(ctx.region))
        self.association = RedshiftAssociation(ctx, self.redshift_role)
        self.source = DmsEndpoint(ctx, dms_id(stream, "source"), False, self._source_settings)
        self.target = DmsEndpoint(ctx, dms_id(stream, "kinesis"), True, self._target_settings)
        self.instance = None if cfg.dms.serverless else ReplicationInstance(ctx, dms_id(stream, "instance"))
        if cfg.dms.serverless:
            self.replication: ReplicationTask | ServerlessReplication = ServerlessReplication(
                ctx, dms_id(stream, "replication"), self.source, self.target)
        else:
            self.replication = ReplicationTask(ctx, dms_id(stream, "task"), self.source, self.target, self.instance)

    def resources(self) -> list[Resource]:
        items: list[Resource] = [self.stream, self.dms_role, self.redshift_role]
        if self.secret_role:
            items.append(self.secret_role)
        items += [self.vpc_role, self.association, self.source, self.target]
        if self.instance:
            items.append(self.instance)
        items.append(self.replication)
        return items

    def _source_settings(self) -> dict[str, Any]:
        src = self.ctx.config.source
        params: dict[str, Any] = {"EngineName": src.dms_engine, "DatabaseName": src.database, "SslMode": src.ssl_mode}
        extra: dict[str, Any] = {}
        if src.secret_arn:
            extra = {"SecretsManagerSecretId": src.secret_arn,
                     "SecretsManagerAccessRoleArn": self.secret_role.arn if self.secret_role else None}
        else:
            params.update(ServerName=src.host, Port=src.port, Username=src.username)
        if src.is_postgres:
            # heartbeats keep the replication slot advancing when the tables are quiet
            params["PostgreSQLSettings"] = {"HeartbeatEnable": True, "HeartbeatFrequency": 5, **extra}
        elif extra:
            params["MySQLSettings"] = extra
        return params

    def _target_settings(self) -> dict[str, Any]:
        return {"EngineName": "kinesis",
                "KinesisSettings": docs.kinesis_settings(self.ctx.stream_arn, self.dms_role.arn)}

    # --- commands -----------------------------------------------------------------------------

    def plan(self) -> list[Action]:
        actions: list[Action] = []
        for resource in self.resources():
            actions.extend(resource.plan())
        return actions

    def apply(self) -> list[Action]:
        """Plan everything first (so a problem stops apply before it changes anything), then
        carry the plan out resource by resource, in order."""
        planned = [(resource, resource.plan()) for resource in self.resources()]
        if any(a.action == "create" for a in planned[self.resources().index(self.source)][1]):
            self.source.check_password()
        done: list[Action] = []
        for resource, actions in planned:
            for action in actions:
                if action.action != "none":
                    self.ctx.say(f"{action.action} {action.kind} {action.name}")
                    resource.apply(action)
                done.append(action)
        return done

    def destroy_plan(self) -> list[Action]:
        actions: list[Action] = []
        for resource in reversed(self.resources()):
            actions.extend(resource.destroy_plan())
        return actions

    def destroy(self) -> list[Action]:
        done: list[Action] = []
        for resource in reversed(self.resources()):
            for action in resource.destroy_plan():
                if action.action in ("delete", "disassociate"):
                    self.ctx.say(f"{action.action} {action.kind} {action.name}")
                    resource.delete()
                done.append(action)
        return done

    def status(self) -> dict[str, Any]:
        replication = self.replication.status()
        tables: list[dict[str, Any]] = []
        if replication.get("status") != "missing":
            try:
                tables = self.replication.table_statistics()
            except AwsError as exc:  # statistics appear once the task has run
                replication["statistics_error"] = str(exc)
        return {
            "stream": self.stream.status(),
            "replication_instance": self.instance.status() if self.instance else None,
            "replication": replication,
            "tables": tables,
            "redshift": {"external_schema": self.ctx.config.redshift.external_schema,
                         "iam_role": self.redshift_role.arn, **self._association_status()},
        }

    def _association_status(self) -> dict[str, Any]:
        try:
            current = self.association.load()
        except StreamleapError as exc:
            return {"associated": False, "problem": str(exc)}
        return {"associated": self.redshift_role.arn in current["roles"], "target": self.association.name}


def _retry_iam_propagation(create: Callable[[], Any]) -> Any:
    """A role just made takes seconds to be usable by DMS; retry while DMS says access is denied."""
    import time

    from streamleap.aws.clients import poll_seconds

    for attempt in range(12):
        try:
            return create()
        except AwsError as exc:
            if exc.code not in ("AccessDeniedFault", "AccessDeniedException") or attempt == 11:
                raise
            time.sleep(max(poll_seconds(), 0.01) * (1 if attempt < 3 else 2))
    return None

