from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page


class BasePage(Page):
    """Common ground of every public page: a short summary for cards and social meta."""

    summary = models.TextField(
        _("résumé"),
        blank=True,
        help_text=_("Une ou deux phrases, reprises dans les listes et les partages."),
    )

    content_panels = [*Page.content_panels, FieldPanel("summary")]

    class Meta:
        abstract = True


class HomePage(BasePage):
    """The site root: what the network does and where to start."""

    hero_title = models.CharField(
        _("titre d’accroche"),
        max_length=200,
        default="Des startups de territoire, au service du public",
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*BasePage.content_panels, FieldPanel("hero_title"), FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("page d’accueil")
        verbose_name_plural = _("pages d’accueil")


class StandardPage(BasePage):
    """A plain content page: legal notices, accessibility statement, about pages."""

    body = RichTextField(_("contenu"), blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("body")]

    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("page standard")
        verbose_name_plural = _("pages standard")


class SitemapPage(BasePage):
    """The human-readable site map (« plan du site ») required on public sites."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("plan du site")
        verbose_name_plural = _("plans du site")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["site_pages"] = (
            self.get_site().root_page.get_descendants(inclusive=True).live().public().specific()
        )
        return context


class AccessibilityStatus(models.TextChoices):
    FULL = "full", _("totalement conforme")
    PARTIAL = "partial", _("partiellement conforme")
    NONE = "none", _("non conforme")


def page_link(verbose_name) -> models.ForeignKey:
    """An optional link from the site settings to one of the site's pages."""
    return models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


@register_setting(icon="site")
class SiteIdentity(BaseSiteSetting):
    """Who operates this instance: name, logo, links and legal pages.

    Kept here, never hard-coded, so another operator (or a neutral theme for
    a local authority) only edits settings.
    """

    service_name = models.CharField(_("nom du service"), max_length=100, default="Territoires Lab")
    service_tagline = models.CharField(
        _("devise du service"),
        max_length=200,
        blank=True,
        default="Incubateur des startups de territoire",
    )
    state_brand = models.BooleanField(
        _("bloc-marque de l’État"),
        default=True,
        help_text=_(
            "Affiche « République française ». Réservé aux services de l’État : "
            "décochez-le pour une instance opérée par une collectivité."
        ),
    )
    brand_text = models.CharField(
        _("texte du bloc-marque"), max_length=200, default="République\nFrançaise"
    )
    operator_name = models.CharField(_("opérateur"), max_length=200, blank=True)
    operator_url = models.URLField(_("site de l’opérateur"), blank=True)
    operator_logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo de l’opérateur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    footer_description = models.TextField(_("texte du pied de page"), blank=True)
    accessibility_status = models.CharField(
        _("conformité RGAA"),
        max_length=10,
        choices=AccessibilityStatus.choices,
        default=AccessibilityStatus.NONE,
    )
    accessibility_page = page_link(_("page accessibilité"))
    legal_notice_page = page_link(_("page mentions légales"))
    personal_data_page = page_link(_("page données personnelles"))
    sitemap_page = page_link(_("page plan du site"))

    panels = [
        MultiFieldPanel(
            [FieldPanel("service_name"), FieldPanel("service_tagline")], heading=_("Service")
        ),
        MultiFieldPanel(
            [
                FieldPanel("state_brand"),
                FieldPanel("brand_text"),
                FieldPanel("operator_name"),
                FieldPanel("operator_url"),
                FieldPanel("operator_logo"),
                FieldPanel("footer_description"),
            ],
            heading=_("Opérateur"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("accessibility_status"),
                FieldPanel("accessibility_page"),
                FieldPanel("legal_notice_page"),
                FieldPanel("personal_data_page"),
                FieldPanel("sitemap_page"),
            ],
            heading=_("Pages obligatoires"),
        ),
    ]

    class Meta:
        verbose_name = _("identité du site")
        verbose_name_plural = _("identités du site")


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
