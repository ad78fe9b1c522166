"""The selection committee's pages: list, detail, scores, comments and decisions."""

import datetime

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from incubator.enums import MembershipRole, Phase
from incubator.models import Membership, Sponsorship, Startup
from programs import services
from programs.calls import Application, ApplicationComment, ApplicationScore, ApplicationStatus
from programs.selection import applications_reviewable_by
from tests.factories import (
    CallForProjectsFactory,
    CohortFactory,
    ProgramFactory,
    SelectionCriterionFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.programs.conftest import DURING_CALL, pdf_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    # Coaches and staff must set up two-factor authentication first; not the subject here.
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def other_coach():
    """A coach of another programme."""
    user = UserFactory(coach=True)
    CohortFactory(program=ProgramFactory()).coaches.add(user)
    return user


def url(name, application):
    return reverse(f"workspace:{name}", args=[application.pk])


def sent(call, applicant, title, sponsor=None):
    draft = services.application_save_draft(
        call=call,
        applicant=applicant,
        now=DURING_CALL,
        title=title,
        problem_statement="Un problème",
        sponsor_territory=sponsor or TerritoryFactory(),
        sponsor_contact_name="Dominique",
        sponsor_contact_email="dominique@exemple.fr",
    )
    return services.application_submit(draft, user=applicant, now=DURING_CALL)


# --- The selector ---------------------------------------------------------------------


def test_reviewable_applications_never_include_drafts_or_other_programmes(
    submitted, draft, coach, other_coach, call, applicant
):
    other_draft = services.application_save_draft(
        call=call, applicant=applicant, now=DURING_CALL, title="Brouillon"
    )
    assert list(applications_reviewable_by(coach)) == [submitted]
    assert other_draft not in applications_reviewable_by(UserFactory(staff=True))
    assert list(applications_reviewable_by(other_coach)) == []
    assert list(applications_reviewable_by(applicant)) == []
    incubator_coach = UserFactory(coach=True)
    call.program.incubator.coaches.add(incubator_coach)
    assert list(applications_reviewable_by(incubator_coach)) == [submitted]


# --- Who sees what --------------------------------------------------------------------


def test_the_list_is_for_coaches_and_staff(client, submitted, coach, other_coach):
    list_url = reverse("workspace:selection")
    assert client.get(list_url).status_code == 302
    client.force_login(submitted.applicant)
    assert client.get(list_url).status_code == 403
    client.force_login(UserFactory(territory=True))
    assert client.get(list_url).status_code == 403
    client.force_login(other_coach)
    response = client.get(list_url)
    assert response.status_code == 200
    assert submitted.title not in response.content.decode()
    for user in (coach, UserFactory(staff=True)):
        client.force_login(user)
        response = client.get(list_url)
        assert response.status_code == 200
        assert submitted.title in response.content.decode()


@pytest.mark.parametrize(
    "name", ["selection_score", "selection_comment", "selection_shortlist", "selection_reject"]
)
def test_outsiders_get_404_on_every_action(client, submitted, other_coach, name):
    for user in (other_coach, submitted.applicant, UserFactory(), UserFactory(territory=True)):
        client.force_login(user)
        assert client.get(url("selection_detail", submitted)).status_code == 404
        assert client.post(url(name, submitted), {"reason": "Non", "body": "x"}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert not ApplicationComment.objects.exists()


def test_actions_are_post_only(client, submitted, coach):
    client.force_login(coach)
    assert client.get(url("selection_accept", submitted)).status_code == 405


def test_the_board_links_to_the_applications(client, coach):
    client.force_login(coach)
    response = client.get(reverse("workspace:board"))
    assert reverse("workspace:selection") in response.content.decode()


# --- The list -------------------------------------------------------------------------


def test_the_list_shows_scores_and_comments(client, submitted, coach, call):
    impact = SelectionCriterionFactory(program=call.program, weight=3)
    team = SelectionCriterionFactory(program=call.program, weight=1)
    services.application_score(submitted, coach=coach, criterion=impact, score=4)
    services.application_score(submitted, coach=coach, criterion=team, score=0)
    services.application_comment(submitted, author=coach, body="Prometteur")
    client.force_login(coach)
    response = client.get(reverse("workspace:selection"))
    row = response.context["applications"][0]
    assert row.average_score == pytest.approx(3.0)  # (4×3 + 0×1) / 4
    assert row.my_score_count == 2 == row.criteria_count
    assert row.comment_count == 1
    content = response.content.decode()
    assert "3,0 / 5" in content
    assert "Notée" in content
    assert submitted.sponsor_territory.name in content


def test_the_list_filters_by_call_and_status_and_sorts_by_score(client, coach, call, applicant):
    criterion = SelectionCriterionFactory(program=call.program)
    low = sent(call, applicant, "Projet faible")
    high = sent(call, applicant, "Projet fort")
    services.application_score(low, coach=coach, criterion=criterion, score=1)
    services.application_score(high, coach=coach, criterion=criterion, score=5)
    services.application_shortlist(high, coach=coach)
    other_call = CallForProjectsFactory(program=call.program)
    elsewhere = sent(other_call, applicant, "Autre appel")
    client.force_login(coach)

    def titles(**params):
        response = client.get(reverse("workspace:selection"), params)
        return [application.title for application in response.context["applications"]]

    assert set(titles()) == {"Projet faible", "Projet fort", "Autre appel"}
    assert titles(appel=call.slug, tri="note") == ["Projet fort", "Projet faible"]
    assert titles(appel=call.slug, tri="-note") == ["Projet faible", "Projet fort"]
    assert titles(statut="shortlisted") == ["Projet fort"]
    assert titles(appel=other_call.slug) == [elsewhere.title]
    assert set(titles(statut="n-importe-quoi")) == {"Projet faible", "Projet fort", "Autre appel"}


def test_the_list_runs_a_constant_number_of_queries(client, coach, call, applicant):
    criterion = SelectionCriterionFactory(program=call.program)
    client.force_login(coach)

    def queries_for(count):
        for index in range(count - Application.objects.count()):
            application = sent(call, applicant, f"Projet {index}-{count}")
            services.application_score(application, coach=coach, criterion=criterion, score=3)
            services.application_comment(application, author=coach, body="Vu")
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("workspace:selection"))
        assert len(response.context["applications"]) == count
        return len(context.captured_queries)

    client.get(reverse("workspace:selection"))  # warm the per-process caches (site, menus)
    assert queries_for(3) == queries_for(30)


# --- The detail page ------------------------------------------------------------------


def test_the_detail_shows_the_application(client, submitted, coach, call, question):
    criterion = SelectionCriterionFactory(program=call.program, label="Impact")
    other = UserFactory(coach=True, display_name="Alex Autre")
    call.program.incubator.coaches.add(other)
    services.application_score(submitted, coach=other, criterion=criterion, score=2)
    services.application_comment(submitted, author=other, body="À creuser")
    client.force_login(coach)
    response = client.get(url("selection_detail", submitted))
    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        submitted.problem_statement,
        "Dominique Élu",
        "Ville de Lyon",
        question.label,
        "Environ 4 000 par an",
        "Impact",
        "Alex Autre : 2",
        "À creuser",
        "Présélectionner",
        "Ne pas retenir",
    ):
        assert text.replace("’", "&#x27;") in content or text in content, text


