"""URLs of the open data API, mounted at /api/v1/ (namespace `api`)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from rest_framework.routers import SimpleRouter

from incubator.api import views
from incubator.api.exports import EXPORTS

app_name = "api"

router = SimpleRouter()
router.register("startups", views.StartupViewSet, basename="startup")
router.register("lessons", views.LessonViewSet, basename="lesson")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("territories", views.TerritoryViewSet, basename="territory")
router.register("incubators", views.IncubatorViewSet, basename="incubator")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    *(
        path(export.filename, views.export_view(export).as_view(), name=f"{name}-csv")
        for name, export in EXPORTS.items()
    ),
    path("datapackage.json", views.DataPackageView.as_view(), name="datapackage"),
    # JSON or YAML: ?format=json, ?format=yaml (YAML by default).
    path("schema/", views.SchemaView.as_view(), name="schema"),
    # Swagger UI, its scripts served from the drf-spectacular-sidecar package (no CDN).
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

# Public by design. DRF already marks the views it builds `login_required =
# False`; saying it here keeps the opt-out explicit should that ever change.
for pattern in urlpatterns:
    login_not_required(pattern.callback)
