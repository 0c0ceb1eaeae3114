"""A throw-away PostgreSQL server (Debian's binaries): initdb into a temp dir, start on a free
loopback port, stop and delete. Used by `streamleap demo --target postgres` when no server is
configured, by the benchmark (bench/) and by the test suite; nothing else in the library uses it.
As root it runs as the `postgres` OS user (initdb refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    base = Path("/usr/lib/postgresql")
    if base.is_dir():
        versions = sorted((p for p in base.iterdir() if (p / "bin" / "initdb").exists()), reverse=True)
        if versions:
            return versions[0] / "bin"
    return None


@dataclass
class PostgresServer:
    datadir: Path
    port: int
    bindir: Path
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_postgres(extra_conf: dict[str, str] | None = None) -> PostgresServer:
    """initdb into a temp dir and start postgres on a free loopback port."""
    bindir = _pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found: install Debian's postgresql package (make test does)")
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="streamleap-pg-"))
    datadir = root / "data"
    if user:
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = free_port()
    server = PostgresServer(datadir, port, bindir, user)
    server._run("initdb", "-D", str(datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
    conf = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{root}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "50",
        **(extra_conf or {}),
    }
    with open(datadir / "postgresql.conf", "a") as fh:
        for k, v in conf.items():
            fh.write(f"{k} = {v}\n")
    server._run("pg_ctl", "-D", str(datadir), "-l", str(root / "log"), "-w", "-t", "60", "start")
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"PostgreSQL did not start on port {port}")
