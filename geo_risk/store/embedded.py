"""The project's own PostgreSQL + PostGIS cluster, used when ``GEO_RISK_DATABASE_URL`` is unset.

The cluster lives in a project-local folder (``<data_dir>/pg``), listens on 127.0.0.1 only, on a
free port chosen at first start, and trusts loopback connections: it is a private development and
demo store, never a production database. Tests start their own throwaway cluster with the same code.

``initdb`` refuses to run as root, so when we are root the cluster is owned by and run as the
``postgres`` system user that Debian's packages create (or ``georisk``, created if neither exists).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from geo_risk.errors import DatabaseUnavailable
from geo_risk.ports import free_port, port_free

__all__ = ["EmbeddedCluster", "find_pg_bin", "ensure_postgis_installed", "INSTALL_HINT"]

PG_MAJOR_PREFERRED = 15
DEBIAN_PACKAGES = ("postgresql-15", "postgresql-15-postgis-3")
INSTALL_HINT = (
    "PostgreSQL 15 with PostGIS 3 is needed. On Debian/Ubuntu run as root:\n"
    "    apt-get update && apt-get install -y postgresql-15-postgis-3\n"
    "or start the database with Docker:  docker compose up -d db  and set\n"
    "    GEO_RISK_DATABASE_URL=postgresql://georisk:georisk@127.0.0.1:5432/georisk"
)
SUPERUSER = "georisk"
DEFAULT_DB = "georisk"

# Server settings of the embedded cluster. jit is off: on 2 cores JIT made tile and load queries
# slower (a raw ST_AsMVT tile at z13 took about 17 ms longer with JIT on). ``unsafe`` adds
# settings that trade crash safety for speed, used only by throwaway test clusters.
_BASE_CONF = {
    "listen_addresses": "'127.0.0.1'",
    "jit": "off",
    "shared_buffers": "'256MB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "max_connections": "50",
    "timezone": "'UTC'",
    # A private cluster has no replicas: minimal WAL lets a COPY into a table truncated in the same
    # transaction skip WAL entirely (the loader does that for empty tables).
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "log_min_messages": "warning",
}
_UNSAFE_CONF = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_pg_bin() -> Path | None:
    """The bin folder of an installed PostgreSQL server that has PostGIS, preferring version 15."""
    candidates: list[tuple[int, Path]] = []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        for d in root.iterdir():
            if d.name.isdigit() and (d / "bin" / "initdb").exists():
                control = Path(f"/usr/share/postgresql/{d.name}/extension/postgis.control")
                if control.exists():
                    candidates.append((int(d.name), d / "bin"))
    on_path = shutil.which("initdb")
    if on_path and not candidates:
        candidates.append((0, Path(on_path).parent))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0] != PG_MAJOR_PREFERRED, -c[0]))
    return candidates[0][1]


def ensure_postgis_installed(echo=print) -> Path:
    """Find PostgreSQL + PostGIS; install them from Debian's packages when we are root on Debian.

    Raises
    ------
    DatabaseUnavailable
        When they are missing and cannot be installed here; the message gives the exact command.
    """
    found = find_pg_bin()
    if found:
        return found
    if Path("/etc/debian_version").exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        echo(f"PostgreSQL/PostGIS not found: installing {' '.join(DEBIAN_PACKAGES)} from Debian's packages…")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", *DEBIAN_PACKAGES]
        if subprocess.run(cmd, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
            subprocess.run(cmd, env=env, check=False)
        found = find_pg_bin()
        if found:
            return found
    raise DatabaseUnavailable(INSTALL_HINT)






def _run_as_user() -> str | None:
    """The unprivileged user to run the server as when we are root, creating one if needed."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "georisk"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "georisk"], check=True)
    return "georisk"


