"""Report journeys in real Chromium: ask, follow the generation, read, publish, download."""

import datetime
import hashlib
import re

import pytest

from incubator.enums import MembershipRole, ReportStatus
from incubator.models import Membership, Report, Sponsorship
from incubator.services.reports import report_run
from tests.e2e.test_workspace_journeys import log_in
from tests.factories import StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sha256_of(path) -> str:
    with open(path, "rb") as downloaded:
        return hashlib.sha256(downloaded.read()).hexdigest()


def test_an_agent_follows_a_report_being_generated_then_reads_it(page, settings, assert_accessible):
    # A queue that waits (like db_worker between two polls), so the page shows each state.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    agent = UserFactory(display_name="Inès Agent")
    startup = StartupFactory(name="Cantine l’École 🍎", started_on=datetime.date(2025, 1, 6))
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)

    log_in(page, agent)
    page.goto(f"/espace/startups/{startup.slug}/")
    page.get_by_role("link", name="Rapports d’avancement").click()
    page.get_by_role("heading", name="Cantine l’École 🍎", level=1).wait_for()
    assert_accessible(page)
    page.get_by_label("Année").select_option("2025")
    page.get_by_text("Interne : toutes les données").click()
    page.get_by_role("button", name="Générer le rapport").click()
    page.get_by_text("il se génère en arrière-plan").wait_for()
    page.get_by_text("En file d’attente").wait_for()

    # The worker takes it: the page follows on its own, without a reload.
    report = Report.objects.get()
    assert report_run(report.pk) == ReportStatus.DONE
    page.get_by_text("Prêt", exact=True).wait_for(timeout=10_000)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^PDF")).click()
    path = download_info.value.path()
    report.refresh_from_db()
    assert sha256_of(path) == report.sha256

    page.get_by_role("link", name=re.compile(r"^Lire")).click()
    page.get_by_text(report.sha256).wait_for()
    assert page.locator("article.tl-report").get_by_text("Cantine l’École 🍎").first.is_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})  # a phone: tables scroll
    assert_accessible(page)


def test_a_coach_publishes_a_territory_report_that_the_public_reads(
    page, settings, assert_accessible
):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own journey
    coach = UserFactory(coach=True, display_name="Camille Coach")
    territory = TerritoryFactory(name="Ville d’Aurillac", slug="aurillac")
    shown = StartupFactory(name="Mobilité Douce", started_on=datetime.date(2025, 2, 1))
    hidden = StartupFactory(
        name="Projet Confidentiel",
        incubator=shown.incubator,
        visibility="private",
        started_on=datetime.date(2025, 2, 1),
    )
    shown.incubator.coaches.add(coach)
    for startup in (shown, hidden):
        Sponsorship.objects.create(startup=startup, territory=territory, amount_cents=10_000_00)

    log_in(page, coach)
    page.get_by_role("link", name="Rapports", exact=True).click()
    page.get_by_role("link", name="Ville d’Aurillac").click()
    page.get_by_label("Année").select_option("2025")
    page.get_by_text("Publique : données publiques seulement").click()
    page.get_by_role("button", name="Générer le rapport").click()
    page.get_by_text("Prêt", exact=True).wait_for()  # the test queue runs at once
    page.get_by_role("button", name=re.compile("Publier sur le site public")).click()
    page.get_by_text("Le rapport est publié sur le site public.").wait_for()

    # Anyone, logged in or not, finds it on the public site.
    page.context.clear_cookies()
    page.goto("/rapports/")
    page.get_by_role("heading", name="Rapports publiés").wait_for()
    assert_accessible(page)
    page.get_by_label("Territoire ou incubateur").select_option(label="Ville d’Aurillac")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name=re.compile("Rapport de territoire")).click()
    page.get_by_role("heading", name="Ville d’Aurillac", level=1).wait_for()
    article = page.locator("article.tl-report")
    assert article.get_by_text("Mobilité Douce").first.is_visible()
    assert "Projet Confidentiel" not in page.content()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Télécharger le rapport")).click()
    report = Report.objects.get()
    path = download_info.value.path()
    assert sha256_of(path) == report.sha256
