"""The territory référent reads what their territory sponsors, and nothing else."""

import datetime

from django.urls import reverse

import pytest

from incubator import public_cache
from incubator.enums import Visibility
from incubator.models import Sponsorship
from programs.models import Contribution, ContributionKind, ContributionStatus
from tests.factories import StartupFactory, TerritoryFactory, UserFactory, document_stop

pytestmark = pytest.mark.django_db


@pytest.fixture
def referent_setup():
    referent = UserFactory(territory=True)
    territory = TerritoryFactory(name="Département de la Creuse")
    territory.referents.add(referent)
    sponsored = StartupFactory(name="Bibliobus Connecté", visibility=Visibility.PRIVATE)
    Sponsorship.objects.create(startup=sponsored, territory=territory, amount_cents=60_000_00)
    document_stop(sponsored)
    other = StartupFactory(name="Projet d’ailleurs", visibility=Visibility.PRIVATE)
    Sponsorship.objects.create(startup=other, territory=TerritoryFactory(), amount_cents=1)
    Contribution.objects.create(
        territory=territory,
        kind=ContributionKind.MEMBERSHIP,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        amount_cents=12_500_00,
        paid_cents=5_000_00,
        due_date=datetime.date(2026, 3, 31),
        status=ContributionStatus.DUE,
    )
    return referent, sponsored, other


def test_referent_sees_sponsored_startups_lessons_and_contributions(client, referent_setup):
    referent, sponsored, other = referent_setup
    client.force_login(referent)
    html = client.get(reverse("workspace:territory")).text
    assert "Bibliobus Connecté" in html
    assert "Projet d’ailleurs" not in html
    assert "Observer avant de construire" in html  # the lesson of its project
    assert "12\u202f500,00\xa0€" in html or "12 500,00 €" in html.replace("\u202f", " ").replace(
        "\xa0", " "
    )
    # Private details of a sponsored startup are readable, others are not found.
    assert client.get(reverse("workspace:startup_detail", args=[sponsored.slug])).status_code == 200
    assert client.get(reverse("workspace:startup_detail", args=[other.slug])).status_code == 404


def test_a_referent_cannot_pick_another_territory(client, referent_setup):
    referent, *_ = referent_setup
    client.force_login(referent)
    stranger = TerritoryFactory()
    assert (
        client.get(reverse("workspace:territory"), {"territoire": stranger.slug}).status_code == 404
    )


def test_users_without_a_territory_get_403(client):
    client.force_login(UserFactory())
    assert client.get(reverse("workspace:territory")).status_code == 403


def test_territory_page_query_count_is_constant(
    client, referent_setup, django_assert_max_num_queries
):
    referent, sponsored, _ = referent_setup
    territory = sponsored.sponsors.get()
    client.force_login(referent)
    url = reverse("workspace:territory")
    client.get(url)
    public_cache.bump()  # both counts right after a change: the header's menu is remembered
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for startup in StartupFactory.create_batch(15):
        Sponsorship.objects.create(startup=startup, territory=territory)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_commitment_letters_are_private_files_served_to_those_who_may_read_them(client, settings):
    """Stored outside MEDIA_ROOT, read through a checked view (the gate checklist links it)."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from incubator.enums import MembershipRole
    from incubator.models import Membership, Sponsorship
    from tests.factories import StartupFactory, TerritoryFactory, UserFactory

    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    startup, territory = StartupFactory(), TerritoryFactory()
    agent, referent, stranger = UserFactory(), UserFactory(territory=True), UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    territory.referents.add(referent)
    letter = b"%PDF-1.4\nlettre signee\n%%EOF\n"
    sponsorship = Sponsorship.objects.create(
        startup=startup,
        territory=territory,
        commitment_signed_on=datetime.date(2025, 3, 1),
        commitment_document=SimpleUploadedFile("engagement.pdf", letter),
    )
    from django.core.files.storage import default_storage, storages

    stored = Path(sponsorship.commitment_document.path)
    assert Path(storages["private"].location) in stored.parents
    assert Path(default_storage.location) not in stored.parents

    url = reverse("workspace:commitment_document", args=[sponsorship.pk])
    for user in (agent, referent):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == letter
        assert response["Cache-Control"] == "private, no-store"
        # A download with a fixed type: never rendered as a page of the site.
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(stranger)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("engagement.pdf", b"<html><script>alert(1)</script></html>", "doit être un PDF"),
        ("engagement.html", b"<html></html>", "doit être un PDF"),
        ("engagement.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "dépasse 10 Mo"),
    ],
)
def test_a_commitment_letter_must_be_a_pdf_of_at_most_10_mo(name, content, message):
    """Checked by content when uploaded (the Wagtail admin validates with full_clean)."""
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incubator.models import Sponsorship
    from tests.factories import StartupFactory, TerritoryFactory

    sponsorship = Sponsorship(
        startup=StartupFactory(),
        territory=TerritoryFactory(),
        commitment_document=SimpleUploadedFile(name, content),
    )
    with pytest.raises(ValidationError) as refused:
        sponsorship.full_clean()
    assert message in str(refused.value.message_dict["commitment_document"])
    assert not Sponsorship.objects.filter(pk=sponsorship.pk).exists()
    sponsorship.commitment_document = SimpleUploadedFile("engagement.pdf", b"%PDF-1.7\nok")
    sponsorship.full_clean()  # a real PDF passes
