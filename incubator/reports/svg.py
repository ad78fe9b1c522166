"""Report charts as inline SVG, drawn in Python for the HTML reports.

Every chart is a `Chart`: an `<svg role="img">` named by its `<title>` and
`<desc>`, a caption, and the same numbers as a `DataTable` that the template
puts under a `<details>`. No script and no `style` (a strict
Content-Security-Policy forbids inline styles): colours are SVG presentation
attributes, DSFR values; text follows the page's colour (`currentColor`), so
it stays readable in the dark theme. Every piece of text is escaped.

Element ids come from an `IdSequence`, so two charts, or two reports, on one
page never share an id.
"""

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incubator.enums import TERMINAL_PHASES, Phase
from incubator.models import add_months
from incubator.reports.formatting import (
    fr_date,
    fr_days,
    fr_month,
    fr_months,
    fr_number,
    fr_percent,
    fr_short_date,
)

# DSFR colours: blue France, red Marianne, success green, greys.
BLUE = "#000091"
RED = "#E1000F"
RED_PALE = "#FFBDBD"
GREEN = "#18753C"
GREY = "#666666"
PHASE_COLOURS = {
    Phase.INVESTIGATION: "#8585F6",
    Phase.CONSTRUCTION: "#6A6AF4",
    Phase.ACCELERATION: "#313178",
    Phase.CONSOLIDATION: BLUE,
    Phase.TRANSFERRED: GREEN,
    Phase.OPERATED: GREEN,
    Phase.ABANDONED: GREY,
    "success": GREEN,
}

WIDTH = 640
FONT_SIZE = 12
SMALL_SIZE = 11
CHAR_WIDTH = 0.56  # an average glyph, in ems: enough to keep labels from colliding


# --- Data shapes ---------------------------------------------------------------------


@dataclass(frozen=True)
class DataTable:
    """A table of already formatted cells; columns in `right` are numbers, aligned right."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: frozenset[int] = field(default_factory=frozenset)

    @property
    def body(self) -> list[list[tuple[str, bool]]]:
        """Rows as (text, aligned right) pairs, for the template."""
        return [
            [(cell, index in self.right) for index, cell in enumerate(row)] for row in self.rows
        ]

    @property
    def head(self) -> list[tuple[str, bool]]:
        return [(cell, index in self.right) for index, cell in enumerate(self.headers)]


@dataclass(frozen=True)
class Chart:
    id: str
    caption: str
    svg: SafeString
    table: DataTable


class IdSequence:
    """Ids unique within a page: a prefix (one per report) and a counter."""

    def __init__(self, prefix: str):
        self.prefix = slugify(prefix) or "rapport"
        self.count = 0

    def __call__(self, name: str) -> str:
        self.count += 1
        return f"{self.prefix}-{name}-{self.count}"


# --- Drawing helpers --------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate: one decimal at most, never an exponent."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float = SMALL_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def _join(parts) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))  # escapes any unsafe part


def _text(x, y, text, *, anchor="start", size=SMALL_SIZE, fill="currentColor", bold=False):
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}"{}>{}</text>',
        _n(x),
        _n(y),
        anchor,
        size,
        fill,
        mark_safe(' font-weight="bold"') if bold else "",  # noqa: S308 - a constant
        text,
    )


def _rect(x, y, width, height, *, fill, stroke=None, opacity=None):
    extra = []
    if stroke:
        extra.append(format_html(' stroke="{}" stroke-width="1"', stroke))
    if opacity is not None:
        extra.append(format_html(' fill-opacity="{}"', opacity))
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"{}/>',
        _n(x),
        _n(y),
        _n(max(width, 0)),
        _n(max(height, 0)),
        fill,
        _join(extra),
    )


def _line(x1, y1, x2, y2, *, stroke, width=1, dash=None, opacity=None):
    extra = []
    if dash:
        extra.append(format_html(' stroke-dasharray="{}"', dash))
    if opacity is not None:
        extra.append(format_html(' stroke-opacity="{}"', opacity))
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"{}/>',
        _n(x1),
        _n(y1),
        _n(x2),
        _n(y2),
        stroke,
        width,
        _join(extra),
    )


def _svg(*, chart_id: str, height: float, title: str, desc: str, body) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        'role="img" aria-labelledby="{id}-title {id}-desc" font-size="{size}" class="tl-chart">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        width=WIDTH,
        height=_n(height),
        id=chart_id,
        size=FONT_SIZE,
        title=title,
        desc=desc,
        body=_join(body),
    )


_DASHES = {"line": None, "dash": "6 4", "dots": "2 2"}


def _legend(items, *, x: float, y: float) -> list:
    """Legend entries in a row: (kind, colour, text); kind is a line style, "tick" or "box"."""
    parts = []
    for kind, colour, text in items:
        if kind == "box":
            parts.append(_rect(x + 2, y - 9, 14, 10, fill=RED_PALE, stroke=colour))
        elif kind == "tick":
            parts.append(_line(x + 9, y - 11, x + 9, y + 2, stroke=colour, width=2))
        else:
            parts.append(_line(x, y - 4, x + 18, y - 4, stroke=colour, width=2, dash=_DASHES[kind]))
        parts.append(_text(x + 22, y, text))
        x += 22 + _text_width(text) + 18
    return parts


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _y_ticks(low: float, high: float) -> list[float]:
    if high <= low:
        high = low + 1
    step = _nice_step(high - low)
    value = math.floor(low / step) * step
    ticks = []
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _month_ticks(first: datetime.date, last: datetime.date, most: int = 7) -> list[datetime.date]:
    """Month starts between two dates, every 1, 2, 3, 6, 12… months so that at most `most` show."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= most), 120)
    day = datetime.date(first.year, first.month, 1)
    if day < first:
        day = add_months(day, 1)
    while (day.month - 1) % min(step, 12):  # align on quarters, half-years, years
        day = add_months(day, 1)
    ticks = []
    while day <= last:
        ticks.append(day)
        day = add_months(day, step)
    return ticks


