"""Is a live source ready for change capture (AWS DMS, or ``streamleap capture``)?

``check_source(url, tables)`` connects and runs every prerequisite check, returning one
``Check`` per check with whether it passed and, when not, the fix. Errors stop capture; warnings
are settings that work but lose something (full before images, binlog retention that is not set).

* MySQL / MariaDB: log_bin on, binlog_format=ROW, binlog_row_image=FULL, server_id >= 1, binlog
  retention >= 24 h (or never purged), no binlog compression, binlog_row_metadata=FULL (a warning:
  only ``streamleap capture`` needs it), binlog_checksum (a warning when it is not NONE: AWS DMS
  has asked for NONE, current DMS engines are not confirmed to need it, and ``streamleap capture``
  reads CRC32), the user's REPLICATION CLIENT / REPLICATION SLAVE grants.
* Postgres: wal_level=logical, max_replication_slots and max_wal_senders with room for one more,
  the user may replicate (REPLICATION, superuser or rds_replication), replica identity (one
  summary warning for the tables whose updates carry only the old key; an error for NOTHING, and
  for a table without a primary key whose updates would not be logged).
* Both: every configured table exists, and is planned with the rules of ``streamleap plan``
  (``plan_source``: a key, from the table or ``--key``; key columns not left out and not SUPER); a
  table plan refuses is a failed check with the plan's reason. ``--exclude-tables`` and
  ``--exclude-columns`` select as they do for plan. Columns of a type with no rule are kept as
  their text, and named in a warning.

The capture readers refuse to start with these same checks: ``MySQLReader`` on
``mysql_capture_checks`` (the binlog settings, and what its binlog reading needs on top),
``PostgresReader`` on ``replica_identity_checks`` for the tables it captures with ``--key``;
``not_ready_error`` is the one line that names what failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from streamleap.sources.ddl import select_tables
from streamleap.errors import StreamleapError, UnsupportedTypeError
from streamleap.model.mirror_plan import MirrorTable, exclude_tables as drop_excluded, plan_source
from streamleap.model.source_table import SourceTable
from streamleap.sources.connection import connect_source, driver_text
from streamleap.sources.introspect import read_source
from streamleap.model.type_mapping import map_type

DAY_SECONDS = 24 * 3600
SHOWN = 5  # tables named in a summary line before "and N more"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found
    fix: str = ""  # what to do when not ok
    severity: str = "error"  # 'error' stops capture; 'warning' is reported only

    def line(self) -> str:
        word = "ok" if self.ok else ("warning" if self.severity == "warning" else "FAILED")
        text = f"{word:<8}{self.name}: {self.detail}"
        return text + (f"; fix: {self.fix}" if not self.ok and self.fix else "")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def failed(checks: list[Check]) -> list[Check]:
    """The checks that stop capture."""
    return [c for c in checks if not c.ok and c.severity == "error"]


def check_source(url: str, tables: list[str] | None, keys: dict[str, tuple[str, ...]] | None = None,
                 exclude_tables: str | list[str] | None = None,
                 exclude_columns: list[tuple[str, str]] | None = None, *,
                 source_tables: list[SourceTable] | None = None) -> list[Check]:
    """Every prerequisite check for capturing ``tables`` (None: every table of the source, as
    ``streamleap capture`` reads without --tables) from the source at ``url``; ``keys``,
    ``exclude_tables`` and ``exclude_columns`` as ``plan`` takes them (``plan.parse_keys``,
    globs, ``plan.parse_column_exclusions``). ``source_tables``: the tables ``read_source(url,
    tables)`` gave, when the caller has read them already (capture reads the catalog once per
    start); otherwise they are read here."""
    dialect, conn, _masked = connect_source(url)
    try:
        if dialect == "postgres":
            checks = _postgres_checks(conn)
            identities = replica_identities(conn)
        else:
            checks = _mysql_checks(conn)
    finally:
        conn.close()
    found = source_tables if source_tables is not None else read_source(url)[1]
    table_checks, planned = _table_checks(found, tables, keys or {}, exclude_tables, exclude_columns or [])
    if dialect == "postgres":
        checks += replica_identity_checks(identities, [t for t, _mirror in planned])
    return checks + table_checks


def not_ready_error(bad: list[Check], source: str = "the source") -> StreamleapError:
    """One line naming every failed check with its fix (``source``: what to call the source)."""
    return StreamleapError(f"{source} is not set up for change capture: "
                           + " | ".join(f"{c.name}: {c.detail}" + (f"; fix: {c.fix}" if c.fix else "") for c in bad))


# --- tables -----------------------------------------------------------------------------------


def _table_checks(found: list[SourceTable], names: list[str] | None, keys: dict[str, tuple[str, ...]],
                  exclude_tables: str | list[str] | None,
                  exclusions: list[tuple[str, str]]) -> tuple[list[Check], list[tuple[SourceTable, MirrorTable]]]:
    """One check per named table: not found, refused by the plan (its reason), or planned (its
    key); and a warning naming the columns kept as text. Returns the planned tables too, each
    with the source table as it is (before a --key)."""
    checks: list[Check] = []
    selected: list[SourceTable] = list(found) if names is None else []  # None: every table
    pairs: list[tuple[SourceTable, MirrorTable]] = []
    for name in names or ():
        try:
            (table,) = select_tables(found, [name])
        except StreamleapError:
            checks.append(Check(f"table {name}", False, "not found in the source",
                                "create it, or fix the name in tables: (schema.table) or --tables"))
            continue
        if not any(t is table for t in selected):
            selected.append(table)
    selected = drop_excluded(selected, exclude_tables)
    plan = plan_source(selected, keys, exclusions)
    planned = {(t.source.schema, t.source.name): t for t in plan.tables}
    refused = {(r.schema, r.name): r for r in plan.refused}
    for table in selected:
        name = table.qualified_name
        mirror = planned.get((table.schema, table.name))
        if mirror is None:
            reason = refused[(table.schema, table.name)].reason
            checks.append(Check(f"table {name}", False, reason, _refusal_fix(reason, table)))
        else:
            pairs.append((table, mirror))
            how = "primary key" if tuple(mirror.primary_key) == tuple(table.primary_key) else "--key"
            checks.append(Check(f"table {name}", True, f"{how} (" + ", ".join(mirror.primary_key) + ")"))
    as_text = [f"{t.source.qualified_name}.{c}" for t in plan.tables for c in _kept_as_text(t)]
    if as_text:
        checks.append(Check("column types", False,
                            f"{_summary(as_text)}: {'a type' if len(as_text) == 1 else 'types'} streamleap has no "
                            "rule for, kept as text in the mirror (`streamleap plan` shows the note)",
                            "leave such a column out with --exclude-columns TABLE.COLUMN if its text is of no use",
                            "warning"))
    return checks, pairs


def _refusal_fix(reason: str, table: SourceTable) -> str:
    """What to do about a table the plan refuses; the plan's reason says what it would take."""
    if reason.startswith("no primary key"):
        return "add a PRIMARY KEY to the table (or use --key / --exclude-tables as the reason says)"
    return f"as the reason says, or leave the table out with --exclude-tables {table.qualified_name}"


