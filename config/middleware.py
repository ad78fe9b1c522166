"""Project-wide middleware."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
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
