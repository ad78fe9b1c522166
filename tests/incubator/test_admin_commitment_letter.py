"""The admin's sponsorship form links the letter on file to its permission-checked download."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from incubator.models import Sponsorship
from tests.factories import StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db
LETTER = b"%PDF-1.4\nlettre signee\n%%EOF\n"


def test_the_letter_link_in_the_admin_downloads_the_letter(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    sponsorship = Sponsorship.objects.create(
        startup=StartupFactory(),
        territory=TerritoryFactory(),
        commitment_document=SimpleUploadedFile("engagement-millau.pdf", LETTER),
    )
    client.force_login(UserFactory(superuser=True))

    edit = client.get(reverse("wagtailsnippets_incubator_sponsorship:edit", args=[sponsorship.pk]))

    assert edit.status_code == 200
    download_url = reverse("workspace:commitment_document", args=[sponsorship.pk])
    assert f'href="{download_url}">engagement-millau.pdf</a>' in edit.text
    download = client.get(download_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == LETTER
    download.close()


def test_a_sponsorship_without_a_letter_offers_only_the_upload(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    sponsorship = Sponsorship.objects.create(startup=StartupFactory(), territory=TerritoryFactory())
    client.force_login(UserFactory(superuser=True))

    edit = client.get(reverse("wagtailsnippets_incubator_sponsorship:edit", args=[sponsorship.pk]))

    assert edit.status_code == 200
    assert 'name="commitment_document"' in edit.text
    assert reverse("workspace:commitment_document", args=[sponsorship.pk]) not in edit.text