@dataclass
class EmbeddedCluster:
    """A private PostgreSQL cluster in ``root`` (created on first start).

    Parameters
    ----------
    root
        Folder that holds ``data/`` (the cluster), ``server.log`` and ``port``.
    unsafe
        Turn off fsync and friends: for throwaway test clusters only.
    """

    root: Path
    unsafe: bool = False
    echo: object = field(default=print, repr=False)
    _bin: Path | None = field(default=None, init=False, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def bin(self) -> Path:
        if self._bin is None:
            self._bin = ensure_postgis_installed(self.echo)  # type: ignore[arg-type]
        return self._bin

    # -- helpers -----------------------------------------------------------------------------
    def _cmd(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        user = _run_as_user()
        full = (["runuser", "-u", user, "--"] if user else []) + args
        proc = subprocess.run(full, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise DatabaseUnavailable(
                f"{Path(args[0]).name} failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
                f"\nServer log: {self.root / 'server.log'}"
            )
        return proc

    def _prepare_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        user = _run_as_user()
        if user:
            # The server user must be able to enter every parent folder (o+x).
            for parent in self.root.parents:
                if not parent.stat().st_mode & 0o001:
                    raise DatabaseUnavailable(
                        f"The PostgreSQL server runs as user {user!r}, which cannot enter {parent}. "
                        f"Put the cluster elsewhere (GEO_RISK_DATA_DIR) or run: chmod o+x {parent}"
                    )
            pw = pwd.getpwnam(user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    # -- lifecycle ---------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster (``initdb``) unless it exists."""
        if self.initialised():
            return
        self._prepare_root()
        self.echo(f"Creating a private PostgreSQL cluster in {self.data} …")
        self._cmd(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
        )
        conf = dict(_BASE_CONF)
        conf["unix_socket_directories"] = f"'{self.root}'"
        if self.unsafe:
            conf.update(_UNSAFE_CONF)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write("\n# geo_risk embedded cluster\n")
            for k, v in conf.items():
                f.write(f"{k} = {v}\n")

    def running_port(self) -> int | None:
        """The port of the running server, or None when it is not running."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return None
        proc = self._cmd([str(self.bin / "pg_ctl"), "status", "-D", str(self.data)], check=False)
        if proc.returncode != 0:
            return None
        lines = pid_file.read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 else None

    def start(self) -> int:
        """Start the server (creating the cluster first if needed); return its port."""
        self.init()
        port = self.running_port()
        if port:
            return port
        port_file = self.root / "port"
        port = int(port_file.read_text()) if port_file.exists() else 0
        if not port or not port_free(port):
            port = free_port()
        port_file.write_text(str(port))
        log = self.root / "server.log"
        self._cmd(
            [
                str(self.bin / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-o",
                f"-p {port}",
            ]
        )
        self._wait_ready(port)
        self.create_database(DEFAULT_DB)
        return port

    def _wait_ready(self, port: int, timeout_s: float = 30.0) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres").close()
                return
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise DatabaseUnavailable(
                        f"PostgreSQL did not accept connections on 127.0.0.1:{port}: {exc}"
                    ) from exc
                time.sleep(0.2)

    def stop(self) -> bool:
        """Stop the server; return whether it was running."""
        if not self.initialised() or self.running_port() is None:
            return False
        self._cmd([str(self.bin / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data)])
        return True

    def destroy(self) -> None:
        """Stop the server and delete the cluster folder (test clusters)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------
    def url(self, dbname: str = DEFAULT_DB) -> str:
        """SQLAlchemy URL of ``dbname``; the server must be running."""
        port = self.running_port()
        if port is None:
            raise DatabaseUnavailable(
                "The embedded PostgreSQL cluster is not running: start it with `geo-risk db up`."
            )
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{port}/{dbname}"

    def _admin(self):
        import psycopg2

        port = self.running_port()
        conn = psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres")
        conn.autocommit = True
        return conn

    def create_database(self, name: str, template: str | None = None) -> bool:
        """Create database ``name`` (optionally from ``template``) unless it exists."""
        from psycopg2 import sql

        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone():
                    return False
                q = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                if template:
                    q = q + sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                cur.execute(q)
                return True
        finally:
            conn.close()

    def drop_database(self, name: str) -> None:
        from psycopg2 import sql

        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        finally:
            conn.close()
