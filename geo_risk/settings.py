"""The one settings object, read from ``GEO_RISK_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "PROJECT_ROOT", "ROLES"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: Roles in increasing order of rights. Each role has the rights of those before it.
ROLES: tuple[str, ...] = ("viewer", "analyst", "editor", "admin")


class Settings(BaseSettings):
    """geo_risk configuration.

    Every field is read from the environment variable ``GEO_RISK_<FIELD>`` (upper case).
    """

    model_config = SettingsConfigDict(env_prefix="GEO_RISK_", extra="ignore")

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
    load_chunk_rows: int = Field(default=50_000, ge=1000, description="Rows per streamed load chunk.")
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
    wind_rose_file: Path | None = Field(
        default=None,
        description="The city's wind rose for the risk engine: a CSV of the probability of each weather class "
        "with the wind blowing FROM each sector (meteorological convention; format in geo_risk/risk/rose.py). "
        "Unset: the uniform 16-sector rose, a default and not a measured rose (every output says which).",
    )

    @field_validator("wind_rose_file", mode="before")
    @classmethod
    def _empty_rose_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_keys")
    @classmethod
    def _roles_known(cls, keys: dict[str, str]) -> dict[str, str]:
        bad = {k: r for k, r in keys.items() if r not in ROLES}
        if bad:
            raise ValueError(
                f"GEO_RISK_API_KEYS has unknown role(s) {sorted(set(bad.values()))}; "
                f"valid roles are {list(ROLES)}"
            )
        short = [k for k in keys if len(k) < 8]
        if short:
            raise ValueError("GEO_RISK_API_KEYS: every key must be at least 8 characters long")
        return keys

    @model_validator(mode="after")
    def _url_is_postgres(self) -> Settings:
        if self.database_url and not self.database_url.startswith(("postgresql", "postgres")):
            raise ValueError(
                f"GEO_RISK_DATABASE_URL must be a PostgreSQL URL (postgresql://…), got {self.database_url!r}"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
