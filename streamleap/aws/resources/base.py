"""What every resource does: read what exists, and plan the changes to make or remove it.

``OwnedResource`` is the common case: a resource streamleap creates and tags. Its plan is one of
create (it is missing), update (it differs from the config: the ``Difference``s found, each with
the steps that fix it), or nothing; a resource with streamleap's name but without its tag stops
the plan. Destroy deletes it when it carries the tag and skips it otherwise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from streamleap.aws.context import Context
from streamleap.aws.naming import MANAGED_TAG, is_ours, not_ours
from streamleap.aws.plan import Action, Change, Step


@dataclass(frozen=True)
class Difference:
    """One way a resource differs from the config, and the steps that fix it (none when the
    resource fixes all its differences with one call, see ``OwnedResource.update_steps``)."""

    text: str
    steps: tuple[Step, ...] = ()


class Resource(ABC):
    kind = ""
    name = ""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.current: dict[str, Any] | None = None
        self.loaded = False

    @abstractmethod
    def read(self) -> dict[str, Any] | None:
        """What AWS has now (None: it does not exist)."""

    def load(self) -> dict[str, Any] | None:
        self.current = self.read()
        self.loaded = True
        return self.current

    @abstractmethod
    def plan(self) -> list[Change]:
        """The changes that make the resource what the config asks for."""

    @abstractmethod
    def destroy_plan(self) -> list[Change]:
        """The changes that remove what streamleap made (nothing for what it did not)."""

    def change(self, action: Action, detail: str = "", steps: Iterable[Step] = ()) -> Change:
        return Change(self.kind, self.name, action, detail, tuple(steps))


class OwnedResource(Resource):
    """A resource streamleap creates, tags, updates in place and deletes."""

    @abstractmethod
    def tags_of(self, current: dict[str, Any]) -> dict[str, str]: ...

    @abstractmethod
    def describe(self) -> str:
        """The create change's detail."""

    @abstractmethod
    def create_steps(self) -> list[Step]: ...

    @abstractmethod
    def differences(self, current: dict[str, Any]) -> list[Difference]: ...

    def update_steps(self, current: dict[str, Any], found: Sequence[Difference]) -> list[Step]:
        """The steps of the update: by default each difference's own."""
        return [step for difference in found for step in difference.steps]

    @abstractmethod
    def delete_steps(self, current: dict[str, Any]) -> list[Step]: ...

    def check_ours(self, current: dict[str, Any]) -> None:
        if not is_ours(self.tags_of(current)):
            raise not_ours(self.kind, self.name)

    def plan(self) -> list[Change]:
        current = self.load()
        if current is None:
            return [self.change("create", self.describe(), self.create_steps())]
        self.check_ours(current)
        found = self.differences(current)
        if found:
            return [self.change("update", "; ".join(d.text for d in found), self.update_steps(current, found))]
        return [self.change("none", "up to date")]

    def destroy_plan(self) -> list[Change]:
        current = self.load()
        if current is None:
            return []
        if not is_ours(self.tags_of(current)):
            return [self.change("skip", f"not created by streamleap (no {MANAGED_TAG} tag)")]
        return [self.change("delete", "", self.delete_steps(current))]
