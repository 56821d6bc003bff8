"""Text keys for chemical names and CAS numbers (private helpers of :mod:`geo_risk.chemicals`)."""

from __future__ import annotations

import re
import unicodedata

from geo_risk.errors import InvalidInput

__all__ = ["cas_check_digit", "name_key", "parse_cas"]

# Hyphen-like characters NFKC leaves alone, and bracket variants it does not fold.
_FOLD = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "【": "[", "】": "]"})
_DROP = re.compile(r"[\s\-_·]+")
_CAS = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
_CAS_DIGITS = re.compile(r"^\d{5,10}$")


def name_key(text: str) -> str:
    """Comparison key of a chemical name: NFKC (full-width → half-width), case-folded, ``>=`` as ``≥``,
    without whitespace, hyphens, underscores or middle dots.

    >>> name_key("Liquid  Chlorine") == name_key("ｌｉｑｕｉｄ ｃｈｌｏｒｉｎｅ") == "liquidchlorine"
    True
    >>> name_key("氯化氢（无水）") == name_key("氯化氢(无水)")
    True
    """
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    folded = folded.replace(">=", "≥").replace("<=", "≤")
    return _DROP.sub("", folded)


def cas_check_digit(body: str) -> int:
    """CAS check digit of the digits before it (``"778250"`` for 7782-50-?): the sum of each digit
    times its position counted from the right, modulo 10."""
    return sum(int(d) * i for i, d in enumerate(reversed(body), start=1)) % 10


def parse_cas(text: str, *, strict: bool) -> str | None:
    """Normalise a CAS registry number to ``NNNNNNN-NN-N``.

    Accepts full-width characters, spaces and dash variants, and bare digits (``7782505``)
    when their check digit is right (the digit groups of a CAS number are fixed from the
    right, so bare digits are unambiguous).

    Parameters
    ----------
    text : str
        The CAS number as typed.
    strict : bool
        True when the caller says this *is* a CAS number (a ``cas`` column): malformed text or a
        wrong check digit raises. False when probing whether a name might be a CAS number:
        anything that is not CAS-shaped returns None, but a dashed CAS with a wrong check
        digit still raises, since it can be nothing else.

    Raises
    ------
    InvalidInput
        Wrong check digit, or (``strict``) not a CAS number at all.
    """
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_FOLD))
    match = _CAS.match(compact)
    if match is None and _CAS_DIGITS.match(compact):
        candidate = f"{compact[:-3]}-{compact[-3:-1]}-{compact[-1]}"
        if cas_check_digit(compact[:-1]) == int(compact[-1]):
            return candidate
        if strict:
            raise InvalidInput(
                f"CAS {text.strip()!r} (read as {candidate}) has a wrong check digit "
                f"(should end in {cas_check_digit(compact[:-1])}); check the number"
            )
        return None
    if match is None:
        if strict:
            raise InvalidInput(f"{text.strip()!r} is not a CAS registry number: expected digits in the form 7782-50-5")
        return None
    body = match.group(1) + match.group(2)
    expected = cas_check_digit(body)
    if expected != int(match.group(3)):
        raise InvalidInput(f"CAS {compact} has a wrong check digit (should end in {expected}); check the number")
    return compact
