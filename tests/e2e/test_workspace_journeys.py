"""Workspace journeys in real Chromium: agents, coaches and territory référents."""

import datetime
import re

import pytest

from incubator.enums import MembershipRole, Visibility
from incubator.models import Membership, Sponsorship
from tests.factories import TEST_PASSWORD, StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, user):
    page.goto("/comptes/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_referent_reads_its_territory_but_not_a_startup_it_does_not_sponsor(
    page, assert_accessible
):
    referent = UserFactory(territory=True, display_name="Rémi Référent")
    territory = TerritoryFactory(name="Ville de Brest")
    territory.referents.add(referent)
    sponsored = StartupFactory(name="Logement Solidaire", visibility=Visibility.PRIVATE)
    Sponsorship.objects.create(startup=sponsored, territory=territory, amount_cents=30_000_00)
    foreign = StartupFactory(name="Projet Voisin", visibility=Visibility.PRIVATE)

    log_in(page, referent)
    page.get_by_role("link", name="Mon espace").click()
    page.get_by_role("heading", name="Ville de Brest").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Logement Solidaire").click()
    page.get_by_role("heading", name="Logement Solidaire").wait_for()
    assert_accessible(page)

    response = page.goto(f"/espace/startups/{foreign.slug}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page non trouvée").is_visible()
    assert "Projet Voisin" not in page.content()


def test_an_agent_finds_the_startup_cockpit(page, assert_accessible):
    agent = UserFactory(display_name="Inès Agent")
    startup = StartupFactory(name="Cantine Locale", started_on=datetime.date(2025, 1, 6))
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)

    log_in(page, agent)
    page.get_by_role("link", name="Mon espace").click()
    page.get_by_role("heading", name="Mes startups").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Cantine Locale").click()
    page.get_by_role("heading", name="Cantine Locale", level=1).wait_for()
    assert page.get_by_role("progressbar").is_visible()
    assert_accessible(page)


def test_an_agent_logs_a_milestone_and_sees_it_on_the_timeline(page, assert_accessible):
    agent = UserFactory(display_name="Inès Agent")
    startup = StartupFactory(name="Cantine Locale", started_on=datetime.date(2025, 1, 6))
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)

    log_in(page, agent)
    page.goto(f"/espace/startups/{startup.slug}/")
    page.get_by_role("link", name="Ajouter un jalon").click()
    assert_accessible(page)
    page.get_by_label("Intitulé").fill("Premier collège livré")
    page.get_by_label("État").select_option("achieved")
    page.get_by_label("Atteint le").fill("2025-03-14")
    page.get_by_label("Preuve").fill("pas-un-lien")
    page.get_by_role("button", name="Enregistrer le jalon").click()
    assert page.get_by_text("Saisissez une URL valide").first.is_visible()

    page.get_by_label("Preuve").fill("https://cantine.exemple.fr/bilan")
    page.get_by_role("button", name="Enregistrer le jalon").click()
    page.get_by_text("Jalon « Premier collège livré » enregistré.").wait_for()
    page.get_by_role("link", name="Tout le journal").click()
    page.get_by_text("Jalon atteint : Premier collège livré").wait_for()
    assert_accessible(page)


def _coach_and_startup():
    coach = UserFactory(coach=True, display_name="Claire Coach")
    startup = StartupFactory(name="Signalement Voirie", started_on=datetime.date(2025, 1, 6))
    startup.incubator.coaches.add(coach)
    return coach, startup


def test_a_coach_holds_a_review_that_advances_the_phase_and_the_board_updates(
    page, assert_accessible, settings
):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own journey
    coach, startup = _coach_and_startup()

    log_in(page, coach)
    page.goto("/espace/tableau/")
    row = page.get_by_role("row", name=re.compile("Signalement Voirie"))
    assert "investigation" in row.inner_text().lower()
    assert_accessible(page)

    page.goto(f"/espace/startups/{startup.slug}/")
    page.get_by_role("link", name="Tenir un comité").click()
    assert_accessible(page)
    page.get_by_label("Date du comité").fill("2025-06-02")
    page.get_by_label("Passer à la phase suivante").check(
        force=True
    )  # DSFR styles the label over the radio
    page.get_by_label("Justification de la décision").fill(
        "Le besoin est confirmé par 40 entretiens."
    )
    page.locator("#id_next_review_date").fill("2025-12-02")
    page.get_by_role("button", name="Enregistrer le comité").click()
    page.get_by_role("heading", name="Signalement Voirie", level=1).wait_for()

    page.goto("/espace/tableau/")
    row = page.get_by_role("row", name=re.compile("Signalement Voirie"))
    assert "construction" in row.inner_text().lower()
    startup.refresh_from_db()
    assert startup.phase == "construction"


def test_a_coach_who_stops_a_startup_must_document_the_failure(page, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    coach, startup = _coach_and_startup()

    log_in(page, coach)
    page.goto(f"/espace/startups/{startup.slug}/comite/nouveau/")
    page.get_by_label("Date du comité").fill("2025-06-02")
    page.get_by_label("Arrêter").check(force=True)
    page.get_by_label("Justification de la décision").fill("Pas de besoin réel.")
    page.get_by_role("button", name="Enregistrer le comité").click()
    # Nothing is written: the form asks for the post-mortem and a lesson.
    assert page.get_by_role("heading", name=re.compile("Comité de Signalement Voirie")).is_visible()
    startup.refresh_from_db()
    assert startup.phase == "investigation"

    page.get_by_label("Cause principale de l’arrêt").select_option("no_user_need")
    page.get_by_label("Ce que nous avons appris").fill(
        "Les services techniques avaient déjà un outil."
    )
    page.get_by_label("Pourquoi nous arrêtons").fill("Le besoin n’a pas été confirmé.")
    page.get_by_label("Conseils pour qui relancerait le projet").fill("Partir de l’outil existant.")
    page.locator("[name$='-0-title']").fill("Inventorier les outils existants")
    page.locator("[name$='-0-body']").fill("Un tour des services aurait évité six mois.")
    page.get_by_role("button", name="Enregistrer le comité").click()
    page.get_by_role("heading", name="Signalement Voirie", level=1).wait_for()
    startup.refresh_from_db()
    assert startup.phase == "abandon"
    assert startup.failures.get().lessons.get().title == "Inventorier les outils existants"
