"""What every open data view shares: anonymous read-only access, throttling, JSON,
bounded page-number pagination, conditional GET and French error messages."""

from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _

from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from incubator.api.queries import Version


class AnonThrottle(AnonRateThrottle):
    """DRF's per-IP throttle, reading its rate from the settings at each request.

    (DRF binds the rates when the module is imported, so overridden settings
    would otherwise be ignored.)
    """

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(UserRateThrottle):
    """DRF's per-user throttle (logged-in visitors), rate read at each request."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always the view's first renderer: JSON, and the CSV views build their own response.

    A client asking for `text/csv` or anything else gets JSON errors rather than 406.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


def _positive_int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


class OpenDataPagination(PageNumberPagination):
    """`?page=N&page_size=M`; out-of-bounds values are refused, never silently changed."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    invalid_page_message = _("Cette page n’existe pas.")

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _positive_int(raw)
        if size is None or size > self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("La taille de page doit être un entier entre 1 et %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and _positive_int(raw) is None:
            raise exceptions.ValidationError(
                {self.page_query_param: [_("Le numéro de page doit être un entier positif.")]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        # Say the bounds enforced above, so clients (and schemathesis) know them.
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds[parameter["name"]])
        return parameters


def not_modified(request, version: Version):
    """A 304 when the client's copy is current (If-None-Match, else If-Modified-Since)."""
    # Whole seconds, as in the Last-Modified header, or a copy would never be current.
    last_modified = int(version.last_modified.timestamp()) if version.last_modified else None
    response = get_conditional_response(request, etag=version.etag, last_modified=last_modified)
    return with_validators(response, version) if response is not None else None


def with_validators(response, version: Version):
    response.headers["ETag"] = version.etag
    if version.last_modified is not None:
        response.headers["Last-Modified"] = http_date(int(version.last_modified.timestamp()))
    return response


class OpenDataAccess:
    """Public, read-only, throttled, JSON: the settings of every open data view.

    DRF marks every view it builds `login_required = False` for Django's
    LoginRequiredMiddleware and leaves access to its permission classes; the
    project default is IsAuthenticated, so open data says AllowAny here.
    """

    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, UserThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = []
    content_negotiation_class = JSONOnlyNegotiation
    http_method_names = ["get", "head", "options"]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Public data, read without credentials: any site may fetch it from a browser.
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


class OpenDataView(OpenDataAccess, APIView):
    """A single open data endpoint (CSV exports, Data Package, API root)."""
