"""Risk engine: consequence models (screening-level QRA) and the risk fields built from them.

Consequence models (pure, vectorised numpy functions; units in names and docstrings):

* :mod:`~geo_risk.risk.parameters` — every number taken from a reference, loaded from the
  versioned tables in ``data/*.csv`` with source and status (C2 / C1 / UNCONFIRMED);
  ``MODEL_VERSION``, ``unconfirmed_values()``.
* :mod:`~geo_risk.risk.weather` — ``Weather`` (Pasquill class, 10 m wind, terrain, air temperature).
* :mod:`~geo_risk.risk.probits` — probit → probability; heat, overpressure and toxic probits
  (Set A mg/m³·min and Set B ppm·min kept apart), toxic load.
* :mod:`~geo_risk.risk.dispersion` — Briggs / CCPS-puff Gaussian plume and puff, wind profile,
  puff dose, effect reach, Britter–McQuaid dense-gas flag.
* :mod:`~geo_risk.risk.source_term` — gas (choked / unchoked) and liquid releases through a hole,
  flash fraction.
* :mod:`~geo_risk.risk.fires` — pool fire, jet fire, BLEVE fireball, flash fire.
* :mod:`~geo_risk.risk.explosions` — VCE by TNT equivalence (Kinney–Graham), overpressure
  lethality.
* :mod:`~geo_risk.risk.lethality` — the ``Outcome`` interface the grid engine calls:
  ``max_distance_m(weather)`` and ``lethality(dx_downwind_m, dy_crosswind_m, weather)``.

Risk fields: :mod:`~geo_risk.risk.grid` (individual risk on a grid), :mod:`~geo_risk.risk.societal`
(F-N curves), :mod:`~geo_risk.risk.contours` (iso-risk contours).
"""
