"""robots.txt lets crawlers read the public site, not the private spaces; security.txt
says where to report a vulnerability."""

import pytest

pytestmark = pytest.mark.django_db


def test_robots_txt_points_to_the_sitemap_and_keeps_private_spaces_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    for private in ("/espace/", "/comptes/", "/admin/"):
        assert f"Disallow: {private}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def identity():
    from wagtail.models import Site

    from cms.models import SiteIdentity

    return SiteIdentity.for_site(Site.objects.get(is_default_site=True))


def test_security_txt_is_absent_until_the_operator_names_a_contact(client):
    assert client.get("/.well-known/security.txt").status_code == 404


@pytest.mark.parametrize(
    ("contact", "published"),
    [
        ("securite@exemple.gouv.fr", "mailto:securite@exemple.gouv.fr"),
        ("https://exemple.gouv.fr/securite", "https://exemple.gouv.fr/securite"),
    ],
)
def test_security_txt_says_whom_to_tell_until_when(client, contact, published):
    import datetime

    from django.utils import timezone

    site_identity = identity()
    site_identity.security_contact = contact
    site_identity.full_clean()
    site_identity.save()
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == published
    assert fields["Canonical"] == "http://testserver/.well-known/security.txt"
    assert fields["Preferred-Languages"] == "fr, en"
    # RFC 9116: an expiry date in UTC, in the future, less than a year away.
    expires = datetime.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.UTC
    )
    assert timezone.now() < expires <= timezone.now() + datetime.timedelta(days=366)


@pytest.mark.parametrize("contact", ["appelez-nous", "http://exemple.fr/securite", "ftp://x"])
def test_a_security_contact_is_an_email_or_an_https_address(contact):
    from django.core.exceptions import ValidationError

    site_identity = identity()
    site_identity.security_contact = contact
    with pytest.raises(ValidationError) as error:
        site_identity.full_clean()
    assert "https://" in str(error.value.message_dict["security_contact"])
