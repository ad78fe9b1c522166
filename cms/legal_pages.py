"""Bring legal pages created with an older default text up to the current one.

`cms.setup.ensure_mandatory_pages` only creates the legal pages that are missing, so a
database created before the « Données personnelles » text changed keeps the old one. A
page is updated only while its published text is, block for block, a former default and
no draft is pending: an editor's text is never overwritten. The update is a new
published revision, so the page's history keeps the old text.
"""

import copy
import enum
import json
from pathlib import Path

from django.db import transaction

from cms.models import StandardPage
from cms.setup import LEGAL_PAGES

_PRIVACY_INTRO = (
    "<p>Territoires Lab traite les données strictement nécessaires au suivi des "
    "startups de territoire : adresse e-mail, nom affiché et rôle des membres, "
    "journaux de connexion.</p>"
)
_PRIVACY_RIGHTS = (
    "<p>Vous pouvez accéder à vos données, les rectifier ou demander leur "
    "effacement en écrivant à l’opérateur du service.</p>"
)


def _paragraph(html: str) -> dict:
    return {"type": "paragraph", "value": html}


def _snapshot(name: str) -> list[dict]:
    """A former default kept as JSON (cms/legal_defaults/), for the long ones."""
    return json.loads((Path(__file__).parent / "legal_defaults" / name).read_text("utf-8"))


# Every default text a page was ever created with, by slug, today's included. When a
# default of cms.setup.LEGAL_PAGES changes, save the new one in cms/legal_defaults/ and
# list it here (tests/cms/test_legal_pages_update.py fails until then).
FORMER_DEFAULTS = {
    "donnees-personnelles": [
        # Until cms 0005 the body was rich text: that migration made it one paragraph.
        [_paragraph(f"{_PRIVACY_INTRO}<h2>Vos droits</h2>{_PRIVACY_RIGHTS}")],
        # From cms 0005 to the detailed page of docs/privacy.md.
        [
            _paragraph(_PRIVACY_INTRO),
            {"type": "heading", "value": {"text": "Vos droits", "level": "h2"}},
            _paragraph(_PRIVACY_RIGHTS),
        ],
        # The detailed page of November 2026, before the retention periods were enforced.
        _snapshot("donnees-personnelles-2026-11.json"),
        # Since 25 November 2026: retention periods enforced by purge_expired_data. Today's
        # text is kept here too, so pages created now follow its next change.
        _snapshot("donnees-personnelles-2026-11-25.json"),
    ],
}


class Outcome(enum.StrEnum):
    UPDATED = "updated"
    CURRENT = "current"  # already the current default
    EDITED = "edited"  # an editor's text, or a draft pending: left alone


def _blocks(raw_stream) -> list[dict]:
    """A StreamField's raw data without the block ids, which every copy draws anew."""
    return [{"type": block["type"], "value": block["value"]} for block in raw_stream]


@transaction.atomic
def legal_pages_refresh(*, dry_run: bool = False) -> dict[str, Outcome]:
    """Publish the current default text on every legal page still holding a former one.

    Returns each page's outcome by its URL path; `dry_run` only says what would happen.
    """
    outcomes = {}
    pages = StandardPage.objects.filter(slug__in=FORMER_DEFAULTS).order_by("path")
    for page in pages.select_for_update():
        current = LEGAL_PAGES[page.slug][1]
        body = _blocks(page.body.raw_data)
        if body == _blocks(current):
            outcome = Outcome.CURRENT
        elif page.has_unpublished_changes or body not in FORMER_DEFAULTS[page.slug]:
            outcome = Outcome.EDITED
        else:
            outcome = Outcome.UPDATED
            if not dry_run:
                page.body = copy.deepcopy(current)
                page.save_revision(log_action=True).publish()
        outcomes[page.url_path] = outcome
    return outcomes
