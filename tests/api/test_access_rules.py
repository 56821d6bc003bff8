"""The access rules of ``api/access.py`` one by one, without a server (the module docstring is the spec).

Roles increase viewer < analyst < editor < admin; a key comes as ``X-API-Key: <key>`` or
``Authorization: Bearer <key>``; the restricted tier needs analyst or above; a layer the caller may
not see answers exactly like one that does not exist. The HTTP paths are tested in
test_access_and_loads.py and test_bearer_key.py; these pin each rule so a mutant of one is caught
(docs/mutation-testing.md).
"""

from __future__ import annotations

import pytest

from api.access import (
    Forbidden,
    Principal,
    Unauthorized,
    authorise_layer,
    can_see,
    key_from_headers,
    layer_tiers,
    principal_for_key,
    require_role,
)
from geo_risk.errors import NotFound
from geo_risk.settings import Settings

KEYS = {"k-viewer-0001": "viewer", "k-analyst-002": "analyst", "k-editor-0003": "editor", "k-admin-00004": "admin"}
SETTINGS = Settings(database_url="postgresql+psycopg2://u@127.0.0.1:1/none", api_keys=KEYS)


# -- reading the key from the headers ---------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-api-key", b"k-analyst-002")],
        [(b"X-API-Key", b"k-analyst-002")],  # header names are case-insensitive (RFC 9110 §5.1)
        [(b"x-api-key", b"  k-analyst-002 \t")],  # surrounding whitespace is not part of the key
        [(b"authorization", b"Bearer k-analyst-002")],
        [(b"Authorization", b"bearer k-analyst-002")],  # the auth scheme is case-insensitive (RFC 9110 §11.1)
        [(b"authorization", b"BEARER   k-analyst-002  ")],
        [(b"accept", b"application/json"), (b"x-api-key", b"k-analyst-002"), (b"user-agent", b"curl/8")],
    ],
)
def test_the_key_is_read_from_either_header(headers: list[tuple[bytes, bytes]]) -> None:
    assert key_from_headers(headers) == "k-analyst-002"


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"accept", b"*/*")],
        [(b"authorization", b"Basic dXNlcjpwYXNz")],  # another scheme is not an API key
        [(b"authorization", b"Bearerk-analyst-002")],  # no space: not the Bearer scheme
        [(b"x-api-key", b"   ")],  # an empty key is no key
        [(b"authorization", b"Bearer    ")],
        [(b"x-api-keys", b"k-analyst-002")],
    ],
)
def test_no_key_means_anonymous(headers: list[tuple[bytes, bytes]]) -> None:
    assert key_from_headers(headers) is None
    assert principal_for_key(key_from_headers(headers), SETTINGS) == Principal(None)


