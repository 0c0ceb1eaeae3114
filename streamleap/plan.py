"""The mirror design: what streamleap builds for each source table, before anything is created."""

from __future__ import annotations

import re
from dataclasses import dataclass

from streamleap.errors import MissingPrimaryKeyError, StreamleapError
from streamleap.schema import SourceTable
from streamleap.types import TargetType, map_type

# dbt model names become file names and relation identifiers: keep them plain.
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class MirrorColumn:
    name: str
    source_type: str
    nullable: bool
    target: TargetType

    def spec(self) -> dict:
        """The column as the dbt package reads it (model config streamleap_table.columns)."""
        out: dict = {
            "name": self.name,
            "family": self.target.family,
            "types": {"redshift": self.target.redshift, "duckdb": self.target.duckdb, "postgres": self.target.postgres},
        }
        if self.target.max_bytes is not None:
            out["max_bytes"] = self.target.max_bytes
        if self.target.precision is not None:
            out["precision"] = self.target.precision
            out["scale"] = self.target.scale
        return out


@dataclass(frozen=True)
class MirrorTable:
    source: SourceTable
    model_name: str
    columns: tuple[MirrorColumn, ...]

    @property
    def primary_key(self) -> tuple[str, ...]:
        return self.source.primary_key

    def to_json(self) -> dict:
        return {
            "schema": self.source.schema,
            "name": self.source.name,
            "primary_key": list(self.primary_key),
            "model": self.model_name,
            "columns": [
                {
                    "name": c.name,
                    "source_type": c.source_type,
                    "redshift_type": c.target.redshift,
                    "nullable": c.nullable,
                    **({"note": c.target.note} if c.target.note else {}),
                }
                for c in self.columns
            ],
        }

    def table_spec(self, stream_schema: str) -> dict:
        return {
            "schema": self.source.schema,
            "table": self.source.name,
            "stream_schema": stream_schema,
            "columns": [c.spec() for c in self.columns],
        }


def parse_keys(values: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    """--key TABLE=COL[,COL] (repeatable) into {table: (cols)}."""
    keys: dict[str, tuple[str, ...]] = {}
    for value in values:
        table, sep, cols = value.partition("=")
        columns = tuple(c.strip() for c in cols.split(",") if c.strip())
        if not sep or not table.strip() or not columns:
            raise StreamleapError(f"--key {value!r}: expected TABLE=COLUMN[,COLUMN], e.g. --key cart=id")
        keys[table.strip()] = columns
    return keys


def _key_for(table: SourceTable, keys: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    for name in (table.qualified_name, table.name):
        if name in keys:
            return keys[name]
    return None


def model_name_for(table: SourceTable, taken: set[str]) -> str:
    """The mirror model's name: the source table's name, made a plain identifier if needed."""
    base = table.name if _PLAIN_NAME.match(table.name) else re.sub(r"[^A-Za-z0-9_]+", "_", table.name).strip("_") or "table"
    if base[0].isdigit():
        base = "t_" + base
    name = base
    if name.lower() in taken and table.schema:
        name = re.sub(r"[^A-Za-z0-9_]+", "_", f"{table.schema}__{base}")
    n = 2
    while name.lower() in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name.lower())
    return name


def plan_tables(tables: list[SourceTable], keys: dict[str, tuple[str, ...]] | None = None) -> list[MirrorTable]:
    """Map every column, check every table has a key. Raises StreamleapError with one line."""
    keys = keys or {}
    planned: list[MirrorTable] = []
    taken: set[str] = set()
    for table in tables:
        override = _key_for(table, keys)
        if override:
            missing = [c for c in override if c not in [col.name for col in table.columns]]
            if missing:
                raise StreamleapError(
                    f"--key for {table.qualified_name}: no column {missing[0]!r}; columns are {', '.join(c.name for c in table.columns)}"
                )
            table = table.with_key(override)
        if not table.primary_key:
            raise MissingPrimaryKeyError(
                f"table {table.qualified_name} has no primary key: CDC needs a key to apply updates and deletes; "
                f"name one with --key {table.name}=COLUMN[,COLUMN]"
            )
        columns = tuple(
            MirrorColumn(
                c.name,
                c.source_type,
                c.nullable and c.name not in table.primary_key,
                map_type(c.source_type, table.dialect, table=table.qualified_name, column=c.name, enum_types=table.enum_types),
            )
            for c in table.columns
        )
        for c in columns:
            if c.name in table.primary_key and c.target.family == "super":
                raise StreamleapError(
                    f"table {table.qualified_name}, key column {c.name}: type {c.source_type} maps to SUPER, which cannot be a key; choose another key with --key"
                )
        planned.append(MirrorTable(table, model_name_for(table, taken), columns))
    return planned
