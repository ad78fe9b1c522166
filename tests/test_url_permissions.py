"""The permission matrix of the whole project: every URL, every role, the expected outcome.

Every pattern of the URLConf (and every sub-route of our routable Wagtail pages) is
enumerated, and `test_every_url_is_in_the_matrix` fails until a new one is either
given a row in ROWS, covered by one of the PREFIX_RULES (the Wagtail admin, Django's
admin and allauth, whose hundreds of third-party routes share one access rule checked
on a sample), or listed in EXCLUDED with the reason.

Each row is requested as each of ROLES on one network built per group: two startups
(A is private), two territories (T1 sponsors A, T2 sponsors B), their coaches,
référents, contributions and receipts. Coaches and staff have MFA set up, so
`RequireMfaMiddleware` stays on and lets them through. The /espace/ rows come from
tests/incubator/test_workspace_permissions.py, widened to the roles it does not have.
"""

import datetime
import json
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.documents import get_document_model
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    PageViewRestriction,
    Site,
    get_page_models,
)

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from cms.models import NewsIndexPage, StandardPage
from incubator import services
from incubator.enums import MembershipRole, ReportKind, Visibility
from incubator.models import (
    Indicator,
    Membership,
    Sponsorship,
)
from incubator.services.reports import report_publish, report_request, report_run
from incubator.views.calendar import calendar_token_for
from programs.calls import ApplicationComment
from programs.models import Contribution, ContributionKind, ContributionStatus
from programs.payments import Payment, PaymentMethod, PaymentStatus, StripeEvent
from tests.factories import (
    TEST_PASSWORD,
    CohortFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.incubator.test_workspace_permissions import EXPECTED as WORKSPACE_EXPECTED
from tests.incubator.test_workspace_permissions import (
    url_for,
    workspace_objects,
    workspace_url_names,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "agent",  # member of startup A (private, sponsored by T1, in the coach's incubator)
    "other_agent",  # member of startup B (public, sponsored by T2)
    "coach",  # coach of A's incubator
    "other_coach",  # coach of B's incubator
    "referent",  # référent of T1
    "other_referent",  # référent of T2
    "editor",  # role « Éditeur », in Wagtail's Editors group: CMS pages only
    "staff",  # is_staff, role « Équipe »: every workspace, no Wagtail group
    "superuser",
)

# Outcomes: a status code, or where a redirect leads when that is the point.
LOGIN = "login"  # 302 to a login page (allauth's, or the admin's, which redirects there)
ADMIN_HOME = "admin home"  # 302 to the Wagtail dashboard: « no permission for this area »
LOGIN_PATHS = {
    "/comptes/login/",
    "/admin/login/",
    f"/{django_settings.DJANGO_ADMIN_PATH}login/",
}

# --- Shorthands, one value per role, in the order of ROLES ------------------------
PUBLIC = (200,) * 10
GONE = (404,) * 10  # a private record on a public surface does not exist, for anyone
LOGGED_IN = (LOGIN, *(200,) * 9)
TO_LOGIN = (LOGIN,) * 10  # our redirects from the admins' login pages to allauth's
GET_NOT_ALLOWED = (405,) * 10
POST_ONLY = (LOGIN, *(405,) * 9)
# A contribution of T1, its receipt, Stripe's return page: T1's référent and staff only.
T1_MONEY = (LOGIN, 404, 404, 404, 404, 200, 404, 404, 200, 200)
# Starting a payment of T1's contribution: Stripe is not configured in tests, so the
# view sends T1's référent (and staff) back to the list with an error; others get 404.
T1_PAY = (LOGIN, 404, 404, 404, 404, 302, 404, 404, 302, 302)
# Allauth's entry points: a visitor gets the form, a logged-in user is sent on.
ACCOUNT_ENTRY = (200, *(302,) * 9)
# The Wagtail admin: `wagtailadmin.access_admin` (Editors group, superusers), else login.
# The plain staff role has no Wagtail group: the admin sends it to log in as another user.
WAGTAIL_ANY_EDITOR = (*(LOGIN,) * 7, 200, LOGIN, 200)
WAGTAIL_SUPERUSER = (*(LOGIN,) * 7, ADMIN_HOME, LOGIN, 200)
# Our own views in the admin check `is_network_staff` after Wagtail's admin access; the
# PermissionDenied they raise becomes Wagtail's « no permission » redirect. POST-only
# actions check the permission first, then the method.
WAGTAIL_OWN_VIEW = (*(LOGIN,) * 7, ADMIN_HOME, LOGIN, 200)
WAGTAIL_OWN_POST = (*(LOGIN,) * 7, ADMIN_HOME, LOGIN, 405)
# Money is read-only in the admin (ReadOnlyPolicy): changes go through programs.billing.
WAGTAIL_READ_ONLY = (*(LOGIN,) * 7, ADMIN_HOME, LOGIN, ADMIN_HOME)
# Django's admin is a superuser tool (accounts/admin.py), even for is_staff users.
DJANGO_ADMIN_ONLY = (*(LOGIN,) * 9, 200)


def widen(row):
    """A row of the /espace/ matrix (8 roles) for ROLES: the editor is a user with no
    startup, territory or coaching (like the other agent), the superuser is staff."""
    anonymous, agent, other_agent, coach, other_coach, referent, other_referent, staff = row
    assert anonymous == 302  # LoginRequiredMiddleware: checked below to lead to login
    return (LOGIN, agent, other_agent, coach, other_coach, referent, other_referent) + (
        other_agent,
        staff,
        staff,
    )


@dataclass(frozen=True)
class Row:
    key: str  # the URL name (or, for unnamed patterns, the route) this row covers
    url: object  # world -> URL
    expected: tuple
    method: str = "get"


def page_url(model_label, route, **kwargs):
    """A sub-route of the live page of a routable page model."""

    def build(w):
        page = w.pages[model_label]
        return page.url + page.reverse_subpage(route, kwargs={k: v(w) for k, v in kwargs.items()})

    return build


ROWS = {
    # --- Project URLs outside the admins ------------------------------------------
    "project": [
        Row("admin/login/", lambda w: "/admin/login/", TO_LOGIN),
        Row(
            f"{django_settings.DJANGO_ADMIN_PATH}login/",
            lambda w: f"/{django_settings.DJANGO_ADMIN_PATH}login/",
            TO_LOGIN,
        ),
        Row("account_profile", lambda w: reverse("account_profile"), LOGGED_IN),
        Row("account_data_download", lambda w: reverse("account_data_download"), LOGGED_IN),
        Row("account_delete", lambda w: reverse("account_delete"), LOGGED_IN),
        # ProConnect is not configured in tests: its two views are a 404 for everyone.
        Row("proconnect_login", lambda w: reverse("proconnect_login"), GONE),
        Row("proconnect_callback", lambda w: reverse("proconnect_callback"), GONE),
        Row("payments:pay", lambda w: reverse("payments:pay", args=[w.contribution.pk]), POST_ONLY),
        Row(
            "payments:pay",
            lambda w: reverse("payments:pay", args=[w.contribution.pk]),
            T1_PAY,
            method="post",
        ),
        # T2's contribution: T1's référent gets a 404, never its amount.
        Row(
            "payments:pay",
            lambda w: reverse("payments:pay", args=[w.other_contribution.pk]),
            (LOGIN, 404, 404, 404, 404, 404, 302, 404, 302, 302),
            method="post",
        ),
        Row(
            "payments:return",
            lambda w: reverse("payments:return", args=[w.contribution.pk]),
            T1_MONEY,
        ),
        # Abandoning a payment sends the référent back to the list.
        Row(
            "payments:cancel",
            lambda w: reverse("payments:cancel", args=[w.contribution.pk]),
            (LOGIN, 404, 404, 404, 404, 302, 404, 404, 302, 302),
        ),
        Row(
            "payments:receipt", lambda w: reverse("payments:receipt", args=[w.payment.pk]), T1_MONEY
        ),
        Row(
            "payments:receipt",
            lambda w: reverse("payments:receipt", args=[w.other_payment.pk]),
            (LOGIN, 404, 404, 404, 404, 404, 200, 404, 200, 200),
        ),
        # Stripe calls it without a session; an unsigned POST is tested on its own.
        Row(
            "payments:stripe_webhook", lambda w: reverse("payments:stripe_webhook"), GET_NOT_ALLOWED
        ),
        Row("wagtaildocs_serve", lambda w: w.document.url, PUBLIC),
        # A document in a collection restricted to logged-in users.
        Row("wagtaildocs_serve", lambda w: w.restricted_document.url, LOGGED_IN),
        # Wagtail's password forms are public; what they protect is not shown.
        Row(
            "wagtaildocs_authenticate_with_password",
            lambda w: reverse(
                "wagtaildocs_authenticate_with_password", args=[w.collection_password.pk]
            ),
            PUBLIC,
        ),
        Row(
            "wagtailcore_authenticate_with_password",
            lambda w: reverse(
                "wagtailcore_authenticate_with_password",
                args=[w.page_password.pk, w.page_password.page_id],
            ),
            PUBLIC,
        ),
        # Wagtail's front-end login form redirects to allauth's (test_only_allauth_logs_users_in).
        Row("wagtailcore_login", lambda w: reverse("wagtailcore_login"), TO_LOGIN),
        Row("frontend_login", lambda w: reverse("frontend_login"), TO_LOGIN),
        # Django's set_language redirects back (the language changes on POST only).
        Row("set_language", lambda w: reverse("set_language"), (302,) * 10),
        Row("sitemap", lambda w: reverse("sitemap"), PUBLIC),
        Row("robots_txt", lambda w: reverse("robots_txt"), PUBLIC),
        Row("health", lambda w: reverse("health"), PUBLIC),  # says "ok", nothing more
        # A 404 until the operator names a contact (tests/cms/test_robots.py); public then.
        Row("security_txt", lambda w: reverse("security_txt"), GONE),
        # Browsers post CSP reports with or without a session; a form post is not one.
        Row("csp_report", lambda w: reverse("csp_report"), GET_NOT_ALLOWED),
        Row("csp_report", lambda w: reverse("csp_report"), (415,) * 10, method="post"),
        # The token is the credential: calendar apps have no session.
        Row("calendar_feed", lambda w: reverse("calendar_feed", args=[w.calendar_token]), PUBLIC),
        Row("calendar_feed", lambda w: reverse("calendar_feed", args=["jeton-inconnu"]), GONE),
    ],
    # --- The open-data API: public, the same for every role -----------------------
    "api": [
        Row("api:root", lambda w: reverse("api:root"), PUBLIC),
        *(
            Row(f"api:{name}-csv", lambda w, name=name: reverse(f"api:{name}-csv"), PUBLIC)
            for name in ("startups", "lessons", "indicators", "territories", "incubators")
        ),
        Row("api:datapackage", lambda w: reverse("api:datapackage"), PUBLIC),
        Row("api:schema", lambda w: reverse("api:schema"), PUBLIC),
        Row("api:docs", lambda w: reverse("api:docs"), PUBLIC),
        *(
            Row(f"api:{name}-list", lambda w, name=name: reverse(f"api:{name}-list"), PUBLIC)
            for name in ("startup", "lesson", "indicator", "territory", "incubator")
        ),
        Row(
            "api:startup-detail",
            lambda w: reverse("api:startup-detail", args=[w.public_startup.slug]),
            PUBLIC,
        ),
        # Open data: a private startup does not exist, even for its team or staff.
        Row(
            "api:startup-detail",
            lambda w: reverse("api:startup-detail", args=[w.startup.slug]),
            GONE,
        ),
        Row(
            "api:lesson-detail",
            lambda w: reverse("api:lesson-detail", args=[w.public_lesson.slug]),
            PUBLIC,
        ),
        Row(
            "api:lesson-detail",
            lambda w: reverse("api:lesson-detail", args=[w.private_lesson.slug]),
            GONE,
        ),
        Row(
            "api:indicator-detail",
            lambda w: reverse("api:indicator-detail", args=[w.public_indicator.pk]),
            PUBLIC,
        ),
        # A non-public indicator of a public startup, and any indicator of a private one.
        Row(
            "api:indicator-detail",
            lambda w: reverse("api:indicator-detail", args=[w.private_indicator.pk]),
            GONE,
        ),
        Row(
            "api:indicator-detail",
            lambda w: reverse("api:indicator-detail", args=[w.objects["indicator"].pk]),
            GONE,
        ),
        Row(
            "api:territory-detail",
            lambda w: reverse("api:territory-detail", args=[w.t1.slug]),
            PUBLIC,
        ),
        Row(
            "api:incubator-detail",
            lambda w: reverse("api:incubator-detail", args=[w.startup.incubator.slug]),
            PUBLIC,
        ),
    ],
    # --- The public site: Wagtail pages and our routable pages' sub-routes -----------
    "public": [
        Row("wagtail_serve", lambda w: "/", PUBLIC),
        Row("wagtail_serve", lambda w: w.restricted_page.url, LOGGED_IN),
        Row("wagtail_serve", lambda w: "/brouillon/", GONE),  # a draft page
        Row("wagtail_serve", lambda w: "/__bench__/minimal/", GONE),  # bench settings only
        Row(
            "page:cms.StartupDirectoryPage:index",
            page_url("cms.StartupDirectoryPage", "index"),
            PUBLIC,
        ),
        Row(
            "page:cms.StartupDirectoryPage:startup",
            page_url("cms.StartupDirectoryPage", "startup", slug=lambda w: w.public_startup.slug),
            PUBLIC,
        ),
        # The public site reads public selectors only: the private startup is a 404 even
        # for its team (who read it in /espace/).
        Row(
            "page:cms.StartupDirectoryPage:startup",
            page_url("cms.StartupDirectoryPage", "startup", slug=lambda w: w.startup.slug),
            GONE,
        ),
        Row(
            "page:cms.LessonsLibraryPage:index", page_url("cms.LessonsLibraryPage", "index"), PUBLIC
        ),
        Row(
            "page:cms.LessonsLibraryPage:feed_rss",
            page_url("cms.LessonsLibraryPage", "feed_rss"),
            PUBLIC,
        ),
        Row(
            "page:cms.LessonsLibraryPage:feed_atom",
            page_url("cms.LessonsLibraryPage", "feed_atom"),
            PUBLIC,
        ),
        Row(
            "page:cms.LessonsLibraryPage:lesson",
            page_url("cms.LessonsLibraryPage", "lesson", slug=lambda w: w.public_lesson.slug),
            PUBLIC,
        ),
        Row(
            "page:cms.LessonsLibraryPage:lesson",
            page_url("cms.LessonsLibraryPage", "lesson", slug=lambda w: w.private_lesson.slug),
            GONE,
        ),
        Row("page:cms.NewsIndexPage:index", page_url("cms.NewsIndexPage", "index"), PUBLIC),
        Row("page:cms.NewsIndexPage:feed_rss", page_url("cms.NewsIndexPage", "feed_rss"), PUBLIC),
        Row("page:cms.NewsIndexPage:feed_atom", page_url("cms.NewsIndexPage", "feed_atom"), PUBLIC),
        Row("page:cms.ReportIndexPage:index", page_url("cms.ReportIndexPage", "index"), PUBLIC),
        Row(
            "page:cms.ReportIndexPage:report",
            page_url("cms.ReportIndexPage", "report", pk=lambda w: w.published_report.pk),
            PUBLIC,
        ),
        # An internal report (never publishable) is not on the public site, for anyone.
        Row(
            "page:cms.ReportIndexPage:report",
            page_url("cms.ReportIndexPage", "report", pk=lambda w: w.objects["report"].pk),
            GONE,
        ),
        Row(
            "page:cms.ReportIndexPage:report_pdf",
            page_url("cms.ReportIndexPage", "report_pdf", pk=lambda w: w.published_report.pk),
            PUBLIC,
        ),
        Row(
            "page:cms.ReportIndexPage:report_pdf",
            page_url("cms.ReportIndexPage", "report_pdf", pk=lambda w: w.objects["report"].pk),
            GONE,
        ),
    ],
    # --- /espace/: the rows of the workspace matrix, widened to every role ----------
    "workspace": [
        Row(
            f"workspace:{name}",
            lambda w, name=name: url_for(name, workspace_url_names()[name], w.objects),
            widen(row),
        )
        for name, row in WORKSPACE_EXPECTED.items()
    ],
    # --- PREFIX_RULES samples: allauth ------------------------------------------------
    "accounts": [
        Row("account_login", lambda w: reverse("account_login"), ACCOUNT_ENTRY),
        Row("account_signup", lambda w: reverse("account_signup"), ACCOUNT_ENTRY),
        Row("account_reset_password", lambda w: reverse("account_reset_password"), PUBLIC),
        Row("account_email", lambda w: reverse("account_email"), LOGGED_IN),
        Row("account_change_password", lambda w: reverse("account_change_password"), LOGGED_IN),
        Row("mfa_index", lambda w: reverse("mfa_index"), LOGGED_IN),
        Row("socialaccount_connections", lambda w: reverse("socialaccount_connections"), LOGGED_IN),
    ],
    # --- PREFIX_RULES samples: the Wagtail admin, and our own views inside it --------
    "wagtail_admin": [
        Row("wagtailadmin_home", lambda w: reverse("wagtailadmin_home"), WAGTAIL_ANY_EDITOR),
        Row(
            "wagtailadmin_explore_root",
            lambda w: reverse("wagtailadmin_explore_root"),
            WAGTAIL_ANY_EDITOR,
        ),
        Row(
            "wagtailadmin_pages:edit",
            lambda w: reverse("wagtailadmin_pages:edit", args=[w.home.pk]),
            WAGTAIL_ANY_EDITOR,
        ),
        Row("wagtaildocs:index", lambda w: reverse("wagtaildocs:index"), WAGTAIL_ANY_EDITOR),
        Row("wagtailimages:index", lambda w: reverse("wagtailimages:index"), WAGTAIL_ANY_EDITOR),
        Row(
            "wagtailusers_users:index",
            lambda w: reverse("wagtailusers_users:index"),
            WAGTAIL_SUPERUSER,
        ),
        Row(
            "wagtailusers_users:edit",
            lambda w: reverse("wagtailusers_users:edit", args=[w.users["agent"].pk]),
            WAGTAIL_SUPERUSER,
        ),
        *(
            Row(
                f"wagtailsnippets_{model}:list",
                lambda w, model=model: reverse(f"wagtailsnippets_{model}:list"),
                WAGTAIL_SUPERUSER,
            )
            for model in (
                "programs_contribution",
                "programs_payment",
                "programs_program",
                "programs_callforprojects",
                "programs_stripeevent",
                "incubator_startup",
                "incubator_review",
                "incubator_report",
            )
        ),
        # Their listings log spreadsheet exports (LoggedExportIndexView), results included.
        *(
            Row(
                f"wagtailsnippets_{model}:list_results",
                lambda w, model=model: reverse(f"wagtailsnippets_{model}:list_results"),
                WAGTAIL_SUPERUSER,
            )
            for model in ("programs_contribution", "incubator_startup")
        ),
        Row(
            "wagtailsnippets_programs_contribution:edit",
            lambda w: reverse(
                "wagtailsnippets_programs_contribution:edit", args=[w.contribution.pk]
            ),
            WAGTAIL_READ_ONLY,
        ),
        Row(
            "wagtailsnippets_incubator_startup:edit",
            lambda w: reverse("wagtailsnippets_incubator_startup:edit", args=[w.startup.pk]),
            WAGTAIL_SUPERUSER,
        ),
        Row(
            "wagtailsnippets_incubator_startup:add",
            lambda w: reverse("wagtailsnippets_incubator_startup:add"),
            WAGTAIL_SUPERUSER,
        ),
        Row(
            "wagtailsnippets_incubator_startup:phase",
            lambda w: reverse("wagtailsnippets_incubator_startup:phase", args=[w.startup.pk]),
            WAGTAIL_OWN_VIEW,
        ),
        Row(
            "incubator_record_history",
            lambda w: reverse("incubator_record_history", args=["startup", w.startup.pk]),
            WAGTAIL_OWN_VIEW,
        ),
        Row(
            "wagtailsnippets_programs_contribution:payment",
            lambda w: reverse(
                "wagtailsnippets_programs_contribution:payment", args=[w.contribution.pk]
            ),
            WAGTAIL_OWN_VIEW,
        ),
        Row(
            "wagtailsnippets_programs_contribution:cancel",
            lambda w: reverse(
                "wagtailsnippets_programs_contribution:cancel", args=[w.contribution.pk]
            ),
            WAGTAIL_OWN_POST,
        ),
        Row(
            "wagtailsnippets_programs_contribution:accept_payment",
            lambda w: reverse(
                "wagtailsnippets_programs_contribution:accept_payment",
                args=[w.contribution.pk, w.payment.pk],
            ),
            WAGTAIL_OWN_POST,
        ),
        Row(
            "wagtailadmin_api:pages:listing",
            lambda w: reverse("wagtailadmin_api:pages:listing"),
            WAGTAIL_ANY_EDITOR,
        ),
        # Password management belongs to allauth: Wagtail's reset pages are switched off.
        # LoginRequiredMiddleware first (Wagtail does not mark them public), then a 404.
        Row(
            "wagtailadmin_password_reset",
            lambda w: reverse("wagtailadmin_password_reset"),
            (LOGIN, *(404,) * 9),
        ),
    ],
    # --- PREFIX_RULES samples: Django's admin -----------------------------------------
    "django_admin": [
        Row("admin:index", lambda w: reverse("admin:index"), DJANGO_ADMIN_ONLY),
        Row(
            "admin:accounts_user_changelist",
            lambda w: reverse("admin:accounts_user_changelist"),
            DJANGO_ADMIN_ONLY,
        ),
        Row(
            "admin:accounts_user_change",
            lambda w: reverse("admin:accounts_user_change", args=[w.users["agent"].pk]),
            DJANGO_ADMIN_ONLY,
        ),
        Row(
            "admin:mfa_authenticator_changelist",
            lambda w: reverse("admin:mfa_authenticator_changelist"),
            DJANGO_ADMIN_ONLY,
        ),
        Row(
            "admin:auth_group_changelist",
            lambda w: reverse("admin:auth_group_changelist"),
            DJANGO_ADMIN_ONLY,
        ),
        Row(
            "admin:django_tasks_database_dbtaskresult_changelist",
            lambda w: reverse("admin:django_tasks_database_dbtaskresult_changelist"),
            DJANGO_ADMIN_ONLY,
        ),
    ],
}

# --- Coverage ----------------------------------------------------------------------

# The project's own code: a view from these packages always needs its own row, even
# inside an include a prefix rule covers (e.g. our views in the Wagtail admin).
PROJECT_PACKAGES = {"accounts", "cms", "config", "incubator", "programs"}

# include prefix -> (the URLConf module or namespace it must be, the rule in words).
PREFIX_RULES = {
    "admin/": (
        "wagtail.admin.urls",
        "Wagtail admin: needs wagtailadmin.access_admin (anonymous and users without it"
        " are sent to log in), then Wagtail's per-model permissions.",
    ),
    django_settings.DJANGO_ADMIN_PATH: (
        "admin",
        "Django admin: needs is_staff (others are sent to log in), then model permissions.",
    ),
    "comptes/": (
        "allauth.urls",
        "allauth: public entry points (login, signup, reset) or the logged-in user's own"
        " account pages.",
    ),
}

# Patterns with no row and no rule, and why. Empty today: every pattern of the test
# URLConf is covered. (Under DEBUG only, `static()` adds /media/, public Wagtail media;
# it is not in the URLConf the tests load.)
EXCLUDED: dict[str, str] = {}


@dataclass(frozen=True)
class Route:
    route: str  # the whole route, e.g. "paiements/recus/<int:pk>/"
    name: str  # with its namespaces, "" when unnamed
    include: str  # the top-level include it comes from ("" for a top-level pattern)
    include_source: str  # that include's URLConf module or namespace
    view: str  # dotted path of the view function or class

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def is_project_view(self) -> bool:
        return self.view.split(".")[0] in PROJECT_PACKAGES


def project_routes() -> list[Route]:
    """Every pattern of the URLConf, then every sub-route of our routable page models."""

    def walk(patterns, prefix, namespaces, include, source):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                top = include is None
                conf = pattern.urlconf_name
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    [*namespaces, pattern.namespace] if pattern.namespace else namespaces,
                    str(pattern.pattern) if top else include,
                    (getattr(conf, "__name__", None) or pattern.namespace or "") if top else source,
                )
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", pattern.callback)
                name = ":".join([*namespaces, pattern.name]) if pattern.name else ""
                yield Route(
                    prefix + str(pattern.pattern),
                    name,
                    include or "",
                    source or "",
                    f"{view.__module__}.{view.__qualname__}",
                )

    routes = list(walk(get_resolver().url_patterns, "", [], None, None))
    for model in get_page_models():
        if issubclass(model, RoutablePageMixin) and model._meta.app_label in PROJECT_PACKAGES:
            seen = set()
            for pattern in model.get_subpage_urls():
                if str(pattern.pattern) in seen:
                    continue  # shadowed by an earlier route, e.g. Wagtail's default index_route
                seen.add(str(pattern.pattern))
                routes.append(
                    Route(
                        str(pattern.pattern),
                        f"page:{model._meta.label}:{pattern.name}",
                        "",
                        "wagtail.urls",
                        f"{model.__module__}.{model.__qualname__}",
                    )
                )
    return routes


