"""Report charts drawn with reportlab.graphics: time series, phase timeline, funnel, bars."""

import datetime
import math
from decimal import Decimal

from django.utils.translation import gettext as _

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics

from incubator.enums import TERMINAL_PHASES
from incubator.models import add_months
from incubator.reports.data import StartupReport
from incubator.reports.formatting import (
    fr_days,
    fr_month,
    fr_number,
    fr_percent,
    fr_short_date,
)
from incubator.reports.pdf_kit import (
    BLUE,
    FRAME_WIDTH,
    GREEN,
    GREY,
    GREY_LIGHT,
    GREY_PALE,
    PHASE_COLOURS,
    RED,
    RED_PALE,
    Kit,
)

# --- Charts --------------------------------------------------------------------------


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
    start = math.floor(low / step) * step
    ticks, value = [], start
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
    # Align on calendar quarters / years for readable labels.
    while (day.month - 1) % min(step, 12):
        day = add_months(day, 1)
    ticks = []
    while day <= last:
        ticks.append(day)
        day = add_months(day, step)
    return ticks


def _axis_label(value) -> str:
    return fr_number(Decimal(str(round(value, 2))))


def time_chart(
    kit: Kit,
    series: list[tuple[datetime.date, float]],
    *,
    target: float | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    y_label=_axis_label,
    height: float = 160,
) -> Drawing:
    """A line over time; `target` is drawn as a dashed red line with its value."""
    width = FRAME_WIDTH
    drawing = Drawing(width, height)
    xs = [day.toordinal() for day, _value in series]
    ys = [value for _day, value in series]
    x_min, x_max = min(xs), max(xs)
    if x_min == x_max:
        x_min, x_max = x_min - 15, x_max + 15
    extent = [*ys, *([target] if target is not None else [])]
    low = y_min if y_min is not None else min(0.0, min(extent))
    high = y_max if y_max is not None else max(extent) * 1.08 if max(extent) > 0 else 1.0
    ticks = _y_ticks(low, high)

    plot = LinePlot()
    bottom = 38 if target is not None else 24  # room for the legend
    plot.x, plot.y, plot.width, plot.height = 52, bottom, width - 70, height - bottom - 10
    plot.data = [list(zip(xs, ys, strict=True))]
    if target is not None:
        plot.data.append([(x_min, target), (x_max, target)])
    plot.lines[0].strokeColor = BLUE
    plot.lines[0].strokeWidth = 1.6
    if len(series) <= 40:
        plot.lines[0].symbol = makeMarker("FilledCircle", size=3.5, fillColor=BLUE)
    if target is not None:
        plot.lines[1].strokeColor = RED
        plot.lines[1].strokeWidth = 1.2
        plot.lines[1].strokeDashArray = [5, 3]
    x_axis, y_axis = plot.xValueAxis, plot.yValueAxis
    x_axis.valueMin, x_axis.valueMax = x_min, x_max
    month_ticks = _month_ticks(
        datetime.date.fromordinal(x_min), datetime.date.fromordinal(x_max), most=6
    )
    x_axis.valueSteps = [day.toordinal() for day in month_ticks] or [x_min, x_max]
    x_axis.labelTextFormat = lambda value: fr_month(datetime.date.fromordinal(int(value)))
    y_axis.valueMin, y_axis.valueMax, y_axis.valueSteps = ticks[0], ticks[-1], ticks
    y_axis.labelTextFormat = y_label
    y_axis.visibleGrid = 1
    y_axis.gridStrokeColor = GREY_LIGHT
    y_axis.gridStrokeWidth = 0.4
    for axis in (x_axis, y_axis):
        axis.labels.fontName = kit.fonts.regular
        axis.labels.fontSize = 7
        axis.labels.fillColor = GREY
        axis.strokeColor = GREY
    drawing.add(plot)
    if target is not None:  # legend under the axis: a label on the chart would hide points
        legend = [
            (BLUE, None, _("valeurs mesurées")),
            (RED, [5, 3], _("cible : %(value)s") % {"value": y_label(target)}),
        ]
        left = plot.x
        for colour, dashes, text in legend:
            drawing.add(
                Line(
                    left,
                    5,
                    left + 18,
                    5,
                    strokeColor=colour,
                    strokeWidth=1.4,
                    strokeDashArray=dashes,
                )
            )
            text = kit.plain(text)
            drawing.add(
                String(left + 22, 2, text, fontName=kit.fonts.regular, fontSize=7, fillColor=GREY)
            )
            left += 22 + pdfmetrics.stringWidth(text, kit.fonts.regular, 7) + 16
    return drawing


