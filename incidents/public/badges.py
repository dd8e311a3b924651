"""Status badges drawn as SVG in the shields.io look: pure functions, no ORM, no request.

Text is measured with a per-character width table for Verdana 11px (as shields measures it), so a
badge fits its text without a font on the server; textLength makes any other font fit that width.
"""

from __future__ import annotations

import math
import unicodedata
from xml.sax.saxutils import escape

from incidents.models import ComponentStatus, Impact

STYLES = ("flat", "flat-square", "for-the-badge")
LABEL_COLOUR = "#555"
FONT = "Verdana,Geneva,DejaVu Sans,sans-serif"

# shields.io's named colours: the JSON endpoint sends the name, the SVG draws the hex.
COLOURS = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
}
STATUS_COLOURS = {
    ComponentStatus.OPERATIONAL: "brightgreen",
    ComponentStatus.DEGRADED: "yellow",
    ComponentStatus.PARTIAL_OUTAGE: "orange",
    ComponentStatus.MAJOR_OUTAGE: "red",
    ComponentStatus.MAINTENANCE: "blue",
}
INDICATOR_COLOURS = {
    Impact.NONE: "brightgreen",
    Impact.MINOR: "yellow",
    Impact.MAJOR: "orange",
    Impact.CRITICAL: "red",
}
# Uptime in percent: at least this much gets this colour (checked in order); below all of them, red.
UPTIME_THRESHOLDS = ((99.9, "brightgreen"), (99.0, "green"), (98.0, "yellowgreen"), (95.0, "yellow"))

# Advance widths of Verdana at 11px, in pixels, for printable ASCII (" " to "~").
_ASCII_WIDTHS = (
    3.87, 4.33, 5.05, 9.0, 7.0, 11.84, 7.99, 2.95, 4.99, 4.99, 7.0, 9.0, 4.0, 4.99, 4.0, 4.99,  # space to /
    7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0,  # 0-9
    4.99, 4.99, 9.0, 9.0, 9.0, 6.0, 11.0,  # : to @
    7.52, 7.54, 7.68, 8.48, 6.96, 6.32, 8.53, 8.27, 4.61, 5.0, 7.62, 6.12, 9.27,  # A-M
    8.23, 8.66, 6.63, 8.66, 7.65, 7.52, 6.78, 8.05, 7.52, 10.88, 7.54, 6.77, 7.54,  # N-Z
    4.99, 4.99, 4.99, 9.0, 7.0, 7.0,  # [ to `
    6.61, 6.85, 5.73, 6.85, 6.55, 3.87, 6.85, 6.96, 3.02, 3.79, 6.51, 3.02, 10.7,  # a-m
    6.96, 6.68, 6.85, 6.85, 4.69, 5.73, 4.33, 6.96, 6.51, 8.97, 6.51, 6.51, 5.78,  # n-z
    6.98, 4.99, 6.98, 9.0,  # { to ~
)  # fmt: skip
_WIDTHS = {chr(32 + i): width for i, width in enumerate(_ASCII_WIDTHS)}
_OTHER_WIDTH = 7.0  # a letter we have no width for: about an "o"
_WIDE_WIDTH = 11.0  # CJK and other full-width characters


def text_width(text: str) -> float:
    """The width of `text` in Verdana 11px, in pixels (approximate beyond ASCII)."""
    width = 0.0
    for char in text:
        # An accented Latin letter is about as wide as its base letter ("ü" as "u").
        char = unicodedata.normalize("NFD", char)[0]
        if char in _WIDTHS:
            width += _WIDTHS[char]
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            width += _WIDE_WIDTH
        else:
            width += _OTHER_WIDTH
    return width


def clean(text: str) -> str:
    """Drop what XML 1.0 cannot hold (control characters, lone surrogates) and squash whitespace."""
    kept = (
        c
        for c in text
        if c in "\t\n\r" or (" " <= c and not ("\ud800" <= c <= "\udfff") and c not in "\ufffe\uffff")
    )
    return " ".join("".join(kept).split())


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def uptime_colour(percent: float | None) -> str:
    if percent is None:
        return "lightgrey"
    for threshold, colour in UPTIME_THRESHOLDS:
        if percent >= threshold:
            return colour
    return "red"


def hex_of(colour: str) -> str:
    return COLOURS.get(colour, COLOURS["lightgrey"])


def render(label: str, message: str, colour: str, style: str = "flat") -> str:
    """The badge as SVG text. An empty label draws the message alone; `colour` is a name in COLOURS."""
    if style not in STYLES:
        raise ValueError(f"unknown badge style {style!r}")
    label, message = clean(label), clean(message) or "unknown"
    title = f"{label}: {message}" if label else message
    if style == "for-the-badge":
        return _for_the_badge(label.upper(), message.upper(), hex_of(colour), title)
    return _flat(label, message, hex_of(colour), title, square=style == "flat-square")


def _text(x: float, width: float, text: str, y: int, *, shadow: bool, extra: str = "") -> str:
    """One text, centred at x (all coordinates scaled by 10 for sub-pixel placement)."""
    common = f'x="{round(x * 10)}" transform="scale(.1)" textLength="{round(width * 10)}"{extra}'
    parts = []
    if shadow:
        parts.append(f'<text aria-hidden="true" {common} y="{y + 10}" fill="#010101" fill-opacity=".3">')
        parts.append(f"{escape(text)}</text>")
    parts.append(f'<text {common} y="{y}" fill="#fff">{escape(text)}</text>')
    return "".join(parts)


def _frame(width: int, height: int, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_attr(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def _flat(label: str, message: str, colour: str, title: str, *, square: bool) -> str:
    label_text = math.ceil(text_width(label)) if label else 0
    message_text = math.ceil(text_width(message))
    left = label_text + 10 if label else 0
    right = message_text + 10
    width = left + right
    if square:
        background = (
            f'<g shape-rendering="crispEdges"><rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
            f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/></g>'
        )
    else:
        background = (
            '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
            '<stop offset="1" stop-opacity=".1"/></linearGradient>'
            f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
            f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
            f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
            f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        )
    texts = []
    if label:
        texts.append(_text(left / 2, label_text, label, 140, shadow=not square))
    texts.append(_text(left + right / 2, message_text, message, 140, shadow=not square))
    body = (
        f'{background}<g fill="#fff" text-anchor="middle" font-family="{FONT}" '
        f'text-rendering="geometricPrecision" font-size="110">{"".join(texts)}</g>'
    )
    return _frame(width, 20, title, body)


def _for_the_badge(label: str, message: str, colour: str, title: str) -> str:
    """28px tall, upper case, spaced letters, the message in bold: shields' for-the-badge."""
    spacing = 1.25
    label_text = math.ceil(text_width(label) * 10 / 11 + spacing * len(label)) if label else 0
    message_text = math.ceil(text_width(message) * 10 / 11 * 1.1 + spacing * len(message))
    left = label_text + 24 if label else 0
    right = message_text + 24
    width = left + right
    texts = []
    if label:
        texts.append(_text(left / 2, label_text, label, 175, shadow=False))
    texts.append(
        _text(left + right / 2, message_text, message, 175, shadow=False, extra=' font-weight="bold"')
    )
    body = (
        f'<g shape-rendering="crispEdges"><rect width="{left}" height="28" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="28" fill="{colour}"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="{FONT}" text-rendering="geometricPrecision" '
        f'font-size="100" letter-spacing="{spacing * 10:g}">{"".join(texts)}</g>'
    )
    return _frame(width, 28, title, body)
