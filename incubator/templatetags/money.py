from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def euros(cents) -> str:
    """Integer cents as French-formatted euros: 1234567 → « 12 345,67 € »."""
    if cents in (None, ""):
        return ""
    return f"{number_format(Decimal(cents) / 100, decimal_pos=2, force_grouping=True)} €"
