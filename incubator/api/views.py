"""Open data endpoints: read-only lists and details, CSV exports, Data Package, API root.

Every list and detail answers conditional GETs: its ETag and Last-Modified
come from one aggregate query (`queries.version_of`) run before any row is
loaded, so a client whose copy is current gets a 304 for the price of that
query.
"""

import hashlib
from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpResponse
from django.template import engines
from django.utils.translation import gettext_lazy as _

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, mixins, viewsets
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from incubator.api import queries
from incubator.api.base import (
    AnonThrottle,
    OpenDataAccess,
    OpenDataPagination,
    OpenDataView,
    UserThrottle,
    not_modified,
    with_validators,
)
from incubator.api.exports import EXPORTS, Export, data_package
from incubator.api.filters import IndicatorFilter, LessonFilter, StartupFilter
from incubator.api.serializers import (
    IncubatorSerializer,
    IndicatorSerializer,
    LessonSerializer,
    StartupSerializer,
    TerritorySerializer,
)
from incubator.public_cache import remember

NOT_MODIFIED = OpenApiResponse(
    description="Non modifié depuis la version indiquée par If-None-Match ou If-Modified-Since."
)
NOT_FOUND = OpenApiResponse(description="Aucune donnée publique sous cet identifiant.")
NO_SUCH_PAGE = OpenApiResponse(description="Page au-delà de la dernière.")
BAD_REQUEST = OpenApiResponse(
    description="Paramètre invalide (valeur de filtre inconnue, page ou page_size hors bornes)."
)
THROTTLED = OpenApiResponse(description="Trop de requêtes : réessayez après Retry-After secondes.")


