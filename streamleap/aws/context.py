"""What every resource and planned change works with: the config, the AWS clients, the account
and region, where progress lines go, and the ARNs of resources made by the apply under way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from streamleap.aws import documents as docs, naming
from streamleap.aws.clients import Clients, call
from streamleap.aws.config import AwsConfig
from streamleap.errors import StreamleapError


@dataclass
class Context:
    config: AwsConfig
    clients: Clients
    account: str
    region: str
    say: Callable[[str], None] = field(default=lambda _text: None)
    _kms_arns: dict[str, str] = field(default_factory=dict)
    # (kind, name) -> ARN of each resource created by the apply under way: a later change that
    # needs it (the task needs its endpoints' ARNs) reads it here at apply time
    _created: dict[tuple[str, str], str] = field(default_factory=dict)

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
        return naming.tags(self.config)

    def tag_list(self) -> list[dict[str, str]]:
        return naming.tag_list(self.tags())

    def created(self, kind: str, name: str, arn: str) -> None:
        """Note the ARN of a resource this apply has just created."""
        self._created[(kind, name)] = arn

    def created_arn(self, kind: str, name: str) -> str:
        if (kind, name) not in self._created:
            raise StreamleapError(f"{kind} {name} was to be created earlier in this apply but was not; "
                                  "run `streamleap aws plan` and apply again")
        return self._created[(kind, name)]


def connect(config: AwsConfig, region: str | None, profile: str | None, endpoint_url: str | None,
            say: Callable[[str], None] = lambda _text: None) -> Context:
    clients = make_clients(region or config.region, profile, endpoint_url)
    identity = call(clients("sts"), "get_caller_identity")
    return Context(config, clients, identity["Account"], clients.region, say)


def make_clients(region: str | None, profile: str | None, endpoint_url: str | None) -> Clients:
    """The clients the commands use (tests replace this to add stubs for what moto lacks)."""
    return Clients(region, profile, endpoint_url)
