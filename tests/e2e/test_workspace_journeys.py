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
