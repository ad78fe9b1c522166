"""Project-wide middleware."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Third-party views that are public by nature but not marked
# `login_not_required` upstream: Wagtail's page serving (pages decide their
# own privacy), its image/document serving, sitemaps, the language switcher.
PUBLIC_VIEW_MODULES = (
    "wagtail.views",
    "wagtail.images.views.serve",
    "wagtail.documents.views.serve",
    "wagtail.contrib.sitemaps.views",
    "django.views.i18n",
    "django.views.static",
)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's login-required default, with the public third-party views let through.

    Our own public views opt out explicitly with `login_not_required`.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        target = getattr(view_func, "view_class", view_func)
        if getattr(target, "__module__", "").startswith(PUBLIC_VIEW_MODULES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class LanguageMiddleware:
    """French unless the visitor chose another language with the switcher.

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is
    ignored: this is a French public service, English is an explicit choice
    (stored in the language cookie by `set_language`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


# What a lost or refused database connection raises (server down or restarting,
# connection dropped): a temporary outage, not a bug in the page.
DATABASE_OUTAGE_ERRORS = (OperationalError, InterfaceError)
# Seconds a browser or client is told to wait before trying again.
DATABASE_OUTAGE_RETRY_AFTER = 30
_OUTAGE_ATTRIBUTE = "_database_outage"

outage_logger = logging.getLogger("config.database_outage")


def _remember_database_outage(sender, request=None, **kwargs):
    """Flag the request when the exception Django turns into a 500 is a database outage.

    Sent inside Django's `except` block, so the exception is the one being handled
    (as error trackers read it).
    """
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_OUTAGE_ERRORS):
        setattr(request, _OUTAGE_ATTRIBUTE, error)


class DatabaseUnavailableMiddleware:
    """While the database cannot be reached, answer a French 503 page, not a 500.

    First, a request without a live connection connects here (as its first query
    would), so while the server is down each request is answered at once; not with
    a read replica, which may still serve anonymous pages alone. Then, as
    Django turns an exception into a response in the layer that raised it, a
    connection lost during the request is caught twice: raised by a view or its
    template (`process_exception`), or raised by a middleware further in (the session,
    the user, the page cache), where the 500 Django built is swapped for the 503.
    The page is rendered without the request, so no context processor reads the
    database. Nothing is kept between requests: once the database answers again
    (Django checks a persistent connection before reusing it, CONN_HEALTH_CHECKS),
    pages work again.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(
            _remember_database_outage, dispatch_uid="config.middleware.database_outage"
        )

    def __call__(self, request):
        if not settings.DATABASE_REPLICA_URL:
            try:
                connection.ensure_connection()  # a no-op while the connection is open
            except DATABASE_OUTAGE_ERRORS as error:
                return self.unavailable(request, error)
        response = self.get_response(request)
        error = getattr(request, _OUTAGE_ATTRIBUTE, None)
        if error is not None and response.status_code == 500:
            return self.unavailable(request, error)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_OUTAGE_ERRORS):
            return self.unavailable(request, exception)
        return None

    @staticmethod
    def unavailable(request, error) -> HttpResponse:
        outage_logger.warning(
            "Database unavailable, 503 for %s %s: %s", request.method, request.path, error
        )
        # The visitor's choice, read as LanguageMiddleware does (it may not have run yet).
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in {code for code, _name in settings.LANGUAGES}:
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            content = render_to_string("503.html", {"retry_url": request.get_full_path()})
        response = HttpResponse(content, status=503)
        response["Retry-After"] = str(DATABASE_OUTAGE_RETRY_AFTER)
        response["Cache-Control"] = "no-store"  # never kept by the page cache or a CDN
        return response
