"""The applicant's pages: calls, writing a draft, attachments, sending, permissions."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from cms.models import ProgramPage
from incubator import public_cache
from incubator import services as incubator_services
from incubator.enums import Visibility
from incubator.models import Sponsorship
from programs import services
from programs.calls import Application, ApplicationStatus
from tests.factories import (
    CallForProjectsFactory,
    CallQuestionFactory,
    CohortFactory,
    ProgramFactory,
    StartupFactory,
    TerritoryFactory,
    ThemeFactory,
    UserFactory,
)
from tests.programs.conftest import docx_file, pdf_file

pytestmark = pytest.mark.django_db


# --- Fixtures ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    # Coaches and staff must set up two-factor authentication first; not the subject here.
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False


def open_call_factory(**kwargs):
    """A call open since ten days, closing in a month (the views read the real clock)."""
    today = timezone.localdate()
    return CallForProjectsFactory(
        opens_on=today - datetime.timedelta(days=10),
        closes_at=timezone.now() + datetime.timedelta(days=30),
        **kwargs,
    )


@pytest.fixture
def call():
    call = open_call_factory(title="Services aux usagers 2027")
    CallQuestionFactory(call=call, label="Combien d’usagers ?", kind="text", sort_order=0)
    CallQuestionFactory(call=call, label="Un élu porte-t-il le projet ?", kind="yes_no")
    CallQuestionFactory(
        call=call, label="Taille de la commune", kind="choice", choices="Petite\nGrande"
    )
    CallQuestionFactory(call=call, label="Lettre de soutien", kind="file")
    return call


@pytest.fixture
def applicant():
    return UserFactory(display_name="Camille Agent")


@pytest.fixture
def sponsor():
    return TerritoryFactory(name="Ville de Lyon")


def questions(call):
    return {question.kind: question for question in call.questions.all()}


def form_data(call, sponsor, **overrides):
    by_kind = questions(call)
    data = {
        "title": "Rendez-vous en mairie sans attente",
        "problem_statement": "Les usagers attendent deux heures au guichet de l’état civil.",
        "sponsor_territory": sponsor.pk,
        "sponsor_contact_name": "Dominique Élu",
        "sponsor_contact_email": "dominique@lyon.example.fr",
        "sponsor_contact_role": "Directrice de la relation usagers",
        f"question_{by_kind['text'].pk}": "Environ 4 000 par an",
        f"question_{by_kind['yes_no'].pk}": "oui",
        f"question_{by_kind['choice'].pk}": "Grande",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def draft(call, applicant, sponsor):
    by_kind = questions(call)
    return services.application_save_draft(
        call=call,
        applicant=applicant,
        title="Rendez-vous en mairie sans attente",
        problem_statement="Les usagers attendent deux heures au guichet de l’état civil.",
        sponsor_territory=sponsor,
        sponsor_contact_name="Dominique Élu",
        sponsor_contact_email="dominique@lyon.example.fr",
        answers={
            by_kind["text"].pk: "Environ 4 000",
            by_kind["yes_no"].pk: True,
            by_kind["choice"].pk: "Petite",
        },
    )


@pytest.fixture
def complete_draft(draft, applicant):
    services.application_add_document(draft, uploaded_file=pdf_file(), user=applicant)
    return draft


@pytest.fixture
def submitted(complete_draft, applicant):
    return services.application_submit(complete_draft, user=applicant)


def edit_url(application):
    return reverse("workspace:application_edit", args=[application.pk])


def close(call):
    type(call).objects.filter(pk=call.pk).update(
        closes_at=timezone.now() - datetime.timedelta(hours=1)
    )


# --- The calls page ----------------------------------------------------------------------


def test_the_calls_page_lists_open_and_upcoming_calls_and_my_applications(
    client, call, draft, applicant
):
    upcoming = CallForProjectsFactory(
        title="Appel de l’an prochain",
        opens_on=timezone.localdate() + datetime.timedelta(days=20),
        closes_at=timezone.now() + datetime.timedelta(days=60),
    )
    closed = CallForProjectsFactory(title="Appel clos")
    someone_else = services.application_save_draft(
        call=call, applicant=UserFactory(), title="Le projet d’un autre"
    )
    client.force_login(applicant)

    response = client.get(reverse("workspace:calls"))

    assert response.status_code == 200
    html = response.text
    assert call.title in html and upcoming.title in html and closed.title not in html
    assert reverse("workspace:application_create", args=[call.slug]) in html
    assert reverse("workspace:application_create", args=[upcoming.slug]) not in html
    assert "(heure de Paris)" in html
    assert draft.title in html and "Brouillon" in html
    assert someone_else.title not in html


def status_of(client, url) -> int:
    response = client.get(url)
    if response.streaming:  # reading a download to its end closes its file
        b"".join(response.streaming_content)
    return response.status_code


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_calls_page_costs_the_same_queries_for_1_or_6_calls(client, applicant):
    client.force_login(applicant)
    url = reverse("workspace:calls")

    def add(count):
        for _index in range(count):
            call = open_call_factory()
            services.application_save_draft(call=call, applicant=applicant, title="Projet")

    add(1)
    queries_of(client, url)  # warms the per-site caches (settings)
    public_cache.bump()  # both counts right after a change: the header's menu is remembered
    few = queries_of(client, url)
    add(5)
    assert queries_of(client, url) == few


def test_anonymous_visitors_are_sent_to_the_login_page(client, draft):
    document = services.application_add_document(
        draft, uploaded_file=pdf_file(), user=draft.applicant
    )
    urls = [
        reverse("workspace:calls"),
        reverse("workspace:application_create", args=[draft.call.slug]),
        edit_url(draft),
        reverse("workspace:application_document_download", args=[document.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# --- Writing a draft ---------------------------------------------------------------------


def test_an_agent_writes_a_draft_then_lands_on_its_page(client, call, applicant, sponsor):
    theme = ThemeFactory(name="Accueil")
    client.force_login(applicant)
    url = reverse("workspace:application_create", args=[call.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert "Lettre de soutien" not in page.text  # a file question: the documents answer it

    response = client.post(url, form_data(call, sponsor, themes=[theme.pk]))

    application = Application.objects.get()
    assert response.status_code == 302 and response.url == edit_url(application)
    assert application.status == ApplicationStatus.DRAFT
    assert application.applicant == applicant and application.sponsor_territory == sponsor
    assert list(application.themes.all()) == [theme]
    answers = {answer.question.kind: answer.value for answer in application.answers.all()}
    assert answers == {"text": "Environ 4 000 par an", "yes_no": True, "choice": "Grande"}


def test_a_draft_without_title_or_with_an_unknown_choice_is_refused(
    client, call, applicant, sponsor
):
    client.force_login(applicant)
    url = reverse("workspace:application_create", args=[call.slug])
    choice = questions(call)["choice"]

    response = client.post(url, form_data(call, sponsor, title=""))
    assert response.status_code == 400
    assert response.context["form"].errors["title"]

    response = client.post(url, form_data(call, sponsor, **{f"question_{choice.pk}": "Moyenne"}))
    assert response.status_code == 400
    assert response.context["form"].errors[f"question_{choice.pk}"]
    assert not Application.objects.exists()


def test_a_closed_call_says_so_and_shows_no_form(client, call, applicant, sponsor):
    close(call)
    client.force_login(applicant)
    url = reverse("workspace:application_create", args=[call.slug])

    page = client.get(url)
    assert page.status_code == 200
    assert "sont closes depuis le" in page.text and "form" not in page.context

    response = client.post(url, form_data(call, sponsor))
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_the_applicant_edits_the_draft_and_sees_the_closest_lessons(client, draft, applicant):
    startup = StartupFactory(name="Guichet Express")
    Sponsorship.objects.create(startup=startup, territory=TerritoryFactory(name="Ville de Millau"))
    lesson = incubator_services.lesson_create(
        startup=startup,
        title="Observer le guichet d’abord",
        body="Les usagers de l’état civil attendaient pour rien.",
        author=None,
        visibility=Visibility.PUBLIC,
        themes=(),
    )
    client.force_login(applicant)

    page = client.get(edit_url(draft))

    assert page.status_code == 200
    assert "Ces territoires ont essayé quelque chose de proche" in page.text
    assert lesson.title in page.text
    # Who tried it, and what they learned, without leaving the form.
    assert "Ville de Millau" in page.text and lesson.body in page.text
    ((shown, link),) = page.context["lessons"]
    assert shown == lesson and link.endswith(f"/{lesson.slug}/")
    assert client.get(link).status_code == 200
    assert "Envoyer la candidature" in page.text

    data = form_data(draft.call, draft.sponsor_territory, title="Un nouveau titre")
    response = client.post(edit_url(draft), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Un nouveau titre"


def test_a_problem_no_lesson_resembles_says_so_and_points_to_the_library(client, draft, applicant):
    client.force_login(applicant)

    page = client.get(edit_url(draft))

    assert page.context["lessons"] == []
    assert "Aucune leçon publiée ne ressemble encore à ce problème" in page.text


def test_someone_else_s_application_is_a_404(client, draft):
    document = services.application_add_document(
        draft, uploaded_file=pdf_file(), user=draft.applicant
    )
    client.force_login(UserFactory())
    assert client.get(edit_url(draft)).status_code == 404
    assert client.post(edit_url(draft), {"title": "Volé"}).status_code == 404
    submit = reverse("workspace:application_submit", args=[draft.pk])
    assert client.post(submit).status_code == 404
    add = reverse("workspace:application_document_add", args=[draft.pk])
    assert client.post(add, {"file": pdf_file()}).status_code == 404
    remove = reverse("workspace:application_document_remove", args=[draft.pk, document.pk])
    assert client.post(remove).status_code == 404
    download = reverse("workspace:application_document_download", args=[document.pk])
    assert client.get(download).status_code == 404
    draft.refresh_from_db()
    assert draft.title != "Volé" and draft.is_draft and draft.documents.count() == 1


# --- Documents ---------------------------------------------------------------------------


def test_upload_download_and_remove_a_document(client, draft, applicant):
    client.force_login(applicant)
    add = reverse("workspace:application_document_add", args=[draft.pk])

    response = client.post(add, {"file": docx_file("Lettre du maire.docx")})

    assert response.status_code == 302
    document = draft.documents.get()
    download = client.get(reverse("workspace:application_document_download", args=[document.pk]))
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert "Lettre du maire.docx" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"PK")

    remove = reverse("workspace:application_document_remove", args=[draft.pk, document.pk])
    assert client.post(remove).status_code == 302
    assert not draft.documents.exists()


def test_a_disguised_file_and_a_fourth_file_are_refused(client, draft, applicant):
    client.force_login(applicant)
    add = reverse("workspace:application_document_add", args=[draft.pk])
    disguised = SimpleUploadedFile(
        "dossier.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )

    response = client.post(add, {"file": disguised})

    assert response.status_code == 400
    assert "seuls ces formats sont acceptés" in response.context["document_form"].errors["file"][0]
    assert not draft.documents.exists()

    for index in range(3):
        assert client.post(add, {"file": pdf_file(f"piece-{index}.pdf")}).status_code == 302
    response = client.post(add, {"file": pdf_file("de-trop.pdf")})
    assert response.status_code == 400
    assert "au plus 3 pièces jointes" in response.context["document_form"].errors["file"][0]
    assert draft.documents.count() == 3


def test_reviewers_download_a_sent_application_s_documents_only(client, submitted, draft):
    document = submitted.documents.get()
    url = reverse("workspace:application_document_download", args=[document.pk])
    coach = UserFactory(coach=True)
    CohortFactory(program=submitted.call.program).coaches.add(coach)
    other_coach = UserFactory(coach=True)
    CohortFactory(program=ProgramFactory()).coaches.add(other_coach)

    client.force_login(coach)
    assert status_of(client, url) == 200
    client.force_login(other_coach)
    assert status_of(client, url) == 404
    client.force_login(UserFactory(territory=True))
    assert status_of(client, url) == 404
    client.force_login(UserFactory(staff=True))
    assert status_of(client, url) == 200


def test_a_coach_does_not_read_a_draft_s_documents(client, complete_draft):
    document = complete_draft.documents.get()
    coach = UserFactory(coach=True)
    CohortFactory(program=complete_draft.call.program).coaches.add(coach)
    client.force_login(coach)
    url = reverse("workspace:application_document_download", args=[document.pk])
    assert client.get(url).status_code == 404


# --- Sending -----------------------------------------------------------------------------


def test_the_applicant_sends_a_complete_draft(
    client, complete_draft, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    submit = reverse("workspace:application_submit", args=[complete_draft.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(submit)

    assert response.status_code == 302
    complete_draft.refresh_from_db()
    assert complete_draft.status == ApplicationStatus.SUBMITTED
    assert len(mailoutbox) == 1
    page = client.get(edit_url(complete_draft))
    assert page.status_code == 200 and not page.context["editable"]
    assert "Envoyée le" in page.text and "Envoyer la candidature" not in page.text


def test_a_missing_sponsor_is_shown_beside_its_field(client, complete_draft, applicant):
    Application.objects.filter(pk=complete_draft.pk).update(sponsor_territory=None)
    client.force_login(applicant)

    response = client.post(reverse("workspace:application_submit", args=[complete_draft.pk]))

    assert response.status_code == 400
    assert "territoire qui soutient" in response.context["form"].errors["sponsor_territory"][0]
    complete_draft.refresh_from_db()
    assert complete_draft.is_draft


def test_double_submission_and_editing_after_it_are_refused(client, submitted, applicant):
    client.force_login(applicant)
    submit = reverse("workspace:application_submit", args=[submitted.pk])

    again = client.post(submit)
    assert again.status_code == 400
    assert "déjà été envoyée" in again.context["refusal"]

    data = form_data(submitted.call, submitted.sponsor_territory, title="Autre titre")
    edit = client.post(edit_url(submitted), data)
    assert edit.status_code == 400
    assert "ne se modifie plus" in edit.context["refusal"]

    document = submitted.documents.get()
    remove = reverse("workspace:application_document_remove", args=[submitted.pk, document.pk])
    assert client.post(remove).status_code == 400
    add = reverse("workspace:application_document_add", args=[submitted.pk])
    assert client.post(add, {"file": pdf_file()}).status_code == 400

    submitted.refresh_from_db()
    assert submitted.title != "Autre titre" and submitted.documents.count() == 1


def test_a_late_submission_is_refused(client, complete_draft, applicant):
    close(complete_draft.call)
    client.force_login(applicant)

    response = client.post(reverse("workspace:application_submit", args=[complete_draft.pk]))

    assert response.status_code == 400
    assert "closes depuis le" in response.context["refusal"]
    complete_draft.refresh_from_db()
    assert complete_draft.is_draft
    page = client.get(edit_url(complete_draft))
    assert page.status_code == 200 and not page.context["editable"]


def test_a_rejected_application_shows_the_reason(client, submitted, applicant):
    coach = UserFactory(coach=True)
    CohortFactory(program=submitted.call.program).coaches.add(coach)
    services.application_reject(submitted, coach=coach, reason="Le besoin n’est pas documenté.")
    client.force_login(applicant)

    page = client.get(edit_url(submitted))

    assert "Non retenue" in page.text and "Le besoin n’est pas documenté." in page.text
    assert "form" not in page.context

    # Editing it afterwards, to slip a better version in, is refused.
    data = form_data(submitted.call, submitted.sponsor_territory, title="Version corrigée")
    edit = client.post(edit_url(submitted), data)
    assert edit.status_code == 400
    assert "ne se modifie plus" in edit.context["refusal"]
    add = reverse("workspace:application_document_add", args=[submitted.pk])
    assert client.post(add, {"file": pdf_file()}).status_code == 400
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.REJECTED
    assert submitted.title != "Version corrigée" and submitted.documents.count() == 1


# --- The public programme page -----------------------------------------------------------


def program_page(program) -> ProgramPage:
    from wagtail.models import Site

    home = Site.objects.get(is_default_site=True).root_page.specific
    return home.add_child(instance=ProgramPage(title=program.name, program=program))


def test_the_program_page_links_to_its_open_calls(client, settings, call):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    CallForProjectsFactory(program=call.program, title="Appel d’hier")  # closed in March 2026
    page = program_page(call.program)

    html = client.get(page.url).text

    assert call.title in html and "Appel d’hier" not in html
    assert reverse("workspace:application_create", args=[call.slug]) in html
    assert "Aucun appel à projets n’est ouvert" not in html

    close(call)
    assert "Aucun appel à projets n’est ouvert" in client.get(page.url).text
