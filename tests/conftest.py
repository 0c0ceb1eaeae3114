from __future__ import annotations

import os

import pytest
from dbt_common.tests import enable_test_caching

from tests.servers import start_postgres

# dbt's own functional-test fixtures (dbt.tests.fixtures.project) do this: in a test process, a
# macro file's Jinja is parsed once, not again for every project a test makes. Each project's full
# parse reads the ~900 macros of dbt, its adapters and this package: about 2 s of CPU, and the
# suite makes some 190 projects. Only parsing is cached; every project's manifest is its own.
enable_test_caching()
# no usage pings to dbt Labs from the tests (there is no network beyond loopback here anyway)
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


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
