"""The Kinesis stream DMS writes to and Redshift reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamleap.aws.clients import AwsError, call
from streamleap.aws.context import Context
from streamleap.aws.plan import Call, Step, Wait
from streamleap.aws.resources.base import Difference, OwnedResource

# what AWS makes of CreateStream besides what it is given: 24 hours' retention, no encryption
NEW_STREAM_RETENTION_HOURS = 24


def _summary(ctx: Context, name: str) -> dict[str, Any]:
    return call(ctx.clients("kinesis"), "describe_stream_summary", StreamName=name)["StreamDescriptionSummary"]


@dataclass(frozen=True)
class StreamActive(Wait):
    name: str

    def polls(self) -> tuple[str, ...]:
        return ("describe_stream_summary",)

    @property
    def what(self) -> str:
        return f"Kinesis stream {self.name} to become ACTIVE"

    def reached(self, ctx: Context) -> bool:
        return _summary(ctx, self.name)["StreamStatus"] == "ACTIVE"


@dataclass(frozen=True)
class StreamGone(Wait):
    name: str

    def polls(self) -> tuple[str, ...]:
        return ("describe_stream_summary",)

    @property
    def what(self) -> str:
        return f"Kinesis stream {self.name} to be deleted"

    def reached(self, ctx: Context) -> bool:
        try:
            _summary(ctx, self.name)
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return True
            raise
        return False


class KinesisStream(OwnedResource):
    kind = "kinesis stream"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.name = ctx.config.stream.name
        self.client = ctx.clients("kinesis")

    def read(self) -> dict[str, Any] | None:
        try:
            summary = _summary(self.ctx, self.name)
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

    def tags_of(self, current: dict[str, Any]) -> dict[str, str]:
        return current["Tags"]

    def _mode(self) -> str:
        return "PROVISIONED" if self.ctx.config.stream.mode == "provisioned" else "ON_DEMAND"

    def describe(self) -> str:
        s = self.ctx.config.stream
        size = f"{s.shards} shards" if s.mode == "provisioned" else "on-demand"
        return f"{size}, {s.retention_hours} h retention" + (", KMS encrypted" if s.kms_key else "")

    def create_steps(self) -> list[Step]:
        s = self.ctx.config.stream
        # tagged as it is made: an interrupted apply never leaves an untagged stream behind
        params: dict[str, Any] = {"StreamName": self.name, "StreamModeDetails": {"StreamMode": self._mode()},
                                  "Tags": self.ctx.tags()}
        if s.mode == "provisioned":
            params["ShardCount"] = s.shards
        as_created = {"StreamARN": self.ctx.stream_arn, "StreamModeDetails": {"StreamMode": self._mode()},
                      "OpenShardCount": s.shards, "RetentionPeriodHours": NEW_STREAM_RETENTION_HOURS,
                      "EncryptionType": "NONE", "Tags": self.ctx.tags()}
        # then what CreateStream cannot set: the retention and the encryption
        return [Call("kinesis", "create_stream", params), StreamActive(self.name),
                *self.update_steps(as_created, self.differences(as_created))]

    def differences(self, current: dict[str, Any]) -> list[Difference]:
        c, s, name = current, self.ctx.config.stream, self.name
        found = []
        active = StreamActive(name)
        mode = c.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
        if mode != self._mode():
            found.append(Difference(f"mode {mode} -> {self._mode()}", (
                Call("kinesis", "update_stream_mode", {"StreamARN": c.get("StreamARN", self.ctx.stream_arn),
                                                       "StreamModeDetails": {"StreamMode": self._mode()}}), active)))
        if s.mode == "provisioned" and c.get("OpenShardCount") != s.shards:
            found.append(Difference(f"shards {c.get('OpenShardCount')} -> {s.shards}", (
                Call("kinesis", "update_shard_count", {"StreamName": name, "TargetShardCount": s.shards,
                                                       "ScalingType": "UNIFORM_SCALING"}), active)))
        hours = c.get("RetentionPeriodHours", NEW_STREAM_RETENTION_HOURS)
        if hours != s.retention_hours:
            operation = "increase_stream_retention_period" if hours < s.retention_hours \
                else "decrease_stream_retention_period"
            found.append(Difference(f"retention {hours} h -> {s.retention_hours} h", (
                Call("kinesis", operation, {"StreamName": name, "RetentionPeriodHours": s.retention_hours}), active)))
        encrypted = c.get("EncryptionType", "NONE") == "KMS"
        if s.kms_key and (not encrypted or c.get("KeyId") not in (s.kms_key, self.ctx.kms_key_arn)):
            found.append(Difference(f"encryption -> KMS {s.kms_key}", (
                Call("kinesis", "start_stream_encryption", {"StreamName": name, "EncryptionType": "KMS",
                                                            "KeyId": s.kms_key}), active)))
        elif not s.kms_key and encrypted:
            found.append(Difference("encryption KMS -> none", (
                Call("kinesis", "stop_stream_encryption", {"StreamName": name, "EncryptionType": "KMS",
                                                           "KeyId": c.get("KeyId")}), active)))
        missing = {k: v for k, v in self.ctx.tags().items() if c.get("Tags", {}).get(k) != v}
        if missing:
            found.append(Difference("tags " + ", ".join(sorted(missing)), (
                Call("kinesis", "add_tags_to_stream", {"StreamName": name, "Tags": missing}),)))
        return found

    def delete_steps(self, current: dict[str, Any]) -> list[Step]:
        return [Call("kinesis", "delete_stream", {"StreamName": self.name}), StreamGone(self.name)]

    def status(self) -> dict[str, Any]:
        c = self.load()
        if c is None:
            return {"name": self.name, "status": "missing"}
        return {"name": self.name, "arn": c.get("StreamARN"), "status": c.get("StreamStatus"),
                "mode": c.get("StreamModeDetails", {}).get("StreamMode"), "open_shards": c.get("OpenShardCount"),
                "retention_hours": c.get("RetentionPeriodHours"), "encryption": c.get("EncryptionType", "NONE")}
