"""Invoking dbt: the only place its command lines are put together.

run_dbt runs one command (`streamleap init`, `generate`, the demo); DbtSession keeps the parsed
manifest of a project and reuses it for every invocation while no project file changes (the
runner's cycles, `streamleap status`, the bench).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable
from contextlib import nullcontext, redirect_stdout
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from streamleap.errors import StreamleapError
from streamleap.project.file_watch import ProjectWatch

# what a cycle does not need: writing run_results/manifest JSON, a file log, usage pings
FAST_FLAGS = ("--quiet", "--no-write-json", "--log-level-file", "none", "--no-send-anonymous-usage-stats")
WATCHED = ("models", "macros", "seeds", "snapshots", "dbt_project.yml", "packages.yml", "dbt_packages")
NO_TARGET = ("deps", "clean")  # commands that take no --target


def dbt_argv(args: list[str], project_dir: Path | str, profiles_dir: Path | str | None = None,
             target: str | None = None) -> list[str]:
    """dbt's arguments for a command (args: the command and its own options) on a project."""
    argv = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir or project_dir)]
    if target and args and args[0] not in NO_TARGET:
        argv += ["--target", target]
    return argv


def dbt_runner(manifest: Any = None, callbacks: list[Callable[[Any], None]] | None = None) -> Any:
    """dbt's in-process runner (on a parsed manifest when one is given), for one invocation."""
    from dbt.cli.main import dbtRunner

    _name_behavior_flags_cheaply()
    return dbtRunner(manifest=manifest, callbacks=callbacks or [])


def _name_behavior_flags_cheaply() -> None:
    """Each invocation makes the adapter anew, and each of its behaviour flags names the module that
    declared it: dbt-common finds it with inspect.stack(), which reads the source line of every
    frame on the stack and looks every frame's module up among all loaded modules: 0.1-0.2 s per
    invocation, a fifth of a small project's `dbt run` in-process. The same answer (the first
    caller outside dbt_common.behavior_flags) is read from the frames' globals here. Only the
    default is replaced: a flag that names its source keeps it."""
    try:
        from dbt_common import behavior_flags
    except ImportError:  # an older dbt-common, without behaviour flags: nothing to speed up
        return
    rendered = getattr(behavior_flags, "BehaviorFlagRendered", None)
    if rendered is None or getattr(rendered, "_streamleap_source", False):
        return

    def default_source() -> str:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            name = frame.f_globals.get("__name__")
            if name and name != behavior_flags.__name__:
                return name
            frame = frame.f_back
        return "Unknown"

    if isinstance(rendered.__dict__.get("_default_source"), staticmethod):
        rendered._default_source = staticmethod(default_source)
        rendered._streamleap_source = True


def run_dbt(args: list[str], project_dir: Path, profiles_dir: Path | None = None, target: str | None = None):
    """Invoke dbt with dbtRunner; raise StreamleapError with dbt's message when it fails."""
    result = dbt_runner().invoke(dbt_argv(args, project_dir, profiles_dir, target))
    if not result.success:
        detail = str(result.exception).splitlines()[0] if result.exception else "see the dbt log above"
        raise StreamleapError(f"dbt {' '.join(args)} failed in {project_dir}: {detail}")
    return result


def _parse_key(project_dir: Path, profiles_dir: Path, target: str | None) -> tuple:
    """What a parse of a project reads besides its files: the profile and the environment."""
    try:
        profile = (Path(profiles_dir) / "profiles.yml").read_bytes()
    except OSError:
        profile = b""
    env = hashlib.sha256(repr(sorted(os.environ.items())).encode()).hexdigest()
    return (str(Path(project_dir).resolve()), str(Path(profiles_dir).resolve()), target,
            hashlib.sha256(profile).hexdigest(), env)


class KeptParses:
    """The newest parses of projects in this process, each with a watch of its project armed
    before it, reused while none of the project's files changes. Kept only while the kernel
    watches (inotify: no change can hide in a timestamp's granularity), keyed by what else a parse
    reads (_parse_key). at_most: a manifest is tens of megabytes, and each kept watch is one of
    the user's inotify instances."""

    def __init__(self, at_most: int):
        self.at_most = at_most
        self._kept: dict[tuple, tuple[ProjectWatch, Any]] = {}

    def take(self, key: tuple) -> Any:
        """The manifest kept under key when no file of its project changed since its parse, else None."""
        kept = self._kept.pop(key, None)
        if kept is None:
            return None
        if kept[0].changed():
            kept[0].close()
            return None
        self._kept[key] = kept  # the newest used goes last
        return kept[1]

    def parse(self, key: tuple, project_dir: Path, argv: list[str]) -> Any:
        """dbt's result of the parse command argv, its manifest kept under key when it succeeded."""
        old = self._kept.pop(key, None)
        if old is not None:
            old[0].close()
        watch = ProjectWatch(project_dir, WATCHED)
        watch.rearm()  # before dbt reads the files: a change while it reads them is seen next time
        result = dbt_runner().invoke(argv)
        if not result.success or result.result is None or not watch.kernel:
            watch.close()
            return result
        self._kept[key] = (watch, result.result)
        while len(self._kept) > self.at_most:  # the oldest goes (dicts keep insertion order)
            self._kept.pop(next(iter(self._kept)))[0].close()
        return result


