"""News of the network: a paginated index with RSS and Atom feeds, and one page per item."""

import datetime

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Prefetch
from django.utils import formats, timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.search import index

from cms.blocks import BodyStreamBlock
from cms.models.base import BasePage

# Rendition of a news image in cards (16:9) and on its page.
CARD_IMAGE_FILTER = "fill-640x360"
FEED_SIZE = 20


def with_card_images(news):
    """News with the renditions their cards show, in a constant number of queries."""
    images = get_image_model().objects.prefetch_renditions(CARD_IMAGE_FILTER)
    return news.prefetch_related(Prefetch("image", queryset=images))


class NewsIndexPage(RoutablePageMixin, BasePage):
    """The news of the network, newest first, with RSS 2.0 and Atom feeds.

    The feeds live at `flux/rss/` and `flux/atom/`, like the lessons library's:
    Wagtail does not serve page paths containing a dot, so no `flux.rss`
    (wagtail/wagtail#3653).
    """

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.NewsPage"]
    max_count = 1
    PAGE_SIZE = 12

    class Meta:
        verbose_name = _("index des actualités")
        verbose_name_plural = _("index des actualités")

    def news_items(self):
        """Published news under this index, newest first, with their card image renditions."""
        return with_card_images(
            NewsPage.objects.live().public().child_of(self).order_by("-date", "-pk")
        )

    @path("")
    def index(self, request):
        news = Paginator(self.news_items(), self.PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render(request, context_overrides={"news": news})

    @path("flux/rss/", name="feed_rss")
    def feed_rss(self, request):
        return NewsRssFeed(self)(request)

    @path("flux/atom/", name="feed_atom")
    def feed_atom(self, request):
        return NewsAtomFeed(self)(request)


class NewsPage(BasePage):
    """One news item: its date, summary, optional image and content."""

    date = models.DateField(_("date de publication"), default=timezone.localdate)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Facultative ; son texte alternatif est la description saisie dans la médiathèque."
        ),
    )
    body = StreamField(BodyStreamBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("date"),
        FieldPanel("image"),
        FieldPanel("body"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]

    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []
    og_type = "article"

    class Meta:
        verbose_name = _("actualité")
        verbose_name_plural = _("actualités")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["news_index"] = NewsIndexPage.objects.parent_of(self).live().first()
        return context

    @property
    def social_image(self):
        return self.image

    def card(self, heading_tag: str = "h3") -> dict:
        """This news as a `dsfr_card` dict (the image is decorative: the title says it all)."""
        card = {
            "title": self.title,
            "description": self.summary,
            "link": self.url,
            "heading_tag": heading_tag,
            "top_detail": {
                "detail": {
                    "text": formats.date_format(self.date, "DATE_FORMAT"),
                    "icon_class": "fr-icon-calendar-line",
                }
            },
        }
        if self.image:
            card |= {
                "image_url": self.image.get_rendition(CARD_IMAGE_FILTER).url,
                "image_alt": "",
                "ratio_class": "fr-ratio-16x9",
            }
        return card


class NewsRssFeed(Feed):
    """The RSS 2.0 feed of a news index: the latest items with their summary."""

    feed_type = Rss201rev2Feed

    def __init__(self, news_index: NewsIndexPage):
        super().__init__()
        self.news_index = news_index
        self.request = None

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return self.news_index

    def _absolute(self, page, subpath: str = "") -> str:
        return self.request.build_absolute_uri(page.get_url(self.request) + subpath)

    def title(self, news_index):
        return news_index.title

    def link(self, news_index):
        return self._absolute(news_index)

    def description(self, news_index):
        return news_index.summary or news_index.title

    def feed_url(self, news_index):
        name = "feed_atom" if self.feed_type is Atom1Feed else "feed_rss"
        return self._absolute(news_index, news_index.reverse_subpage(name))

    def items(self, news_index):
        return news_index.news_items()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return self._absolute(item)

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.datetime.combine(item.date, datetime.time.min))

    def item_updateddate(self, item):
        # Atom requires it; a page created without the publish workflow has no date of its own.
        return item.last_published_at or self.item_pubdate(item)


class NewsAtomFeed(NewsRssFeed):
    """The same news as an Atom feed."""

    feed_type = Atom1Feed

    def subtitle(self, news_index):
        return self.description(news_index)
