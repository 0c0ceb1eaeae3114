"""Which tables capture reads, with which key, and which of their columns it never sends.

The rules are the mirrors' (``streamleap.model.mirror_plan``): a ``--key`` names the key of a table without a
primary key (and is the key of the records' partition key and before images); excluded columns
(``--exclude-columns``) and columns the mirror leaves out (Postgres generated columns, MySQL
VIRTUAL generated columns) are dropped from every record, snapshot and change, before anything
reaches Kinesis. With ``--project-dir`` the selection is read from the dbt project that
``streamleap generate`` wrote, so capture sends exactly what the mirrors hold.

A column added to a source table after capture started is sent (the mirrors pick it up after
``streamleap generate``), unless an ``--exclude-columns`` pattern names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from streamleap.errors import StreamleapError
from streamleap.model.source_table import SourceTable


@dataclass
class CaptureSelection:
    """``keys``: as ``plan.parse_keys`` gives them ({table or schema.table: columns});
    ``exclusions``: as ``plan.parse_column_exclusions`` gives them ((table, column) globs);
    ``omit``: per (schema, table), column names not to send (from a project)."""

    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclusions: list[tuple[str, str]] = field(default_factory=list)
    omit: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def key_for(self, table: SourceTable) -> tuple[str, ...] | None:
        for name in (table.qualified_name, table.name):
            if name in self.keys:
                return self.keys[name]
        return None

    def dropped(self, table: SourceTable) -> frozenset[str]:
        """The names of ``table``'s columns that are never sent."""
        from streamleap.model.mirror_plan import excluded_columns

        out = set(excluded_columns(table, self.exclusions)) if self.exclusions else set()
        out |= self.omit.get((table.schema or "", table.name), frozenset())
        for c in table.columns:
            # the plan's rule: Postgres generated columns are not in pgoutput (before 18) nor in
            # DMS's records, MySQL VIRTUAL ones are not stored; the mirror leaves both out
            if c.generated and (table.dialect == "postgres" or c.generated == "virtual"):
                out.add(c.name)
        return frozenset(out)

    def apply(self, tables: list[SourceTable]) -> list[tuple[SourceTable, frozenset[str]]]:
        """Each table as capture sends it (its key, only the columns sent), with the names dropped."""
        out = []
        for table in tables:
            key = self.key_for(table)
            if key and tuple(key) != tuple(table.primary_key):
                table = table.with_key(key)
            dropped = self.dropped(table)
            if dropped:
                table = replace(table, columns=tuple(c for c in table.columns if c.name not in dropped))
            out.append((table, dropped))
        return out


@dataclass(frozen=True)
class ProjectTable:
    schema: str | None
    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    partitions: tuple[tuple[str | None, str], ...] = ()

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table


def project_tables(project_dir: Path, stream: str) -> list[ProjectTable]:
    """The mirrors ``streamleap generate`` wrote for ``stream`` into ``project_dir``: the
    ``models/<stream folder>/<model>.yml`` files whose model config has ``streamleap_table``."""
    import yaml

    from streamleap.project.scaffold import StreamModels

    if not (project_dir / "dbt_project.yml").is_file():
        raise StreamleapError(f"--project-dir {project_dir}: not a dbt project (no dbt_project.yml); "
                              f"run `streamleap init {project_dir}` and `streamleap generate` first")
    folder = project_dir / "models" / StreamModels(stream, "kinesis").folder
    found: list[ProjectTable] = []
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise StreamleapError(f"{path}: cannot read it ({str(exc).splitlines()[0]}); "
                                  "run `streamleap generate` again to rewrite it") from None
        models = document.get("models") if isinstance(document, dict) else None
        for model in models if isinstance(models, list) else []:
            config = (model or {}).get("config") or {}
            spec = config.get("streamleap_table")
            if not isinstance(spec, dict):
                continue
            key = config.get("unique_key")
            key = (key,) if isinstance(key, str) else tuple(key or ())
            if not spec.get("schema"):
                # the dbt package matches such a spec's records on the table name alone: from every schema
                raise StreamleapError(f"{path}: model {model.get('name')}: its streamleap_table names no source schema, so "
                                      f"its mirror takes the records of table {spec.get('table')} from every schema; run "
                                      "`streamleap generate` again (with --source-schema for a MySQL file without USE)")
            try:
                found.append(ProjectTable(
                    spec.get("schema"), str(spec["table"]), tuple(str(k) for k in key),
                    tuple(str(c["name"]) for c in spec.get("columns") or []),
                    tuple((p.get("schema"), str(p["table"])) for p in spec.get("partitions") or [])))
            except (KeyError, TypeError, AttributeError):
                raise StreamleapError(f"{path}: model {model.get('name')}: its streamleap_table config is not as "
                                      "streamleap generate writes it; run `streamleap generate` again") from None
    if not found:
        raise StreamleapError(f"--project-dir {project_dir}: no mirror models of stream {stream} in {folder}; run "
                              f"`streamleap generate --project-dir {project_dir} --stream {stream} ...` first "
                              "(or check --stream)")
    return found


def selection_from_project(mirrors: list[ProjectTable], tables: list[SourceTable]) -> CaptureSelection:
    """Keys and columns of the project's mirrors for ``tables`` (the same tables, read from the
    source): a source column the mirror does not have is not sent."""
    by_name = {(m.schema or "", m.table): m for m in mirrors}
    selection = CaptureSelection()
    for table in tables:
        mirror = by_name.get((table.schema or "", table.name))
        if mirror is None:
            continue
        selection.keys[table.qualified_name] = mirror.key
        kept = set(mirror.columns)
        omit = frozenset(c.name for c in table.columns if c.name not in kept)
        if omit:
            selection.omit[(table.schema or "", table.name)] = omit
    return selection
