"""Passive Gaussian dispersion: Briggs plume σ, CCPS puff σ, wind profile, plume, puff, dose, reach.

Coordinates: x downwind from the source (m), y crosswind (m), z height above ground (m). The
source is at (0, 0, h). Concentrations are in **kg/m³**; rates in kg/s, masses in kg, wind in m/s,
times in s. Every function is vectorised (numpy broadcasting over x, y, z) and returns 0 upwind
(x ≤ 0).

Models (qra-method.md §4–§5):

* **Plume** (continuous release, C2):
  c = Q / (2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−h)²/2σz²) + exp(−(z+h)²/2σz²)].
  σy, σz: Briggs (1973) rural or urban (``briggs_sigma.csv``; urban E–F σz with 0.0015). The
  fits are for about 100 m – 10 km; they are extrapolated below and above, as usual in QRA.
* **Puff** (instantaneous release): c = M / ((2π)^{3/2} σx σy σz) · exp(−(x−ut)²/2σx²) ·
  exp(−y²/2σy²) · [same two reflection terms], with the **CCPS puff σ set** (σx = σy = a·x^b,
  σz = a·x^b; ``puff_sigma.csv``, C1 — AIChE/CCPS 1999 as coded in GasDispersion.jl), evaluated
  at the distance travelled by the puff centre. The CCPS puff set has no urban variant.
* **Dose of a passing puff** at a receptor: closed forms of ∫c dt and ∫cⁿ dt with the σ frozen at
  the receptor's downwind distance while the puff passes (the usual approximation), optionally
  over a window of given length centred on the peak (the 30 min toxic cap).
* **Wind profile**: u(z) = u₁₀ (z / 10 m)^p, Irwin exponents (``wind_profile_exponents.csv``).
* **Reach**: :func:`max_reach_m` — the largest distance from the source at which a field reaches
  a threshold, for limiting each outcome's grid window.

Dense gases
-----------
:func:`check_dense_gas_continuous` and :func:`check_dense_gas_instantaneous` apply the Britter &
McQuaid (1988) criteria (thresholds 0.15 and 0.20, UNCONFIRMED) to FLAG dense releases. The model
does not switch: the passive-Gaussian result is kept and flagged :data:`DENSE_GAS_FLAG`.
**Whether that is conservative is not established in general**, and this code does not claim it:
gravity spreading makes a dense cloud wider and shallower than the Gaussian near the source (the
Gaussian under-predicts the crosswind extent there), the stable density stratification damps
vertical mixing so ground-level concentrations can stay higher for longer than the Gaussian
predicts (non-conservative downwind of the slumping zone), while the strong initial
gravity-driven entrainment can make the Gaussian over-predict the centreline distance for some
releases. The direction of the error depends on release size, density and weather. Flagged
results are screening values, not certified ones (qra-method.md §5.3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import erf

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import (
    _check_finite,
    _check_nonnegative,
    _check_stability,
    _scalar_nonnegative,
    _scalar_positive,
    briggs_coefficients,
    constant,
    puff_sigma_coefficients,
    wind_profile_exponent,
)
from geo_risk.risk.weather import Weather

__all__ = [
    "DENSE_GAS_FLAG",
    "DenseGasCheck",
    "briggs_sigma_y_m",
    "briggs_sigma_z_m",
    "puff_sigmas_m",
    "wind_speed_at_height_m_s",
    "advection_speed_m_s",
    "plume_concentration_kg_m3",
    "puff_concentration_kg_m3",
    "puff_peak_concentration_kg_m3",
    "puff_dose",
    "max_reach_m",
    "reach_box_m",
    "ReachBox",
    "air_density_kg_m3",
    "gas_density_kg_m3",
    "check_dense_gas_continuous",
    "check_dense_gas_instantaneous",
]

DENSE_GAS_FLAG = "passive-Gaussian approximation (dense gas)"
_REACH_MIN_M = 0.1


def _briggs(x_m: np.ndarray | float, stability: str, terrain: str, axis: str) -> np.ndarray:
    x = _check_finite("downwind distance", x_m, "m")
    c = briggs_coefficients(terrain, stability, axis)
    xp = np.maximum(x, 0.0)
    return c.a * xp * (1.0 + c.b * xp) ** c.exponent


def briggs_sigma_y_m(x_m: np.ndarray | float, stability: str, terrain: str = "rural") -> np.ndarray:
    """Briggs (1973) crosswind plume σy in m at downwind distance ``x_m`` (m); 0 for x ≤ 0.

    Examples
    --------
    >>> round(float(briggs_sigma_y_m(1000.0, "D")), 3)
    76.277
    """
    return _briggs(x_m, stability, terrain, "y")


def briggs_sigma_z_m(x_m: np.ndarray | float, stability: str, terrain: str = "rural") -> np.ndarray:
    """Briggs (1973) vertical plume σz in m at downwind distance ``x_m`` (m); 0 for x ≤ 0.

    Examples
    --------
    >>> round(float(briggs_sigma_z_m(1000.0, "D")), 3)
    37.947
    """
    return _briggs(x_m, stability, terrain, "z")


def puff_sigmas_m(x_m: np.ndarray | float, stability: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CCPS puff (σx, σy, σz) in m at distance ``x_m`` (m) travelled by the puff centre; σx = σy."""
    x = np.maximum(_check_finite("puff travel distance", x_m, "m"), 0.0)
    cxy = puff_sigma_coefficients(stability, "xy")
    cz = puff_sigma_coefficients(stability, "z")
    sy = cxy.a * x**cxy.b
    return sy, sy.copy(), cz.a * x**cz.b


