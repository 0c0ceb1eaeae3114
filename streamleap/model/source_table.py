"""The model of a source table: what streamleap knows about a MySQL or Postgres table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DIALECTS = ("mysql", "postgres")


@dataclass(frozen=True)
class SourceColumn:
    """One column as the source declares it.

    ``source_type`` is the type as written in the source, lower-cased and with whitespace
    folded (``varchar(255)``, ``bigint unsigned``, ``timestamp with time zone``, ``integer[]``,
    ``enum('a','b')``). Names are kept exactly as in the source (case, unicode, quotes).
    A column declared with a Postgres domain has the domain's base type here (``domain`` names
    the domain) and is NOT NULL when the domain is.
    """

    name: str
    source_type: str
    nullable: bool = True
    # "stored" or "virtual" for a generated column (GENERATED ALWAYS AS (...) / AS (...)), else None
    generated: str | None = None
    # the Postgres domain the column was declared with (format_type() form, e.g. ``year``);
    # ``source_type`` is then the domain's base type, resolved through nested domains
    domain: str | None = None


@dataclass(frozen=True)
class SourceTable:
    """A source table: schema (database in MySQL), name, ordered columns and primary key.

    A declaratively partitioned Postgres table (``PARTITION BY``) is one table: ``partitioned``
    is set and ``partitions`` names every partition below it, at every level, as (schema, name).
    Its changes arrive under those names (DMS reads partitions as tables of their own) and are
    applied to this table's mirror. Partitions are never tables of their own in a source list.
    Inheritance children (``INHERITS``) are ordinary tables: their rows are theirs alone (read
    a parent with ``FROM ONLY``).
    """

    schema: str | None
    name: str
    columns: tuple[SourceColumn, ...]
    primary_key: tuple[str, ...] = ()
    dialect: str = "postgres"
    # user-defined enum types seen in the DDL (postgres CREATE TYPE ... AS ENUM), by name
    enum_types: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    partitioned: bool = False
    partitions: tuple[tuple[str | None, str], ...] = ()

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> SourceColumn:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def with_key(self, key: tuple[str, ...]) -> SourceTable:
        return replace(self, primary_key=tuple(key))
