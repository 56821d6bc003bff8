"""The one settings object, read from ``GEO_RISK_*`` environment variables."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

__all__ = ["Settings", "get_settings", "settings_error_message", "PROJECT_ROOT", "ROLES", "SENSOR_ROLE", "ENV_PREFIX"]

#: Every setting is read from the environment variable ``GEO_RISK_<FIELD>`` (upper case).
ENV_PREFIX = "GEO_RISK_"

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: Roles in increasing order of rights. Each role has the rights of those before it.
ROLES: tuple[str, ...] = ("viewer", "analyst", "editor", "admin")
#: A role outside the ladder: a sensor gateway's key may post readings (``POST /api/v1/readings``) and
#: otherwise reads only what the public reads — no analyst key needs to sit in field equipment.
SENSOR_ROLE = "sensor"


class Settings(BaseSettings):
    """geo_risk configuration.

    Every field is read from the environment variable ``GEO_RISK_<FIELD>`` (upper case).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a PostGIS database. Unset: the project's embedded cluster is used.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".geo_risk",
        description="Project-local folder of the embedded PostgreSQL cluster and other state.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API server binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="API port; 0 picks a free port.")
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description='API keys and their roles as JSON, e.g. {"k1": "editor", "k2": "viewer"}.',
    )
    tianditu_token: str | None = Field(
        default=None,
        description="Token of the 天地图 (Tianditu) base map; without it that base map is not offered.",
    )
    max_upload_mb: float = Field(default=200.0, gt=0, description="Largest accepted upload, MB.")
    load_chunk_rows: int = Field(default=25_000, ge=1000, description="Rows per streamed load chunk.")
    tile_cache_mb: float = Field(
        default=256.0, ge=0, description="Memory for the vector-tile cache, MB (0 turns the cache off)."
    )
    tile_max_features: int | None = Field(
        default=None,
        ge=1,
        description="Cap of features per vector tile; unset means none (at and above a layer's minimum zoom "
        "every feature is kept). Exists for like-for-like benchmarks against peers that cap tiles.",
    )
    tile_concurrency: int = Field(
        default=0,
        ge=0,
        description="Tiles computed at once per server process (0: twice the CPU cores). Further requests wait "
        "their turn: on a small machine 32 tile queries at once only fight over the cores.",
    )
    items_max_limit: int = Field(default=10_000, ge=1, le=1_000_000, description="Largest page of OGC API items.")
    heavy_public: int = Field(
        default=1, ge=1, le=64,
        description="Heavy jobs (exports, hexagon-index builds) run at once for anonymous callers and viewers.",
    )
    heavy_restricted: int = Field(
        default=2, ge=1, le=64,
        description="Heavy jobs (exports, hexagon-index builds, risk runs) run at once for analysts and above.",
    )
    heavy_wait_s: float = Field(
        default=15.0, ge=0, le=600,
        description="How long a heavy request waits for a slot of its tier before a 429 with Retry-After.",
    )
    wind_rose_file: Path | None = Field(
        default=None,
        description="The city's wind rose for the risk engine: a CSV of the probability of each weather class "
        "with the wind blowing FROM each sector (meteorological convention; format in geo_risk/risk/rose.py). "
        "Unset: the uniform 16-sector rose, a default and not a measured rose (every output says which).",
    )
    risk_sector_smoothing: Literal["exact", "rays"] = Field(
        default="exact",
        description="Risk engine: how a wind sector's probability is spread — exact (uniform over the sector's "
        "width, Purple Book §6.2.5, C1) or rays (all along the centre bearing: contours as spokes). "
        "CLI --sector-smoothing, API sector_smoothing.",
    )
    risk_population_treatment: Literal["purple_book", "outdoor_everyone"] = Field(
        default="purple_book",
        description="Risk engine, societal risk: purple_book (people by day/night, indoors/outdoors, indoor "
        "lethality per effect; C1) or outdoor_everyone (conservative screening). CLI --population-treatment.",
    )
    risk_day_fraction: float | None = Field(
        default=None, ge=0, le=1,
        description="Risk engine: share of the year in the day period, 0-1 (unset: 08:00-18:30 = 0.4375, "
        "UNCONFIRMED). CLI --day-fraction.",
    )
    risk_flash_fire_indoor_factor: float | None = Field(
        default=None, ge=0, le=1,
        description="Risk engine: indoor lethality inside a flash-fire envelope, 0-1 (unset: 1, UNCONFIRMED; "
        "sources say 1 or 0). CLI --flash-fire-indoor-factor.",
    )

    clusters_heat_thresholds_kw_m2: tuple[float, float] = Field(
        default=(15.0, 45.0),
        description="Joint-prevention clusters: heat-flux escalation thresholds, kW/m², of atmospheric and "
        "pressurised equipment (Cozzani et al. 2006 as cited, UNCONFIRMED); JSON, e.g. [15, 45].",
    )
    clusters_blast_thresholds_kpa: tuple[float, float, float, float] = Field(
        default=(22.0, 16.0, 31.0, 37.0),
        description="Joint-prevention clusters: overpressure escalation thresholds, kPa, of atmospheric, "
        "pressurised, elongated and small equipment (as cited, UNCONFIRMED); JSON.",
    )
    clusters_fallback_m: tuple[float, float] = Field(
        default=(200.0, 500.0),
        description="Joint-prevention clusters, units without consequence data: nearest hazardous units within the "
        "first distance, or plant boundaries within the second when both hold a major hazard; metres (CHOICE).",
    )
    clusters_policy_distance_m: float = Field(
        default=1000.0, gt=0, le=20_000,
        description="Joint-prevention clusters: policy neighbours are in one park or within this distance, metres "
        "(CHOICE).",
    )
    clusters_policy_min_weight: float = Field(
        default=0.25, ge=0, le=1,
        description="Joint-prevention clusters: policy links weaker than this are pruned; weight = shared traits/2 "
        "× proximity (CHOICE).",
    )
    clusters_policy_max_links: int = Field(
        default=4, ge=0, le=1000,
        description="Joint-prevention clusters: each enterprise keeps its this many strongest policy links (a link "
        "stays when it is among the strongest of either end; 0: no limit; CHOICE).",
    )

    zoning_h3_resolution: int = Field(
        default=8, ge=5, le=10,
        description="H3 resolution of the four-colour zoning and heatmap cells (8: about 0.74 km² a cell, "
        "between the reference's 500 m built-up and 1 km rural cells; a service choice).",
    )
    zoning_h3_fine_resolution: int | None = Field(
        default=9, ge=6, le=11,
        description="Finer H3 resolution served when zoomed in (layer risk_zones_fine); unset: none.",
    )
    zoning_r_kernel: str = Field(
        default="quartic", pattern="^(quartic|triangular|uniform)$",
        description="Kernel of the heatmap's distance-weighted sum of GB 18218 R: quartic (1-(d/h)²)², "
        "triangular 1-d/h, or uniform (1 within the radius).",
    )
    zoning_r_radius_m: float = Field(
        default=1000.0, gt=0, le=20_000,
        description="Radius h of the heatmap's R kernel, metres (a service choice).",
    )

    conflicts_shortfall_bands: tuple[float, float, float] = Field(
        default=(0.5, 0.25, 0.1),
        description="Proximity-conflict colours (a service choice): a distance conflict is red when it falls short "
        "by at least the first share of the required distance, orange the second, yellow the third, else blue; "
        'JSON, e.g. [0.5, 0.25, 0.1].',
    )
    conflicts_cumulative: bool = Field(
        default=True,
        description="Also report conflicts of the cumulative individual risk summed over all enterprises (the "
        "regional view) beside the per-enterprise test.",
    )

    relocation_density_per_km2: float = Field(
        default=1500.0, gt=0,
        description="Relocation candidates (a service choice; 国办发〔2017〕77号 gives no number): residents per km² "
        "within the density ring of the site boundary at or above which a producer is in a densely populated area.",
    )
    relocation_density_ring_m: float = Field(
        default=500.0, gt=0, le=20_000, description="Width of the density ring around the site boundary, metres.",
    )
    relocation_near_homes_m: float = Field(
        default=1000.0, gt=0, le=20_000,
        description="Homes within this distance of the site stand in for 'within 1 km of the built-up area', metres.",
    )
    relocation_min_upgrade_share: float = Field(
        default=0.5, gt=0, le=1,
        description="An on-site upgrade must keep at least this share of the inventory (a service choice).",
    )
    relocation_excluded_grades: tuple[str, ...] = Field(
        default=("A", "B"),
        description='Park grades (应急〔2023〕123号) that receive no relocated firm, JSON, e.g. ["A", "B"].',
    )
    relocation_producers_only: bool = Field(
        default=True,
        description="Relocation candidates are hazardous-chemical producers only (the national text); false also "
        "takes storage-only firms (as some provinces did).",
    )
    relocation_grade_mode: str = Field(
        default="exclude",
        description="'exclude' keeps firms out of parks of the excluded grades; 'penalty' prices them instead.",
    )
    relocation_site_check_shortlist: int = Field(
        default=3, ge=1,
        description="Parks per firm (the cheapest by the distance-count proxy) on which the relocation plan runs the "
        "siting check of the firm's inventory (CHOICE); more while every one checked vetoes.",
    )
    relocation_veto_mode: str = Field(
        default="exclude",
        description="'exclude': a siting-check veto at the new site makes the firm–park pair infeasible; 'penalty' "
        "prices it instead.",
    )
    relocation_park_fn: bool = Field(
        default=True,
        description="The relocation plan computes each receiving park's F-N before and after (a park QRA each side; "
        "tens of seconds on the sample city).",
    )

    monitoring_enabled: bool = Field(
        default=False,
        description="Live monitoring (issue 15): `geo-risk serve` and `geo-risk demo` also start the MQTT broker "
        "(mosquitto) and the readings ingest.",
    )
    mqtt_host: str = Field(default="127.0.0.1", description="MQTT broker address (the project's own: loopback).")
    mqtt_port: int = Field(
        default=0, ge=0, le=65535,
        description="MQTT broker port; 0: the project's broker on a free port chosen at its first start.",
    )
    mqtt_user: str = Field(default="georisk", min_length=1, description="MQTT user name of the ingest and senders.")
    mqtt_password: SecretStr | None = Field(
        default=None,
        description="MQTT password; unset: one is generated at the broker's first start and kept in "
        "<data dir>/mqtt/credentials (mode 0600).",
    )
    monitoring_retention_days: int = Field(
        default=90, ge=30, le=3650,
        description="Days of readings kept; older daily partitions are dropped (AQ 3035 / the 2011 regulation ask "
        "for at least 30 days: docs/standards/aq3035-2010.md §4).",
    )
    monitoring_future_tolerance_s: float = Field(
        default=60.0, ge=0, le=86_400,
        description="A reading stamped more than this many seconds ahead of the server clock is refused (future).",
    )
    monitoring_batch_rows: int = Field(
        default=5000, ge=1, le=1_000_000, description="MQTT ingest: readings per committed batch at most.",
    )
    monitoring_flush_ms: float = Field(
        default=100.0, gt=0, le=60_000,
        description="MQTT ingest: a batch is committed at the latest this many milliseconds after its first "
        "reading (the bound of the ingest's own share of reading-to-alarm latency).",
    )
    alarm_parameters: dict[str, float] = Field(
        default_factory=dict,
        description="Alarm engine: overrides of its CHOICE numbers (docs/standards/alarm-management.md §A6), JSON, "
        'e.g. {"stuck_after_s": 1800, "standing_after_s": 43200}; the numbers from standards cannot be overridden.',
    )
    alarm_tick_s: float = Field(
        default=2.0, gt=0, le=60,
        description="Alarm service: seconds between clock ticks (silent sensors, expired shelves unshelved).",
    )
    alarm_stream_heartbeat_s: float = Field(
        default=15.0, gt=0, le=300,
        description="GET /api/v1/alarms/stream: seconds between heartbeat comments of an idle event stream.",
    )

    @field_validator("risk_day_fraction", "risk_flash_fire_indoor_factor", mode="before")
    @classmethod
    def _empty_risk_value_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("wind_rose_file", mode="before")
    @classmethod
    def _empty_rose_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("alarm_parameters")
    @classmethod
    def _alarm_parameters_known(cls, value: dict[str, float]) -> dict[str, float]:
        from geo_risk.monitoring.alarms import parameters  # lazily: numpy is not needed to read settings

        try:
            parameters(value)
        except Exception as exc:  # an InvalidInput naming the parameter
            raise ValueError(f"GEO_RISK_ALARM_PARAMETERS: {exc}") from None
        return value

    @field_validator("api_keys")
    @classmethod
    def _roles_known(cls, keys: dict[str, str]) -> dict[str, str]:
        problems = []
        bad = sorted({str(r) for r in keys.values() if r not in ROLES and r != SENSOR_ROLE})
        if bad:
            problems.append(f"unknown role(s) {bad}; valid roles are {[*ROLES, SENSOR_ROLE]}")
        short = sum(len(k) < 8 for k in keys)
        if short:  # the keys themselves are secrets: never repeated
            problems.append(f"every key must be at least 8 characters long ({short} of {len(keys)} shorter)")
        if problems:
            raise ValueError("GEO_RISK_API_KEYS: " + "; ".join(problems))
        return keys

    @model_validator(mode="after")
    def _url_is_postgres(self) -> Settings:
        if self.database_url and not self.database_url.startswith(("postgresql", "postgres")):
            scheme = self.database_url.split(":", 1)[0][:20]  # not the rest: it may hold a password
            raise ValueError(
                f"GEO_RISK_DATABASE_URL must be a PostgreSQL URL (postgresql://…), got one of scheme {scheme!r}"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def settings_error_message(exc: ValidationError | SettingsError) -> str:
    """One line saying which ``GEO_RISK_*`` setting is wrong and why, for a settings error at start-up.

    Names each setting by its environment variable and never repeats the value received (API keys
    and database URLs are secrets).
    """
    if isinstance(exc, SettingsError):  # a value that is not even parsable (e.g. API keys that are not JSON)
        match = re.search(r'field "([^"]+)"', str(exc))
        name = f"{ENV_PREFIX}{match.group(1).upper()}" if match else "a GEO_RISK_ setting"
        example = f""" (e.g. {ENV_PREFIX}API_KEYS='{{"a-key-of-8-or-more": "viewer"}}')""" if name.endswith(
            "API_KEYS") else ""
        return f"{name} could not be read: it must be JSON{example}"
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        loc = err.get("loc") or ()
        name = f"{ENV_PREFIX}{str(loc[0]).upper()}" if loc else ""
        parts.append(msg if not name or msg.startswith(name) else f"{name}: {msg}")
    return "; ".join(parts).replace("\n", " ")
