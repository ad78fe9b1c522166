"""Cache invalidation for the public site: one version number for all public data.

Any save or deletion of a model the public site shows, and any page
publication, bumps the version (`PublicDataVersion`, one row in the database,
so every process sees it). Anonymous visitors' public pages are cached whole
under keys holding the version (`PublicPageCacheMiddleware`): a changed
startup shows on its page at the next request, old entries simply expire.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from incubator.models import PublicDataVersion

# What public pages, feeds and the open-data API read.
TRACKED_MODELS = (
    "incubator.Territory",
    "incubator.Incubator",
    "incubator.Theme",
    "incubator.Startup",
    "incubator.Sponsorship",
    "incubator.Membership",  # the coaches' board shows whether a startup has an agent
    "incubator.Funding",
    "incubator.Review",
    "incubator.Indicator",
    "incubator.Measurement",
    "incubator.PhaseTransition",
    "incubator.Milestone",
    "incubator.Experiment",
    "incubator.Failure",
    "incubator.Lesson",
    "incubator.Deployment",
    "incubator.Report",
    "programs.Program",
    "programs.Cohort",
    "programs.CallForProjects",
)


# The version as this process last read it. Reading it for every anonymous request
# cost a query per cached page; it is now read at most every
# `PUBLIC_DATA_VERSION_MAX_AGE_MS`: another process's change shows within that
# delay, this process's own changes at once (`bump` forgets the memo).
_memo = {"version": None, "read_at": 0.0}


def current_version() -> int:
    max_age = settings.PUBLIC_DATA_VERSION_MAX_AGE_MS / 1000
    now = time.monotonic()
    if _memo["version"] is not None and now - _memo["read_at"] < max_age:
        return _memo["version"]
    version = PublicDataVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    _memo.update(version=version, read_at=now)
    return version


# What the cache returns for a key it does not hold: unlike None, never a stored value.
_MISSING = object()


def remember(name: str, compute, *, timeout: int | None = None):
    """`compute()`, kept in the cache until the public data changes.

    For what many public pages share and a request should not recompute, such as
    the filter choices of the directory or the home page's figures: the key holds
    the data version, so a change is seen at once (as for whole pages, see
    `PublicPageCacheMiddleware`). The value must be picklable and must not depend
    on the request, except for the language (part of the key).
    """
    version = current_version()
    key = f"public-data:{version}:{translation.get_language()}:{name}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:  # not `None`: a lookup whose answer is None is kept too
        value = compute()
        cache.set(key, value, settings.PUBLIC_DATA_CACHE_SECONDS if timeout is None else timeout)
    return value


def rendered_fragment(name: str, request, template: str, build_context) -> dict:
    """The data-driven part of a page, rendered once per data version.

    Returns `{"html": ..., **extra}` where `build_context()` gives the template's
    context and may name, under `"extra"`, small values the rest of the page needs
    (a page number for the title). The key holds the host, full path, language
    and data version, plus `name`, which must hold whatever else the fragment
    depends on: the user for a private one, the day when it shows durations.
    It is rendered without context processors, with only `request` added, so
    nothing about the visitor (user, CSRF token, messages) ends up in a shared
    fragment. Routing, permission checks and the page shell still run on every
    request; the first request after a change pays for rebuilding the fragment
    (measured by `bench/load.py`).
    """

    def render() -> dict:
        context = build_context()
        extra = context.pop("extra", {})
        # A SafeString, which stays one through the cache's pickling.
        return {"html": render_to_string(template, {**context, "request": request}), **extra}

    if getattr(request, "is_preview", False):
        return render()  # an editor's draft: not the published data the key stands for
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return remember(f"fragment:{name}:{request.get_host()}:{path}", render)


def bump(**_signal_kwargs) -> None:
    _memo["version"] = None
    if not PublicDataVersion.objects.filter(pk=1).update(version=F("version") + 1):
        PublicDataVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def _bump_on_m2m(action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump()


def connect() -> None:
    """Called once from `IncubatorConfig.ready()`."""
    from django.apps import apps

    from wagtail.models import Page
    from wagtail.signals import page_published, page_unpublished, post_page_move

    # Editors' changes show at once too: pages (their menus, breadcrumbs and links),
    # and the site settings in every page.
    page_published.connect(bump, dispatch_uid="public-cache-page-published")
    page_unpublished.connect(bump, dispatch_uid="public-cache-page-unpublished")
    post_page_move.connect(bump, dispatch_uid="public-cache-page-moved")
    post_delete.connect(bump, sender=Page, dispatch_uid="public-cache-page-deleted")
    post_save.connect(bump, sender="cms.SiteIdentity", dispatch_uid="public-cache-identity")

    for label in TRACKED_MODELS:
        model = apps.get_model(label)
        post_save.connect(bump, sender=model, dispatch_uid=f"public-cache-save-{label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"public-cache-delete-{label}")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _bump_on_m2m,
                sender=field.remote_field.through,
                dispatch_uid=f"public-cache-m2m-{label}-{field.name}",
            )


# --- Whole public pages, for anonymous visitors --------------------------------------

# Never cached: private spaces, the back-office, the API (it has its own ETags), the
# health check (it must ask the database itself).
UNCACHED_PREFIXES = (
    "/espace/",
    "/comptes/",
    "/admin/",
    "/django-admin/",
    "/api/",
    "/i18n/",
    "/sante/",
)
CACHEABLE_TYPES = ("text/html", "application/rss+xml", "application/atom+xml", "application/xml")


class PublicPageCacheMiddleware:
    """Serve anonymous visitors' public pages from the cache, keyed by the data version.

    A page is the same for every anonymous visitor (no CSRF token, no user),
    so its whole response is kept until the public data or a Wagtail page
    changes (the key holds the version) or `PUBLIC_PAGE_CACHE_SECONDS` pass. A response that
    sets a cookie, or a visitor with a pending message, skips the cache.
    Place it after the language, authentication and message middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        cached = cache.get(key)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(content, content_type=content_type)
            response["X-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith(CACHEABLE_TYPES)
            and "no-store" not in response.get("Cache-Control", "")
        ):
            cache.set(
                key,
                (response.content, response["Content-Type"]),
                settings.PUBLIC_PAGE_CACHE_SECONDS,
            )
            response["X-Cache"] = "miss"
        return response

    @staticmethod
    def _key(request) -> str | None:
        if (
            not settings.PUBLIC_PAGE_CACHE_SECONDS
            or request.method != "GET"
            or request.path.startswith(UNCACHED_PREFIXES)
            or request.user.is_authenticated
            or "messages" in request.COOKIES  # a notice waits for this visitor
            or getattr(request, "is_preview", False)
        ):
            return None
        raw = f"{current_version()}|{translation.get_language()}|{request.get_host()}|"
        raw += request.get_full_path()
        return "public-page:" + hashlib.sha256(raw.encode()).hexdigest()
