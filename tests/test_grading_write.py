"""What grading writes (COPY into hazard_assessments) is what it computed: text, numbers, NULLs, JSON.

Hand values (GB 18218-2018 Tables 1, 2, 3, 4; docs/standards/gb18218-2018.md): 氯 row 12, Q 5 t,
β 4 (Table 3); 液化石油气 row 52, Q 50 t, β 1.5 (W2); 甲醇 row 65, Q 500 t, β 1 (W5.3); a substance
outside Table 1 in W5.3 moves to W5.2 in a unit with a special process (U2): Q 50 t, β 1.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest
from helpers import load, small_city, write_city

from geo_risk.grading import grade_store
from geo_risk.standards.gb18218 import alpha_for_population
from geo_risk.store.db import get_engine

#: A name with every character COPY's text format escapes, and quotes JSON escapes.
ODD_NAME = 'solvent \\ "x"\tA\r\nB \\N'


@pytest.fixture(scope="module")
def graded(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    city = small_city()
    inv = city["inventory"]
    inv["hazard_categories"] = None
    inv.loc[2, ["chemical", "cas", "hazard_categories"]] = [ODD_NAME, None, "W5.3"]  # U2's second row
    # benzene (Table 1 row 57: Q 50 t, W5.3) in U1 at ambient and in U2 under its special process
    # (W5.2): one name, two kinds of term
    benzene = pd.DataFrame({"unit_id": ["U1", "U2"], "chemical": ["苯", "苯"], "cas": ["71-43-2", "71-43-2"],
                            "max_quantity_t": [10.0, 5.0], "hazard_categories": [None, None]})
    city["inventory"] = inv = pd.concat([inv, benzene], ignore_index=True)
    load(write_city(city, tmp_path_factory.mktemp("w") / "city.gpkg"), db_url)
    grade_store(db_url)
    with get_engine(db_url).connect() as conn:
        frame = pd.read_sql("SELECT *, terms::text AS terms_text FROM hazard_assessments ORDER BY unit_id", conn)
    return frame.set_index("unit_id")


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_given(graded: pd.DataFrame) -> None:
    u2 = graded.loc["U2"]
    # 2 t of chlorine (2/5 = 0.4), 10 t of the solvent (W5.2 under U2's special process: 10/50 = 0.2)
    # and 5 t of benzene (5/50 = 0.1)
    assert u2.main_substances == f"氯、{ODD_NAME}、苯"
    (solvent,) = [t for t in u2.terms if t["table1_seq"] is None]
    assert (solvent["name_zh"], solvent["name_en"], solvent["codes"]) == (ODD_NAME, ODD_NAME, ["W5.2"])
    assert (solvent["critical_quantity_t"], solvent["beta"], solvent["q_over_q"]) == (50.0, 1.0, 0.2)
    assert json.loads(u2.terms_text) == u2.terms


def test_numbers_booleans_and_nulls_are_stored_exactly(graded: pd.DataFrame) -> None:
    u1, u2, u3, u4 = (graded.loc[u] for u in ("U1", "U2", "U3", "U4"))
    # U1: 60 t chlorine and 10 t benzene, S = 12 + 0.2 ≥ 1; R = α·(4·12 + 1·0.2), in exact decimals
    assert (u1.s, bool(u1.is_major_hazard)) == (12.2, True)
    assert u1.r == float(Decimal(repr(float(u1.alpha))) * Decimal("48.2"))
    assert u1.alpha == alpha_for_population(u1.exposed_residents)
    benzene = {u: next(t for t in graded.loc[u].terms if t["name_zh"] == "苯") for u in ("U1", "U2")}
    assert [(b["codes"], b["critical_quantity_t"], b["q_over_q"]) for b in benzene.values()] == [
        (["W5.3"], 50.0, 0.2), (["W5.2"], 50.0, 0.1)]
    # U2: S = 0.7 < 1: not a major hazard, R and grade NULL
    assert (u2.s, bool(u2.is_major_hazard)) == (0.7, False)
    assert pd.isna(u2.r) and pd.isna(u2.grade)
    # U3: 120 t LPG next to 1,200 residents: S = 2.4, α 2, R = 2·1.5·2.4 = 7.2 → 四级
    assert (u3.s, u3.alpha, u3.r, int(u3.grade)) == (2.4, 2.0, 7.2, 4)  # R in exact decimals
    assert u3.residential_areas == 1 and pd.isna(u3.notes) and not u3.approximate
    # U4: a planned plant stored as a point: approximate, with the note; 800/500 = 1.6
    assert (u4.register, u4.s, bool(u4.approximate)) == ("planned", 1.6, True)
    assert u4.notes.startswith("approximate: the enterprise has no boundary polygon")
    assert set(graded.inputs_version) == {graded.inputs_version.iloc[0]} and graded.method.str.startswith(
        "GB 18218-2018").all()


def test_every_value_is_stored_as_computed(graded: pd.DataFrame, db_url: str) -> None:
    from geo_risk.grading import _assess

    computed, _ = _assess(db_url, None)  # the frame grade_store wrote (the store has not changed since)
    assert sorted(computed.index) == list(graded.index)
    fractional = computed.exposed_residents % 1 != 0
    assert fractional.any()  # residents apportioned by area: no short decimal to hide a lossy write
    for column in ("s", "alpha", "exposed_residents", "other_people", "r"):
        stored, expected = graded[column].to_numpy(), computed.loc[graded.index, column].to_numpy(dtype=float)
        assert [repr(float(x)) for x in stored] == [repr(float(x)) for x in expected], column
    for column in ("residential_areas", "other_targets", "grade", "is_major_hazard", "approximate"):
        assert list(graded[column].fillna(-1).astype(int)) == list(
            computed.loc[graded.index, column].fillna(-1).astype(int)), column
    assert list(graded.terms) == list(computed.loc[graded.index, "terms"])


def test_the_copy_text_is_the_same_read_in_any_pieces(db_url: str, graded: pd.DataFrame) -> None:
    from geo_risk.grading import _assess
    from geo_risk.store.results import _CopyText

    computed, _ = _assess(db_url, None)
    whole = _CopyText(computed, 7, "m").read()
    assert whole.count("\n") == len(computed) == 4 and ODD_NAME not in whole  # escaped
    for rows, size in ((1, 7), (3, 1), (2, 10_000)):
        source, pieces = _CopyText(computed, 7, "m", rows=rows), []
        while piece := source.read(size):
            assert len(piece) <= size
            pieces.append(piece)
        assert "".join(pieces) == whole
