"""The names and tags of what streamleap makes on AWS, and the tag that says a resource is streamleap's.

Every resource streamleap creates carries ``streamleap:managed-by=streamleap`` and
``streamleap:stream=<name>``; a resource with streamleap's name but without the first tag is never
changed or deleted.
"""

from __future__ import annotations

import hashlib
import re

from streamleap.aws.config import AwsConfig
from streamleap.errors import StreamleapError

MANAGED_TAG = "streamleap:managed-by"
MANAGED_VALUE = "streamleap"
STREAM_TAG = "streamleap:stream"


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
    """An IAM role name: the characters IAM allows, <= 64."""
    base = re.sub(r"[^\w+=,.@-]", "-", f"streamleap-{stream}-{suffix}")
    return _short(base, 64)


def tags(config: AwsConfig) -> dict[str, str]:
    """The tags of every resource of the config's stream: the config's own, then streamleap's."""
    return {**config.tags, MANAGED_TAG: MANAGED_VALUE, STREAM_TAG: config.stream.name}


def tag_list(tag_map: dict[str, str]) -> list[dict[str, str]]:
    """Tags as the ``[{"Key": ..., "Value": ...}]`` list IAM and DMS take."""
    return [{"Key": k, "Value": v} for k, v in tag_map.items()]


def is_ours(tag_map: dict[str, str]) -> bool:
    return tag_map.get(MANAGED_TAG) == MANAGED_VALUE


def not_ours(kind: str, name: str) -> StreamleapError:
    return StreamleapError(
        f"{kind} {name} exists but was not created by streamleap (no {MANAGED_TAG} tag); "
        "streamleap will not change it: choose another stream.name, or delete or tag it yourself"
    )