def _kept_as_text(table: MirrorTable) -> list[str]:
    """The columns planned with the fallback for types streamleap has no rule for: 'name (type)'."""
    out = []
    for c in table.columns:
        try:
            map_type(c.source_type, table.source.dialect, enum_types=table.source.enum_types)
        except UnsupportedTypeError:
            out.append(f"{c.name} ({c.source_type})")
    return out


def _summary(names: list[str]) -> str:
    """'a, b, c' or 'a, b, c, d, e and 7 more'."""
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


# --- MySQL / MariaDB --------------------------------------------------------------------------


def mysql_variables(conn: Any) -> dict[str, str]:
    """The server's global variables, names in lower case."""
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES")
        return {driver_text(k).lower(): driver_text(v) for k, v in cur.fetchall()}


def _mysql_grants(conn: Any) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW GRANTS")
        return " ".join(driver_text(row[0]).upper() for row in cur.fetchall())


def _mysql_checks(conn: Any) -> list[Check]:
    """Every check of a MySQL / MariaDB source (``check_source``: AWS DMS and ``streamleap capture``)."""
    v = mysql_variables(conn)
    checks = _binlog_settings(v)
    checks.append(_rds_binlog_retention(conn) or _binlog_retention(v))
    checks += _binlog_compression(v)
    checks += _binlog_row_metadata(v, "warning")
    checks += _binlog_checksum(v)
    grants = _mysql_grants(conn)
    has_all = "ALL PRIVILEGES ON *.*" in grants
    for privilege in ("REPLICATION CLIENT", "REPLICATION SLAVE"):
        # MariaDB 10.5+ names REPLICATION CLIENT 'BINLOG MONITOR' and REPLICATION SLAVE 'REPLICATION SLAVE'
        aliases = {"REPLICATION CLIENT": ("REPLICATION CLIENT", "BINLOG MONITOR")}.get(privilege, (privilege,))
        ok = has_all or any(a in grants for a in aliases)
        checks.append(Check(f"grant {privilege}", ok, "granted" if ok else "not granted to this user",
                            f"GRANT {privilege} ON *.* TO the capture user"))
    return checks


