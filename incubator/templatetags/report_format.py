"""French formatting of report figures in templates, from `incubator.reports.formatting`.

{% load report_format %}
{{ report.as_of|fr_date }}  {{ sponsor.amount_cents|fr_euros }}  {{ start|fr_period:end }}
"""

from django import template

from incubator.reports import formatting

register = template.Library()

register.filter("fr_date", formatting.fr_date)
register.filter("fr_short_date", formatting.fr_short_date)
register.filter("fr_number", formatting.fr_number)
register.filter("fr_euros", formatting.fr_euros)
register.filter("fr_days", formatting.fr_days)
register.filter("fr_months", formatting.fr_months)
register.filter("fr_percent", formatting.fr_percent)


@register.filter
def fr_period(start, end) -> str:
    """« du 1er janvier 2026 au 31 décembre 2026 »."""
    return formatting.fr_period(start, end)
