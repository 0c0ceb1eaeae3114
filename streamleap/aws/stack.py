"""Every AWS resource of one stream, from ``streamleap.yml``, and the plans to apply or destroy them.

Resources, in the order apply creates them (destroy goes backwards):

1. the Kinesis stream;
2. IAM roles: DMS -> Kinesis (write), Redshift -> Kinesis (read), DMS -> Secrets Manager when
   the password is a secret, and the account-wide ``dms-vpc-role`` when the account lacks it;
3. the Redshift role association (Serverless namespace of the workgroup, or the cluster);
4. DMS source and Kinesis target endpoints;
5. a replication instance (or nothing for DMS Serverless);
6. the full-load-and-cdc task (or Serverless replication config), started.

With ``stream.kind: kafka`` the stream is a topic of your MSK cluster: no Kinesis stream and no DMS
role; the DMS target endpoint writes the topic, and Redshift's role reads it.

``plan()`` reads every resource and returns the ``Plan`` (``streamleap.aws.plan``) that makes them
what the config asks for; ``destroy_plan()`` the one that removes what streamleap made. Either is
printed and then applied as it is. A second apply finds nothing to change.
"""

from __future__ import annotations

from typing import Any

from streamleap.aws import documents as docs
from streamleap.aws.clients import AwsError
from streamleap.aws.context import Context
from streamleap.aws.naming import dms_id, role_name
from streamleap.aws.plan import Change, Plan
from streamleap.aws.resources.base import Resource
from streamleap.aws.resources.dms import (
    DmsEndpoint,
    ReplicationInstance,
    ReplicationTask,
    ServerlessReplication,
    source_settings,
    target_settings,
)
from streamleap.aws.resources.iam import DmsVpcRole, IamRole
from streamleap.aws.resources.kinesis import KinesisStream
from streamleap.aws.resources.redshift import RedshiftAssociation
from streamleap.errors import StreamleapError


class Stack:
    """Every resource of one stream, in creation order."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        cfg, stream = ctx.config, ctx.config.stream.name
        src = cfg.source
        kafka = cfg.stream.kafka
        # stream.kind kafka: the topic is on your MSK cluster (no stream to make, no DMS role: DMS
        # reaches the brokers over TLS), and Redshift's role reads the topic
        self.stream: KinesisStream | None = None if kafka else KinesisStream(ctx)
        self.dms_role: IamRole | None = None if kafka else IamRole(
            ctx, role_name(stream, "dms-kinesis"), "DMS writes change records to the stream",
            docs.dms_trust_policy(ctx.region, ctx.account), "streamleap-kinesis-write",
            docs.dms_kinesis_policy(ctx.stream_arn, ctx.kms_key_arn))
        if kafka:
            self.redshift_role = IamRole(ctx, role_name(stream, "redshift-msk"), "Redshift reads the MSK topic",
                                         docs.redshift_trust_policy(ctx.account, bool(cfg.redshift.workgroup)),
                                         "streamleap-msk-read",
                                         docs.redshift_msk_policy(cfg.stream.msk_cluster_arn or "", stream,
                                                                  cfg.stream.kafka_authentication))
        else:
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
        self.source = DmsEndpoint(ctx, dms_id(stream, "source"), False,
                                  source_settings(ctx, self.secret_role.arn if self.secret_role else None))
        self.target = DmsEndpoint(ctx, dms_id(stream, "kafka" if kafka else "kinesis"), True,
                                  target_settings(ctx, self.dms_role.arn if self.dms_role else None))
        self.instance = None if cfg.dms.serverless else ReplicationInstance(ctx, dms_id(stream, "instance"))
        if self.instance is None:
            self.replication: ReplicationTask | ServerlessReplication = ServerlessReplication(
                ctx, dms_id(stream, "replication"), self.source, self.target)
        else:
            self.replication = ReplicationTask(ctx, dms_id(stream, "task"), self.source, self.target, self.instance)

    def resources(self) -> list[Resource]:
        items: list[Resource] = [r for r in (self.stream, self.dms_role) if r is not None]
        items.append(self.redshift_role)
        if self.secret_role:
            items.append(self.secret_role)
        items += [self.vpc_role, self.association, self.source, self.target]
        if self.instance:
            items.append(self.instance)
        items.append(self.replication)
        return items

    def plan(self) -> Plan:
        """What apply will do, every resource read first (so a problem stops it before any change)."""
        changes: list[Change] = []
        for resource in self.resources():
            changes.extend(resource.plan())
        return Plan(tuple(changes))

    def destroy_plan(self) -> Plan:
        changes: list[Change] = []
        for resource in reversed(self.resources()):
            changes.extend(resource.destroy_plan())
        return Plan(tuple(changes))

    def status(self) -> dict[str, Any]:
        replication = self.replication.status()
        tables: list[dict[str, Any]] = []
        if replication.get("status") != "missing":
            try:
                tables = self.replication.table_statistics()
            except AwsError as exc:  # statistics appear once the task has run
                replication["statistics_error"] = str(exc)
        return {
            "stream": self.stream.status() if self.stream else {"kind": "kafka", "topic": self.ctx.config.stream.name,
                                                                 "msk_cluster_arn": self.ctx.config.stream.msk_cluster_arn},
            "replication_instance": self.instance.status() if self.instance else None,
            "replication": replication,
            "tables": tables,
            "redshift": {"external_schema": self.ctx.config.redshift.external_schema,
                         "iam_role": self.redshift_role.arn, **self._association_status()},
        }

    def _association_status(self) -> dict[str, Any]:
        try:
            current = self.association.load() or {}
        except StreamleapError as exc:
            return {"associated": False, "problem": str(exc)}
        return {"associated": self.redshift_role.arn in current["roles"], "target": self.association.name}
