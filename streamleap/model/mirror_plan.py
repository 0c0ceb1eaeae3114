"""The mirror design: what streamleap builds for each source table, before anything is created."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace

from streamleap.errors import MissingPrimaryKeyError, StreamleapError, UnsupportedTypeError
from streamleap.model.source_table import SourceTable
from streamleap.model.type_mapping import TargetType, map_type

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
class LeftOut:
    """A source column the mirror does not carry, and why (an exclusion, a generated column)."""

    name: str
    reason: str

    def to_json(self) -> dict:
        return {"name": self.name, "reason": self.reason}


# What a mirror model does with a delete (its config streamleap_mode; the dbt package's mirror_modes):
# mirror removes the row (a Type-1 table), soft_delete keeps it, flagged; history keeps a row per
# version, with dbt snapshots' columns (HISTORY_COLUMNS).
MODES = ("mirror", "soft_delete", "history")
HISTORY_COLUMNS = ("dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_updated_at", "dbt_is_deleted", "_streamleap_is_current")


@dataclass(frozen=True)
class MirrorTable:
    source: SourceTable
    model_name: str
    columns: tuple[MirrorColumn, ...]
    left_out: tuple[LeftOut, ...] = ()
    mode: str = "mirror"

    @property
    def primary_key(self) -> tuple[str, ...]:
        return self.source.primary_key

    def to_json(self) -> dict:
        out: dict = {
            "schema": self.source.schema,
            "name": self.source.name,
            "primary_key": list(self.primary_key),
            "model": self.model_name,
            "mode": self.mode,
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
        if self.left_out:
            out["left_out"] = [c.to_json() for c in self.left_out]
        if self.source.partitions:
            out["partitions"] = [{"schema": s, "name": n} for s, n in self.source.partitions]
        return out

    def table_spec(self, stream_schema: str, record_format: dict | None = None) -> dict:
        """The model config ``streamleap_table``. It always names the source schema: the dbt
        package applies the records whose schema-name and table-name are the spec's, and a spec
        without a schema would take a same-named table's records from every schema."""
        if not self.source.schema:
            raise StreamleapError(
                f"table {self.source.name} has no source schema: its mirror would take the records of every schema with a "
                "table of this name; give --source-schema (the Postgres schema / MySQL database the table is in)")
        spec: dict = {
            "schema": self.source.schema,
            "table": self.source.name,
            "stream_schema": stream_schema,
            "columns": [c.spec() for c in self.columns],
        }
        if record_format:
            # the records' format, and how each column's values are encoded in it
            spec["format"] = record_format
            if record_format["name"] == "debezium":
                from streamleap.records.debezium import column_encoding

                for column, entry in zip(self.columns, spec["columns"], strict=True):
                    entry["encoding"] = column_encoding(column.name, column.source_type, self.source.dialect,
                                                        record_format.get("decimal_handling", "precise"))
        if self.source.partitions:
            # records DMS writes under a partition's name belong to this mirror
            spec["partitions"] = [{"schema": s, "table": n} for s, n in self.source.partitions]
        return spec


@dataclass(frozen=True)
class Refusal:
    """A selected table streamleap cannot mirror as it is, with the reason and the fix."""

    schema: str | None
    name: str
    reason: str

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def to_json(self) -> dict:
        return {"schema": self.schema, "name": self.name, "reason": self.reason}


@dataclass
class SourcePlan:
    """What ``plan`` shows: every selected table, mirrored or refused (never one at a time)."""

    tables: list[MirrorTable] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"tables": [t.to_json() for t in self.tables], "refused": [r.to_json() for r in self.refused]}

    def raise_if_refused(self) -> None:
        """One line naming every refused table (``generate`` builds nothing then)."""
        if not self.refused:
            return
        shown = "; ".join(f"{r.qualified_name}: {r.reason}" for r in self.refused[:20])
        more = f"; and {len(self.refused) - 20} more (streamleap plan lists them)" if len(self.refused) > 20 else ""
        first = self.refused[0]
        error = MissingPrimaryKeyError if all(r.reason.startswith("no primary key") for r in self.refused) else StreamleapError
        raise error(
            f"{len(self.refused)} selected table(s) cannot be mirrored: {shown}{more}; fix them, or leave them out "
            f"with --exclude-tables (e.g. --exclude-tables {first.qualified_name})"
        )


# --- selections ---------------------------------------------------------------------------------


