"""Charts drawn on the server as inline SVG: no JavaScript library, no CDN.

Each function takes plain numbers and returns safe SVG markup with a <title> for screen readers;
the page always shows the same numbers as a table next to the chart.
"""
from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from scoring.engine.formatting import format_number, format_percent

PALETTE = ("#0b5cad", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#57606a", "#0550ae", "#9a6700")
WIDTH = 640


def _num(value: float) -> str:
    return f"{value:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>"
    )


def bar_chart(items: list[tuple[str, float | None]], *, title: str, maximum: float | None = None,
              percent: bool = True) -> SafeString:
    """Horizontal bars, one per (label, value); value None draws no bar. percent: values are shares 0..1."""
    row, label_width, bar_width = 22, 250, WIDTH - 250 - 70
    values = [v for _label, v in items if v is not None and not math.isnan(v)]
    top = maximum if maximum is not None else (max(values) if values else 1.0)
    top = top or 1.0
    body = []
    for i, (label, value) in enumerate(items):
        y = i * row + 4
        body.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">{escape(label)}</text>')
        if value is None or math.isnan(value):
            body.append(f'<text x="{label_width + 4}" y="{y + 13}" font-size="12" fill="#57606a">—</text>')
            continue
        length = max(0.0, value) / top * bar_width
        text = f"{format_percent(value, 1)} %" if percent else format_number(value, separator=" ")
        body.append(f'<rect x="{label_width}" y="{y}" width="{_num(length)}" height="{row - 6}" fill="{PALETTE[0]}"/>')
        body.append(f'<text x="{_num(label_width + length + 4)}" y="{y + 13}" font-size="12">{text}</text>')
    return _svg(WIDTH, max(len(items), 1) * row + 8, title, body)


def line_chart(labels: list[str], series: list[tuple[str, list[float]]], *, title: str) -> SafeString:
    """Lines over categorical x positions (periods): series are (name, values), one value per label."""
    height, left, right, top, bottom = 240, 50, 10, 10, 40
    inner_w, inner_h = WIDTH - left - right, height - top - bottom
    peak = max([v for _name, values in series for v in values] or [1]) or 1
    body = [f'<line x1="{left}" y1="{top + inner_h}" x2="{WIDTH - right}" y2="{top + inner_h}" stroke="#8c959f"/>',
            f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11">{format_number(peak, separator=" ")}</text>',
            f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end" font-size="11">0</text>']
    n = len(labels)

    def x_of(i):
        return left + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    step = max(1, math.ceil(n / 8))
    for i in range(0, n, step):
        body.append(f'<text x="{_num(x_of(i))}" y="{height - 22}" text-anchor="middle" font-size="11">'
                    f'{escape(labels[i])}</text>')
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{_num(x_of(i))},{_num(top + inner_h - v / peak * inner_h)}" for i, v in enumerate(values))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<text x="{left + 120 * k}" y="{height - 4}" font-size="12" fill="{colour}">— {escape(name)}</text>')
    return _svg(WIDTH, height, title, body)


def unit_square_chart(series: list[tuple[str, list[float], list[float]]], *, title: str, x_label: str,
                      y_label: str, diagonal: bool = True, markers: bool = False) -> SafeString:
    """Curves in [0, 1]² (ROC, calibration): series are (name, xs, ys); a dashed diagonal for reference."""
    size, pad = 320, 40
    inner = size - 2 * pad
    body = [f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" stroke="#8c959f"/>',
            f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" font-size="12">{escape(x_label)}</text>',
            f'<text x="12" y="{size / 2}" text-anchor="middle" font-size="12" '
            f'transform="rotate(-90 12 {size / 2})">{escape(y_label)}</text>']
    for tick in (0, 0.5, 1):
        body.append(f'<text x="{_num(pad + tick * inner)}" y="{pad + inner + 14}" text-anchor="middle" '
                    f'font-size="10">{tick:g}</text>')
        body.append(f'<text x="{pad - 4}" y="{_num(pad + inner - tick * inner + 3)}" text-anchor="end" '
                    f'font-size="10">{tick:g}</text>')
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
        body.append(f'<text x="{pad + 6}" y="{pad + 14 + 14 * k}" font-size="11" fill="{colour}">'
                    f'{escape(name)}</text>')
    return _svg(size, size, title, body)


def heatmap(labels: list[str], matrix: list[list[float | None]], *, title: str) -> SafeString:
    """A correlation matrix: blue for positive, red for negative, the value in each cell."""
    cell, left, top = 46, 150, 10
    n = len(labels)
    body = []
    for i, label in enumerate(labels):
        body.append(f'<text x="{left - 6}" y="{top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">'
                    f'{escape(label)}</text>')
        x = left + i * cell + cell / 2
        y = top + n * cell + 8
        body.append(f'<text x="{x}" y="{y}" font-size="11" transform="rotate(40 {x} {y})">{escape(label)}</text>')
        for j in range(n):
            value = matrix[i][j]
            if value is None or math.isnan(value):
                fill, text = "#eaeef2", "—"
            else:
                strength = min(1.0, abs(value))
                base = (11, 92, 173) if value >= 0 else (164, 14, 38)
                fill = "#%02x%02x%02x" % tuple(round(255 - (255 - c) * strength) for c in base)
                text = f"{value:.2f}"
            colour = "#fff" if value is not None and not math.isnan(value) and abs(value) > 0.5 else "#1b1f24"
            body.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                        f'fill="{fill}"/>')
            body.append(f'<text x="{left + j * cell + cell / 2}" y="{top + i * cell + cell / 2 + 4}" '
                        f'text-anchor="middle" font-size="11" fill="{colour}">{text}</text>')
    return _svg(left + n * cell + 20, top + n * cell + 110, title, body)
