"""Chemicals, hazard-unit templates and enterprise archetypes of the synthetic sample.

The Table 1 rows below are copied from GB 18218-2018 Table 1 (``tests/data/gb18218/gb18218_table1.csv``):
sequence number, the Chinese name exactly as printed, CAS number and critical quantity Q
in tonnes. Substances that are not in Table 1 carry their GB 18218 Table 2 hazard codes.
The beta values are only used by ``generate.py`` to report the expected grade spread.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARCHETYPES",
    "CHEMICALS",
    "Archetype",
    "Chemical",
    "UnitTemplate",
]

# Physical phase at ambient conditions.
LIQUEFIABLE_GAS = "lg"  # stored liquefied under pressure or refrigerated
PERMANENT_GAS = "pg"  # compressed gas (or cryogenic liquid)
LIQUID = "liq"
SOLID = "sol"


@dataclass(frozen=True)
class Chemical:
    """One substance used in the sample inventory.

    ``critical_t`` is Q in tonnes (Table 1, or the lowest Q of its Table 2 codes);
    ``vapour_mpa`` the gauge vapour pressure at 20 °C in MPa (liquefiable gases only);
    ``boil_c`` the normal boiling point in °C (used for refrigerated storage).
    """

    name: str
    cas: str
    phase: str
    fire_class: str
    critical_t: float
    beta: float
    seq: int | None = None
    hazard_codes: str | None = None
    alias: str | None = None
    vapour_mpa: float = 0.0
    boil_c: float = 20.0


# Table 1 rows (seq, name, CAS, Q) copied from GB 18218-2018; beta from Table 3, else Table 4.
CHEMICALS: dict[str, Chemical] = {
    "NH3": Chemical(
        "氨", "7664-41-7", LIQUEFIABLE_GAS, "乙", 10, 2, 1, alias="液氨", vapour_mpa=0.76, boil_c=-33
    ),
    "SO2": Chemical("二氧化硫", "7446-09-5", LIQUEFIABLE_GAS, "戊", 20, 2, 4, vapour_mpa=0.23, boil_c=-10),
    "COCL2": Chemical("碳酰氯", "75-44-5", LIQUEFIABLE_GAS, "戊", 0.3, 20, 6, vapour_mpa=0.06, boil_c=8),
    "EO": Chemical("环氧乙烷", "75-21-8", LIQUEFIABLE_GAS, "甲", 10, 2, 7, vapour_mpa=0.05, boil_c=11),
    "H2S": Chemical("硫化氢", "7783-06-4", LIQUEFIABLE_GAS, "甲", 5, 5, 10, vapour_mpa=1.7, boil_c=-60),
    "HCL": Chemical(
        "氯化氢(无水)", "7647-01-0", LIQUEFIABLE_GAS, "戊", 20, 3, 11, vapour_mpa=4.1, boil_c=-85
    ),
    "CL2": Chemical(
        "氯", "7782-50-5", LIQUEFIABLE_GAS, "乙", 5, 4, 12, alias="液氯", vapour_mpa=0.58, boil_c=-34
    ),
    "ECH": Chemical("1-氯-2,3-环氧丙烷", "106-89-8", LIQUID, "乙", 20, 1, 21),
    "TDI": Chemical("甲苯二异氰酸酯", "26471-62-5", LIQUID, "丙", 100, 1, 23),
    "HCN": Chemical("氰化氢", "74-90-8", LIQUID, "甲", 1, 10, 25),
    "AN": Chemical("硝酸铵(含可燃物≤0.2%)", "6484-52-2", SOLID, "甲", 50, 1, 44),
    "BD": Chemical("1,3-丁二烯", "106-99-0", LIQUEFIABLE_GAS, "甲", 5, 1.5, 47, vapour_mpa=0.14, boil_c=-4),
    "DME": Chemical("二甲醚", "115-10-6", LIQUEFIABLE_GAS, "甲", 50, 1.5, 48, vapour_mpa=0.41, boil_c=-24),
    "NG": Chemical("甲烷，天然气", "8006-14-2", PERMANENT_GAS, "甲", 50, 1.5, 49, boil_c=-162),
    "VCM": Chemical("氯乙烯", "75-01-4", LIQUEFIABLE_GAS, "甲", 50, 1.5, 50, vapour_mpa=0.24, boil_c=-13),
    "H2": Chemical("氢", "1333-74-0", PERMANENT_GAS, "甲", 5, 1.5, 51, alias="氢气", boil_c=-253),
    "LPG": Chemical(
        "液化石油气(含丙烷、丁烷及其混合物)", "68476-85-7", LIQUEFIABLE_GAS, "甲", 50, 1.5, 52,
        vapour_mpa=0.75, boil_c=-42,
    ),
    "C2H2": Chemical("乙炔", "74-86-2", PERMANENT_GAS, "甲", 1, 1.5, 54, boil_c=-84),
    "C2H4": Chemical("乙烯", "74-85-1", PERMANENT_GAS, "甲", 50, 1.5, 55, boil_c=-104),
    "O2": Chemical("氧(压缩的或液化的)", "7782-44-7", PERMANENT_GAS, "乙", 200, 1, 56, boil_c=-183),
    "BZ": Chemical("苯", "71-43-2", LIQUID, "甲", 50, 1, 57),
    "SM": Chemical("苯乙烯", "100-42-5", LIQUID, "乙", 500, 1, 58),
    "ACET": Chemical("丙酮", "67-64-1", LIQUID, "甲", 500, 1, 59),
    "ACN": Chemical("2-丙烯腈", "107-13-1", LIQUID, "甲", 50, 1, 60),
    "CS2": Chemical("二硫化碳", "75-15-0", LIQUID, "甲", 50, 1, 61),
    "CHX": Chemical("环己烷", "110-82-7", LIQUID, "甲", 500, 1, 62),
    "PO": Chemical("1,2-环氧丙烷", "75-56-9", LIQUID, "甲", 10, 2, 63),
    "TOL": Chemical("甲苯", "108-88-3", LIQUID, "甲", 500, 1, 64),
    "MEOH": Chemical("甲醇", "67-56-1", LIQUID, "甲", 500, 1, 65),
    "GAS": Chemical("汽油(乙醇汽油、甲醇汽油)", "86290-81-5", LIQUID, "甲", 200, 1, 66),
    "ETOH": Chemical("乙醇", "64-17-5", LIQUID, "甲", 500, 1, 67),
    "ETAC": Chemical("乙酸乙酯", "141-78-6", LIQUID, "甲", 500, 1, 69),
    "HEX": Chemical("正己烷", "110-54-3", LIQUID, "甲", 500, 1, 70),
    "HNO3": Chemical("硝酸(发红烟的除外，含硝酸>70%)", "7697-37-2", LIQUID, "乙", 100, 1, 81),
    "CAC2": Chemical("碳化钙", "75-20-7", SOLID, "甲", 100, 1, 83),
    # Not in Table 1: Q and beta follow from the Table 2 codes (lowest Q wins).
    "C3H6": Chemical(
        "丙烯", "115-07-1", LIQUEFIABLE_GAS, "甲", 10, 1.5, hazard_codes="W2", vapour_mpa=0.9, boil_c=-48
    ),
    "C4H8": Chemical(
        "1-丁烯", "106-98-9", LIQUEFIABLE_GAS, "甲", 10, 1.5, hazard_codes="W2", vapour_mpa=0.16, boil_c=-6
    ),
    "CO": Chemical("一氧化碳", "630-08-0", PERMANENT_GAS, "乙", 10, 2, hazard_codes="W2;J3", boil_c=-191),
    "XYL": Chemical("二甲苯", "1330-20-7", LIQUID, "甲", 5000, 1, hazard_codes="W5.4"),
    "EB": Chemical("乙苯", "100-41-4", LIQUID, "甲", 1000, 1, hazard_codes="W5.3"),
    "VAM": Chemical("乙酸乙烯酯", "108-05-4", LIQUID, "甲", 1000, 1, hazard_codes="W5.3"),
    "MTBE": Chemical("甲基叔丁基醚", "1634-04-4", LIQUID, "甲", 1000, 1, hazard_codes="W5.3"),
    "IPA": Chemical("异丙醇", "67-63-0", LIQUID, "甲", 1000, 1, hazard_codes="W5.3"),
    "NBA": Chemical("正丁醇", "71-36-3", LIQUID, "乙", 5000, 1, hazard_codes="W5.4"),
    "HAC": Chemical("乙酸", "64-19-7", LIQUID, "乙", 5000, 1, hazard_codes="W5.4"),
}


@dataclass(frozen=True)
class UnitTemplate:
    """A hazard-unit recipe: chemicals with (min, max) design maximum inventory in tonnes.

    ``special`` is the probability that the unit runs a 危险化工工艺 (production units only);
    ``temp_c`` / ``pressure_mpa`` are process conditions (°C, MPa gauge) for production units.
    """

    name: str
    unit_type: str
    equipment: str
    chems: tuple[tuple[str, float, float], ...]
    core: bool = False
    special: float = 0.0
    temp_c: tuple[float, float] = (20.0, 20.0)
    pressure_mpa: tuple[float, float] = (0.0, 0.0)


def _p(name: str, chems: tuple[tuple[str, float, float], ...], *, special: float = 0.0,
       t: tuple[float, float] = (40.0, 180.0), p: tuple[float, float] = (0.1, 2.0),
       core: bool = False) -> UnitTemplate:
    """Production unit in process vessels."""
    return UnitTemplate(name, "production", "process_vessel", chems, core, special, t, p)


def _s(name: str, equipment: str, chems: tuple[tuple[str, float, float], ...],
       *, core: bool = False) -> UnitTemplate:
    """Storage unit."""
    return UnitTemplate(name, "storage", equipment, chems, core)


ATM = "atmospheric_tank"
PV = "pressure_vessel"
REF = "refrigerated_tank"
WH = "warehouse"
CYL = "cylinder_store"
PIPE = "pipeline"


@dataclass(frozen=True)
class Archetype:
    """An enterprise type: GB/T 4754-2017 industry code, name suffixes, plant size and units.

    ``size_ha`` is the plant area in hectares used outside parks; ``n_units`` the (min, max)
    number of hazard units (core templates are always included).
    """

    key: str
    industry_code: str
    suffixes: tuple[str, ...]
    size_ha: tuple[float, float]
    units: tuple[UnitTemplate, ...]
    n_units: tuple[int, int]
    group: str


_SOLVENT_TANKS = (
    _s("溶剂罐区", ATM, (("TOL", 60, 700), ("MEOH", 60, 900))),
    _s("溶剂罐区", ATM, (("ETAC", 60, 600), ("ACET", 60, 600))),
    _s("溶剂罐区", ATM, (("HEX", 50, 400), ("CHX", 60, 600))),
)

ARCHETYPES: dict[str, Archetype] = {
    "refinery": Archetype(
        "refinery", "2511", ("石油化工有限公司",), (150, 250),
        (
            _p("常减压蒸馏装置", (("LPG", 5, 20), ("GAS", 30, 100)), t=(300, 370), p=(0.05, 0.3), core=True),
            _p("催化裂化装置", (("LPG", 20, 80), ("GAS", 50, 150), ("H2S", 0.5, 2)), special=1,
               t=(480, 520), p=(0.1, 0.3), core=True),
            _p("加氢裂化装置", (("H2", 3, 12), ("H2S", 1, 4), ("GAS", 40, 120)), special=1,
               t=(350, 420), p=(12, 16), core=True),
            _p("连续重整装置", (("H2", 1, 4), ("BZ", 10, 40), ("TOL", 20, 60)), t=(480, 530),
               p=(0.25, 0.6), core=True),
            _s("汽油罐区", ATM, (("GAS", 10000, 30000),), core=True),
            _s("液化石油气球罐区", PV, (("LPG", 1500, 4000),), core=True),
            _s("芳烃罐区", ATM, (("BZ", 500, 3000), ("TOL", 1000, 5000), ("XYL", 1000, 4000)), core=True),
            _p("硫磺回收装置", (("H2S", 1, 4),), t=(200, 300), p=(0.03, 0.08), core=True),
            _p("MTBE装置", (("MTBE", 40, 150), ("MEOH", 20, 80), ("C4H8", 10, 40)), t=(50, 80),
               p=(0.8, 1.5), core=True),
        ),
        (9, 9), "petro",
    ),
    "ethylene": Archetype(
        "ethylene", "2614", ("石化乙烯有限公司",), (100, 150),
        (
            _p("乙烯裂解装置", (("C2H4", 20, 60), ("C3H6", 15, 50), ("H2", 1, 4), ("BD", 3, 10)),
               special=1, t=(800, 850), p=(0.1, 0.2), core=True),
            _s("乙烯低温储罐区", REF, (("C2H4", 1500, 6000),), core=True),
            _s("丙烯球罐区", PV, (("C3H6", 600, 2000),), core=True),
            _s("丁二烯球罐区", PV, (("BD", 200, 1000),), core=True),
            _p("环氧乙烷/乙二醇装置", (("EO", 20, 60), ("C2H4", 5, 15), ("O2", 10, 40)), special=1,
               t=(220, 280), p=(1.8, 2.2), core=True),
            _s("环氧乙烷罐区", PV, (("EO", 100, 400),), core=True),
            _p("裂解汽油加氢装置", (("H2", 0.5, 2), ("BZ", 20, 60)), special=1, t=(250, 320),
               p=(2.5, 3.5), core=True),
        ),
        (7, 7), "petro",
    ),
    "chlor_alkali": Archetype(
        "chlor_alkali", "2612", ("氯碱化工有限公司", "化工有限公司"), (20, 60),
        (
            _p("离子膜电解装置", (("CL2", 1, 5), ("H2", 0.2, 1)), special=1, t=(80, 90), p=(0.01, 0.05),
               core=True),
            _s("液氯储罐区", PV, (("CL2", 40, 200),), core=True),
            _s("液氯钢瓶充装站", CYL, (("CL2", 10, 60),)),
            _p("氯化氢合成装置", (("HCL", 2, 10), ("CL2", 0.5, 3), ("H2", 0.1, 0.5)), t=(120, 180),
               p=(0.05, 0.1)),
            _s("氢气储罐", PV, (("H2", 0.5, 3),)),
        ),
        (3, 5), "chlor",
    ),
    "pvc": Archetype(
        "pvc", "2651", ("化工有限公司", "树脂有限公司"), (30, 80),
        (
            _s("电石库", WH, (("CAC2", 300, 3000),), core=True),
            _p("乙炔发生装置", (("C2H2", 0.3, 2),), t=(80, 90), p=(0.005, 0.02), core=True),
            _p("氯乙烯合成装置", (("VCM", 15, 60), ("HCL", 2, 10), ("C2H2", 0.2, 1)), special=1,
               t=(100, 180), p=(0.05, 0.15), core=True),
            _s("氯乙烯球罐区", PV, (("VCM", 300, 2000),), core=True),
            _p("聚氯乙烯聚合装置", (("VCM", 30, 100),), special=1, t=(50, 65), p=(0.7, 1.2)),
        ),
        (4, 5), "chlor",
    ),
    "fertilizer": Archetype(
        "fertilizer", "2621", ("化肥有限责任公司", "化工有限责任公司"), (30, 80),
        (
            _p("合成氨装置", (("NH3", 15, 60), ("H2", 2, 8)), special=1, t=(400, 500),
               p=(14, 22), core=True),
            _s("液氨球罐区", PV, (("NH3", 200, 1500),), core=True),
            _p("硝酸装置", (("NH3", 3, 10), ("HNO3", 20, 80)), special=1, t=(800, 900), p=(0.3, 1.0)),
            _s("硝酸储罐区", ATM, (("HNO3", 200, 1500),)),
            _s("硝酸铵仓库", WH, (("AN", 500, 5000),)),
            _p("尿素装置", (("NH3", 10, 40),), t=(180, 190), p=(13, 16)),
        ),
        (3, 6), "nitro",
    ),
    "coal_chem": Archetype(
        "coal_chem", "2614", ("能源化工有限公司",), (90, 120),
        (
            _p("煤气化装置", (("CO", 10, 40), ("H2", 2, 6), ("H2S", 0.5, 2)), special=1,
               t=(1300, 1400), p=(4.0, 6.5), core=True),
            _p("甲醇合成装置", (("MEOH", 50, 200), ("H2", 1, 4)), special=1, t=(220, 260),
               p=(5.0, 8.0), core=True),
            _s("甲醇罐区", ATM, (("MEOH", 3000, 10000),), core=True),
            _p("二甲醚装置", (("DME", 10, 40), ("MEOH", 10, 40)), special=1, t=(250, 300),
               p=(1.0, 1.5), core=True),
            _s("二甲醚球罐区", PV, (("DME", 300, 1200),), core=True),
            _p("低温甲醇洗装置", (("MEOH", 100, 300), ("H2S", 0.5, 2)), t=(-60, -30), p=(3.0, 5.5),
               core=True),
        ),
        (6, 6), "petro",
    ),
    "styrene_rubber": Archetype(
        "styrene_rubber", "2652", ("合成橡胶有限公司", "石化有限公司"), (20, 60),
        (
            _p("乙苯/苯乙烯装置", (("BZ", 10, 40), ("EB", 30, 100), ("SM", 40, 150), ("H2", 0.2, 1)),
               special=1, t=(550, 640), p=(0.05, 0.2), core=True),
            _s("苯乙烯罐区", ATM, (("SM", 1000, 6000),)),
            _p("丁苯橡胶聚合装置", (("BD", 10, 40), ("SM", 20, 60)), special=1, t=(5, 50), p=(0.3, 0.6)),
            _s("丁二烯球罐区", PV, (("BD", 100, 800),), core=True),
            _s("苯罐区", ATM, (("BZ", 300, 2000),)),
        ),
        (2, 4), "petro",
    ),
    "acrylonitrile": Archetype(
        "acrylonitrile", "2653", ("化纤单体有限公司", "石化有限公司"), (20, 60),
        (
            _p("丙烯腈装置", (("ACN", 30, 120), ("HCN", 1, 4), ("NH3", 3, 10)),
               special=1, t=(420, 460), p=(0.05, 0.15), core=True),
            _s("丙烯腈罐区", ATM, (("ACN", 500, 3000),), core=True),
            _s("液氨罐区", PV, (("NH3", 100, 600),)),
        ),
        (2, 3), "petro",
    ),
    "fine_chem": Archetype(
        "fine_chem", "2614", ("精细化工有限公司", "化学有限公司", "新材料有限公司", "化工有限公司"), (3, 15),
        (
            _p("氯化反应装置", (("CL2", 0.5, 3), ("TOL", 5, 30)), special=1, t=(60, 120), p=(0.05, 0.3)),
            *_SOLVENT_TANKS,
            _p("加氢反应装置", (("H2", 0.1, 1.5), ("MEOH", 5, 20)), special=1, t=(80, 180), p=(2, 6)),
            _p("硝化装置", (("HNO3", 5, 30), ("BZ", 3, 15)), special=1, t=(40, 70), p=(0.01, 0.1)),
            _s("甲类仓库", WH, (("ETAC", 10, 80), ("ACET", 10, 60))),
            _s("液氯钢瓶库", CYL, (("CL2", 2, 15),)),
            _s("二氧化硫钢瓶库", CYL, (("SO2", 3, 30),)),
            _s("氯化氢钢瓶库", CYL, (("HCL", 2, 25),)),
            _p("合成车间", (("MEOH", 3, 20), ("TOL", 3, 20), ("ETAC", 2, 10)), special=0.2),
        ),
        (1, 3), "fine",
    ),
    "pesticide": Archetype(
        "pesticide", "2631", ("农药化工有限公司", "农化有限公司"), (5, 30),
        (
            _p("光气化装置", (("COCL2", 0.3, 2.5), ("TOL", 5, 20)), special=1, t=(0, 60), p=(0.05, 0.2)),
            _s("液氯钢瓶库", CYL, (("CL2", 10, 60),)),
            _p("氯化装置", (("CL2", 1, 4), ("HCL", 0.5, 3)), special=1, t=(60, 110), p=(0.05, 0.2)),
            _s("溶剂罐区", ATM, (("TOL", 200, 1500), ("MEOH", 100, 800))),
            _p("原药合成车间", (("MEOH", 5, 20), ("TOL", 5, 20)), special=0.3),
        ),
        (2, 4), "agro",
    ),
    "tdi": Archetype(
        "tdi", "2614", ("聚氨酯有限公司",), (25, 60),
        (
            _p("TDI光气化装置", (("COCL2", 0.5, 3), ("TDI", 30, 120), ("HCL", 2, 8)), special=1,
               t=(60, 180), p=(0.2, 0.6), core=True),
            _s("TDI罐区", ATM, (("TDI", 500, 3000),), core=True),
            _p("二硝基甲苯硝化装置", (("HNO3", 20, 80), ("TOL", 20, 60)), special=1, t=(40, 70),
               p=(0.01, 0.1), core=True),
            _p("甲苯二胺加氢装置", (("H2", 0.5, 2),), special=1, t=(120, 160), p=(2, 5)),
        ),
        (3, 4), "agro",
    ),
    "epoxy": Archetype(
        "epoxy", "2614", ("环氧化工有限公司", "化工有限公司"), (15, 40),
        (
            _p("环氧丙烷装置", (("PO", 15, 60),), special=1, t=(40, 100), p=(1, 3),
               core=True),
            _s("环氧丙烷罐区", ATM, (("PO", 200, 1500),), core=True),
            _p("环氧氯丙烷装置", (("ECH", 20, 80), ("CL2", 1, 4)), special=1, t=(40, 90), p=(0.05, 0.3)),
            _s("环氧氯丙烷罐区", ATM, (("ECH", 200, 2000),)),
        ),
        (2, 4), "agro",
    ),
    "gases": Archetype(
        "gases", "2619", ("工业气体有限公司", "气体有限公司"), (3, 10),
        (
            _p("空分装置", (("O2", 20, 100),), t=(-190, -170), p=(0.4, 0.6), core=True),
            _s("液氧储罐区", REF, (("O2", 300, 2000),)),
            _s("氢气充装站", CYL, (("H2", 0.5, 8),)),
            _s("乙炔气瓶库", CYL, (("C2H2", 0.3, 2),)),
        ),
        (1, 3), "fine",
    ),
    "warehouse_park": Archetype(
        "warehouse_park", "5942", ("化工仓储有限公司", "化工物流有限公司"), (5, 20),
        (
            _s("甲类仓库", WH, (("ETAC", 20, 200), ("ACET", 20, 200), ("TOL", 20, 100)), core=True),
            _s("液体化工品储罐区", ATM, (("MEOH", 1000, 8000), ("TOL", 500, 3000))),
            _s("苯类储罐区", ATM, (("BZ", 200, 1500), ("SM", 500, 3000))),
            _s("液化烃球罐区", PV, (("LPG", 200, 1500),)),
        ),
        (1, 3), "storage",
    ),
    "oil_depot": Archetype(
        "oil_depot", "5941", ("油品储运有限公司", "石油储运有限公司"), (8, 25),
        (
            _s("汽油罐区", ATM, (("GAS", 2000, 15000),), core=True),
            _s("甲醇罐区", ATM, (("MEOH", 500, 3000),)),
        ),
        (1, 2), "storage",
    ),
    "polymer": Archetype(
        "polymer", "2651", ("聚烯烃有限公司", "塑料有限公司"), (15, 40),
        (
            _p("聚丙烯装置", (("C3H6", 20, 80), ("H2", 0.05, 0.3)), special=1, t=(65, 80), p=(2.5, 3.5),
               core=True),
            _p("聚乙烯装置", (("C2H4", 10, 40), ("H2", 0.05, 0.3)), special=1, t=(80, 110), p=(2, 3)),
        ),
        (1, 2), "petro",
    ),
    "paint": Archetype(
        "paint", "2641", ("涂料有限公司", "化工涂料有限公司"), (3, 15),
        (
            _p("树脂合成装置", (("XYL", 10, 40), ("TOL", 10, 40)), special=1, t=(150, 240), p=(0.0, 0.1),
               core=True),
            _s("溶剂罐区", ATM, (("TOL", 100, 600), ("ETAC", 50, 300))),
            _s("成品仓库", WH, (("TOL", 10, 60), ("ETAC", 10, 60))),
        ),
        (1, 3), "fine",
    ),
    "pharma": Archetype(
        "pharma", "2710", ("药业有限公司", "制药有限公司", "生物医药有限公司"), (5, 20),
        (
            _p("原料药合成车间", (("MEOH", 5, 30), ("ETOH", 5, 30), ("ACET", 2, 15)), special=0.4,
               t=(20, 120), p=(0.0, 0.3), core=True),
            _s("溶剂罐区", ATM, (("MEOH", 100, 800), ("ETOH", 100, 1000), ("ACET", 50, 400))),
            _p("溶剂回收装置", (("MEOH", 5, 20), ("TOL", 5, 20)), t=(60, 110), p=(0.0, 0.05)),
            _s("危险品库", WH, (("ETAC", 5, 40), ("HEX", 5, 30))),
            _p("加氢车间", (("H2", 0.05, 0.5), ("MEOH", 3, 15)), special=1, t=(60, 120), p=(1, 4)),
        ),
        (1, 3), "pharma",
    ),
    "viscose": Archetype(
        "viscose", "2812", ("化学纤维有限公司", "化纤有限公司"), (20, 60),
        (
            _s("二硫化碳罐区", ATM, (("CS2", 200, 1500),), core=True),
            _p("黄化纺丝车间", (("CS2", 10, 40), ("H2S", 0.5, 2)), t=(20, 50), p=(0.0, 0.05), core=True),
            _p("硫化氢回收装置", (("H2S", 0.5, 3),), t=(30, 60), p=(0.05, 0.2)),
        ),
        (2, 3), "fibre",
    ),
    # --- outside parks -------------------------------------------------------------------
    "urban_chlor": Archetype(
        "urban_chlor", "2612", ("化工厂", "氯碱化工有限公司"), (8, 18),
        (
            _s("液氯储罐区", PV, (("CL2", 80, 160),), core=True),
            _p("电解装置", (("CL2", 1, 4), ("H2", 0.1, 0.5)), special=1, t=(80, 90), p=(0.01, 0.05),
               core=True),
            _p("盐酸合成装置", (("HCL", 1, 5), ("CL2", 0.3, 1.5)), t=(120, 180), p=(0.05, 0.1)),
        ),
        (2, 3), "chlor",
    ),
    "urban_fertilizer": Archetype(
        "urban_fertilizer", "2621", ("化肥厂",), (12, 25),
        (
            _p("合成氨装置", (("NH3", 10, 40), ("H2", 1, 4)), special=1, t=(400, 480), p=(12, 20), core=True),
            _s("液氨罐区", PV, (("NH3", 100, 600),), core=True),
        ),
        (2, 2), "nitro",
    ),
    "urban_pesticide": Archetype(
        "urban_pesticide", "2631", ("农药厂", "化工有限公司"), (4, 12),
        (
            _s("液氯钢瓶库", CYL, (("CL2", 30, 90),), core=True),
            _s("溶剂罐区", ATM, (("TOL", 100, 500), ("MEOH", 100, 500))),
            _p("氯化装置", (("CL2", 1, 3), ("TOL", 5, 20)), special=1, t=(60, 110), p=(0.05, 0.2)),
        ),
        (2, 3), "agro",
    ),
    "cold_storage": Archetype(
        "cold_storage", "5930", ("冷链物流有限公司", "冷冻食品有限公司", "肉类加工有限公司"), (2.5, 6),
        (_s("氨制冷储氨器区", PV, (("NH3", 8, 60),), core=True),),
        (1, 1), "cold",
    ),
    "lpg_station": Archetype(
        "lpg_station", "4512", ("液化石油气有限公司", "液化气有限公司"), (2.5, 5),
        (
            _s("液化石油气储罐区", PV, (("LPG", 50, 600),), core=True),
            _s("液化石油气钢瓶灌装站", CYL, (("LPG", 10, 50),)),
        ),
        (1, 2), "gas",
    ),
    "lng_station": Archetype(
        "lng_station", "4511", ("燃气有限公司", "天然气有限公司"), (3, 8),
        (
            _s("LNG储罐区", REF, (("NG", 100, 1000),), core=True),
            UnitTemplate("高压天然气管道及调压站", "production", PIPE, (("NG", 0.5, 5),), False, 0.0,
                         (5.0, 15.0), (1.6, 4.0)),
        ),
        (1, 2), "gas",
    ),
    "water_works": Archetype(
        "water_works", "4610", ("水厂",), (8, 20),
        (_s("加氯间液氯钢瓶库", CYL, (("CL2", 3, 30),), core=True),),
        (1, 1), "water",
    ),
    "warehouse": Archetype(
        "warehouse", "5942", ("化工仓储有限公司", "危险品仓储有限公司"), (3, 12),
        (
            _s("甲类仓库", WH, (("ETAC", 20, 150), ("ACET", 20, 150), ("MEOH", 20, 150)), core=True),
            _s("乙类仓库", WH, (("HNO3", 10, 80),)),
            _s("储罐区", ATM, (("MEOH", 500, 3000),)),
            _s("电石仓库", WH, (("CAC2", 50, 400),)),
        ),
        (1, 3), "storage",
    ),
    "small_chem": Archetype(
        "small_chem", "2661", ("化学试剂有限公司", "精细化工有限公司"), (2.5, 8),
        (
            _s("溶剂仓库", WH, (("ETAC", 10, 80), ("ACET", 10, 80)), core=True),
            _s("异丙醇仓库", WH, (("IPA", 10, 80),)),
            _s("液氯钢瓶库", CYL, (("CL2", 5, 25),)),
            _p("合成车间", (("VAM", 5, 30), ("MEOH", 3, 15)), special=0.5),
            _s("溶剂罐区", ATM, (("NBA", 50, 300), ("TOL", 50, 300))),
        ),
        (1, 3), "fine",
    ),
    "no_units": Archetype(
        "no_units", "2669", ("化工科技有限公司", "精细化学品有限公司", "新材料科技有限公司"), (2.5, 5),
        (), (0, 0), "fine",
    ),
}