def _split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def exclude_tables(tables: list[SourceTable], patterns: str | list[str] | None) -> list[SourceTable]:
    """``tables`` without those matching a glob (``audit_*``, ``public.tmp_*``, ``*.log``) on
    ``table`` or ``schema.table``; case-sensitive first, a pattern with no exact-case match is
    tried ignoring case (MySQL names). A pattern that matches nothing is an error."""
    wanted = _split_list(patterns) if isinstance(patterns, str) or patterns is None else list(patterns)
    if not wanted:
        return list(tables)
    dropped: set[int] = set()
    for pattern in wanted:
        hits = tables_matching(tables, pattern)
        if not hits:
            raise StreamleapError(
                f"--exclude-tables {pattern!r} matches no table; use a glob on table or schema.table, e.g. 'audit_*' or 'public.tmp_*'"
            )
        dropped.update(hits)
    return [t for i, t in enumerate(tables) if i not in dropped]


def tables_matching(tables: list[SourceTable], pattern: str) -> set[int]:
    for fold in (False, True):
        pat = pattern.casefold() if fold else pattern
        hits = {
            i for i, t in enumerate(tables)
            if any(fnmatch.fnmatchcase(n.casefold() if fold else n, pat) for n in (t.name, t.qualified_name))
        }
        if hits:
            return hits
    return set()


def parse_column_exclusions(value: str | list[str] | None) -> list[tuple[str, str]]:
    """``--exclude-columns table.column[,schema.table.column]`` into (table pattern, column
    pattern) pairs; the column is what follows the last dot, globs allowed on both."""
    items = _split_list(value) if isinstance(value, str) or value is None else list(value)
    pairs: list[tuple[str, str]] = []
    for item in items:
        table, dot, column = item.rpartition(".")
        if not dot or not table or not column:
            raise StreamleapError(
                f"--exclude-columns {item!r}: expected TABLE.COLUMN (or SCHEMA.TABLE.COLUMN), e.g. --exclude-columns customer.email"
            )
        pairs.append((table, column))
    return pairs


def excluded_columns(table: SourceTable, exclusions: list[tuple[str, str]]) -> set[str]:
    """The names of ``table``'s columns that ``exclusions`` leave out."""
    out: set[str] = set()
    for table_pat, column_pat in exclusions:
        if not any(fnmatch.fnmatchcase(n, table_pat) or fnmatch.fnmatchcase(n.casefold(), table_pat.casefold())
                   for n in (table.name, table.qualified_name)):
            continue
        for c in table.columns:
            if fnmatch.fnmatchcase(c.name, column_pat) or fnmatch.fnmatchcase(c.name.casefold(), column_pat.casefold()):
                out.add(c.name)
    return out


def check_exclusions_used(tables: list[SourceTable], exclusions: list[tuple[str, str]]) -> None:
    """An --exclude-columns item that names no column of any selected table is an error (a typo
    would otherwise let a PII column through)."""
    for table_pat, column_pat in exclusions:
        if not any(excluded_columns(t, [(table_pat, column_pat)]) for t in tables):
            raise StreamleapError(
                f"--exclude-columns {table_pat}.{column_pat}: no selected table has such a column; check the table and column names"
            )


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


_GENERATED_NOTE = {
    "postgres": "generated column: Postgres logical replication before version 18 and DMS do not send its values; "
                "left out of the mirror (compute it in a dbt model from the other columns)",
    "mysql": "virtual generated column: computed when read, and DMS does not document sending it; "
             "left out of the mirror (compute it in a dbt model)",
}


def _left_out(table: SourceTable, excluded: set[str]) -> list[LeftOut]:
    out: list[LeftOut] = []
    for c in table.columns:
        if c.name in excluded:
            out.append(LeftOut(c.name, "excluded with --exclude-columns"))
        elif c.generated and (table.dialect == "postgres" or c.generated == "virtual"):
            out.append(LeftOut(c.name, _GENERATED_NOTE[table.dialect]))
    return out


def _plan_one(table: SourceTable, keys: dict[str, tuple[str, ...]], exclusions: list[tuple[str, str]],
              taken: set[str]) -> MirrorTable | Refusal:
    override = _key_for(table, keys)
    if override:
        missing = [c for c in override if c not in [col.name for col in table.columns]]
        if missing:
            return Refusal(table.schema, table.name,
                           f"--key names no column {missing[0]!r}; columns are {', '.join(c.name for c in table.columns)}")
        table = table.with_key(override)
    if not table.primary_key:
        return Refusal(table.schema, table.name,
                       f"no primary key: CDC needs a key to apply updates and deletes; name one with --key {table.name}=COLUMN[,COLUMN] "
                       "or leave the table out with --exclude-tables")
    left_out = _left_out(table, excluded_columns(table, exclusions))
    dropped = {c.name for c in left_out}
    for k in table.primary_key:
        if k in dropped:
            why = next(c.reason for c in left_out if c.name == k)
            return Refusal(table.schema, table.name, f"key column {k} is left out ({why}); a mirror needs its key columns")
    columns: list[MirrorColumn] = []
    for c in table.columns:
        if c.name in dropped:
            continue
        try:
            target = map_type(c.source_type, table.dialect, table=table.qualified_name, column=c.name,
                              enum_types=table.enum_types, fallback=True)
        except UnsupportedTypeError as exc:
            return Refusal(table.schema, table.name, f"column {c.name}: type {c.source_type!r} cannot be read ({exc.hint}); "
                                                     f"leave the column out with --exclude-columns {table.name}.{c.name}")
        if c.domain:
            target = _with_note(target, f"domain {c.domain} over {c.source_type}")
        if c.name in table.primary_key and target.family == "super":
            return Refusal(table.schema, table.name,
                           f"key column {c.name}: type {c.source_type} maps to SUPER, which cannot be a key; choose another key with --key")
        columns.append(MirrorColumn(c.name, c.source_type, c.nullable and c.name not in table.primary_key, target))
    return MirrorTable(table, model_name_for(table, taken), tuple(columns), tuple(left_out))


