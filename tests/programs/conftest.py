"""Shared fixtures of the calls-for-projects tests: an open call, a complete draft, files."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from programs import services
from tests.factories import (
    CallForProjectsFactory,
    CallQuestionFactory,
    CohortFactory,
    SelectionCriterionFactory,
    TerritoryFactory,
    UserFactory,
    paris,
)

DURING_CALL = paris(2026, 3, 15, 10, 0)
AFTER_CALL = paris(2026, 4, 10, 9, 0)

DOCX_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="'
    b'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def pdf_file(name="dossier.pdf", size=None):
    content = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    if size is not None:
        content = content + b"0" * (size - len(content))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def odt_file(name="note.odt"):
    content = zip_bytes(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}
    )
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def docx_file(name="lettre.docx", extra_entries=0):
    entries = {"[Content_Types].xml": DOCX_CONTENT_TYPES, "word/document.xml": b"<w/>"}
    entries.update({f"word/media/{i}.xml": b"" for i in range(extra_entries)})
    return SimpleUploadedFile(name, zip_bytes(entries), content_type="application/msword")


@pytest.fixture
def call():
    return CallForProjectsFactory()


@pytest.fixture
def applicant():
    return UserFactory(display_name="Camille Agent")


@pytest.fixture
def sponsor():
    return TerritoryFactory(name="Ville de Lyon")


@pytest.fixture
def question(call):
    return CallQuestionFactory(call=call, label="Combien d’usagers sont concernés ?")


@pytest.fixture
def draft(call, applicant, sponsor, question):
    return services.application_save_draft(
        call=call,
        applicant=applicant,
        now=DURING_CALL,
        title="Rendez-vous en mairie sans attente",
        problem_statement="Les usagers attendent deux heures au guichet de l’état civil.",
        sponsor_territory=sponsor,
        sponsor_contact_name="Dominique Élu",
        sponsor_contact_email="dominique@lyon.example.fr",
        sponsor_contact_role="Directrice de la relation usagers",
        answers={question.pk: "Environ 4 000 par an"},
    )


@pytest.fixture
def submitted(draft, applicant):
    return services.application_submit(draft, user=applicant, now=DURING_CALL)


@pytest.fixture
def coach(call):
    """A coach of a cohort of the call's programme."""
    user = UserFactory(coach=True)
    CohortFactory(program=call.program).coaches.add(user)
    return user


@pytest.fixture
def cohort(call):
    return CohortFactory(program=call.program)


@pytest.fixture
def criterion(call):
    return SelectionCriterionFactory(program=call.program, label="Impact pour les usagers")