def _tick_label(x: float, y: float, text: str):
    """A label centred under its tick, kept inside the drawing at both ends."""
    half = _text_width(text) / 2
    if x - half < 0:
        return _text(0, y, text)
    if x + half > WIDTH:
        return _text(WIDTH, y, text, anchor="end")
    return _text(x, y, text, anchor="middle")


def _axis_number(value: float) -> str:
    return fr_number(Decimal(str(round(value, 2))))


# --- Line chart ---------------------------------------------------------------------------


def line_chart(
    *,
    ids: IdSequence,
    title: str,
    desc: str,
    caption: str,
    series: Sequence[tuple[datetime.date, float]],
    table: DataTable,
    target: float | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    y_label: Callable[[float], str] = _axis_number,
    height: float = 250,
) -> Chart:
    """Values over time; `target` is a dashed red line, named in the legend."""
    chart_id = ids("graphique")
    left, right, top = 64, 16, 12
    bottom = 46 if target is not None else 28  # month labels, then the legend
    x0, x1, y0, y1 = left, WIDTH - right, height - bottom, top
    days = [day.toordinal() for day, _value in series]
    values = [float(value) for _day, value in series]
    d_min, d_max = min(days), max(days)
    if d_min == d_max:
        d_min, d_max = d_min - 15, d_max + 15
    extent = [*values, *([float(target)] if target is not None else [])]
    low = y_min if y_min is not None else min(0.0, min(extent))
    high = y_max if y_max is not None else (max(extent) * 1.08 if max(extent) > 0 else 1.0)
    ticks = _y_ticks(low, high)
    low, high = ticks[0], ticks[-1]

    def x(ordinal: float) -> float:
        return x0 + (x1 - x0) * (ordinal - d_min) / (d_max - d_min)

    def y(value: float) -> float:
        return y0 - (y0 - y1) * (value - low) / (high - low)

    body = []
    for tick in ticks:
        body.append(_line(x0, y(tick), x1, y(tick), stroke="currentColor", opacity="0.15"))
        body.append(_text(x0 - 6, y(tick) + 4, y_label(tick), anchor="end", fill="currentColor"))
    body.append(_line(x0, y0, x1, y0, stroke="currentColor", opacity="0.6"))
    first, last = datetime.date.fromordinal(d_min), datetime.date.fromordinal(d_max)
    for tick in _month_ticks(first, last, most=6):
        tick_x = x(tick.toordinal())
        body.append(_line(tick_x, y0, tick_x, y0 + 4, stroke="currentColor", opacity="0.6"))
        body.append(_tick_label(tick_x, y0 + 17, fr_month(tick)))
    if target is not None:
        body.append(
            _line(x0, y(float(target)), x1, y(float(target)), stroke=RED, width=1.5, dash="6 4")
        )
    points = " ".join(f"{_n(x(d))},{_n(y(v))}" for d, v in zip(days, values, strict=True))
    body.append(
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
            'stroke-linejoin="round"/>',
            points,
            BLUE,
        )
    )
    if len(values) <= 40:
        body.extend(
            format_html('<circle cx="{}" cy="{}" r="3.5" fill="{}"/>', _n(x(d)), _n(y(v)), BLUE)
            for d, v in zip(days, values, strict=True)
        )
    if target is not None:
        body += _legend(
            [
                ("line", BLUE, _("valeurs mesurées")),
                ("dash", RED, _("cible : %(value)s") % {"value": y_label(float(target))}),
            ],
            x=x0,
            y=height - 6,
        )
    return Chart(
        id=chart_id,
        caption=caption,
        svg=_svg(chart_id=chart_id, height=height, title=title, desc=desc, body=body),
        table=table,
    )


