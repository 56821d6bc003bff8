"""Access, defined once: API keys with roles, and the disclosure tiers of data.

Roles (``geo_risk.settings.ROLES``, increasing rights): viewer < analyst < editor < admin; ``sensor``
(off the ladder) may post readings and reads what the public reads. A key and
its role come from ``GEO_RISK_API_KEYS`` (JSON ``{"key": "role"}``), sent as ``X-API-Key: <key>`` or
``Authorization: Bearer <key>``. A request without a key is anonymous.

Disclosure tiers:
- ``public`` (anyone, no key): locations, names, grades, R, colours, distances.
- ``restricted`` (analyst and above): chemical inventories and quantities, and anything they can
  be derived from (per-substance terms, q = term × Q).

Writes: loads need an editor key; administration needs admin.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Depends, Request

from api.deps import get_app_settings
from geo_risk.errors import GeoRiskError
from geo_risk.settings import ROLES, SENSOR_ROLE, Settings

__all__ = [
    "Principal",
    "Unauthorized",
    "Forbidden",
    "TIERS",
    "layer_tiers",
    "current_principal",
    "key_from_headers",
    "principal_for_key",
    "require_role",
    "can_see",
]

TIERS = ("public", "restricted")
#: Least role that sees each tier.
TIER_MIN_ROLE = {"public": None, "restricted": "analyst"}


def layer_tiers() -> dict[str, str]:
    """The tier of each map layer, as the layer registry declares it (the one place it is set).

    Public: chemical_parks, residential_areas, enterprises, hazard_units, hazard_sources,
    protection_targets — none of their served fields carries a quantity. Restricted: inventory
    (chemicals and design maximum quantities per unit).
    """
    from layers.registry import REGISTRY

    return {d.id: d.tier for d in REGISTRY.values()}


class Unauthorized(GeoRiskError):
    """No valid API key was sent for an action that needs one (HTTP 401)."""


class Forbidden(GeoRiskError):
    """The key's role does not allow the action (HTTP 403)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: ``role`` None means anonymous."""

    role: str | None
    key_id: str | None = None  # a non-secret label of the key (its first 4 characters) for the audit

    def has(self, role: str) -> bool:
        """At least ``role`` on the ladder viewer < analyst < editor < admin (a sensor key is not on it)."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def tier(self) -> str:
        return "restricted" if self.has("analyst") else "public"


def key_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The API key of a request, from its raw headers (ASGI ``scope["headers"]``): ``X-API-Key: <key>``
    or ``Authorization: Bearer <key>``. The one parser of credentials: the app and the cached-tile
    fast path both call it, so both read a request alike.

    Raises
    ------
    Unauthorized
        More than one credential (two ``X-API-Key`` headers, or a key and a bearer token): which one
        counts would be a guess.
    """
    keys: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == b"x-api-key":
            keys.append(value.decode("latin-1").strip())
        elif name == b"authorization":
            text = value.decode("latin-1").strip()
            if text.lower().startswith("bearer "):
                keys.append(text[7:].strip())
    keys = [k for k in keys if k]
    if len(keys) > 1:
        raise Unauthorized("send one API key: this request carries several (X-API-Key headers or a bearer token)")
    return keys[0] if keys else None


def principal_for_key(key: str | None, settings: Settings) -> Principal:
    """The caller with ``key``: anonymous without one; Unauthorized for a key that is not configured."""
    if key is None:
        return Principal(None)
    for known, role in settings.api_keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return Principal(role, key_id=known[:4] + "…")
    raise Unauthorized("the API key is not valid: check the X-API-Key header")


async def current_principal(request: Request, settings: Settings = Depends(get_app_settings)) -> Principal:
    """The caller: anonymous without a key; 401 for a key that is not configured."""
    return principal_for_key(key_from_headers(request.scope["headers"]), settings)


def require_role(role: str, also: tuple[str, ...] = ()):  # noqa: ANN201
    """A dependency that admits callers with at least ``role``, and those whose role is in ``also``
    (roles off the ladder, e.g. ``SENSOR_ROLE`` for posting readings)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; valid: {ROLES}")
    if any(r != SENSOR_ROLE for r in also):
        raise ValueError(f"unknown role(s) in also {also!r}; valid: ({SENSOR_ROLE!r},)")
    wanted = f"{role!r} or above" + "".join(f", or {r!r}" for r in also)

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role is None:
            raise Unauthorized(f"this action needs an API key with role {wanted} (X-API-Key header)")
        if not (principal.has(role) or principal.role in also):
            raise Forbidden(f"role {principal.role!r} may not do this: it needs {wanted}")
        return principal

    return dependency


def can_see(principal: Principal, tier: str) -> bool:
    """Whether ``principal`` may see data of ``tier``."""
    need = TIER_MIN_ROLE[tier]
    return need is None or principal.has(need)


def authorise_layer(layer_id: str, principal: Principal):  # noqa: ANN201 - returns layers.registry.LayerDef
    """The registered layer ``layer_id`` if ``principal`` may see it.

    Raises NotFound (404) for a layer the caller may not see, exactly as for one that does not exist:
    a restricted layer does not exist for callers below its tier, so the answer (status, text, the
    list of layers it offers) is the same as for a made-up name. Every path that serves a layer
    (items, single items, queryables, tiles, TileJSON, hexagons, exports, filters, the web map) goes
    through here.
    """
    from geo_risk.errors import NotFound
    from layers.registry import REGISTRY

    layer = REGISTRY.get(layer_id)
    if layer is None or not can_see(principal, layer.tier):
        visible = ", ".join(d.id for d in REGISTRY.values() if can_see(principal, d.tier))
        raise NotFound(f"no layer {layer_id!r}; layers: {visible}")
    return layer
