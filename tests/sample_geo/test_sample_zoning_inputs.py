"""The sample city's zoning inputs: four districts that tile the city without overlap, and official
应急〔2018〕19号 scores on some operating enterprises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import shapely

from geo_risk.io.schema import ADMIN_CODE_PATTERN

GPKG = Path(__file__).resolve().parents[2] / "sample_geo" / "jilin_city.gpkg"


def test_districts_tile_the_city() -> None:
    admin = pyogrio.read_dataframe(GPKG, layer="admin_areas").to_crs("EPSG:4551")
    assert admin["code"].str.fullmatch(ADMIN_CODE_PATTERN).all() and admin["code"].is_unique
    assert set(admin["code"]) == {"220202", "220203", "220204", "220211"}
    geoms = admin.geometry.values
    overlap = sum(shapely.area(shapely.intersection(geoms[i], geoms[j]))
                  for i in range(len(geoms)) for j in range(i + 1, len(geoms)))
    assert overlap < 1.0  # m²: they share edges only
    union = shapely.union_all(geoms)
    for layer in ("enterprises", "residential_areas", "protection_targets", "chemical_parks"):
        frame = pyogrio.read_dataframe(GPKG, layer=layer).to_crs("EPSG:4551")
        assert shapely.within(frame.geometry.values, union).all(), layer


def test_some_operating_enterprises_carry_an_official_score() -> None:
    ent = pyogrio.read_dataframe(GPKG, layer="enterprises", read_geometry=False)
    scored = ent[ent["risk_score"].notna()]
    assert 10 <= len(scored) <= 40
    assert (scored["status"] == "operating").all()
    assert scored["risk_score"].between(0, 100).all()
    assert (scored["risk_score"] < 60).any() and (scored["risk_score"] >= 90).any()  # red and blue officials
    assert np.isnan(ent.loc[ent["status"] != "operating", "risk_score"]).all()
