"""Personal data in real Chromium: an agent downloads their data, deletes their account,
and cannot log in again; their lesson stays, attributed to « ancien membre »."""

import datetime
import json
import re

import pytest

from accounts.models import User
from incubator import services
from incubator.enums import MembershipRole
from incubator.models import Lesson, Membership
from tests.factories import TEST_PASSWORD, IncubatorFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "lea.depart@ville-exemple.fr"


def log_in(page, email):
    page.goto("/comptes/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def test_an_agent_downloads_their_data_deletes_their_account_and_cannot_log_in(
    page, assert_accessible
):
    incubator = IncubatorFactory(name="Incubateur du Littoral")
    incubator.coaches.add(UserFactory(coach=True))
    agent = UserFactory(email=EMAIL, display_name="Léa Départ")
    startup = StartupFactory(
        incubator=incubator, name="Cantine Locale", started_on=datetime.date(2025, 1, 6)
    )
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    lesson = services.lesson_create(
        startup=startup, author=agent, title="Goûter avec les élèves", body="Ils savent."
    )

    log_in(page, EMAIL)
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="Léa Départ").click()
    page.get_by_role("heading", name="Mes données personnelles").wait_for()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mes données").click()
    download = download_info.value
    assert re.fullmatch(
        r"mes-donnees-territoires-lab-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename
    )
    with open(download.path(), encoding="utf-8") as exported:
        data = json.load(exported)
    assert data["compte"]["adresse_email"] == EMAIL
    assert [row["titre"] for row in data["contributions"]["lecons"]] == [lesson.title]

    page.get_by_role("link", name="Supprimer mon compte").click()
    page.get_by_role("heading", name="Supprimer mon compte", level=1).wait_for()
    assert_accessible(page)
    page.get_by_label("Votre mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    page.get_by_text("Mot de passe incorrect : votre compte n’a pas été supprimé.").wait_for()
    assert_accessible(page)
    assert User.objects.get(pk=agent.pk).is_active

    page.get_by_label("Votre mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_text("Votre compte a été supprimé.").is_visible()
    assert page.get_by_role("banner").get_by_role("link", name="Se connecter").is_visible()

    log_in(page, EMAIL)
    page.get_by_text("incorrect").first.wait_for()
    assert "/comptes/login/" in page.url
    assert not User.objects.filter(email=EMAIL).exists()
    assert str(Lesson.objects.get(pk=lesson.pk).author) == "ancien membre"

    # The footer's « Données personnelles » page says what is kept and leads to both actions.
    page.get_by_role("contentinfo").get_by_role("link", name="Données personnelles").click()
    page.get_by_role("heading", name="Données personnelles", level=1).wait_for()
    assert_accessible(page)
    assert page.get_by_role("link", name="télécharger mes données").is_visible()
    assert page.get_by_role("link", name="supprimer mon compte").is_visible()
