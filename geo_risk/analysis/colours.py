"""The four risk colours (红橙黄蓝) and the service's rules that turn numbers into them.

No national rule maps GB 18218 grades, individual risk or areas to the four colours; the only
official number-to-colour rule is the 应急〔2018〕19号 enterprise score. The mappings here are the
service's classification (docs/standards/risk-colours-and-joint-prevention.md Z2), every
threshold a value of :class:`ColourRules` whose defaults are tagged in :data:`RULE_TAGS`, and every
legend must say "service classification" (:data:`SERVICE_CLASSIFICATION`).

Levels are ranked 1 (red, worst) to 4 (blue). "Worse" means a lower rank; on a boundary value the
worse colour applies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "COLOURS", "RANK", "ColourRules", "DEFAULT_RULES", "RULE_TAGS", "SERVICE_CLASSIFICATION",
    "worst", "raise_one", "grade_colour", "ir_colour", "ir_colours", "score_colour", "enterprise_colour",
    "area_colour",
]

#: colour code → (rank, 中文 level, English level). Rank 1 is the worst.
COLOURS: dict[str, tuple[int, str, str]] = {
    "red": (1, "重大风险（红）", "Major risk (red)"),
    "orange": (2, "较大风险（橙）", "Larger risk (orange)"),
    "yellow": (3, "一般风险（黄）", "General risk (yellow)"),
    "blue": (4, "低风险（蓝）", "Low risk (blue)"),
}
RANK: dict[str, int] = {c: v[0] for c, v in COLOURS.items()}
_BY_RANK: dict[int, str] = {v: c for c, v in RANK.items()}

SERVICE_CLASSIFICATION = ("服务分级（非官方规则，依据见说明） / service classification (not an official rule; "
                          "basis stated)")


@dataclass(frozen=True)
class ColourRules:
    """Thresholds of the colour mappings (settings; defaults from the reference, Z2).

    ``grade_colours``: GB 18218 grade 1–4 → colour; a unit below the major-hazard threshold is
    ``below_major``. ``ir_bands_per_year``: lower bounds (per year) of red, orange and yellow; IR
    below the last is blue. ``score_bands``: 应急〔2018〕19号 score cut-offs (points of 100): below
    the first is red, below the second orange, below the third yellow, else blue.
    """

    grade_colours: tuple[str, str, str, str] = ("red", "orange", "yellow", "yellow")
    below_major: str = "blue"
    ir_bands_per_year: tuple[float, float, float] = (1e-5, 3e-6, 3e-7)
    score_bands: tuple[float, float, float] = (60.0, 75.0, 90.0)

    def __post_init__(self) -> None:
        for c in (*self.grade_colours, self.below_major):
            if c not in COLOURS:
                raise ValueError(f"unknown colour {c!r}; colours: {', '.join(COLOURS)}")
        a, b, c = self.ir_bands_per_year
        if not (a > b > c > 0):
            raise ValueError(f"IR colour bands must be decreasing and > 0 (red > orange > yellow); got "
                             f"{self.ir_bands_per_year}")
        s1, s2, s3 = self.score_bands
        if not (0 < s1 < s2 < s3 <= 100):
            raise ValueError(f"score bands must be increasing within (0, 100]; got {self.score_bands}")

    def describe(self) -> dict[str, Any]:
        """The values used, with their confidence tags: printed on every output."""
        return {"values": asdict(self), "tags": dict(RULE_TAGS), "basis": SERVICE_CLASSIFICATION}


DEFAULT_RULES = ColourRules()

#: Confidence of each default (the reference's tags): CHOICE = no policy rule, a proposed default.
RULE_TAGS: dict[str, str] = {
    "grade_colours": "CHOICE (GB 18218 grade → colour; grades C2, the mapping is the service's)",
    "below_major": "CHOICE",
    "ir_bands_per_year": "CHOICE on the GB 36894 ladder (ladder C2 for the 2014 trial criteria)",
    "score_bands": "C1 (应急〔2018〕19号: red < 60, orange 60–<75, yellow 75–<90, blue ≥ 90)",
}


def worst(*colours: str | None) -> str | None:
    """The worst (lowest-ranked) of ``colours``, ignoring None; None when all are None."""
    ranks = [RANK[c] for c in colours if c is not None]
    return _BY_RANK[min(ranks)] if ranks else None


def raise_one(colour: str) -> str:
    """One level worse (red stays red)."""
    return _BY_RANK[max(1, RANK[colour] - 1)]


def grade_colour(grade: int | None, rules: ColourRules = DEFAULT_RULES) -> str:
    """Colour of a hazard unit from its GB 18218 grade (1–4); None (not a major hazard) → ``below_major``."""
    if grade is None:
        return rules.below_major
    if grade not in (1, 2, 3, 4):
        raise ValueError(f"GB 18218 grade must be 1–4 or None; got {grade!r}")
    return rules.grade_colours[grade - 1]


def ir_colours(ir_per_year: np.ndarray, rules: ColourRules = DEFAULT_RULES) -> np.ndarray:
    """Colour codes of individual-risk values (per year, summed over sources); a boundary value takes the worse."""
    ir = np.asarray(ir_per_year, dtype=float)
    red, orange, yellow = rules.ir_bands_per_year
    out = np.full(ir.shape, "blue", dtype=object)
    out[ir >= yellow] = "yellow"
    out[ir >= orange] = "orange"
    out[ir >= red] = "red"
    return out


def ir_colour(ir_per_year: float, rules: ColourRules = DEFAULT_RULES) -> str:
    """Colour code of one individual-risk value (per year)."""
    return str(ir_colours(np.array([ir_per_year]), rules)[0])


def score_colour(score: float, rules: ColourRules = DEFAULT_RULES) -> str:
    """Official 应急〔2018〕19号 colour of an enterprise diagnosis score (0–100 points)."""
    if not 0 <= score <= 100:
        raise ValueError(f"a 应急〔2018〕19号 score is 0–100 points; got {score!r}")
    s1, s2, s3 = rules.score_bands
    if score < s1:
        return "red"
    if score < s2:
        return "orange"
    if score < s3:
        return "yellow"
    return "blue"


def enterprise_colour(
    score: float | None, worst_unit_colour: str | None, worst_target_ir_colour: str | None,
    rules: ColourRules = DEFAULT_RULES,
) -> tuple[str, str]:
    """(colour, basis) of an enterprise: the official score's colour when given (basis ``official``),
    else the worse of its worst unit colour and the IR colour at its worst protected target (basis
    ``derived``); an enterprise with neither is blue, derived."""
    if score is not None:
        return score_colour(score, rules), "official"
    return worst(worst_unit_colour, worst_target_ir_colour) or "blue", "derived"


def area_colour(worst_point_colour: str | None, holds_red_enterprise: bool, holds_grade_a_park: bool) -> str:
    """Colour of an area or grid cell: its worst point colour, raised one level if it holds a red
    enterprise or a grade-A park (red stays red); a cell with no point colour is blue."""
    colour = worst_point_colour or "blue"
    if holds_red_enterprise or holds_grade_a_park:
        colour = raise_one(colour)
    return colour