# The newest parse in this process, shared by the sessions that open the same project later
# (`status` asked again, a runner started again): a parse is most of their start-up. One only.
_PARSED = KeptParses(at_most=1)


class DbtSession:
    """dbt in-process, the manifest parsed once and reused while the project does not change
    (also by a later session of the same project in this process)."""

    def __init__(self, project_dir: Path, profiles_dir: Path, target: str | None):
        self.project_dir, self.profiles_dir, self.target = project_dir, profiles_dir, target
        self.manifest: Any = None
        self._watch = ProjectWatch(project_dir, WATCHED)  # whether a project file changed since the parse
        self._stale = True
        #: where dbt's console lines go (its errors: the invocations are --quiet); stdout when None.
        #: `streamleap run --json` keeps stdout for its reports and sends them to stderr.
        self.output: TextIO | None = None

    def _console(self) -> Any:
        # dbt's console logger takes sys.stdout when an invocation sets it up
        return redirect_stdout(self.output) if self.output is not None else nullcontext()

    def _args(self, *args: str) -> list[str]:
        return dbt_argv(list(args), self.project_dir, self.profiles_dir, self.target)

    def ensure_parsed(self) -> bool:
        """Parse when never parsed or when a project file changed; True when it parsed."""
        if self.manifest is not None and not self._stale and not self._watch.changed():
            return False
        self._watch.rearm()  # before the files are read: a change while dbt reads them is seen next time
        self._stale = True  # until a parse succeeds: a failed one is tried again next time
        key = _parse_key(self.project_dir, self.profiles_dir, self.target)
        # another session's parse, when nothing changed since (this session's watch is armed)
        manifest = _PARSED.take(key) if self._watch.kernel else None
        if manifest is None:
            with self._console():
                result = _PARSED.parse(key, self.project_dir, self._args("parse", "--quiet"))
            if not result.success or result.result is None:
                raise StreamleapError(f"dbt parse failed in {self.project_dir}: {first_line(result.exception)}")
            manifest = result.result
        self.manifest, self._stale = manifest, False
        return True

    def close(self) -> None:
        """Stops watching the project's files (the manifest stays)."""
        self._watch.close()

    def invoke(self, *args: str, callbacks: list[Callable[[Any], None]] | None = None) -> Any:
        self.ensure_parsed()
        with self._console():
            result = dbt_runner(self.manifest, callbacks).invoke(self._args(*args, *FAST_FLAGS))
        if not result.success:
            detail = first_line(result.exception)
            if result.exception is None and result.result is not None:
                failed = [r for r in getattr(result.result, "results", []) if str(r.status) in ("error", "fail")]
                if failed:
                    # a model's result names its node; a run-operation's (RunResultOutput) does not
                    node = getattr(failed[0], "node", None)
                    name = getattr(node, "name", None) or getattr(failed[0], "unique_id", None)
                    detail = f"{name}: {first_line(failed[0].message)}" if name else first_line(failed[0].message)
            locked = duckdb_lock(detail, self.project_dir)
            if locked is not None:
                raise locked
            raise StreamleapError(f"dbt {args[0]} failed: {detail}")
        return result


def duckdb_lock(text: str, project_dir: Path) -> StreamleapError | None:
    from streamleap.pipeline.relay import duckdb_lock_error

    m = re.search(r'Could not set lock on file "([^"]+)"', text)
    return duckdb_lock_error(text, m[1] if m else project_dir / "streamleap.duckdb") if m else None


# dbt's errors open with a header ("Runtime Error in model cart (models/cart.sql)"); the reason is below it
_DBT_ERROR_HEADER = re.compile(r"^[A-Z][A-Za-z ]*Error( in .+)?$")


def first_line(value: Any) -> str:
    """The line of a dbt error (or exception) that says what went wrong."""
    lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
    if not lines:
        return "see the dbt log"
    if len(lines) > 1 and _DBT_ERROR_HEADER.match(lines[0]):
        return f"{lines[0]}: {lines[1]}"
    return lines[0]
