from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField

from cms.models.base import BasePage


class ReportIndexPage(RoutablePageMixin, BasePage):
    """Published progress reports, by territory (or incubator) and period.

    Lists only what coaches published: public versions, finished. Each report
    has its web version inline and its PDF to download, both read from the
    stored, immutable version.
    """

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = []
    max_count = 1
    PAGE_SIZE = 20

    class Meta:
        verbose_name = _("index des rapports publiés")
        verbose_name_plural = _("index des rapports publiés")

    @staticmethod
    def _reports():
        from incubator.selectors import published_reports

        return published_reports().select_related("territory", "incubator")

    @path("")
    def index(self, request):
        reports = self._reports()
        subjects = self._subject_choices(reports)
        chosen_subject = request.GET.get("sujet", "")
        if chosen_subject in dict(subjects):
            prefix, slug = chosen_subject.split(":", 1)
            field = "territory__slug" if prefix == "territoire" else "incubator__slug"
            reports = reports.filter(**{field: slug})
        years = sorted(
            {day.year for day in reports.values_list("period_end", flat=True)}, reverse=True
        )
        chosen_year = request.GET.get("annee", "")
        if chosen_year.isdigit() and int(chosen_year) in years:
            reports = reports.filter(period_end__year=int(chosen_year))
        reports = reports.order_by("subject_name", "-period_end", "-version")
        page = Paginator(reports, self.PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render(
            request,
            context_overrides={
                "reports": page,
                "subjects": subjects,
                "chosen_subject": chosen_subject,
                "years": years,
                "chosen_year": chosen_year,
            },
        )

    @staticmethod
    def _subject_choices(reports) -> list[tuple[str, str]]:
        territories = reports.filter(territory__isnull=False).values_list(
            "territory__slug", "territory__name"
        )
        incubators = reports.filter(incubator__isnull=False).values_list(
            "incubator__slug", "incubator__name"
        )
        choices = {f"territoire:{slug}": name for slug, name in territories}
        choices |= {f"incubateur:{slug}": name for slug, name in incubators}
        return sorted(choices.items(), key=lambda item: item[1].casefold())

    @path("<int:pk>/")
    def report(self, request, pk):
        report = get_object_or_404(self._reports(), pk=pk)
        return self.render(
            request,
            context_overrides={"report": report},
            template="cms/report_detail.html",
        )

    @path("<int:pk>/pdf/")
    def report_pdf(self, request, pk):
        from incubator.views.reports import pdf_response

        return pdf_response(get_object_or_404(self._reports(), pk=pk))
