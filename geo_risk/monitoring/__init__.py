"""Live monitoring of major hazard sources (issue 15): sensors, readings, alarms, the hidden-danger register.

The engine half (``model``, ``alarms``, ``metrics``, ``simulate``) is pure: it imports nothing from
``geo_risk.store``, ``api`` or ``layers``. Ingest (MQTT, HTTP) and storage live at the edges.
"""
