"""The cross-territory library of public lessons: search, filters, feeds, one page per lesson."""

from django.contrib.syndication.views import Feed
from django.db.models import DateField, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField

from cms.models.base import BasePage
from cms.models.directory import (
    FilterChoiceField,
    PublicFilterForm,
    StartupDirectoryPage,
    breadcrumb,
    live_page,
    render_listing,
)
from incubator.enums import FailureReason, Phase, TerritoryKind
from incubator.models import Lesson, PhaseTransition, Sponsorship, Startup, Territory, Theme
from incubator.public_cache import remember
from incubator.search import LESSON_SEARCH_FIELDS, search
from incubator.selectors import public_lessons

FEED_SIZE = 20


def with_origin(lessons: QuerySet[Lesson]) -> QuerySet[Lesson]:
    """Annotate each lesson with when its story happened and the phase the startup was in.

    `happened_on`: the failure's date, else the experiment's end (or start), else
    the day the lesson was written. `phase_then`: the phase of the last line of
    the startup's phase history on or before that day, a stop left aside (a
    post-mortem is dated the day of the stop: "abandoned in construction" is
    what a reader wants to compare). Both are SQL expressions, so the library
    filters on them without a query per lesson.
    """
    phase_then = (
        PhaseTransition.objects.filter(
            startup=OuterRef("startup"), date__lte=OuterRef("happened_on")
        )
        .exclude(to_phase=Phase.ABANDONED)
        .order_by("-date", "-created", "-pk")
        .values("to_phase")[:1]
    )
    return lessons.annotate(
        happened_on=Coalesce(
            "failure__occurred_on",
            "experiment__end_date",
            "experiment__start_date",
            TruncDate("created"),
            output_field=DateField(),
        )
    ).annotate(phase_then=Subquery(phase_then))


def label_phases(lessons) -> list[Lesson]:
    """The lessons as a list, each with `phase_then_label` for templates."""
    lessons = list(lessons)
    for lesson in lessons:
        lesson.phase_then_label = Phase(lesson.phase_then).label if lesson.phase_then else ""
    return lessons


# Phases a lesson may come from: the forward path and its two successful outcomes.
ORIGIN_PHASES = [(phase.value, phase.label) for phase in Phase if phase != Phase.ABANDONED]


class LessonFilterForm(PublicFilterForm):
    cause = FilterChoiceField(label=_("Cause de l’échec"), empty_label=_("Toutes les causes"))
    phase = FilterChoiceField(
        label=_("Phase de la startup à ce moment"),
        empty_label=_("Toutes les phases"),
        choices=ORIGIN_PHASES,
    )
    thematique = FilterChoiceField(label=_("Thématique"), empty_label=_("Toutes les thématiques"))
    type_territoire = FilterChoiceField(
        label=_("Type de territoire sponsor"), empty_label=_("Tous les types")
    )


def lesson_filter_choices() -> dict[str, list]:
    """The choices of the filters: only what public lessons use (three queries)."""
    lessons = public_lessons()
    # order_by() drops the default ordering, which DISTINCT would otherwise include.
    reasons = set(lessons.order_by().values_list("failure__reason", flat=True).distinct())
    kinds = set(
        lessons.order_by()
        .values_list("startup__sponsorships__territory__kind", flat=True)
        .distinct()
    )
    # A lesson's own themes, or its startup's: two id lists (an EXISTS per theme over the
    # public lessons took 50 ms over 5,000 lessons).
    themes = (
        Theme.objects.filter(
            Q(
                pk__in=Lesson.themes.through.objects.filter(lesson__in=lessons.values("pk")).values(
                    "theme_id"
                )
            )
            | Q(
                pk__in=Startup.themes.through.objects.filter(
                    startup__in=lessons.values("startup_id")
                ).values("theme_id")
            )
        )
        .order_by("name")
        .values_list("slug", "name")
    )
    return {
        "cause": [
            (value, str(label)) for value, label in FailureReason.choices if value in reasons
        ],
        "type_territoire": [
            (value, str(label)) for value, label in TerritoryKind.choices if value in kinds
        ],
        "thematique": list(themes),
    }


def lesson_filter_form(data) -> LessonFilterForm:
    """The form, its choices computed once per change of the public data."""
    return LessonFilterForm(data, **remember("lesson-filter-choices", lesson_filter_choices))


