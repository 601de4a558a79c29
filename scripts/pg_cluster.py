"""A throw-away PostgreSQL + PostGIS cluster on localhost, for the benchmarks' PostGIS legs.

Debian's ``postgresql-15-postgis-3 postgis`` (``apt-get install -y ...``): ``initdb`` into a
temporary directory (as user postgres when run as root), ``listen_addresses=localhost`` on a
free port, ``pg_ctl -w start``; :meth:`PostGISCluster.stop` stops it. Missing binaries: ``ok``
is False and the benchmark skips its PostGIS leg, saying so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path


class PostGISCluster:
    """A cluster in ``workdir`` with the given extensions created (``ok`` False: skipped)."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self, workdir: Path, extensions=("postgis",), needs=("psql",)):
        self.ok = all(shutil.which(x) for x in needs) and (self.BIN / "initdb").exists()
        if not self.ok:
            print("  (skipped PostGIS: apt-get install -y postgresql-15-postgis-3 postgis)")
            return
        self.data = workdir / "pgdata"
        with socket.socket() as sock:
            sock.bind(("localhost", 0))
            self.port = sock.getsockname()[1]
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.data.mkdir()
        if self.user:
            shutil.chown(workdir, "postgres")
            shutil.chown(self.data, "postgres")
        self.run(self.BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust")
        self.run(self.BIN / "pg_ctl", "-D", self.data, "-w", "-l", self.data / "log", "-o",
                 f"-c listen_addresses=localhost -p {self.port} "
                 f"-c unix_socket_directories={self.data}", "start")
        self.sql("".join(f"create extension {e};\n" for e in extensions))

    def run(self, *cmd) -> subprocess.CompletedProcess:
        """Run a command (as postgres when root), check it, capture its text output."""
        return subprocess.run([*self.user, *map(str, cmd)], check=True, capture_output=True,
                              text=True)

    def file(self, name: str, text: str) -> Path:
        """Write ``text`` to a file the server's user can read; return its path."""
        f = self.data / name
        f.write_text(text)
        if self.user:
            shutil.chown(f, "postgres")
        return f

    def sql(self, text: str) -> str:
        """Run SQL through psql (stop at the first error); return its unaligned output."""
        f = self.file("q.sql", text)
        return self.run("psql", "-h", "localhost", "-p", self.port, "-U", "postgres", "-q",
                        "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", f).stdout

    def stop(self) -> None:
        if self.ok:
            self.run(self.BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
