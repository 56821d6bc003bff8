"""The monitoring service at the edge: the project's broker, the MQTT ingest and partition upkeep, from settings.

``geo-risk ingest`` runs it in the foreground; ``geo-risk serve`` and ``geo-risk demo`` start it beside the
API when ``GEO_RISK_MONITORING_ENABLED`` is true. The broker is the project's own mosquitto in
``<data_dir>/mqtt`` (:class:`~geo_risk.monitoring.broker.Broker`) unless ``GEO_RISK_MQTT_HOST`` names a
host that is not loopback, which is then used as it is. The process's alarm service
(:mod:`geo_risk.monitoring.alarm_service`) is attached to the ingest: committed readings raise alarms.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from geo_risk.monitoring.broker import Broker
from geo_risk.monitoring.ingest import Ingestor, MqttIngest
from geo_risk.settings import Settings

__all__ = ["MonitoringService", "start_monitoring", "run_ingest", "MAINTAIN_EVERY_S"]

#: Seconds between partition upkeep runs (days ahead created, days past the retention dropped).
MAINTAIN_EVERY_S = 3600.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class MonitoringService:
    """A running ingest: its broker (None when external), the ingestor and the MQTT client."""

    broker: Broker | None
    port: int
    ingestor: Ingestor
    mqtt: MqttIngest
    alarms: object | None = None  # the process's AlarmService of this database (issue 15)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _upkeep: threading.Thread | None = field(default=None, repr=False)

    def _maintain(self) -> None:
        while not self._stop.wait(MAINTAIN_EVERY_S):
            try:
                self.ingestor.maintain()
            except Exception:  # noqa: BLE001 - upkeep retries at the next run
                import logging

                logging.getLogger(__name__).exception("readings partition upkeep failed")

    def stop(self, stop_broker: bool = False) -> None:
        """Stop the ingest (buffered readings committed first); the broker keeps running unless asked."""
        self._stop.set()
        self.mqtt.stop()
        self.ingestor.close()
        if self.alarms is not None:
            from geo_risk.monitoring.alarm_service import release

            release(self.alarms)  # type: ignore[arg-type]
            self.alarms = None
        if stop_broker and self.broker is not None:
            self.broker.stop()


def start_monitoring(settings: Settings, url: str, echo: Callable[[str], object] = print) -> MonitoringService:
    """Start the broker (the project's own, unless an external host is set) and the MQTT ingest into ``url``."""
    password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
    broker: Broker | None = None
    if settings.mqtt_host in _LOOPBACK:
        broker = Broker(settings.data_dir / "mqtt", settings.mqtt_user, password, settings.mqtt_port)
        port = broker.start()
        user, password = broker.user, broker.password
    else:
        port, user = settings.mqtt_port or 1883, settings.mqtt_user
        if password is None:
            from geo_risk.errors import InvalidInput

            raise InvalidInput("GEO_RISK_MQTT_PASSWORD must be set to use the external broker GEO_RISK_MQTT_HOST")
    ingestor = Ingestor(url, settings.monitoring_retention_days, settings.monitoring_future_tolerance_s)
    dropped = ingestor.maintain()
    if dropped:
        echo(f"readings: {len(dropped)} day partition(s) past the {settings.monitoring_retention_days}-day "
             "retention dropped")
    mqtt = MqttIngest(ingestor, settings.mqtt_host, port, user, str(password),
                      batch_rows=settings.monitoring_batch_rows, flush_ms=settings.monitoring_flush_ms).start()
    from geo_risk.monitoring.alarm_service import service_for

    alarms = service_for(url, settings).attach(ingestor)
    try:
        alarms.start()  # sensors loaded, conditions restored, the clock ticking (silent sensors, shelves)
    except Exception as exc:  # noqa: BLE001 - the first committed batch retries; the ingest runs regardless
        echo(f"monitoring: alarm service not started yet ({str(exc).strip()[:200]}); it retries with the "
             "first readings")
    service = MonitoringService(broker, port, ingestor, mqtt, alarms)
    service._upkeep = threading.Thread(target=service._maintain, name="geo_risk-readings-upkeep", daemon=True)
    service._upkeep.start()
    echo(f"monitoring: MQTT ingest on {settings.mqtt_host}:{port} (topic georisk/readings/<sensor_id>, QoS 1, "
         f"user {user!r}); readings kept {settings.monitoring_retention_days} days")
    return service


def run_ingest(settings: Settings, url: str, echo: Callable[[str], object] = print) -> None:
    """Run the ingest until interrupted (Ctrl-C or SIGTERM); buffered readings are committed before exit."""
    import signal

    service = start_monitoring(settings, url, echo)
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        alarms = service.alarms  # (stop() gives it back)
        service.stop()
        counts = "" if alarms is None else (f"; alarms: {alarms.batches} batch(es) evaluated, "  # type: ignore[attr-defined]
                                            f"{alarms.changes} change(s), {alarms.failures} failure(s)")  # type: ignore[attr-defined]
        echo(f"monitoring: ingest stopped after {service.mqtt.committed_messages} message(s) in "
             f"{service.mqtt.batches} batch(es){counts}")
