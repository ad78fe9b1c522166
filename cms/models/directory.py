"""The public startup directory: filters, search, and one page per public startup."""

import dataclasses
import datetime
from collections import defaultdict
from types import SimpleNamespace

from django import forms
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField

from dsfr.forms import DsfrBaseForm

from cms.models.base import BasePage
from incubator.enums import AccessibilityCompliance, Phase, Visibility
from incubator.forms import LightSelect
from incubator.models import (
    Incubator,
    Measurement,
    Sponsorship,
    Startup,
    Territory,
    Theme,
    add_months,
)
from incubator.pagination import paginate
from incubator.public_cache import remember, rendered_fragment
from incubator.reports import svg
from incubator.reports.formatting import fr_date
from incubator.search import MAX_QUERY_LENGTH, STARTUP_SEARCH_FIELDS, search
from incubator.selectors import (
    public_failures,
    public_indicators,
    public_lessons,
    public_startups,
)

# A public profile not updated for this long says so (DSFR notice).
STALE_AFTER_MONTHS = 6


# --- Shared by the public directory and the lessons library -------------------------


class PublicFilterForm(DsfrBaseForm):
    """Filters of a public list, read from the query string.

    A value that is not a valid choice is reported next to its field and
    ignored: the list still shows, never an error page.
    """

    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        widget=forms.SearchInput,
    )

    def __init__(self, data, **choices):
        super().__init__(data)
        for name, options in choices.items():
            self.fields[name].choices = [("", self.fields[name].empty_label), *options]

    def filters(self) -> dict:
        """The valid, non-empty filters."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class FilterChoiceField(forms.ChoiceField):
    """An optional choice, with a first option that means "all"."""

    widget = LightSelect

    def __init__(self, *, label, empty_label, choices=(), **kwargs):
        self.empty_label = empty_label
        super().__init__(
            label=label, required=False, choices=[("", empty_label), *choices], **kwargs
        )


def breadcrumb(page, request, *, current: str | None = None) -> dict:
    """DSFR breadcrumb data: the home page, the page's ancestors, then where we are.

    The ancestors are remembered until a page or the public data changes (publishing
    a page bumps the data version).
    """
    ancestors = remember(
        f"breadcrumb:{page.pk}:{request.get_host()}",
        lambda: [
            {"url": ancestor.get_url(request), "title": ancestor.title}
            for ancestor in page.get_ancestors().filter(depth__gt=2).specific(defer=True)
        ],
    )
    if current is None:
        return {"links": ancestors, "current": page.title}
    return {
        "links": [*ancestors, {"url": page.get_url(request), "title": page.title}],
        "current": current,
    }


def live_page(model):
    """The one live, public page of a page model, or None (say, deleted by an editor).

    Remembered until a page is published or unpublished (it bumps the data version).
    """
    return remember(
        f"live-page:{model._meta.label_lower}", lambda: model.objects.live().public().first()
    )


# --- The directory -------------------------------------------------------------------


class StartupFilterForm(PublicFilterForm):
    phase = FilterChoiceField(
        label=_("Phase"), empty_label=_("Toutes les phases"), choices=Phase.choices
    )
    incubateur = FilterChoiceField(label=_("Incubateur"), empty_label=_("Tous les incubateurs"))
    territoire = FilterChoiceField(
        label=_("Territoire sponsor"), empty_label=_("Tous les territoires")
    )
    thematique = FilterChoiceField(label=_("Thématique"), empty_label=_("Toutes les thématiques"))
    lecons = forms.BooleanField(label=_("Avec des leçons publiées"), required=False)


def startup_filter_choices() -> dict[str, list]:
    """The choices of the filters: only what public startups use (three queries).

    EXISTS rather than a join and DISTINCT: each choice stops at its first public
    startup (10 ms instead of 1 for the incubators of 10,000 startups).
    """
    public = {"startup__archived_at": None, "startup__visibility": Visibility.PUBLIC}
    return {
        "incubateur": list(
            Incubator.objects.filter(Exists(public_startups().filter(incubator=OuterRef("pk"))))
            .order_by("name")
            .values_list("slug", "name")
        ),
        "territoire": list(
            Territory.objects.filter(
                Exists(Sponsorship.objects.filter(territory=OuterRef("pk"), **public))
            )
            .order_by("name")
            .values_list("slug", "name")
        ),
        "thematique": list(
            Theme.objects.filter(
                Exists(Startup.themes.through.objects.filter(theme=OuterRef("pk"), **public))
            )
            .order_by("name")
            .values_list("slug", "name")
        ),
    }


def startup_filter_form(data) -> StartupFilterForm:
    """The form, its choices computed once per change of the public data."""
    return StartupFilterForm(data, **remember("directory-filter-choices", startup_filter_choices))


def directory_startups(filters: dict) -> QuerySet[Startup]:
    """Public startups matching the filters, each with its number of public lessons."""
    lesson_count = (
        public_lessons()
        .filter(startup=OuterRef("pk"))
        .order_by()
        .values("startup")
        .annotate(count=Count("pk"))
        .values("count")
    )
    startups = public_startups().annotate(public_lesson_count=Coalesce(Subquery(lesson_count), 0))
    if "phase" in filters:
        startups = startups.filter(phase=filters["phase"])
    if "incubateur" in filters:
        startups = startups.filter(incubator__slug=filters["incubateur"])
    if "territoire" in filters:
        startups = startups.filter(
            Exists(
                Sponsorship.objects.filter(
                    startup=OuterRef("pk"), territory__slug=filters["territoire"]
                )
            )
        )
    if "thematique" in filters:
        startups = startups.filter(
            Exists(
                Startup.themes.through.objects.filter(
                    startup=OuterRef("pk"), theme__slug=filters["thematique"]
                )
            )
        )
    if filters.get("lecons"):
        startups = startups.filter(public_lesson_count__gt=0)
    startups = startups.order_by("name", "pk")
    startups = search(startups, filters.get("q", ""), STARTUP_SEARCH_FIELDS)
    return startups.select_related("incubator").prefetch_related(
        Prefetch("sponsors", Territory.objects.order_by("name")),
        Prefetch("themes", Theme.objects.order_by("name")),
    )


# --- One startup's public profile --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PhaseStay:
    """A stay in a phase, from a line of the phase history to the next."""

    phase: str
    label: str
    kind: str
    start: datetime.date
    end: datetime.date | None


@dataclasses.dataclass(frozen=True)
class IndicatorView:
    indicator: object
    last: Measurement | None
    chart: svg.Chart | None


@dataclasses.dataclass(frozen=True)
class TransparencyItem:
    """One of the things a public service should publish: published (a link) or not."""

    label: str
    url: str = ""
    value: str = ""

    @property
    def published(self) -> bool:
        return bool(self.url or self.value)


def phase_stays(startup: Startup) -> list[PhaseStay]:
    transitions = list(startup.transitions.order_by("date", "created", "pk"))
    return [
        PhaseStay(
            phase=transition.to_phase,
            label=transition.get_to_phase_display(),
            kind=transition.get_kind_display(),
            start=transition.date,
            end=following.date if following else None,
        )
        for transition, following in zip(transitions, [*transitions[1:], None], strict=True)
    ]


def _indicator_view(indicator, ids: svg.IdSequence) -> IndicatorView:
    measurements = list(indicator.measurements.all())
    if not measurements:
        return IndicatorView(indicator, None, None)
    # svg.indicator_chart reads `points`; the caption speaks of the whole history here.
    series = SimpleNamespace(
        name=indicator.name, unit=indicator.unit, target=indicator.target, points=measurements
    )
    chart = dataclasses.replace(
        svg.indicator_chart(ids=ids, indicator=series),
        caption=gettext("« %(name)s » depuis le %(date)s")
        % {"name": indicator.name, "date": fr_date(measurements[0].date)},
    )
    return IndicatorView(indicator, measurements[-1], chart)


def transparency(startup: Startup) -> list[TransparencyItem]:
    accessibility = (
        startup.get_accessibility_status_display()
        if startup.accessibility_status != AccessibilityCompliance.UNKNOWN
        else ""
    )
    return [
        TransparencyItem(_("Code source"), url=startup.repository),
        TransparencyItem(_("Budget"), url=startup.budget_url),
        TransparencyItem(_("Statistiques d’usage"), url=startup.stats_url),
        TransparencyItem(_("Mesure d’impact"), url=startup.impact_url),
        TransparencyItem(_("Déclaration d’accessibilité (RGAA)"), value=accessibility),
    ]


def is_stale(startup: Startup, today: datetime.date | None = None) -> bool:
    """No recorded update for STALE_AFTER_MONTHS (or never): the profile may be out of date."""
    if startup.last_activity_at is None:
        return True
    today = today or timezone.localdate()
    last = timezone.localdate(startup.last_activity_at)
    return last < add_months(today, -STALE_AFTER_MONTHS)


def startup_profile(startup: Startup) -> dict:
    """Everything the public page of a startup shows, in a fixed number of queries."""
    indicators = (
        public_indicators()
        .filter(startup=startup)
        .order_by("name", "pk")
        .prefetch_related(Prefetch("measurements", Measurement.objects.order_by("date")))
    )
    ids = svg.IdSequence(f"startup-{startup.slug}")
    lessons = list(
        public_lessons().filter(startup=startup).select_related("failure").order_by("-created")
    )
    lessons_by_failure = defaultdict(list)
    for lesson in lessons:
        if lesson.failure_id:
            lessons_by_failure[lesson.failure_id].append(lesson)
    failures = list(public_failures().filter(startup=startup).order_by("-occurred_on", "pk"))
    for failure in failures:
        failure.public_lessons = lessons_by_failure[failure.pk]
    return {
        "startup": startup,
        "phase_stays": phase_stays(startup),
        "sponsorships": startup.sponsorships.select_related("territory").order_by(
            "territory__name"
        ),
        "themes": startup.themes.order_by("name"),
        "indicators": [_indicator_view(indicator, ids) for indicator in indicators],
        "milestones": startup.milestones.order_by("due_date", "achieved_on", "pk"),
        "failures": failures,
        "lessons": lessons,
        "deployments": startup.deployments.select_related("territory").order_by("territory__name"),
        "transparency": transparency(startup),
        "is_stale": is_stale(startup),
        "stale_after_months": STALE_AFTER_MONTHS,
    }


def render_listing(
    page, request, *, fragment, filter_form, rows, items_name, any_public, label_rows=None
):
    """A searchable list page (directory, library): the filters, one page of results and
    the "nothing yet" or "nothing matches" state, rendered once per public data version."""

    def results_context():
        form = filter_form(request.GET)
        filters = form.filters()
        items = paginate(rows(filters), request, page.PAGE_SIZE)
        if label_rows is not None:
            items.object_list = label_rows(items.object_list)
        return {
            "page": page,
            "form": form,
            "filtered": bool(filters),
            items_name: items,
            # Only asked when nothing shows: "nothing yet" or "nothing matches"?
            "any_public": bool(items.object_list) or any_public().exists(),
            "extra": {"page_number": items.number},
        }

    return page.render(
        request,
        context_overrides={
            "results": rendered_fragment(
                fragment, request, f"cms/includes/{fragment}_results.html", results_context
            ),
            "breadcrumb_data": breadcrumb(page, request),
        },
    )


class StartupDirectoryPage(RoutablePageMixin, BasePage):
    """The public startups: filters, search, pagination, and one route per startup.

    Reads only `incubator.selectors.public_*`: a private or archived startup
    is absent from the list and its page is a 404.
    """

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = []
    max_count = 1
    PAGE_SIZE = 12

    class Meta:
        verbose_name = _("annuaire des startups")
        verbose_name_plural = _("annuaires des startups")

    @path("")
    def index(self, request):
        return render_listing(
            self,
            request,
            fragment="directory",
            filter_form=startup_filter_form,
            rows=directory_startups,
            items_name="startups",
            any_public=public_startups,
        )

    @path("<slug:slug>/", name="startup")
    def startup(self, request, slug):
        from cms.models.lessons import LessonsLibraryPage

        startup = get_object_or_404(public_startups().select_related("incubator"), slug=slug)

        def profile_context():
            return {
                "page": self,
                **startup_profile(startup),
                "library": live_page(LessonsLibraryPage),
            }

        # The day is in the key: the "not updated for 6 months" notice depends on it.
        profile = rendered_fragment(
            f"startup:{timezone.localdate()}",
            request,
            "cms/includes/startup_profile.html",
            profile_context,
        )
        return self.render(
            request,
            template="cms/startup_detail.html",
            context_overrides={
                "startup": startup,
                "profile": profile,
                "breadcrumb_data": breadcrumb(self, request, current=startup.name),
            },
        )

    def startup_url(self, startup, request=None) -> str:
        return self.get_url(request) + self.reverse_subpage(
            "startup", kwargs={"slug": startup.slug}
        )

    def get_sitemap_urls(self, request=None):
        base = self.get_full_url(request)
        return [
            *super().get_sitemap_urls(request),
            *(
                {
                    "location": base + self.reverse_subpage("startup", kwargs={"slug": slug}),
                    "lastmod": last_activity_at or updated,
                }
                for slug, last_activity_at, updated in public_startups()
                .order_by("name", "pk")
                .values_list("slug", "last_activity_at", "updated")
            ),
        ]
