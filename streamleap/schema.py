"""The model of a source table: what streamleap knows about a MySQL or Postgres table."""

from __future__ import annotations

from dataclasses import dataclass, field

DIALECTS = ("mysql", "postgres")


@dataclass(frozen=True)
class SourceColumn:
    """One column as the source declares it.

    ``source_type`` is the type as written in the source, lower-cased and with whitespace
    folded (``varchar(255)``, ``bigint unsigned``, ``timestamp with time zone``, ``integer[]``,
    ``enum('a','b')``). Names are kept exactly as in the source (case, unicode, quotes).
    """

    name: str
    source_type: str
    nullable: bool = True


@dataclass(frozen=True)
class SourceTable:
    """A source table: schema (database in MySQL), name, ordered columns and primary key."""

    schema: str | None
    name: str
    columns: tuple[SourceColumn, ...]
    primary_key: tuple[str, ...] = ()
    dialect: str = "postgres"
    # user-defined enum types seen in the DDL (postgres CREATE TYPE ... AS ENUM), by name
    enum_types: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> SourceColumn:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def with_key(self, key: tuple[str, ...]) -> "SourceTable":
        return SourceTable(self.schema, self.name, self.columns, tuple(key), self.dialect, self.enum_types)
