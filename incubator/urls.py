"""/espace/: the workspaces of agents, coaches and territories."""

from django.urls import include, path

from incubator.views import cockpit

app_name = "workspace"

urlpatterns = [
    path("", cockpit.home, name="home"),
    path("startups/", cockpit.startup_list, name="startup_list"),
    path("startups/<slug:slug>/", cockpit.startup_detail, name="startup_detail"),
    path("startups/<slug:slug>/journal/", cockpit.startup_timeline, name="startup_timeline"),
    path("", include("incubator.views.records")),
    path("", include("incubator.views.board")),
    path("", include("incubator.views.territory")),
    path("", include("incubator.views.reports")),
    path("", include("programs.views.applicant")),
    path("", include("programs.views.selection")),
    path("", include("programs.views.payments")),
    path("", include("incubator.views.calendar")),
]