def library_lessons(filters: dict) -> QuerySet[Lesson]:
    """Public lessons matching the filters, newest first (by relevance when searching)."""
    lessons = with_origin(public_lessons())
    if "cause" in filters:
        lessons = lessons.filter(failure__reason=filters["cause"])
    if "phase" in filters:
        lessons = lessons.filter(phase_then=filters["phase"])
    if "thematique" in filters:
        slug = filters["thematique"]
        # A lesson's own themes, or its startup's (a lesson without themes inherits them).
        lessons = lessons.filter(
            Exists(Lesson.themes.through.objects.filter(lesson=OuterRef("pk"), theme__slug=slug))
            | Exists(
                Startup.themes.through.objects.filter(startup=OuterRef("startup"), theme__slug=slug)
            )
        )
    if "type_territoire" in filters:
        lessons = lessons.filter(
            Exists(
                Sponsorship.objects.filter(
                    startup=OuterRef("startup"), territory__kind=filters["type_territoire"]
                )
            )
        )
    lessons = search(
        lessons.order_by("-created", "-pk"), filters.get("q", ""), LESSON_SEARCH_FIELDS
    )
    return lessons.select_related("startup", "failure").prefetch_related(
        Prefetch("themes", Theme.objects.order_by("name")),
        Prefetch("startup__themes", Theme.objects.order_by("name")),
        Prefetch("startup__sponsors", Territory.objects.order_by("name")),
    )


class LatestLessonsFeed(Feed):
    """The latest public lessons as RSS 2.0; `LatestLessonsAtomFeed` for Atom."""

    feed_type = Rss201rev2Feed
    route_name = "feed_rss"

    def __init__(self, page):
        super().__init__()
        self.page = page
        self.base_url = ""

    def get_object(self, request, *args, **kwargs):
        self.base_url = self.page.get_url(request)
        return self.page

    def title(self, page):
        return page.title

    def link(self, page):
        return self.base_url

    def feed_url(self, page):
        return self.base_url + page.reverse_subpage(self.route_name)

    def description(self, page):
        return page.summary or gettext(
            "Les dernières leçons publiées par les startups de territoire."
        )

    def items(self, page):
        return (
            public_lessons()
            .select_related("startup")
            .prefetch_related(Prefetch("themes", Theme.objects.order_by("name")))
            .order_by("-created", "-pk")[:FEED_SIZE]
        )

    def item_title(self, lesson):
        return lesson.title

    def item_description(self, lesson):
        return gettext("%(startup)s : %(body)s") % {
            "startup": lesson.startup.name,
            "body": Truncator(lesson.body).words(80),
        }

    def item_link(self, lesson):
        return self.base_url + self.page.reverse_subpage("lesson", kwargs={"slug": lesson.slug})

    def item_pubdate(self, lesson):
        return lesson.created

    def item_updateddate(self, lesson):
        return lesson.updated

    def item_categories(self, lesson):
        return [theme.name for theme in lesson.themes.all()]


class LatestLessonsAtomFeed(LatestLessonsFeed):
    feed_type = Atom1Feed
    route_name = "feed_atom"

    def subtitle(self, page):
        return self.description(page)


class LessonsLibraryPage(RoutablePageMixin, BasePage):
    """The cross-territory library of public lessons: search and filters, one route per lesson.

    Reads only `incubator.selectors.public_lessons()`: a private lesson, or one
    of a failure published without consent, appears nowhere (list, page,
    feeds, sitemap).
    """

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = []
    max_count = 1
    PAGE_SIZE = 10

    class Meta:
        verbose_name = _("bibliothèque des leçons")
        verbose_name_plural = _("bibliothèques des leçons")

    @path("")
    def index(self, request):
        return render_listing(
            self,
            request,
            fragment="lessons",
            filter_form=lesson_filter_form,
            rows=library_lessons,
            items_name="lessons",
            any_public=public_lessons,
            label_rows=label_phases,
        )

    # Wagtail serves only paths of letters, digits, "-" and "_": no "flux.rss".
    @path("flux/rss/", name="feed_rss")
    def feed_rss(self, request):
        return LatestLessonsFeed(self)(request)

    @path("flux/atom/", name="feed_atom")
    def feed_atom(self, request):
        return LatestLessonsAtomFeed(self)(request)

    @path("<slug:slug>/", name="lesson")
    def lesson(self, request, slug):
        lesson = get_object_or_404(
            with_origin(public_lessons()).select_related("startup", "failure"), slug=slug
        )
        (lesson,) = label_phases([lesson])
        startup = lesson.startup
        directory = live_page(StartupDirectoryPage)
        return self.render(
            request,
            template="cms/lesson_detail.html",
            context_overrides={
                "lesson": lesson,
                "startup": startup,
                "failure": lesson.failure,
                "themes": list(lesson.themes.order_by("name")) or startup.themes.order_by("name"),
                "sponsors": startup.sponsors.order_by("name"),
                "other_lessons": public_lessons()
                .filter(startup=startup)
                .exclude(pk=lesson.pk)
                .order_by("-created", "-pk"),
                "startup_url": directory.startup_url(startup, request) if directory else "",
                "breadcrumb_data": breadcrumb(self, request, current=lesson.title),
            },
        )

    def get_sitemap_urls(self, request=None):
        base = self.get_full_url(request)
        return [
            *super().get_sitemap_urls(request),
            *(
                {
                    "location": base + self.reverse_subpage("lesson", kwargs={"slug": slug}),
                    "lastmod": updated,
                }
                for slug, updated in public_lessons()
                .order_by("-created", "-pk")
                .values_list("slug", "updated")
            ),
        ]
