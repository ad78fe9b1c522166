from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from modelcluster.fields import ParentalKey

from cms.blocks import BodyStreamBlock
from incubator.enums import SUCCESS_PHASES, Phase

# How many lessons and news items the home page shows.
HOME_LATEST_COUNT = 3


def canonical_url(request) -> str:
    """The address search engines should index for this request: no query string, except
    the page number of a paginated list."""
    url = request.build_absolute_uri(request.path)
    page_number = request.GET.get("page", "")
    if page_number.isdigit() and int(page_number) > 1:
        url += f"?page={int(page_number)}"
    return url


def routed_url(page, subpath: str) -> str | None:
    """The URL of `subpath` (e.g. "12/") under a routable page when one of its routes
    serves it, else None; lets this page link to routes another page owns."""
    url = page.url if page is not None else None
    if not url:
        return None
    try:
        page.resolve_subpage("/" + subpath)
    except (Http404, AttributeError):
        return None
    return url + subpath


def phase_badge(phase: str, label: str) -> dict:
    """A phase as a `dsfr_badge` dict, coloured like `components/phase_badge.html`."""
    if phase == Phase.ABANDONED:
        kind = "fr-badge--error"
    elif phase in SUCCESS_PHASES:
        kind = "fr-badge--success"
    elif phase == Phase.INVESTIGATION:
        kind = "fr-badge--new"
    else:
        kind = "fr-badge--info"
    return {"label": label, "extra_classes": f"fr-badge--sm fr-badge--no-icon {kind}"}


def startup_directory():
    from cms.models.directory import StartupDirectoryPage

    return StartupDirectoryPage.objects.live().first()


def startup_cards(startups, *, directory, heading_tag: str = "h3") -> list[dict]:
    """`dsfr_card` dicts for public startups, linked to their page in the directory."""
    return [
        {
            "title": startup.name,
            "description": startup.pitch,
            "link": routed_url(directory, f"{startup.slug}/")
            or (directory.url if directory else ""),
            "heading_tag": heading_tag,
            "top_detail": {"badges": [phase_badge(startup.phase, startup.get_phase_display())]},
        }
        for startup in startups
    ]


def public_startup_choices() -> Q:
    """Editors pick featured startups among the public ones only."""
    from incubator.selectors import public_startups

    return Q(pk__in=public_startups().values("pk"))


class BasePage(Page):
    """Common ground of every public page: a short summary for cards and social meta."""

    summary = models.TextField(
        _("résumé"),
        blank=True,
        help_text=_("Une ou deux phrases, reprises dans les listes et les partages."),
    )

    content_panels = [*Page.content_panels, FieldPanel("summary")]
    search_fields = [*Page.search_fields, index.SearchField("summary")]

    # OpenGraph type of the page (`article` for news).
    og_type = "website"

    class Meta:
        abstract = True

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["canonical_url"] = canonical_url(request)
        return context

    @property
    def breadcrumb_data(self) -> dict:
        """The `dsfr_breadcrumb` dict: the pages between the home page and this one."""
        ancestors = self.get_ancestors().filter(depth__gt=2).live()
        return {
            "links": [{"url": page.url, "title": page.title} for page in ancestors],
            "current": self.title,
        }

    @property
    def meta_description(self) -> str:
        return self.search_description or self.summary

    @property
    def social_image(self):
        """The image shared on social networks; None falls back to the site's."""
        return None


def key_figure_counts() -> dict:
    """The home page's figures, public data only, in three queries."""
    from incubator.models import Deployment, Sponsorship, Territory
    from incubator.selectors import public_lessons, public_startups

    public = public_startups().values("pk")
    return {
        "per_phase": dict(
            public_startups()
            .order_by()
            .values("phase")
            .annotate(count=Count("pk"))
            .values_list("phase", "count")
        ),
        # Territories that sponsor a public startup or run its service.
        "territories": Territory.objects.filter(
            Exists(Sponsorship.objects.filter(territory=OuterRef("pk"), startup__in=public))
            | Exists(Deployment.objects.filter(territory=OuterRef("pk"), startup__in=public))
        ).count(),
        "lessons": public_lessons().count(),
    }


