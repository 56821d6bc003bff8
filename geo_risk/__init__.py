"""geo_risk: major-hazard-source (重大危险源) risk map engine and store.

The engine packages (``geo_risk.standards``, ``geo_risk.chemicals``, ``geo_risk.risk``,
``geo_risk.analysis``) are pure: they import no web framework, database driver or map library.
"""

__version__ = "0.1.0"
