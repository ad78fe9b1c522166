"""Reports published or withdrawn, private files and exports downloaded: each leaves one line
in the security log, with who did it; a refused attempt leaves no "success" line."""

import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from incubator import services
from incubator.enums import MembershipRole, ReportKind, ReportStatus
from incubator.exceptions import IncubatorError
from incubator.models import Membership, Report, Sponsorship
from tests.factories import StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\nrapport\n%%EOF\n"


@pytest.fixture
def coach(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    return UserFactory(coach=True)


@pytest.fixture
def report(coach):
    """A finished public territory report of a startup `coach` coaches."""
    startup = StartupFactory()
    startup.incubator.coaches.add(coach)
    territory = TerritoryFactory()
    Sponsorship.objects.create(startup=startup, territory=territory)
    report = Report(
        kind=ReportKind.TERRITORY,
        territory=territory,
        subject_name=territory.name,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        is_public=True,
        status=ReportStatus.DONE,
        requested_by=coach,
    )
    report.pdf.save("rapport.pdf", ContentFile(PDF))
    return report


def test_publishing_and_withdrawing_a_report_are_logged_with_who(
    client, coach, report, security_events, django_capture_on_commit_callbacks
):
    client.force_login(coach)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("workspace:report_publish", args=[report.pk]))
        client.post(reverse("workspace:report_unpublish", args=[report.pk]))

    [published] = security_events("report_published")
    [withdrawn] = security_events("report_unpublished")
    for entry in (published, withdrawn):
        assert entry["user_id"] == coach.pk and entry["outcome"] == "success"
        assert entry["details"] == {
            "report_id": report.pk,
            "kind": ReportKind.TERRITORY,
            "version": report.version,
        }


def test_a_refused_publication_is_not_logged(coach, report, security_events):
    Report.objects.filter(pk=report.pk).update(is_public=False)
    report.refresh_from_db()
    with pytest.raises(IncubatorError):
        services.report_publish(report, user=coach)
    assert security_events("report_published") == []


def test_downloading_a_private_report_is_logged(client, coach, report, security_events):
    client.force_login(coach)
    response = client.get(reverse("workspace:report_pdf", args=[report.pk]))

    assert b"".join(response.streaming_content) == PDF
    response.close()
    [download] = security_events("report_downloaded")
    assert download["user_id"] == coach.pk
    assert download["path"] == reverse("workspace:report_pdf", args=[report.pk])
    assert download["details"] == {
        "report_id": report.pk,
        "kind": ReportKind.TERRITORY,
        "public_version": True,
        "published": False,
    }


def test_a_report_download_refused_to_an_outsider_is_not_logged_as_a_download(
    client, report, security_events
):
    client.force_login(UserFactory())
    assert client.get(reverse("workspace:report_pdf", args=[report.pk])).status_code == 404
    assert security_events("report_downloaded") == []


def test_downloading_a_commitment_letter_is_logged(client, settings, security_events):
    startup, agent = StartupFactory(), UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    sponsorship = Sponsorship.objects.create(
        startup=startup,
        territory=TerritoryFactory(),
        commitment_document=SimpleUploadedFile("engagement.pdf", PDF),
    )
    client.force_login(agent)
    response = client.get(reverse("workspace:commitment_document", args=[sponsorship.pk]))
    assert b"".join(response.streaming_content) == PDF
    response.close()

    [download] = security_events("commitment_downloaded")
    assert download["user_id"] == agent.pk
    assert download["details"] == {"sponsorship_id": sponsorship.pk}


def test_the_board_csv_export_is_logged_with_its_row_count(client, coach, security_events):
    for name in ("Cantine", "Mobilité"):
        StartupFactory(name=name).incubator.coaches.add(coach)
    client.force_login(coach)
    assert client.get(reverse("workspace:board_csv")).status_code == 200

    [export] = security_events("export_downloaded")
    assert export["user_id"] == coach.pk
    assert export["details"] == {"export": "board_csv", "rows": 2}


def test_a_refused_board_export_is_not_logged(client, security_events):
    client.force_login(UserFactory())
    assert client.get(reverse("workspace:board_csv")).status_code == 403
    assert security_events("export_downloaded") == []


@pytest.mark.parametrize(
    ("list_url", "label"),
    [
        ("wagtailsnippets_incubator_startup:list", "incubator.startup"),
        ("wagtailsnippets_programs_contribution:list", "programs.contribution"),
    ],
)
def test_an_admin_spreadsheet_export_is_logged(client, settings, security_events, list_url, label):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    staff = UserFactory(superuser=True)
    client.force_login(staff)
    assert client.get(reverse(list_url)).status_code == 200
    assert security_events("export_downloaded") == []  # reading the list is not an export

    response = client.get(reverse(list_url), {"export": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    [export] = security_events("export_downloaded")
    assert export["user_id"] == staff.pk
    assert export["details"] == {"export": f"admin:{label}", "format": "csv"}


def test_making_a_startup_public_or_private_is_logged_with_who(
    coach, security_events, django_capture_on_commit_callbacks
):
    startup = StartupFactory(visibility="private")

    with django_capture_on_commit_callbacks(execute=True):
        services.startup_update_profile(startup=startup, actor=coach, visibility="public")
        services.startup_update_profile(startup=startup, actor=coach, pitch="Un pitch revu")

    (entry,) = security_events("startup_visibility_changed")
    assert entry["user_id"] == coach.pk
    assert entry["details"] == {"startup_id": startup.pk, "before": "private", "after": "public"}