def _with_note(target: TargetType, note: str) -> TargetType:
    return replace(target, note=f"{note}; {target.note}" if target.note else note)


def plan_source(
    tables: list[SourceTable],
    keys: dict[str, tuple[str, ...]] | None = None,
    exclude_columns: list[tuple[str, str]] | None = None,
) -> SourcePlan:
    """Map every column of every table; tables that cannot be mirrored are refused with the reason.

    Raises only for input that names nothing (an --exclude-columns item matching no column).
    """
    keys = keys or {}
    exclusions = exclude_columns or []
    check_exclusions_used(tables, exclusions)
    result = SourcePlan()
    taken: set[str] = set()
    for table in tables:
        planned = _plan_one(table, keys, exclusions, taken)
        if isinstance(planned, Refusal):
            result.refused.append(planned)
        else:
            result.tables.append(planned)
    return result


def plan_tables(
    tables: list[SourceTable],
    keys: dict[str, tuple[str, ...]] | None = None,
    exclude_columns: list[tuple[str, str]] | None = None,
) -> list[MirrorTable]:
    """The mirrors of ``tables``; raises one StreamleapError line naming every refused table."""
    result = plan_source(tables, keys, exclude_columns)
    result.raise_if_refused()
    return result.tables


def _checked_mode(mode: str, where: str) -> str:
    if mode not in MODES:
        raise StreamleapError(f"{where}: unknown mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def with_modes(tables: list[MirrorTable], default: str = "mirror", mode_for: str | None = None) -> list[MirrorTable]:
    """The tables with their modes: ``default`` (--mode) for every table, and the per-table
    overrides of ``mode_for`` (--mode-for TABLE=MODE[+MODE][,TABLE=...]; TABLE as the source names
    it, schema-qualified or not, or its model's name). A table given several modes gets a model
    for each, from the same stream: the first keeps the model's name, the others are named
    <model>_<mode> (cart and cart_soft_delete). Raises one line for an unknown mode, a table that
    is not among ``tables``, or a model name that is taken."""
    _checked_mode(default, "--mode")
    chosen: dict[str, list[str]] = {}
    for item in _split_list(mode_for):
        name, sep, given = item.rpartition("=")
        if not sep or not name.strip() or not given.strip():
            raise StreamleapError(f"--mode-for {item!r}: write TABLE=MODE, e.g. --mode-for orders=soft_delete")
        name = name.strip()
        matches = [t for t in tables if name in (t.source.qualified_name, t.source.name, t.model_name)]
        if not matches:
            raise StreamleapError(f"--mode-for {item!r}: no selected table is called {name}; "
                                  f"the tables are {', '.join(t.source.qualified_name for t in tables[:10])}"
                                  + (" ..." if len(tables) > 10 else ""))
        wanted = [_checked_mode(m.strip(), f"--mode-for {item!r}") for m in given.split("+")]
        if len(set(wanted)) != len(wanted):
            raise StreamleapError(f"--mode-for {item!r}: a mode is named twice")
        for t in matches:
            chosen[t.model_name] = wanted
    taken = {t.model_name.lower() for t in tables}
    out: list[MirrorTable] = []
    for t in tables:
        its_modes = chosen.get(t.model_name, [default])
        clash = sorted({c.name for c in t.columns if c.name.lower() in HISTORY_COLUMNS}) if "history" in its_modes else []
        if clash:
            raise StreamleapError(f"{t.source.qualified_name}: column {clash[0]} is also a history column; give the history model "
                                  "other names with its config snapshot_meta_column_names, or choose another mode for this table")
        out.append(replace(t, mode=its_modes[0]))
        for mode in its_modes[1:]:
            name = f"{t.model_name}_{mode}"
            if name.lower() in taken:
                raise StreamleapError(f"--mode-for: the {mode} model of {t.source.qualified_name} would be called {name}, "
                                      "which another table's model is; leave that mode out or that table out")
            taken.add(name.lower())
            out.append(replace(t, mode=mode, model_name=name))
    return out
