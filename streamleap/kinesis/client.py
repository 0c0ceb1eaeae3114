"""The boto3 Kinesis client every part of streamleap uses: AWS's own endpoint, or any other (the
embedded one of ``streamleap.kinesis.local``, a LocalStack, a Kinesis-compatible service)."""

from __future__ import annotations

import os
from typing import Any

from streamleap.errors import StreamleapError

ENDPOINT_ENV = "STREAMLEAP_KINESIS_ENDPOINT"
DUMMY_KEY = "streamleap-local"
DEFAULT_LOCAL_REGION = "us-east-1"


def kinesis_client(endpoint_url: str | None = None, region: str | None = None):
    """A boto3 Kinesis client: for `endpoint_url` (or $STREAMLEAP_KINESIS_ENDPOINT), AWS's own
    endpoint when neither is set. A custom endpoint with no AWS credentials configured gets dummy
    ones (a local endpoint accepts any)."""
    import boto3

    endpoint = endpoint_url or os.environ.get(ENDPOINT_ENV) or None
    session = boto3.session.Session()
    region = region or session.region_name or (DEFAULT_LOCAL_REGION if endpoint else None)
    if not region:
        raise StreamleapError("no AWS region for the Kinesis stream: pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
    kwargs: dict[str, Any] = {"region_name": region}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
        if session.get_credentials() is None:
            kwargs.update(aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY)
    return session.client("kinesis", **kwargs)
