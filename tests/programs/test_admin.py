"""Calls for projects and selection criteria in the Wagtail admin."""

from django.urls import reverse

import pytest

from tests.factories import CallForProjectsFactory, CallQuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    client.force_login(UserFactory(superuser=True))
    return client


@pytest.mark.parametrize("model", ["callforprojects", "selectioncriterion"])
def test_lists_and_create_forms_render(staff_client, model):
    assert staff_client.get(reverse(f"wagtailsnippets_programs_{model}:list")).status_code == 200
    assert staff_client.get(reverse(f"wagtailsnippets_programs_{model}:add")).status_code == 200


def test_the_call_edit_form_lists_its_questions(staff_client):
    question = CallQuestionFactory(label="Quel est le budget prévu ?")
    url = reverse("wagtailsnippets_programs_callforprojects:edit", args=[question.call.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert "Quel est le budget prévu ?" in response.content.decode()


def test_a_call_factory_without_questions_edits(staff_client):
    call = CallForProjectsFactory()
    url = reverse("wagtailsnippets_programs_callforprojects:edit", args=[call.pk])
    assert staff_client.get(url).status_code == 200
