"""Project-wide middleware."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware

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
