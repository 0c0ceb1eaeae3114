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
