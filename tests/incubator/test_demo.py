"""The demo network is realistic, coherent and idempotent."""

from django.core.management import call_command

import pytest

from incubator import services
from incubator.enums import Phase
from incubator.models import PhaseTransition, Report, Startup, Territory

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_coherent_network_once(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    counts = (
        Startup.objects.count(),
        PhaseTransition.objects.count(),
        Territory.objects.count(),
        Report.objects.count(),
    )
    call_command("seed_demo", verbosity=0)
    assert (
        Startup.objects.count(),
        PhaseTransition.objects.count(),
        Territory.objects.count(),
        Report.objects.count(),
    ) == counts
    # The public site shows a published territory report and an annual report.
    assert set(
        Report.objects.filter(published_at__isnull=False, status="done").values_list(
            "kind", flat=True
        )
    ) == {"territory", "incubator"}

    assert counts[0] >= 30
    assert set(Startup.objects.values_list("phase", flat=True)) == set(Phase)
    assert {"commune", "epci", "departement", "region"} <= set(
        Territory.objects.values_list("kind", flat=True)
    )
    for startup in Startup.objects.all():
        last = startup.transitions.order_by("date", "created", "pk").last()
        assert startup.phase == last.to_phase
        assert startup.indicators.get().measurements.exists()
        if startup.phase == Phase.ABANDONED:
            assert services.has_documented_stop(startup)
            assert startup.failures.get().why_we_stop
    assert Startup.objects.filter(visibility="private").exists()
    assert Startup.objects.filter(memberships__user__email="agent@demo.example").exists()
    assert Startup.objects.filter(sponsors__referents__email="territoire@demo.example").exists()


def test_the_demo_has_an_open_call_that_the_coach_reviews_and_the_agent_can_answer(
    settings, client
):
    from accounts.models import User
    from programs.models import Application, ApplicationStatus, CallForProjects

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent: still one call
    call = CallForProjects.objects.get()
    assert call.is_open()
    assert set(call.questions.values_list("kind", flat=True)) == {
        "text",
        "long_text",
        "choice",
        "yes_no",
        "file",
    }
    applications = Application.objects.filter(call=call)
    assert sorted(applications.values_list("status", flat=True)) == [
        ApplicationStatus.SHORTLISTED,
        ApplicationStatus.SUBMITTED,
    ]
    assert all(application.documents.count() == 1 for application in applications)
    # The demo agent has not applied yet: the whole journey is left to try.
    assert not applications.filter(applicant__email="agent@demo.example").exists()

    coach = User.objects.get(email="coach@demo.example")
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    client.force_login(coach)
    page = client.get("/espace/selection/").content.decode()
    for application in applications:
        assert application.title in page

    from cms.models import ProgramPage

    client.logout()
    program_page = client.get(ProgramPage.objects.get(program=call.program).url).content.decode()
    assert call.title in program_page


@pytest.mark.django_db(transaction=True)  # the services' commits run their callbacks
def test_loading_the_demo_queues_no_e_mail_for_the_worker(settings):
    """Years of demo decisions would otherwise flood the console once the worker starts."""
    from django_tasks_db.models import DBTaskResult

    settings.DEBUG = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("seed_demo", verbosity=0)
    queued = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert not [path for path in queued if ".send_" in path], queued