def test_header_bytes_are_latin_1() -> None:
    # ASGI gives header values as bytes; HTTP/1.1 field values are ISO-8859-1 (RFC 9110 §5.5).
    assert key_from_headers([(b"x-api-key", b"cl\xe9")]) == "cl\u00e9"
    assert key_from_headers([(b"authorization", b"Bearer cl\xe9")]) == "cl\u00e9"


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-api-key", b"k-analyst-002"), (b"x-api-key", b"k-viewer-0001")],
        [(b"x-api-key", b"k-analyst-002"), (b"authorization", b"Bearer k-viewer-0001")],
        [(b"x-api-key", b"k-analyst-002"), (b"x-api-key", b"k-analyst-002")],  # even the same key twice
    ],
)
def test_two_credentials_are_refused(headers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(Unauthorized, match=r"^send one API key: this request carries several \(X-API-Key"):
        key_from_headers(headers)


def test_an_empty_second_header_is_not_a_second_credential() -> None:
    assert key_from_headers([(b"x-api-key", b""), (b"authorization", b"Bearer k-editor-0003")]) == "k-editor-0003"


# -- who the key belongs to -------------------------------------------------------------------------
@pytest.mark.parametrize("key, role", sorted(KEYS.items()))
def test_each_configured_key_has_its_role(key: str, role: str) -> None:
    principal = principal_for_key(key, SETTINGS)
    assert principal.role == role
    assert principal.key_id == key[:4] + "\u2026"  # a label for the audit, never the whole key


def test_an_unknown_key_is_unauthorised_not_anonymous() -> None:
    for key in ("k-analyst-00", "k-analyst-0022", "K-ANALYST-002", ""):
        with pytest.raises(Unauthorized, match=r"^the API key is not valid: check the X-API-Key header$"):
            principal_for_key(key, SETTINGS)


@pytest.mark.parametrize(
    "role, has",
    [
        (None, {"viewer": False, "analyst": False, "editor": False, "admin": False}),
        ("viewer", {"viewer": True, "analyst": False, "editor": False, "admin": False}),
        ("analyst", {"viewer": True, "analyst": True, "editor": False, "admin": False}),
        ("editor", {"viewer": True, "analyst": True, "editor": True, "admin": False}),
        ("admin", {"viewer": True, "analyst": True, "editor": True, "admin": True}),
    ],
)
def test_roles_are_ordered(role: str | None, has: dict[str, bool]) -> None:
    principal = Principal(role)
    assert {r: principal.has(r) for r in has} == has
    tier = "restricted" if role in ("analyst", "editor", "admin") else "public"
    assert principal.tier == tier
    assert can_see(principal, "public") is True
    assert can_see(principal, "restricted") is (tier == "restricted")


# -- what a role may do -----------------------------------------------------------------------------
def test_require_role_refuses_an_unknown_role_at_definition() -> None:
    with pytest.raises(ValueError, match=r"^unknown role 'owner'; valid: \('viewer', 'analyst', 'editor', 'admin'\)$"):
        require_role("owner")


def test_require_role_admits_that_role_and_above_only() -> None:
    admit = require_role("editor")
    for role in ("editor", "admin"):
        principal = Principal(role, key_id="k-ed\u2026")
        assert admit(principal) is principal
    for role in ("viewer", "analyst"):
        with pytest.raises(Forbidden, match=rf"^role '{role}' may not do this: it needs 'editor' or above$"):
            admit(Principal(role))
    with pytest.raises(Unauthorized, match=r"^this action needs an API key with role 'editor' or above \(X-API-Key"):
        admit(Principal(None))


# -- layers -----------------------------------------------------------------------------------------
def test_only_the_inventory_layer_is_restricted() -> None:
    # The module docstring of layer_tiers: inventory (chemicals and quantities) is restricted, the rest public.
    tiers = layer_tiers()
    assert tiers["inventory"] == "restricted"
    public = {"chemical_parks", "residential_areas", "enterprises", "hazard_units", "hazard_sources",
              "protection_targets"}
    assert {k: tiers[k] for k in public} == dict.fromkeys(public, "public")
    assert set(tiers.values()) == {"public", "restricted"}


def test_a_hidden_layer_answers_like_a_missing_one() -> None:
    viewer, analyst = Principal("viewer"), Principal("analyst")
    assert authorise_layer("inventory", analyst).id == "inventory"
    assert authorise_layer("hazard_sources", viewer).id == "hazard_sources"
    with pytest.raises(NotFound) as hidden:
        authorise_layer("inventory", viewer)
    with pytest.raises(NotFound) as missing:
        authorise_layer("invent0ry", viewer)
    assert str(hidden.value).replace("'inventory'", "'invent0ry'") == str(missing.value)
    offered = str(hidden.value).split("; layers: ")[1].split(", ")
    assert str(hidden.value).startswith("no layer 'inventory'; layers: ")
    assert "inventory" not in offered and "hazard_sources" in offered
    assert set(offered) == {k for k, t in layer_tiers().items() if t == "public"}
    with pytest.raises(NotFound) as for_analyst:
        authorise_layer("invent0ry", analyst)
    assert "inventory" in str(for_analyst.value).split("; layers: ")[1].split(", ")


def test_the_request_dependency_reads_the_raw_headers() -> None:
    import asyncio

    from starlette.requests import Request

    from api.access import current_principal

    def principal(headers: list[tuple[bytes, bytes]]) -> Principal:
        return asyncio.run(current_principal(Request({"type": "http", "headers": headers}), SETTINGS))

    assert principal([(b"authorization", b"Bearer k-editor-0003")]) == Principal("editor", key_id="k-ed\u2026")
    assert principal([]) == Principal(None)
    with pytest.raises(Unauthorized, match=r"^the API key is not valid"):
        principal([(b"x-api-key", b"nope")])
