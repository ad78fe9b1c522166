from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.i18n import set_language

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views
from cms import views as cms_views
from config.csp_report import csp_report
from config.health import health
from incubator.views import calendar as calendar_views
from programs.views import payments as payment_views

urlpatterns = [
    path("admin/login/", RedirectView.as_view(pattern_name="account_login", query_string=True)),
    path("admin/", include(wagtailadmin_urls)),
    # Django's admin keeps its pages but logs in through allauth (rate limits, MFA).
    path(
        f"{settings.DJANGO_ADMIN_PATH}login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
    ),
    path(settings.DJANGO_ADMIN_PATH, admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("espace/", include("incubator.urls")),
    path("api/v1/", include("incubator.api.urls")),
    path("paiements/", include((payment_views.payments_urlpatterns, "payments"))),
    path("comptes/profil/", account_views.profile, name="account_profile"),
    path("comptes/mes-donnees/", account_views.data_download, name="account_data_download"),
    path("comptes/supprimer/", account_views.account_delete, name="account_delete"),
    path("documents/", include(wagtaildocs_urls)),
    # Without a CSRF token, public pages are the same for every visitor and can be
    # cached whole; forging a language switch gains an attacker nothing.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", cms_views.robots_txt, name="robots_txt"),
    path(".well-known/security.txt", cms_views.security_txt, name="security_txt"),
    path("sante/", health, name="health"),  # for load balancers and monitoring
    path("csp-report/", csp_report, name="csp_report"),  # see config/csp_report.py
    # A coach's committee calendar, at a private token URL for calendar apps (no session).
    path("calendrier/<slug:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    # Wagtail's own front-end login (a plain LoginView) would let a password in without
    # allauth's MFA step and rate limits: it sends to allauth's, as the admins' do.
    path(
        "_util/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="frontend_login",
    ),
    path("", include(wagtail_urls)),
]
