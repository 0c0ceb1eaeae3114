"""The warehouse a project's dbt target points at, for the parts of streamleap that talk to it
directly (the relay, status): its kind, a DB-API connection, and the schema dbt builds in.

Credentials come from the project's own profiles.yml, rendered by dbt (env_var and all), so the
relay writes exactly where `dbt run` reads.
"""

from __future__ import annotations

import os
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamleap.errors import StreamleapError

LOCAL_KINDS = ("duckdb", "postgres")


@dataclass(frozen=True)
class Warehouse:
    kind: str  # duckdb | postgres | redshift
    target_name: str
    schema: str  # where dbt builds the models
    database: str
    credentials: Any

    @property
    def is_local(self) -> bool:
        return self.kind in LOCAL_KINDS

    @property
    def placeholder(self) -> str:
        return "?" if self.kind == "duckdb" else "%s"

    def connect(self):
        """A new DB-API connection (autocommit off)."""
        c = self.credentials
        if self.kind == "duckdb":
            import duckdb

            return duckdb.connect(str(c.path))
        if self.kind == "postgres":
            import psycopg2

            return psycopg2.connect(host=c.host, port=c.port, user=c.user, password=c.password or None,
                                    dbname=c.database, connect_timeout=10)
        if self.kind == "redshift":
            import redshift_connector

            return redshift_connector.connect(host=c.host, port=c.port, user=c.user, password=c.password,
                                              database=c.database)
        raise StreamleapError(f"target {self.target_name}: adapter {self.kind} is not supported; use duckdb, postgres or redshift")


def _profile_name(project_dir: Path) -> str:
    import yaml

    path = project_dir / "dbt_project.yml"
    if not path.is_file():
        raise StreamleapError(f"{project_dir}: not a dbt project (no dbt_project.yml); run `streamleap init {project_dir}` first")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(data.get("profile") or data.get("name") or "default")


def open_warehouse(project_dir: Path, target: str | None = None, profiles_dir: Path | None = None) -> Warehouse:
    """Render the project's profile for `target` (its default when None)."""
    from dbt.adapters.factory import load_plugin
    from dbt.config.profile import Profile, read_profile
    from dbt.exceptions import DbtProfileError, DbtProjectError
    from dbt.flags import get_flags, set_from_args
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    if not hasattr(get_flags(), "LOG_CACHE_EVENTS"):
        set_from_args(Namespace(LOG_CACHE_EVENTS=False), None)
    profiles_dir = profiles_dir or project_dir
    raw = read_profile(str(profiles_dir))
    if not raw:
        raise StreamleapError(f"{profiles_dir}: no profiles.yml; run `streamleap init {project_dir}` or pass --profiles-dir")
    name = _profile_name(project_dir)
    try:
        outputs = (raw.get(name) or {}).get("outputs") or {}
        chosen = target or None
        if chosen and chosen not in outputs:
            raise StreamleapError(f"--target {chosen}: profile {name} has no such target; targets: {', '.join(outputs) or 'none'}")
        for kind in {str(o.get("type")) for o in outputs.values() if isinstance(o, dict)}:
            load_plugin(kind)
        profile = Profile.from_raw_profiles(raw, name, _renderer(profiles_dir), target_override=chosen)
    except (DbtProfileError, DbtProjectError) as exc:
        raise StreamleapError(f"{profiles_dir / 'profiles.yml'}: {str(exc).strip().splitlines()[-1].strip()}") from exc
    c = profile.credentials
    return Warehouse(c.type, profile.target_name, c.schema, c.database, c)


def _renderer(profiles_dir: Path) -> Any:
    """A profile renderer whose ``flags.PROFILES_DIR`` is ``profiles_dir``, as dbt's own is when it
    runs with ``--profiles-dir`` (the generated profile keeps the DuckDB file next to itself)."""
    from dbt.config.renderer import ProfileRenderer

    renderer = ProfileRenderer({})
    flags = Namespace(**vars(renderer.context.get("flags") or Namespace()))
    flags.PROFILES_DIR = str(profiles_dir)
    renderer.context["flags"] = flags
    return renderer
