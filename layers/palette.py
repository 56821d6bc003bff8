"""Colour palettes, defined once for the web map, tile legends and exported QGIS styles."""

from __future__ import annotations

from geo_risk.risk.contours import ir_level_label  # the engine's label of an iso-risk level (one definition)

__all__ = ["RISK_COLOURS", "HAZARD_GRADE_COLOURS", "TARGET_CLASS_COLOURS", "IR_CONTOUR_COLOURS", "ir_level_label"]

#: Four-colour risk levels (红橙黄蓝): code → (colour, 中文, English).
RISK_COLOURS: dict[str, tuple[str, str, str]] = {
    "major": ("#e60000", "重大风险", "Major risk"),
    "high": ("#ff8c00", "较大风险", "High risk"),
    "moderate": ("#ffd700", "一般风险", "Moderate risk"),
    "low": ("#1e6fd9", "低风险", "Low risk"),
}

#: GB 18218 hazard grades of major hazard sources: grade → (colour, 中文, English). The hues follow the
#: service's grade → four-colour mapping (geo_risk.analysis.colours: 一级 red, 二级 orange, 三级 and 四级
#: yellow): a grade-4 source is still a major hazard and is never drawn in the "low risk" blue; grade 4
#: is a paler yellow than grade 3 so the two stay apart.
HAZARD_GRADE_COLOURS: dict[int, tuple[str, str, str]] = {
    1: ("#b30000", "一级重大危险源", "Grade 1 major hazard"),
    2: ("#ff6600", "二级重大危险源", "Grade 2 major hazard"),
    3: ("#ffcc00", "三级重大危险源", "Grade 3 major hazard"),
    4: ("#fff176", "四级重大危险源", "Grade 4 major hazard"),
}

#: GB 36894 protection-target classes: code → (colour, 中文, English).
TARGET_CLASS_COLOURS: dict[str, tuple[str, str, str]] = {
    "high_sensitive": ("#c2185b", "高敏感防护目标", "Highly sensitive target"),
    "important": ("#7b1fa2", "重要防护目标", "Important target"),
    "general_1": ("#5d4037", "一般防护目标（一类）", "General target, class I"),
    "general_2": ("#8d6e63", "一般防护目标（二类）", "General target, class II"),
    "general_3": ("#bcaaa4", "一般防护目标（三类）", "General target, class III"),
}




#: Iso-risk contours at the GB 36894 individual-risk criteria (per year): label → (colour, 中文, English).
IR_CONTOUR_COLOURS: dict[str, tuple[str, str, str]] = {
    ir_level_label(level): (
        colour, f"个人风险 {ir_level_label(level)}/年", f"Individual risk {ir_level_label(level)} /yr"
    )
    for level, colour in ((3e-5, "#b2182b"), (1e-5, "#ef8a62"), (3e-6, "#fddbc7"), (3e-7, "#67a9cf"))
}
