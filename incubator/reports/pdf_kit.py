"""The PDF toolkit of reports: fonts, safe text, styles, tables, page furniture.

Text goes through `safe_text`, so any name (accents, ’, emoji) renders: a
character the font lacks becomes a fallback glyph, never an exception.
"""

import functools
import html
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from incubator.enums import Phase
from incubator.reports.data import PLATFORM_NAME
from incubator.reports.formatting import fr_date

# DejaVu covers far more of Unicode than the PDF base fonts; used only when installed.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
_DEJAVU = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "bold_italic": "DejaVuSans-BoldOblique.ttf",
}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 2 * cm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
FOOTER_SIZE = 7.5

# DSFR colours: blue France, red Marianne, greys, success and warning.
BLUE = colors.HexColor("#000091")
RED = colors.HexColor("#E1000F")
RED_PALE = colors.HexColor("#FFBDBD")
GREEN_HEX, RED_HEX = "#18753C", "#CE0500"  # for <font> markup in paragraphs
GREEN = colors.HexColor(GREEN_HEX)
GREY = colors.HexColor("#666666")
GREY_LIGHT = colors.HexColor("#DDDDDD")
GREY_PALE = colors.HexColor("#F6F6F6")

PHASE_COLOURS = {
    Phase.INVESTIGATION: colors.HexColor("#8585F6"),
    Phase.CONSTRUCTION: colors.HexColor("#6A6AF4"),
    Phase.ACCELERATION: colors.HexColor("#313178"),
    Phase.CONSOLIDATION: colors.HexColor("#000091"),
    Phase.TRANSFERRED: GREEN,
    Phase.OPERATED: GREEN,
    Phase.ABANDONED: GREY,
}


# --- Fonts and text ----------------------------------------------------------------


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str
    italic: str
    glyphs: frozenset | None  # code points of a TTF; None for the base fonts (cp1252)
    fallback: str

    def covers(self, char: str) -> bool:
        if self.glyphs is not None:
            return ord(char) in self.glyphs
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True


@functools.cache
def font_set() -> FontSet:
    """DejaVu Sans when the system has it, else the PDF base font Helvetica."""
    for directory in FONT_DIRS:
        paths = {style: Path(directory) / name for style, name in _DEJAVU.items()}
        if not all(path.is_file() for path in paths.values()):
            continue
        try:
            for style, path in paths.items():
                pdfmetrics.registerFont(TTFont(f"TLDejaVu-{style}", str(path)))
        except Exception:  # noqa: S112 - an unreadable font file: try the next, then Helvetica
            continue
        pdfmetrics.registerFontFamily(
            "TLDejaVu",
            normal="TLDejaVu-regular",
            bold="TLDejaVu-bold",
            italic="TLDejaVu-italic",
            boldItalic="TLDejaVu-bold_italic",
        )
        glyphs = frozenset(pdfmetrics.getFont("TLDejaVu-regular").face.charToGlyph)
        return FontSet("TLDejaVu-regular", "TLDejaVu-bold", "TLDejaVu-italic", glyphs, "□")
    return FontSet("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", None, "?")


# Combining marks and emoji modifiers the font lacks: dropped, not replaced.
_DROPPABLE = {"Mn", "Me", "Sk"}


def safe_text(text, fonts: FontSet) -> str:
    """`text` with only characters the font can draw; others become the fallback glyph."""
    out = []
    for char in unicodedata.normalize("NFC", str(text or "")):
        if char == "\n":
            out.append(char)
            continue
        category = unicodedata.category(char)
        # Controls, format marks (joiners, bidi overrides), surrogates, private or unassigned.
        if category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            continue
        if fonts.covers(char):
            out.append(char)
        elif category not in _DROPPABLE:
            out.append(fonts.fallback)
    return "".join(out)


def metadata_text(text: str) -> str:
    """Document properties need no font: keep every character but controls."""
    return "".join(
        char
        for char in unicodedata.normalize("NFC", " ".join(str(text).split()))
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )


# --- Styles and building blocks ---------------------------------------------------


