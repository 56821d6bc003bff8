"""Loopback ports for the servers the project starts itself (its PostGIS, its MQTT broker)."""

from __future__ import annotations

import socket

__all__ = ["free_port", "port_free"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now, binding as PostgreSQL and mosquitto do, with
    SO_REUSEADDR: a port whose last connections are still in TIME_WAIT after a restart is free. Without
    the option a restarted server moved to another port and every client holding the old address (the
    readings ingest) lost it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
