"""Real source databases and real dumps of them, for the tests that read whole dump files.

Given the URL of a running server (the ``pg_url`` / ``mysql_url`` session fixtures of
tests/conftest.py), these helpers load a fixture SQL file (tests/fixtures/every_case/) into a
fresh database with the server's own client (``psql``, ``mariadb``: they understand ``$$``
bodies, ``BEGIN ATOMIC`` and ``DELIMITER``) and dump its schema with the real tools:

* ``pg_dump --schema-only`` (owners, grants, comments, ``\\restrict`` lines and all);
* ``mysqldump --no-data --routines --triggers --events --databases DB`` (MariaDB's client
  package provides it as ``mariadb-dump`` and ``mysqldump``), which writes the versioned
  ``/*!50001 ... */`` comments, ``DELIMITER ;;`` blocks, ``CREATE DATABASE`` and ``USE``.

No tests here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from streamleap.demo.local_postgres import _pg_bindir

FIXTURES = Path(__file__).parent / "fixtures" / "every_case"
POSTGRES_SQL = FIXTURES / "postgres.sql"
MARIADB_SQL = FIXTURES / "mariadb.sql"


class ToolMissing(RuntimeError):
    """A client tool (psql, pg_dump, mariadb, mysqldump) is not installed."""


@dataclass(frozen=True)
class Loaded:
    """A database filled from a fixture file, and its dump."""

    url: str         # the database's URL (for --source-url)
    database: str    # its name
    dump: str        # the dump tool's output
    tool: str        # the dump tool's version line


# --- tools ------------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client (``psql``, ``pg_dump``): the server's bin dir first, so the
    dump tool matches the server version."""
    bindir = _pg_bindir()
    if bindir is not None and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} not found: install Debian's postgresql-client package")
    return found


def mariadb_tool(*names: str) -> str:
    """The first of ``names`` installed (``mariadb-dump``/``mysqldump``, ``mariadb``/``mysql``)."""
    for name in names:
        found = shutil.which(name) or next(
            (p for p in (f"/usr/bin/{name}", f"/usr/local/bin/{name}") if os.access(p, os.X_OK)), None
        )
        if found:
            return found
    raise ToolMissing(f"none of {', '.join(names)} found: install Debian's mariadb-client package")


def tool_version(path: str) -> str:
    done = subprocess.run([path, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else path


def _run(args: list[str], *, env: dict[str, str] | None = None, stdin_path: Path | None = None) -> str:
    stdin = stdin_path.open("rb") if stdin_path else None
    try:
        done = subprocess.run(args, stdin=stdin, capture_output=True, env=env)
    finally:
        if stdin:
            stdin.close()
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1] + [a for a in args[1:] if 'password' not in a.lower()])} "
                           f"exited {done.returncode}:\n{err.strip()[-4000:]}")
    return out


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


# --- Postgres ---------------------------------------------------------------------------------


def _pg_admin(pg_url: str):
    import psycopg2

    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    return conn


def load_postgres(pg_url: str, database: str, sql: Path = POSTGRES_SQL) -> str:
    """A fresh database ``database`` on the server of ``pg_url`` (dropped first when it exists)
    filled by ``psql -v ON_ERROR_STOP=1 -f sql``; returns its URL."""
    conn = _pg_admin(pg_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{database}"')
    finally:
        conn.close()
    url = _with_database(pg_url, database)
    _run([pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(sql), url],
         env={**os.environ, "PGOPTIONS": "--client-min-messages=warning"})
    return url


def dump_postgres(db_url: str, *extra: str) -> str:
    """``pg_dump --schema-only`` of the database, as text."""
    return _run([pg_tool("pg_dump"), "--schema-only", *extra, db_url])


def drop_postgres(pg_url: str, database: str) -> None:
    conn = _pg_admin(pg_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        conn.close()


def postgres_every_case(pg_url: str, database: str = "every_case") -> Loaded:
    """tests/fixtures/every_case/postgres.sql loaded into ``database`` and dumped."""
    url = load_postgres(pg_url, database)
    return Loaded(url, database, dump_postgres(url), tool_version(pg_tool("pg_dump")))


# --- MariaDB / MySQL --------------------------------------------------------------------------


def _mysql_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the command-line clients (password via MYSQL_PWD, not argv)."""
    parts = urlsplit(url)
    args = ["--protocol=TCP", "-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306),
            "-u", parts.username or "root"]
    return args, {**os.environ, "MYSQL_PWD": parts.password or ""}


def load_mariadb(mysql_url: str, database: str, sql: Path = MARIADB_SQL) -> str:
    """A fresh database ``database`` on the server of ``mysql_url`` (dropped first when it
    exists) filled by the ``mariadb`` client from ``sql``; returns its URL."""
    client = mariadb_tool("mariadb", "mysql")
    conn_args, env = _mysql_args(mysql_url)
    _run([client, "--no-defaults", *conn_args, "-e",
          f"DROP DATABASE IF EXISTS `{database}`; CREATE DATABASE `{database}` CHARACTER SET utf8mb4"], env=env)
    _run([client, "--no-defaults", *conn_args, "--default-character-set=utf8mb4", database], env=env, stdin_path=sql)
    return _with_database(mysql_url, database)


def dump_mariadb(db_url: str, *extra: str) -> str:
    """``mysqldump --no-data --routines --triggers --events --databases DB`` of the database."""
    tool = mariadb_tool("mysqldump", "mariadb-dump")
    conn_args, env = _mysql_args(db_url)
    database = urlsplit(db_url).path.lstrip("/")
    return _run([tool, "--no-defaults", *conn_args, "--no-data", "--routines", "--triggers", "--events",
                 "--default-character-set=utf8mb4", *extra, "--databases", database], env=env)


def drop_mariadb(mysql_url: str, database: str) -> None:
    client = mariadb_tool("mariadb", "mysql")
    conn_args, env = _mysql_args(mysql_url)
    _run([client, "--no-defaults", *conn_args, "-e", f"DROP DATABASE IF EXISTS `{database}`"], env=env)


def mariadb_every_case(mysql_url: str, database: str = "every_case") -> Loaded:
    """tests/fixtures/every_case/mariadb.sql loaded into ``database`` and dumped."""
    url = load_mariadb(mysql_url, database)
    return Loaded(url, database, dump_mariadb(url), tool_version(mariadb_tool("mysqldump", "mariadb-dump")))
