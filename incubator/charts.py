"""Small server-rendered SVG charts, each with a text alternative."""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html


def sparkline_svg(
    values: Sequence[Decimal | float], *, label: str, width: int = 160, height: int = 40
) -> str:
    """A trend line of `values`; `label` is its accessible name (the text alternative)."""
    if not values:
        return ""
    numbers = [float(value) for value in values]
    low, high = min(numbers), max(numbers)
    spread = (high - low) or 1.0
    step = width / max(len(numbers) - 1, 1)
    points = [
        (round(index * step, 1), round(height - 4 - (value - low) / spread * (height - 8), 1))
        for index, value in enumerate(numbers)
    ]
    polyline = " ".join(f"{x},{y}" for x, y in points)
    last_x, last_y = points[-1]
    return format_html(
        '<svg class="tl-sparkline" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        "<title>{}</title>"
        '<polyline fill="none" stroke="currentColor" stroke-width="2" points="{}"/>'
        '<circle cx="{}" cy="{}" r="3" fill="currentColor"/>'
        "</svg>",
        label,
        width,
        height,
        width,
        height,
        label,
        polyline,
        last_x,
        last_y,
    )
