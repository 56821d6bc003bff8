"""Tests for geo_risk.chemicals.catalogue against GB 18218-2018 as summarised in
docs/standards/gb18218-2018.md (§3 Q rules, §5.2 Table 3, §5.3 Table 4, §6 Table 1, §7 Table 2,
§10 categories of Table 1 substances).

The reference copies of the tables in ``tests/data/gb18218/`` (provenance in
``tests/data/PROVENANCE.md``) are read here as an independent source and compared row by row with
what the package ships and returns.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from geo_risk.chemicals import (
    HazardCategory,
    Substance,
    all_categories,
    all_substances,
    all_toxic_gases,
    category,
    lookup,
    parse_categories,
    resolve,
    toxic_gas,
)
from geo_risk.errors import InvalidInput, UnknownSubstance

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "gb18218"
PACKAGE_DATA = Path(__file__).resolve().parents[2] / "geo_risk" / "chemicals" / "data"

# GB 18218-2018 Table 3 (毒性气体校正系数β取值表), notes §5.2: name → (β, Table 1 row or None).
TABLE3_BETA = {
    "一氧化碳": (2, None),
    "二氧化硫": (2, 4),
    "氨": (2, 1),
    "环氧乙烷": (2, 7),
    "氯化氢": (3, 11),
    "溴甲烷": (3, 17),
    "氯": (4, 12),
    "硫化氢": (5, 10),
    "氟化氢": (5, 20),
    "二氧化氮": (10, 3),
    "氰化氢": (10, 25),
    "碳酰氯": (20, 6),
    "磷化氢": (20, 9),
    "异氰酸甲酯": (20, 30),
}
# GB 18218-2018 Table 4 (by hazard category), notes §5.3.
TABLE4_BETA = {
    "J1": 4, "J2": 1, "J3": 2, "J4": 2, "J5": 1,
    "W1.1": 2, "W1.2": 2, "W1.3": 2, "W2": 1.5, "W3": 1, "W4": 1,
    "W5.1": 1.5, "W5.2": 1, "W5.3": 1, "W5.4": 1, "W6.1": 1.5, "W6.2": 1,
    "W7.1": 1.5, "W7.2": 1, "W8": 1, "W9.1": 1, "W9.2": 1, "W10": 1, "W11": 1,
}  # fmt: skip
# GB 18218-2018 Table 2 critical quantities (t), notes §7.
TABLE2_Q_T = {
    "J1": 5, "J2": 50, "J3": 50, "J4": 50, "J5": 500,
    "W1.1": 1, "W1.2": 10, "W1.3": 50, "W2": 10, "W3": 150, "W4": 50,
    "W5.1": 10, "W5.2": 50, "W5.3": 1000, "W5.4": 5000, "W6.1": 10, "W6.2": 50,
    "W7.1": 10, "W7.2": 50, "W8": 50, "W9.1": 50, "W9.2": 200, "W10": 200, "W11": 200,
}  # fmt: skip


def _read_reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


REFERENCE_TABLE1 = _read_reference("gb18218_table1.csv")
REFERENCE_TABLE2 = _read_reference("gb18218_table2.csv")
REFERENCE_CATEGORIES = {int(r["seq"]): r for r in _read_reference("gb18218_table1_categories.csv")}
BY_SEQ = {s.seq: s for s in all_substances()}


def _cas_ok(cas: str) -> bool:
    body, check = cas.replace("-", "")[:-1], int(cas[-1])
    return sum(int(d) * i for i, d in enumerate(reversed(body), start=1)) % 10 == check


# --- the package's data against the reference tables ------------------------------------------


@pytest.mark.parametrize("name", ["gb18218_table1.csv", "gb18218_table2.csv", "gb18218_table1_categories.csv"])
def test_package_data_is_a_copy_of_the_reference_tables(name: str) -> None:
    assert (PACKAGE_DATA / name).read_bytes() == (REFERENCE / name).read_bytes()


def test_table1_has_85_rows_in_sequence() -> None:
    """Notes §6: 85 numbered rows, 1–85."""
    assert [s.seq for s in all_substances()] == list(range(1, 86))


@pytest.mark.parametrize("row", REFERENCE_TABLE1, ids=lambda r: f"seq{r['seq']}")
def test_every_table1_row_matches_the_reference_table(row: dict[str, str]) -> None:
    sub = BY_SEQ[int(row["seq"])]
    assert sub.name_zh == row["name_zh"]
    assert sub.name_en == row["name_en"]
    assert sub.cas == tuple(c.strip() for c in row["cas"].split(";") if c.strip())
    assert sub.critical_quantity_t == float(row["critical_quantity_t"])
    assert all(_cas_ok(c) for c in sub.cas)


def test_table1_landmarks() -> None:
    """Notes §6: rows without CAS, multi-CAS rows, smallest and largest Q."""
    assert {s.seq for s in all_substances() if not s.cas} == {13, 45, 74}
    assert {s.seq for s in all_substances() if len(s.cas) > 1} == {49, 52}
    assert min(all_substances(), key=lambda s: s.critical_quantity_t).seq == 6  # phosgene 0.3 t
    assert BY_SEQ[6].critical_quantity_t == 0.3
    assert max(all_substances(), key=lambda s: s.critical_quantity_t).seq == 46  # KNO3 1000 t
    assert [BY_SEQ[s].critical_quantity_t for s in range(37, 43)] == [1, 1, 10, 50, 50, 50]
    assert [BY_SEQ[s].critical_quantity_t for s in (43, 44, 45)] == [5, 50, 200]


@pytest.mark.parametrize("row", REFERENCE_TABLE2, ids=lambda r: r["code"])
def test_every_table2_code_matches_the_reference_table_and_table4(row: dict[str, str]) -> None:
    cat = category(row["code"])
    assert isinstance(cat, HazardCategory)
    assert (cat.name_zh, cat.name_en, cat.condition) == (row["category_zh"], row["category_en"], row["condition"])
    assert cat.critical_quantity_t == float(row["critical_quantity_t"]) == TABLE2_Q_T[row["code"]]
    assert cat.beta == float(row["beta"]) == TABLE4_BETA[row["code"]]


def test_all_categories_are_the_24_table2_codes_in_order() -> None:
    assert [c.code for c in all_categories()] == list(TABLE4_BETA) == [r["code"] for r in REFERENCE_TABLE2]


def test_table3_has_the_14_gases_of_the_standard() -> None:
    """GB 18218-2018 Table 3 (notes §5.2)."""
    gases = all_toxic_gases()
    assert {g.name_zh: (g.beta, g.table1_seq) for g in gases} == TABLE3_BETA
    assert len(gases) == 14
    for gas in gases:
        if gas.table1_seq is not None:
            assert gas.cas in BY_SEQ[gas.table1_seq].cas
    assert toxic_gas("一氧化碳").cas == "630-08-0"
    assert toxic_gas("630-08-0").beta == 2
    assert toxic_gas("液氯").beta == 4
    assert toxic_gas("甲苯") is None


def test_table3_beta_wins_for_table1_rows() -> None:
    in_table3 = {seq for beta, seq in TABLE3_BETA.values() if seq is not None}
    assert {s.seq for s in all_substances() if s.in_table3} == in_table3
    for beta, seq in TABLE3_BETA.values():
        if seq is not None:
            assert (BY_SEQ[seq].beta, BY_SEQ[seq].beta_rule) == (beta, "table3")


@pytest.mark.parametrize("seq", sorted(REFERENCE_CATEGORIES))
def test_beta_codes_and_confidence_follow_the_categories_table(seq: int) -> None:
    """Notes §10.1: β = Table 3, else the categories CSV's β; codes at ambient storage."""
    row, sub = REFERENCE_CATEGORIES[seq], BY_SEQ[seq]
    codes = () if row["table2_codes"] == "none" else tuple(row["table2_codes"].split(";"))
    assert sub.table2_codes == codes
    assert sub.confidence == row["confidence"]
    assert sub.beta == float(row["beta"])
    assert sub.beta_rule == row["beta_rule"]
    for code in codes:
        category(code)  # every code is a real Table 2 code


