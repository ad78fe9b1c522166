"""The staff back-office for the lifecycle, in the Wagtail admin.

Domain models are snippets, not pages. Phases are never a form field: the
"Changer de phase" action calls the service. Records that must never be lost
(startups, reviews, failures, lessons, phase history) cannot be deleted here.
"""

import dataclasses

from django import forms
from django.contrib import messages
from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.panels.model_utils import extract_panel_definitions_from_model_class
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.models import CreateView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

import django_filters

from accounts.security_log import log_event
from incubator import admin_views, services
from incubator.enums import TERMINAL_PHASES, Phase
from incubator.models import (
    Failure,
    Incubator,
    Lesson,
    Membership,
    PhaseTransition,
    Report,
    Review,
    Sponsorship,
    Startup,
    Territory,
)
from programs.models import Cohort


class ArchiveNotDeletePolicy(ModelPermissionPolicy):
    """Django model permissions, minus deletion: these records are archived instead.

    `denied_actions` also removes "add" where a record is only created by a
    service that checks its rules (failures, lessons, committees).
    """

    def __init__(self, model, denied_actions=("delete",)):
        super().__init__(model)
        self.denied_actions = set(denied_actions)

    def user_has_permission(self, user, action):
        return action not in self.denied_actions and super().user_has_permission(user, action)


class ReadOnlyPolicy(ModelPermissionPolicy):
    """The phase history is written by the services only."""

    def user_has_permission(self, user, action):
        return action == "view" and (
            super().user_has_permission(user, "view") or super().user_has_permission(user, "change")
        )


class LoggedExportIndexView(IndexView):
    """A listing whose CSV/XLSX export goes to the security log: it holds private rows."""

    def as_spreadsheet(self, queryset, spreadsheet_format):
        response = super().as_spreadsheet(queryset, spreadsheet_format)
        log_event(
            "export_downloaded",
            self.request,
            export=f"admin:{self.model._meta.label_lower}",
            format=spreadsheet_format,
        )
        return response


register_permission_policy(Startup, ArchiveNotDeletePolicy(Startup))
for model in (Review, Failure, Lesson):
    register_permission_policy(
        model, ArchiveNotDeletePolicy(model, denied_actions=("add", "delete"))
    )
register_permission_policy(PhaseTransition, ReadOnlyPolicy(PhaseTransition))
register_permission_policy(Report, ReadOnlyPolicy(Report))


class StartupFilterSet(WagtailFilterSet):
    phase = django_filters.MultipleChoiceFilter(label=_("Phase"), choices=Phase.choices)
    incubator = django_filters.ModelChoiceFilter(
        label=_("Incubateur"), queryset=Incubator.objects.all()
    )
    cohort = django_filters.ModelChoiceFilter(label=_("Promotion"), queryset=Cohort.objects.all())
    sponsors = django_filters.ModelChoiceFilter(
        label=_("Territoire sponsor"), queryset=Territory.objects.all()
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Phase dépassée"),
        choices=[("yes", _("Oui")), ("no", _("Non"))],
        method="filter_overdue",
    )

    class Meta:
        model = Startup
        fields = ["phase", "incubator", "cohort", "sponsors", "visibility"]

    def filter_overdue(self, queryset, name, value):
        late = queryset.filter(phase_deadline__lt=timezone.localdate()).exclude(
            phase__in=TERMINAL_PHASES
        )
        return late if value == "yes" else queryset.exclude(pk__in=late.values("pk"))


class StartupCreateView(CreateView):
    def save_instance(self):
        """A new startup starts its phase history through the service."""
        data = dict(self.form.cleaned_data)
        themes = data.pop("themes", [])
        startup = services.startup_create(actor=self.request.user, on=timezone.localdate(), **data)
        startup.themes.set(themes)
        return startup


class StartupViewSet(SnippetViewSet):
    model = Startup
    icon = "rocket"
    menu_label = _("Startups")
    add_view_class = StartupCreateView
    index_view_class = LoggedExportIndexView
    list_display = [
        "name",
        "incubator",
        "phase",
        "phase_since",
        "phase_deadline",
        "visibility",
    ]
    list_export = [
        "name",
        "slug",
        "incubator",
        "phase",
        "phase_since",
        "phase_deadline",
        "visibility",
    ]
    list_per_page = 50
    search_fields = ["name", "pitch", "problem"]
    search_backend_name = None
    filterset_class = StartupFilterSet
    copy_view_enabled = False
    # The phase is not editable (the service owns it), nor the slug (public
    # URLs must not move); sponsorships are edited with their commitment.
    exclude_form_fields = ["slug", "sponsors", "source_id", "archived_at"]

    def get_queryset(self, request):
        return Startup.objects.select_related("incubator")

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("phase/<int:pk>/", admin_views.startup_phase, name="phase"),
        ]


