"""Generated reports: background runs, versions, failures, recovery, downloads, publication."""

import datetime
import hashlib
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest
from pypdf import PdfReader

from incubator import services
from incubator.enums import MembershipRole, ReportKind, ReportStatus, Visibility
from incubator.exceptions import IncubatorError
from incubator.models import Membership, Report, Sponsorship
from incubator.services import reports as report_services
from tests.factories import (
    CohortFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR = {"start": D(2025, 1, 1), "end": D(2025, 12, 31)}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


@pytest.fixture
def team(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    cohort = CohortFactory(start_date=D(2024, 1, 1))
    startup = StartupFactory(
        name="Cantine l’École 🍎",
        incubator=cohort.program.incubator,
        cohort=cohort,
        started_on=D(2024, 2, 1),
    )
    agent, coach, outsider = UserFactory(), UserFactory(coach=True), UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    startup.incubator.coaches.add(coach)
    return {"startup": startup, "cohort": cohort, "agent": agent, "coach": coach, "out": outsider}


def stored_pdf(report: Report) -> bytes:
    with report.pdf.open("rb") as stored:
        return stored.read()


def request_and_run(django_capture_on_commit_callbacks, **kwargs) -> Report:
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(**kwargs)
    report.refresh_from_db()
    return report


# --- Generation -------------------------------------------------------------------


def test_a_request_is_generated_in_the_background_and_stored_with_its_checksum(
    team, django_capture_on_commit_callbacks
):
    report = request_and_run(
        django_capture_on_commit_callbacks,
        kind=ReportKind.STARTUP,
        subject=team["startup"],
        public=False,
        user=team["agent"],
        **YEAR,
    )
    assert report.status == ReportStatus.DONE
    assert report.progress == 100 and report.attempts == 1
    content = stored_pdf(report)
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert report.size == len(content)
    assert "Cantine l’École" in pdf_text(content)
    assert "Cantine l’École" in report.html
    assert report.requested_by == team["agent"]
    assert (report.period_start, report.period_end) == (YEAR["start"], YEAR["end"])
    # Stored privately, never under the public media folder.
    assert "/media/" not in report.pdf.path


def test_the_request_waits_in_the_queue_until_the_transaction_commits(team):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=False, user=team["agent"], **YEAR
    )
    assert report.status == ReportStatus.QUEUED and not report.pdf


def test_asking_twice_while_pending_makes_one_report_then_new_versions(
    team, django_capture_on_commit_callbacks
):
    kwargs = {"kind": ReportKind.STARTUP, "subject": team["startup"], "user": team["agent"]}
    first = services.report_request(public=False, **kwargs, **YEAR)
    assert services.report_request(public=False, **kwargs, **YEAR) == first
    report_services.report_run(first.pk)
    second = request_and_run(django_capture_on_commit_callbacks, public=False, **kwargs, **YEAR)
    public = request_and_run(django_capture_on_commit_callbacks, public=True, **kwargs, **YEAR)
    assert (first.version, second.version, public.version) == (1, 2, 1)
    assert Report.objects.count() == 3


def test_a_finished_report_never_changes(team):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=False, user=team["agent"], **YEAR
    )
    report_services.report_run(report.pk)
    report = Report.objects.get(pk=report.pk)
    report.html = "<p>réécrit</p>"
    with pytest.raises(IncubatorError, match="ne se modifie pas"):
        report.save()
    with pytest.raises(IncubatorError):
        Report.objects.get(pk=report.pk).delete()
    # A duplicated task finds nothing to do and leaves the file alone.
    sha = Report.objects.get(pk=report.pk).sha256
    assert report_services.report_run(report.pk) == ReportStatus.DONE
    assert Report.objects.get(pk=report.pk).sha256 == sha


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": D(2025, 6, 1), "end": D(2025, 1, 1)}, "La période est vide"),
        ({"start": D(1999, 1, 1), "end": D(1999, 12, 31)}, "La période doit commencer"),
        ({"start": D(2030, 1, 1), "end": D(2030, 12, 31)}, "La période doit commencer"),
    ],
)
def test_bad_periods_are_refused_and_nothing_is_queued(team, kwargs, message):
    with pytest.raises(IncubatorError, match=message):
        services.report_request(
            kind=ReportKind.STARTUP,
            subject=team["startup"],
            public=False,
            user=team["agent"],
            today=D(2026, 11, 24),
            **kwargs,
        )
    assert not Report.objects.exists()