def coverage(route: Route, row_keys: set[str]) -> str | None:
    if route.key in row_keys:
        return "row"
    if route.key in EXCLUDED:
        return "excluded"
    if route.include in PREFIX_RULES and not route.is_project_view:
        return f"rule {route.include}"
    return None


def test_every_url_is_in_the_matrix():
    assert django_settings.ROOT_URLCONF == "config.urls"
    routes = project_routes()
    row_keys = {row.key for rows in ROWS.values() for row in rows}

    uncovered = sorted(
        f"{r.route}  (name: {r.name or '-'}, view: {r.view})"
        for r in routes
        if coverage(r, row_keys) is None
    )
    assert not uncovered, (
        "URLs missing from the permission matrix (add a row to ROWS):\n" + "\n".join(uncovered)
    )

    # A row for a URL that no longer exists is a mistake too.
    stale = row_keys - {r.key for r in routes}
    assert not stale, f"rows for URLs that do not exist: {sorted(stale)}"
    assert not set(EXCLUDED) - {r.key for r in routes}, "stale EXCLUDED entries"

    # The prefix rules cover what they claim: each prefix is exactly the include it names.
    for prefix, (source, _rule) in PREFIX_RULES.items():
        sources = {r.include_source for r in routes if r.include == prefix}
        assert sources == {source}, (prefix, sources)

    # The benchmark's view is only mounted by bench/settings.py.
    assert not [r for r in routes if "bench" in r.route]


