from __future__ import annotations

import os

import pytest

from tests.servers import start_postgres


@pytest.fixture(scope="session")
def pg_url():
    """URL of a real PostgreSQL server: STREAMLEAP_TEST_PG_URL, or one started for this session."""
    url = os.environ.get("STREAMLEAP_TEST_PG_URL")
    if url:
        yield url
        return
    try:
        server = start_postgres()
    except RuntimeError as exc:  # pragma: no cover - only without the Debian package
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mysql_url():
    """URL of a real MariaDB server (root, no database): STREAMLEAP_TEST_MYSQL_URL, or one
    started for this session; skips when no MariaDB server binary is installed."""
    from tests.servers import mariadb_binary, start_mariadb

    url = os.environ.get("STREAMLEAP_TEST_MYSQL_URL")
    if url:
        yield url
        return
    if mariadb_binary() is None:
        pytest.skip("MariaDB not available: no mariadbd/mysqld binary (install Debian's mariadb-server package)")
    server = start_mariadb()
    try:
        yield server.url
    finally:
        server.stop()