def test_a_coach_scores_through_the_page(client, submitted, coach, criterion):
    client.force_login(coach)
    field = f"critere_{criterion.pk}"
    response = client.post(url("selection_score", submitted), {field: 4})
    assert response.status_code == 302
    assert ApplicationScore.objects.get(coach=coach).score == 4
    page = client.get(url("selection_detail", submitted))
    assert page.context["scores_form"][field].value() == 4  # the form shows my score back
    client.post(url("selection_score", submitted), {field: 5})
    assert ApplicationScore.objects.get(coach=coach).score == 5


def test_every_criterion_is_scored_in_one_go(client, submitted, coach, criterion):
    second = SelectionCriterionFactory(program=criterion.program, label="Équipe", weight=1)
    third = SelectionCriterionFactory(program=criterion.program, label="Sponsor", weight=1)
    client.force_login(coach)

    response = client.post(
        url("selection_score", submitted),
        {f"critere_{criterion.pk}": 2, f"critere_{second.pk}": 5, f"critere_{third.pk}": ""},
    )

    assert response.status_code == 302
    assert dict(ApplicationScore.objects.values_list("criterion__label", "score")) == {
        criterion.label: 2,
        "Équipe": 5,
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((4, 7), "La note est un nombre entier de 0 à 5."),
        ((4, "beaucoup"), "La note est un nombre entier de 0 à 5."),
        (("", ""), "Donnez au moins une note."),
    ],
)
def test_a_bad_score_refuses_them_all(client, submitted, coach, criterion, values, message):
    second = SelectionCriterionFactory(program=criterion.program, label="Équipe")
    client.force_login(coach)

    response = client.post(
        url("selection_score", submitted),
        {f"critere_{criterion.pk}": values[0], f"critere_{second.pk}": values[1]},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApplicationScore.objects.exists()


def test_a_coach_comments(client, submitted, coach):
    client.force_login(coach)
    response = client.post(url("selection_comment", submitted), {"body": "Belle équipe"})
    assert response.status_code == 302
    assert ApplicationComment.objects.get().body == "Belle équipe"
    response = client.post(url("selection_comment", submitted), {"body": "  "})
    assert response.status_code == 400
    assert "Le commentaire est vide." in response.content.decode()
    assert ApplicationComment.objects.count() == 1


def test_a_coach_shortlists(client, submitted, coach):
    client.force_login(coach)
    assert client.post(url("selection_shortlist", submitted)).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SHORTLISTED
    response = client.post(url("selection_shortlist", submitted))
    assert response.status_code == 400


# --- Decisions ------------------------------------------------------------------------


def test_accepting_creates_the_startup(client, submitted, coach, cohort):
    client.force_login(coach)
    response = client.post(
        url("selection_accept", submitted),
        {"cohort": cohort.pk, "first_review_date": in_days(30).isoformat(), "reason": ""},
        follow=True,
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.ACCEPTED
    startup = Startup.objects.get()
    assert submitted.startup == startup
    assert startup.phase == Phase.INVESTIGATION
    assert startup.cohort == cohort
    assert Sponsorship.objects.get(startup=startup).territory == submitted.sponsor_territory
    assert Membership.objects.filter(
        startup=startup, user=submitted.applicant, role=MembershipRole.AGENT
    ).exists()
    content = response.content.decode()
    assert reverse("workspace:startup_detail", args=[startup.slug]) in content
    assert "Ouvrir son cockpit" in content
    # Decided: the decision shows, the forms do not.
    assert "Décision" in content
    assert url("selection_reject", submitted) not in content
    assert url("selection_score", submitted) not in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_review_date": -1}, "Le premier comité se tient après la date d’acceptation."),
        ({"cohort": "other"}, "Sélectionnez un choix valide"),
    ],
)
def test_a_bad_acceptance_changes_nothing(client, submitted, coach, cohort, data, message):
    client.force_login(coach)
    post = {"cohort": cohort.pk, "first_review_date": in_days(30).isoformat()}
    if data.get("first_review_date"):
        post["first_review_date"] = in_days(data["first_review_date"]).isoformat()
    if data.get("cohort"):
        post["cohort"] = CohortFactory().pk
    response = client.post(url("selection_accept", submitted), post)
    assert response.status_code == 400
    assert message.replace("’", "&#x27;") in response.content.decode() or message in (
        response.content.decode()
    )
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert not Startup.objects.exists()


