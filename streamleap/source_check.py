"""Is a live source ready for change capture (AWS DMS, or ``streamleap capture``)?

``check_source(url, tables)`` connects and runs every prerequisite check, returning one
``Check`` per check with whether it passed and, when not, the fix. Errors stop capture; warnings
are settings that work but lose something (full before images, binlog retention that is not set).

* MySQL / MariaDB: log_bin on, binlog_format=ROW, binlog_row_image=FULL, server_id >= 1, binlog
  retention >= 24 h (or never purged), no binlog compression, binlog_checksum=NONE (warning:
  older DMS engines need it), the user's REPLICATION CLIENT / REPLICATION SLAVE grants.
* Postgres: wal_level=logical, max_replication_slots and max_wal_senders with room for one more,
  the user may replicate (REPLICATION, superuser or rds_replication), replica identity.
* Both: every configured table exists and has a primary key (DMS drops UPDATE and DELETE of a
  table without one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from streamleap.ddl import select_tables
from streamleap.errors import StreamleapError
from streamleap.introspect import connect_source, read_source

DAY_SECONDS = 24 * 3600


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


def check_source(url: str, tables: list[str]) -> list[Check]:
    """Every prerequisite check for capturing ``tables`` from the source at ``url``."""
    dialect, conn, _masked = connect_source(url)
    try:
        if dialect == "postgres":
            checks = _postgres_checks(conn, url, tables)
        else:
            checks = _mysql_checks(conn)
    finally:
        conn.close()
    return checks + _table_checks(url, tables, dialect)


def raise_unless_ready(url: str, tables: list[str]) -> list[Check]:
    """Raise StreamleapError naming every failed check (with its fix); return the warnings."""
    checks = check_source(url, tables)
    bad = failed(checks)
    if bad:
        raise StreamleapError("the source is not set up for change capture: "
                              + " | ".join(f"{c.name}: {c.detail}; fix: {c.fix}" for c in bad))
    return [c for c in checks if not c.ok]


# --- tables -----------------------------------------------------------------------------------


def _table_checks(url: str, names: list[str], dialect: str) -> list[Check]:
    _dialect, found = read_source(url)
    checks = []
    for name in names:
        try:
            (table,) = select_tables(found, [name])
        except StreamleapError:
            checks.append(Check(f"table {name}", False, "not found in the source",
                                "create it, or fix the name in tables: (schema.table)"))
            continue
        if table.primary_key:
            checks.append(Check(f"table {name}", True, "primary key (" + ", ".join(table.primary_key) + ")"))
        else:
            checks.append(Check(f"table {name}", False, "has no primary key (updates and deletes would be lost)",
                                "add a PRIMARY KEY to the table"))
    return checks


# --- MySQL / MariaDB --------------------------------------------------------------------------


def _mysql_variables(conn: Any) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES")
        return {_text(k).lower(): _text(v) for k, v in cur.fetchall()}


def _mysql_grants(conn: Any) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW GRANTS")
        return " ".join(_text(row[0]).upper() for row in cur.fetchall())


def _mysql_checks(conn: Any) -> list[Check]:
    v = _mysql_variables(conn)
    checks = []

    def expect(name: str, want: str, fix: str, severity: str = "error") -> None:
        have = v.get(name)
        if have is None:
            return  # not this server's variable (MySQL vs MariaDB)
        ok = have.upper() == want.upper()
        checks.append(Check(name, ok, f"is {have}" + ("" if ok else f", must be {want}"), fix, severity))

    expect("log_bin", "ON", "start the server with log-bin (on RDS: enable automated backups)")
    expect("binlog_format", "ROW", "set binlog_format=ROW in the server configuration (RDS: parameter group) and restart")
    expect("binlog_row_image", "FULL", "set binlog_row_image=FULL in the server configuration (RDS: parameter group)")
    server_id = int(v.get("server_id", "0") or 0)
    checks.append(Check("server_id", server_id >= 1, f"is {server_id}" + ("" if server_id >= 1 else ", must be 1 or greater"),
                        "set server-id=1 (any unique number) in the server configuration and restart"))
    checks.append(_rds_binlog_retention(conn) or _binlog_retention(v))
    for name in ("binlog_transaction_compression", "log_bin_compress"):
        if name in v:
            off = v[name].upper() in ("OFF", "0")
            checks.append(Check(name, off, f"is {v[name]}" + ("" if off else ", must be OFF"),
                                f"set {name}=OFF (DMS cannot read compressed binlog events)"))
    expect("binlog_row_metadata", "FULL",
           "set binlog_row_metadata=FULL: `streamleap capture` needs the column names in the binlog (DMS does not)",
           "warning")
    expect("binlog_checksum", "NONE",
           "set binlog_checksum=NONE if your DMS engine is older than 3.4 (newer engines read CRC32)", "warning")
    grants = _mysql_grants(conn)
    has_all = "ALL PRIVILEGES ON *.*" in grants
    for privilege in ("REPLICATION CLIENT", "REPLICATION SLAVE"):
        # MariaDB 10.5+ names REPLICATION CLIENT 'BINLOG MONITOR' and REPLICATION SLAVE 'REPLICATION SLAVE'
        aliases = {"REPLICATION CLIENT": ("REPLICATION CLIENT", "BINLOG MONITOR")}.get(privilege, (privilege,))
        ok = has_all or any(a in grants for a in aliases)
        checks.append(Check(f"grant {privilege}", ok, "granted" if ok else "not granted to this user",
                            f"GRANT {privilege} ON *.* TO the capture user"))
    return checks


def _rds_binlog_retention(conn: Any) -> Check | None:
    """On Amazon RDS / Aurora MySQL the binlog is kept by 'binlog retention hours' (purged as soon
    as possible when unset), not by the server variables."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'")
            row = cur.fetchone()
    except Exception:  # noqa: BLE001 - not RDS: the server variables decide
        return None
    hours = int(_text(row[0])) if row and row[0] is not None else 0
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


def _postgres_checks(conn: Any, url: str, tables: list[str]) -> list[Check]:
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
        identities = _replica_identities(cur)
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
    _dialect, found = read_source(url)
    for name in tables:
        try:
            (table,) = select_tables(found, [name])
        except StreamleapError:
            continue  # reported by the table checks
        ident = identities.get((table.schema, table.name))
        if ident == "f":
            checks.append(Check(f"replica identity {name}", True, "FULL"))
        elif ident == "n":
            checks.append(Check(f"replica identity {name}", False, "is NOTHING (updates and deletes are not logged)",
                                f"ALTER TABLE {_pg_name(table.schema, table.name)} REPLICA IDENTITY FULL"))
        else:
            checks.append(Check(f"replica identity {name}", False,
                                "is DEFAULT: before images carry only the key columns",
                                f"ALTER TABLE {_pg_name(table.schema, table.name)} REPLICA IDENTITY FULL "
                                "for whole before images", "warning"))
    return checks


def _replica_identities(cur: Any) -> dict[tuple[str, str], str]:
    cur.execute(
        "SELECT n.nspname, c.relname, c.relreplident FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
    )
    return {(schema, name): _text(ident) for schema, name, ident in cur.fetchall()}


def _pg_name(schema: str | None, name: str) -> str:
    from sqlglot import exp

    parts = [exp.to_identifier(p, quoted=True).sql(dialect="postgres") for p in (schema, name) if p]
    return ".".join(parts)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else str(value)
