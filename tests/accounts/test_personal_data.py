"""Personal data (RGPD): a person downloads their data and deletes their account; what they
wrote stays, attributed to « ancien membre »; the « Données personnelles » page says so."""

import datetime
import json
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.log_actions import log

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from cms.models import StandardPage, StartupDirectoryPage
from incubator import services
from incubator.enums import MembershipRole, MilestoneStatus, Phase, ReportKind, Visibility
from incubator.models import Lesson, Membership, PhaseTransition
from programs import services as program_services
from programs.calls import Application
from tests.factories import (
    TEST_PASSWORD,
    CallForProjectsFactory,
    CohortFactory,
    IncubatorFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
    paris,
)

pytestmark = pytest.mark.django_db

ZOE_EMAIL = "zoe.quenelle@ville-exemple.fr"
ZOE_NAME = "Zoé Quenelle-Ardoise"
BRUNO_EMAIL = "bruno.voisin@ville-exemple.fr"
DELETE_URL = "/comptes/supprimer/"
PROCONNECT_SUB = "sub-pairwise-zoe-4242"
# Retention periods, as the page (French) and docs/privacy.md (English) state them.
RETENTIONS = [
    ("12 heures au plus, 2 heures sans activité", "12 hours at most, 2 hours idle"),
    ("15 minutes au plus", "15 minutes at most"),
    ("3 jours", "3 days"),
    ("10 ans", "10 years"),
    ("2 ans après la décision", "**2 years** after its decision"),
    ("1 an, puis effacées chaque nuit", "1 year after sending"),
]


@pytest.fixture
def world(settings):
    """A public startup with two coaches and two agents; Zoé, an agent, wrote a milestone
    and a public lesson, and Paul, a coach, decided a phase change."""
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    incubator = IncubatorFactory(name="Incubateur des Rivières")
    paul = UserFactory(coach=True, display_name="Paul Décideur-Vigilant")
    claire = UserFactory(coach=True, display_name="Claire Seconde")
    incubator.coaches.add(paul, claire)
    zoe = UserFactory(email=ZOE_EMAIL, display_name=ZOE_NAME)
    bruno = UserFactory(email=BRUNO_EMAIL, display_name="Bruno Voisin")
    startup = StartupFactory(
        incubator=incubator, name="Cantine Locale", started_on=datetime.date(2024, 1, 15)
    )
    for agent in (zoe, bruno):
        Membership.objects.create(
            startup=startup,
            user=agent,
            role=MembershipRole.AGENT,
            start_date=datetime.date(2024, 1, 15),
        )
    services.milestone_log(
        startup=startup,
        author=zoe,
        title="Premier repas servi au collège",
        status=MilestoneStatus.ACHIEVED,
        achieved_on=datetime.date(2024, 3, 1),
    )
    lesson = services.lesson_create(
        startup=startup,
        author=zoe,
        title="Goûter les menus avec les élèves",
        body="Les élèves choisissent mieux que nous.",
        visibility=Visibility.PUBLIC,
    )
    services.lesson_create(
        startup=startup, author=bruno, title="Leçon secrète de Bruno", body="Rien à voir."
    )
    decision = services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=paul,
        on=datetime.date(2024, 5, 2),
        rationale="Besoin confirmé par trois collèges.",
    )
    return {
        "incubator": incubator,
        "startup": startup,
        "zoe": zoe,
        "bruno": bruno,
        "paul": paul,
        "claire": claire,
        "lesson": lesson,
        "decision": decision,
    }


def logged_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=TEST_PASSWORD)
    return client