# --- Horizontal bars ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown at the end of the bar
    colour: str = BLUE


def bar_chart(
    *,
    ids: IdSequence,
    title: str,
    desc: str,
    caption: str,
    bars: Sequence[Bar],
    table: DataTable,
    scale: float | None = None,
) -> Chart:
    """One horizontal bar per row over a pale track; `scale` is the value of a full track."""
    chart_id = ids("graphique")
    row, label_width, value_width = 30, 190, 120
    height = row * len(bars) + 8
    x0, x1 = label_width, WIDTH - value_width
    full = scale if scale else max([bar.value for bar in bars] + [0]) or 1
    body = []
    for index, bar in enumerate(bars):
        top = 4 + row * index
        body.append(_text(x0 - 8, top + 18, bar.label, anchor="end"))
        body.append(_rect(x0, top + 5, x1 - x0, row - 10, fill="currentColor", opacity="0.08"))
        length = (x1 - x0) * min(bar.value / full, 1) if full else 0
        if length > 0:
            body.append(_rect(x0, top + 5, max(length, 2), row - 10, fill=bar.colour))
        body.append(_text(x0 + length + 6, top + 18, bar.text, bold=True))
    return Chart(
        id=chart_id,
        caption=caption,
        svg=_svg(chart_id=chart_id, height=height, title=title, desc=desc, body=body),
        table=table,
    )


# --- Phase timeline --------------------------------------------------------------------------


def _span_days(span, as_of: datetime.date) -> str:
    """How long a stay in a phase lasted, as the timeline and its table say it."""
    if span.end is None and span.phase in TERMINAL_PHASES:
        return _("depuis le %(date)s") % {"date": fr_short_date(span.start)}
    days = fr_days(((span.end or as_of) - span.start).days)
    return days if span.end else days + " " + _("(en cours)")