def phase_timeline(kit: Kit, report: StartupReport) -> Drawing:
    """Horizontal bars, one per stay in a phase; a red tick marks its maximum duration."""
    spans = report.phases
    row, label_width, top_pad, axis_pad = 20, 100, 6, 34
    width = FRAME_WIDTH
    height = top_pad + row * len(spans) + axis_pad
    drawing = Drawing(width, height)
    first = spans[0].start
    last = max(
        [report.as_of, *(s.end for s in spans if s.end), *(s.deadline for s in spans if s.deadline)]
    )
    if last <= first:
        last = first + datetime.timedelta(days=30)
    x0, x1 = label_width, width - 8

    def x(day: datetime.date) -> float:
        return x0 + (x1 - x0) * (day - first).days / (last - first).days

    for index, span in enumerate(spans):
        y = height - top_pad - row * (index + 1) + 4
        bar_height = row - 8
        end = span.end or report.as_of
        colour = PHASE_COLOURS.get(span.phase, BLUE)
        drawing.add(
            String(
                x0 - 6,
                y + 3,
                kit.plain(span.label),
                fontName=kit.fonts.regular,
                fontSize=8,
                textAnchor="end",
            )
        )
        on_time_end = min(end, span.deadline) if span.deadline else end
        if span.deadline:  # the time the phase may take, as a pale track behind the bar
            drawing.add(
                Rect(
                    x(span.start),
                    y,
                    x(span.deadline) - x(span.start),
                    bar_height,
                    fillColor=GREY_PALE,
                    strokeColor=GREY_LIGHT,
                    strokeWidth=0.5,
                )
            )
        drawing.add(
            Rect(
                x(span.start),
                y,
                max(x(on_time_end) - x(span.start), 1.5),
                bar_height,
                fillColor=colour,
                strokeColor=None,
            )
        )
        if span.deadline and end > span.deadline:  # overrun beyond the maximum
            drawing.add(
                Rect(
                    x(span.deadline),
                    y,
                    x(end) - x(span.deadline),
                    bar_height,
                    fillColor=RED_PALE,
                    strokeColor=RED,
                    strokeWidth=0.5,
                )
            )
        if span.deadline:
            marker_x = x(span.deadline)
            drawing.add(
                Line(
                    marker_x, y - 2, marker_x, y + bar_height + 2, strokeColor=RED, strokeWidth=1.6
                )
            )
            drawing.add(
                Polygon(
                    [
                        marker_x - 3,
                        y + bar_height + 5,
                        marker_x + 3,
                        y + bar_height + 5,
                        marker_x,
                        y + bar_height + 1,
                    ],
                    fillColor=RED,
                    strokeColor=None,
                )
            )
        if span.phase in TERMINAL_PHASES:  # an outcome, not a stay: its date says it all
            label = _("depuis le %(date)s") % {"date": fr_short_date(span.start)}
        elif span.end:
            label = fr_days((end - span.start).days)
        else:
            label = fr_days((end - span.start).days) + " " + _("(en cours)")
        label = kit.plain(label)
        text_width = pdfmetrics.stringWidth(label, kit.fonts.regular, 7)
        label_x, anchor, colour = x(end) + 4, "start", GREY
        marker = x(span.deadline) if span.deadline else None
        if marker is not None and label_x - 4 <= marker <= label_x + text_width + 2:
            label_x = marker + 5  # keep the maximum-duration tick visible
        if label_x + text_width > x1:
            label_x, anchor = x(span.start) - 4, "end"
            if label_x - text_width < x0:  # no room on either side: inside the bar
                label_x, anchor, colour = x(span.start) + 3, "start", colors.white
        drawing.add(
            String(
                label_x,
                y + 2,
                label,
                fontName=kit.fonts.regular,
                fontSize=7,
                fillColor=colour,
                textAnchor=anchor,
            )
        )

    # The report's date, where running phases stop.
    today_x = x(report.as_of)
    drawing.add(
        Line(
            today_x,
            axis_pad - 12,
            today_x,
            height - 2,
            strokeColor=GREY,
            strokeWidth=0.6,
            strokeDashArray=[1.5, 1.5],
        )
    )

    axis_y = axis_pad - 12
    drawing.add(Line(x0, axis_y, x1, axis_y, strokeColor=GREY, strokeWidth=0.5))
    for tick in _month_ticks(first, last):
        drawing.add(Line(x(tick), axis_y, x(tick), axis_y - 3, strokeColor=GREY, strokeWidth=0.5))
        drawing.add(
            String(
                x(tick),
                axis_y - 11,
                kit.plain(fr_month(tick)),
                fontName=kit.fonts.regular,
                fontSize=7,
                fillColor=GREY,
                textAnchor="middle",
            )
        )
    # Legend.
    legend_y = 1
    drawing.add(Line(x0, legend_y, x0, legend_y + 8, strokeColor=RED, strokeWidth=1.6))
    drawing.add(
        String(
            x0 + 5,
            legend_y + 1,
            kit.plain(_("durée maximale prévue par le programme")),
            fontName=kit.fonts.regular,
            fontSize=7,
            fillColor=GREY,
        )
    )
    drawing.add(
        Rect(x0 + 200, legend_y, 12, 8, fillColor=RED_PALE, strokeColor=RED, strokeWidth=0.5)
    )
    drawing.add(
        String(
            x0 + 216,
            legend_y + 1,
            kit.plain(_("dépassement")),
            fontName=kit.fonts.regular,
            fontSize=7,
            fillColor=GREY,
        )
    )
    drawing.add(
        Line(
            x0 + 290,
            legend_y,
            x0 + 290,
            legend_y + 8,
            strokeColor=GREY,
            strokeWidth=0.6,
            strokeDashArray=[1.5, 1.5],
        )
    )
    drawing.add(
        String(
            x0 + 295,
            legend_y + 1,
            kit.plain(_("date du rapport (%(date)s)") % {"date": fr_short_date(report.as_of)}),
            fontName=kit.fonts.regular,
            fontSize=7,
            fillColor=GREY,
        )
    )
    return drawing