def tables_containing(text: str) -> list[str]:
    """Every column of every table (text or JSON) where `text` appears."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            rows = model._base_manager.all()
            if isinstance(field, models.CharField | models.TextField):
                rows = rows.filter(**{f"{field.name}__icontains": text})
            elif isinstance(field, models.JSONField):
                rows = rows.annotate(as_text=Cast(field.name, models.TextField()))
                rows = rows.filter(as_text__icontains=text)
            else:
                continue
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


# --- Download ----------------------------------------------------------------------


def test_the_download_holds_my_data_nobody_elses_and_no_secret(world):
    zoe = world["zoe"]
    totp_secret = generate_totp_secret()
    TOTP.activate(zoe, totp_secret)
    RecoveryCodes.activate(zoe)
    SocialAccount.objects.create(
        user=zoe,
        provider="proconnect",
        uid=PROCONNECT_SUB,
        extra_data={
            "id_token": {"sub": PROCONNECT_SUB, "nonce": "nonce-technique-xyz"},
            "userinfo": {"email": ZOE_EMAIL, "given_name": "Zoé", "siret": "11000201100044"},
        },
    )
    zoe.calendar_token = "jeton-de-calendrier-tres-secret"
    zoe.save(update_fields=["calendar_token"])
    call = CallForProjectsFactory(program__incubator=world["incubator"])
    application = Application.objects.create(
        call=call, applicant=zoe, title="Cantine zéro déchet", sponsor_contact_name="Mme Maire"
    )
    services.startup_update_profile(startup=world["startup"], actor=zoe, pitch="Des repas locaux.")

    response = logged_in(zoe).get(reverse("account_data_download"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="mes-donnees-territoires-lab-{today:%Y-%m-%d}.json"'
    )
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    data = json.loads(text)
    assert data["compte"]["adresse_email"] == ZOE_EMAIL
    assert data["compte"]["nom_affiche"] == ZOE_NAME
    assert data["compte"]["lien_de_calendrier_actif"] is True
    assert data["adresses_email"] == [{"adresse": ZOE_EMAIL, "principale": True, "verifiee": True}]
    login = data["connexion"]
    assert login["mot_de_passe"] is True
    assert login["comptes_connectes"][0]["fournisseur"] == "ProConnect"
    assert login["comptes_connectes"][0]["informations_recues"]["sub"] == PROCONNECT_SUB
    assert {a["type"] for a in login["double_authentification"]} == {
        "Authentificateur TOTP",
        "Codes de récupération",
    }
    assert data["equipes"][0]["startup"]["nom"] == "Cantine Locale"
    assert data["equipes"][0]["startup"]["lien"].endswith(
        reverse("workspace:startup_detail", args=[world["startup"].slug])
    )
    authored = data["contributions"]
    assert [m["titre"] for m in authored["jalons"]] == ["Premier repas servi au collège"]
    assert [lesson["titre"] for lesson in authored["lecons"]] == [
        "Goûter les menus avec les élèves"
    ]
    assert authored["decisions_de_phase"] == []  # Paul's, not hers
    assert data["candidatures"][0]["titre"] == application.title
    assert data["candidatures"][0]["contact_chez_le_sponsor"]["nom"] == "Mme Maire"
    assert [row["action"] for row in data["historique_des_modifications"]] == ["modification"]
    assert "Cantine Locale" in data["historique_des_modifications"][0]["fiche"]

    # Nobody else's data, and no secret.
    for other in (BRUNO_EMAIL, "Bruno Voisin", "Leçon secrète de Bruno", "Paul Décideur"):
        assert other not in text
    stored_secrets = [a.data.get("secret") or a.data["seed"] for a in zoe.authenticator_set.all()]
    assert len(stored_secrets) == 2
    for secret in (
        zoe.password,
        totp_secret,
        *stored_secrets,
        "jeton-de-calendrier-tres-secret",
        "nonce-technique-xyz",
    ):
        assert secret not in text


def test_only_a_signed_in_person_downloads_and_only_their_own_data(world):
    anonymous = Client().get(reverse("account_data_download"))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("account_login"))

    bruno_data = logged_in(world["bruno"]).get(reverse("account_data_download")).json()
    assert bruno_data["compte"]["adresse_email"] == BRUNO_EMAIL
    assert ZOE_EMAIL not in json.dumps(bruno_data)


def test_the_profile_page_offers_download_and_deletion(world):
    html = logged_in(world["zoe"]).get(reverse("account_profile")).text
    assert f'href="{reverse("account_data_download")}"' in html
    assert f'href="{reverse("account_delete")}"' in html
    assert "Télécharger mes données" in html and "Supprimer mon compte" in html


# --- Deletion: confirmation --------------------------------------------------------


def test_the_deletion_page_explains_what_goes_and_what_stays(world):
    html = logged_in(world["zoe"]).get(reverse("account_delete")).text
    assert "Ce qui est effacé" in html and "Ce qui reste" in html
    assert "« ancien membre »" in html
    assert 'name="password"' in html


def test_a_wrong_password_changes_nothing(world):
    zoe = world["zoe"]
    client = logged_in(zoe)

    response = client.post(reverse("account_delete"), {"password": "pas-le-bon"})

    assert response.status_code == 400
    assert "Mot de passe incorrect : votre compte n’a pas été supprimé." in response.text
    zoe.refresh_from_db()
    assert zoe.email == ZOE_EMAIL and zoe.is_active and not zoe.is_former_member
    assert zoe.emailaddress_set.exists()
    assert client.get(reverse("account_profile")).status_code == 200  # still logged in


def test_an_account_without_password_confirms_with_a_word(world):
    zoe = world["zoe"]
    zoe.set_unusable_password()  # ProConnect only
    zoe.save()
    client = Client()
    client.force_login(zoe)
    page = client.get(reverse("account_delete")).text
    assert "Pour confirmer, écrivez SUPPRIMER" in page
    assert 'name="password"' not in page

    refused = client.post(reverse("account_delete"), {"confirmation": "oui"})
    assert refused.status_code == 400
    assert "Écrivez SUPPRIMER pour confirmer : votre compte n’a pas été supprimé." in refused.text
    assert not User.objects.get(pk=zoe.pk).is_former_member

    done = client.post(reverse("account_delete"), {"confirmation": "supprimer"})
    assert done.status_code == 302
    assert User.objects.get(pk=zoe.pk).is_former_member


# --- Deletion: what goes, what stays --------------------------------------------------


def test_after_deletion_i_cannot_log_in_and_my_email_and_name_are_nowhere(
    world, django_capture_on_commit_callbacks
):
    zoe = world["zoe"]
    TOTP.activate(zoe, generate_totp_secret())
    SocialAccount.objects.create(
        user=zoe,
        provider="proconnect",
        uid=PROCONNECT_SUB,
        extra_data={"userinfo": {"email": ZOE_EMAIL}},
    )
    call = CallForProjectsFactory(
        program__incubator=world["incubator"], closes_at=paris(2100, 1, 1)
    )
    draft = Application.objects.create(
        call=call, applicant=zoe, title="Brouillon de Zoé", sponsor_contact_email=ZOE_EMAIL
    )
    upload = SimpleUploadedFile("lettre.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    document = program_services.application_add_document(draft, uploaded_file=upload, user=zoe)
    # A staff edit of her account in the Wagtail admin, journaled under her name.
    log(instance=zoe, action="wagtail.edit", user=world["paul"])
    # The search finds her everywhere she is before the deletion (JSON included).
    assert {"accounts.User.email", "socialaccount.SocialAccount.extra_data"} <= set(
        tables_containing(ZOE_EMAIL)
    )
    assert "wagtailcore.ModelLogEntry.label" in tables_containing(ZOE_NAME)
    other_session = logged_in(zoe)
    client = logged_in(zoe)

    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        response = client.post(reverse("account_delete"), {"password": TEST_PASSWORD})

    assert response.status_code == 302 and response.url == "/"
    assert "Votre compte a été supprimé" in client.get("/").text
    # Logged out here and in her other session.
    for session in (client, other_session):
        assert session.get(reverse("account_profile")).status_code == 302
    assert not Client().login(email=ZOE_EMAIL, password=TEST_PASSWORD)

    assert tables_containing(ZOE_EMAIL) == []
    assert tables_containing(ZOE_NAME) == []
    assert tables_containing("Quenelle") == []  # JSON columns escape the accented name
    assert tables_containing(PROCONNECT_SUB) == []
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not storages["private"].exists(document.file.name)

    former = User.objects.get(pk=zoe.pk)
    assert str(former) == "ancien membre"
    assert not former.is_active and not former.has_usable_password()
    # She left the team today; the team's history keeps her place, unnamed.
    assert Membership.objects.get(user=former).end_date == timezone.localdate()


def test_what_i_wrote_stays_attributed_to_a_former_member(world, client):
    zoe, startup = world["zoe"], world["startup"]
    report = services.report_request(
        kind=ReportKind.STARTUP,
        subject=startup,
        start=datetime.date(2024, 1, 1),
        end=timezone.localdate(),
        public=False,
        user=zoe,
    )
    services.report_run(report.pk)

    assert logged_in(zoe).post(DELETE_URL, {"password": TEST_PASSWORD}).status_code == 302

    lesson = Lesson.objects.get(pk=world["lesson"].pk)
    assert lesson.author_id == zoe.pk and str(lesson.author) == "ancien membre"
    # The public startup page still shows her lesson.
    directory = StartupDirectoryPage.objects.get()
    public = client.get(f"{directory.url}{startup.slug}/").text
    assert "Goûter les menus avec les élèves" in public
    assert ZOE_NAME not in public
    # The team's journal still shows her milestone.
    bruno = logged_in(world["bruno"])
    journal = bruno.get(reverse("workspace:startup_timeline", args=[startup.slug])).text
    assert "Premier repas servi au collège" in journal
    # The report she asked for names its requester « ancien membre »; a new one lists her
    # in the team as « ancien membre » too.
    coach = logged_in(world["claire"])
    detail = coach.get(reverse("workspace:report_detail", args=[report.pk])).text
    assert re.search(r"Demandé par</dt><dd>ancien membre,", detail)
    fresh = services.report_request(
        kind=ReportKind.STARTUP,
        subject=startup,
        start=datetime.date(2024, 1, 1),
        end=timezone.localdate(),
        public=False,
        user=world["claire"],
    )
    services.report_run(fresh.pk)
    fresh_html = coach.get(reverse("workspace:report_detail", args=[fresh.pk])).text
    assert "ancien membre" in fresh_html and ZOE_NAME not in fresh_html


def test_a_coachs_phase_decision_stays_signed_by_a_former_member(world, client):
    paul, startup = world["paul"], world["startup"]
    assert logged_in(paul).post(DELETE_URL, {"password": TEST_PASSWORD}).status_code == 302

    decision = PhaseTransition.objects.get(pk=world["decision"].pk)
    assert decision.decided_by_id == paul.pk
    assert decision.rationale == "Besoin confirmé par trois collèges."
    client.force_login(UserFactory(superuser=True))
    history = client.get(reverse("wagtailsnippets_incubator_startup:phase", args=[startup.pk])).text
    assert "ancien membre" in history and "Paul Décideur-Vigilant" not in history
    listing = client.get(reverse("wagtailsnippets_incubator_phasetransition:list")).text
    assert "ancien membre" in listing
    assert not world["incubator"].coaches.filter(pk=paul.pk).exists()


# --- Deletion: who takes over ----------------------------------------------------------


def test_the_last_coach_of_a_startup_in_progress_is_asked_to_find_a_successor(world):
    paul, incubator = world["paul"], world["incubator"]
    incubator.coaches.remove(world["claire"])
    client = logged_in(paul)

    page = client.get(DELETE_URL).text
    assert "Vous êtes le seul coach de la startup « Cantine Locale », toujours en cours" in page
    assert "demandez à l’équipe de la plateforme de nommer un autre coach" in page
    assert 'name="password"' not in page

    refused = client.post(DELETE_URL, {"password": TEST_PASSWORD})
    assert refused.status_code == 400
    paul.refresh_from_db()
    assert paul.is_active and not paul.is_former_member
    assert incubator.coaches.filter(pk=paul.pk).exists()

    # A coach of the startup's cohort takes over: Paul may go.
    startup = world["startup"]
    startup.cohort = CohortFactory(program__incubator=incubator)
    startup.save(update_fields=["cohort"])
    startup.cohort.coaches.add(world["claire"])
    assert 'name="password"' in client.get(DELETE_URL).text
    assert client.post(DELETE_URL, {"password": TEST_PASSWORD}).status_code == 302


def test_the_last_member_of_a_team_is_warned_and_may_still_leave(world):
    warning = (
        "La startup « Cantine Locale » n’aura plus aucun membre dans son équipe : "
        "prévenez l’incubateur « Incubateur des Rivières » pour qu’il organise la relève."
    )
    client = logged_in(world["zoe"])
    assert warning not in client.get(DELETE_URL).text  # Bruno is still in the team

    world["bruno"].memberships.update(end_date=datetime.date(2024, 12, 31))
    assert warning in client.get(DELETE_URL).text

    assert client.post(DELETE_URL, {"password": TEST_PASSWORD}).status_code == 302
    assert User.objects.get(pk=world["zoe"].pk).is_former_member


def test_the_last_referent_of_a_territory_is_warned(world):
    territory = TerritoryFactory(name="Commune de Belle-Rive")
    territory.referents.add(world["zoe"])

    page = logged_in(world["zoe"]).get(DELETE_URL).text

    assert "Le territoire « Commune de Belle-Rive » n’aura plus de référent" in page


def test_the_last_administrator_cannot_leave_the_platform_without_one(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    admin = UserFactory(superuser=True)
    client = logged_in(admin)

    refused = client.post(DELETE_URL, {"password": TEST_PASSWORD})

    assert refused.status_code == 400
    assert "Vous êtes le dernier administrateur de la plateforme" in refused.text
    assert User.objects.get(pk=admin.pk).is_superuser
    UserFactory(superuser=True)
    assert client.post(DELETE_URL, {"password": TEST_PASSWORD}).status_code == 302


# --- The « Données personnelles » page and docs/privacy.md ------------------------------


def test_the_personal_data_page_links_to_download_and_deletion(client):
    page = StandardPage.objects.get(slug="donnees-personnelles")
    html = client.get(page.url).text
    assert f'href="{reverse("account_data_download")}"' in html
    assert f'href="{reverse("account_delete")}"' in html
    assert "ancien membre" in html


def test_the_page_and_the_documentation_state_the_same_retention_periods(client):
    page = StandardPage.objects.get(slug="donnees-personnelles")
    html = client.get(page.url).text
    doc = (Path(settings.BASE_DIR) / "docs" / "privacy.md").read_text(encoding="utf-8")
    for french, english in RETENTIONS:
        assert french in html, french
        assert english in doc, english
