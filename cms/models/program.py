"""The public page of an incubation programme, built from its `programs.Program`."""

from collections import Counter

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.search import index

from cms.blocks import BodyStreamBlock
from cms.models.base import BasePage, startup_cards, startup_directory
from incubator.enums import PHASE_ORDER


class ProgramPage(BasePage):
    """A programme as the public sees it: presentation, phase durations, cohorts, startups.

    Everything but the editors' complement comes from the linked Program, so
    the page never drifts from what coaches configure; startups are read
    through `public_startups()`.
    """

    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = StreamField(
        BodyStreamBlock(),
        verbose_name=_("complément"),
        blank=True,
        help_text=_("Facultatif ; affiché après la présentation du programme."),
    )
    show_contribution = models.BooleanField(
        _("afficher la contribution annuelle"),
        default=False,
        help_text=_("Montre aux territoires ce que coûte une startup de ce programme par an."),
    )

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("program"),
        FieldPanel("body"),
        FieldPanel("show_contribution"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("page programme")
        verbose_name_plural = _("pages programme")

    def get_context(self, request, *args, **kwargs):
        from incubator.selectors import public_startups
        from programs.calls import CallForProjects
        from programs.models import Program

        context = super().get_context(request, *args, **kwargs)
        program = Program.objects.select_related("incubator").get(pk=self.program_id)
        startups = list(public_startups().filter(cohort__program=program).order_by("name", "pk"))
        context.update(
            program=program,
            durations_table=self.durations_table(program),
            cohorts_table=self.cohorts_table(program, startups),
            startup_cards=startup_cards(startups, directory=startup_directory()),
            contribution_euros=program.contribution_cents_per_year // 100
            if self.show_contribution and program.contribution_cents_per_year
            else None,
            open_calls=CallForProjects.objects.filter(
                program=program, opens_on__lte=timezone.localdate(), closes_at__gt=timezone.now()
            ).order_by("closes_at", "title"),
        )
        return context

    @staticmethod
    def durations_table(program) -> dict:
        """The maximum duration of each phase (the programme's, or the network default)."""
        rows = []
        for phase in PHASE_ORDER:
            months = program.max_duration_months(phase)
            rows.append(
                [
                    phase.label,
                    ngettext("%(months)s mois", "%(months)s mois", months) % {"months": months},
                ]
            )
        return {
            "caption": _("Durée maximale de chaque phase"),
            "header": [_("Phase"), _("Durée maximale")],
            "content": rows,
        }

    @staticmethod
    def cohorts_table(program, startups) -> dict | None:
        """Only what is public about a cohort: its name, dates and public startups."""
        public_per_cohort = Counter(startup.cohort_id for startup in startups)
        cohorts = program.cohorts.order_by("-start_date", "pk").only(
            "pk", "name", "start_date", "end_date"
        )
        rows = [
            [
                cohort.name,
                formats.date_format(cohort.start_date, "DATE_FORMAT"),
                formats.date_format(cohort.end_date, "DATE_FORMAT") if cohort.end_date else "—",
                str(public_per_cohort[cohort.pk]),
            ]
            for cohort in cohorts
        ]
        if not rows:
            return None
        return {
            "caption": _("Promotions du programme"),
            "header": [_("Promotion"), _("Début"), _("Fin"), _("Startups publiques")],
            "content": rows,
        }