def phase_timeline_chart(*, ids: IdSequence, spans, as_of: datetime.date) -> Chart:
    """One bar per stay in a phase; a red tick marks its maximum duration, red overrun past it."""
    chart_id = ids("graphique")
    row, label_width, top_pad, axis_height, legend_height = 30, 130, 6, 30, 24
    height = top_pad + row * len(spans) + axis_height + legend_height
    first = spans[0].start
    last = max(
        [as_of, *(s.end for s in spans if s.end), *(s.deadline for s in spans if s.deadline)]
    )
    if last <= first:
        last = first + datetime.timedelta(days=30)
    x0, x1 = label_width, WIDTH - 10

    def x(day: datetime.date) -> float:
        return x0 + (x1 - x0) * (day - first).days / (last - first).days

    body = []
    rows = []
    overruns = 0
    for index, span in enumerate(spans):
        top = top_pad + row * index
        bar_top, bar_height = top + 7, row - 14
        end = span.end or as_of
        colour = PHASE_COLOURS.get(span.phase, BLUE)
        body.append(_text(x0 - 8, top + 19, span.label, anchor="end"))
        if span.deadline:  # the time the phase may take, as a pale track behind the bar
            body.append(
                _rect(
                    x(span.start),
                    bar_top,
                    x(span.deadline) - x(span.start),
                    bar_height,
                    fill="currentColor",
                    opacity="0.08",
                )
            )
        on_time_end = min(end, span.deadline) if span.deadline else end
        body.append(
            _rect(
                x(span.start),
                bar_top,
                max(x(on_time_end) - x(span.start), 2),
                bar_height,
                fill=colour,
            )
        )
        overrun = (end - span.deadline).days if span.deadline and end > span.deadline else 0
        if overrun:
            overruns += 1
            body.append(
                _rect(
                    x(span.deadline),
                    bar_top,
                    x(end) - x(span.deadline),
                    bar_height,
                    fill=RED_PALE,
                    stroke=RED,
                )
            )
        if span.deadline:
            marker = x(span.deadline)
            body.append(
                _line(marker, bar_top - 3, marker, bar_top + bar_height + 3, stroke=RED, width=2)
            )
        label = _span_days(span, as_of)
        label_x, anchor = x(end) + 6, "start"
        if span.deadline and label_x - 6 <= x(span.deadline) <= label_x + _text_width(label):
            label_x = x(span.deadline) + 6  # keep the maximum-duration tick visible
        if label_x + _text_width(label) > x1:
            label_x, anchor = x(span.start) - 6, "end"
            if label_x - _text_width(label) < x0:  # no room on either side: under the label
                label_x, anchor = x1, "end"
        body.append(_text(label_x, top + 19, label, anchor=anchor))
        rows.append(
            (
                span.label,
                fr_short_date(span.start),
                "—"
                if span.end is None and span.phase in TERMINAL_PHASES
                else (fr_short_date(span.end) if span.end else _("en cours")),
                "—" if span.end is None and span.phase in TERMINAL_PHASES else label,
                fr_months(span.max_months) if span.max_months else "—",
                fr_short_date(span.deadline) if span.deadline else "—",
                fr_days(overrun) if overrun else "—",
            )
        )

    axis_y = top_pad + row * len(spans) + 4
    today_x = x(as_of)
    body.append(_line(today_x, top_pad, today_x, axis_y, stroke=GREY, dash="2 2"))
    body.append(_line(x0, axis_y, x1, axis_y, stroke="currentColor", opacity="0.6"))
    for tick in _month_ticks(first, last):
        body.append(
            _line(x(tick), axis_y, x(tick), axis_y + 4, stroke="currentColor", opacity="0.6")
        )
        body.append(_tick_label(x(tick), axis_y + 17, fr_month(tick)))
    body += _legend(
        [
            ("tick", RED, _("durée maximale prévue par le programme")),
            ("box", RED, _("dépassement")),
            ("dots", GREY, _("date du rapport (%(date)s)") % {"date": fr_short_date(as_of)}),
        ],
        x=12,
        y=height - 6,
    )

    current = spans[-1]
    desc = ngettext(
        "%(count)s phase du %(start)s au %(end)s ; phase au %(end)s : %(phase)s.",
        "%(count)s phases du %(start)s au %(end)s ; phase au %(end)s : %(phase)s.",
        len(spans),
    ) % {
        "count": fr_number(len(spans)),
        "start": fr_date(first),
        "end": fr_date(as_of),
        "phase": current.label,
    }
    if overruns:
        desc += " " + ngettext(
            "Durée maximale dépassée dans %(count)s phase.",
            "Durée maximale dépassée dans %(count)s phases.",
            overruns,
        ) % {"count": fr_number(overruns)}
    title = _("Frise des phases")
    return Chart(
        id=chart_id,
        caption=_("Frise des phases jusqu’au %(date)s, avec la durée maximale de chaque phase.")
        % {"date": fr_date(as_of)},
        svg=_svg(chart_id=chart_id, height=height, title=title, desc=desc, body=body),
        table=DataTable(
            caption=title,
            headers=(
                _("Phase"),
                _("Début"),
                _("Fin"),
                _("Durée"),
                _("Maximum prévu"),
                _("Échéance maximale"),
                _("Dépassement"),
            ),
            rows=tuple(rows),
            right=frozenset({3, 4, 6}),
        ),
    )