def test_a_private_startup_has_no_public_report(team):
    team["startup"].visibility = Visibility.PRIVATE
    team["startup"].save()
    with pytest.raises(IncubatorError, match="startup privée"):
        services.report_request(
            kind=ReportKind.STARTUP,
            subject=team["startup"],
            public=True,
            user=team["agent"],
            **YEAR,
        )
    assert not Report.objects.exists()


def test_a_crash_marks_the_report_failed_with_a_reason_and_a_retry_succeeds(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(report, report_data):
        raise MemoryError

    monkeypatch.setattr(report_services, "_render_pdf", broken)
    report = request_and_run(
        django_capture_on_commit_callbacks,
        kind=ReportKind.STARTUP,
        subject=team["startup"],
        public=False,
        user=team["agent"],
        **YEAR,
    )
    assert report.status == ReportStatus.FAILED
    assert "Erreur inattendue" in report.error and not report.pdf and not report.sha256
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(report, user=team["agent"])
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.attempts == 2 and report.error == ""


def test_a_report_that_became_impossible_fails_with_the_domain_reason(team):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=True, user=team["agent"], **YEAR
    )
    team["startup"].visibility = Visibility.PRIVATE  # made private while queued
    team["startup"].save()
    assert report_services.report_run(report.pk) == ReportStatus.FAILED
    report.refresh_from_db()
    assert "startup privée" in report.error


def test_only_a_failed_or_interrupted_report_can_be_retried(team):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=False, user=team["agent"], **YEAR
    )
    with pytest.raises(IncubatorError, match="en échec ou interrompu"):
        services.report_retry(report, user=team["agent"])


def test_a_worker_that_dies_mid_way_loses_nothing(team, django_capture_on_commit_callbacks):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=False, user=team["agent"], **YEAR
    )
    # The worker claimed the report, then died: "running", no heartbeat since.
    long_ago = timezone.now() - report_services.REPORT_STALE_AFTER * 2
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, attempts=1, progress=40, heartbeat_at=long_ago
    )
    report.refresh_from_db()
    assert report_services.report_is_stale(report)
    # A fresh one is left alone.
    fresh = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=True, user=team["agent"], **YEAR
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.reports_recover()
    assert counts == {"requeued": 1, "failed": 0}
    report.refresh_from_db()
    fresh.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.attempts == 2 and report.sha256
    assert fresh.status == ReportStatus.QUEUED


def test_a_report_whose_worker_process_is_gone_is_generated_again_at_once(
    team, django_capture_on_commit_callbacks
):
    """The worker's restart runs the recovery: a dead process on this host is seen at once,
    a live one (or one on another host) keeps the report until its heartbeat goes silent."""
    import socket
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{socket.gethostname()}:{finished.stdout.strip()}"
    claims = {
        "dead": dead,
        "alive": report_services.worker_identity(),
        "elsewhere": "autre-serveur:12345",
    }
    reports = {}
    for year, (name, claimed_by) in enumerate(claims.items(), start=2023):
        report = services.report_request(
            kind=ReportKind.STARTUP,
            subject=team["startup"],
            public=False,
            user=team["agent"],
            start=D(year, 1, 1),
            end=D(year, 12, 31),
        )
        # Claimed a second ago, killed in the PDF step: the heartbeat is still fresh.
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.RUNNING, attempts=1, progress=40, heartbeat_at=timezone.now(),
            claimed_by=claimed_by,
        )  # fmt: skip
        reports[name] = report
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_recover() == {"requeued": 1, "failed": 0}
    for report in reports.values():
        report.refresh_from_db()
    assert reports["dead"].status == ReportStatus.DONE and reports["dead"].attempts == 2
    assert reports["dead"].sha256 and reports["dead"].version == 1
    assert reports["alive"].status == reports["elsewhere"].status == ReportStatus.RUNNING
    # Generated once: a second recovery leaves the finished report alone.
    assert services.reports_recover() == {"requeued": 0, "failed": 0}


def test_a_report_interrupted_too_often_is_failed_for_a_human_to_look_at(team):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=False, user=team["agent"], **YEAR
    )
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING,
        attempts=report_services.REPORT_MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - report_services.REPORT_STALE_AFTER * 2,
    )
    assert services.reports_recover() == {"requeued": 0, "failed": 1}
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "interrompue 3 fois" in report.error


# --- Workspace pages ----------------------------------------------------------------


def subject_url(kind, slug):
    return reverse(f"workspace:reports_{kind}", kwargs={"slug": slug})