def test_the_cohort_choice_is_limited_to_the_programme(client, submitted, coach, cohort):
    elsewhere = CohortFactory()
    client.force_login(coach)
    form = client.get(url("selection_detail", submitted)).context["accept_form"]
    choices = list(form.fields["cohort"].queryset)
    assert cohort in choices
    assert elsewhere not in choices


def test_rejecting_e_mails_the_reason(client, submitted, coach, django_capture_on_commit_callbacks):
    client.force_login(coach)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("selection_reject", submitted), {"reason": "Le projet existe déjà à Lyon."}
        )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.REJECTED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [submitted.applicant.email]
    assert "Le projet existe déjà à Lyon." in mail.outbox[0].body
    response = client.get(url("selection_detail", submitted))
    assert "Le projet existe déjà à Lyon." in response.content.decode()
    assert url("selection_accept", submitted) not in response.content.decode()


def test_an_empty_reason_is_refused(client, submitted, coach):
    client.force_login(coach)
    response = client.post(url("selection_reject", submitted), {"reason": "   "})
    assert response.status_code == 400
    assert "pourquoi sa candidature n" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert not mail.outbox


def test_a_decided_application_is_final(client, submitted, coach, cohort):
    services.application_reject(submitted, coach=coach, reason="Non")
    client.force_login(coach)
    response = client.post(
        url("selection_accept", submitted),
        {"cohort": cohort.pk, "first_review_date": in_days(30).isoformat()},
    )
    assert response.status_code == 400
    assert "définitive" in response.content.decode()
    assert not Startup.objects.exists()


def test_documents_link_to_their_download(client, draft, applicant, coach):
    document = services.application_add_document(
        draft, uploaded_file=pdf_file("budget.pdf"), user=applicant, now=DURING_CALL
    )
    submitted = services.application_submit(draft, user=applicant, now=DURING_CALL)
    client.force_login(coach)
    content = client.get(url("selection_detail", submitted)).content.decode()
    assert "budget.pdf" in content
    assert reverse("workspace:application_document_download", args=[document.pk]) in content
