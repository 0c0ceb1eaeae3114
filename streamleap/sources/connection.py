"""A source URL, and connecting to the database it names.

``parse_source_url`` is the one reader of a source URL (``--source-url``): ``postgresql://`` or
``postgres://`` (dialect ``postgres``), ``mysql://`` or ``mariadb://`` (dialect ``mysql``); the
user name, password and database are percent-decoded, the query parameters kept (``?schema=a,b``
is streamleap's, every other one of a Postgres URL goes to libpq unchanged: ``sslmode=require``).
``SourceUrl.masked`` is the URL as messages show it (``streamleap.masking.mask_url``).

One set of connection options per engine, for every connection streamleap opens to a source
(introspection, readiness checks, change capture): ``postgres_options`` (psycopg2) and
``mysql_options`` (pymysql, and python-mysql-replication, which passes them on). A connection that
fails raises ``connect_error``'s one line, and any driver error shown to the user goes through
``driver_message``: its first line, never the password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from streamleap.errors import SourceConnectionError
from streamleap.masking import mask_url

__all__ = [
    "CONNECT_TIMEOUT_SECONDS", "SourceUrl", "parse_source_url", "driver_message", "connect_error", "postgres_options",
    "connect_postgres", "mysql_options", "connect_mysql", "connect_source", "driver_text",
]

CONNECT_TIMEOUT_SECONDS = 5
APPLICATION_NAME = "streamleap"  # what pg_stat_activity shows for streamleap's Postgres sessions
SCHEMES = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}


@dataclass(frozen=True)
class SourceUrl:
    """The parts of a source URL, decoded."""

    dialect: str  # 'postgres' | 'mysql'
    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str | None
    params: dict[str, list[str]] = field(default_factory=dict)
    masked: str = ""

    @property
    def schemas(self) -> list[str]:
        """The schemas ``?schema=a,b`` names (Postgres), in order; none when not given."""
        names: list[str] = []
        for value in self.params.get("schema", []):
            names.extend(n.strip() for n in value.split(",") if n.strip())
        return names


def parse_source_url(url: str) -> SourceUrl:
    """``url``'s parts; an unknown scheme or a port that is no number raises
    SourceConnectionError, naming the URL masked."""
    masked = mask_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # the message could quote part of a password, so it is not shown
        raise SourceConnectionError(
            f"cannot read the source URL {masked}: the port is not a valid number; "
            "percent-encode @ : / ? # in the user name and password (%40 %3A %2F %3F %23)"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SourceConnectionError(
            f"unsupported source URL scheme {parts.scheme + ':' if parts.scheme else '(none)'} in {masked}; "
            "use postgresql://, postgres://, mysql:// or mariadb://"
        )
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return SourceUrl(
        dialect=SCHEMES[scheme],
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        database=unquote(parts.path.lstrip("/")) or None,
        params=params,
        masked=masked,
    )


# --- driver errors ----------------------------------------------------------------------------


def driver_message(exc: BaseException, url: SourceUrl) -> str:
    """The first line of a driver error, never containing the password."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    # pymysql errors are (code, message) tuples
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = args[1]
    else:
        text = str(exc)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    message = lines[0] if lines else type(exc).__name__
    if url.password and len(url.password) >= 3:
        message = message.replace(url.password, "***")
    return message


def connect_error(exc: BaseException, url: SourceUrl) -> SourceConnectionError:
    """A failed connection as one line."""
    return SourceConnectionError(
        f"cannot connect to {url.masked}: {driver_message(exc, url)}; check host, port and credentials"
    )


def driver_text(value: Any) -> str:
    """A value of the server's catalog as text: some MySQL versions return bytes."""
    return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else str(value)


# --- Postgres ---------------------------------------------------------------------------------


def postgres_options(url: SourceUrl, **settings: Any) -> dict[str, Any]:
    """``psycopg2.connect`` keyword arguments for ``url``: the URL's query parameters but
    ``schema`` (``sslmode=require``...), a connect timeout of CONNECT_TIMEOUT_SECONDS and
    application_name ``streamleap`` (these two over the URL's), the host, port, user, password and
    database the URL names; then ``settings`` over all of them (capture: its application_name, the
    session ``options``, a ``connection_factory``)."""
    options: dict[str, Any] = {k: v[-1] for k, v in url.params.items() if k != "schema"}
    options.update(connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name=APPLICATION_NAME)
    for key, value in (("host", url.host), ("port", url.port), ("user", url.user),
                       ("password", url.password), ("dbname", url.database)):
        if value is not None:
            options[key] = value
    options.update(settings)
    return options


def connect_postgres(url: SourceUrl, **settings: Any) -> Any:
    """A psycopg2 connection (``postgres_options(url, **settings)``); a failure raises
    ``connect_error``."""
    import psycopg2

    try:
        return psycopg2.connect(**postgres_options(url, **settings))
    except psycopg2.Error as exc:
        raise connect_error(exc, url) from None


# --- MySQL / MariaDB --------------------------------------------------------------------------


def mysql_options(url: SourceUrl, *, database: bool = True) -> dict[str, Any]:
    """``pymysql.connect`` keyword arguments for ``url``: host (localhost), port (3306), user and
    password ('' when not given), utf8mb4, a connect timeout of CONNECT_TIMEOUT_SECONDS and, unless
    ``database`` is false, the URL's database. Change capture leaves the database out: its queries
    name every table's database, and python-mysql-replication, which gets these settings, chooses
    the database of its own catalog connection."""
    options: dict[str, Any] = {
        "host": url.host or "localhost",
        "port": url.port or 3306,
        "user": url.user or "",
        "password": url.password or "",
        "charset": "utf8mb4",
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }
    if database:
        options["database"] = url.database
    return options


def connect_mysql(url: SourceUrl, *, database: bool = True, **settings: Any) -> Any:
    """A pymysql connection (``mysql_options`` and ``settings``: ``autocommit``, ``cursorclass``);
    a failure raises ``connect_error``."""
    import pymysql

    try:
        return pymysql.connect(**mysql_options(url, database=database), **settings)
    except pymysql.Error as exc:
        raise connect_error(exc, url) from None


# --- either -----------------------------------------------------------------------------------


def connect_source(url: str) -> tuple[str, Any, str]:
    """``(dialect, connection, masked url)`` for a source URL (autocommit), for callers that run
    their own queries (the readiness checks). Connection errors raise SourceConnectionError with
    the password masked."""
    parsed = parse_source_url(url)
    if parsed.dialect == "postgres":
        conn = connect_postgres(parsed)
        conn.set_session(autocommit=True)
    else:
        conn = connect_mysql(parsed)
        conn.autocommit(True)
    return parsed.dialect, conn, parsed.masked