def test_the_agent_asks_for_a_report_and_downloads_it(
    client, team, django_capture_on_commit_callbacks
):
    client.force_login(team["agent"])
    url = subject_url("startup", team["startup"].slug)
    page = client.get(url)
    assert page.status_code == 200 and "Générer le rapport" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"year": "2025", "version": "internal"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == ReportStatus.DONE
    listing = client.get(url)
    assert (
        "Prêt" in listing.text and reverse("workspace:report_pdf", args=[report.pk]) in listing.text
    )
    download = client.get(reverse("workspace:report_pdf", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == report.sha256
    detail = client.get(reverse("workspace:report_detail", args=[report.pk]))
    assert report.sha256 in detail.text and "Cantine l’École" in detail.text


def test_a_custom_period_is_accepted(client, team, django_capture_on_commit_callbacks):
    client.force_login(team["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            subject_url("startup", team["startup"].slug),
            {"year": "", "start": "2025-03-01", "end": "2025-06-30", "version": "internal"},
        )
    report = Report.objects.get()
    assert (report.period_start, report.period_end) == (D(2025, 3, 1), D(2025, 6, 30))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "", "start": "2025-06-30", "end": "2025-03-01"}, "La fin doit suivre le début"),
        ({"year": "", "start": "", "end": ""}, "Choisissez une année, ou bien les deux dates"),
        ({"year": "", "start": "30/02/2025", "end": "2025-03-01"}, "Saisissez une date valide"),
        ({"year": "1066"}, "Sélectionnez un choix valide"),
        ({"year": "2025", "version": "secrète"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_gets_a_french_message_and_creates_nothing(client, team, data, message):
    client.force_login(team["agent"])
    response = client.post(
        subject_url("startup", team["startup"].slug), {"version": "internal", **data}
    )
    assert response.status_code == 400
    assert message in response.text
    assert not Report.objects.exists()


def test_outsiders_cannot_ask_read_or_download(client, team, django_capture_on_commit_callbacks):
    report = request_and_run(
        django_capture_on_commit_callbacks,
        kind=ReportKind.STARTUP,
        subject=team["startup"],
        public=False,
        user=team["agent"],
        **YEAR,
    )
    client.force_login(team["out"])
    assert client.get(subject_url("startup", team["startup"].slug)).status_code == 404
    response = client.post(subject_url("startup", team["startup"].slug), {"year": "2025"})
    assert response.status_code == 404
    for name in ("report_detail", "report_pdf"):
        assert client.get(reverse(f"workspace:{name}", args=[report.pk])).status_code == 404
    assert client.post(reverse("workspace:report_retry", args=[report.pk])).status_code == 404
    assert Report.objects.count() == 1


def test_the_report_pages_have_a_constant_query_count(
    client, team, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client.force_login(team["coach"])
    urls = [subject_url("startup", team["startup"].slug), reverse("workspace:reports")]

    def generate(public):
        request_and_run(
            django_capture_on_commit_callbacks,
            kind=ReportKind.STARTUP,
            subject=team["startup"],
            public=public,
            user=team["coach"],
            **YEAR,
        )

    generate(public=False)
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    for public in (True, False, True, False):
        generate(public)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


def test_the_cohort_coach_generates_the_cohort_report(
    client, team, django_capture_on_commit_callbacks
):
    client.force_login(team["coach"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            subject_url("cohort", team["cohort"].slug), {"year": "2025", "version": "public"}
        )
    report = Report.objects.get()
    assert report.kind == ReportKind.COHORT and report.status == ReportStatus.DONE
    assert "Cantine l’École" in pdf_text(stored_pdf(report))
    # The agent of one startup is not a coach of the cohort.
    client.force_login(team["agent"])
    assert client.get(subject_url("cohort", team["cohort"].slug)).status_code == 404


def test_startup_and_cohort_reports_are_not_publishable(team):
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=True, user=team["coach"], **YEAR
    )
    report_services.report_run(report.pk)
    report.refresh_from_db()
    with pytest.raises(IncubatorError, match="Seuls les rapports de territoire"):
        services.report_publish(report, user=team["coach"])


@pytest.fixture
def sponsor(team):
    territory = TerritoryFactory(name="Ville d’Aurillac")
    Sponsorship.objects.create(startup=team["startup"], territory=territory)
    referent = UserFactory(territory=True)
    territory.referents.add(referent)
    return {"territory": territory, "referent": referent}


def territory_report(team, sponsor, capture, *, public=True, user=None) -> Report:
    return request_and_run(
        capture,
        kind=ReportKind.TERRITORY,
        subject=sponsor["territory"],
        public=public,
        user=user or team["coach"],
        **YEAR,
    )


def test_a_coach_publishes_the_public_version_of_a_territory_report(
    client, team, sponsor, django_capture_on_commit_callbacks
):
    internal = territory_report(team, sponsor, django_capture_on_commit_callbacks, public=False)
    public = territory_report(team, sponsor, django_capture_on_commit_callbacks)
    client.force_login(team["coach"])
    response = client.post(reverse("workspace:report_publish", args=[internal.pk]))
    assert response.status_code == 302
    internal.refresh_from_db()
    assert internal.published_at is None  # refused: only the public version is published
    client.post(reverse("workspace:report_publish", args=[public.pk]))
    public.refresh_from_db()
    assert public.published_at is not None and public.published_by == team["coach"]
    # Publishing changes nothing of the stored version.
    assert hashlib.sha256(stored_pdf(public)).hexdigest() == public.sha256


def test_a_referent_reads_its_territory_reports_but_does_not_publish(
    client, team, sponsor, django_capture_on_commit_callbacks
):
    report = territory_report(team, sponsor, django_capture_on_commit_callbacks)
    client.force_login(sponsor["referent"])
    page = client.get(subject_url("territory", sponsor["territory"].slug))
    assert page.status_code == 200 and "Publier sur le site public" not in page.text
    assert client.post(reverse("workspace:report_publish", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.published_at is None
    # Another territory's référent does not even see it.
    client.force_login(UserFactory(territory=True))
    assert client.get(reverse("workspace:report_detail", args=[report.pk])).status_code == 404


def test_the_public_site_lists_only_published_reports(
    client, team, sponsor, django_capture_on_commit_callbacks
):
    from cms.models import ReportIndexPage

    index = ReportIndexPage.objects.get()
    published = territory_report(team, sponsor, django_capture_on_commit_callbacks)
    services.report_publish(published, user=team["coach"])
    unpublished = territory_report(team, sponsor, django_capture_on_commit_callbacks)
    internal = territory_report(team, sponsor, django_capture_on_commit_callbacks, public=False)

    listing = client.get(index.url)
    assert listing.status_code == 200 and "Ville d’Aurillac" in listing.text
    assert f"{index.url}{published.pk}/" in listing.text
    assert f"{index.url}{unpublished.pk}/" not in listing.text
    detail = client.get(f"{index.url}{published.pk}/")
    assert detail.status_code == 200 and team["startup"].name in detail.text
    download = client.get(f"{index.url}{published.pk}/pdf/")
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == published.sha256
    for hidden in (unpublished, internal):
        assert client.get(f"{index.url}{hidden.pk}/").status_code == 404
        assert client.get(f"{index.url}{hidden.pk}/pdf/").status_code == 404
    # Withdrawn: gone from the public site, kept in the workspace.
    services.report_unpublish(published, user=team["coach"])
    assert client.get(f"{index.url}{published.pk}/").status_code == 404
    assert Report.objects.filter(pk=published.pk).exists()


def test_a_private_startup_never_appears_in_a_published_report(
    client, team, sponsor, django_capture_on_commit_callbacks
):
    from cms.models import ReportIndexPage

    secret = StartupFactory(
        name="Projet Confidentiel",
        incubator=team["startup"].incubator,
        visibility=Visibility.PRIVATE,
        started_on=D(2025, 2, 1),
    )
    Sponsorship.objects.create(startup=secret, territory=sponsor["territory"])
    report = territory_report(team, sponsor, django_capture_on_commit_callbacks)
    services.report_publish(report, user=team["coach"])
    assert "Projet Confidentiel" not in pdf_text(stored_pdf(report))
    page = client.get(f"{ReportIndexPage.objects.get().url}{report.pk}/")
    assert page.status_code == 200 and "Projet Confidentiel" not in page.text


def test_the_incubator_annual_report_covers_a_calendar_year(
    client, team, django_capture_on_commit_callbacks
):
    incubator = team["startup"].incubator
    with pytest.raises(IncubatorError, match="année civile"):
        services.report_request(
            kind=ReportKind.INCUBATOR,
            subject=incubator,
            start=D(2025, 3, 1),
            end=D(2025, 12, 31),
            public=True,
            user=team["coach"],
        )
    client.force_login(team["coach"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(subject_url("incubator", incubator.slug), {"year": "2025", "version": "public"})
    report = Report.objects.get()
    assert report.status == ReportStatus.DONE, report.error
    assert (report.period_start, report.period_end) == (D(2025, 1, 1), D(2025, 12, 31))
    client.post(reverse("workspace:report_publish", args=[report.pk]))
    report.refresh_from_db()
    assert report.is_published


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_the_database_queue_and_its_worker_generate_the_report(team, settings):
    """What runs in production: the task waits in the database until `db_worker` takes it."""
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    report = services.report_request(
        kind=ReportKind.STARTUP, subject=team["startup"], public=False, user=team["agent"], **YEAR
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and report.task_id
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.sha256