def test_matrix_counts_add_up():
    """The counts quoted in reports: every enumerated pattern lands in exactly one bucket."""
    routes = project_routes()
    row_keys = {row.key for rows in ROWS.values() for row in rows}
    buckets = {}
    for route in routes:
        bucket = coverage(route, row_keys)
        buckets[bucket] = buckets.get(bucket, 0) + 1
    assert None not in buckets
    assert sum(buckets.values()) == len(routes)
    print(f"{len(routes)} patterns: {buckets}")  # noqa: T201 - read with pytest -s


# --- The network --------------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # Wagtail documents written by the fixture
    users = {
        "agent": UserFactory(),
        "other_agent": UserFactory(),
        "coach": UserFactory(coach=True),
        "other_coach": UserFactory(coach=True),
        "referent": UserFactory(territory=True),
        "other_referent": UserFactory(territory=True),
        "editor": UserFactory(editor=True),
        "staff": UserFactory(staff=True),
        "superuser": UserFactory(superuser=True),
    }
    users["editor"].groups.add(Group.objects.get(name="Editors"))
    for role in ("coach", "other_coach", "staff", "superuser"):  # RequireMfaMiddleware
        TOTP.activate(users[role], generate_totp_secret())

    cohort = CohortFactory()
    startup = StartupFactory(
        name="Privée",
        visibility=Visibility.PRIVATE,
        incubator=cohort.program.incubator,
        cohort=cohort,
    )
    public_startup = StartupFactory(name="Ailleurs", visibility=Visibility.PUBLIC)
    startup.incubator.coaches.add(users["coach"])
    public_startup.incubator.coaches.add(users["other_coach"])
    Membership.objects.create(startup=startup, user=users["agent"], role=MembershipRole.AGENT)
    Membership.objects.create(
        startup=public_startup, user=users["other_agent"], role=MembershipRole.AGENT
    )
    t1, t2 = TerritoryFactory(), TerritoryFactory()
    t1.referents.add(users["referent"])
    t2.referents.add(users["other_referent"])
    sponsorship = Sponsorship.objects.create(
        startup=startup,
        territory=t1,
        amount_cents=11_111,
        commitment_signed_on=datetime.date(2025, 1, 1),
        commitment_document=SimpleUploadedFile("engagement.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    other_sponsorship = Sponsorship.objects.create(
        startup=public_startup, territory=t2, amount_cents=22_222
    )
    w = SimpleNamespace(users=users, startup=startup, public_startup=public_startup, t1=t1, t2=t2)

    # Money: one contribution per territory, each with a receipt. Amounts a page of the
    # other territory must never show: sponsorships of 111,11 € (T1) and 222,22 € (T2),
    # contributions of 432,10 € (T1) and 987,65 € (T2).
    w.contribution = contribution_for(sponsorship, amount_cents=43_210)
    w.other_contribution = contribution_for(other_sponsorship, amount_cents=98_765)
    w.payment = received(w.contribution, 10_000)
    w.other_payment = received(w.other_contribution, 20_000)

    # Records named by the /espace/ matrix's url_for().
    w.objects = workspace_objects(
        startup=startup, cohort=cohort, sponsor=t1, sponsorship=sponsorship, agent=users["agent"]
    )

    # Public surfaces.
    w.public_indicator = Indicator.objects.create(startup=public_startup, name="Usagers")
    w.private_indicator = Indicator.objects.create(
        startup=public_startup, name="Coût", is_public=False
    )
    w.public_lesson = services.lesson_create(
        startup=public_startup,
        author=users["other_coach"],
        title="Observer avant de construire",
        body="Deux semaines au guichet.",
        visibility=Visibility.PUBLIC,
    )
    w.private_lesson = services.lesson_create(
        startup=public_startup,
        author=users["other_coach"],
        title="Réservée à l’équipe",
        body="Pas pour le public.",
        visibility=Visibility.PRIVATE,
    )
    w.published_report = generated_report(
        ReportKind.TERRITORY, t1, public=True, user=users["coach"]
    )
    report_publish(w.published_report, user=users["coach"])
    w.calendar_token = calendar_token_for(users["coach"])

    # Wagtail: pages, a restricted page, documents, password restrictions.
    w.home = Site.objects.get(is_default_site=True).root_page.specific
    w.home.add_child(instance=NewsIndexPage(title="Actualités", slug="actualites", summary="."))
    w.home.add_child(instance=StandardPage(title="Brouillon", slug="brouillon", live=False))
    w.restricted_page = w.home.add_child(instance=StandardPage(title="Réservé", slug="reserve"))
    PageViewRestriction.objects.create(
        page=w.restricted_page, restriction_type=PageViewRestriction.LOGIN
    )
    w.page_password = PageViewRestriction.objects.create(
        page=w.home.add_child(instance=StandardPage(title="Code", slug="code")),
        restriction_type=PageViewRestriction.PASSWORD,
        password="secret-de-page",  # noqa: S106 - a test fixture
    )
    w.pages = {
        model._meta.label: model.objects.live().get()
        for model in get_page_models()
        if issubclass(model, RoutablePageMixin) and model._meta.app_label in PROJECT_PACKAGES
    }
    root = Collection.get_first_root_node()
    members_only = root.add_child(name="Membres")
    CollectionViewRestriction.objects.create(
        collection=members_only, restriction_type=CollectionViewRestriction.LOGIN
    )
    w.collection_password = CollectionViewRestriction.objects.create(
        collection=root.add_child(name="Sous code"),
        restriction_type=CollectionViewRestriction.PASSWORD,
        password="secret-de-collection",  # noqa: S106 - a test fixture
    )
    document_model = get_document_model()
    w.document = document_model.objects.create(
        title="Guide", file=ContentFile(b"Guide public.", name="guide.txt")
    )
    w.restricted_document = document_model.objects.create(
        title="Interne",
        file=ContentFile(b"Pour les membres.", name="interne.txt"),
        collection=members_only,
    )
    return w


def contribution_for(sponsorship, *, amount_cents):
    return Contribution.objects.create(
        territory=sponsorship.territory,
        sponsorship=sponsorship,
        kind=ContributionKind.SPONSORSHIP,
        year=2025,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        amount_cents=amount_cents,
        due_date=datetime.date(2025, 3, 31),
    )


def received(contribution, amount_cents):
    return Payment.objects.create(
        contribution=contribution,
        method=PaymentMethod.BANK_TRANSFER,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=amount_cents,
        paid_on=datetime.date(2025, 2, 12),
        reference="VIR-2025-0042",
    )


def generated_report(kind, subject, *, public, user):
    report = report_request(
        kind=kind,
        subject=subject,
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
        public=public,
        user=user,
    )
    report_run(report.pk)
    report.refresh_from_db()
    return report


def clients(w) -> dict[str, Client]:
    """One client per role, logged in once."""
    by_role = {"anonymous": Client()}
    for role, user in w.users.items():
        by_role[role] = Client()
        by_role[role].force_login(user)
    return by_role


def outcome(response):
    if response.streaming:  # read downloads through, which closes their file
        b"".join(response.streaming_content)
    if response.status_code in (301, 302):
        path = urlsplit(response["Location"]).path
        if path in LOGIN_PATHS:
            return LOGIN
        if path == reverse("wagtailadmin_home"):
            return ADMIN_HOME
    return response.status_code


def request_as_each_role(by_role, row, url):
    got = {}
    for role, client in by_role.items():
        try:
            got[role] = outcome(getattr(client, row.method)(url))
        except Exception as error:  # noqa: BLE001 - reported with the other mismatches
            got[role] = f"{type(error).__name__}: {error}"
    return got


@pytest.mark.parametrize("group", sorted(ROWS))
def test_permission_matrix(world, group):
    by_role = clients(world)
    mismatches = []
    for row in ROWS[group]:
        url = row.url(world)
        got = request_as_each_role(by_role, row, url)
        expected = dict(zip(ROLES, row.expected, strict=True))
        wrong = {role: (got[role], expected[role]) for role in ROLES if got[role] != expected[role]}
        if wrong:
            mismatches.append(
                f"{row.method.upper()} {url} ({row.key}): "
                + ", ".join(f"{role} got {g!r} expected {e!r}" for role, (g, e) in wrong.items())
            )
    assert not mismatches, "\n".join(mismatches)


# --- What must never happen, whatever the status ------------------------------------


@pytest.mark.parametrize("secret", ["", "whsec_test_secret"])
def test_the_stripe_webhook_refuses_an_unsigned_event_and_changes_nothing(
    client, world, settings, secret
):
    settings.STRIPE_WEBHOOK_SECRET = secret
    event = {
        "id": "evt_forged",
        "type": "checkout.session.completed",
        "data": {"object": {"metadata": {"contribution_id": str(world.contribution.pk)}}},
    }
    for headers in ({}, {"Stripe-Signature": "t=1,v1=forged"}):
        response = client.post(
            reverse("payments:stripe_webhook"),
            json.dumps(event),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    world.contribution.refresh_from_db()
    assert world.contribution.status == ContributionStatus.DUE
    assert world.contribution.paid_cents == 0
    assert world.contribution.payments.count() == 1


def test_a_referent_never_sees_another_territorys_contribution_amounts(world):
    referent = Client()
    referent.force_login(world.users["referent"])
    mine, theirs = "432,10", "987,65"  # T1's and T2's contributions

    for url in (reverse("workspace:contributions"), reverse("workspace:territory")):
        html = referent.get(url).content.decode()
        assert mine in html, url
        assert theirs not in html, url
        assert "222,22" not in html, url  # T2's sponsorship
        # Choosing T2 in the territory switcher is a 404, not T2's page.
        assert referent.get(url, {"territoire": world.t2.slug}).status_code == 404, url

    for url in (
        reverse("payments:return", args=[world.other_contribution.pk]),
        reverse("payments:cancel", args=[world.other_contribution.pk]),
        reverse("payments:receipt", args=[world.other_payment.pk]),
    ):
        assert referent.get(url).status_code == 404, url
    assert (
        referent.post(reverse("payments:pay", args=[world.other_contribution.pk])).status_code
        == 404
    )
    world.other_contribution.refresh_from_db()
    assert world.other_contribution.checkout_session_id == ""

    # Their own territory report shows their money, never T2's.
    report = generated_report(
        ReportKind.TERRITORY, world.t1, public=False, user=world.users["referent"]
    )
    html = referent.get(reverse("workspace:report_detail", args=[report.pk])).content.decode()
    assert mine in html
    assert theirs not in html

    # T1's published report keeps its contribution amounts off the public site.
    published = world.pages["cms.ReportIndexPage"]
    public_html = (
        Client()
        .get(
            published.url
            + published.reverse_subpage("report", kwargs={"pk": world.published_report.pk})
        )
        .content.decode()
    )
    assert world.t1.name in public_html
    assert mine not in public_html


def test_an_applicant_never_sees_the_committees_comments(world):
    """Selection comments are the coaches' private notes on an application."""
    application = world.objects["application"]
    ApplicationComment.objects.create(
        application=application,
        author=world.users["coach"],
        body="Avis interne : équipe trop légère",
    )
    coach, agent = Client(), Client()
    coach.force_login(world.users["coach"])
    agent.force_login(world.users["agent"])
    secret = "équipe trop légère"

    assert secret in coach.get(
        reverse("workspace:selection_detail", args=[application.pk])
    ).content.decode("utf-8")
    for url in (
        reverse("workspace:application_edit", args=[application.pk]),
        reverse("workspace:calls"),
        reverse("workspace:home"),
        reverse("workspace:startup_list"),
        reverse("workspace:startup_detail", args=[world.startup.slug]),
        reverse("workspace:startup_timeline", args=[world.startup.slug]),
    ):
        response = agent.get(url, follow=True)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url


def test_only_allauth_logs_users_in(client):
    """allauth is the only way in (MFA, rate limits): the admins' login pages redirect to
    it; Wagtail's front-end login must not accept a password on its own either."""
    coach = UserFactory(coach=True)
    TOTP.activate(coach, generate_totp_secret())

    client.post(reverse("wagtailcore_login"), {"username": coach.email, "password": TEST_PASSWORD})

    assert outcome(client.get(reverse("workspace:board"))) == LOGIN