class TerritoryViewSet(SnippetViewSet):
    model = Territory
    icon = "site"
    list_display = ["name", "kind", "acronym", "siren", "insee_code"]
    list_filter = ["kind"]
    search_fields = ["name", "acronym", "siren", "insee_code"]
    search_backend_name = None
    copy_view_enabled = False
    exclude_form_fields = ["source_id"]


class IncubatorViewSet(SnippetViewSet):
    model = Incubator
    icon = "group"
    list_display = ["name", "owner", "website"]
    search_fields = ["name"]
    search_backend_name = None
    copy_view_enabled = False
    exclude_form_fields = ["source_id"]


class CommitmentLetterInput(forms.ClearableFileInput):
    """The letter on file links to the permission-checked download view: the private storage
    has no URL of its own, so Django's default link would go nowhere."""

    def is_initial(self, value):
        return bool(value and getattr(value, "instance", None) and value.instance.pk)

    def format_value(self, value):
        if self.is_initial(value):
            return StoredLetter(
                url=reverse("workspace:commitment_document", args=[value.instance.pk]),
                name=value.name.rsplit("/", 1)[-1],
            )
        return None


@dataclasses.dataclass(frozen=True)
class StoredLetter:
    """What the file widget shows of a stored letter: its name, and where to download it."""

    url: str
    name: str

    def __str__(self):
        return self.name


class SponsorshipViewSet(SnippetViewSet):
    """Who sponsors what, and whether the commitment letter is signed."""

    model = Sponsorship
    icon = "link"
    menu_label = _("Parrainages")
    list_display = ["startup", "territory", "amount_cents", "commitment_signed_on"]
    list_filter = ["territory"]
    search_fields = ["startup__name", "territory__name"]
    search_backend_name = None
    copy_view_enabled = False

    def get_queryset(self, request):
        return Sponsorship.objects.select_related("startup", "territory")

    def get_edit_handler(self):
        panels = [
            FieldPanel(panel.field_name, widget=CommitmentLetterInput)
            if getattr(panel, "field_name", None) == "commitment_document"
            else panel
            for panel in extract_panel_definitions_from_model_class(
                self.model, exclude=self.get_exclude_form_fields()
            )
        ]
        return ObjectList(panels).bind_to_model(self.model)