# --- Charts of the report data ----------------------------------------------------------------


def indicator_chart(*, ids: IdSequence, indicator) -> Chart:
    """An impact indicator's values in the period, with its target."""
    unit = f"\xa0{indicator.unit}" if indicator.unit else ""
    points = indicator.points
    values = [point.value for point in points]
    target = float(indicator.target) if indicator.target is not None else None
    desc = ngettext(
        "%(count)s valeur, le %(start)s : %(last)s%(unit)s.",
        "%(count)s valeurs du %(start)s au %(end)s, de %(low)s à %(high)s%(unit)s ; "
        "dernière valeur : %(last)s%(unit)s.",
        len(points),
    ) % {
        "count": fr_number(len(points)),
        "start": fr_date(points[0].date),
        "end": fr_date(points[-1].date),
        "low": fr_number(min(values)),
        "high": fr_number(max(values)),
        "unit": unit,
        "last": fr_number(points[-1].value),
    }
    if indicator.target is not None:
        desc += " " + _("Cible : %(target)s%(unit)s.") % {
            "target": fr_number(indicator.target),
            "unit": unit,
        }
    value_header = (
        _("Valeur (%(unit)s)") % {"unit": indicator.unit} if indicator.unit else _("Valeur")
    )
    return line_chart(
        ids=ids,
        title=indicator.name,
        desc=desc,
        caption=_("« %(name)s » sur la période") % {"name": indicator.name},
        series=[(point.date, float(point.value)) for point in points],
        target=target,
        table=DataTable(
            caption=indicator.name,
            headers=(_("Date"), value_header),
            rows=tuple((fr_short_date(p.date), fr_number(p.value)) for p in points),
            right=frozenset({1}),
        ),
    )


def survival_chart(*, ids: IdSequence, survival, cohort_start: datetime.date) -> Chart:
    """Month by month, the share of started startups not stopped."""
    first, last = survival[0], survival[-1]
    title = _("Survie de la promotion")
    return line_chart(
        ids=ids,
        title=title,
        desc=_(
            "Du %(start)s au %(end)s, la part des startups démarrées non arrêtées passe de "
            "%(first)s à %(last)s (%(alive)s sur %(started)s)."
        )
        % {
            "start": fr_date(first.date),
            "end": fr_date(last.date),
            "first": fr_percent(first.share),
            "last": fr_percent(last.share),
            "alive": fr_number(last.alive),
            "started": fr_number(last.started),
        },
        caption=_("Part des startups démarrées non arrêtées, mois par mois depuis le %(date)s.")
        % {"date": fr_date(cohort_start)},
        series=[(point.date, point.share * 100) for point in survival],
        y_min=0,
        y_max=100,
        y_label=lambda value: f"{fr_number(round(value))}\xa0%",
        height=220,
        table=DataTable(
            caption=title,
            headers=(
                _("Mois"),
                _("Date"),
                _("Startups démarrées"),
                _("Non arrêtées"),
                _("Part"),
            ),
            rows=tuple(
                (
                    fr_number(point.month),
                    fr_short_date(point.date),
                    fr_number(point.started),
                    fr_number(point.alive),
                    fr_percent(point.share),
                )
                for point in survival
            ),
            right=frozenset({0, 2, 3, 4}),
        ),
    )


