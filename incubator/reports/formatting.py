"""French formatting of dates, numbers and amounts, shared by the report renderers.

Built on Django's l10n formats (no babel): the active language decides, and
reports run in LANGUAGE_CODE ("fr") outside a request.
"""

import datetime
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _


def _is_french() -> bool:
    return (get_language() or "fr").startswith("fr")


def fr_date(day: datetime.date | None) -> str:
    """« 24 novembre 2026 », and « 1er janvier 2026 » as French typography wants."""
    if day is None:
        return "—"
    text = date_format(day, "j F Y")
    if day.day == 1 and _is_french():
        text = "1er" + text[1:]
    return text


def fr_short_date(day: datetime.date | None) -> str:
    """« 24/11/2026 », for tables."""
    return date_format(day, "SHORT_DATE_FORMAT") if day else "—"


def fr_month(day: datetime.date) -> str:
    """« nov. 2026 », for chart axes."""
    return date_format(day, "N Y")


def fr_number(value: Decimal | float | int | None, decimals: int | None = None) -> str:
    """« 12 345,67 »: no decimals for whole numbers unless asked."""
    if value is None:
        return "—"
    if decimals is None:
        decimals = 0 if Decimal(str(value)) == Decimal(str(value)).to_integral_value() else 2
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def fr_euros(cents: int | None) -> str:
    """Integer cents as « 12 345,67 € »."""
    if cents is None:
        return "—"
    return f"{number_format(Decimal(cents) / 100, decimal_pos=2, force_grouping=True)}\xa0€"


def fr_days(days: int | None) -> str:
    if days is None:
        return "—"
    return ngettext("%(count)s jour", "%(count)s jours", days) % {"count": fr_number(days, 0)}


def fr_months(months: int | None) -> str:
    if months is None:
        return "—"
    return ngettext("%(count)d mois", "%(count)d mois", months) % {"count": months}


def fr_period(start: datetime.date, end: datetime.date) -> str:
    """« du 1er janvier 2026 au 31 décembre 2026 »."""
    return _("du %(start)s au %(end)s") % {"start": fr_date(start), "end": fr_date(end)}


def fr_percent(share: float | None) -> str:
    """A share in [0, 1] as « 87 % »."""
    if share is None:
        return "—"
    return f"{fr_number(round(share * 100), 0)}\xa0%"
