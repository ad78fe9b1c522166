"""Calls for projects in real Chromium: an agent applies, a coach accepts, the startup starts."""

import datetime
import re

from django.utils import timezone

import pytest

from incubator.enums import Phase
from incubator.models import Startup
from tests.e2e.test_workspace_journeys import log_in
from tests.factories import (
    CallForProjectsFactory,
    CohortFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_applies_a_coach_accepts_and_the_startup_starts(
    page, browser, live_server, settings, assert_accessible
):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own journey
    now = timezone.now()
    cohort = CohortFactory(name="Promotion Printemps", start_date=now.date())
    call = CallForProjectsFactory(
        program=cohort.program,
        title="Appel Guichets 2026",
        opens_on=now.date() - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=20),
    )
    TerritoryFactory(name="Ville de Rodez")
    agent = UserFactory(display_name="Inès Agent")
    coach = UserFactory(coach=True, display_name="Camille Coach")
    cohort.program.incubator.coaches.add(coach)

    # The agent applies.
    log_in(page, agent)
    page.goto("/espace/appels/")
    page.get_by_text(call.title).first.wait_for()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Candidater")).first.click()
    page.get_by_label("Titre du projet").fill("Guichet sans attente")
    page.get_by_label("Problème à résoudre").fill("Deux heures d’attente à l’état civil.")
    page.get_by_label("Territoire sponsor").select_option(label="Ville de Rodez")
    page.get_by_label("Contact chez le sponsor").fill("Dominique Élu")
    page.get_by_label("E-mail du contact").fill("dominique@rodez.example.fr")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.get_by_role("button", name="Envoyer la candidature").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer la candidature").click()
    page.get_by_text("Envoyée").first.wait_for()

    # The coach accepts it into the cohort.
    coach_page = browser.new_context(locale="fr-FR", base_url=live_server.url).new_page()
    log_in(coach_page, coach)
    coach_page.goto("/espace/selection/")
    coach_page.get_by_role("link", name="Guichet sans attente").click()
    coach_page.get_by_role("heading", name="Guichet sans attente").first.wait_for()
    assert_accessible(coach_page)
    coach_page.get_by_role("combobox", name=re.compile("^Promotion")).select_option(str(cohort.pk))
    first_review = (now.date() + datetime.timedelta(days=60)).isoformat()
    coach_page.get_by_label("Date du premier comité").fill(first_review)
    coach_page.get_by_role("button", name="Retenir", exact=True).click()
    coach_page.get_by_role("link", name=re.compile("Guichet sans attente")).first.wait_for()
    startup = Startup.objects.get(name="Guichet sans attente")
    assert startup.phase == Phase.INVESTIGATION and startup.cohort == cohort

    # The startup is on the coach's board, and in the agent's "Mes startups".
    coach_page.goto("/espace/tableau/")
    coach_page.get_by_role("link", name="Guichet sans attente").first.wait_for()
    page.goto("/espace/startups/")
    page.get_by_role("link", name="Guichet sans attente").click()
    page.get_by_role("heading", name="Guichet sans attente", level=1).wait_for()
    coach_page.context.close()