def funnel_chart(*, ids: IdSequence, steps, started: int, as_of: datetime.date) -> Chart:
    """How many of the started startups reached each phase: one bar per step."""
    title = _("Entonnoir des phases")
    bars = []
    rows = []
    for step in steps:
        share = step.count / started if started else None
        text = f"{fr_number(step.count)} ({fr_percent(share)})"
        bars.append(Bar(step.label, step.count, text, PHASE_COLOURS.get(step.key, BLUE)))
        rows.append((step.label, fr_number(step.count), fr_percent(share)))
    return bar_chart(
        ids=ids,
        title=title,
        desc=ngettext(
            "Sur %(count)s startup démarrée au %(date)s : %(steps)s.",
            "Sur %(count)s startups démarrées au %(date)s : %(steps)s.",
            started,
        )
        % {
            "count": fr_number(started),
            "date": fr_date(as_of),
            "steps": " ; ".join(f"{label} : {count}" for label, count, _share in rows),
        },
        caption=_("Nombre de startups ayant atteint chaque phase au %(date)s.")
        % {"date": fr_date(as_of)},
        bars=bars,
        scale=max(started, 1),
        table=DataTable(
            caption=title,
            headers=(_("Phase atteinte"), _("Startups"), _("Part des startups démarrées")),
            rows=tuple(rows),
            right=frozenset({1, 2}),
        ),
    )


def phase_counts_chart(*, ids: IdSequence, counts, not_started: int, as_of: datetime.date) -> Chart:
    """How many startups stand in each phase at the report's date."""
    title = _("Startups par phase")
    rows = [(step.key, step.label, step.count) for step in counts]
    if not_started:
        rows.append(("", _("Pas encore entrée"), not_started))
    total = sum(count for _key, _label, count in rows)
    return bar_chart(
        ids=ids,
        title=title,
        desc=ngettext(
            "Au %(date)s, %(count)s startup : %(phases)s.",
            "Au %(date)s, %(count)s startups : %(phases)s.",
            total,
        )
        % {
            "date": fr_date(as_of),
            "count": fr_number(total),
            "phases": " ; ".join(f"{label} : {fr_number(count)}" for _k, label, count in rows),
        },
        caption=_("Nombre de startups dans chaque phase au %(date)s.") % {"date": fr_date(as_of)},
        bars=[
            Bar(label, count, fr_number(count), PHASE_COLOURS.get(key, GREY))
            for key, label, count in rows
        ],
        table=DataTable(
            caption=title,
            headers=(_("Phase"), _("Startups")),
            rows=tuple((label, fr_number(count)) for _key, label, count in rows),
            right=frozenset({1}),
        ),
    )


def median_text(days: float | None) -> str:
    """« 45 jours », « 45,5 jours » (a median of an even count may fall between two days)."""
    if days is None:
        return "—"
    if days == int(days):
        return fr_days(int(days))
    return _("%(count)s jours") % {"count": fr_number(days, 1)}


def median_days_chart(*, ids: IdSequence, medians, as_of: datetime.date) -> Chart:
    """The median length of the completed stays in each phase, in days."""
    title = _("Durée médiane des phases")
    return bar_chart(
        ids=ids,
        title=title,
        desc=_("Durée médiane des passages terminés au %(date)s : %(phases)s.")
        % {
            "date": fr_date(as_of),
            "phases": " ; ".join(
                f"{median.label} : {median_text(median.median_days)}" for median in medians
            ),
        },
        caption=_("Durée médiane, en jours, des passages terminés dans chaque phase au %(date)s.")
        % {"date": fr_date(as_of)},
        bars=[
            Bar(
                median.label,
                median.median_days or 0,
                median_text(median.median_days),
                PHASE_COLOURS.get(median.phase, BLUE),
            )
            for median in medians
        ],
        table=DataTable(
            caption=title,
            headers=(_("Phase"), _("Passages terminés"), _("Durée médiane")),
            rows=tuple(
                (median.label, fr_number(median.count), median_text(median.median_days))
                for median in medians
            ),
            right=frozenset({1, 2}),
        ),
    )
