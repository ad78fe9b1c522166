"""Query-string filters of the open data lists.

They only narrow querysets that are already public (`incubator.api.queries`):
no parameter can widen them. An unknown value is a 400 with a French message;
a private startup's slug is refused like an unknown one, so the API never
confirms it exists. An empty value (`?phase=`) means no filter, as from an
HTML form, and the OpenAPI description says so.
"""

import django_filters

from incubator.enums import FailureReason, Phase
from incubator.models import Incubator, Indicator, Lesson, Startup, Territory, Theme
from incubator.selectors import public_startups


def _startup_choices(request):
    return public_startups()


def or_empty(choices) -> list[tuple[str, str]]:
    """The choices plus "": the schema's enum then admits the empty value the filter accepts."""
    return [("", "(aucun filtre)"), *choices]


class StartupFilter(django_filters.FilterSet):
    phase = django_filters.ChoiceFilter(
        choices=or_empty(Phase.choices),
        help_text="Phase actuelle (identifiant beta.gouv.fr) ; vide : toutes.",
    )
    incubator = django_filters.ModelChoiceFilter(
        field_name="incubator",
        to_field_name="slug",
        queryset=Incubator.objects.all(),
        help_text="Identifiant de l’incubateur.",
    )
    theme = django_filters.ModelChoiceFilter(
        field_name="themes",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        help_text="Identifiant d’une thématique.",
    )
    territory = django_filters.ModelChoiceFilter(
        field_name="sponsors",
        to_field_name="slug",
        queryset=Territory.objects.all(),
        help_text="Identifiant d’un territoire sponsor.",
    )

    class Meta:
        model = Startup
        fields = ["phase", "incubator", "theme", "territory"]


class LessonFilter(django_filters.FilterSet):
    reason = django_filters.ChoiceFilter(
        field_name="failure__reason",
        choices=or_empty(FailureReason.choices),
        help_text="Cause de l’échec dont vient la leçon ; vide : toutes.",
    )
    theme = django_filters.ModelChoiceFilter(
        field_name="themes",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        help_text="Identifiant d’une thématique.",
    )
    startup = django_filters.ModelChoiceFilter(
        field_name="startup",
        to_field_name="slug",
        queryset=_startup_choices,
        help_text="Identifiant de la startup.",
    )

    class Meta:
        model = Lesson
        fields = ["reason", "theme", "startup"]


class IndicatorFilter(django_filters.FilterSet):
    startup = django_filters.ModelChoiceFilter(
        field_name="startup",
        to_field_name="slug",
        queryset=_startup_choices,
        help_text="Identifiant de la startup.",
    )

    class Meta:
        model = Indicator
        fields = ["startup"]
