"""Running dbt in-process."""

from __future__ import annotations

from pathlib import Path

from streamleap.errors import StreamleapError


def run_dbt(args: list[str], project_dir: Path, profiles_dir: Path | None = None, target: str | None = None):
    """Invoke dbt with dbtRunner; raise StreamleapError with dbt's message when it fails."""
    from dbt.cli.main import dbtRunner

    argv = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir or project_dir)]
    if target and args and args[0] not in ("deps", "clean"):
        argv += ["--target", target]
    result = dbtRunner().invoke(argv)
    if not result.success:
        detail = str(result.exception).splitlines()[0] if result.exception else "see the dbt log above"
        raise StreamleapError(f"dbt {' '.join(args)} failed in {project_dir}: {detail}")
    return result
