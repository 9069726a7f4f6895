"""Charts as inline SVG, drawn on the server: no script, no library, nothing fetched, and they print.
Each function returns markup ready for a template; every text in it is escaped. Numbers are written
the Indonesian way (1.234), as on the rest of the page."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from billing.reports.fmt import num

WIDTH = 760
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'
INK, GRID, TOTAL, IN, OUT, TARGET = "#1d2733", "#d5dbe1", "#4a6076", "#2e7d32", "#c62828", "#e65100"
SERIES = ("#1565c0", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#ef6c00", "#4e342e", "#37474f")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    note: str = ""  # printed after the bar (a share, say)


def _svg(height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" {FONT}><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, s: str, anchor: str = "start", fill: str = INK, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" {extra}>{escape(s)}</text>'


def _nice_max(value: float) -> float:
    """A round axis top at or above ``value``: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10.0 * power


def lines(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    target: Decimal | None = None,
    target_label: str = "",
    unit: str = "%",
    ceiling: float | None = None,
) -> Markup:
    """One line per series over the x labels; an optional dashed target line. ``ceiling`` is the most
    a value can be (100 for a share): the axis stops there rather than at a round number above it."""
    rows = (len(series) + 2) // 3  # the legend, three names a row under the plot
    height, left, right, top, bottom = 290 + 18 * rows, 56, 110, 20, 50 + 18 * rows
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [float(v) for _, vs in series for v in vs if v is not None] + ([float(target)] if target else [])
    top_value = _nice_max(max(values, default=0) * 1.1)
    if ceiling is not None:
        top_value = min(top_value, ceiling)
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    body = []
    for k in range(5):
        v = top_value * k / 4
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y(v) + 4, f"{v:g}{unit}", "end"))
    for i, label in enumerate(x_labels):
        body.append(_text(x(i), height - bottom + 18, label, "middle"))
    if target is not None:
        ty = y(float(target))
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{TARGET}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        body.append(_text(left + plot_w + 8, ty + 4, target_label, fill=TARGET))
    for s, (name, vs) in enumerate(series):
        color = SERIES[s % len(SERIES)]
        points = [(x(i), y(float(v))) for i, v in enumerate(vs) if v is not None]
        if points:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
            body += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}"/>' for px, py in points]
        lx, ly = left + (s % 3) * (plot_w / 3), height - bottom + 34 + 18 * (s // 3)
        body.append(f'<rect x="{lx:.1f}" y="{ly:.1f}" width="12" height="12" fill="{color}"/>')
        body.append(_text(lx + 18, ly + 10, name))
    return _svg(height, title, body)


def waterfall(title: str, steps: Sequence[tuple[str, str, int]]) -> Markup:
    """``(label, sign, count)`` steps: '=' a total from zero, '+' up from the running total, '-' down."""
    bar_h, gap, left, right = 22, 8, 250, 90
    height = 20 + len(steps) * (bar_h + gap)
    running, tops = 0, []
    for _, sign, count in steps:
        if sign == "=":
            running = count
            tops.append((0, count))
        elif sign == "+":
            tops.append((running, running + count))
            running += count
        else:
            tops.append((running - count, running))
            running -= count
    scale = (WIDTH - left - right) / _nice_max(max((hi for _, hi in tops), default=1))
    body = []
    for i, ((label, sign, count), (lo, hi)) in enumerate(zip(steps, tops, strict=True)):
        y = 10 + i * (bar_h + gap)
        color = TOTAL if sign == "=" else IN if sign == "+" else OUT
        width = max((hi - lo) * scale, 1.5 if count else 0)
        body.append(_text(left - 8, y + bar_h - 7, label, "end"))
        body.append(f'<rect x="{left + lo * scale:.1f}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="{color}"/>')
        shown = num(count, "id") if sign == "=" or count == 0 else f"{sign}{num(count, 'id')}"
        body.append(_text(left + hi * scale + 6, y + bar_h - 7, shown, fill=color, extra='font-weight="bold"'))
    return _svg(height, title, body)


def bars(title: str, rows: Sequence[Bar], color: str = OUT) -> Markup:
    """Horizontal bars, largest scale first as given."""
    bar_h, gap, left, right = 20, 7, 250, 120
    height = 20 + max(len(rows), 1) * (bar_h + gap)
    scale = (WIDTH - left - right) / _nice_max(max((r.value for r in rows), default=1))
    body = []
    for i, r in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        body.append(_text(left - 8, y + bar_h - 6, r.label, "end"))
        body.append(
            f'<rect x="{left}" y="{y}" width="{max(r.value * scale, 1.5):.1f}" height="{bar_h}" fill="{color}"/>'
        )
        body.append(_text(left + r.value * scale + 6, y + bar_h - 6, f"{num(r.value, 'id')} {r.note}".strip()))
    return _svg(height, title, body)
