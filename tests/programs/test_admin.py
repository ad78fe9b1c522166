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


# --- What applicants already wrote is never lost from the admin --------------------------


def edit_data(client, url, **changes):
    """The edit form as the browser would send it, with some fields changed."""
    from wagtail.test.utils.form_data import querydict_from_html

    data = querydict_from_html(client.get(url).content.decode(), form_id="w-editor-form")
    for name, value in changes.items():
        data[name] = value
    return data


def test_an_answered_question_cannot_be_deleted_nor_change_kind(staff_client, draft, question):
    url = reverse("wagtailsnippets_programs_callforprojects:edit", args=[question.call.pk])

    deleted = staff_client.post(url, edit_data(staff_client, url, **{"questions-0-DELETE": "1"}))
    retyped = staff_client.post(url, edit_data(staff_client, url, **{"questions-0-kind": "yes_no"}))

    for response in (deleted, retyped):
        assert response.status_code == 200
        assert "a déjà reçu des réponses" in response.content.decode()
    question.refresh_from_db()
    assert question.kind == "text" and draft.answers.get().question == question


def test_an_unanswered_question_can_be_deleted(staff_client, question):
    url = reverse("wagtailsnippets_programs_callforprojects:edit", args=[question.call.pk])

    response = staff_client.post(url, edit_data(staff_client, url, **{"questions-0-DELETE": "1"}))

    assert response.status_code == 302
    assert not question.call.questions.exists()


def test_a_call_with_applications_cannot_be_deleted(staff_client, draft):
    url = reverse("wagtailsnippets_programs_callforprojects:delete", args=[draft.call.pk])

    response = staff_client.post(url, follow=True)

    assert response.status_code == 200
    assert "ne peut pas être supprimé : des candidatures" in response.content.decode()
    assert type(draft.call).objects.filter(pk=draft.call.pk).exists()


def test_a_call_without_applications_can_be_deleted(staff_client, call):
    url = reverse("wagtailsnippets_programs_callforprojects:delete", args=[call.pk])

    assert staff_client.post(url).status_code == 302
    assert not type(call).objects.filter(pk=call.pk).exists()
