"""The Wagtail back-office: lists with filters, phase changes through the service, no deletion."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

import pytest

from incubator.enums import Phase, TransitionKind
from incubator.models import Failure, Startup
from tests.factories import (
    CohortFactory,
    IncubatorFactory,
    StartupFactory,
    UserFactory,
    document_stop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    client.force_login(UserFactory(superuser=True))
    return client


def test_startup_list_filters_by_phase_and_overdue(staff_client):
    late = StartupFactory(name="Guichet Lent", started_on=datetime.date(2020, 1, 6))
    fresh = StartupFactory(name="Guichet Neuf", started_on=timezone.localdate())
    url = reverse("wagtailsnippets_incubator_startup:list")

    html = staff_client.get(url, {"overdue": "yes"}).text
    assert late.name in html and fresh.name not in html
    html = staff_client.get(url, {"phase": Phase.CONSTRUCTION}).text
    assert late.name not in html
    html = staff_client.get(url, {"q": "Neuf"}).text
    assert fresh.name in html and late.name not in html


def test_startup_list_query_count_does_not_grow_with_rows(
    staff_client, django_assert_max_num_queries
):
    url = reverse("wagtailsnippets_incubator_startup:list")
    StartupFactory.create_batch(3)
    staff_client.get(url)
    with django_assert_max_num_queries(40) as small:
        staff_client.get(url)
    StartupFactory.create_batch(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        staff_client.get(url)


def test_the_edit_form_has_no_phase_field(staff_client):
    startup = StartupFactory()
    html = staff_client.get(
        reverse("wagtailsnippets_incubator_startup:edit", args=[startup.pk])
    ).text
    assert 'name="pitch"' in html
    assert 'name="phase"' not in html


def test_creating_a_startup_in_the_admin_starts_its_history(staff_client):
    incubator = IncubatorFactory()
    response = staff_client.post(
        reverse("wagtailsnippets_incubator_startup:add"),
        {
            "name": "Cantine Locale",
            "incubator": incubator.pk,
            "visibility": "public",
            "accessibility_status": "",
        },
    )
    assert response.status_code == 302, response.text[:2000]
    startup = Startup.objects.get(name="Cantine Locale")
    assert startup.transitions.get().kind == TransitionKind.START


def test_phase_change_from_the_admin_goes_through_the_service(staff_client):
    startup = StartupFactory(started_on=datetime.date(2024, 1, 15))
    url = reverse("wagtailsnippets_incubator_startup:phase", args=[startup.pk])
    assert "Historique des phases" in staff_client.get(url).text

    refused = staff_client.post(
        url, {"to_phase": Phase.ABANDONED, "on": "2024-05-01", "rationale": "Stop"}
    )
    assert refused.status_code == 200
    assert "documentez d’abord l’échec" in refused.text
    assert startup.transitions.count() == 1

    done = staff_client.post(
        url, {"to_phase": Phase.CONSTRUCTION, "on": "2024-05-01", "rationale": "Besoin confirmé"}
    )
    assert done.status_code == 302
    startup.refresh_from_db()
    assert startup.phase == Phase.CONSTRUCTION
    assert startup.transitions.last().decided_by.is_superuser


def test_the_admin_phase_form_offers_only_the_possible_phases(staff_client):
    startup = StartupFactory(started_on=datetime.date(2024, 1, 15))  # in investigation
    url = reverse("wagtailsnippets_incubator_startup:phase", args=[startup.pk])

    offered = re.findall(r'<option value="([a-z]+)"', staff_client.get(url).text)
    assert set(offered) == {Phase.CONSTRUCTION, Phase.ABANDONED}

    skipped = staff_client.post(
        url, {"to_phase": Phase.CONSOLIDATION, "on": "2024-05-01", "rationale": "Trop vite"}
    )
    assert skipped.status_code == 200
    assert "Sélectionnez un choix valide" in skipped.text
    assert startup.transitions.count() == 1


def test_a_coach_cannot_use_the_back_office_phase_view(client):
    startup = StartupFactory()
    coach = UserFactory(coach=True, email="coach2@demo.example")
    client.force_login(coach)
    response = client.post(
        reverse("wagtailsnippets_incubator_startup:phase", args=[startup.pk]),
        {"to_phase": Phase.CONSTRUCTION, "on": "2024-05-01", "rationale": "x"},
    )
    assert response.status_code in (302, 403)
    assert startup.transitions.count() == 1


def test_failures_and_lessons_cannot_be_deleted_from_the_admin(staff_client):
    failure = document_stop(StartupFactory())
    delete_url = reverse("wagtailsnippets_incubator_failure:delete", args=[failure.pk])
    assert staff_client.post(delete_url).status_code in (302, 403)
    assert Failure.objects.filter(pk=failure.pk).exists()
    listing = staff_client.get(reverse("wagtailsnippets_incubator_failure:list")).text
    assert delete_url not in listing


def test_edit_history_is_browsable(staff_client):
    startup = StartupFactory(pitch="Avant")
    startup.pitch = "Après"
    startup.save()
    html = staff_client.get(reverse("incubator_record_history", args=["startup", startup.pk])).text
    assert "Avant" in html and "Après" in html


def test_program_policy_change_moves_deadlines(staff_client):
    cohort = CohortFactory()
    startup = StartupFactory(started_on=datetime.date(2024, 1, 15), cohort=cohort)
    assert startup.phase_deadline == datetime.date(2024, 7, 15)
    program = cohort.program
    response = staff_client.post(
        reverse("wagtailsnippets_programs_program:edit", args=[program.pk]),
        {
            "incubator": program.incubator.pk,
            "name": program.name,
            "slug": program.slug,
            "investigation_months": 2,
            "contribution_cents_per_year": 0,
        },
    )
    assert response.status_code == 302, response.text[:3000]
    startup.refresh_from_db()
    assert startup.phase_deadline == datetime.date(2024, 3, 15)


@pytest.mark.parametrize(
    "model",
    [
        "startup",
        "sponsorship",
        "membership",
        "review",
        "failure",
        "lesson",
        "phasetransition",
        "territory",
        "incubator",
    ],
)
def test_every_lifecycle_admin_list_renders(staff_client, model):
    startup = StartupFactory()
    document_stop(startup)
    response = staff_client.get(reverse(f"wagtailsnippets_incubator_{model}:list"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["failure", "lesson", "territory", "incubator", "startup"])
def test_edit_forms_render_without_identity_fields(staff_client, model):
    startup = StartupFactory()
    failure = document_stop(startup)
    instance = {
        "startup": startup,
        "failure": failure,
        "lesson": failure.lessons.get(),
        "territory": startup.sponsors.model.objects.create(
            name="Lille", slug="lille", kind="commune"
        ),
        "incubator": startup.incubator,
    }[model]
    html = staff_client.get(
        reverse(f"wagtailsnippets_incubator_{model}:edit", args=[instance.pk])
    ).text
    for hidden in ['name="archived_at"', 'name="source_id"', 'name="phase"']:
        assert hidden not in html


def test_failures_lessons_and_committees_are_not_created_raw_in_the_admin(staff_client):
    for model in ["failure", "lesson", "review"]:
        response = staff_client.get(reverse(f"wagtailsnippets_incubator_{model}:add"))
        assert response.status_code in (302, 403), model
    add_url = reverse("wagtailsnippets_incubator_failure:add")
    assert add_url not in staff_client.get(reverse("wagtailsnippets_incubator_failure:list")).text


def test_history_shows_phase_changes_made_by_the_service(staff_client):
    startup = StartupFactory(started_on=datetime.date(2024, 1, 15))
    from incubator import services

    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=datetime.date(2024, 5, 2),
        rationale="ok",
    )
    html = staff_client.get(reverse("incubator_record_history", args=["startup", startup.pk])).text
    assert "Investigation" in html and "Construction" in html and "Phase" in html