def wind_speed_at_height_m_s(
    wind_speed_10m_m_s: float, height_m: np.ndarray | float, stability: str, terrain: str = "rural"
) -> np.ndarray:
    """Wind speed at ``height_m`` (m, > 0) by the power law u = u₁₀ (z / 10 m)^p, in m/s.

    Examples
    --------
    >>> round(float(wind_speed_at_height_m_s(1.5, 3.5, "F", "rural")), 4)  # GasDispersion.jl CCPS example
    0.842
    """
    u10 = _scalar_positive("wind speed at 10 m", wind_speed_10m_m_s, "m/s")
    z = _check_finite("height", height_m, "m")
    if (z <= 0).any():
        raise InvalidInput(f"height for the wind profile must be > 0 m; got {z[z <= 0].flat[0]!r}")
    p = wind_profile_exponent(terrain, stability)
    return u10 * (z / constant("wind_reference_height")) ** p


def advection_speed_m_s(weather: Weather, release_height_m: float) -> float:
    """Speed (m/s) that carries a plume or puff: the wind at max(release height, floor).

    The floor is ``plume_advection_height_floor`` (10 m, UNCONFIRMED project choice: the Purple
    Book's passive model uses the 10 m wind; CCPS's example uses the release height).
    """
    h = _scalar_nonnegative("release height", release_height_m, "m")
    z = max(h, constant("plume_advection_height_floor"))
    return float(wind_speed_at_height_m_s(weather.wind_speed_10m_m_s, z, weather.stability, weather.terrain))


def _vertical(z: np.ndarray, h: float, sz: np.ndarray) -> np.ndarray:
    return np.exp(-((z - h) ** 2) / (2 * sz**2)) + np.exp(-((z + h) ** 2) / (2 * sz**2))


