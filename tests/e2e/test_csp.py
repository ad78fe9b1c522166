"""The Content-Security-Policy in real Chromium: no page breaks it, and their scripts still run."""

import re

from wagtail.models import Collection

import pytest

from cms.models import StartupDirectoryPage
from tests.cms.test_pages import home_page, make_image, record_public_lesson
from tests.e2e.test_workspace_journeys import log_in
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def violations(page):
    """What Chromium reports in the console as blocked by the policy, as it happens."""
    messages = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return messages


def visit(page, violations, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert violations == [], f"{path}: {violations}"


def open_dsfr_menu(page):
    """The header's Menu button opens the navigation: DSFR's script runs."""
    page.get_by_role("button", name="Menu").click()
    page.locator("#header-menu-modal").get_by_role("button", name="Fermer").wait_for()
    page.locator("#header-menu-modal").get_by_role("button", name="Fermer").click()


def test_the_main_pages_break_no_rule_of_the_policy_and_their_scripts_run(
    page, violations, settings
):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own journeys
    startup = StartupFactory(name="Guichet Unique", pitch="Un seul guichet pour les aides.")
    startup.incubator.coaches.add(coach := UserFactory(coach=True, display_name="Claire Coach"))
    record_public_lesson(startup, "Observer les usagers avant de construire")
    admin = UserFactory(superuser=True, display_name="Alice Admin")

    # A visitor on a phone.
    page.set_viewport_size(PHONE)
    visit(page, violations, "/")
    open_dsfr_menu(page)
    visit(page, violations, StartupDirectoryPage.objects.get().url)
    visit(page, violations, f"{StartupDirectoryPage.objects.get().url}{startup.slug}/")
    page.get_by_role("heading", name="Guichet Unique", level=1).wait_for()
    visit(page, violations, "/lecons/")
    page.get_by_role("searchbox", name="Rechercher").fill("usagers")
    page.get_by_role("button", name="Afficher les leçons").click()
    page.get_by_role("heading", name="1 leçon", exact=True).wait_for()
    assert violations == []
    visit(page, violations, "/comptes/login/")
    open_dsfr_menu(page)

    # A coach in the workspace.
    page.set_viewport_size(DESKTOP)
    log_in(page, coach)
    visit(page, violations, "/espace/tableau/")
    page.get_by_role("row", name=re.compile("Guichet Unique")).wait_for()
    visit(page, violations, f"/espace/startups/{startup.slug}/")
    assert page.get_by_role("progressbar").is_visible()
    page.context.clear_cookies()

    # An administrator in the Wagtail admin: its own inline initialisers run by nonce.
    log_in(page, admin)
    visit(page, violations, "/admin/snippets/incubator/sponsorship/add/")
    page.locator("#id_start_date").click()
    page.locator(".xdsoft_datetimepicker").first.wait_for()  # started by a nonce'd script
    visit(page, violations, f"/admin/pages/{home_page().pk}/edit/")
    page.locator("[data-side-panel-toggle='preview']").click()
    # The preview frame (same origin) shows the page, DSFR header included.
    page.frame_locator("#w-preview-iframe").locator("header.fr-header").wait_for()
    page.wait_for_load_state("networkidle")
    assert violations == []


# Wagtail leaves the buffer of each new rendition for the garbage collector.
@pytest.mark.filterwarnings("ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning")
def test_the_image_focal_point_chooser_runs_under_the_admin_policy(
    page, violations, settings, tmp_path
):
    """Jcrop, the focal point chooser, probes for touch screens with an inline handler."""
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own journeys
    settings.MEDIA_ROOT = tmp_path
    if not Collection.get_first_root_node():  # flushed by an earlier transactional test
        Collection.add_root(name="Root")
    image = make_image()
    log_in(page, UserFactory(superuser=True))

    visit(page, violations, f"/admin/images/{image.pk}/")
    page.locator(".jcrop-holder").wait_for()  # the chooser started
    assert violations == []