@pytest.mark.parametrize(
    ("seq", "beta"),
    [(52, 1.5), (66, 1.0), (12, 4.0), (1, 2.0), (26, 1.0), (68, 1.5), (63, 2.0), (13, 2.0), (35, 2.0)],
)
def test_beta_of_landmark_rows(seq: int, beta: float) -> None:
    """LPG is W2 (1.5); gasoline W5.3 by project choice (1, §10.6); chlorine and ammonia from
    Table 3; SO3 default 1 (§10.5); diethyl ether W5.1; propylene oxide J4 (UNCONFIRMED);
    coal gas max(W2, J3); TNT W1.1."""
    assert BY_SEQ[seq].beta == beta


# --- aliases -----------------------------------------------------------------------------------


def _standard_aliases() -> dict[str, set[int]]:
    """别名 parsed from the reference Table 1's note column (independently of aliases.csv)."""
    out: dict[str, set[int]] = {}
    for row in REFERENCE_TABLE1:
        match = re.search(r"别名: (.*)", row["note"])
        if not match:
            continue
        for item in match.group(1).split("; "):
            if re.search(r"[a-z]{3,}", item):  # the notes continue in English after the aliases
                break
            # "环氧氯丙烷 (3-氯-1,2-环氧丙烷)": a second alias in brackets after a space
            names = item[:-1].split(" (") if " (" in item else [item]
            for name in names:
                out.setdefault(name, set()).add(int(row["seq"]))
    return out


