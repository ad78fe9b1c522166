"""The applicant's side: drafts while the call is open, documents checked by content, submission."""

import re

from django.core import mail
from django.db import IntegrityError

import pytest

from incubator.exceptions import IncubatorError, InvalidValue
from programs import services
from programs.calls import Application, ApplicationAnswer, ApplicationDocument, ApplicationStatus
from tests.factories import CallQuestionFactory, ThemeFactory, UserFactory, paris
from tests.programs.conftest import (
    AFTER_CALL,
    DURING_CALL,
    docx_file,
    odt_file,
    pdf_file,
    zip_bytes,
)

pytestmark = pytest.mark.django_db


# --- The call's dates -----------------------------------------------------------------


def test_a_call_is_open_from_its_opening_day_to_its_closing_minute(call):
    assert not call.is_open(paris(2026, 2, 28, 23, 59))
    assert call.is_open(paris(2026, 3, 1, 0, 0))
    assert call.is_open(paris(2026, 3, 31, 11, 59))
    assert not call.is_open(paris(2026, 3, 31, 12, 0))


# --- Drafts ---------------------------------------------------------------------------


def test_a_draft_keeps_fields_themes_and_answers(call, applicant, question):
    theme = ThemeFactory(name="État civil")
    choice = CallQuestionFactory(call=call, kind="choice", choices="Commune\nDépartement\n")
    yes_no = CallQuestionFactory(call=call, kind="yes_no")
    application = services.application_save_draft(
        call=call,
        applicant=applicant,
        now=DURING_CALL,
        title="  Guichet unique  ",
        themes=[theme],
        answers={question.pk: "Beaucoup", choice.pk: "Département", yes_no.pk: False},
    )
    assert application.status == ApplicationStatus.DRAFT
    assert application.title == "Guichet unique"
    assert list(application.themes.all()) == [theme]
    answers = {a.question_id: a.value for a in application.answers.all()}
    assert answers == {question.pk: "Beaucoup", choice.pk: "Département", yes_no.pk: False}

    services.application_save_draft(
        application, call=call, applicant=applicant, now=DURING_CALL, answers={question.pk: ""}
    )
    assert not ApplicationAnswer.objects.filter(question=question).exists()


def test_a_draft_needs_a_title(call, applicant):
    with pytest.raises(InvalidValue) as error:
        services.application_save_draft(call=call, applicant=applicant, now=DURING_CALL, title=" ")
    assert error.value.field == "title"


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("choice", "Région", "ne fait pas partie des choix"),
        ("yes_no", "peut-être", "oui ou par non"),
        ("file", "texte", "joignant un document"),
    ],
)
def test_a_wrong_answer_is_refused_and_nothing_is_written(call, applicant, kind, value, message):
    question = CallQuestionFactory(call=call, kind=kind, choices="Commune\nDépartement")
    with pytest.raises(InvalidValue, match=message):
        services.application_save_draft(
            call=call, applicant=applicant, now=DURING_CALL, title="X", answers={question.pk: value}
        )
    assert not Application.objects.exists()


def test_an_answer_to_another_calls_question_is_refused(call, applicant):
    other = CallQuestionFactory()
    with pytest.raises(InvalidValue, match="n’appartient pas"):
        services.application_save_draft(
            call=call, applicant=applicant, now=DURING_CALL, title="X", answers={other.pk: "a"}
        )


def test_an_invalid_contact_email_is_refused(call, applicant):
    with pytest.raises(InvalidValue) as error:
        services.application_save_draft(
            call=call,
            applicant=applicant,
            now=DURING_CALL,
            title="X",
            sponsor_contact_email="pas-un-email",
        )
    assert error.value.field == "sponsor_contact_email"


def test_no_draft_after_the_deadline(call, applicant, draft):
    with pytest.raises(IncubatorError, match="Les candidatures sont closes depuis le 31 mars 2026"):
        services.application_save_draft(call=call, applicant=applicant, now=AFTER_CALL, title="X")
    with pytest.raises(IncubatorError, match="closes depuis"):
        services.application_save_draft(
            draft, call=call, applicant=applicant, now=AFTER_CALL, title="Autre titre"
        )
    draft.refresh_from_db()
    assert draft.title == "Rendez-vous en mairie sans attente"