def funnel_chart(kit: Kit, steps, *, started: int) -> Drawing:
    """One bar per funnel step, as a share of the `started` startups."""
    row, label_width = 22, 120
    width = FRAME_WIDTH
    height = row * len(steps) + 4
    drawing = Drawing(width, height)
    x0, x1 = label_width, width - 90
    base = max(started, 1)
    for index, step in enumerate(steps):
        y = height - row * (index + 1)
        bar = (x1 - x0) * step.count / base
        drawing.add(
            String(
                x0 - 6,
                y + 6,
                kit.plain(step.label),
                fontName=kit.fonts.regular,
                fontSize=8,
                textAnchor="end",
            )
        )
        drawing.add(Rect(x0, y + 2, x1 - x0, row - 6, fillColor=GREY_PALE, strokeColor=None))
        colour = GREEN if step.key == "success" else PHASE_COLOURS.get(step.key, BLUE)
        if bar > 0:
            drawing.add(Rect(x0, y + 2, bar, row - 6, fillColor=colour, strokeColor=None))
        share = step.count / started if started else None
        drawing.add(
            String(
                x1 + 6,
                y + 6,
                kit.plain(f"{fr_number(step.count)} ({fr_percent(share)})"),
                fontName=kit.fonts.bold,
                fontSize=8,
            )
        )
    return drawing


def bar_chart(kit: Kit, bars, *, value_label=fr_number) -> Drawing:
    """Horizontal bars from zero, one per `(key, label, value)`; a phase key picks its colour.

    A None value draws no bar and "—"; the longest bar spans the chart.
    """
    row, label_width = 22, 120
    width = FRAME_WIDTH
    height = row * len(bars) + 4
    drawing = Drawing(width, height)
    x0, x1 = label_width, width - 90
    top = max((value for _key, _label, value in bars if value), default=0) or 1
    for index, (key, label, value) in enumerate(bars):
        y = height - row * (index + 1)
        drawing.add(
            String(
                x0 - 6,
                y + 6,
                kit.plain(label),
                fontName=kit.fonts.regular,
                fontSize=8,
                textAnchor="end",
            )
        )
        drawing.add(Rect(x0, y + 2, x1 - x0, row - 6, fillColor=GREY_PALE, strokeColor=None))
        if value:
            drawing.add(
                Rect(
                    x0,
                    y + 2,
                    max((x1 - x0) * value / top, 1.5),
                    row - 6,
                    fillColor=PHASE_COLOURS.get(key, BLUE),
                    strokeColor=None,
                )
            )
        drawing.add(
            String(
                x1 + 6,
                y + 6,
                kit.plain(value_label(value) if value is not None else "—"),
                fontName=kit.fonts.bold,
                fontSize=8,
            )
        )
    return drawing