class OpenDataViewSet(
    OpenDataAccess, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A public list (paginated, filtered) and its details, with conditional GET."""

    resource: str = ""
    decorate: Callable[[QuerySet], QuerySet]
    plain_queryset: Callable[[], QuerySet]
    pagination_class = OpenDataPagination
    filter_backends = [DjangoFilterBackend]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    not_found_message = _("Aucune donnée publique ne correspond à cet identifiant.")

    def get_queryset(self):
        return type(self).plain_queryset()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())  # 400 on a bad filter value
        version = queries.version_of(self.resource, queryset, representation="list")
        if (response := not_modified(request, version)) is not None:
            return response

        def page_data():
            page = self.paginate_queryset(type(self).decorate(queryset))  # 400 on a bad page
            return self.get_paginated_response(self.get_serializer(page, many=True).data).data

        # Serialised once per version of the data: the key holds the ETag and the
        # absolute URL (the pagination links are absolute).
        url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        data = remember(f"api-list:{self.resource}:{version.etag}:{url}", page_data)
        return with_validators(Response(data), version)

    def retrieve(self, request, *args, **kwargs):
        lookup = kwargs[self.lookup_url_kwarg or self.lookup_field]
        queryset = self.get_queryset().filter(**{self.lookup_field: lookup})
        version = queries.version_of(self.resource, queryset, representation="detail")
        if not version.count:
            raise exceptions.NotFound(self.not_found_message)
        if (response := not_modified(request, version)) is not None:
            return response
        serializer = self.get_serializer(type(self).decorate(queryset).get())
        return with_validators(Response(serializer.data), version)


def described(serializer, *, plural: str, singular: str, description: str):
    """The OpenAPI description of a list and its detail."""
    return extend_schema_view(
        list=extend_schema(
            summary=plural,
            description=f"{description} Liste paginée, ordre stable.",
            responses={
                200: serializer(many=True),
                304: NOT_MODIFIED,
                400: BAD_REQUEST,
                404: NO_SUCH_PAGE,
                429: THROTTLED,
            },
        ),
        retrieve=extend_schema(
            summary=singular,
            description=description,
            responses={200: serializer, 304: NOT_MODIFIED, 404: NOT_FOUND, 429: THROTTLED},
        ),
    )


@described(
    StartupSerializer,
    plural="Startups publiques",
    singular="Une startup publique",
    description=(
        "Startups publiques et l’historique de leurs phases, avec les noms de champs de "
        "beta.gouv.fr (id, title, mission, phases, incubator, sponsors, link, repository…)."
    ),
)
class StartupViewSet(OpenDataViewSet):
    resource = "startups"
    plain_queryset = staticmethod(queries.startups)
    decorate = staticmethod(queries.decorate_startups)
    serializer_class = StartupSerializer
    filterset_class = StartupFilter


@described(
    LessonSerializer,
    plural="Leçons publiques",
    singular="Une leçon publique",
    description="Leçons apprises publiques des startups publiques, les plus récentes d’abord.",
)
class LessonViewSet(OpenDataViewSet):
    resource = "lessons"
    plain_queryset = staticmethod(queries.lessons)
    decorate = staticmethod(queries.decorate_lessons)
    serializer_class = LessonSerializer
    filterset_class = LessonFilter


@described(
    IndicatorSerializer,
    plural="Indicateurs publics",
    singular="Un indicateur public",
    description="Indicateurs d’impact publics des startups publiques, avec leurs mesures.",
)
class IndicatorViewSet(OpenDataViewSet):
    resource = "indicators"
    plain_queryset = staticmethod(queries.indicators)
    decorate = staticmethod(queries.decorate_indicators)
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]+"


@described(
    TerritorySerializer,
    plural="Territoires",
    singular="Un territoire",
    description="Territoires, avec le nombre de startups publiques qu’ils sponsorisent.",
)
class TerritoryViewSet(OpenDataViewSet):
    resource = "territories"
    plain_queryset = staticmethod(queries.territories)
    decorate = staticmethod(queries.decorate_territories)
    serializer_class = TerritorySerializer


@described(
    IncubatorSerializer,
    plural="Incubateurs",
    singular="Un incubateur",
    description="Incubateurs, avec le nombre de leurs startups publiques.",
)
class IncubatorViewSet(OpenDataViewSet):
    resource = "incubators"
    plain_queryset = staticmethod(queries.incubators)
    decorate = staticmethod(queries.decorate_incubators)
    serializer_class = IncubatorSerializer


class ExportView(OpenDataView):
    """One CSV export (all its public rows), with conditional GET."""

    export: Export

    def get(self, request, *args, **kwargs):
        export = self.export
        queryset = export.queryset()
        version = queries.version_of(
            export.version_key or export.name, queryset, representation="csv"
        )
        if (response := not_modified(request, version)) is not None:
            return response
        response = HttpResponse(
            export.render(export.decorate(queryset), request),
            content_type="text/csv; charset=utf-8",
        )
        response.headers["Content-Disposition"] = f'inline; filename="{export.filename}"'
        return with_validators(response, version)


def export_view(export: Export) -> type[ExportView]:
    """The view of one CSV export, with its own OpenAPI operation."""
    view = type(f"{export.name.title()}ExportView", (ExportView,), {"export": export})
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"{export.name}_csv",
            summary=f"Export CSV : {export.title.lower()}",
            description=(
                f"{export.description} Toutes les lignes, en CSV (UTF-8, virgule, RFC 4180), "
                "décrites par leur Table Schema dans /api/v1/datapackage.json."
            ),
            tags=["exports"],
            responses={
                (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Fichier CSV."),
                304: NOT_MODIFIED,
                429: THROTTLED,
            },
        )
    )(view)


def export_url(request, export: Export) -> str:
    return reverse(f"api:{export.name}-csv", request=request)


class DataPackageView(OpenDataView):
    """The Frictionless Data Package: every CSV export with its Table Schema."""

    @extend_schema(
        operation_id="datapackage",
        summary="Data Package (Frictionless)",
        description="Liste des exports CSV et de leurs Table Schemas, pour data.gouv.fr.",
        tags=["exports"],
        responses={200: OpenApiTypes.OBJECT, 429: THROTTLED},
    )
    def get(self, request, *args, **kwargs):
        package = data_package(
            resource_url=lambda export: export_url(request, export),
            homepage=request.build_absolute_uri("/"),
        )
        return Response(package)


class ApiRootView(OpenDataView):
    """What the API offers, with links."""

    @extend_schema(
        operation_id="root",
        summary="Sommaire de l’API",
        description="Liens vers les listes, les exports CSV, le Data Package et ce schéma.",
        tags=["sommaire"],
        responses={200: OpenApiTypes.OBJECT, 429: THROTTLED},
    )
    def get(self, request, *args, **kwargs):
        def link(name):
            return reverse(f"api:{name}", request=request)

        return Response(
            {
                "startups": link("startup-list"),
                "lessons": link("lesson-list"),
                "indicators": link("indicator-list"),
                "territories": link("territory-list"),
                "incubators": link("incubator-list"),
                "csv": {name: export_url(request, export) for name, export in EXPORTS.items()},
                "datapackage": link("datapackage"),
                "schema": link("schema"),
                "docs": link("docs"),
            }
        )


class SchemaView(SpectacularAPIView):
    """The OpenAPI description: YAML by default, JSON with ?format=json.

    Throttled like the data: each request generates the whole description.
    """

    throttle_classes = [AnonThrottle, UserThrottle]

    def _get_filename(self, request, version):
        # drf-spectacular names the file after the title, which has non-ASCII characters.
        return f"territoires-lab-api-v1.{self.perform_content_negotiation(request, force=True)[0].format}"


class FrenchErrorHTMLRenderer(TemplateHTMLRenderer):
    """HTML whose error pages give the French message, not DRF's "429 Too Many Requests"."""

    def get_exception_template(self, response):
        return engines["django"].from_string("{{ detail }}")


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI over the description, throttled like the rest of the API.

    The split view serves its start-up script as a file (`?script`): the
    Content-Security-Policy allows no inline script.
    """

    throttle_classes = [AnonThrottle, UserThrottle]
    renderer_classes = [FrenchErrorHTMLRenderer]
