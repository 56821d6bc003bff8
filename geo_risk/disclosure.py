"""Tiered text: one rule for the figures that words carry.

Restricted data — inventories, design maximum quantities and anything derived from them (q, Σq/Q,
S, a TNT mass, the tonnes of a storage group) — is hidden from callers below the analyst role in
every field. Texts (reasons, notes, assumptions, problems, error messages) carry such figures too,
so the engine writes each restricted fragment inline as a *tiered span* with a public alternative::

    f"Σq/Q {restricted('= 7.1 ', '')}≥ 1"   # analyst: "Σq/Q = 7.1 ≥ 1"; public: "Σq/Q ≥ 1"

A span is ``⟦detail⁞public⟧`` (U+27E6, U+205E, U+27E7: characters no interchange field carries). Texts
are stored with their spans; whatever hands a text to a reader renders it for the reader's tier with
:func:`disclose` (the API does it once for every response body, ``api/disclosure.py``; the CLI renders
for the operator, who holds the database itself). The public alternative states the method and the
rule, never a figure derived from a quantity.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["OPEN", "SEP", "CLOSE", "TIERS", "restricted", "disclose", "disclose_obj", "SPAN_BYTES"]

OPEN, SEP, CLOSE = "\u27e6", "\u205e", "\u27e7"
TIERS = ("public", "restricted")

_SPAN = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*?){SEP}([^{OPEN}{CLOSE}]*?){CLOSE}", re.S)

#: The same span in a UTF-8 body and in a JSON body written with ``ensure_ascii`` (``\\u27e6``).
SPAN_BYTES = (
    re.compile(re.escape(OPEN.encode()) + rb"(.*?)" + re.escape(SEP.encode()) + rb"(.*?)" + re.escape(CLOSE.encode()),
               re.S),
    re.compile(rb"\\u27e6(.*?)\\u205e(.*?)\\u27e7", re.S | re.I),
)


def restricted(detail: str, public: str = "") -> str:
    """A tiered span: ``detail`` for analysts and above, ``public`` (default: nothing) for everyone else.

    Spans do not nest: spans already inside ``detail`` or ``public`` are rendered for the tier of
    the side they are on (restricted inside ``detail``, public inside ``public``).
    """
    detail = disclose(str(detail), "restricted")
    public = disclose(str(public), "public")
    return f"{OPEN}{detail}{SEP}{public}{CLOSE}"


def disclose(text: str, tier: str) -> str:
    """``text`` rendered for ``tier`` (``public`` or ``restricted``): each span becomes one of its sides."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; valid: {', '.join(TIERS)}")
    if OPEN not in text:
        return text
    side = 1 if tier == "restricted" else 2
    return _SPAN.sub(lambda m: m.group(side), text)


def disclose_obj(obj: Any, tier: str) -> Any:
    """:func:`disclose` applied to every string inside dicts, lists and tuples (a new object)."""
    if isinstance(obj, str):
        return disclose(obj, tier)
    if isinstance(obj, dict):
        return {disclose_obj(k, tier): disclose_obj(v, tier) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(disclose_obj(v, tier) for v in obj)
    return obj
