"""Charts drawn on the server as inline SVG: no JavaScript library, no CDN.

Each function takes plain numbers and returns safe SVG markup with a <title> for screen readers;
the page always shows the same numbers as a table next to the chart. Numbers are written in the
active language; a label too long for its room is cut with '…' and carries its full text as a tooltip.
"""
from __future__ import annotations

import math

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from scoring.services import phrases

PALETTE = ("#0b5cad", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#57606a", "#0550ae", "#9a6700")
# Natural widths, small enough that a 390 px phone scales a chart by no less than about 0.8.
WIDTH = 420
# Em widths by which fit() estimates how long a label is (wide letters, capitals, narrow ones, the rest).
WIDE, CAPITAL, NARROW, OTHER = 0.92, 0.72, 0.32, 0.62


def _num(value: float) -> str:
    return f"{value:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>"
    )


def text_width(text: str, font_size: float) -> float:
    """A generous estimate of the width of text in pixels at font_size."""
    em = 0.0
    for char in text:
        if char in "ШЩЖМЮЫФшщжмюыфWMm—%₽@":
            em += WIDE
        elif char.isupper() or char.isdigit():
            em += CAPITAL
        elif char in " .,:;'|!il()[]«»-":
            em += NARROW
        else:
            em += OTHER
    return em * font_size


def fit(text: str, width: float, font_size: float) -> str:
    """text, cut with '…' to fit width pixels at font_size (the full text is the element's tooltip)."""
    text = str(text)
    if text_width(text, font_size) <= width:
        return text
    while text and text_width(text + "…", font_size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def label(x: float, y: float, text: str, *, width: float, size: int = 12, anchor: str = "start",
          extra: str = "") -> str:
    """An SVG <text> that never runs past width pixels: cut with '…', its full text as a tooltip."""
    shown = fit(text, width, size)
    tooltip = f"<title>{escape(text)}</title>" if shown != str(text) else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}"{extra}>'
            f'{tooltip}{escape(shown)}</text>')


def number(value: float, places: int = 0) -> str:
    """A number in the active language: '1 234', '0,5'."""
    return number_format(round(float(value), places), decimal_pos=places, use_l10n=True, force_grouping=True)


def tick(value: float) -> str:
    """An axis tick of a [0, 1] axis: '0', '0,5', '1'."""
    return number(value, 0 if float(value).is_integer() else 1)


def bar_chart(items: list[tuple[str, float | None]], *, title: str, maximum: float | None = None,
              percent: bool = True) -> SafeString:
    """Horizontal bars, one per (label, value), each under its label; value None draws no bar.
    percent: values are shares 0..1."""
    row, value_room = 42, 80
    bar_width = WIDTH - value_room
    values = [v for _label, v in items if v is not None and not math.isnan(v)]
    top = maximum if maximum is not None else (max(values) if values else 1.0)
    top = top or 1.0
    body = []
    for i, (name, value) in enumerate(items):
        y = i * row + 4
        body.append(label(0, y + 13, str(name), width=WIDTH - 2, size=14))
        if value is None or math.isnan(value):
            body.append(f'<text x="0" y="{y + 31}" font-size="13" fill="#57606a">—</text>')
            continue
        length = max(0.0, value) / top * bar_width
        text = phrases.percent(value, 1) if percent else number(value)
        body.append(f'<rect x="0" y="{y + 19}" width="{_num(length)}" height="14" fill="{PALETTE[0]}"/>')
        body.append(f'<text x="{_num(length + 4)}" y="{y + 31}" font-size="13">{escape(text)}</text>')
    return _svg(WIDTH, max(len(items), 1) * row + 4, title, body)


