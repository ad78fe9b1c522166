"""`manage.py update_legal_pages`: a « Données personnelles » page still holding an old
default text gets the current one, as a new published revision; an editor's text stays."""

import copy
import io

from django.core.management import call_command
from django.utils.html import strip_tags

import pytest

from cms.legal_pages import FORMER_DEFAULTS
from cms.models import StandardPage
from cms.setup import LEGAL_PAGES

pytestmark = pytest.mark.django_db

SLUG = "donnees-personnelles"
PRE_STREAMFIELD, BEFORE_DETAILED_PAGE, *_LATER = FORMER_DEFAULTS[SLUG]


def update(*args) -> str:
    out = io.StringIO()
    call_command("update_legal_pages", *args, stdout=out)
    return out.getvalue()


def privacy_page() -> StandardPage:
    return StandardPage.objects.get(slug=SLUG)


def publish(body) -> StandardPage:
    page = privacy_page()
    page.body = copy.deepcopy(body)
    page.save_revision().publish()
    return privacy_page()


def text(page) -> str:
    return strip_tags(str(page.body.render_as_block()))


@pytest.mark.parametrize("old_default", [PRE_STREAMFIELD, BEFORE_DETAILED_PAGE])
def test_an_untouched_old_default_becomes_the_current_text_and_stays_in_the_history(
    client, old_default
):
    page = publish(old_default)
    revisions = page.revisions.count()

    output = update()

    page = privacy_page()
    assert "nouveau texte publié" in output
    assert page.revisions.count() == revisions + 1
    assert page.live_revision == page.latest_revision
    html = client.get(page.url).text
    assert "télécharger mes données" in html
    assert "strictement nécessaires" not in html
    previous = page.revisions.order_by("-created_at", "-pk")[1].as_object()
    assert "strictement nécessaires" in text(previous)


def test_a_page_created_with_todays_text_follows_the_next_default(monkeypatch):
    """When cms.setup's text changes (the retention periods, say), pages created today
    get the new one too: today's default is already among the former ones."""
    next_default = [{"type": "paragraph", "value": "<p>Durées de conservation appliquées.</p>"}]
    monkeypatch.setitem(LEGAL_PAGES, SLUG, ("Données personnelles", next_default))
    assert "nouveau texte publié" in update()
    assert text(privacy_page()).strip() == "Durées de conservation appliquées."


def test_a_text_changed_by_an_editor_is_never_overwritten():
    edited = copy.deepcopy(BEFORE_DETAILED_PAGE)
    edited[0]["value"] = edited[0]["value"].replace("journaux de connexion", "adresse IP")
    page = publish(edited)
    revisions = page.revisions.count()

    output = update()

    page = privacy_page()
    assert "laissée telle quelle" in output
    assert page.revisions.count() == revisions
    assert "adresse IP" in text(page)


def test_a_pending_draft_is_left_to_its_editor():
    page = publish(BEFORE_DETAILED_PAGE)
    page.body = copy.deepcopy(LEGAL_PAGES[SLUG][1][:1])
    draft = page.save_revision()

    update()

    page = privacy_page()
    assert page.latest_revision == draft
    assert "strictement nécessaires" in text(page)


def test_a_dry_run_changes_nothing_and_the_update_runs_once():
    page = publish(BEFORE_DETAILED_PAGE)
    revisions = page.revisions.count()

    assert "serait mise à jour" in update("--dry-run")
    assert privacy_page().revisions.count() == revisions

    update()
    assert "déjà à jour" in update()
    assert privacy_page().revisions.count() == revisions + 1