class HomePage(BasePage):
    """The site root: what the network does, key figures, featured startups, lessons, news."""

    hero_title = models.CharField(
        _("titre d’accroche"),
        max_length=200,
        default="Des startups de territoire, au service du public",
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("hero_title"),
        FieldPanel("intro"),
        InlinePanel(
            "featured_startups",
            heading=_("Startups à la une"),
            label=_("startup à la une"),
            help_text=_(
                "Dans l’ordre d’affichage ; une startup devenue privée n’est plus montrée."
            ),
        ),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("page d’accueil")
        verbose_name_plural = _("pages d’accueil")

    def get_context(self, request, *args, **kwargs):
        from incubator.public_cache import rendered_fragment

        context = super().get_context(request, *args, **kwargs)
        context["sections"] = rendered_fragment(
            "home", request, "cms/includes/home_sections.html", self.sections_context
        )
        # Kept for the news feed links in the head.
        context["news_index"] = self.news_index()
        return context

    def sections_context(self) -> dict:
        from cms.models.lessons import LessonsLibraryPage

        figures, phases = self.key_figures()
        library = LessonsLibraryPage.objects.live().first()
        directory = startup_directory()
        return {
            "key_figures": figures,
            "phase_figures": phases,
            "featured_cards": startup_cards(self.visible_featured_startups(), directory=directory),
            "directory": directory,
            "lessons": self.latest_lessons(library),
            "lessons_library": library,
            "news": self.latest_news(),
            "news_index": self.news_index(),
        }

    @staticmethod
    def news_index():
        from cms.models.news import NewsIndexPage

        return NewsIndexPage.objects.live().first()

    @staticmethod
    def key_figures() -> tuple[dict, dict]:
        """Figures of public data only, computed once per change of the public data.

        Returns a `key_figures` block value (public startups, territories involved,
        lessons shared) and one of the startups per phase; no figure is shown when
        nothing is public yet.
        """
        from incubator.public_cache import remember

        counts = remember("home-key-figures", key_figure_counts)
        per_phase, territories, lessons = (
            counts["per_phase"],
            counts["territories"],
            counts["lessons"],
        )
        startups = sum(per_phase.values())
        figures = [
            (startups, ngettext("startup publique", "startups publiques", startups)),
            (territories, ngettext("territoire impliqué", "territoires impliqués", territories)),
            (lessons, ngettext("leçon partagée", "leçons partagées", lessons)),
        ]
        key_figures = {
            "title": _("Le réseau en chiffres"),
            "figures": [{"value": n, "label": label} for n, label in figures]
            if startups or lessons
            else [],
        }
        phase_figures = {
            "title": _("Les startups par phase"),
            "figures": [
                {"value": per_phase[phase], "label": phase.label}
                for phase in Phase
                if per_phase.get(phase)
            ],
        }
        return key_figures, phase_figures

    def visible_featured_startups(self) -> list:
        """The editors' picks, in their order, that are still public."""
        from incubator.selectors import public_startups

        ids = [item.startup_id for item in self.featured_startups.all()]
        public = {startup.pk: startup for startup in public_startups().filter(pk__in=ids)}
        return [public[pk] for pk in ids if pk in public]

    @staticmethod
    def latest_lessons(library) -> list[dict]:
        from incubator.public_cache import remember
        from incubator.selectors import public_lessons

        def latest():
            lessons = public_lessons().select_related("startup").order_by("-created", "-pk")
            return [
                (lesson.title, lesson.body, lesson.slug, lesson.startup.name)
                for lesson in lessons[:HOME_LATEST_COUNT]
            ]

        return [
            {
                "title": title,
                "description": body,
                "link": routed_url(library, f"{slug}/") or (library.url if library else ""),
                "heading_tag": "h3",
                "top_detail": {"detail": {"text": startup_name}},
            }
            for title, body, slug, startup_name in remember("home-latest-lessons", latest)
        ]

    def latest_news(self):
        from cms.models.news import NewsPage, with_card_images

        news = NewsPage.objects.live().public().descendant_of(self).order_by("-date", "-pk")
        return list(with_card_images(news)[:HOME_LATEST_COUNT])


class HomeFeaturedStartup(Orderable):
    """A startup the editors put forward on the home page (shown while it stays public)."""

    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_startups")
    startup = models.ForeignKey(
        "incubator.Startup",
        verbose_name=_("startup"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to=public_startup_choices,
    )

    panels = [FieldPanel("startup")]

    class Meta(Orderable.Meta):
        verbose_name = _("startup à la une")
        verbose_name_plural = _("startups à la une")

    def __str__(self):
        return str(self.startup)


class StandardPage(BasePage):
    """A plain content page: legal notices, accessibility statement, about pages."""

    body = StreamField(BodyStreamBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]

    subpage_types = [
        "cms.StandardPage",
        "cms.ProgramPage",
        "cms.NewsIndexPage",
        "cms.StartupDirectoryPage",
        "cms.LessonsLibraryPage",
        "cms.ReportIndexPage",
    ]

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


def is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


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
        help_text=_(
            "Affiché dans l’en-tête à côté du bloc-marque, et image de partage par défaut "
            "sur les réseaux sociaux."
        ),
    )
    footer_description = models.TextField(_("texte du pied de page"), blank=True)
    mastodon_url = models.URLField(_("compte Mastodon"), blank=True)
    bluesky_url = models.URLField(_("compte Bluesky"), blank=True)
    linkedin_url = models.URLField(_("page LinkedIn"), blank=True)
    source_code_url = models.URLField(
        _("code source"), blank=True, help_text=_("Le dépôt du code source de la plateforme.")
    )
    security_contact = models.CharField(
        _("contact sécurité"),
        max_length=200,
        blank=True,
        help_text=_(
            "Adresse e-mail ou adresse https:// où signaler une faille de sécurité, publiée "
            "dans /.well-known/security.txt (absent tant que ce champ est vide)."
        ),
    )
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

    # Read on every page: one query for the settings and what the header and footer show.
    select_related = [
        "operator_logo",
        "accessibility_page",
        "legal_notice_page",
        "personal_data_page",
        "sitemap_page",
    ]

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
                FieldPanel("mastodon_url"),
                FieldPanel("bluesky_url"),
                FieldPanel("linkedin_url"),
                FieldPanel("source_code_url"),
                FieldPanel("security_contact"),
            ],
            heading=_("Réseaux sociaux, code source et sécurité"),
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

    def clean(self):
        super().clean()
        contact = self.security_contact.strip()
        if contact and not (is_email(contact) or contact.startswith("https://")):
            raise ValidationError(
                {
                    "security_contact": _(
                        "Indiquez une adresse e-mail ou une adresse commençant par https://."
                    )
                }
            )
        self.security_contact = contact

    @property
    def security_contact_uri(self) -> str:
        """The contact as security.txt wants it: a mailto: or https: URI."""
        contact = self.security_contact.strip()
        return f"mailto:{contact}" if is_email(contact) else contact

    @property
    def social_links(self) -> list[dict]:
        """The operator's accounts, with their DSFR button icon (footer « Suivez-nous »)."""
        accounts = [
            (self.mastodon_url, "Mastodon", "fr-btn--mastodon"),
            (self.bluesky_url, "Bluesky", "fr-btn--bluesky"),
            (self.linkedin_url, "LinkedIn", "fr-btn--linkedin"),
        ]
        return [
            {"url": url, "label": label, "icon_class": icon} for url, label, icon in accounts if url
        ]