def mysql_capture_checks(v: dict[str, str]) -> list[Check]:
    """The settings ``streamleap capture``'s binlog reader cannot do without, from ``v``
    (``mysql_variables``); ``MySQLReader`` refuses to start on any that fails. The same checks as
    ``check_source``'s, with what the reader needs on top: binlog_row_metadata=FULL is an error
    (the column names of every change; MariaDB 10.5+ / MySQL 8.0.14+), a setting the server does not
    have is one that fails, and MySQL's partial JSON updates (binlog_row_value_options) are refused:
    python-mysql-replication would skip events it cannot read without a trace."""
    checks = _binlog_settings(v, required=True) + _binlog_compression(v) + _binlog_row_metadata(v, "error", required=True)
    options = v.get("binlog_row_value_options")
    if options is not None:
        partial = "PARTIAL_JSON" in options.upper()
        checks.append(Check("binlog_row_value_options", not partial,
                            f"is {options}" + (", which `streamleap capture` cannot read" if partial else ""),
                            "SET GLOBAL binlog_row_value_options='' (and in the server configuration)"))
    return checks


def _expect(v: dict[str, str], name: str, want: str, fix: str, severity: str = "error",
            required: bool = False) -> list[Check]:
    """``name`` must be ``want``; a variable the server does not have is skipped (MySQL vs
    MariaDB), or fails when ``required``."""
    have = v.get(name)
    if have is None:
        return [Check(name, False, f"is not a setting of this server, must be {want}", fix, severity)] if required else []
    ok = have.upper() == want.upper()
    return [Check(name, ok, f"is {have}" + ("" if ok else f", must be {want}"), fix, severity)]


def _binlog_settings(v: dict[str, str], required: bool = False) -> list[Check]:
    """The binary log on, in ROW format with full rows; a server_id."""
    checks = [
        *_expect(v, "log_bin", "ON", "start the server with log-bin (on RDS: enable automated backups)",
                 required=required),
        *_expect(v, "binlog_format", "ROW",
                 "set binlog_format=ROW in the server configuration (RDS: parameter group) and restart", required=required),
        *_expect(v, "binlog_row_image", "FULL",
                 "set binlog_row_image=FULL in the server configuration (RDS: parameter group)", required=required),
    ]
    server_id = int(v.get("server_id", "0") or 0)
    checks.append(Check("server_id", server_id >= 1, f"is {server_id}" + ("" if server_id >= 1 else ", must be 1 or greater"),
                        "set server-id=1 (any unique number) in the server configuration and restart"))
    return checks