def line_chart(labels: list[str], series: list[tuple[str, list[float]]], *, title: str) -> SafeString:
    """Lines over categorical x positions (periods): series are (name, values), one value per label.
    Every point has a marker, so a single period still shows."""
    height, left, right, top, bottom = 240, 56, 40, 10, 44
    inner_w, inner_h = WIDTH - left - right, height - top - bottom
    peak = max([v for _name, values in series for v in values] or [1]) or 1
    body = [f'<line x1="{left}" y1="{top + inner_h}" x2="{WIDTH - right}" y2="{top + inner_h}" stroke="#8c959f"/>',
            label(left - 6, top + 10, number(peak), width=left - 8, size=11, anchor="end"),
            f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end" font-size="11">0</text>']
    n = len(labels)

    def x_of(i):
        return left + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    step = max(1, math.ceil(n / 5))
    for i in range(0, n, step):
        body.append(label(x_of(i), height - 26, labels[i], width=inner_w / 5 + 8, size=11, anchor="middle"))
    slot = (WIDTH - left) / max(len(series), 1)
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(x_of(i), top + inner_h - v / peak * inner_h) for i, v in enumerate(values)]
        if len(points) > 1:
            body.append(f'<polyline points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in points)}" fill="none" '
                        f'stroke="{colour}" stroke-width="2"/>')
        body.extend(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{4 if n == 1 else 2.5}" fill="{colour}"/>'
                    for x, y in points)
        body.append(label(left + slot * k, height - 6, "— " + str(name), width=slot - 8,
                          extra=f' fill="{colour}"'))
    return _svg(WIDTH, height, title, body)


def unit_square_chart(series: list[tuple[str, list[float], list[float]]], *, title: str, x_label: str,
                      y_label: str, diagonal: bool = True, markers: bool = False) -> SafeString:
    """Curves in [0, 1]² (ROC, calibration): series are (name, xs, ys); a dashed diagonal for reference."""
    size, pad = 320, 40
    inner = size - 2 * pad
    body = [f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" stroke="#8c959f"/>',
            label(size / 2, size - 8, x_label, width=inner, anchor="middle"),
            label(12, size / 2, y_label, width=inner, anchor="middle", extra=f' transform="rotate(-90 12 {size / 2})"')]
    for value in (0, 0.5, 1):
        body.append(f'<text x="{_num(pad + value * inner)}" y="{pad + inner + 14}" text-anchor="middle" '
                    f'font-size="10">{tick(value)}</text>')
        body.append(f'<text x="{pad - 4}" y="{_num(pad + inner - value * inner + 3)}" text-anchor="end" '
                    f'font-size="10">{tick(value)}</text>')
    if diagonal:
        body.append(f'<line x1="{pad}" y1="{pad + inner}" x2="{pad + inner}" y2="{pad}" stroke="#8c959f" '
                    f'stroke-dasharray="4 4"/>')
    for k, (name, xs, ys) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        pairs = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
        points = " ".join(f"{_num(pad + x * inner)},{_num(pad + inner - y * inner)}" for x, y in pairs)
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if markers:
            body.extend(f'<circle cx="{_num(pad + x * inner)}" cy="{_num(pad + inner - y * inner)}" r="3" '
                        f'fill="{colour}"/>' for x, y in pairs)
        body.append(label(pad + 6, pad + 14 + 14 * k, name, width=inner - 8, size=11, extra=f' fill="{colour}"'))
    return _svg(size, size, title, body)


def heatmap(labels: list[str], matrix: list[list[float | None]], *, title: str) -> SafeString:
    """A correlation matrix: blue for positive, red for negative, the value in each cell; the column
    names run up to the right under the matrix."""
    cell, left, top, under = 40, 130, 10, 100
    n = len(labels)
    body = []
    for i, name in enumerate(labels):
        body.append(label(left - 6, top + i * cell + cell / 2 + 4, name, width=left - 10, size=11, anchor="end"))
        x = left + i * cell + cell / 2
        y = top + n * cell + 10
        # Rotated by -40°, the name ends under its column and starts below and left of it: up to
        # `under` pixels down, so at most under / sin 40° long.
        body.append(label(x, y, name, width=min(under / 0.65, x / 0.78) - 6, size=11, anchor="end",
                          extra=f' transform="rotate(-40 {_num(x)} {_num(y)})"'))
        for j in range(n):
            value = matrix[i][j]
            if value is None or math.isnan(value):
                fill, text = "#eaeef2", "—"
            else:
                strength = min(1.0, abs(value))
                base = (11, 92, 173) if value >= 0 else (164, 14, 38)
                fill = "#%02x%02x%02x" % tuple(round(255 - (255 - c) * strength) for c in base)
                text = number(value, 2)
            colour = "#fff" if value is not None and not math.isnan(value) and abs(value) > 0.5 else "#1b1f24"
            body.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                        f'fill="{fill}"/>')
            body.append(f'<text x="{left + j * cell + cell / 2}" y="{top + i * cell + cell / 2 + 4}" '
                        f'text-anchor="middle" font-size="10" fill="{colour}">{text}</text>')
    return _svg(left + n * cell + 10, top + n * cell + under + 16, title, body)
