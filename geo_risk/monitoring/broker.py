"""The project's own MQTT broker: Debian's ``mosquitto``, started the way the embedded PostGIS is.

Everything lives in ``<data_dir>/mqtt``: ``mosquitto.conf`` (written by us), the password file,
the persistence database (``data/``), the log, the pid file and ``port``. It listens on 127.0.0.1
only, on a free port chosen at its first start (kept in ``port``), refuses anonymous clients, and
persists sessions and queued QoS 1 messages: a restart (SIGTERM, as :meth:`Broker.stop` does)
writes them to disk and the next start reads them back, so a subscriber with a persistent session
gets every message it had not acknowledged. A hard kill of the broker loses what it had not saved
yet (``autosave_interval``): say so rather than pretend otherwise.

When we are root the broker drops to the ``mosquitto`` user Debian's package creates; its folder is
handed to that user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from geo_risk.errors import GeoRiskError
from geo_risk.ports import free_port, port_free

__all__ = ["Broker", "BrokerUnavailable", "INSTALL_HINT", "credentials"]

INSTALL_HINT = ("The MQTT broker mosquitto is needed for live monitoring. On Debian/Ubuntu run as root:\n"
                "    apt-get install -y --no-install-recommends mosquitto")
#: Seconds between the broker's saves of its in-memory state (sessions, queued messages) to disk.
AUTOSAVE_S = 10


class BrokerUnavailable(GeoRiskError):
    """mosquitto is missing or would not start."""






def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie left unreaped by a container's init does not)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def find_mosquitto() -> Path:
    """The mosquitto executable; BrokerUnavailable with the install command when it is missing."""
    for cand in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if cand and Path(cand).exists():
            return Path(cand)
    raise BrokerUnavailable(INSTALL_HINT)


def credentials(root: Path, user: str, password: str | None) -> tuple[str, str]:
    """The broker's user and password: ``password`` when set, else the one generated and kept in ``root``."""
    if password:
        return user, password
    path = root / "credentials"
    if path.exists():
        return user, path.read_text(encoding="utf-8").strip()
    root.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(generated)
    return user, generated


@dataclass
class Broker:
    """A private mosquitto in ``root`` (``<data_dir>/mqtt``) with one user and password."""

    root: Path
    user: str = "georisk"
    password: str | None = None
    port: int = 0  # 0: the port kept in root/port, else a free one

    def __post_init__(self) -> None:
        self.user, self.password = credentials(self.root, self.user, self.password)

    @property
    def pid_file(self) -> Path:
        return self.root / "mosquitto.pid"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def running_port(self) -> int | None:
        """The port of the running broker, or None."""
        port_file = self.root / "port"
        if self._pid() is None or not port_file.exists():
            return None
        port = int(port_file.read_text())
        return port if _listening(port) else None

    def _write_config(self, port: int) -> Path:
        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        passwd = self.root / "passwd"
        exe = find_mosquitto()
        tool = shutil.which("mosquitto_passwd") or str(exe.parent.parent / "bin" / "mosquitto_passwd")
        if passwd.exists():
            passwd.unlink()
        proc = subprocess.run([tool, "-b", "-c", str(passwd), self.user, str(self.password)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise BrokerUnavailable(f"mosquitto_passwd failed: {proc.stderr.strip() or proc.stdout.strip()}")
        conf = self.root / "mosquitto.conf"
        conf.write_text(
            "# geo_risk's own broker (geo_risk/monitoring/broker.py): loopback only, password, persistence\n"
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            "persistence true\n"
            f"persistence_location {data}/\n"
            f"autosave_interval {AUTOSAVE_S}\n"
            # QoS 1 with manual acknowledgement: many messages are in flight to the ingest at once, and a
            # disconnected persistent session queues everything sent meanwhile (bounded only by memory).
            "max_inflight_messages 0\n"
            "max_queued_messages 0\n"
            f"pid_file {self.pid_file}\n"
            f"log_dest file {self.root / 'mosquitto.log'}\n"
            "log_type error\nlog_type warning\nlog_type notice\n",
            encoding="utf-8",
        )
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("mosquitto")
            except KeyError:
                pw = None
            if pw is not None:
                for parent in self.root.parents:
                    if not parent.stat().st_mode & 0o001:
                        raise BrokerUnavailable(f"the broker runs as user 'mosquitto', which cannot enter {parent}: "
                                                f"put the data dir elsewhere (GEO_RISK_DATA_DIR) or chmod o+x {parent}")
                for p in (self.root, data, passwd, *data.iterdir()):
                    os.chown(p, pw.pw_uid, pw.pw_gid)
                os.chmod(passwd, 0o600)
        return conf

    def start(self, timeout_s: float = 15.0) -> int:
        """Start the broker (a daemon) unless it runs; return its port."""
        running = self.running_port()
        if running:
            return running
        self.root.mkdir(parents=True, exist_ok=True)
        port_file = self.root / "port"
        port = self.port or (int(port_file.read_text()) if port_file.exists() else 0)
        if not port or not port_free(port):
            if self.port:
                raise BrokerUnavailable(f"MQTT port {self.port} is taken (GEO_RISK_MQTT_PORT)")
            port = free_port()
        port_file.write_text(str(port))
        conf = self._write_config(port)
        self.pid_file.unlink(missing_ok=True)
        proc = subprocess.run([str(find_mosquitto()), "-c", str(conf), "-d"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BrokerUnavailable(f"mosquitto would not start (exit {proc.returncode}): "
                                    f"{proc.stderr.strip()[:500]}\nLog: {self.root / 'mosquitto.log'}")
        deadline = time.monotonic() + timeout_s
        while not (self._pid() and _listening(port)):
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"mosquitto did not listen on 127.0.0.1:{port} within {timeout_s:g} s; "
                                        f"log: {self.root / 'mosquitto.log'}")
            time.sleep(0.05)
        return port

    def stop(self, timeout_s: float = 15.0) -> bool:
        """Stop the broker with SIGTERM (it saves its state first); return whether it was running."""
        pid = self._pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while True:
            if not _alive(pid):
                return True
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return True
            time.sleep(0.05)
