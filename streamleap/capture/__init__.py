"""Development-grade change capture: read a live source's replication log and write what AWS DMS
would write to Kinesis (see ``base`` for the contract between readers and the writer).

``open_reader(url, tables, name=stream)`` picks the reader by the URL's scheme: ``postgresql://``
(``postgres.PostgresReader``, logical replication with pgoutput) or ``mysql://`` / ``mariadb://``
(``mysql.MySQLReader``, the row-based binlog). ``loop.Capture`` runs one reader into a stream.
"""

from __future__ import annotations

from streamleap.capture.base import ChangeReader
from streamleap.capture.selection import CaptureSelection
from streamleap.model.source_table import SourceTable


def open_reader(url: str, tables: list[str], *, name: str = "capture",
                selection: CaptureSelection | None = None, source_tables: list[SourceTable] | None = None,
                checked: bool = False) -> ChangeReader:
    """The change reader for the source at ``url``; ``name`` (the stream's) names the Postgres
    replication slot and publication (streamleap_<name>); ``selection`` holds the keys named for
    tables without one and the columns never sent (``selection.CaptureSelection``).
    ``source_tables``: the tables as ``read_source(url, tables)`` gave them this start, so the
    reader does not read them again; ``checked``: the caller refused to go on when
    ``sources.checks.check_source`` failed for these tables and ``selection``'s keys (Postgres:
    the reader then does not read the replica identities again)."""
    from streamleap.sources.connection import parse_source_url

    dialect = parse_source_url(url).dialect
    if dialect == "postgres":
        from streamleap.capture.postgres import PostgresReader

        return PostgresReader(url, tables, name=name, selection=selection, source_tables=source_tables,
                              checked=checked)
    from streamleap.capture.mysql import MySQLReader

    return MySQLReader(url, tables, selection=selection, source_tables=source_tables)
