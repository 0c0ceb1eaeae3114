"""boto3 clients for the AWS commands, and AWS errors as one line.

Every call goes through ``call(client, operation, **params)``: a ClientError becomes a
StreamleapError naming the service, the action and AWS's message; missing credentials or region
and unreachable endpoints get their own line with what to do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from streamleap.errors import StreamleapError


class AwsError(StreamleapError):
    def __init__(self, service: str, action: str, code: str, message: str):
        self.service, self.action, self.code = service, action, code
        super().__init__(f"AWS {service} {action} failed: {message or code}")


class Clients:
    """Lazily made boto3 clients sharing one session (profile, region, endpoint URL)."""

    def __init__(self, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None):
        import boto3
        import botocore.exceptions

        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound:
            raise StreamleapError(f"--profile {profile}: no such AWS profile; see `aws configure list-profiles`") from None
        self.region = self.session.region_name
        if not self.region:
            raise StreamleapError("no AWS region: pass --region, set region: in streamleap.yml, or set AWS_REGION")
        self.endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": 8, "mode": "standard"}, user_agent_extra="streamleap"),
            )
        return self._clients[service]


def call(client: Any, operation: str, **params: Any) -> Any:
    """``client.<operation>(**params)`` with AWS's errors turned into one line."""
    import botocore.exceptions

    service = client.meta.service_model.service_name
    action = client.meta.method_to_api_mapping.get(operation, operation)
    try:
        return getattr(client, operation)(**params)
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise AwsError(service, action, error.get("Code", ""), error.get("Message", "")) from None
    except botocore.exceptions.NoCredentialsError:
        raise StreamleapError("no AWS credentials: set AWS_PROFILE or pass --profile, "
                              "or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") from None
    except botocore.exceptions.EndpointConnectionError as exc:
        raise StreamleapError(f"AWS {service} {action}: cannot reach {exc.kwargs.get('endpoint_url', 'the endpoint')}; "
                              "check --endpoint-url, the region and your network") from None
    except botocore.exceptions.ParamValidationError as exc:
        raise StreamleapError(f"AWS {service} {action}: {str(exc).splitlines()[-1].strip()}") from None


def poll_seconds() -> float:
    """How long to wait between state checks (STREAMLEAP_AWS_POLL_SECONDS; tests make it short)."""
    return float(os.environ.get("STREAMLEAP_AWS_POLL_SECONDS", "10"))


def wait_for(what: str, check: Callable[[], bool], timeout_seconds: float = 3600) -> None:
    """Poll ``check`` until it returns True; StreamleapError naming ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while not check():
        if time.monotonic() > deadline:
            raise StreamleapError(f"timed out after {timeout_seconds:.0f} s waiting for {what}; "
                                  "check it in the AWS console and run the command again")
        time.sleep(poll_seconds())
