"""The Redshift-reads-Kinesis role associated with the workgroup's namespace or the cluster.

streamleap does not create the workgroup or the cluster: it adds its role next to the ones there
(and removes only its own on destroy)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from streamleap.aws.clients import AwsError, call
from streamleap.aws.context import Context
from streamleap.aws.naming import is_ours
from streamleap.aws.plan import Call, Change, Step, Wait
from streamleap.aws.resources.base import Resource
from streamleap.aws.resources.iam import IamRole
from streamleap.errors import StreamleapError

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[^,)\s]+")


@dataclass(frozen=True)
class NamespaceAvailable(Wait):
    namespace: str
    label: str

    def polls(self) -> tuple[str, ...]:
        return ("get_namespace",)

    @property
    def what(self) -> str:
        return f"Redshift {self.label} to apply the role change"

    def reached(self, ctx: Context) -> bool:
        found = call(ctx.clients("redshift-serverless"), "get_namespace", namespaceName=self.namespace)
        return found["namespace"]["status"] == "AVAILABLE"


@dataclass(frozen=True)
class ClusterRoleSettled(Wait):
    """The cluster is available and the role is in-sync (added) or gone (removed)."""

    cluster: str
    role_arn: str
    added: bool
    label: str

    def polls(self) -> tuple[str, ...]:
        return ("describe_clusters",)

    @property
    def what(self) -> str:
        return f"Redshift {self.label} to apply the role change"

    def reached(self, ctx: Context) -> bool:
        found = call(ctx.clients("redshift"), "describe_clusters", ClusterIdentifier=self.cluster)["Clusters"][0]
        ours = [r.get("ApplyStatus") for r in found.get("IamRoles", []) if r.get("IamRoleArn") == self.role_arn]
        settled = (ours in ([], ["in-sync"])) if self.added else not ours
        return found.get("ClusterStatus") == "available" and (settled or not found.get("IamRoles"))


class RedshiftAssociation(Resource):
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

    def plan(self) -> list[Change]:
        current = self.load() or {}  # read raises when the workgroup or cluster is missing
        if self.role.arn in current["roles"]:
            return [self.change("none", "role associated")]
        return [self.change("associate", f"add {self.role.name} to the "
                            + ("namespace " + str(self.namespace) if self.serverless else "cluster"),
                            self._steps(current, add=True))]

    def destroy_plan(self) -> list[Change]:
        role = self.role.load()
        if role is None or not is_ours(self.role.tags_of(role)):
            return []  # a role streamleap did not make is not streamleap's to disassociate
        try:
            current = self.load()
        except StreamleapError:
            return []  # the workgroup or cluster is gone: nothing to disassociate
        if current and self.role.arn in current["roles"]:
            return [self.change("disassociate", f"remove {self.role.name}", self._steps(current, add=False))]
        return []

    def _steps(self, current: dict[str, Any], add: bool) -> list[Step]:
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
            return [Call("redshift-serverless", "update_namespace", params),
                    NamespaceAvailable(str(self.namespace), self.name)]
        cluster = self.ctx.config.redshift.cluster_identifier or ""
        key = "AddIamRoles" if add else "RemoveIamRoles"
        return [Call("redshift", "modify_cluster_iam_roles", {"ClusterIdentifier": cluster, key: [arn]}),
                ClusterRoleSettled(cluster, arn, add, self.name)]
