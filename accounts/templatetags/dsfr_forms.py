from django import template

from dsfr.forms import DsfrBoundField
from dsfr.utils import dsfr_input_class_attr

register = template.Library()


@register.filter
def as_dsfr_field(bound_field):
    """Render any form's field (allauth's included) with the DSFR field markup."""
    dsfr_field = DsfrBoundField(bound_field.form, bound_field.field, bound_field.name)
    return dsfr_input_class_attr(dsfr_field).as_field_group()