def test_aliases_csv_holds_exactly_the_standards_aliases() -> None:
    with (PACKAGE_DATA / "aliases.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    table1: dict[str, set[int]] = {}
    for row in rows:
        assert 1 <= int(row["table1_seq"]) <= 85
        assert row["source"] in ("table1", "common")
        if row["source"] == "table1":
            table1.setdefault(row["alias"], set()).add(int(row["table1_seq"]))
    assert table1 == _standard_aliases()


def test_every_alias_and_english_name_finds_its_row() -> None:
    with (PACKAGE_DATA / "aliases.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    seqs_of: dict[str, set[int]] = {}
    for row in rows:
        seqs_of.setdefault(row["alias"], set()).add(int(row["table1_seq"]))
    for alias, seqs in seqs_of.items():
        if len(seqs) == 1:
            assert lookup(alias).seq == next(iter(seqs)), alias
        else:
            with pytest.raises(InvalidInput, match="give table1_seq|Give table1_seq"):
                lookup(alias)
    for sub in all_substances():
        assert lookup(sub.name_zh) is sub
        assert lookup(sub.name_en.upper()) is sub


def test_only_the_intended_names_are_ambiguous() -> None:
    ambiguous = set()
    for sub in all_substances():
        for name in (*sub.aliases, sub.name_zh, sub.name_en):
            try:
                lookup(name)
            except InvalidInput:
                ambiguous.add(name)
    assert ambiguous == {"硝化棉", "硝化纤维素", "nitrocellulose", "硝酸铵", "ammonium nitrate"}


@pytest.mark.parametrize(
    ("text", "seq"),
    [
        ("7782-50-5", 12),
        ("7782505", 12),  # without dashes
        (" 7664-41-7 ", 1),
        ("７７８２－５０－５", 12),  # full-width
        ("74-98-6", 52),  # propane's CAS is on the LPG row
        ("8006-14-2", 49),  # natural gas
        ("氯", 12),
        ("液氯", 12),
        ("氯气", 12),
        ("Liquid Chlorine", 12),
        ("ｌｉｑｕｉｄ　ｃｈｌｏｒｉｎｅ", 12),
        ("chlorine", 12),
        ("液氨", 1),
        ("氨气", 1),
        ("Anhydrous Ammonia", 1),
        ("LPG", 52),
        ("液化石油气", 52),
        ("丙烷", 52),
        ("butane", 52),
        ("汽油", 66),
        ("gasoline", 66),
        ("Petrol", 66),
        ("甲醇", 65),
        ("苯", 57),
        ("甲苯", 64),
        ("天然气", 49),
        ("LNG", 49),
        ("methane", 49),
        ("氢气", 51),
        ("H₂S", 10),
        ("环氧乙烷", 7),
        ("EO", 7),
        ("光气", 6),
        ("phosgene", 6),
        ("氯化氢（无水）", 11),  # full-width brackets
        ("氯化氢", 11),  # Table 3's name
        ("1,3丁二烯", 47),  # hyphen dropped
        ("甲醛(含量>90%)", 8),
    ],
)
def test_lookup(text: str, seq: int) -> None:
    sub = lookup(text)
    assert isinstance(sub, Substance)
    assert sub.seq == seq


def test_ambiguous_cas_names_all_candidate_rows() -> None:
    """Notes §3.1: rows 37–42 share 9004-70-0 and differ in Q (1/1/10/50/50/50 t)."""
    with pytest.raises(InvalidInput) as err:
        lookup("9004-70-0")
    message = str(err.value)
    for seq in range(37, 43):
        assert f"seq {seq} " in message
    assert "Q=1 t" in message and "Q=10 t" in message and "Q=50 t" in message
    assert "table1_seq" in message
    with pytest.raises(InvalidInput, match=r"seq 43 .*Q=5 t.*seq 44 .*Q=50 t"):
        lookup("6484-52-2")


def test_ambiguous_cas_is_settled_by_table1_seq_or_the_exact_name() -> None:
    by_seq = resolve(None, cas="9004-70-0", table1_seq=39)
    assert (by_seq.substance.seq, by_seq.critical_quantity_t, by_seq.matched_by) == (39, 10.0, "table1_seq")
    by_name = resolve("硝化纤维素(含乙醇≥25%)", cas="9004-70-0")
    assert (by_name.substance.seq, by_name.critical_quantity_t, by_name.matched_by) == (39, 10.0, "name")
    by_name_ascii = resolve("硝化纤维素(含乙醇>=25%)", cas="9004-70-0")
    assert by_name_ascii.substance.seq == 39
    ammonium = resolve("硝酸铵(含可燃物≤0.2%)", cas="6484-52-2")
    assert (ammonium.substance.seq, ammonium.critical_quantity_t) == (44, 50.0)
    with pytest.raises(InvalidInput, match=r"seq 37 .*seq 41 .*table1_seq"):
        resolve("硝化棉", cas="9004-70-0")  # the alias still covers rows 37–41


def test_fertiliser_row_accepts_ammonium_nitrate_cas() -> None:
    r = resolve("硝酸铵肥料", cas="6484-52-2", table1_seq=45)
    assert (r.substance.seq, r.critical_quantity_t) == (45, 200.0)


def test_unknown_chemical_names_the_text_and_suggests_close_names() -> None:
    with pytest.raises(UnknownSubstance) as err:
        lookup("液录")
    message = str(err.value)
    assert "'液录'" in message and "not in GB 18218-2018 Table 1" in message
    assert "液氯 (seq 12 氯)" in message
    with pytest.raises(UnknownSubstance, match=r"Toluene \(seq 64 甲苯\)"):
        lookup("toluen")


def test_carbon_monoxide_is_table3_only() -> None:
    """Notes §5.2: CO is in Table 3 (β 2) but has no Table 1 row."""
    with pytest.raises(UnknownSubstance, match=r"Table 3 toxic gas \(一氧化碳, β=2\)"):
        lookup("一氧化碳")
    r = resolve("一氧化碳", cas="630-08-0", hazard_categories="W2;J3")
    assert (r.substance, r.codes, r.critical_quantity_t, r.table3_beta) == (None, ("W2", "J3"), 10.0, 2.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W5.1;J2", ("W5.1", "J2")),
        ("W5.1, J2", ("W5.1", "J2")),
        ("w5.1；j2", ("W5.1", "J2")),
        ("W2 J3", ("W2", "J3")),
        ("Ｗ５．３、Ｊ２", ("W5.3", "J2")),
        ("W2;W2;J3", ("W2", "J3")),
    ],
)
def test_parse_categories(text: str, expected: tuple[str, ...]) -> None:
    assert parse_categories(text) == expected


def test_unknown_codes_are_all_named_with_the_valid_codes() -> None:
    with pytest.raises(InvalidInput, match=r"'W5\.5', 'X1' in 'W5\.5;X1;J2': valid codes are J1, J2, .*W11"):
        parse_categories("W5.5;X1;J2")
    with pytest.raises(InvalidInput, match="no hazard category codes"):
        parse_categories(" ; ")
    with pytest.raises(InvalidInput, match=r"unknown .* 'W12': valid codes are J1"):
        category("W12")
    assert category("w5.1").code == "W5.1"


def test_bad_cas_check_digit() -> None:
    with pytest.raises(InvalidInput, match=r"^CAS 7782-50-4 has a wrong check digit \(should end in 5\)"):
        lookup("7782-50-4")
    with pytest.raises(InvalidInput, match=r"CAS 7782-50-4 has a wrong check digit \(should end in 5\)"):
        resolve("chlorine", cas="7782-50-4")
    with pytest.raises(InvalidInput, match="not a CAS registry number"):
        resolve("chlorine", cas="chlorine")


# --- resolve -----------------------------------------------------------------------------------


def test_resolve_table1_by_each_identifier() -> None:
    assert resolve("液氯").matched_by == "alias"
    assert resolve("氯").matched_by == "name"
    assert resolve("Chlorine").matched_by == "name"
    assert resolve(None, cas="7782-50-5").matched_by == "cas"
    assert resolve("7782-50-5").matched_by == "cas"
    r = resolve(None, table1_seq=12)
    assert (r.substance.seq, r.codes, r.critical_quantity_t, r.matched_by, r.table3_beta) == (
        12, ("W4", "J3"), 5.0, "table1_seq", 4.0,
    )  # fmt: skip


def test_worked_examples_q_and_beta() -> None:
    """Notes §8 examples 1–3: the Q and β each example uses."""
    for name, q_t, beta in [
        ("液氯", 5, 4),
        ("汽油", 200, 1),
        ("甲醇", 500, 1),
        ("苯", 50, 1),
        ("氨", 10, 2),
        ("甲苯", 500, 1),
    ]:
        sub = resolve(name).substance
        assert (sub.critical_quantity_t, sub.beta) == (q_t, beta), name


def test_not_in_table1_takes_the_lowest_q_of_its_codes() -> None:
    """Notes §3.2–3.3."""
    r = resolve("二甲苯", cas="1330-20-7", hazard_categories="W5.3;J2")
    assert (r.substance, r.codes, r.critical_quantity_t, r.matched_by) == (None, ("W5.3", "J2"), 50.0, "categories")
    assert resolve(None, hazard_categories="W5.4").critical_quantity_t == 5000.0
    assert resolve("丙烯", hazard_categories="W2;J3").critical_quantity_t == 10.0


def test_not_in_table1_without_codes_asks_for_them() -> None:
    with pytest.raises(
        UnknownSubstance,
        match=r"'二甲苯' \(CAS 1330-20-7\) is not in GB 18218-2018 Table 1: give its "
        r"hazard_categories \(Table 2 codes such as W5\.3;J2\)",
    ):
        resolve("二甲苯", cas="1330-20-7")
    with pytest.raises(UnknownSubstance, match=r"'1330-20-7' is not in GB 18218-2018 Table 1"):
        resolve(None, cas="1330-20-7")


def test_table1_substance_with_codes_keeps_table1_q_and_unions_codes() -> None:
    """Project decision (resolve docstring): Q from Table 1 (§3.1); codes = row's ∪ given."""
    r = resolve("汽油", hazard_categories="W5.1")
    assert (r.substance.seq, r.critical_quantity_t, r.codes) == (66, 200.0, ("W5.3", "W5.1"))
    r = resolve("苯", hazard_categories="W5.3;J2")  # J2 would give 50 t too; Table 1 wins anyway
    assert (r.critical_quantity_t, r.codes) == (50.0, ("W5.3", "J2"))
    r = resolve(None, table1_seq=26, hazard_categories="J5")
    assert (r.critical_quantity_t, r.codes) == (75.0, ("J5",))


def test_resolve_contradictions() -> None:
    with pytest.raises(InvalidInput, match=r"table1_seq 12 \(氯\) contradicts chemical '甲苯'.*seq 64 甲苯"):
        resolve("甲苯", table1_seq=12)
    with pytest.raises(InvalidInput, match=r"table1_seq 12 \(氯\) contradicts CAS 108-88-3.*seq 64"):
        resolve(None, cas="108-88-3", table1_seq=12)
    with pytest.raises(InvalidInput, match=r"CAS 7782-50-5 .*contradicts chemical '甲苯'"):
        resolve("甲苯", cas="7782-50-5")
    with pytest.raises(InvalidInput, match=r"CAS 9004-70-0 .*contradicts chemical '硝酸铵'"):
        resolve("硝酸铵", cas="9004-70-0")


def test_unknown_identifiers_do_not_contradict() -> None:
    """Trade names and other CAS numbers of the same substance are common in inventories."""
    assert resolve("2号罐区液体", table1_seq=66).substance.seq == 66
    assert resolve("汽油", cas="8006-61-9").substance.seq == 66  # another gasoline CAS
    assert resolve("硝化棉", table1_seq=40).critical_quantity_t == 50.0


@pytest.mark.parametrize("seq", [0, 86, -1, True, "12", 12.0])
def test_bad_table1_seq(seq: object) -> None:
    with pytest.raises(InvalidInput, match=r"is not a GB 18218-2018 Table 1 row: give an integer 1–85"):
        resolve(None, table1_seq=seq)  # type: ignore[arg-type]


def test_resolve_needs_something() -> None:
    with pytest.raises(InvalidInput, match="give at least one of chemical, cas, table1_seq or hazard_categories"):
        resolve(None)
    with pytest.raises(InvalidInput, match="empty chemical name"):
        lookup("  ")


def test_importing_the_catalogue_loads_no_heavy_dependency() -> None:
    """STYLE.md: the engine is pure; the catalogue needs only the standard library."""
    code = (
        "import sys, geo_risk.chemicals as c; c.resolve('液氯'); "
        "bad = [m for m in ('pandas', 'numpy', 'fastapi', 'sqlalchemy', 'chemicals') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
