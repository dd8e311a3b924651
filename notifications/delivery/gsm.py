"""Keep SMS in the GSM-7 alphabet: one stray character makes a message UCS-2 and doubles its cost."""

from __future__ import annotations

import unicodedata

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = "^{}\\[~]|€\f"
_REPLACEMENTS = {
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
}
SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153  # each part of a concatenated message loses 7 septets to its header


def to_gsm7(text: str) -> str:
    """Replace or drop every character outside GSM-7 (accents stripped where possible)."""
    out = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        if all(c in _BASIC or c in _EXTENDED for c in char):
            out.append(char)
            continue
        stripped = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        out.append("".join(c for c in stripped if c in _BASIC) or "?")
    return "".join(out)


def septets(text: str) -> int:
    return sum(2 if c in _EXTENDED else 1 for c in text)


def segments(text: str) -> int:
    length = septets(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return -(-length // MULTI_SEGMENT)


def fit(text: str, max_segments: int = 2, keep_tail: str = "") -> str:
    """Shorten text (ending with '...') so that text + keep_tail fits in max_segments."""
    text, keep_tail = to_gsm7(text), to_gsm7(keep_tail)
    limit = SINGLE_SEGMENT if max_segments == 1 else MULTI_SEGMENT * max_segments
    if septets(text + keep_tail) <= limit:
        return text + keep_tail
    budget = limit - septets(keep_tail) - 3
    cut = []
    used = 0
    for char in text:
        used += septets(char)
        if used > budget:
            break
        cut.append(char)
    return "".join(cut).rstrip() + "..." + keep_tail