def _xyz(x_m: object, y_m: object, z_m: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _check_finite("downwind distance x", x_m, "m")
    y = _check_finite("crosswind distance y", y_m, "m")
    z = _check_nonnegative("receptor height z", z_m, "m")
    if np.isinf(z).any():
        raise InvalidInput("receptor height z must be finite (m)")
    return np.broadcast_arrays(x, y, z)


def plume_concentration_kg_m3(
    rate_kg_s: float,
    wind_speed_m_s: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    stability: str,
    terrain: str = "rural",
    release_height_m: float = 0.0,
) -> np.ndarray:
    """Gaussian plume concentration (kg/m³) of a continuous release, with ground reflection.

    Parameters
    ----------
    rate_kg_s : float
        Release rate Q, kg/s, ≥ 0.
    wind_speed_m_s : float
        Advection speed u, m/s, > 0 (see :func:`advection_speed_m_s`).
    x_m, y_m, z_m : array_like
        Receptor: downwind, crosswind distance and height, m (broadcast together).
    stability : str
        Pasquill class A–F.
    terrain : {"rural", "urban"}
        Briggs σ set.
    release_height_m : float
        Source height h, m, ≥ 0.

    Returns
    -------
    numpy.ndarray
        Concentration in kg/m³; 0 for x ≤ 0 (upwind and at the source).
    """
    q = _scalar_nonnegative("release rate", rate_kg_s, "kg/s")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    h = _scalar_nonnegative("release height", release_height_m, "m")
    stability = _check_stability(stability)
    x, y, z = _xyz(x_m, y_m, z_m)
    down = x > 0
    xs = np.where(down, x, 1.0)
    sy = briggs_sigma_y_m(xs, stability, terrain)
    sz = briggs_sigma_z_m(xs, stability, terrain)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = q / (2 * np.pi * u * sy * sz) * np.exp(-(y**2) / (2 * sy**2)) * _vertical(z, h, sz)
    return np.where(down, np.nan_to_num(c, nan=0.0), 0.0)


def puff_concentration_kg_m3(
    mass_kg: float,
    wind_speed_m_s: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    time_s: np.ndarray | float,
    stability: str,
    release_height_m: float = 0.0,
) -> np.ndarray:
    """Gaussian puff concentration (kg/m³) at time ``time_s`` (s) after an instantaneous release.

    σ from the CCPS puff set at the centre's travel distance u·t; 0 for t ≤ 0 and for x ≤ 0.
    """
    m = _scalar_nonnegative("released mass", mass_kg, "kg")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    h = _scalar_nonnegative("release height", release_height_m, "m")
    x, y, z = _xyz(x_m, y_m, z_m)
    x, y, z, t = np.broadcast_arrays(x, y, z, _check_finite("time", time_s, "s"))
    travel = u * t
    ok = (travel > 0) & (x > 0)
    sx, sy, sz = puff_sigmas_m(np.where(ok, travel, 1.0), stability)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = (
            m / ((2 * np.pi) ** 1.5 * sx * sy * sz)
            * np.exp(-((x - travel) ** 2) / (2 * sx**2))
            * np.exp(-(y**2) / (2 * sy**2))
            * _vertical(z, h, sz)
        )  # fmt: skip
    return np.where(ok, np.nan_to_num(c, nan=0.0), 0.0)


def puff_peak_concentration_kg_m3(
    mass_kg: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    stability: str,
    release_height_m: float = 0.0,
) -> np.ndarray:
    """Peak concentration (kg/m³) as the puff centre passes (σ at the receptor's x); 0 for x ≤ 0."""
    m = _scalar_nonnegative("released mass", mass_kg, "kg")
    h = _scalar_nonnegative("release height", release_height_m, "m")
    x, y, z = _xyz(x_m, y_m, z_m)
    down = x > 0
    sx, sy, sz = puff_sigmas_m(np.where(down, x, 1.0), stability)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = m / ((2 * np.pi) ** 1.5 * sx * sy * sz) * np.exp(-(y**2) / (2 * sy**2)) * _vertical(z, h, sz)
    return np.where(down, np.nan_to_num(c, nan=0.0), 0.0)


def puff_dose(
    mass_kg: float,
    wind_speed_m_s: float,
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    z_m: np.ndarray | float,
    stability: str,
    release_height_m: float = 0.0,
    *,
    n: float = 1.0,
    concentration_scale: float = 1.0,
    max_duration_s: float = math.inf,
) -> np.ndarray:
    """Dose ∫(s·c)ⁿ dt of a passing puff at a receptor, closed form, in (s·kg/m³)ⁿ·s.

    With A = M / ((2π)^{3/2} σx σy σz) · exp(−y²/2σy²) · [reflection terms] (the peak
    concentration, σ frozen at the receptor's x) and the puff moving at u:

        ∫(s·c)ⁿ dt over a window T centred on the peak = (s·A)ⁿ · √(2π/n) · σx/u · erf(u T √n / (2√2 σx)).

    ``T = inf`` gives the whole passage (erf = 1). n = 1 gives ∫c dt = M/(2π u σy σz) · exp(…)·[…].

    Parameters
    ----------
    concentration_scale : float
        s, converts kg/m³ to the probit's unit before the power (1e6 for mg/m³).
    max_duration_s : float
        Exposure window T, s (the toxic cap, 1800 s, ``toxic_exposure_cap``).

    Returns
    -------
    numpy.ndarray
        Dose in (concentration unit)ⁿ·**s** (divide by 60 for ·min); 0 for x ≤ 0.
    """
    m = _scalar_nonnegative("released mass", mass_kg, "kg")
    u = _scalar_positive("wind speed", wind_speed_m_s, "m/s")
    n = _scalar_positive("exponent n", n, "")
    s = _scalar_positive("concentration scale", concentration_scale, "")
    t_cap = float(max_duration_s)
    if not t_cap > 0:
        raise InvalidInput(f"max_duration_s must be > 0 s (or inf); got {max_duration_s!r}")
    x, _, _ = _xyz(x_m, y_m, z_m)
    down = x > 0
    peak = puff_peak_concentration_kg_m3(m, x_m, y_m, z_m, stability, release_height_m)
    sx, _, _ = puff_sigmas_m(np.where(down, x, 1.0), stability)
    window = 1.0 if math.isinf(t_cap) else erf(u * t_cap * math.sqrt(n) / (2 * math.sqrt(2) * sx))
    with np.errstate(over="ignore"):
        dose = (s * peak) ** n * math.sqrt(2 * math.pi / n) * sx / u * window
    return np.where(down, dose, 0.0)


def max_reach_m(
    field: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
    *,
    max_distance_m: float = 100_000.0,
    directional: bool = True,
    n_radii: int = 800,
    n_angles: int = 360,
) -> float:
    """The largest distance (m) from the source at which ``field(dx, dy) ≥ threshold``.

    The field is sampled on ``n_radii`` geometrically spaced radii from 0.1 m to
    ``max_distance_m`` (and, if ``directional``, ``n_angles`` directions around the full circle,
    the downwind axis included); the returned distance is the sampled radius **after** the last
    one that reaches the threshold (an upper bound within one radial step, ≈ 1.6 %), or 0 if none
    does, or ``max_distance_m`` if the field still reaches it there. ``field`` must be vectorised:
    it receives arrays ``dx`` (downwind, m) and ``dy`` (crosswind, m) of shape (radii, angles).
    """
    return reach_box_m(
        field, threshold, max_distance_m=max_distance_m, directional=directional, n_radii=n_radii, n_angles=n_angles
    ).reach


class ReachBox(NamedTuple):
    """Where a field reaches its threshold, in the source's wind frame (m).

    ``reach``: as :func:`max_reach_m`. ``down_min``/``down_max``: the range of downwind distances
    and ``cross_max`` the largest |crosswind distance| of the sampled hits, each widened by the
    sampling step at the outermost hit (one radial step plus one angular step of arc), so the
    box holds every point between samples too. All zero when nothing reaches the threshold.
    ``radii`` (m) and ``peak`` (the field's largest sampled value at each radius, over every
    sampled direction) give the radial profile, for bounds on how far an outcome's risk matters.
    """

    reach: float
    down_min: float
    down_max: float
    cross_max: float
    radii: np.ndarray | None = None
    peak: np.ndarray | None = None


def reach_box_m(
    field: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
    *,
    max_distance_m: float = 100_000.0,
    directional: bool = True,
    n_radii: int = 800,
    n_angles: int = 360,
) -> ReachBox:
    """:func:`max_reach_m` plus the bounding box of the reached region in the wind frame (m).

    The grid engine evaluates a directional outcome only on the cells whose (downwind, crosswind)
    coordinates fall in this box: a narrow plume then costs its own area, not the whole circle of
    its reach. Omnidirectional fields (``directional=False``) get the full disc: ±reach.
    """
    thr = float(threshold)
    if not math.isfinite(thr):
        raise InvalidInput(f"threshold must be finite; got {threshold!r}")
    r = np.geomspace(_REACH_MIN_M, _scalar_positive("max distance", max_distance_m, "m"), n_radii)
    theta = np.linspace(0.0, 2 * np.pi, n_angles, endpoint=False) if directional else np.zeros(1)
    dx = r[:, None] * np.cos(theta)[None, :]
    dy = r[:, None] * np.sin(theta)[None, :]
    values = np.asarray(field(dx, dy), dtype=float)
    reached = values >= thr
    hit = np.flatnonzero(reached.any(axis=1))
    peak = values.max(axis=1)
    if hit.size == 0:
        return ReachBox(0.0, 0.0, 0.0, 0.0, r, peak)
    reach = float(r[min(hit[-1] + 1, r.size - 1)])
    if not directional:
        return ReachBox(reach, -reach, reach, reach, r, peak)
    # Between samples the region can extend one radial step outwards and one angular step of arc
    # sideways; the outermost hit has the widest steps, so its margin serves every hit.
    margin = (reach - float(r[hit[-1]])) + reach * (2 * math.pi / n_angles)
    hx, hy = dx[reached], dy[reached]
    return ReachBox(
        reach,
        min(float(hx.min()), 0.0) - margin,
        max(float(hx.max()), 0.0) + margin,
        float(np.abs(hy).max()) + margin,
        r,
        peak,
    )


# -- dense gas ------------------------------------------------------------------------------------


def air_density_kg_m3(temperature_k: float, pressure_pa: float = 101325.0) -> float:
    """Dry-air density (kg/m³), ideal gas: P·M_air / (R·T)."""
    t = _scalar_positive("air temperature", temperature_k, "K")
    p = _scalar_positive("air pressure", pressure_pa, "Pa")
    return p * constant("air_molar_mass") * 1e-3 / (constant("gas_constant") * t)


def gas_density_kg_m3(molar_mass_g_per_mol: float, temperature_k: float, pressure_pa: float = 101325.0) -> float:
    """Ideal-gas density (kg/m³) of a pure vapour at ``temperature_k`` (K) and ``pressure_pa`` (Pa).

    For a cold or flashing release pass the cloud temperature (e.g. the normal boiling point); an
    aerosol fraction makes the real cloud denser than this.
    """
    m = _scalar_positive("molar mass", molar_mass_g_per_mol, "g/mol")
    t = _scalar_positive("gas temperature", temperature_k, "K")
    p = _scalar_positive("pressure", pressure_pa, "Pa")
    return p * m * 1e-3 / (constant("gas_constant") * t)


@dataclass(frozen=True)
class DenseGasCheck:
    """Britter–McQuaid dense-gas criterion: ``value`` ≥ ``threshold`` → ``is_dense``.

    ``flag`` is :data:`DENSE_GAS_FLAG` for a dense release (the passive-Gaussian result is kept
    and must be labelled with it), else None.
    """

    criterion: str
    value: float
    threshold: float
    is_dense: bool
    flag: str | None


def _reduced_gravity(gas_density: float, air_density: float) -> float:
    return constant("standard_gravity") * (gas_density - air_density) / air_density


def check_dense_gas_continuous(
    rate_kg_s: float, gas_density_kg_m3: float, air_density_kg_m3: float, wind_speed_10m_m_s: float
) -> DenseGasCheck:
    """Britter & McQuaid (1988) criterion for a continuous release.

    Dense if (g₀′·q₀ / D)^{1/3} / U₁₀ ≥ 0.15 (UNCONFIRMED threshold), with g₀′ = g (ρ − ρa)/ρa
    (m/s²), q₀ = Q/ρ the volumetric rate (m³/s), D = √(q₀/U₁₀) (m), U₁₀ the 10 m wind (m/s).
    A gas lighter than air or as heavy gives 0 (not dense).
    """
    q = _scalar_positive("release rate", rate_kg_s, "kg/s")
    rho = _scalar_positive("gas density", gas_density_kg_m3, "kg/m³")
    rho_a = _scalar_positive("air density", air_density_kg_m3, "kg/m³")
    u = _scalar_positive("wind speed at 10 m", wind_speed_10m_m_s, "m/s")
    g0 = max(_reduced_gravity(rho, rho_a), 0.0)
    q0 = q / rho
    d = math.sqrt(q0 / u)
    value = (g0 * q0 / d) ** (1.0 / 3.0) / u
    thr = constant("dense_gas_continuous_threshold")
    dense = value >= thr
    return DenseGasCheck("britter_mcquaid_continuous", value, thr, dense, DENSE_GAS_FLAG if dense else None)


def check_dense_gas_instantaneous(
    mass_kg: float, gas_density_kg_m3: float, air_density_kg_m3: float, wind_speed_10m_m_s: float
) -> DenseGasCheck:
    """Britter & McQuaid (1988) criterion for an instantaneous release.

    Dense if √(g₀′·V₀^{1/3}) / U₁₀ ≥ 0.20 (UNCONFIRMED threshold), V₀ = M/ρ the initial cloud
    volume (m³).
    """
    m = _scalar_positive("released mass", mass_kg, "kg")
    rho = _scalar_positive("gas density", gas_density_kg_m3, "kg/m³")
    rho_a = _scalar_positive("air density", air_density_kg_m3, "kg/m³")
    u = _scalar_positive("wind speed at 10 m", wind_speed_10m_m_s, "m/s")
    g0 = max(_reduced_gravity(rho, rho_a), 0.0)
    value = math.sqrt(g0 * (m / rho) ** (1.0 / 3.0)) / u
    thr = constant("dense_gas_instantaneous_threshold")
    dense = value >= thr
    return DenseGasCheck("britter_mcquaid_instantaneous", value, thr, dense, DENSE_GAS_FLAG if dense else None)
