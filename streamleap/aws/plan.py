"""The plan of ``streamleap aws``: the object that is printed and the object that runs.

A ``Plan`` is a list of ``Change``s, one per thing to do to one resource (create, update, start,
associate, delete, ...; ``none`` and ``skip`` say a resource is left alone). A change carries its
``steps``: the AWS calls it makes, with every parameter worked out when the plan was made (the
shard count to set, the policy document to put, the settings to modify), and the waits between
them. ``Plan.apply`` runs those steps in order and nothing else: it reads nothing to decide what to
change. The only reads while applying are the waits' polls (a stream becoming ACTIVE, a task
becoming ready, a deleted resource going away).

A few values exist only once apply runs; a parameter holding one says so (``AtApply``):
``ArnOf`` is the ARN of a resource created earlier in the same apply (DMS returns it from the
create call; the task's create takes its endpoints' ARNs), ``FromEnvironment`` is the source
password, read from its environment variable when the endpoint is created and never printed.
``aws plan --json`` prints ``Plan.to_json()``; ``aws apply`` and ``aws destroy`` print the same and
run that very object.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from streamleap.aws.clients import AwsError, call, poll_seconds, wait_for
from streamleap.errors import StreamleapError

if TYPE_CHECKING:
    from streamleap.aws.context import Context

Action = Literal["create", "update", "start", "associate", "delete", "disassociate", "none", "skip"]
NO_CHANGE: tuple[Action, ...] = ("none", "skip")


# --- values known only at apply time ------------------------------------------------------------


class AtApply(ABC):
    """A parameter whose value exists only while apply runs; a plan prints what it will be."""

    @abstractmethod
    def resolve(self, ctx: Context) -> Any:
        """The value, when the call that takes it is made."""

    @abstractmethod
    def to_json(self) -> dict[str, str]:
        """What the plan prints in the value's place (never a secret)."""

    def check(self, ctx: Context) -> None:  # noqa: B027 - optional: most values have nothing to check
        """Raise before apply changes anything when the value will not be there."""


@dataclass(frozen=True)
class ArnOf(AtApply):
    """The ARN of a resource this apply creates before the call that needs it."""

    kind: str
    name: str

    def resolve(self, ctx: Context) -> str:
        return ctx.created_arn(self.kind, self.name)

    def to_json(self) -> dict[str, str]:
        return {"known_at_apply": f"the ARN of the {self.kind} {self.name}, created earlier in this apply"}


@dataclass(frozen=True)
class FromEnvironment(AtApply):
    """A secret read from an environment variable when the call is made (``setting`` names it in the config)."""

    variable: str
    setting: str
    what: str

    def _value(self) -> str:
        value = os.environ.get(self.variable)
        if not value:
            raise StreamleapError(f"{self.setting}: the environment variable {self.variable} is not set; "
                                  f"export {self.what} in it and run apply again")
        return value

    def check(self, ctx: Context) -> None:
        self._value()

    def resolve(self, ctx: Context) -> str:
        return self._value()

    def to_json(self) -> dict[str, str]:
        return {"known_at_apply": f"read from ${self.variable}"}


def _resolved(value: Any, ctx: Context) -> Any:
    if isinstance(value, AtApply):
        return value.resolve(ctx)
    if isinstance(value, Mapping):
        return {k: _resolved(v, ctx) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolved(v, ctx) for v in value]
    return value


def _printable(value: Any) -> Any:
    if isinstance(value, AtApply):
        return value.to_json()
    if isinstance(value, Mapping):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


def _at_apply(value: Any) -> list[AtApply]:
    if isinstance(value, AtApply):
        return [value]
    if isinstance(value, Mapping):
        return [found for v in value.values() for found in _at_apply(v)]
    if isinstance(value, (list, tuple)):
        return [found for v in value for found in _at_apply(v)]
    return []


# --- steps --------------------------------------------------------------------------------------


class Step(ABC):
    """One thing a change does when applied."""

    @abstractmethod
    def run(self, ctx: Context) -> None: ...

    @abstractmethod
    def to_json(self) -> dict[str, Any]: ...

    def check(self, ctx: Context) -> None:  # noqa: B027 - optional: most steps have nothing to check
        """Raise before apply changes anything when this step could not run."""


def api_name(operation: str) -> str:
    """``update_shard_count`` -> ``UpdateShardCount``: the AWS API name of a boto3 method."""
    return "".join(part.capitalize() for part in operation.split("_"))


