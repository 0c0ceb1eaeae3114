"""Throw-away database servers for the test suite: a real PostgreSQL (and MariaDB where installed).

Each server lives in a temp dir, listens on a free loopback port and is stopped at the end of
the session. PostgreSQL runs as the ``postgres`` OS user when the suite runs as root (initdb
refuses root).
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

from streamleap.demo.local_postgres import PostgresServer, free_port, start_postgres  # noqa: F401 - re-exported


def mariadb_binary() -> str | None:
    """Path of the MariaDB (or MySQL) server binary, or None when not installed."""
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"):
        if os.access(path, os.X_OK):
            return path
    return None


def _mariadb_install_db() -> str | None:
    for name in ("mariadb-install-db", "mysql_install_db"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"):
        if os.access(path, os.X_OK):
            return path
    return None


@dataclass
class MariaDBServer:
    root: Path
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        """root, no password, over TCP; no database selected."""
        return f"mysql://root@127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def start_mariadb() -> MariaDBServer:
    """mariadb-install-db into a temp dir and start mariadbd on a free loopback port.

    root may log in over TCP from 127.0.0.1 without a password. The server runs as the current
    user (``--user=root`` when that is root, which mariadbd otherwise refuses). The binlog is on
    and set up for change capture (ROW format, FULL row image and row metadata, server-id 1).
    """
    server_bin, install_bin = mariadb_binary(), _mariadb_install_db()
    if server_bin is None or install_bin is None:
        raise RuntimeError("MariaDB server binaries not found: install Debian's mariadb-server package")
    root = Path(tempfile.mkdtemp(prefix="streamleap-mariadb-"))
    datadir = root / "data"
    user = ["--user=" + pwd.getpwuid(os.geteuid()).pw_name]
    small = ["--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"]
    done = subprocess.run(
        [install_bin, "--no-defaults", f"--datadir={datadir}", *user, "--auth-root-authentication-method=normal",
         "--skip-test-db", "--skip-name-resolve", *small],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"mariadb-install-db failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    port = free_port()
    log = root / "error.log"
    # the row-based binlog change capture reads (streamleap capture); server-id 1 is the source
    binlog = [f"--log-bin={datadir / 'binlog'}", "--server-id=1", "--binlog-format=ROW",
              "--binlog-row-image=FULL", "--binlog-row-metadata=FULL"]
    process = subprocess.Popen(
        [server_bin, "--no-defaults", f"--datadir={datadir}", *user, f"--port={port}", "--bind-address=127.0.0.1",
         f"--socket={root / 'sock'}", f"--pid-file={root / 'pid'}", f"--log-error={log}", "--skip-name-resolve",
         *binlog, "--innodb-flush-log-at-trx-commit=0", "--character-set-server=utf8mb4",
         "--collation-server=utf8mb4_general_ci", *small],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = MariaDBServer(root, port, process)
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    server.stop()
    raise RuntimeError(f"MariaDB did not start on port {port}: {tail}")