def _binlog_compression(v: dict[str, str]) -> list[Check]:
    """Compressed binlog events: MySQL's binlog_transaction_compression, MariaDB's log_bin_compress."""
    checks = []
    for name in ("binlog_transaction_compression", "log_bin_compress"):
        if name in v:
            off = v[name].upper() in ("OFF", "0")
            checks.append(Check(name, off, f"is {v[name]}" + ("" if off else ", must be OFF"),
                                f"set {name}=OFF (neither DMS nor `streamleap capture` can read compressed binlog events)"))
    return checks


def _binlog_row_metadata(v: dict[str, str], severity: str, required: bool = False) -> list[Check]:
    if required and "binlog_row_metadata" not in v:
        return [Check("binlog_row_metadata", False, "is not a setting of this server: `streamleap capture` needs "
                      "MariaDB 10.5+ or MySQL 8.0.14+ with binlog_row_metadata=FULL",
                      "upgrade the server, then set binlog_row_metadata=FULL", severity)]
    return _expect(v, "binlog_row_metadata", "FULL",
                   "set binlog_row_metadata=FULL: `streamleap capture` needs the column names in the binlog (DMS does not)",
                   severity)


def _binlog_checksum(v: dict[str, str]) -> list[Check]:
    """AWS DMS's MySQL source set-up has asked for binlog_checksum=NONE; that current DMS engines
    still need it is not confirmed, and `streamleap capture` (python-mysql-replication) reads CRC32
    events. So anything but NONE is a warning that says so, not a failure."""
    have = v.get("binlog_checksum")
    if have is None:
        return []
    if have.upper() == "NONE":
        return [Check("binlog_checksum", True, "is NONE")]
    return [Check("binlog_checksum", False,
                  f"is {have}: `streamleap capture` reads it; AWS DMS has asked for NONE, which current DMS "
                  "engines are not confirmed to need",
                  "keep it unless a DMS task fails on binlog checksums; then set binlog_checksum=NONE "
                  "(RDS: parameter group)", "warning")]


