"""Programmes and cohorts in the Wagtail admin."""

from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from incubator import services
from incubator.models import Startup
from programs.admin_forms import CallForProjectsAdminForm
from programs.models import (
    CallForProjects,
    Cohort,
    PhaseGateCriterion,
    Program,
    SelectionCriterion,
)


class ProgramViewSet(SnippetViewSet):
    model = Program
    icon = "list-ul"
    list_display = ["name", "incubator"]
    list_filter = ["incubator"]
    search_fields = ["name"]
    search_backend_name = None


class CohortViewSet(SnippetViewSet):
    model = Cohort
    icon = "group"
    list_display = ["name", "program", "start_date", "end_date"]
    list_filter = ["program"]
    search_fields = ["name", "program__name"]
    search_backend_name = None


class PhaseGateCriterionViewSet(SnippetViewSet):
    """Entry criteria of each phase, per programme: what a committee checks before advancing."""

    model = PhaseGateCriterion
    icon = "tasks"
    menu_label = _("Critères d’entrée")
    list_display = ["label", "program", "phase", "kind", "threshold", "order"]
    list_filter = ["program", "phase", "kind"]
    search_fields = ["label", "program__name"]
    search_backend_name = None


class CallForProjectsViewSet(SnippetViewSet):
    """Calls for projects, with the questions of their application form."""

    model = CallForProjects
    icon = "doc-full"
    menu_label = _("Appels à projets")
    list_display = ["title", "program", "opens_on", "closes_at"]
    list_filter = ["program"]
    search_fields = ["title", "program__name"]
    search_backend_name = None
    edit_handler_panels = [
        FieldPanel("program"),
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("introduction"),
        MultiFieldPanel([FieldPanel("opens_on"), FieldPanel("closes_at")], heading=_("Dates")),
        InlinePanel(
            "questions",
            heading=_("Questions du formulaire"),
            label=_("Question"),
            panels=[
                FieldPanel("label"),
                FieldPanel("help_text"),
                FieldPanel("kind"),
                FieldPanel("choices"),
                FieldPanel("required"),
            ],
        ),
    ]
    edit_handler = ObjectList(edit_handler_panels, base_form_class=CallForProjectsAdminForm)


class SelectionCriterionViewSet(SnippetViewSet):
    """What the selection committee scores, per programme (0 to 5, weighted)."""

    model = SelectionCriterion
    icon = "pick"
    menu_label = _("Critères de sélection")
    list_display = ["label", "program", "weight", "order"]
    list_filter = ["program"]
    search_fields = ["label", "program__name"]
    search_backend_name = None


class ProgramsGroup(SnippetViewSetGroup):
    menu_label = _("Programmes")
    menu_icon = "list-ul"
    menu_order = 160
    items = (
        ProgramViewSet,
        CohortViewSet,
        PhaseGateCriterionViewSet,
        CallForProjectsViewSet,
        SelectionCriterionViewSet,
    )


register_snippet(ProgramsGroup)


@hooks.register("after_edit_snippet")
def refresh_deadlines_after_policy_change(request, instance):
    # A program's maximum phase durations set its startups' deadlines.
    if isinstance(instance, Program):
        startups = Startup.objects.filter(cohort__program=instance)
    elif isinstance(instance, Cohort):
        startups = Startup.objects.filter(cohort=instance)
    else:
        return
    services.startups_refresh_deadlines(startups=startups)