@dataclass(frozen=True)
class Call(Step):
    """One AWS API call with its parameters (``AtApply`` values are resolved when it is made).

    ``retry_while_iam_propagates``: DMS may refuse a role made seconds ago; the call is retried
    while it says access is denied. ``creates``: the call creates that resource; its ARN, at
    ``arn_at`` in the response, is noted for the changes after it.
    """

    service: str
    operation: str  # the boto3 method: create_stream
    params: Mapping[str, Any] = field(default_factory=dict)
    retry_while_iam_propagates: bool = False
    creates: ArnOf | None = None
    arn_at: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def check(self, ctx: Context) -> None:
        for value in _at_apply(self.params):
            value.check(ctx)

    def arguments(self, ctx: Context) -> dict[str, Any]:
        """The parameters as sent: the ``AtApply`` values resolved."""
        return _resolved(self.params, ctx)

    def run(self, ctx: Context) -> None:
        client = ctx.clients(self.service)
        params = self.arguments(ctx)

        def make() -> Any:
            return call(client, self.operation, **params)

        response = retry_iam_propagation(make) if self.retry_while_iam_propagates else make()
        if self.creates is not None:
            arn = response
            for key in self.arn_at:
                arn = arn[key]
            ctx.created(self.creates.kind, self.creates.name, arn)

    def to_json(self) -> dict[str, Any]:
        return {"call": f"{self.service}:{api_name(self.operation)}", "params": _printable(self.params)}


class Wait(Step):
    """Poll until AWS reports a state: the only reads apply makes."""

    @abstractmethod
    def polls(self) -> tuple[str, ...]:
        """The operations (boto3 methods) each poll calls."""

    @property
    @abstractmethod
    def what(self) -> str:
        """What is waited for, as the timeout message names it."""

    @abstractmethod
    def reached(self, ctx: Context) -> bool: ...

    def run(self, ctx: Context) -> None:
        wait_for(self.what, lambda: self.reached(ctx))

    def to_json(self) -> dict[str, Any]:
        return {"wait_for": self.what}


@dataclass(frozen=True)
class CannotApply(Step):
    """The plan found the resource in a state the change cannot be made from; apply stops here."""

    reason: str

    def run(self, ctx: Context) -> None:
        raise StreamleapError(self.reason)

    def to_json(self) -> dict[str, Any]:
        return {"stops_apply": self.reason}


# --- changes and the plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What will be done to one resource, and the steps that do it."""

    kind: str
    name: str
    action: Action
    detail: str = ""
    steps: tuple[Step, ...] = ()

    @property
    def changes_something(self) -> bool:
        return self.action not in NO_CHANGE

    def calls(self) -> list[Call]:
        return [step for step in self.steps if isinstance(step, Call)]

    def check(self, ctx: Context) -> None:
        for step in self.steps:
            step.check(ctx)

    def apply(self, ctx: Context) -> None:
        for step in self.steps:
            step.run(ctx)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "action": self.action, "detail": self.detail,
                "steps": [step.to_json() for step in self.steps]}


@dataclass(frozen=True)
class Plan:
    """The changes, in the order apply makes them."""

    changes: tuple[Change, ...]

    @property
    def pending(self) -> tuple[Change, ...]:
        """The changes that do something (not ``none`` or ``skip``)."""
        return tuple(c for c in self.changes if c.changes_something)

    def apply(self, ctx: Context) -> None:
        """Check every change first (so a missing password stops apply before it changes anything),
        then run each change's steps, in order."""
        for change in self.changes:
            change.check(ctx)
        for change in self.pending:
            ctx.say(f"{change.action} {change.kind} {change.name}")
            change.apply(ctx)

    def to_json(self) -> dict[str, Any]:
        return {"actions": [c.to_json() for c in self.changes], "changes": len(self.pending)}


def retry_iam_propagation(make: Callable[[], Any]) -> Any:
    """A role just made takes seconds to be usable by DMS; retry while DMS says access is denied."""
    for attempt in range(12):
        try:
            return make()
        except AwsError as exc:
            if exc.code not in ("AccessDeniedFault", "AccessDeniedException") or attempt == 11:
                raise
            time.sleep(max(poll_seconds(), 0.01) * (1 if attempt < 3 else 2))
    return None