def test_no_draft_before_the_opening(call, applicant):
    with pytest.raises(IncubatorError, match="ouvre le 1 mars 2026"):
        services.application_save_draft(
            call=call, applicant=applicant, now=paris(2026, 2, 1, 9), title="X"
        )


def test_only_the_applicant_edits_a_draft(call, draft):
    with pytest.raises(IncubatorError, match="Seule la personne"):
        services.application_save_draft(
            draft, call=call, applicant=UserFactory(), now=DURING_CALL, title="Volé"
        )


def test_a_sent_application_is_not_edited(call, applicant, submitted):
    with pytest.raises(IncubatorError, match="Une candidature envoyée ne se modifie plus."):
        services.application_save_draft(
            submitted, call=call, applicant=applicant, now=DURING_CALL, title="Autre"
        )


# --- Documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (pdf_file, "application/pdf"),
        (odt_file, "application/vnd.oasis.opendocument.text"),
        (
            docx_file,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_pdf_odt_and_docx_are_accepted_into_private_storage(draft, applicant, make, content_type):
    uploaded = make()
    document = services.application_add_document(
        draft, uploaded_file=uploaded, user=applicant, now=DURING_CALL
    )
    assert document.content_type == content_type
    assert document.original_name == uploaded.name
    assert document.size == uploaded.size
    assert len(document.sha256) == 64
    assert uploaded.name not in document.file.name  # stored under a random name
    with document.file.open("rb") as stored:
        assert stored.read() == uploaded.open().read()


def test_documents_are_stored_in_the_private_storage(draft, applicant):
    from django.core.files.storage import storages

    document = services.application_add_document(
        draft, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
    )
    assert document.file.storage is storages["private"]
    assert storages["private"].exists(document.file.name)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("programme.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("photo.docx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
        ("archive.docx", zip_bytes({"lisez-moi.txt": b"bonjour"})),
        ("faux.odt", zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})),
        ("casse.docx", b"PK\x03\x04" + b"\x00" * 64),
        ("vide.pdf", b"%PD"),
    ],
)
def test_a_disguised_file_is_refused(draft, applicant, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploaded = SimpleUploadedFile(name, content, content_type="application/pdf")
    with pytest.raises(InvalidValue, match="ni un PDF") as error:
        services.application_add_document(
            draft, uploaded_file=uploaded, user=applicant, now=DURING_CALL
        )
    assert error.value.field == "file"
    assert not ApplicationDocument.objects.exists()


def test_a_zip_with_a_huge_entry_list_is_refused_unread(draft, applicant):
    with pytest.raises(InvalidValue, match="ni un PDF"):
        services.application_add_document(
            draft,
            uploaded_file=docx_file(extra_entries=services.MAX_ZIP_ENTRIES + 1),
            user=applicant,
            now=DURING_CALL,
        )


def test_an_oversized_file_is_refused(draft, applicant):
    with pytest.raises(InvalidValue, match="10 Mo"):
        services.application_add_document(
            draft,
            uploaded_file=pdf_file(size=services.MAX_DOCUMENT_BYTES + 1),
            user=applicant,
            now=DURING_CALL,
        )
    assert not ApplicationDocument.objects.exists()


def test_a_fourth_document_is_refused(draft, applicant):
    for _index in range(3):
        services.application_add_document(
            draft, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
        )
    with pytest.raises(InvalidValue, match="au plus 3 pièces jointes"):
        services.application_add_document(
            draft, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
        )
    assert draft.documents.count() == 3


def test_documents_of_someone_else_or_of_a_sent_application_are_refused(
    draft, applicant, submitted
):
    with pytest.raises(IncubatorError, match="Seule la personne"):
        services.application_add_document(
            draft, uploaded_file=pdf_file(), user=UserFactory(), now=DURING_CALL
        )
    with pytest.raises(IncubatorError, match="ne se modifie plus"):
        services.application_add_document(
            submitted, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
        )


def test_removing_a_document_deletes_its_file_after_commit(
    draft, applicant, django_capture_on_commit_callbacks
):
    document = services.application_add_document(
        draft, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
    )
    storage, name = document.file.storage, document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.application_remove_document(document, user=applicant, now=DURING_CALL)
    assert not draft.documents.exists()
    assert not storage.exists(name)


# --- Submission -----------------------------------------------------------------------


def test_submitting_sets_the_date_and_acknowledges_by_email(
    draft, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_submit(draft, user=applicant, now=DURING_CALL)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at == DURING_CALL
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [applicant.email]
    assert "bien reçue" in message.subject
    assert "Rendez-vous en mairie sans attente" in message.body
    assert "15 mars 2026" in message.body
    assert "Bonjour Camille Agent" in message.body
    assert f"/espace/candidatures/{application.pk}/" in message.body


def test_a_late_submission_is_refused(draft, applicant):
    with pytest.raises(IncubatorError, match="Les candidatures sont closes depuis le"):
        services.application_submit(draft, user=applicant, now=paris(2026, 3, 31, 12, 0))
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.submitted_at is None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("sponsor_territory", "territoire qui soutient"),
        ("sponsor_contact_name", "nom de votre contact"),
        ("sponsor_contact_email", "e-mail de votre contact"),
    ],
)
def test_the_sponsor_and_its_contact_are_required(draft, applicant, field, message):
    Application.objects.filter(pk=draft.pk).update(
        **{field: None if field == "sponsor_territory" else ""}
    )
    with pytest.raises(InvalidValue, match=message) as error:
        services.application_submit(draft, user=applicant, now=DURING_CALL)
    assert error.value.field == field
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT


def test_required_questions_must_be_answered(call, draft, applicant):
    CallQuestionFactory(call=call, label="Qui porte le projet ?")
    CallQuestionFactory(call=call, label="Facultative", required=False)
    CallQuestionFactory(call=call, label="Lettre de soutien", kind="file")
    with pytest.raises(
        InvalidValue, match=re.escape("« Qui porte le projet ? » ; « Lettre de soutien »")
    ):
        services.application_submit(draft, user=applicant, now=DURING_CALL)


def test_a_required_file_question_is_answered_by_a_document(call, draft, applicant):
    CallQuestionFactory(call=call, label="Lettre de soutien", kind="file")
    services.application_add_document(
        draft, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
    )
    services.application_submit(draft, user=applicant, now=DURING_CALL)


def test_double_submission_is_refused(call, draft, applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(draft, user=applicant, now=DURING_CALL)
        with pytest.raises(IncubatorError, match="déjà été envoyée"):
            services.application_submit(draft, user=applicant, now=DURING_CALL)
    assert len(mail.outbox) == 1


def test_a_second_identical_application_is_refused(call, draft, applicant, sponsor):
    services.application_submit(draft, user=applicant, now=DURING_CALL)
    twin = services.application_save_draft(
        call=call,
        applicant=applicant,
        now=DURING_CALL,
        title="RENDEZ-VOUS EN MAIRIE SANS ATTENTE",
        problem_statement="Même projet.",
        sponsor_territory=sponsor,
        sponsor_contact_name="Dominique",
        sponsor_contact_email="d@lyon.example.fr",
        answers={draft.call.questions.get().pk: "Pareil"},
    )
    with pytest.raises(IncubatorError, match="déjà envoyé une candidature"):
        services.application_submit(twin, user=applicant, now=DURING_CALL)


def test_the_database_forbids_two_sent_applications_with_the_same_title(submitted):
    with pytest.raises(IntegrityError):
        Application.objects.create(
            call=submitted.call,
            applicant=submitted.applicant,
            title=submitted.title,
            status=ApplicationStatus.SUBMITTED,
            submitted_at=DURING_CALL,
        )


def test_someone_else_cannot_submit(draft):
    with pytest.raises(IncubatorError, match="Seule la personne"):
        services.application_submit(draft, user=UserFactory(), now=DURING_CALL)
