"""IAM roles: DMS writing the stream, Redshift reading it, DMS reading the source secret, and the
account-wide ``dms-vpc-role``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from streamleap.aws import documents as docs
from streamleap.aws.clients import AwsError, call
from streamleap.aws.context import Context
from streamleap.aws.plan import Call, Change, Step
from streamleap.aws.resources.base import Difference, OwnedResource


def _doc(value: Any) -> Any:
    """A policy document as a comparable value (IAM returns it URL-encoded, or parsed)."""
    if isinstance(value, str):
        value = json.loads(unquote(value))
    return json.loads(docs.dumps(value))


class IamRole(OwnedResource):
    """A role with its trust policy, and an inline policy or an AWS-managed policy attached."""

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

    def tags_of(self, current: dict[str, Any]) -> dict[str, str]:
        return current["TagMap"]

    def describe(self) -> str:
        return self.purpose

    def create_steps(self) -> list[Step]:
        create = Call("iam", "create_role", {"RoleName": self.name, "AssumeRolePolicyDocument": docs.dumps(self.trust),
                                             "Description": f"streamleap: {self.purpose}"[:1000],
                                             "Tags": self.ctx.tag_list()})
        # a new role has the trust policy and nothing else: then its policy
        as_created: dict[str, Any] = {"AssumeRolePolicyDocument": self.trust, "InlinePolicy": None, "Managed": []}
        return [create, *self.update_steps(as_created, self.differences(as_created))]

    def differences(self, current: dict[str, Any]) -> list[Difference]:
        c, name = current, self.name
        found = []
        if _doc(c["AssumeRolePolicyDocument"]) != _doc(self.trust):
            found.append(Difference("trust policy", (
                Call("iam", "update_assume_role_policy", {"RoleName": name, "PolicyDocument": docs.dumps(self.trust)}),)))
        if self.policy_name and self.policy is not None and (c["InlinePolicy"] is None or _doc(c["InlinePolicy"]) != _doc(self.policy)):
            found.append(Difference(f"policy {self.policy_name}", (
                Call("iam", "put_role_policy", {"RoleName": name, "PolicyName": self.policy_name,
                                                "PolicyDocument": docs.dumps(self.policy)}),)))
        if self.managed_policy and self.managed_policy not in c.get("Managed", []):
            found.append(Difference(f"attach {self.managed_policy}", (
                Call("iam", "attach_role_policy", {"RoleName": name, "PolicyArn": self.managed_policy}),)))
        return found

    def delete_steps(self, current: dict[str, Any]) -> list[Step]:
        """IAM deletes a role only without policies: the ones it has now go first."""
        inline = call(self.client, "list_role_policies", RoleName=self.name)["PolicyNames"]
        attached = call(self.client, "list_attached_role_policies", RoleName=self.name)["AttachedPolicies"]
        return [*(Call("iam", "delete_role_policy", {"RoleName": self.name, "PolicyName": name}) for name in inline),
                *(Call("iam", "detach_role_policy", {"RoleName": self.name, "PolicyArn": p["PolicyArn"]})
                  for p in attached),
                Call("iam", "delete_role", {"RoleName": self.name})]


class DmsVpcRole(IamRole):
    """DMS needs the account-wide ``dms-vpc-role`` to place a replication instance in a VPC. It is
    created (tagged) only when missing; one that exists is used as it is, never changed."""

    def plan(self) -> list[Change]:
        if self.load() is None:
            return [self.change("create", "account-wide role DMS needs for its VPC (was missing)", self.create_steps())]
        return [self.change("none", "exists")]

    def destroy_plan(self) -> list[Change]:
        # shared by every DMS task of the account: left in place even when streamleap made it
        return []
