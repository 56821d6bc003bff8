"""GB 18218-2018 chemical catalogue: Table 1 substances, Table 2 categories, Table 3/4 β, properties.

Pure (standard library only at runtime): the tables ship as CSV files in ``geo_risk/chemicals/data``.

>>> from geo_risk.chemicals import lookup, resolve
>>> lookup("液氯").critical_quantity_t  # t, GB 18218-2018 Table 1 row 12
5.0
"""

from geo_risk.chemicals.catalogue import (
    HazardCategory,
    Resolved,
    Substance,
    ToxicGas,
    all_categories,
    all_substances,
    all_toxic_gases,
    category,
    lookup,
    parse_categories,
    resolve,
    toxic_gas,
)
from geo_risk.chemicals.properties import ChemicalProperties, Phase, chemical_properties

__all__ = [
    "ChemicalProperties",
    "HazardCategory",
    "Phase",
    "Resolved",
    "Substance",
    "ToxicGas",
    "all_categories",
    "all_substances",
    "all_toxic_gases",
    "category",
    "chemical_properties",
    "lookup",
    "parse_categories",
    "resolve",
    "toxic_gas",
]
