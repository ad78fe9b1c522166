"""StreamField blocks of the public site, rendered with the State design system (DSFR).

Each block has its template under `cms/templates/cms/blocks/`, an icon, a
description and, when it needs no image or page of the site, a preview in the
admin's block picker. What a template needs beyond the raw value (the dicts
django-dsfr's tags take, escaped captions, page summaries) is computed on a
custom `StructValue`.
"""

from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.images.blocks import ImageBlock
from wagtail.models import Page

PREVIEW_TEMPLATE = "cms/blocks/preview.html"

# Rich text of a paragraph: no headings (the heading block gives them an
# explicit level), no embeds or images (their own blocks carry alt text).
PARAGRAPH_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul", "superscript"]


class HeadingBlock(blocks.StructBlock):
    """A section heading; its level is explicit so that pages keep a sound outline."""

    text = blocks.CharBlock(label=_("titre"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("niveau"),
        choices=[("h2", _("Titre de section (h2)")), ("h3", _("Sous-titre (h3)"))],
        default="h2",
    )

    class Meta:
        label = _("Titre")
        icon = "title"
        template = "cms/blocks/heading.html"
        description = _("Un titre de section ou de sous-section.")
        preview_value = {"text": "Comment fonctionne l’incubateur", "level": "h2"}
        preview_template = PREVIEW_TEMPLATE


class ParagraphBlock(blocks.RichTextBlock):
    """Running text: paragraphs, lists and links."""

    def __init__(self, **kwargs):
        kwargs.setdefault("features", PARAGRAPH_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        label = _("Paragraphe")
        icon = "pilcrow"
        template = "cms/blocks/paragraph.html"
        description = _("Du texte courant, avec listes et liens.")
        preview_value = (
            "<p>Les startups de territoire résolvent <b>un problème concret</b> du service "
            "public, avec les agents qui le vivent.</p>"
        )
        preview_template = PREVIEW_TEMPLATE


class CalloutValue(blocks.StructValue):
    def as_dsfr(self) -> dict:
        """The dict django-dsfr's `dsfr_callout` tag takes."""
        data = {"title": self.get("title"), "text": self.get("text"), "heading_tag": "p"}
        page = self.get("link_page")
        if page and self.get("link_label"):
            data["button"] = {"url": page.url, "label": self.get("link_label")}
        return data


class CalloutBlock(blocks.StructBlock):
    """DSFR « mise en avant »: a highlighted message, with an optional link to a page."""

    title = blocks.CharBlock(label=_("titre"), required=False, max_length=200)
    text = blocks.TextBlock(label=_("texte"))
    link_page = blocks.PageChooserBlock(label=_("page liée"), required=False)
    link_label = blocks.CharBlock(label=_("libellé du lien"), required=False, max_length=80)

    class Meta:
        label = _("Mise en avant")
        icon = "warning"
        template = "cms/blocks/callout.html"
        value_class = CalloutValue
        description = _("Un message mis en avant, avec un lien facultatif.")
        preview_value = {
            "title": "Un appel à projets par an",
            "text": "Chaque territoire partenaire peut proposer un problème de service public.",
        }
        preview_template = PREVIEW_TEMPLATE


class QuoteValue(blocks.StructValue):
    def as_dsfr(self) -> dict:
        """The dict django-dsfr's `dsfr_quote` tag takes."""
        return {
            "text": self.get("text"),
            "author": self.get("author"),
            "source": self.get("source"),
            "source_url": self.get("source_url"),
            "text_size": "lg",
        }


class QuoteBlock(blocks.StructBlock):
    """DSFR « citation »: what someone said, with its author and source."""

    text = blocks.TextBlock(label=_("citation"))
    author = blocks.CharBlock(label=_("auteur ou autrice"), required=False, max_length=200)
    source = blocks.CharBlock(label=_("source"), required=False, max_length=200)
    source_url = blocks.URLBlock(label=_("lien vers la source"), required=False)

    class Meta:
        label = _("Citation")
        icon = "openquote"
        template = "cms/blocks/quote.html"
        value_class = QuoteValue
        description = _("Une citation, avec son auteur et sa source.")
        preview_value = {
            "text": "Nous avons arrêté au bon moment, et la commune voisine a gagné six mois.",
            "author": "Une agente-entrepreneuse",
        }
        preview_template = PREVIEW_TEMPLATE


class FigureValue(blocks.StructValue):
    def caption_html(self) -> str:
        # django-dsfr marks the caption safe: escape the editor's text first.
        return conditional_escape(self.get("caption") or "")


class FigureBlock(blocks.StructBlock):
    """An image with its alternative text (or marked decorative) and an optional caption."""

    image = ImageBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("légende"), required=False, max_length=300)

    class Meta:
        label = _("Image")
        icon = "image"
        template = "cms/blocks/figure.html"
        value_class = FigureValue
        description = _("Une image avec son texte alternatif et une légende facultative.")


class AccordionItemBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre"), max_length=200)
    body = ParagraphBlock(label=_("contenu"))

    class Meta:
        label = _("Volet")
        icon = "collapse-down"


class AccordionGroupValue(blocks.StructValue):
    def as_dsfr(self) -> list[dict]:
        """The items django-dsfr's `dsfr_accordion_group` tag takes (ids are generated)."""
        return [
            {"title": item["title"], "content": str(item["body"]), "heading_tag": "h3"}
            for item in self.get("items") or []
        ]


class AccordionGroupBlock(blocks.StructBlock):
    """DSFR « accordéons »: questions and answers, or details the reader opens on demand."""

    title = blocks.CharBlock(
        label=_("titre du groupe"),
        required=False,
        max_length=200,
        help_text=_("Facultatif ; affiché comme un titre de section (h2)."),
    )
    items = blocks.ListBlock(AccordionItemBlock(), label=_("volets"), min_num=1)

    class Meta:
        label = _("Accordéons")
        icon = "list-ul"
        template = "cms/blocks/accordion_group.html"
        value_class = AccordionGroupValue
        description = _("Des volets dépliables : questions fréquentes, détails.")
        preview_value = {
            "title": "Questions fréquentes",
            "items": [
                {"title": "Qui peut proposer un projet ?", "body": "<p>Tout agent public.</p>"},
                {"title": "Combien de temps dure l’incubation ?", "body": "<p>Trois ans.</p>"},
            ],
        }
        preview_template = PREVIEW_TEMPLATE


class CardBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(label=_("page"))
    title = blocks.CharBlock(
        label=_("titre"),
        required=False,
        max_length=120,
        help_text=_("Laisser vide pour reprendre le titre de la page."),
    )
    description = blocks.TextBlock(
        label=_("description"),
        required=False,
        max_length=200,
        help_text=_("Laisser vide pour reprendre le résumé de la page."),
    )

    class Meta:
        label = _("Carte")
        icon = "doc-full"


class CardGridValue(blocks.StructValue):
    def as_dsfr(self) -> list[dict]:
        """One dict per live card for `dsfr_card`, specific pages fetched in one go."""
        chosen = [card for card in self.get("cards") or [] if card.get("page")]
        pages = Page.objects.live().filter(pk__in=[card["page"].pk for card in chosen])
        by_pk = {page.pk: page for page in pages.specific()}
        heading_tag = "h3" if self.get("title") else "h2"
        result = []
        for card in chosen:
            page = by_pk.get(card["page"].pk)
            if page is None:  # unpublished since: no dead link on the public site
                continue
            summary = getattr(page, "summary", "") or page.search_description
            result.append(
                {
                    "title": card.get("title") or page.title,
                    "description": card.get("description") or summary,
                    "link": page.url,
                    "heading_tag": heading_tag,
                }
            )
        return result


class CardGridBlock(blocks.StructBlock):
    """DSFR « cartes »: a grid of links to pages of the site, with their summary."""

    title = blocks.CharBlock(label=_("titre"), required=False, max_length=200)
    cards = blocks.ListBlock(CardBlock(), label=_("cartes"), min_num=1)

    class Meta:
        label = _("Grille de cartes")
        icon = "table"
        template = "cms/blocks/card_grid.html"
        value_class = CardGridValue
        description = _("Des cartes menant vers des pages du site.")


class TableValue(blocks.StructValue):
    def as_table(self) -> dict:
        """What `cms/includes/table.html` takes (the template escapes the cells)."""
        return {
            "caption": self.get("caption"),
            "header": list(self.get("header") or []),
            "content": [list(row) for row in self.get("rows") or []],
        }


class TableBlock(blocks.StructBlock):
    """DSFR « tableau »: a small table of text, with a caption and a header row."""

    caption = blocks.CharBlock(
        label=_("titre du tableau"),
        max_length=200,
        help_text=_("Décrit le contenu du tableau ; lu en premier par les lecteurs d’écran."),
    )
    header = blocks.ListBlock(
        blocks.CharBlock(label=_("cellule"), max_length=200), label=_("ligne d’en-tête")
    )
    rows = blocks.ListBlock(
        blocks.ListBlock(
            blocks.CharBlock(label=_("cellule"), required=False, max_length=500),
            label=_("ligne"),
        ),
        label=_("lignes"),
    )

    class Meta:
        label = _("Tableau")
        icon = "table"
        template = "cms/blocks/table.html"
        value_class = TableValue
        description = _("Un tableau simple, avec un titre et une ligne d’en-tête.")
        preview_value = {
            "caption": "Durée maximale des phases",
            "header": ["Phase", "Durée"],
            "rows": [["Investigation", "6 mois"], ["Construction", "12 mois"]],
        }
        preview_template = PREVIEW_TEMPLATE


class KeyFigureBlock(blocks.StructBlock):
    value = blocks.CharBlock(label=_("chiffre"), max_length=20, help_text=_("Par exemple : 42"))
    label = blocks.CharBlock(label=_("libellé"), max_length=120)

    class Meta:
        label = _("Chiffre clé")
        icon = "decimal"


class KeyFiguresBlock(blocks.StructBlock):
    """A row of key figures (« chiffres clés »), each a number and what it counts."""

    title = blocks.CharBlock(label=_("titre"), required=False, max_length=200)
    figures = blocks.ListBlock(KeyFigureBlock(), label=_("chiffres"), min_num=1, max_num=6)

    class Meta:
        label = _("Chiffres clés")
        icon = "decimal"
        template = "cms/blocks/key_figures.html"
        description = _("Une rangée de chiffres clés.")
        preview_value = {
            "title": "L’incubateur en chiffres",
            "figures": [
                {"value": "24", "label": "startups accompagnées"},
                {"value": "11", "label": "territoires partenaires"},
            ],
        }
        preview_template = PREVIEW_TEMPLATE


class BodyStreamBlock(blocks.StreamBlock):
    """The content of a standard or news page: DSFR blocks only."""

    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    callout = CalloutBlock()
    quote = QuoteBlock()
    image = FigureBlock()
    accordions = AccordionGroupBlock()
    cards = CardGridBlock()
    table = TableBlock()
    key_figures = KeyFiguresBlock()
