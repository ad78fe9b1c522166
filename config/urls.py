from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views

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
    path("comptes/profil/", account_views.profile, name="account_profile"),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sitemap.xml", sitemap, name="sitemap"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
