"""JSON shapes of the open data API.

Field descriptions are plain French, not gettext: like the Table Schemas of
the CSV exports, the API's description is one stable document for
data.gouv.fr, not an interface that changes with the visitor's language.

A startup keeps beta.gouv.fr's field names where they exist (`id` is the slug,
`title`, `mission`, `phases`, `incubator`, `sponsors`, `link`, `repository`,
`stats_url`, `impact_url`, `budget_url`, `accessibility_status`), so tools
written for beta.gouv.fr's API read it unchanged; `sponsors` is, as in its
API (v2.x `startups.json`), a flat list of organisation ids (our territory slugs).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from incubator.enums import (
    AccessibilityCompliance,
    FailureReason,
    IndicatorDirection,
    Phase,
    TerritoryKind,
)
from incubator.models import Incubator, Indicator, Lesson, Measurement, Startup, Territory


def startup_public_path(slug: str) -> str:
    """The startup's page on the public site (Wagtail's startup directory)."""
    return f"/startups/{slug}/"


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class BlankAsNullCharField(serializers.CharField):
    """An optional text stored as "" in the database, published as null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


@extend_schema_field(OpenApiTypes.URI)
class BlankAsNullURLField(BlankAsNullCharField):
    """An optional link, published as null when not given."""


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice whose blank value means "not given", published as null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) or None


class PhasePeriodSerializer(serializers.Serializer):
    """One line of a startup's phase history, as in beta.gouv.fr's `phases`."""

    name = serializers.ChoiceField(choices=Phase.choices, help_text="Phase.")
    start = serializers.DateField(help_text="Début de la phase.")
    end = serializers.DateField(
        allow_null=True, help_text="Fin de la phase ; null pour la phase en cours."
    )


def phase_periods(transitions) -> list[dict]:
    """Phases with their start and end dates, from the (date-ordered) transitions."""
    transitions = list(transitions)
    periods = []
    for index, transition in enumerate(transitions):
        following = transitions[index + 1] if index + 1 < len(transitions) else None
        periods.append(
            {
                "name": transition.to_phase,
                "start": transition.date,
                "end": following.date if following else None,
            }
        )
    return periods


class StartupSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug", help_text="Identifiant (slug) de la startup.")
    title = serializers.CharField(source="name", help_text="Nom.")
    mission = serializers.CharField(source="pitch", help_text="Pitch : la mission en une phrase.")
    problem = serializers.CharField(help_text="Problème de service public traité.")
    phase = serializers.ChoiceField(choices=Phase.choices, help_text="Phase actuelle.")
    phase_since = serializers.DateField(
        allow_null=True, help_text="Date d’entrée dans la phase actuelle."
    )
    phases = serializers.SerializerMethodField(help_text="Historique des phases.")
    incubator = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Identifiant de l’incubateur."
    )
    sponsors = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text=(
            "Territoires sponsors : liste d’identifiants de territoires, comme la liste "
            "d’organisations de beta.gouv.fr."
        ),
    )
    themes = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Thématiques (identifiants)."
    )
    link = BlankAsNullURLField(source="website", help_text="Site du service.")
    repository = BlankAsNullURLField(help_text="Code source.")
    stats_url = BlankAsNullURLField(help_text="Page de statistiques.")
    impact_url = BlankAsNullURLField(help_text="Mesure d’impact.")
    budget_url = BlankAsNullURLField(help_text="Budget.")
    accessibility_status = BlankAsNullChoiceField(
        choices=[c for c in AccessibilityCompliance.values if c],
        help_text="Conformité RGAA déclarée ; null si non renseignée.",
    )
    last_update = serializers.DateTimeField(
        source="updated", help_text="Dernière modification de la fiche."
    )
    url = serializers.SerializerMethodField(help_text="Page publique de la startup.")

    class Meta:
        model = Startup
        fields = [
            "id",
            "title",
            "mission",
            "problem",
            "phase",
            "phase_since",
            "phases",
            "incubator",
            "sponsors",
            "themes",
            "link",
            "repository",
            "stats_url",
            "impact_url",
            "budget_url",
            "accessibility_status",
            "last_update",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(PhasePeriodSerializer(many=True))
    def get_phases(self, startup) -> list[dict]:
        return phase_periods(startup.transitions.all())

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, startup) -> str:
        return absolute(self.context.get("request"), startup_public_path(startup.slug))


class LessonSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug", help_text="Identifiant (slug) de la leçon.")
    title = serializers.CharField(help_text="Titre.")
    body = serializers.CharField(help_text="Texte de la leçon.")
    startup = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Identifiant de la startup."
    )
    themes = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Thématiques (identifiants)."
    )
    reason = serializers.SerializerMethodField(
        help_text="Cause de l’échec dont vient la leçon ; null si elle ne vient pas d’un échec."
    )
    created = serializers.DateTimeField(help_text="Date de rédaction.")
    last_update = serializers.DateTimeField(source="updated", help_text="Dernière modification.")

    class Meta:
        model = Lesson
        fields = ["id", "title", "body", "startup", "themes", "reason", "created", "last_update"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=FailureReason.choices, allow_null=True))
    def get_reason(self, lesson) -> str | None:
        return lesson.failure.reason if lesson.failure_id else None


class MeasurementSerializer(serializers.ModelSerializer):
    date = serializers.DateField(help_text="Date de la mesure.")
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, coerce_to_string=False, help_text="Valeur."
    )

    class Meta:
        model = Measurement
        fields = ["date", "value"]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(help_text="Identifiant numérique de l’indicateur.")
    startup = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Identifiant de la startup."
    )
    name = serializers.CharField(help_text="Nom de l’indicateur.")
    unit = serializers.CharField(help_text="Unité.")
    description = serializers.CharField(help_text="Définition.")
    target = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Cible ; null si aucune.",
    )
    direction = serializers.ChoiceField(
        choices=IndicatorDirection.choices,
        help_text="« up » : plus c’est haut, mieux c’est ; « down » : l’inverse.",
    )
    measurements = MeasurementSerializer(many=True, read_only=True)
    last_update = serializers.DateTimeField(
        source="updated", help_text="Dernière modification de la définition."
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "startup",
            "name",
            "unit",
            "description",
            "target",
            "direction",
            "measurements",
            "last_update",
        ]
        read_only_fields = fields


class StartupsLinkMixin:
    """Counts and links only public startups: the count is annotated by the query."""

    startups_filter = ""

    @extend_schema_field(OpenApiTypes.URI)
    def get_startups_url(self, obj) -> str:
        path = reverse("api:startup-list") + f"?{self.startups_filter}={obj.slug}"
        return absolute(self.context.get("request"), path)


class TerritorySerializer(StartupsLinkMixin, serializers.ModelSerializer):
    startups_filter = "territory"

    id = serializers.CharField(source="slug", help_text="Identifiant (slug) du territoire.")
    name = serializers.CharField(help_text="Nom.")
    acronym = serializers.CharField(help_text="Sigle.")
    kind = serializers.ChoiceField(choices=TerritoryKind.choices, help_text="Type de territoire.")
    siren = BlankAsNullCharField(help_text="SIREN.")
    insee_code = BlankAsNullCharField(help_text="Code INSEE (COG).")
    startups_count = serializers.IntegerField(
        help_text="Nombre de startups publiques que le territoire sponsorise."
    )
    startups_url = serializers.SerializerMethodField(help_text="Liste de ces startups dans l’API.")

    class Meta:
        model = Territory
        fields = [
            "id",
            "name",
            "acronym",
            "kind",
            "siren",
            "insee_code",
            "startups_count",
            "startups_url",
        ]
        read_only_fields = fields


class IncubatorSerializer(StartupsLinkMixin, serializers.ModelSerializer):
    startups_filter = "incubator"

    id = serializers.CharField(source="slug", help_text="Identifiant (slug) de l’incubateur.")
    title = serializers.CharField(source="name", help_text="Nom.")
    description = serializers.CharField(help_text="Présentation.")
    website = BlankAsNullURLField(help_text="Site web.")
    owner = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="Identifiant du territoire qui porte l’incubateur.",
    )
    startups_count = serializers.IntegerField(
        help_text="Nombre de startups publiques de l’incubateur."
    )
    startups_url = serializers.SerializerMethodField(help_text="Liste de ces startups dans l’API.")

    class Meta:
        model = Incubator
        fields = [
            "id",
            "title",
            "description",
            "website",
            "owner",
            "startups_count",
            "startups_url",
        ]
        read_only_fields = fields