def _rds_binlog_retention(conn: Any) -> Check | None:
    """On Amazon RDS / Aurora MySQL the binlog is kept by 'binlog retention hours' (purged as soon
    as possible when unset), not by the server variables."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'")
            row = cur.fetchone()
    except Exception:  # noqa: BLE001 - not RDS: the server variables decide
        return None
    hours = int(driver_text(row[0])) if row and row[0] is not None else 0
    ok = hours >= 24
    return Check("binlog retention", ok, f"RDS binlog retention hours is {hours or 'not set'}"
                 + ("" if ok else ", must be at least 24"),
                 "CALL mysql.rds_set_configuration('binlog retention hours', 24)")


def _binlog_retention(v: dict[str, str]) -> Check:
    seconds: int | None = None
    if "binlog_expire_logs_seconds" in v:
        seconds = int(float(v["binlog_expire_logs_seconds"] or 0))
    if not seconds and "expire_logs_days" in v:
        seconds = int(float(v["expire_logs_days"] or 0) * DAY_SECONDS)
    fix = ("keep binary logs at least 24 hours: binlog_expire_logs_seconds=86400 or more "
           "(RDS: CALL mysql.rds_set_configuration('binlog retention hours', 24))")
    if not seconds:
        return Check("binlog retention", True, "binary logs are not purged automatically (watch the disk)")
    ok = seconds >= DAY_SECONDS
    return Check("binlog retention", ok, f"{seconds / 3600:g} hours" + ("" if ok else ", must be at least 24"), fix)


# --- Postgres ---------------------------------------------------------------------------------

_PG_SETTINGS = ("wal_level", "max_replication_slots", "max_wal_senders")


def _postgres_checks(conn: Any) -> list[Check]:
    with conn.cursor() as cur:
        cur.execute("SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY(%s)", (list(_PG_SETTINGS),))
        settings = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM pg_catalog.pg_replication_slots")
        slots_used = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM pg_catalog.pg_stat_replication")
        senders_used = cur.fetchone()[0]
        cur.execute(
            "SELECT r.rolsuper OR r.rolreplication OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles g "
            "WHERE g.rolname = 'rds_replication' AND pg_catalog.pg_has_role(r.oid, g.oid, 'member')) "
            "FROM pg_catalog.pg_roles r WHERE r.rolname = current_user"
        )
        may_replicate = bool(cur.fetchone()[0])
    checks = []
    wal = settings.get("wal_level", "")
    checks.append(Check("wal_level", wal == "logical", f"is {wal}" + ("" if wal == "logical" else ", must be logical"),
                        "ALTER SYSTEM SET wal_level = logical and restart (RDS: rds.logical_replication = 1)"))
    for name, used, what in (("max_replication_slots", slots_used, "slots in use"),
                             ("max_wal_senders", senders_used, "senders in use")):
        limit = int(settings.get(name, 0) or 0)
        ok = limit > used and limit >= 2
        checks.append(Check(name, ok, f"is {limit} with {used} {what}" + ("" if ok else ", need room for one more"),
                            f"ALTER SYSTEM SET {name} = {max(used + 2, 10)} and restart"))
    checks.append(Check("replication privilege", may_replicate,
                        "the user may replicate" if may_replicate else "the user has no REPLICATION attribute",
                        "ALTER ROLE <user> WITH REPLICATION (RDS: GRANT rds_replication TO <user>)"))
    return checks


def replica_identity_checks(identities: dict[tuple[str, str], str], tables: list[SourceTable]) -> list[Check]:
    """NOTHING (and DEFAULT on a table without a primary key: no key to log) loses updates and
    deletes, and Postgres refuses them on the source once the table is published: an error per
    table. DEFAULT / USING INDEX on a table with a key logs only the old key: one warning naming
    them all (capture prints it once per start, not once per table). ``tables`` as the source
    declares them (a table captured with --key has no primary key here); ``identities`` as
    ``replica_identities`` reads them."""
    checks: list[Check] = []
    key_only: list[str] = []
    key_only_sql: list[str] = []
    full = 0
    for t in tables:
        name, sql_name = t.qualified_name, _pg_name(t.schema, t.name)
        ident = identities.get((t.schema or "", t.name))
        fix = f"ALTER TABLE {sql_name} REPLICA IDENTITY FULL"
        if ident == "f":
            full += 1
        elif ident == "n":
            checks.append(Check(f"replica identity {name}", False, "is NOTHING (updates and deletes are not logged)", fix))
        elif not t.primary_key and ident != "i":
            checks.append(Check(f"replica identity {name}", False,
                                "is DEFAULT on a table without a primary key: updates and deletes are not logged (and "
                                "fail on the source once the table is in a publication)", fix))
        else:
            key_only.append(name)
            key_only_sql.append(sql_name)
    if key_only:
        n = len(key_only)
        checks.append(Check("replica identity", False,
                            f"DEFAULT on {n} table{'s' if n != 1 else ''} ({_summary(key_only)}): updates carry only "
                            "the old key as before-image (enough for the mirrors; an unchanged large value is read "
                            "from the table by key)",
                            f"ALTER TABLE {key_only_sql[0] if n == 1 else '...'} REPLICA IDENTITY FULL for full before images",
                            "warning"))
    elif full:
        checks.append(Check("replica identity", True, f"FULL on {'the' if full == 1 else 'all'} {full} table{'s' if full != 1 else ''}"))
    return checks


def replica_identities(conn: Any) -> dict[tuple[str, str], str]:
    """``relreplident`` of every table: (schema, name) -> d (default), n (nothing), f (full), i (index)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT n.nspname, c.relname, c.relreplident FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
        )
        return {(schema, name): driver_text(ident) for schema, name, ident in cur.fetchall()}


def _pg_name(schema: str | None, name: str) -> str:
    from sqlglot import exp

    parts = [exp.to_identifier(p, quoted=True).sql(dialect="postgres") for p in (schema, name) if p]
    return ".".join(parts)