class Kit:
    """Styles and flowable helpers bound to one font set."""

    def __init__(self, fonts: FontSet):
        self.fonts = fonts
        base = ParagraphStyle(
            "base", fontName=fonts.regular, fontSize=9.5, leading=12.5, spaceAfter=4
        )
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=GREY)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.cell_small = ParagraphStyle("cell_small", parent=self.cell, fontSize=7.5, leading=9)
        self.cell_head = ParagraphStyle(
            "cell_head", parent=self.cell, fontName=fonts.bold, textColor=colors.white
        )
        self.kicker = ParagraphStyle(
            "kicker", parent=base, fontName=fonts.bold, fontSize=8.5, textColor=RED, spaceAfter=6
        )
        self.title = ParagraphStyle(
            "title", parent=base, fontName=fonts.bold, fontSize=22, leading=26, textColor=BLUE
        )
        self.subtitle = ParagraphStyle(
            "subtitle", parent=base, fontName=fonts.italic, fontSize=11, leading=14, spaceAfter=10
        )
        self.h1 = ParagraphStyle(
            "h1",
            parent=base,
            fontName=fonts.bold,
            fontSize=14,
            leading=17,
            textColor=BLUE,
            spaceBefore=14,
            spaceAfter=6,
        )
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontName=fonts.bold, fontSize=10.5, leading=13, spaceBefore=8
        )

    def text(self, value) -> str:
        """Escaped, font-safe markup for a Paragraph."""
        return html.escape(safe_text(value, self.fonts), quote=False).replace("\n", "<br/>")

    def plain(self, value) -> str:
        """Font-safe text for a chart String (no markup)."""
        return safe_text(value, self.fonts).replace("\n", " ")

    def p(self, value, style=None) -> Paragraph:
        return Paragraph(self.text(value), style or self.body)

    def markup(self, markup: str, style=None) -> Paragraph:
        """A paragraph whose variable parts were already passed through `text`."""
        return Paragraph(markup, style or self.body)

    def bold(self, value, *, colour: str | None = None, style=None) -> Paragraph:
        markup = f"<b>{self.text(value)}</b>"
        if colour:
            markup = f'<font color="{colour}">{markup}</font>'
        return self.markup(markup, style)

    def labelled(self, label: str, value) -> Paragraph:
        return self.markup(f"<b>{self.text(label)}</b> {self.text(value)}")

    def heading(self, value) -> list:
        # Keep a heading off the bottom of a page.
        return [CondPageBreak(3 * cm), self.p(value, self.h1)]

    def bullets(self, items: list) -> ListFlowable:
        return ListFlowable(
            [ListItem(item, leftIndent=12, value="•") for item in items],
            bulletType="bullet",
            start="•",
            leftIndent=12,
            bulletFontName=self.fonts.regular,
        )

    def table(self, header, rows, widths, *, align_right=(), total_row=False) -> Table:
        """A striped table of paragraphs (cells wrap); the header repeats on each page."""
        data = [[self.p(cell, self.cell_head) for cell in header]]
        for row in rows:
            data.append(
                [
                    cell
                    if isinstance(cell, Paragraph)
                    else self.p(cell, self.cell_right if index in align_right else self.cell)
                    for index, cell in enumerate(row)
                ]
            )
        total = sum(widths)
        table = Table(
            data,
            colWidths=[FRAME_WIDTH * w / total for w in widths],
            repeatRows=1,
            splitInRow=1,
            hAlign="LEFT",
        )
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), BLUE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY_LIGHT),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for index in range(2, len(data), 2):
            style.append(("BACKGROUND", (0, index), (-1, index), GREY_PALE))
        if total_row and len(data) > 1:
            style += [("LINEABOVE", (0, -1), (-1, -1), 0.8, BLUE)]
        table.setStyle(TableStyle(style))
        return table

    def key_values(self, pairs) -> Table:
        """The title block's "label: value" grid."""
        data = [
            [self.markup(f"<b>{self.text(k)}</b>", self.cell), self.p(v, self.cell)]
            for k, v in pairs
        ]
        table = Table(data, colWidths=[FRAME_WIDTH * 0.3, FRAME_WIDTH * 0.7], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY_LIGHT),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table


# --- Page furniture ----------------------------------------------------------------


def _canvas_maker(*, fonts: FontSet, left: str, generated: str):
    """A canvas that, once every page is laid out, writes "Page N sur M" on each."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._page_states = []

        def showPage(self):  # noqa: N802 - reportlab's API
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._page_states)
            for state in self._page_states:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int):
            self.saveState()
            y = MARGIN * 0.55
            self.setStrokeColor(GREY_LIGHT)
            self.setLineWidth(0.5)
            self.line(MARGIN, y + 16, PAGE_WIDTH - MARGIN, y + 16)
            self.setFillColor(GREY)
            self.setFont(fonts.regular, FOOTER_SIZE)
            self.drawString(MARGIN, y + 6, left)
            self.drawString(MARGIN, y - 4, generated)
            self.setFont(fonts.bold, 8)
            self.drawRightString(
                PAGE_WIDTH - MARGIN,
                y + 1,
                _("Page %(page)d sur %(total)d") % {"page": self._pageNumber, "total": total},
            )
            self.restoreState()

    return NumberedCanvas


def _footer_text(kit: Kit, name: str, rest: str) -> str:
    """« name · rest » on one footer line, the name shortened when the line is too long."""
    room = FRAME_WIDTH - 70  # the page number sits on the right
    name = kit.plain(" ".join(name.split()))
    rest = kit.plain(rest)
    while name:
        text = f"{name} · {rest}"
        if pdfmetrics.stringWidth(text, kit.fonts.regular, FOOTER_SIZE) <= room:
            return text
        name = name[:-2].rstrip() + "…" if len(name) > 2 else ""
    return rest


def build_pdf(
    story, *, kit: Kit, title: str, subject: str, footer_name: str, footer_rest: str, generated_on
) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 0.4 * cm,
        title=metadata_text(title),
        author=PLATFORM_NAME,
        subject=metadata_text(subject),
        creator=PLATFORM_NAME,
        lang="fr-FR",
        displayDocTitle=True,
    )
    generated = _("Généré le %(date)s par %(platform)s") % {
        "date": fr_date(generated_on),
        "platform": PLATFORM_NAME,
    }
    doc.build(
        story,
        canvasmaker=_canvas_maker(
            fonts=kit.fonts,
            left=_footer_text(kit, footer_name, footer_rest),
            generated=generated,
        ),
    )
    return buffer.getvalue()


def version_text(public: bool) -> str:
    if public:
        return _("Version publique : ne contient que des informations publiables.")
    return _(
        "Version interne : contient des données non publiques (équipe, notes de comité, "
        "budgets, leçons privées). À ne pas diffuser hors de l’équipe, de l’incubateur "
        "et des sponsors."
    )


def sources_section(kit: Kit, lines, method: list[str]) -> list:
    # Kept on one page: a last page holding only the end of a note reads as a mistake.
    return [
        KeepTogether(
            [
                kit.p(_("Sources et méthode"), kit.h1),
                kit.labelled(_("Sources :"), " ".join(lines)),
                *(kit.p(line, kit.small) for line in method),
            ]
        )
    ]