class MembershipViewSet(SnippetViewSet):
    """Teams, and the time agent-entrepreneurs are freed for their startup."""

    model = Membership
    icon = "user"
    menu_label = _("Équipes")
    list_display = ["user", "startup", "role", "freed_days_per_week", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["startup__name", "user__email", "user__display_name"]
    search_backend_name = None
    copy_view_enabled = False

    def get_queryset(self, request):
        return Membership.objects.select_related("startup", "user")


class ReviewViewSet(SnippetViewSet):
    model = Review
    icon = "tasks"
    menu_label = _("Comités")
    list_display = ["startup", "date", "decision", "next_review_date"]
    list_filter = ["decision"]
    search_fields = ["startup__name", "notes", "conditions"]
    search_backend_name = None
    copy_view_enabled = False
    exclude_form_fields = ["archived_at"]


class FailureViewSet(SnippetViewSet):
    model = Failure
    icon = "warning"
    menu_label = _("Échecs")
    list_display = [
        "startup",
        "scope",
        "reason",
        "occurred_on",
        "publication_consent",
    ]
    list_filter = ["reason", "scope", "publication_consent"]
    search_fields = ["startup__name", "what_we_learned", "why_we_stop", "advice_for_relaunch"]
    search_backend_name = None
    copy_view_enabled = False
    exclude_form_fields = ["startup", "archived_at"]

    def get_queryset(self, request):
        return Failure.objects.select_related("startup")


class LessonViewSet(SnippetViewSet):
    model = Lesson
    icon = "doc-full"
    menu_label = _("Leçons")
    list_display = ["title", "startup", "visibility"]
    list_filter = ["visibility", "themes"]
    search_fields = ["title", "body", "startup__name"]
    search_backend_name = None
    copy_view_enabled = False
    exclude_form_fields = ["startup", "failure", "experiment", "archived_at", "slug"]

    def get_queryset(self, request):
        return Lesson.objects.select_related("startup")


class PhaseTransitionViewSet(SnippetViewSet):
    model = PhaseTransition
    icon = "history"
    menu_label = _("Historique des phases")
    list_display = ["startup", "date", "kind", "from_phase", "to_phase", "decided_by"]
    list_filter = ["kind", "to_phase"]
    search_fields = ["startup__name", "rationale"]
    search_backend_name = None
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields = []

    def get_queryset(self, request):
        return PhaseTransition.objects.select_related("startup", "decided_by")


class ReportViewSet(SnippetViewSet):
    """Every generated report, to follow the queue; they are made and published from /espace/."""

    model = Report
    icon = "doc-full"
    menu_label = _("Rapports générés")
    list_display = ["subject_name", "kind", "version", "is_public", "status", "requested_at"]
    list_filter = ["kind", "status", "is_public"]
    search_fields = ["subject_name"]
    search_backend_name = None
    inspect_view_enabled = True
    inspect_view_fields = [
        "kind",
        "subject_name",
        "period_start",
        "period_end",
        "is_public",
        "version",
        "requested_by",
        "requested_at",
        "status",
        "progress",
        "attempts",
        "error",
        "started_at",
        "finished_at",
        "sha256",
        "size",
        "published_at",
        "published_by",
    ]
    copy_view_enabled = False
    exclude_form_fields = []

    def get_queryset(self, request):
        return Report.objects.select_related("requested_by")


class LifecycleGroup(SnippetViewSetGroup):
    menu_label = _("Incubateur")
    menu_icon = "rocket"
    menu_order = 150
    items = (
        StartupViewSet,
        SponsorshipViewSet,
        MembershipViewSet,
        ReviewViewSet,
        FailureViewSet,
        LessonViewSet,
        PhaseTransitionViewSet,
        ReportViewSet,
        TerritoryViewSet,
        IncubatorViewSet,
    )


register_snippet(LifecycleGroup)


@hooks.register("register_admin_urls")
def register_history_url():
    return [
        path(
            "historique/<str:model_name>/<int:pk>/",
            admin_views.record_history,
            name="incubator_record_history",
        )
    ]


@hooks.register("after_edit_snippet")
def refresh_deadlines_after_edit(request, instance):
    # A startup's cohort, or a program's duration policy, sets phase deadlines.
    if isinstance(instance, Startup):
        services.startups_refresh_deadlines(startups=Startup.objects.filter(pk=instance.pk))


@hooks.register("register_snippet_listing_buttons")
def lifecycle_listing_buttons(snippet, user, next_url=None):
    buttons = []
    if isinstance(snippet, Startup):
        buttons.append(
            MenuItem(
                _("Changer de phase"),
                url=reverse("wagtailsnippets_incubator_startup:phase", args=[snippet.pk]),
                icon_name="resubmit",
                priority=5,
            )
        )
    if isinstance(snippet, Startup | Failure | Lesson):
        buttons.append(
            MenuItem(
                _("Historique des modifications"),
                url=reverse(
                    "incubator_record_history", args=[snippet._meta.model_name, snippet.pk]
                ),
                icon_name="history",
                priority=40,
            )
        )
    return buttons


@hooks.register("before_delete_snippet")
def refuse_deleting_what_records_depend_on(request, instances):
    """A protected reference (an application's answers, a score…) would make the delete
    fail with an error page: say what depends on the object instead, and change nothing."""
    for instance in instances:
        try:
            Collector(using=router.db_for_write(type(instance))).collect([instance])
        except (ProtectedError, RestrictedError) as error:
            blocking = getattr(error, "protected_objects", None) or error.restricted_objects
            kinds = sorted({str(obj._meta.verbose_name_plural) for obj in blocking})
            messages.error(
                request,
                _("« %(object)s » ne peut pas être supprimé : des %(kinds)s en dépendent.")
                % {"object": instance, "kinds": ", ".join(kinds)},
            )
            edit_url = AdminURLFinder(request.user).get_edit_url(instance)
            return redirect(edit_url or "wagtailadmin_home")
    return None
